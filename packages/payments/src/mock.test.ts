import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { delay, HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPaymentsClient } from './client';
import { createPaymentsMock, type PaymentsMockOptions } from './mock';
import { verifySignatureHeader } from './signature';

/**
 * The mock's webhooks as Stripe sends them: an event not answered 2xx is tried again with an
 * exponential backoff until it is (or until the provider gives up), each attempt signed afresh,
 * and recorded. The clock is the mock's own, so the schedule is asserted exactly, not timed.
 */
const BASE = 'https://payments.retry.test';
const HOOK = 'https://gateway.retry.test/payments/webhook';
const SECRET = 'whsec_retry_0123456789';
const T0 = Date.parse('2026-11-23T00:00:00Z');

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'bypass' }));
afterAll(() => server.close());

type Answer = number | 'network' | 'hang';

/** A mock whose webhook receiver answers `answers` in turn (then 200), with a clock the test moves. */
function provider(answers: Answer[], over: Partial<PaymentsMockOptions> = {}) {
  const clock = { t: T0 };
  const mock = createPaymentsMock({
    baseUrl: BASE,
    apiKey: 'sk_test_retry',
    latencyMs: [0, 0],
    now: () => clock.t,
    webhook: { url: HOOK, secret: SECRET },
    // Only pending → in_transit happens within these tests: one event each.
    settleMs: { pending: 1_000, inTransit: 1e12 },
    webhookRetry: { firstDelayMs: 1_000, maxDelayMs: 4_000, giveUpAfterMs: 60_000, timeoutMs: 100 },
    ...over,
  });
  const received: { body: string; signature: string; at: number }[] = [];
  const queue = [...answers];
  server.resetHandlers(
    ...mock.handlers,
    http.post(HOOK, async ({ request }) => {
      received.push({
        body: await request.text(),
        signature: request.headers.get('payments-signature') ?? '',
        at: clock.t,
      });
      const answer = queue.shift() ?? 200;
      if (answer === 'network') return HttpResponse.error();
      if (answer === 'hang') await delay('infinite');
      if (answer === 302) return new HttpResponse(null, { status: 302, headers: { location: HOOK } });
      return HttpResponse.json({}, { status: answer as number });
    }),
  );
  const client = createPaymentsClient({ baseUrl: BASE, apiKey: 'sk_test_retry', sleep: async () => {} });
  /** One payout, moved to in transit at T0 + 1 s: its `payout.updated` event is the one sent. */
  async function aPayout() {
    const account = await client.accounts.create(
      {
        type: 'provider',
        destination: { kind: 'bank', bankCode: '009', accountNumber: '1', holderName: 'A' },
      },
      `acct-${Math.random()}`,
    );
    const payout = await client.payouts.create(
      { amount: 10_000, destination: account.id },
      `po-${Math.random()}`,
    );
    clock.t += 1_000;
    return payout;
  }
  const at = async (t: number) => {
    clock.t = t;
    await mock.tick();
  };
  return { mock, client, clock, received, aPayout, at };
}

describe('the payment mock retries its webhooks', () => {
  it('tries again after 1, 2, 4, 4 s (capped) until answered 2xx; 5xx, a redirect, no connection and no answer all count as failures', async () => {
    const p = provider([503, 500, 302, 'network', 'hang']);
    const payout = await p.aPayout();
    const t1 = p.clock.t;
    await p.at(t1);
    await p.at(t1 + 999); // not due yet
    for (const t of [1_000, 3_000, 7_000, 11_000, 15_000]) {
      await p.at(t1 + t - 1);
      await p.at(t1 + t);
    }
    await p.at(t1 + 60_000); // delivered: never sent again
    const [event] = p.mock.state.events;
    expect(p.mock.state.events).toHaveLength(1);
    expect(p.mock.state.attempts.map((a) => [a.attempt, a.at - t1, a.status, a.error, a.delivered])).toEqual([
      [1, 0, 503, null, false],
      [2, 1_000, 500, null, false],
      [3, 3_000, 302, null, false],
      [4, 7_000, null, expect.any(String), false],
      [5, 11_000, null, 'timeout', false],
      [6, 15_000, 200, null, true],
    ]);
    expect(p.mock.state.deliveries.get(event?.id ?? '')).toMatchObject({
      state: 'delivered',
      attempts: 6,
      nextAttemptAt: null,
      payoutId: payout.id,
      type: 'payout.updated',
    });
    // The same event each time, signed afresh with the time of its attempt (a replay check passes days later).
    expect(new Set(p.received.map((r) => JSON.parse(r.body).id))).toEqual(new Set([event?.id]));
    for (const r of p.received)
      expect(
        verifySignatureHeader(r.body, r.signature, [SECRET], { now: r.at, toleranceSeconds: 0 }),
      ).toEqual({
        timestamp: Math.floor(r.at / 1000),
      });
  });

  it('gives up once the next attempt would fall after giveUpAfterMs', async () => {
    const p = provider(Array(20).fill(503), {
      webhookRetry: { firstDelayMs: 1_000, maxDelayMs: 4_000, giveUpAfterMs: 10_000, timeoutMs: 100 },
    });
    await p.aPayout();
    const t1 = p.clock.t;
    for (let t = 0; t <= 30_000; t += 500) await p.at(t1 + t);
    expect(p.mock.state.attempts.map((a) => a.at - t1)).toEqual([0, 1_000, 3_000, 7_000]);
    expect([...p.mock.state.deliveries.values()].map((d) => d.state)).toEqual(['gave_up']);
  });

  it('a receiver that refuses connections, then comes back on its port, gets the event once', async () => {
    const hits: string[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        hits.push(body);
        res.end('{}');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const { port } = receiver.address() as AddressInfo;
    await new Promise<void>((r) => receiver.close(() => r()));
    const p = provider([], { webhook: { url: `http://127.0.0.1:${port}/payments/webhook`, secret: SECRET } });
    await p.aPayout();
    const t1 = p.clock.t;
    await p.at(t1);
    await p.at(t1 + 1_000);
    expect(p.mock.state.attempts.map((a) => [a.status, a.error])).toEqual([
      [null, 'ECONNREFUSED'],
      [null, 'ECONNREFUSED'],
    ]);
    await new Promise<void>((r) => receiver.listen(port, '127.0.0.1', r));
    try {
      await p.at(t1 + 3_000);
      await p.at(t1 + 60_000);
      expect(hits.map((b) => JSON.parse(b).id)).toEqual([p.mock.state.events[0]?.id]);
      expect(p.mock.state.attempts.map((a) => a.status)).toEqual([null, null, 200]);
    } finally {
      await new Promise<void>((r) => receiver.close(() => r()));
    }
  });

  it('dropWebhooks: the event is recorded but never sent, while the payout itself can be read', async () => {
    const p = provider([]);
    p.mock.faults.dropWebhooks = true;
    const payout = await p.aPayout();
    for (let t = 0; t <= 60_000; t += 5_000) await p.at(p.clock.t + t);
    expect(p.mock.state.events.map((e) => e.type)).toEqual(['payout.updated']);
    expect([...p.mock.state.deliveries.values()].map((d) => [d.state, d.attempts])).toEqual([['dropped', 0]]);
    expect(p.mock.state.attempts).toEqual([]);
    expect(p.received).toEqual([]);
    expect((await p.client.payouts.retrieve(payout.id)).status).toBe('in_transit');
    // Events after the fault is lifted are sent again.
    p.mock.faults.dropWebhooks = false;
    await p.client.payouts.create({ amount: 1, destination: payout.destination }, 'po-after');
    await p.at(p.clock.t + 1_000);
    expect(p.received.map((r) => JSON.parse(r.body).type)).toEqual(['payout.updated']);
  });

  it('overlapping ticks (a slow receiver) send an event once', async () => {
    const p = provider(['hang']);
    await p.aPayout();
    const t1 = p.clock.t;
    p.clock.t = t1;
    await Promise.all([p.mock.tick(), p.mock.tick(), p.mock.tick()]);
    expect(p.received).toHaveLength(1);
    expect(p.mock.state.attempts.map((a) => a.error)).toEqual(['timeout']);
  });

  it('a tick that starts while another is still sending sends none of the first tick’s events again', async () => {
    // Two events due at once; the receiver hangs on the first, and a second tick starts meanwhile.
    const p = provider(['hang']);
    await p.aPayout();
    p.clock.t -= 1_000;
    await p.aPayout();
    const first = p.mock.tick();
    while (p.received.length === 0) await new Promise((r) => setTimeout(r, 1));
    await p.mock.tick();
    await first;
    // The hung one (timed out, due again later) and the second, once: not also by the second tick.
    expect(p.received).toHaveLength(2);
    expect(new Set(p.received.map((r) => JSON.parse(r.body).id)).size).toBe(2);
    expect(p.mock.state.attempts.map((a) => a.error)).toEqual(['timeout', null]);
  });

  it('the clock can be moved forward (a test clock), never back', async () => {
    const p = provider([]);
    const payout = await p.aPayout();
    p.clock.t -= 1_000;
    await p.mock.tick();
    expect((await p.client.payouts.retrieve(payout.id)).status).toBe('pending');
    p.mock.advanceClock(1_000);
    await p.mock.tick();
    expect((await p.client.payouts.retrieve(payout.id)).status).toBe('in_transit');
    expect(() => p.mock.advanceClock(-1)).toThrow(RangeError);
  });
});
