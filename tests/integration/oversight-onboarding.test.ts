import { createSealer, issueClientCredentialsToken, OAuthError, payDue } from '@latih/core';
import { schema } from '@latih/db';
import { asc, eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { engines } from '../support/db';
import { feedsCaughtUp } from '../support/feed-horizon';
import { codeOf, type Harness, useHarness } from '../support/harness';
import { buy, onSale, participants } from '../support/marketplace-fixtures';

const code = (p: Promise<unknown>) =>
  p.then(
    () => 'OK',
    (e: unknown) => codeOf(e) ?? (e instanceof OAuthError ? e.error : String(e)),
  );

const application = {
  legalName: 'PT Cakap Digital Nusantara',
  registrationNumber: '9120001234567',
  taxId: '012345678901000',
  contactEmail: 'kemitraan@cakap.example.id',
  website: 'https://cakap.example.id',
  regencyCode: '31.71',
};

/** Follows the change feed to its end once it serves every write committed so far (feed-horizon.ts). */
async function follow(h: Harness, since?: string) {
  await feedsCaughtUp(h.db);
  const seen: { type: string; courseId: string }[] = [];
  let cursor = since;
  for (;;) {
    const page = await h
      .caller('platformA')
      .platform.catalog.changes({ limit: 50, ...(cursor ? { since: cursor } : {}) });
    for (const c of page.changes) seen.push({ type: c.type, courseId: c.courseId });
    cursor = page.nextCursor;
    if (!page.hasMore) return { seen, cursor };
  }
}

describe.each(engines())('onboarding and suspension on %s', (engine) => {
  const h = useHarness(engine);
  const pmo = () => h.caller('pmo').pmo.organisations;
  const token = (clientId: string, clientSecret: string) =>
    issueClientCredentialsToken({
      db: h.db,
      tokens: h.tokens,
      grantType: 'client_credentials',
      clientId,
      clientSecret,
      scope: undefined,
    });

  it('an application goes ACTIVE only with a complete checklist; each step audited', async () => {
    const app = await pmo().create({ kind: 'PROVIDER', name: 'Cakap Digital', application });
    expect(app).toMatchObject({ status: 'APPLIED', kind: 'PROVIDER', application });
    expect(app.checklist.map((c) => c.checked)).toEqual([false, false, false, false, false]);

    // Credentials for integration testing may be issued, but APPLIED clients get no token.
    const creds = await pmo().credentials.issue({ organisationId: app.id, label: 'sandbox' });
    expect(creds.clientSecret).toMatch(/^lts_/);
    expect(await code(token(creds.client.id, creds.clientSecret))).toBe('unauthorized_client');

    await pmo().checklist({
      id: app.id,
      item: 'LEGAL_ENTITY_VERIFIED',
      checked: true,
      note: 'NIB cocok di OSS',
    });
    expect(await code(pmo().approve({ id: app.id, reason: 'Lolos uji tuntas' }))).toBe(
      'ONBOARDING_CHECKLIST_INCOMPLETE',
    );
    const refused = await pmo()
      .approve({ id: app.id, reason: 'Lolos uji tuntas' })
      .then(
        () => '',
        (e: Error) => e.message,
      );
    expect(refused).toContain('TRAINING_LICENCE_VERIFIED');
    // A platform's item is not on a provider's checklist.
    expect(
      await code(
        pmo().checklist({ id: app.id, item: 'ELECTRONIC_SYSTEM_REGISTRATION_VERIFIED', checked: true }),
      ),
    ).toBe('VALIDATION_FAILED');

    for (const item of [
      'TAX_ID_VERIFIED',
      'TRAINING_LICENCE_VERIFIED',
      'DATA_PROTECTION_AGREEMENT_SIGNED',
      'INTEGRATION_TESTED',
    ] as const)
      await pmo().checklist({ id: app.id, item, checked: true });
    const active = await pmo().approve({ id: app.id, reason: 'Lolos uji tuntas' });
    expect(active.status).toBe('ACTIVE');
    expect(active.checklist.every((c) => c.checked && c.by === h.orgs.pmo.clientId)).toBe(true);
    expect((await token(creds.client.id, creds.clientSecret)).access_token).toBeTruthy();
    expect(await code(pmo().approve({ id: app.id, reason: 'Sekali lagi' }))).toBe('INVALID_STATE');

    const audit = await h.caller('pmo').pmo.audit.list({ entityId: app.id, limit: 50 });
    expect(audit.items.map((a) => a.action).reverse()).toEqual([
      'organisation.applied',
      'organisation.checklist_marked',
      'organisation.checklist_marked',
      'organisation.checklist_marked',
      'organisation.checklist_marked',
      'organisation.checklist_marked',
      'organisation.activated',
    ]);
    expect(audit.items[0]).toMatchObject({ fromState: 'APPLIED', toState: 'ACTIVE' });
  });

  it('a rejected application has its reasons, and its test credentials stop working', async () => {
    const app = await pmo().create({ kind: 'PLATFORM', name: 'Toko Kursus Palsu', application });
    const creds = await pmo().credentials.issue({ organisationId: app.id, label: 'sandbox' });
    const rejected = await pmo().reject({
      id: app.id,
      reasons: ['NIB tidak terdaftar di OSS', 'Situs web tidak aktif'],
    });
    expect(rejected).toMatchObject({
      status: 'REJECTED',
      statusReason: { reasons: ['NIB tidak terdaftar di OSS', 'Situs web tidak aktif'] },
    });
    expect(rejected.clients[0]).toMatchObject({ id: creds.client.id, status: 'REVOKED' });
    expect(await code(token(creds.client.id, creds.clientSecret))).toBe('invalid_client');
    expect(await code(pmo().credentials.issue({ organisationId: app.id, label: 'x' }))).toBe('INVALID_STATE');
    expect(
      await code(pmo().create({ kind: 'PROVIDER', name: 'X', application: { ...application, taxId: '12' } })),
    ).toBe('VALIDATION_FAILED');
  });

  it('rotation keeps the old secret for the grace period; revocation stops it', async () => {
    const org = h.orgs.platformB.organisationId;
    const first = await pmo().credentials.issue({ organisationId: org, label: 'produksi' });
    const rotated = await pmo().credentials.rotate({ clientId: first.client.id, graceHours: 24 });
    expect(rotated.previous.expiresAt).not.toBeNull();
    expect(rotated.client.id).not.toBe(first.client.id);
    // Both work during the grace period.
    expect((await token(first.client.id, first.clientSecret)).access_token).toBeTruthy();
    expect((await token(rotated.client.id, rotated.clientSecret)).access_token).toBeTruthy();
    // Credentials live in real time (as tokens do): a day and an hour later, really.
    h.clock.setReal(new Date(Date.now() + 25 * 3_600_000));
    try {
      expect(await code(token(first.client.id, first.clientSecret))).toBe('invalid_client');
      expect((await token(rotated.client.id, rotated.clientSecret)).access_token).toBeTruthy();
    } finally {
      h.clock.reset();
    }
    const revoked = await pmo().credentials.revoke({
      clientId: rotated.client.id,
      reason: 'Bocor di repositori publik',
    });
    expect(revoked).toMatchObject({ status: 'REVOKED' });
    expect(await code(token(rotated.client.id, rotated.clientSecret))).toBe('invalid_client');
    expect(
      await code(pmo().credentials.revoke({ clientId: rotated.client.id, reason: 'Sekali lagi ya' })),
    ).toBe('INVALID_STATE');
    const audit = await h.caller('pmo').pmo.audit.list({ action: 'client.', limit: 100 });
    expect(audit.items.filter((a) => a.entityId === first.client.id).map((a) => a.action)).toEqual([
      'client.rotated',
      'client.issued',
    ]);
  });

  it('redirect URIs and webhook endpoints are shown with concerns, and can be removed or disabled', async () => {
    const providerB = h.orgs.providerB.organisationId;
    await h.db
      .update(schema.organisations)
      .set({ application })
      .where(eq(schema.organisations.id, providerB));
    await h
      .caller('providerB')
      .provider.redirectUris.register({ uri: 'https://kelas.cakap.example.id/kembali' });
    await h.caller('providerB').provider.redirectUris.register({ uri: 'https://lain.example.com/cb' });
    const { endpoint } = await h
      .caller('providerB')
      .provider.webhooks.create({ url: 'https://93.184.215.14/hooks', eventTypes: ['voucher.redeemed'] });
    const detail = await pmo().get({ id: providerB });
    expect(detail.redirectUris).toEqual([
      expect.objectContaining({ uri: 'https://kelas.cakap.example.id/kembali', concerns: [] }),
      expect.objectContaining({ uri: 'https://lain.example.com/cb', concerns: ['OUTSIDE_WEBSITE_DOMAIN'] }),
    ]);
    expect(detail.webhookEndpoints[0]?.concerns).toEqual(['IP_ADDRESS_HOST', 'OUTSIDE_WEBSITE_DOMAIN']);

    const after = await pmo().removeRedirectUri({
      id: providerB,
      uri: 'https://lain.example.com/cb',
      reason: 'Domain bukan milik lembaga',
    });
    expect(after.redirectUris.map((u) => u.uri)).toEqual(['https://kelas.cakap.example.id/kembali']);
    expect(
      await code(
        pmo().removeRedirectUri({ id: providerB, uri: 'https://lain.example.com/cb', reason: 'Dua kali' }),
      ),
    ).toBe('REDIRECT_URI_NOT_FOUND');
    const disabled = await pmo().disableWebhookEndpoint({
      endpointId: endpoint.id,
      reason: 'Alamat IP langsung',
    });
    expect(disabled.webhookEndpoints[0]?.status).toBe('DISABLED');
    const events = await h.db.select().from(schema.events).where(eq(schema.events.entityId, endpoint.id));
    expect(events.map((e) => [e.type, e.organisationId])).toEqual([['webhook_endpoint.disabled', providerB]]);
  });

  it('a suspended provider leaves the feed, cannot redeem, and its settlements are held; reinstated, all resume', async () => {
    const { course, run } = await onSale(h);
    const [p1, p2] = await participants(h, 2);
    const v1 = await buy(h, p1?.cardNumber ?? '', course.id, run.id);
    const v2 = await buy(h, p2?.cardNumber ?? '', course.id, run.id);
    const start = (await follow(h)).cursor;
    const provider = h.orgs.providerA.organisationId;

    await pmo().suspend({ id: provider, reason: 'Dugaan kehadiran fiktif' });
    const feed = await follow(h, start);
    expect(feed.seen).toContainEqual({ type: 'TOMBSTONE', courseId: course.id });
    expect(await code(h.caller('platformA').platform.catalog.get({ id: course.id }))).toBe('NOT_FOUND');

    // The token still works for reading; redeeming is refused with the code, and nothing is written.
    const runRow = await h.caller('providerA').provider.runs.get({ id: run.id });
    h.clock.set(new Date(new Date(runRow.sessions[0]?.startsAt ?? 0).getTime() - 10 * 60_000));
    try {
      expect(
        await code(
          h
            .caller('providerA')
            .provider.vouchers.redeem({ code: v1.code, courseId: course.id, runId: run.id }),
        ),
      ).toBe('ORGANISATION_SUSPENDED');
      const bulk = await h
        .caller('providerA')
        .provider.vouchers.redeemBulk({ courseId: course.id, runId: run.id, codes: [v2.code] });
      expect(bulk.results[0]?.error?.code).toBe('ORGANISATION_SUSPENDED');
      const [v] = await h.db.select().from(schema.vouchers).where(eq(schema.vouchers.id, v1.voucher.id));
      expect(v?.status).toBe('ISSUED');

      // A PENDING settlement of the suspended provider is held by the payout worker.
      const stl = `stl_${'0'.repeat(20)}held01`;
      await h.db.insert(schema.settlements).values({
        id: stl,
        organisationId: provider,
        role: 'PROVIDER',
        batchDate: '2026-01-02',
        amount: 0,
        itemCount: 0,
        status: 'PENDING',
        nextAttemptAt: new Date(0),
        createdAt: new Date(),
        updatedAt: new Date(),
      });
      const seen: string[] = [];
      const payments = new Proxy({}, { get: () => () => seen.push('called') }) as never;
      await payDue({ db: h.db, payments, sealer: createSealer(Buffer.alloc(32, 1), 'x'), now: new Date() });
      expect(seen).toEqual([]);
      const [held] = await h.db.select().from(schema.settlements).where(eq(schema.settlements.id, stl));
      expect(held).toMatchObject({ status: 'PENDING', leaseUntil: null });
      await h.db.execute(sql`delete from settlements where id = ${stl}`);

      await pmo().reinstate({ id: provider, reason: 'Klarifikasi diterima' });
      const back = await follow(h, feed.cursor);
      expect(back.seen).toContainEqual({ type: 'UPSERT', courseId: course.id });
      const enr = await h
        .caller('providerA')
        .provider.vouchers.redeem({ code: v1.code, courseId: course.id, runId: run.id });
      expect(enr.status).toBe('IN_TRAINING');
    } finally {
      h.clock.reset();
    }
    const events = await h.db
      .select()
      .from(schema.events)
      .where(eq(schema.events.entityId, provider))
      .orderBy(asc(schema.events.seq));
    expect(events.map((e) => e.type)).toEqual(['organisation.suspended', 'organisation.reinstated']);
    expect(await code(pmo().reinstate({ id: provider, reason: 'Belum ditangguhkan' }))).toBe('INVALID_STATE');
  });

  it('a suspended platform cannot sell', async () => {
    const { course } = await onSale(h);
    const [p] = await participants(h, 1);
    await pmo().suspend({
      id: h.orgs.platformA.organisationId,
      reason: 'Penjualan tanpa persetujuan peserta',
    });
    try {
      expect(
        await code(
          h
            .caller('platformA')
            .platform.checkout.create({ cardNumber: p?.cardNumber ?? '', courseId: course.id }),
        ),
      ).toBe('ORGANISATION_SUSPENDED');
    } finally {
      await pmo().reinstate({ id: h.orgs.platformA.organisationId, reason: 'Perbaikan proses diterima' });
    }
  });

  it('is for the PMO only', async () => {
    expect(
      await code(h.caller('providerA').pmo.organisations.get({ id: h.orgs.providerA.organisationId })),
    ).toBe('FORBIDDEN_ROLE');
    expect(await code(h.caller('providerA').pmo.audit.list({}))).toBe('FORBIDDEN_ROLE');
  });
});
