import { rememberCertificateKey } from '@latih/db';
import { createLatihClient, fetchPassportMaterial, verifyPassport } from '@latih/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway } from '../support/gateway';

describe('certificate pages and the JWKS over HTTP', () => {
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  const shift = { ms: 0 };
  let number = '';
  let participantName = '';
  let voucherId = '';
  beforeAll(async () => {
    gw = await startTestGateway({ now: () => Date.now() + shift.ms });
    const client = (key: 'platform-a' | 'provider-a') =>
      createLatihClient({
        baseUrl: gw.url,
        clientId: gw.demo[key].clientId,
        clientSecret: gw.demo[key].clientSecret,
      });
    const platform = client('platform-a');
    const offer = (await platform.platform.catalog.list.query({ mode: 'WEBINAR' })).items[0];
    const run = offer?.runs[0];
    if (!offer || !run) throw new Error('the demo webinar is not on sale');
    const checkout = await platform.platform.checkout.create.mutate({
      cardNumber: '5101000000000001',
      courseId: offer.id,
      runId: run.id,
    });
    const { code } = (await (await fetch(`${gw.url}/dev/otp/${checkout.id}`)).json()) as { code: string };
    const bought = await platform.platform.checkout.confirm.mutate({ id: checkout.id, code });
    voucherId = bought.voucher.id;
    shift.ms = Date.parse(run.startsAt) - 5 * 60_000 - Date.now();
    const p = client('provider-a').provider;
    const enrollment = await p.vouchers.redeem.mutate({
      code: bought.code,
      courseId: offer.id,
      runId: run.id,
    });
    participantName = enrollment.participant.name;
    const sessions = (await p.runs.get.query({ id: run.id })).sessions;
    // Attendance is recorded once sessions have opened: five minutes into the last one.
    shift.ms = Date.parse(sessions.at(-1)?.startsAt ?? '') + 5 * 60_000 - Date.now();
    await p.attendance.recordBulk.mutate({
      items: sessions.map((s) => ({
        enrollmentId: enrollment.id,
        sequence: s.sequence,
        status: 'CONFIRMED',
        method: 'MANUAL',
      })),
    });
    await p.assignments.submit.mutate({
      enrollmentId: enrollment.id,
      url: 'https://drive.example.id/t.mp4',
      contentHash: `sha256:${'b'.repeat(64)}`,
    });
    await p.postTests.record.mutate({ enrollmentId: enrollment.id, score: 90 });
    number =
      (await p.completions.report.mutate({ enrollmentId: enrollment.id, outcome: 'COMPLETED' }))
        .certificateNumber ?? '';
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('REST: a passport made with POST /v1/platform/passports verifies against the JWKS and GET /v1/public/credentials/status/1', async () => {
    const token = (await (
      await fetch(`${gw.url}/v1/oauth/token`, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: gw.demo['platform-a'].clientId,
          client_secret: gw.demo['platform-a'].clientSecret,
        }),
      })
    ).json()) as { access_token: string };
    const made = await fetch(`${gw.url}/v1/platform/passports`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token.access_token}`,
        'content-type': 'application/json',
        'idempotency-key': crypto.randomUUID(),
      },
      body: JSON.stringify({ voucherId }),
    });
    expect(made.status).toBe(200);
    const passport = (await made.json()) as { certificates: { number: string }[]; presentation: object };
    expect(passport.certificates.map((c) => c.number)).toEqual([number]);
    expect(JSON.stringify(passport.presentation)).toContain(`${gw.url}/v1/public/credentials/status/1`);

    const list = await fetch(`${gw.url}/v1/public/credentials/status/1`);
    expect(list.status).toBe(200);
    expect(list.headers.get('content-type')).toContain('application/json');
    expect(list.headers.get('cache-control')).toBe('public, max-age=60');
    const material = await fetchPassportMaterial({
      baseUrl: gw.url,
      documents: [passport.presentation as never],
    });
    expect(material.statusLists).toHaveLength(1);
    // The gateway's clock is shifted to the class: judge at its time.
    const result = await verifyPassport(passport.presentation as never, {
      ...material,
      now: new Date(Date.now() + shift.ms),
    });
    expect(result).toMatchObject({ valid: true, certificates: [{ number, status: 'VALID' }] });

    const missing = await fetch(`${gw.url}/v1/public/credentials/status/7`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { code: string }).code).toBe('STATUS_LIST_NOT_FOUND');
    const zero = await fetch(`${gw.url}/v1/public/credentials/status/0`);
    expect(zero.status).toBe(400);
    expect(((await zero.json()) as { code: string }).code).toBe('VALIDATION_FAILED');
  });

  it('/verify/:number shows the certificate with the name masked; revocation shows with its reason', async () => {
    const res = await fetch(`${gw.url}/verify/${number.toLowerCase()}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const html = await res.text();
    expect(html).toContain('Sertifikat sah');
    expect(html).toContain(number);
    expect(html).toContain('Fotografi Produk untuk Pemula');
    expect(html).not.toContain(participantName);
    expect(html).toContain(`${participantName.charAt(0)}***`);

    const pmo = createLatihClient({
      baseUrl: gw.url,
      clientId: gw.demo.pmo.clientId,
      clientSecret: gw.demo.pmo.clientSecret,
    });
    await pmo.pmo.certificates.revoke.mutate({ number, reason: 'Tugas <script>alert(1)</script> plagiat' });
    const after = await (await fetch(`${gw.url}/verify/${number}`)).text();
    expect(after).toContain('Sertifikat dicabut');
    expect(after).toContain('Tugas &lt;script&gt;alert(1)&lt;/script&gt; plagiat');
    expect(after).not.toContain('<script>');

    const rest = await fetch(`${gw.url}/v1/public/certificates/${number}`);
    expect(await rest.json()).toMatchObject({ number, status: 'REVOKED' });
    const missing = await fetch(`${gw.url}/verify/LTH-2026-0000-0000-0000`);
    expect(missing.status).toBe(404);
    const restMissing = await fetch(`${gw.url}/v1/public/certificates/LTH-2026-0000-0000-0000`);
    expect([404, 422]).toContain(restMissing.status);
    expect(((await restMissing.json()) as { code: string }).code).toMatch(
      /CERTIFICATE_NOT_FOUND|CODE_MALFORMED/,
    );
  });

  it('the JWKS keeps publishing every key that signed a certificate, beside the token keys', async () => {
    const before = (await (await fetch(`${gw.url}/.well-known/jwks.json`)).json()) as {
      keys: { kid: string }[];
    };
    const tokenKids = before.keys.map((k) => k.kid);
    await rememberCertificateKey(gw.database.db, 'key_retired_for_tokens', {
      kty: 'EC',
      crv: 'P-256',
      x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
      y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
      kid: 'key_retired_for_tokens',
      use: 'sig',
      alg: 'ES256',
    });
    const after = (await (await fetch(`${gw.url}/.well-known/jwks.json`)).json()) as {
      keys: { kid: string }[];
    };
    expect(after.keys.map((k) => k.kid)).toEqual([...tokenKids, 'key_retired_for_tokens']);
  });
});
