import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  actorRef,
  createSealer,
  cutoffOf,
  payDue,
  receivePaymentWebhook,
  reconcileStalePayouts,
  runSettlementBatch,
} from '@latih/core';
import { checkLedger, payoutLedgerMismatches, schema } from '@latih/db';
import { createPaymentsClient, type PaymentsClient, signatureHeader } from '@latih/payments';
import { type PaymentsMockServer, startPaymentsMockServer } from '@latih/payments/server';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { engines } from '../support/db';
import { complete, enrolled } from '../support/delivery-fixtures';
import { type Harness, useHarness } from '../support/harness';

/**
 * Payout notifications over time, with the development payment provider as its own HTTP server
 * (what `npm run payments:mock` runs) on the harness's clock, and the gateway's webhook route on a
 * port of its own that can be down. A notification the gateway missed is sent again until it is
 * answered; one that never comes is found by reading the payout back once it is stale, and so is a
 * payout the bank returned after it was paid.
 */
const DAY = 86_400_000;
const API_KEY = 'sk_test_reconcile_0001';
const SECRET = 'whsec_reconcile_0123456789';
const RETRY = { firstDelayMs: 60_000, maxDelayMs: 3_600_000, giveUpAfterMs: 3 * DAY };
const system = actorRef(null, null);

type Mode = 'down' | '503' | 'up';

/**
 * The gateway's `/payments/webhook` on a real port: `down` refuses connections (the process is
 * not running), `503` answers before reaching the database (starting up), `up` runs the same
 * function as the Express route and answers as it does.
 */
async function gatewayHook(h: Harness) {
  const received: { eventId: string; status: number }[] = [];
  let mode: Mode = 'down';
  let server: Server | null = null;
  const reserve = createServer();
  await new Promise<void>((r) => reserve.listen(0, '127.0.0.1', r));
  const { port } = reserve.address() as AddressInfo;
  await new Promise<void>((r) => reserve.close(() => r()));
  const listen = async () => {
    if (server) return;
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', async () => {
        if (mode === '503') {
          res.writeHead(503).end();
          return;
        }
        const r = await receivePaymentWebhook({
          db: h.db,
          rawBody: body,
          signature: req.headers['payments-signature'] as string | undefined,
          secret: SECRET,
          now: new Date(h.services.now()),
        });
        received.push({ eventId: JSON.parse(body).id, status: r.ok ? 200 : 400 });
        res.writeHead(r.ok ? 200 : 400, { 'content-type': 'application/json' }).end(JSON.stringify(r));
      });
    });
    await new Promise<void>((r) => server?.listen(port, '127.0.0.1', r));
  };
  return {
    url: `http://127.0.0.1:${port}/payments/webhook`,
    received,
    async set(next: Mode) {
      mode = next;
      if (next === 'down' && server) {
        const s = server;
        server = null;
        await new Promise<void>((r) => {
          s.close(() => r());
          s.closeAllConnections();
        });
      } else if (next !== 'down') await listen();
    },
  };
}

async function booksBalance(h: Harness) {
  const books = await checkLedger(h.db);
  expect(books.balanced).toBe(true);
  expect(books.balanceMismatches).toEqual([]);
  expect(await payoutLedgerMismatches(h.db)).toEqual([]);
}

describe.each(engines())('payout notifications over time (%s)', (engine) => {
  const h = useHarness(engine, { poolSize: 10 });
  let provider: PaymentsMockServer | undefined;
  let hook: Awaited<ReturnType<typeof gatewayHook>>;
  let client: PaymentsClient;
  const sealer = () => createSealer(h.services.nikHashKey, 'payout-destinations');
  const at = () => new Date(h.services.now());
  const advance = (ms: number) => h.clock.set(new Date(h.services.now() + ms));
  let dayOffset = 0;

  /** One provider for the describe (its accounts outlive a test), its payout accounts set once. */
  async function setUp() {
    if (provider) return provider;
    hook = await gatewayHook(h);
    provider = await startPaymentsMockServer({
      port: 0,
      apiKey: API_KEY,
      webhook: { url: hook.url, secret: SECRET },
      tickMs: 0,
      now: () => h.services.now(),
      latencyMs: [0, 1],
      settleMs: { pending: 60_000, inTransit: 60_000 },
      webhookRetry: RETRY,
    });
    client = createPaymentsClient({
      baseUrl: provider.url,
      apiKey: API_KEY,
      maxRetries: 1,
      sleep: async () => {},
    });
    h.services.payments = client;
    const bank = (n: string) => ({
      destination: {
        kind: 'bank' as const,
        bankCode: '009',
        accountNumber: `00991234${n}`,
        holderName: 'Penerima',
      },
    });
    await h.caller('providerA').provider.payoutAccount.set(bank('1'));
    await h.caller('platformA').platform.payoutAccount.set(bank('2'));
    return provider;
  }

  beforeEach(() => h.clock.reset());
  afterAll(async () => {
    await provider?.close();
    await hook?.set('down');
  });

  /** A day whose one completed training gives two settlements (provider, platform), paid out (IN_TRANSIT). */
  async function aDayPaidOut() {
    const { ids } = await enrolled(h, 1);
    dayOffset += 3;
    advance(dayOffset * DAY);
    await complete(h, ids[0] ?? '');
    const date = new Date(h.services.now() + 7 * 3_600_000).toISOString().slice(0, 10);
    h.clock.set(new Date(cutoffOf(date).getTime() + 3_600_000));
    await runSettlementBatch({ db: h.db, actor: system, now: at(), date });
    await payDue({ db: h.db, payments: client, sealer: sealer(), now: at() });
    const rows = await settlementsOf(date);
    expect(rows.map((s) => s.status)).toEqual(['IN_TRANSIT', 'IN_TRANSIT']);
    return { date, ids: rows.map((s) => s.id), payoutIds: rows.map((s) => s.providerPayoutId ?? '') };
  }
  const settlementsOf = (date: string) =>
    h.db
      .select()
      .from(schema.settlements)
      .where(eq(schema.settlements.batchDate, date))
      .orderBy(schema.settlements.role);

  /** The provider's events for these payouts. */
  const eventsFor = (mock: PaymentsMockServer['mock'], payoutIds: string[]) =>
    mock.state.events.filter((e) => payoutIds.includes(e.data.object.id));

  it('the provider resends what the gateway missed while down (connections refused, then 503): each event arrives once, the settlements are PAID', async () => {
    const { mock } = await setUp();
    await hook.set('down');
    const day = await aDayPaidOut();
    // The provider moves both payouts to in transit, then pays them, while nobody answers.
    for (let i = 0; i < 3; i++) {
      advance(61_000);
      await mock.tick();
    }
    const events = eventsFor(mock, day.payoutIds);
    expect(events.map((e) => e.type).sort()).toEqual([
      'payout.paid',
      'payout.paid',
      'payout.updated',
      'payout.updated',
    ]);
    expect(
      new Set(mock.state.attempts.filter((a) => events.some((e) => e.id === a.eventId)).map((a) => a.error)),
    ).toEqual(new Set(['ECONNREFUSED']));
    // Starting up: the port answers, but 503 for a while.
    await hook.set('503');
    for (let i = 0; i < 3; i++) {
      advance(5 * 60_000);
      await mock.tick();
    }
    expect((await settlementsOf(day.date)).map((s) => s.status)).toEqual(['IN_TRANSIT', 'IN_TRANSIT']);
    // Back: the next retries get through.
    await hook.set('up');
    for (
      let i = 0;
      i < 10 && events.some((e) => mock.state.deliveries.get(e.id)?.state !== 'delivered');
      i++
    ) {
      advance(10 * 60_000);
      await mock.tick();
    }
    const settled = await settlementsOf(day.date);
    expect(settled.map((s) => s.status)).toEqual(['PAID', 'PAID']);
    // Each event reached the gateway once, answered 200, and was recorded once.
    for (const e of events) {
      expect(hook.received.filter((r) => r.eventId === e.id)).toEqual([{ eventId: e.id, status: 200 }]);
      const tries = mock.state.attempts.filter((a) => a.eventId === e.id);
      expect(tries.map((a) => a.delivered)).toEqual([...tries.slice(1).map(() => false), true]);
      expect(tries.some((a) => a.error === 'ECONNREFUSED') && tries.some((a) => a.status === 503)).toBe(true);
      // Backing off: each wait at least the schedule's (1 min, doubling, at most 1 h).
      for (let n = 1; n < tries.length; n++)
        expect((tries[n]?.at ?? 0) - (tries[n - 1]?.at ?? 0)).toBeGreaterThanOrEqual(
          Math.min(RETRY.firstDelayMs * 2 ** (n - 1), RETRY.maxDelayMs),
        );
    }
    const recorded = await h.db.select().from(schema.paymentEvents);
    for (const e of events) expect(recorded.filter((r) => r.id === e.id)).toHaveLength(1);
    // Nothing more is sent for them, however long the provider runs.
    const sent = hook.received.length;
    advance(DAY);
    await mock.tick();
    expect(hook.received.length).toBe(sent);
    await booksBalance(h);
  });

  it('a notification the provider never sends is recovered by reconcileStalePayouts once the payout is stale', async () => {
    const { mock } = await setUp();
    await hook.set('up');
    mock.faults.dropWebhooks = true;
    try {
      const day = await aDayPaidOut();
      const paidOutAt = h.services.now();
      for (let i = 0; i < 3; i++) {
        advance(61_000);
        await mock.tick();
      }
      expect((await client.payouts.retrieve(day.payoutIds[0] ?? '')).status).toBe('paid');
      expect(eventsFor(mock, day.payoutIds).map((e) => mock.state.deliveries.get(e.id)?.state)).toEqual([
        'dropped',
        'dropped',
        'dropped',
        'dropped',
      ]);
      expect(
        hook.received.filter((r) => eventsFor(mock, day.payoutIds).some((e) => e.id === r.eventId)),
      ).toEqual([]);

      // Not stale yet (3 minutes unchanged): not read back.
      const early = await reconcileStalePayouts({ db: h.db, payments: client, now: at() });
      expect(early.applied.filter((a) => day.ids.includes(a.id))).toEqual([]);
      expect((await settlementsOf(day.date)).map((s) => s.status)).toEqual(['IN_TRANSIT', 'IN_TRANSIT']);

      h.clock.set(new Date(paidOutAt + 10 * 60_000));
      const report = await reconcileStalePayouts({ db: h.db, payments: client, now: at() });
      expect(report.applied.filter((a) => day.ids.includes(a.id)).map((a) => `${a.from}→${a.to}`)).toEqual([
        'IN_TRANSIT→PAID',
        'IN_TRANSIT→PAID',
      ]);
      expect(report.mismatches).toEqual([]);
      const settled = await settlementsOf(day.date);
      expect(settled.map((s) => s.status)).toEqual(['PAID', 'PAID']);
      const published = await h.db
        .select({ type: schema.events.type })
        .from(schema.events)
        .where(
          and(eq(schema.events.entityId, settled[0]?.id ?? ''), eq(schema.events.type, 'settlement.paid')),
        );
      expect(published).toHaveLength(1);
      // Read again later: they match, nothing applied twice.
      advance(10 * 60_000);
      const again = await reconcileStalePayouts({ db: h.db, payments: client, now: at() });
      expect(again.applied).toEqual([]);
      expect(again.matched).toBe(again.checked);
      await booksBalance(h);
    } finally {
      mock.faults.dropWebhooks = false;
    }
  });

  it('a payout paid and then returned by the bank, whose notification was lost, is found by reconcileStalePayouts within paidWithinMs', async () => {
    const { mock } = await setUp();
    await hook.set('up');
    const account = [...mock.state.accounts.values()].find(
      (a) => a.metadata.organisationId === h.orgs.providerA.organisationId,
    );
    mock.scenarios.paidThenFailed.add(account?.id ?? '');
    try {
      const day = await aDayPaidOut();
      // In transit, then paid (the bank returns it a minute after it is paid, unless the clock stops here).
      for (let i = 0; i < 2; i++) {
        advance(61_000);
        await mock.tick();
      }
      expect((await settlementsOf(day.date)).map((s) => s.status)).toEqual(['PAID', 'PAID']);
      // The bank returns the provider's payout a day later; that notification is lost.
      mock.faults.dropWebhooks = true;
      advance(DAY);
      await mock.tick();
      mock.faults.dropWebhooks = false;
      const providerRow = (await settlementsOf(day.date)).find((s) => s.role === 'PROVIDER');
      expect(providerRow).toMatchObject({ role: 'PROVIDER', status: 'PAID' });
      expect((await client.payouts.retrieve(providerRow?.providerPayoutId ?? '')).status).toBe('failed');

      // Outside the window (paid more than an hour ago) it is not read.
      const narrow = await reconcileStalePayouts({
        db: h.db,
        payments: client,
        now: at(),
        paidWithinMs: 3_600_000,
      });
      expect(narrow.applied.filter((a) => day.ids.includes(a.id))).toEqual([]);
      // Within the 7 days, it is.
      const report = await reconcileStalePayouts({ db: h.db, payments: client, now: at() });
      expect(report.applied.filter((a) => day.ids.includes(a.id))).toEqual([
        {
          entity: 'settlement',
          id: providerRow?.id,
          payoutId: providerRow?.providerPayoutId,
          from: 'PAID',
          to: 'FAILED',
        },
      ]);
      const after = (await settlementsOf(day.date)).find((s) => s.role === 'PROVIDER');
      expect(after).toMatchObject({ status: 'FAILED', failureCode: 'could_not_process' });
      expect((await settlementsOf(day.date)).find((s) => s.role === 'PLATFORM')?.status).toBe('PAID');
      const audit = await h.db
        .select()
        .from(schema.auditLog)
        .where(eq(schema.auditLog.entityId, after?.id ?? ''));
      expect(audit.map((a) => `${a.fromState}→${a.toState}`)).toContain('PAID→FAILED');
      await booksBalance(h);
    } finally {
      mock.scenarios.paidThenFailed.clear();
    }
  });

  it('bounded per call: with limit 1, following nextCursor reads each due payout in turn', async () => {
    const { mock } = await setUp();
    mock.faults.dropWebhooks = true;
    try {
      const day = await aDayPaidOut();
      for (let i = 0; i < 3; i++) {
        advance(61_000);
        await mock.tick();
      }
      advance(10 * 60_000);
      // Earlier tests' payouts paid within 7 days are due too: a sweep reads them all, one per call.
      const reports = [await reconcileStalePayouts({ db: h.db, payments: client, now: at(), limit: 1 })];
      const due = reports[0]?.due ?? 0;
      expect(due).toBeGreaterThan(2);
      while (reports.at(-1)?.nextCursor && reports.length <= due)
        reports.push(
          await reconcileStalePayouts({
            db: h.db,
            payments: client,
            now: at(),
            limit: 1,
            after: reports.at(-1)?.nextCursor ?? null,
          }),
        );
      // One payout per call, each due one once, then the sweep says it is done.
      expect(reports.map((r) => r.checked)).toEqual(Array(due).fill(1));
      expect(reports.map((r) => r.remaining)).toEqual(Array.from({ length: due }, (_, n) => due - 1 - n));
      expect(reports.at(-1)?.nextCursor).toBeNull();
      const cursors = reports.slice(0, -1).map((r) => r.nextCursor);
      expect([...cursors].sort()).toEqual(cursors);
      expect(
        reports
          .flatMap((r) => r.applied)
          .filter((a) => day.ids.includes(a.id))
          .map((a) => a.to),
      ).toEqual(['PAID', 'PAID']);
      // The next call starts a new sweep from the first.
      const again = await reconcileStalePayouts({ db: h.db, payments: client, now: at(), limit: 1 });
      expect(again.nextCursor).toBe(reports[0]?.nextCursor);
      expect((await settlementsOf(day.date)).map((s) => s.status)).toEqual(['PAID', 'PAID']);
      await booksBalance(h);
    } finally {
      mock.faults.dropWebhooks = false;
    }
  });

  it('racing read-backs and a late webhook apply a payout once', async () => {
    const { mock } = await setUp();
    mock.faults.dropWebhooks = true;
    try {
      const day = await aDayPaidOut();
      for (let i = 0; i < 3; i++) {
        advance(61_000);
        await mock.tick();
      }
      advance(10 * 60_000);
      // The provider's own log still has the lost events: one arrives late, during the read-backs.
      const late = eventsFor(mock, day.payoutIds).filter((e) => e.type === 'payout.paid');
      const now = at();
      const results = await Promise.all([
        ...Array.from({ length: 4 }, () => reconcileStalePayouts({ db: h.db, payments: client, now })),
        ...late.map((e) => {
          const body = JSON.stringify(e);
          return receivePaymentWebhook({
            db: h.db,
            rawBody: body,
            signature: signatureOf(body, now),
            secret: SECRET,
            now,
          });
        }),
      ]);
      expect(results.length).toBe(6);
      const rows = await settlementsOf(day.date);
      expect(rows.map((s) => s.status)).toEqual(['PAID', 'PAID']);
      for (const row of rows) {
        const audit = await h.db.select().from(schema.auditLog).where(eq(schema.auditLog.entityId, row.id));
        expect(audit.filter((a) => a.toState === 'PAID')).toHaveLength(1);
      }
      await booksBalance(h);
    } finally {
      mock.faults.dropWebhooks = false;
    }
  });
});

function signatureOf(body: string, now: Date) {
  return signatureHeader(body, [SECRET], Math.floor(now.getTime() / 1000));
}
