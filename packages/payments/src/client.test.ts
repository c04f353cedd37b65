import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPaymentsClient, PaymentsError } from './client';
import { createPaymentsMock } from './mock';
import { verifySignatureHeader } from './signature';

const BASE = 'https://payments.test';
const KEY = 'sk_test_latih';
let clock = Date.parse('2026-11-23T00:00:00Z');
const mock = createPaymentsMock({
  baseUrl: BASE,
  apiKey: KEY,
  latencyMs: [0, 2],
  now: () => clock,
  webhook: { url: 'https://gateway.test/payments/webhook', secret: 'whsec_mock' },
});
const received: { header: string; body: string }[] = [];
const server = setupServer(...mock.handlers);
server.events.on('request:start', async ({ request }) => {
  if (request.url === 'https://gateway.test/payments/webhook') {
    received.push({
      header: request.headers.get('payments-signature') ?? '',
      body: await request.clone().text(),
    });
  }
});

beforeAll(() => server.listen({ onUnhandledRequest: 'bypass' }));
afterEach(() => {
  mock.faults.errorRate = 0;
  mock.faults.timeoutRate = 0;
  mock.faults.down = false;
});
afterAll(() => server.close());

const client = (over: Partial<Parameters<typeof createPaymentsClient>[0]> = {}) =>
  createPaymentsClient({ baseUrl: BASE, apiKey: KEY, sleep: async () => {}, timeoutMs: 200, ...over });

describe('payments client against the msw mock', () => {
  it('connected accounts say what they still need; a payout moves pending → in transit → paid with signed webhooks', async () => {
    const c = client();
    const account = await c.accounts.create({ type: 'provider' }, 'acct-1');
    expect(account).toMatchObject({ status: 'pending', requirements: ['external_account'] });
    await expect(c.payouts.create({ amount: 1000, destination: account.id }, 'po-0')).rejects.toMatchObject({
      status: 400,
      code: 'account_not_ready',
      retryable: false,
    });
    const ready = await c.accounts.update(
      account.id,
      { destination: { kind: 'bank', bankCode: '014', accountNumber: '1234567890', holderName: 'LPK Maju' } },
      'acct-1-bank',
    );
    expect(ready).toMatchObject({ status: 'enabled', requirements: [] });

    const payout = await c.payouts.create({ amount: 1_350_000, destination: account.id }, 'po-1');
    expect(payout.status).toBe('pending');
    clock += 1_000;
    await mock.tick();
    expect((await c.payouts.retrieve(payout.id)).status).toBe('in_transit');
    clock += 2_000;
    await mock.tick();
    expect(await c.payouts.retrieve(payout.id)).toMatchObject({ status: 'paid', failureCode: null });
    const types = received.map((r) => JSON.parse(r.body).type);
    expect(types).toEqual(['payout.updated', 'payout.paid']);
    for (const r of received) {
      expect(() => verifySignatureHeader(r.body, r.header, ['whsec_mock'], { now: clock })).not.toThrow();
    }
  });

  it('scenarios: this account’s payouts fail; another is paid, then returned by the bank', async () => {
    const c = client();
    const bank = { kind: 'bank' as const, bankCode: '008', accountNumber: '99', holderName: 'X' };
    const closed = await c.accounts.create({ type: 'platform', destination: bank }, 'acct-closed');
    const flaky = await c.accounts.create(
      { type: 'platform', destination: { ...bank, accountNumber: '98' } },
      'acct-flaky',
    );
    mock.scenarios.failPayoutsTo.add(closed.id);
    mock.scenarios.paidThenFailed.add(flaky.id);
    const a = await c.payouts.create({ amount: 5000, destination: closed.id }, 'po-a');
    const b = await c.payouts.create({ amount: 5000, destination: flaky.id }, 'po-b');
    for (let i = 0; i < 4; i++) {
      clock += 1_000;
      await mock.tick();
    }
    expect(await c.payouts.retrieve(a.id)).toMatchObject({ status: 'failed', failureCode: 'account_closed' });
    clock += 2_000;
    await mock.tick();
    expect(await c.payouts.retrieve(b.id)).toMatchObject({
      status: 'failed',
      failureCode: 'could_not_process',
    });
  });

  it('the same idempotency key has one effect; with another body it is refused', async () => {
    const c = client();
    const account = await c.accounts.create(
      { type: 'provider', destination: { kind: 'ewallet', provider: 'dana', phone: '081234567890' } },
      'acct-2',
    );
    const before = (await c.balance.retrieve()).available[0]?.amount ?? 0;
    const t1 = await c.transfers.create({ amount: 100_000, destination: account.id }, 'tr-1');
    const t2 = await c.transfers.create({ amount: 100_000, destination: account.id }, 'tr-1');
    expect(t2.id).toBe(t1.id);
    expect((await c.balance.retrieve()).available[0]?.amount).toBe(before - 100_000);
    await expect(c.transfers.create({ amount: 1, destination: account.id }, 'tr-1')).rejects.toMatchObject({
      code: 'idempotency_error',
      retryable: false,
    });
  });

  it('retries 5xx, lost answers and timeouts with the same key: with 30 % of calls failing every transfer happens once', async () => {
    const c = client({ maxRetries: 10 });
    const account = await c.accounts.create(
      {
        type: 'provider',
        destination: { kind: 'bank', bankCode: '002', accountNumber: '1', holderName: 'Y' },
      },
      'acct-3',
    );
    mock.faults.errorRate = 0.2;
    mock.faults.timeoutRate = 0.1;
    const before = mock.state.balance;
    const transfers = [];
    for (let i = 0; i < 40; i++)
      transfers.push(await c.transfers.create({ amount: 1_000, destination: account.id }, `tr-f-${i}`));
    expect(new Set(transfers.map((t) => t.id)).size).toBe(40);
    expect(mock.state.balance).toBe(before - 40_000);
    const posts = mock.state.requests.filter((r) => r === 'POST /v1/transfers').length;
    expect(posts).toBeGreaterThan(40); // some calls were retried
  });

  it('gives up with a typed, retryable error when the provider keeps failing; 4xx are not retried', async () => {
    mock.faults.down = true;
    const c = client({ maxRetries: 2 });
    const seen = mock.state.requests.length;
    const err = await c.accounts.create({ type: 'provider' }, 'acct-down').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PaymentsError);
    expect(err).toMatchObject({ status: 503, code: 'service_unavailable', retryable: true });
    expect(mock.state.requests.length - seen).toBe(3);
    mock.faults.down = false;
    const bad = await client({ apiKey: 'sk_wrong' })
      .balance.retrieve()
      .catch((e: unknown) => e);
    expect(bad).toMatchObject({ status: 401, code: 'authentication_required', retryable: false });
  });
});
