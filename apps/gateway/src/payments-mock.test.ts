import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createPaymentsClient, PaymentsError, verifySignatureHeader } from '@latih/payments';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnv } from './env';

/**
 * `npm run payments:mock` as a developer runs it: a separate process on a real port, answering the
 * provider's API with its key, settling payouts on its timer, POSTing signed webhooks to the URL
 * it was given (and retrying the ones refused), and taking development controls.
 */
const SCRIPT = fileURLToPath(new URL('./payments-mock.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

function run(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => {
    out += c;
  });
  child.stderr.on('data', (c) => {
    err += c;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, out: () => out, err: () => err };
}

async function until<T>(what: string, probe: () => T | Promise<T>, tries = 400): Promise<NonNullable<T>> {
  for (let i = 0; i < tries; i++) {
    const v = await probe();
    if (v) return v as NonNullable<T>;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe('npm run payments:mock', () => {
  let receiver: Server;
  const hooks: { body: string; signature: string }[] = [];
  let refuseFirst = true;
  let proc: ReturnType<typeof run>;
  let child: ChildProcess;
  let printed: Record<string, string> = {};

  beforeAll(async () => {
    // The gateway's webhook route, played by a plain server: the first POST is refused (503).
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        if (refuseFirst) {
          refuseFirst = false;
          res.writeHead(503).end();
          return;
        }
        hooks.push({ body, signature: String(req.headers['payments-signature'] ?? '') });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    proc = run({
      PORT: '0',
      PAYMENTS_WEBHOOK_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/payments/webhook`,
      PAYMENTS_API_KEY: 'sk_test_standalone_0001',
      PAYMENTS_WEBHOOK_SECRET: 'whsec_standalone_0123456789',
      PAYMENTS_MOCK_TICK_MS: '20',
      PAYMENTS_MOCK_SETTLE_MS: '50',
      PAYMENTS_MOCK_RETRY_FIRST_MS: '50',
    });
    child = proc.child;
    await until(
      'the printed settings',
      () => /PAYMENTS_WEBHOOK_SECRET=/.test(proc.out()) || proc.child.exitCode !== null,
    );
    printed = Object.fromEntries(
      [...proc.out().matchAll(/^\s+(PAYMENTS_[A-Z_]+)=(\S+)$/gm)].map((m) => [
        m[1] as string,
        m[2] as string,
      ]),
    );
  }, 30_000);

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGTERM');
    await new Promise<void>((r) => receiver.close(() => r()));
  });

  it('prints what to set on the gateway, and the gateway accepts it outside production', () => {
    expect(printed).toEqual({
      PAYMENTS_BASE_URL: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      PAYMENTS_API_KEY: 'sk_test_standalone_0001',
      PAYMENTS_WEBHOOK_SECRET: 'whsec_standalone_0123456789',
    });
    expect(parseEnv({ ...printed }).payments).toEqual({
      baseUrl: printed.PAYMENTS_BASE_URL,
      apiKey: printed.PAYMENTS_API_KEY,
      webhookSecret: printed.PAYMENTS_WEBHOOK_SECRET,
    });
    // The port the development docs name.
    expect(parseEnv({ ...printed, PAYMENTS_BASE_URL: 'http://127.0.0.1:4010' }).payments?.baseUrl).toBe(
      'http://127.0.0.1:4010',
    );
  });

  it('answers the provider API over HTTP with its key (401 without), settles a payout and delivers its webhooks, retrying a refused one', async () => {
    const base = printed.PAYMENTS_BASE_URL ?? '';
    const client = createPaymentsClient({ baseUrl: base, apiKey: 'sk_test_standalone_0001', maxRetries: 0 });
    const stranger = createPaymentsClient({ baseUrl: base, apiKey: 'sk_test_someone_else', maxRetries: 0 });
    const refused = await stranger.balance.retrieve().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PaymentsError);
    expect(refused).toMatchObject({ status: 401, code: 'authentication_required' });

    const account = await client.accounts.create(
      {
        type: 'provider',
        destination: { kind: 'bank', bankCode: '009', accountNumber: '42', holderName: 'LPK' },
      },
      'acct-standalone',
    );
    expect(await client.accounts.retrieve(account.id)).toMatchObject({ id: account.id, status: 'enabled' });
    const payout = await client.payouts.create({ amount: 250_000, destination: account.id }, 'po-standalone');
    expect(payout.status).toBe('pending');
    // Both events arrive, the refused one later (the provider does not promise order).
    await until('both events at the receiver', () => hooks.length >= 2);
    expect((await client.payouts.retrieve(payout.id)).status).toBe('paid');
    expect(hooks.map((h) => JSON.parse(h.body).type).sort()).toEqual(['payout.paid', 'payout.updated']);
    for (const h of hooks)
      expect(() => verifySignatureHeader(h.body, h.signature, ['whsec_standalone_0123456789'])).not.toThrow();

    const state = await (
      await fetch(`${base}/_mock/state`, { headers: { authorization: 'Bearer sk_test_standalone_0001' } })
    ).json();
    expect(state.counts).toMatchObject({
      accounts: 1,
      payouts: { paid: 1 },
      events: 2,
      deliveries: { delivered: 2 },
    });
    // The refused first attempt is in the log, and the same event was delivered by the next one.
    const updated = state.events.find((e: { type: string }) => e.type === 'payout.updated');
    expect(updated.delivery).toMatchObject({ state: 'delivered', attempts: 2 });
    expect(
      state.attempts
        .filter((a: { eventId: string }) => a.eventId === updated.id)
        .map((a: { attempt: number; status: number }) => [a.attempt, a.status]),
    ).toEqual([
      [2, 200],
      [1, 503],
    ]);
  });

  it('its control endpoint sets faults (validated, with the API key) and the API follows them', async () => {
    const base = printed.PAYMENTS_BASE_URL ?? '';
    const control = (body: unknown, key = 'sk_test_standalone_0001') =>
      fetch(`${base}/_mock/faults`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await control({ down: true }, 'sk_wrong')).status).toBe(401);
    const bad = await control({ errorRate: 2 });
    expect([bad.status, (await bad.json()).error.code]).toEqual([400, 'invalid_request']);
    expect((await control({ slow: true })).status).toBe(400);
    const set = await control({ down: true, dropWebhooks: true });
    expect((await set.json()).faults).toEqual({
      down: true,
      dropWebhooks: true,
      errorRate: 0,
      timeoutRate: 0,
    });
    const client = createPaymentsClient({ baseUrl: base, apiKey: 'sk_test_standalone_0001', maxRetries: 0 });
    expect(await client.balance.retrieve().catch((e: unknown) => e)).toMatchObject({
      status: 503,
      code: 'service_unavailable',
    });
    await control({ down: false });
    expect((await client.balance.retrieve()).object).toBe('balance');
    const state = await (
      await fetch(`${base}/_mock/state`, { headers: { authorization: 'Bearer sk_test_standalone_0001' } })
    ).json();
    expect(state.faults).toEqual({ down: false, dropWebhooks: true, errorRate: 0, timeoutRate: 0 });
  });

  it('stops on SIGTERM', async () => {
    child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
  });
});

describe('npm run payments:mock refuses', () => {
  it('production, and a bad setting, naming it', async () => {
    const prod = run({ NODE_ENV: 'production', PORT: '0' });
    expect(await prod.exited).toBe(1);
    expect(prod.err()).toMatch(/Refusing NODE_ENV=production/);
    const bad = run({ PAYMENTS_WEBHOOK_URL: 'not a url', PORT: '0' });
    expect(await bad.exited).toBe(1);
    expect(bad.err()).toMatch(/PAYMENTS_WEBHOOK_URL: must be the gateway/);
  }, 30_000);
});
