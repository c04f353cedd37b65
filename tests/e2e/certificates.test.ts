import { rememberCertificateKey } from '@latih/db';
import { createLatihClient } from '@latih/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway } from '../support/gateway';

describe('certificate pages and the JWKS over HTTP', () => {
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  const shift = { ms: 0 };
  let number = '';
  let participantName = '';
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
