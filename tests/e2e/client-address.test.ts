import { schema } from '@latih/db';
import { advanceSandboxClock, createLatihClient } from '@latih/sdk';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway } from '../support/gateway';

/*
 * The participant's address behind a load balancer: the identity-check page records the address
 * TRUST_PROXY resolves from X-Forwarded-For (the default trusts a loopback peer, as these requests
 * come from one), never the balancer's own, and never an address a client wrote to the left of
 * what the trusted proxy appended. The access log says the same address.
 */
describe('the client address on a real gateway (TRUST_PROXY=loopback, the default)', () => {
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  beforeAll(async () => {
    gw = await startTestGateway({ sandbox: { jobIntervals: { 'webhooks.deliver': 200 } } });
  }, 60_000);
  afterAll(async () => {
    await gw?.close();
  });

  it('the identity-check answer is recorded with the X-Forwarded-For client, not the proxy or a spoofed entry', async () => {
    const as = (key: keyof typeof gw.demo) =>
      createLatihClient({
        baseUrl: gw.url,
        clientId: gw.demo[key].clientId,
        clientSecret: gw.demo[key].clientSecret,
      });
    const platform = as('platform-a');
    const provider = as('provider-a');
    // A participant buys the demo webinar; the provider redeems at the door and sends them to the check.
    const webinar = (await platform.platform.catalog.list.query({ mode: 'WEBINAR', limit: 50 })).items.find(
      (c) => c.title === 'Fotografi Produk untuk Pemula',
    );
    const run = webinar?.runs[0];
    if (!webinar || !run) throw new Error('the demo webinar is not on sale');
    const checkout = await platform.platform.checkout.create.mutate({
      cardNumber: '5101000000000004',
      courseId: webinar.id,
      runId: run.id,
    });
    const { code: otp } = (await (await fetch(`${gw.url}/dev/otp/${checkout.id}`)).json()) as {
      code: string;
    };
    const bought = await platform.platform.checkout.confirm.mutate({ id: checkout.id, code: otp });
    const check = await provider.provider.vouchers.check.mutate({ code: bought.code });
    if (check.window.opensAt) await advanceSandboxClock(provider, { to: new Date(check.window.opensAt) });
    const enrollment = await provider.provider.vouchers.redeem.mutate({
      code: bought.code,
      courseId: webinar.id,
      runId: run.id,
    });
    await provider.provider.redirectUris.register.mutate({ uri: 'https://lms.example.id/return' });
    // The session opens half an hour before it starts: the check is for a class under way.
    await advanceSandboxClock(provider, { to: new Date(Date.parse(run.startsAt) - 20 * 60_000) });
    const { url } = await provider.provider.attendance.verificationLink.mutate({
      enrollmentId: enrollment.id,
      sequence: 1,
      redirectUri: 'https://lms.example.id/return',
      state: 'client-address-1',
    });

    // The balancer appends the participant's address; a client's own entry to its left is ignored.
    const answer = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-forwarded-for': '6.6.6.6, 36.84.1.2',
      },
      body: 'decision=CONFIRMED',
      redirect: 'manual',
    });
    expect(answer.status).toBe(303);
    const [row] = await gw.database.db
      .select()
      .from(schema.attendance)
      .where(and(eq(schema.attendance.enrollmentId, enrollment.id), eq(schema.attendance.sequence, 1)));
    expect(row).toMatchObject({ method: 'FACE_MATCH', status: 'CONFIRMED', ip: '36.84.1.2' });
    const logged = gw.lines.filter(
      (l) => l.msg === 'request' && l.method === 'POST' && String(l.path).startsWith('/identity-check/'),
    );
    expect(logged.map((l) => l.ip)).toEqual(['36.84.1.2']);
    // Without the header the peer itself: a loopback client, written as IPv4.
    const direct = await fetch(`${gw.url}/healthz`);
    expect(direct.status).toBe(200);
    const health = gw.lines.filter((l) => l.msg === 'request' && l.path === '/healthz').at(-1);
    expect(health?.ip).toBe('127.0.0.1');
  });
});
