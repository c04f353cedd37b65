import { DEMO_PROVIDER_STAFF_ORGANISATION, DEMO_STAFF_PASSWORD } from '@latih/core';
import { schema } from '@latih/db';
import { createLatihClient } from '@latih/sdk';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/db';
import { startTestGateway } from '../support/gateway';

/**
 * A provider's own console staff over HTTP (issue 20): the session acts as the provider, each
 * role limited by the server (what it may change and what it may not even read), the admin
 * managing staff and API credentials, never an API client's token. On both engines; on
 * PostgreSQL two admins demoting each other at once leave one admin, never none.
 */
for (const engine of engines()) {
  describe(`provider console staff over HTTP (${engine})`, () => {
    let gw: Awaited<ReturnType<typeof startTestGateway>>;
    beforeAll(async () => {
      gw = await startTestGateway({ engine });
    });
    afterAll(async () => {
      await gw?.close();
    });

    type Session = {
      cookie: string;
      csrfToken: string;
      user: { id: string; role: string };
      audience: string;
      organisation: { id: string };
      writes: string[];
      readsDenied: string[];
    };
    async function signIn(email: string, password = DEMO_STAFF_PASSWORD): Promise<Session> {
      const res = await fetch(`${gw.url}/console/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password }),
      });
      expect(res.status, email).toBe(200);
      const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      return { cookie, ...((await res.json()) as Omit<Session, 'cookie'>) };
    }
    const get = (s: Session, path: string) => fetch(`${gw.url}/v1${path}`, { headers: { cookie: s.cookie } });
    const post = (s: Session, path: string, body: unknown) =>
      fetch(`${gw.url}/v1${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie: s.cookie, 'x-csrf-token': s.csrfToken },
        body: JSON.stringify(body),
      });
    const answer = async (res: Response) => ({
      status: res.status,
      body: (await res.json()) as Record<string, unknown>,
    });
    const codeOf = async (res: Response) => {
      const a = await answer(res);
      return [a.status, a.body.code];
    };

    it('a provider admin signs in to the provider console and acts as the provider, never as the PMO', async () => {
      const admin = await signIn('admin@cakap.latih.test');
      expect(admin).toMatchObject({
        audience: 'provider',
        organisation: { id: DEMO_PROVIDER_STAFF_ORGANISATION },
        user: { role: 'admin' },
        writes: ['provider.'],
        readsDenied: [],
      });
      expect((await get(admin, '/provider/courses?limit=1')).status).toBe(200);
      expect(await codeOf(await get(admin, '/pmo/organisations'))).toEqual([403, 'FORBIDDEN_ROLE']);
      // A course made in the console is the provider's, and the audit names the staff member.
      const created = await answer(
        await post(admin, '/provider/courses', {
          title: 'Menjahit Busana Muslim',
          summary: 'Dari pola hingga jahitan akhir',
          category: 'food-processing',
          mode: 'LURING',
          hours: 16,
          price: 1_200_000,
        }),
      );
      expect(created.status).toBe(200);
      const [course] = await gw.database.db
        .select()
        .from(schema.courses)
        .where(eq(schema.courses.id, String(created.body.id)));
      expect(course?.providerId).toBe(DEMO_PROVIDER_STAFF_ORGANISATION);
      const [audit] = await gw.database.db
        .select()
        .from(schema.auditLog)
        .where(eq(schema.auditLog.entityId, String(created.body.id)));
      expect(audit?.actorClientId).toBe(admin.user.id);
    });

    it('each role is limited by the server: instructors run classes, finance reads money', async () => {
      const instructor = await signIn('instruktur@cakap.latih.test');
      const finance = await signIn('keuangan@cakap.latih.test');
      const course = {
        title: 'x',
        summary: 'y',
        category: 'food-processing',
        mode: 'LURING',
        hours: 8,
        price: 500_000,
      };
      // Instructor: the roster yes, courses' changes, money, staff and credentials no.
      expect((await get(instructor, '/provider/enrollments')).status).toBe(200);
      expect(await codeOf(await post(instructor, '/provider/courses', course))).toEqual([
        403,
        'FORBIDDEN_ROLE',
      ]);
      expect(await codeOf(await get(instructor, '/provider/settlements'))).toEqual([403, 'FORBIDDEN_ROLE']);
      expect(await codeOf(await get(instructor, '/provider/staff'))).toEqual([403, 'FORBIDDEN_ROLE']);
      // A redemption is the instructor's to make: refused for the code, not for the role.
      const redeem = await answer(
        await post(instructor, '/provider/vouchers/redeem', { code: 'LTH-AAAA-AAAA-AAAA' }),
      );
      expect(redeem.body.code).not.toBe('FORBIDDEN_ROLE');
      // Finance: statements yes; who sat in which class, the door, staff no.
      expect((await get(finance, '/provider/settlements')).status).toBe(200);
      expect(await codeOf(await get(finance, '/provider/enrollments'))).toEqual([403, 'FORBIDDEN_ROLE']);
      expect(await codeOf(await get(finance, '/provider/exports/enrollments.csv'))).toEqual([
        403,
        'FORBIDDEN_ROLE',
      ]);
      expect(await codeOf(await post(finance, '/provider/courses', course))).toEqual([403, 'FORBIDDEN_ROLE']);
      // Nobody without a CSRF token.
      const noCsrf = await fetch(`${gw.url}/v1/provider/courses`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie: instructor.cookie },
        body: JSON.stringify(course),
      });
      expect(await codeOf(noCsrf)).toEqual([403, 'CSRF_INVALID']);
    });

    it('the admin adds, re-roles, resets and disables staff; each change takes effect at once and is audited', async () => {
      const admin = await signIn('admin@cakap.latih.test');
      const added = await answer(
        await post(admin, '/provider/staff', {
          email: 'Dewi@Cakap.latih.test',
          name: 'Dewi',
          role: 'instructor',
        }),
      );
      expect(added.status).toBe(200);
      const member = added.body.member as { id: string; email: string; status: string };
      const password = String(added.body.password);
      expect(member).toMatchObject({ email: 'dewi@cakap.latih.test', status: 'ACTIVE' });
      expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);
      // The password is kept only as a hash.
      const [row] = await gw.database.db
        .select()
        .from(schema.staffUsers)
        .where(eq(schema.staffUsers.id, member.id));
      expect(row?.passwordHash).toMatch(/^scrypt\$/);
      expect(JSON.stringify(row)).not.toContain(password);
      expect(
        await codeOf(
          await post(admin, '/provider/staff', { email: 'dewi@cakap.latih.test', name: 'D', role: 'admin' }),
        ),
      ).toEqual([409, 'STAFF_EMAIL_TAKEN']);
      // The PMO's staff e-mails are taken too: one e-mail, one account.
      expect(
        await codeOf(
          await post(admin, '/provider/staff', { email: 'admin@latih.test', name: 'D', role: 'admin' }),
        ),
      ).toEqual([409, 'STAFF_EMAIL_TAKEN']);
      expect(
        await codeOf(
          await post(admin, '/provider/staff', { email: 'not-an-email', name: 'D', role: 'admin' }),
        ),
      ).toEqual([400, 'VALIDATION_FAILED']);
      expect(
        await codeOf(
          await post(admin, '/provider/staff', { email: 'e@x.test', name: 'D', role: 'reviewer' }),
        ),
      ).toEqual([400, 'VALIDATION_FAILED']);

      const dewi = await signIn('dewi@cakap.latih.test', password);
      expect(dewi.user.role).toBe('instructor');
      expect(await codeOf(await get(dewi, '/provider/settlements'))).toEqual([403, 'FORBIDDEN_ROLE']);
      // Made finance: her next request, same session, reads settlements.
      expect((await post(admin, `/provider/staff/${member.id}/role`, { role: 'finance' })).status).toBe(200);
      expect((await get(dewi, '/provider/settlements')).status).toBe(200);
      expect(await codeOf(await get(dewi, '/provider/enrollments'))).toEqual([403, 'FORBIDDEN_ROLE']);

      // A new password ends her sessions; the old password no longer signs in.
      const reset = await answer(await post(admin, `/provider/staff/${member.id}/reset-password`, {}));
      expect(reset.status).toBe(200);
      expect(await codeOf(await get(dewi, '/provider/settlements'))).toEqual([401, 'SESSION_INVALID']);
      const dewi2 = await signIn('dewi@cakap.latih.test', String(reset.body.password));
      // Disabled: the session ends now and she cannot sign in again.
      expect(
        (
          (await answer(await post(admin, `/provider/staff/${member.id}/disable`, {}))).body as {
            status: string;
          }
        ).status,
      ).toBe('DISABLED');
      expect(await codeOf(await get(dewi2, '/provider/settlements'))).toEqual([401, 'SESSION_INVALID']);
      const again = await fetch(`${gw.url}/console/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'dewi@cakap.latih.test', password: String(reset.body.password) }),
      });
      expect(await codeOf(again)).toEqual([401, 'STAFF_SIGN_IN_FAILED']);

      const list = (await answer(await get(admin, '/provider/staff'))).body.items as {
        email: string;
        role: string;
        status: string;
      }[];
      expect(list.map((m) => `${m.email}:${m.role}:${m.status}`)).toEqual([
        'admin@cakap.latih.test:admin:ACTIVE',
        'instruktur@cakap.latih.test:instructor:ACTIVE',
        'keuangan@cakap.latih.test:finance:ACTIVE',
        'dewi@cakap.latih.test:finance:DISABLED',
      ]);
      const actions = await gw.database.db
        .select({ action: schema.auditLog.action, by: schema.auditLog.actorClientId })
        .from(schema.auditLog)
        .where(eq(schema.auditLog.entityId, member.id));
      expect(actions.map((a) => a.action)).toEqual(
        expect.arrayContaining([
          'staff.created',
          'staff.role_changed',
          'staff.password_reset',
          'staff.disabled',
        ]),
      );
      expect(actions.filter((a) => a.action !== 'staff.signed_in').every((a) => a.by === admin.user.id)).toBe(
        true,
      );
    });

    it('the last admin stays an admin; another provider’s staff are not found; only a console admin manages staff', async () => {
      const admin = await signIn('admin@cakap.latih.test');
      expect(
        await codeOf(await post(admin, `/provider/staff/${admin.user.id}/role`, { role: 'finance' })),
      ).toEqual([409, 'LAST_ADMIN']);
      expect(await codeOf(await post(admin, `/provider/staff/${admin.user.id}/disable`, {}))).toEqual([
        409,
        'LAST_ADMIN',
      ]);
      // Another organisation's account (the PMO's admin) is not this provider's to touch.
      const [pmoAdmin] = await gw.database.db
        .select()
        .from(schema.staffUsers)
        .where(eq(schema.staffUsers.email, 'admin@latih.test'));
      expect(await codeOf(await post(admin, `/provider/staff/${pmoAdmin?.id}/disable`, {}))).toEqual([
        404,
        'STAFF_NOT_FOUND',
      ]);
      // An instructor may not; the provider's API client may not either (a leaked secret mints nothing).
      const instructor = await signIn('instruktur@cakap.latih.test');
      expect(
        await codeOf(
          await post(instructor, '/provider/staff', { email: 'z@z.test', name: 'Z', role: 'admin' }),
        ),
      ).toEqual([403, 'FORBIDDEN_ROLE']);
      const client = createLatihClient({
        baseUrl: gw.url,
        clientId: gw.demo['provider-a'].clientId,
        clientSecret: gw.demo['provider-a'].clientSecret,
      });
      await expect(client.provider.staff.list.query()).rejects.toMatchObject({
        code: 'CONSOLE_SESSION_REQUIRED',
      });
      await expect(
        client.provider.staff.add.mutate({ email: 'z@z.test', name: 'Z', role: 'admin' }),
      ).rejects.toMatchObject({ code: 'CONSOLE_SESSION_REQUIRED' });
      await expect(client.provider.credentials.issue.mutate({ label: 'x' })).rejects.toMatchObject({
        code: 'CONSOLE_SESSION_REQUIRED',
      });
      expect(
        await gw.database.db.select().from(schema.staffUsers).where(eq(schema.staffUsers.email, 'z@z.test')),
      ).toEqual([]);
    });

    it('the admin issues, rotates and revokes the provider’s own API clients; a secret is shown once and works', async () => {
      const admin = await signIn('admin@cakap.latih.test');
      const issued = await answer(await post(admin, '/provider/credentials', { label: 'sistem akademik' }));
      expect(issued.status).toBe(200);
      const client = issued.body.client as { id: string; secretLast4: string; scopes: string[] };
      const secret = String(issued.body.clientSecret);
      expect(client.scopes).toEqual(['catalog:read', 'catalog:write', 'vouchers:redeem', 'reports:write']);
      const sdk = createLatihClient({ baseUrl: gw.url, clientId: client.id, clientSecret: secret });
      expect((await sdk.auth.whoami.query()).organisationId).toBe(DEMO_PROVIDER_STAFF_ORGANISATION);
      const listed = (await answer(await get(admin, '/provider/credentials'))).body.items as { id: string }[];
      expect(listed.map((c) => c.id)).toContain(client.id);
      expect(JSON.stringify(listed)).not.toContain(secret);

      const rotated = await answer(
        await post(admin, `/provider/credentials/${client.id}/rotate`, { graceHours: 0 }),
      );
      expect(rotated.status).toBe(200);
      const next = rotated.body.client as { id: string };
      const revoked = await answer(
        await post(admin, `/provider/credentials/${next.id}/revoke`, { reason: 'sistem lama dimatikan' }),
      );
      expect((revoked.body as { status: string }).status).toBe('REVOKED');
      // Another organisation's client is not found (not "forbidden": its existence is not told).
      expect(
        await codeOf(
          await post(admin, `/provider/credentials/${gw.demo['platform-a'].clientId}/revoke`, {
            reason: 'bukan milik kami sama sekali',
          }),
        ),
      ).toEqual([404, 'CLIENT_NOT_FOUND']);
      const finance = await signIn('keuangan@cakap.latih.test');
      expect(await codeOf(await get(finance, '/provider/credentials'))).toEqual([403, 'FORBIDDEN_ROLE']);
    });

    if (engine === 'postgres')
      it('two admins demoting each other at once, 10 times over: one wins, the other is refused LAST_ADMIN, never none left', async () => {
        const owner = await signIn('admin@cakap.latih.test');
        for (let round = 0; round < 10; round++) {
          const added = await answer(
            await post(owner, '/provider/staff', {
              email: `kedua${round}@cakap.latih.test`,
              name: 'Kedua',
              role: 'admin',
            }),
          );
          const second = await signIn(`kedua${round}@cakap.latih.test`, String(added.body.password));
          // Now owner and second are the only admins: each demotes the other.
          const [a, b] = await Promise.all([
            post(owner, `/provider/staff/${second.user.id}/role`, { role: 'instructor' }),
            post(second, `/provider/staff/${owner.user.id}/role`, { role: 'instructor' }),
          ]);
          const results = [await codeOf(a), await codeOf(b)].map(([s, c]) => (s === 200 ? 'ok' : String(c)));
          // The loser is refused: LAST_ADMIN when both were admins as they began, FORBIDDEN_ROLE
          // when the winner committed before the loser's request read its (now instructor) role.
          expect(results.filter((r) => r === 'ok')).toHaveLength(1);
          expect(results.filter((r) => r !== 'ok')).toEqual([
            expect.stringMatching(/^(LAST_ADMIN|FORBIDDEN_ROLE)$/),
          ]);
          const admins = await gw.database.db
            .select({ id: schema.staffUsers.id })
            .from(schema.staffUsers)
            .where(eq(schema.staffUsers.role, 'admin'));
          const mine = admins.filter((x) => x.id === owner.user.id || x.id === second.user.id);
          expect(mine).toHaveLength(1);
          // Put the owner back as the only admin for the next round.
          const stillAdmin = mine[0]?.id === owner.user.id ? owner : second;
          if (stillAdmin !== owner)
            expect(
              (await post(second, `/provider/staff/${owner.user.id}/role`, { role: 'admin' })).status,
            ).toBe(200);
          expect((await post(owner, `/provider/staff/${second.user.id}/disable`, {})).status).toBe(200);
        }
      });
  });
}
