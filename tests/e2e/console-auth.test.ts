import { DEMO_STAFF_PASSWORD } from '@latih/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway } from '../support/gateway';

/** Console staff over HTTP: the cookie session, CSRF, roles on the server, lockout, sign-out. */
describe('console staff sign-in over HTTP', () => {
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw?.close();
  });

  const signIn = (email: string, password = DEMO_STAFF_PASSWORD) =>
    fetch(`${gw.url}/console/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
  async function session(email: string) {
    const res = await signIn(email);
    expect(res.status).toBe(200);
    const setCookie = res.headers.get('set-cookie') ?? '';
    const body = (await res.json()) as { csrfToken: string; user: { id: string; role: string } };
    return { cookie: setCookie.split(';')[0] ?? '', setCookie, ...body };
  }
  const codeOf = async (res: Response) => [res.status, ((await res.json()) as { code: string }).code];

  it('signs in with an httpOnly, SameSite=Strict cookie; reads with it; changes only with the CSRF token', async () => {
    const s = await session('Reviewer@Latih.test');
    expect(s.user.role).toBe('reviewer');
    expect(s.setCookie).toMatch(
      /^latih_console_session=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/; Max-Age=43200$/,
    );

    const me = await fetch(`${gw.url}/console/api/session`, { headers: { cookie: s.cookie } });
    expect(((await me.json()) as { csrfToken: string }).csrfToken).toBe(s.csrfToken);
    const list = await fetch(`${gw.url}/v1/pmo/organisations`, { headers: { cookie: s.cookie } });
    expect(list.status).toBe(200);

    const detect = (headers: Record<string, string>) =>
      fetch(`${gw.url}/v1/pmo/signals/detect`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie: s.cookie, ...headers },
        body: '{}',
      });
    expect(await codeOf(await detect({}))).toEqual([403, 'CSRF_INVALID']);
    // Another token of the same length (its last character changed, never to itself).
    const forged = `${s.csrfToken.slice(0, -1)}${s.csrfToken.endsWith('A') ? 'B' : 'A'}`;
    expect(await codeOf(await detect({ 'x-csrf-token': forged }))).toEqual([403, 'CSRF_INVALID']);
    expect((await detect({ 'x-csrf-token': s.csrfToken })).status).toBe(200);

    // The same over tRPC, as the console calls it.
    const trpc = await fetch(`${gw.url}/trpc/pmo.signals.detect`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: s.cookie },
      body: '{}',
    });
    expect(trpc.status).toBe(403);
    // A staff session is PMO only: provider procedures are refused.
    expect(
      await codeOf(await fetch(`${gw.url}/v1/provider/courses`, { headers: { cookie: s.cookie } })),
    ).toEqual([403, 'FORBIDDEN_ROLE']);
  });

  it('roles limit changes on the server: a reviewer cannot pay, finance cannot curate, an admin can onboard', async () => {
    const reviewer = await session('reviewer@latih.test');
    const finance = await session('finance@latih.test');
    const admin = await session('admin@latih.test');
    const post = (s: typeof admin, path: string, body: unknown) =>
      fetch(`${gw.url}/v1${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie: s.cookie, 'x-csrf-token': s.csrfToken },
        body: JSON.stringify(body),
      });
    const [status, code] = await codeOf(await post(reviewer, '/pmo/settlements/run', {}));
    expect([status, code]).toEqual([403, 'FORBIDDEN_ROLE']);
    expect(
      await codeOf(
        await post(finance, '/pmo/cases', {
          subjectType: 'PROVIDER',
          subjectId: gw.demo['provider-a'].id,
          summary: 'Uji peran keuangan',
        }),
      ),
    ).toEqual([403, 'FORBIDDEN_ROLE']);
    expect(await codeOf(await post(reviewer, '/pmo/organisations', {}))).toEqual([403, 'FORBIDDEN_ROLE']);
    const opened = await post(reviewer, '/pmo/cases', {
      subjectType: 'PROVIDER',
      subjectId: gw.demo['provider-a'].id,
      summary: 'Dibuka oleh peninjau',
    });
    expect(opened.status).toBe(200);
    const applied = await post(admin, '/pmo/organisations', {
      kind: 'PLATFORM',
      name: 'Toko Kursus Baru',
      application: {
        legalName: 'PT Toko Kursus Baru',
        registrationNumber: '9120001112223',
        taxId: '011122233344000',
        contactEmail: 'halo@tokokursus.example.id',
        website: 'https://tokokursus.example.id',
      },
    });
    expect(applied.status).toBe(200);

    // The audit log names the staff member, not a shared client.
    const audit = await fetch(`${gw.url}/v1/pmo/audit?action=control_case.opened`, {
      headers: { cookie: admin.cookie },
    });
    const rows = (
      (await audit.json()) as { items: Array<{ actorClientId: string; actorOrganisationId: string }> }
    ).items;
    expect(rows[0]).toMatchObject({ actorClientId: reviewer.user.id, actorOrganisationId: gw.demo.pmo.id });
  });

  it('a wrong password is refused; five in a row lock the account; sign-out ends the session', async () => {
    expect(await codeOf(await signIn('finance@latih.test', 'salah'))).toEqual([401, 'STAFF_SIGN_IN_FAILED']);
    expect(await codeOf(await signIn('nobody@latih.test', 'salah'))).toEqual([401, 'STAFF_SIGN_IN_FAILED']);
    const live = await session('finance@latih.test'); // a right password resets the count
    for (let i = 0; i < 5; i++) expect((await signIn('finance@latih.test', `salah-${i}`)).status).toBe(401);
    const locked = await signIn('finance@latih.test');
    expect(await codeOf(locked)).toEqual([429, 'STAFF_LOCKED']);
    expect(locked.headers.get('retry-after')).toBe('900');
    // A session opened before the lock goes on until signed out.
    const out = await fetch(`${gw.url}/console/api/session`, {
      method: 'DELETE',
      headers: { cookie: live.cookie, 'x-csrf-token': live.csrfToken },
    });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toContain('Max-Age=0');
    expect(
      await codeOf(await fetch(`${gw.url}/v1/pmo/organisations`, { headers: { cookie: live.cookie } })),
    ).toEqual([401, 'SESSION_INVALID']);
    expect(
      await codeOf(
        await fetch(`${gw.url}/console/api/session`, { headers: { cookie: 'latih_console_session=forged' } }),
      ),
    ).toEqual([401, 'SESSION_INVALID']);
  });
});
