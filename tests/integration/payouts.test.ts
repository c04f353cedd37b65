import {
  actorRef,
  createSealer,
  cutoffOf,
  evaluateIncentives,
  payDue,
  receivePaymentWebhook,
  reconcilePayouts,
  runSettlementBatch,
} from '@latih/core';
import { checkLedger, execRows, PAYOUTS_PAID, PROGRAM_FUND, payoutLedgerMismatches, schema } from '@latih/db';
import { type PaymentsClient, type PaymentsMock, signatureHeader } from '@latih/payments';
import { eq, sql } from 'drizzle-orm';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { engines } from '../support/db';
import { complete, enrolled } from '../support/delivery-fixtures';
import { codeOf, type Harness, useHarness } from '../support/harness';
import { accountBalance } from '../support/ledger';
import { fakePaymentProvider } from '../support/payments';

const HOOK_URL = 'https://gateway.latih.test/payments/webhook';
const HOOK_SECRET = 'whsec_latih_0123456789abcdef';
const DAY = 86_400_000;
const PRICE = 1_500_000;
const COMMISSION = 150_000; // 10 % under both schemes

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => 'OK',
    (e: unknown) => codeOf(e),
  );

function providerFor(h: Harness) {
  const p = fakePaymentProvider(h, server, {
    name: 'latih',
    latencyMs: [0, 2],
    timeoutMs: 150,
    maxRetries: 2,
  });
  h.services.payments = p.client;
  return p;
}

const sealerOf = (h: Harness) => createSealer(h.services.nikHashKey, 'payout-destinations');
const system = actorRef(null, null);

function advance(h: Harness, ms: number) {
  h.clock.set(new Date(h.services.now() + ms));
}

/** Pays what is due and lets the provider's clock settle it, until nothing is due or on its way. */
async function settleAll(
  h: Harness,
  client: PaymentsClient,
  mock: PaymentsMock,
  opts: { rounds?: number; untilSettled?: boolean } = {},
) {
  const rounds = opts.rounds ?? 40;
  for (let i = 0; i < rounds; i++) {
    await payDue({ db: h.db, payments: client, sealer: sealerOf(h), now: new Date(h.services.now()) });
    advance(h, 61_000);
    await mock.tick();
    const at = new Date(h.services.now()).toISOString();
    const [open] = await execRows<{ n: number | string }>(
      h.db,
      sql`select (select count(*) from settlements where status in ('PENDING', 'IN_TRANSIT'))
            + (select count(*) from incentives where status = 'DISBURSING'
                 or (status = 'ELIGIBLE' and due_at <= ${at}::timestamptz)) as n`,
    );
    if (Number(open?.n) === 0) return;
    // Passing errors wait for their backoff: move past it.
    advance(h, 10 * 60_000);
  }
  if (opts.untilSettled === false) return;
  const stuck = await execRows(
    h.db,
    sql`select id, status, last_error, next_attempt_at, lease_until from settlements where status in ('PENDING', 'IN_TRANSIT')
        union all select id, status, last_error, next_attempt_at, lease_until from incentives where status in ('ELIGIBLE', 'DISBURSING')`,
  );
  throw new Error(`payouts did not settle: ${JSON.stringify(stuck)}`);
}

async function expectBooksBalance(h: Harness) {
  const books = await checkLedger(h.db);
  expect(books.balanced, JSON.stringify(books.unbalancedTransactions)).toBe(true);
  expect(books.balanceMismatches).toEqual([]);
  expect(await payoutLedgerMismatches(h.db)).toEqual([]);
}

async function voucherOf(h: Harness, enrollmentId: string) {
  const [e] = await h.db.select().from(schema.enrollments).where(eq(schema.enrollments.id, enrollmentId));
  if (!e) throw new Error('no enrollment');
  return e;
}

const bank = (n: string) => ({
  destination: { kind: 'bank' as const, bankCode: '009', accountNumber: `00123${n}`, holderName: 'PT Latih' },
});

/** Four enrollments of providerA sold by platformA: 2 COMPLETED, 1 NOT_COMPLETED, 1 still training. */
async function aDayOfTraining(h: Harness) {
  const { ids } = await enrolled(h, 4);
  await onItsOwnDay(h);
  const [a, b, c, d] = ids as [string, string, string, string];
  await complete(h, a);
  await complete(h, b);
  await h.caller('providerA').provider.completions.report({ enrollmentId: c, outcome: 'NOT_COMPLETED' });
  return { completed: [a, b], notCompleted: c, training: d };
}

/** Each test's trainings end on its own business day, so each runs its own batch. */
let dayOffset = 0;
async function onItsOwnDay(h: Harness) {
  dayOffset += 3;
  advance(h, dayOffset * DAY);
}

describe.each(engines())('settlements and incentives (%s)', (engine) => {
  const h = useHarness(engine);
  let provider: ReturnType<typeof providerFor> | undefined;
  /** One payment provider for the whole describe: its accounts outlive a test, as a real one's do. */
  const payments = () => {
    provider ??= providerFor(h);
    h.services.payments = provider.client;
    return provider;
  };
  beforeEach(() => {
    h.clock.reset();
  });
  /** A fresh token each time: tests move the clock by hours. */
  const pmo = () => h.caller('pmo').pmo;

  it('refuses a day that has not ended, and needs a configured provider to set a payout account', async () => {
    h.clock.reset();
    const today = new Date(h.services.now() + 7 * 3_600_000).toISOString().slice(0, 10);
    expect(await refusal(h.caller('pmo').pmo.settlements.run({ date: today }))).toBe(
      'SETTLEMENT_DATE_NOT_ENDED',
    );
    h.services.payments = null;
    expect(await refusal(h.caller('providerA').provider.payoutAccount.set(bank('1')))).toBe(
      'PAYMENTS_UNAVAILABLE',
    );
    const account = await h.caller('providerA').provider.payoutAccount.get();
    expect(account).toMatchObject({
      status: 'PENDING',
      requirements: ['external_account'],
      destination: null,
    });
  });

  it('settles a day once: price minus commission to the provider, commission to the platform, line items per voucher', async () => {
    const { mock, client } = payments();
    const provider = () => h.caller('providerA').provider;
    const platform = () => h.caller('platformA').platform;
    expect(await provider().payoutAccount.set(bank('4567'))).toMatchObject({
      status: 'ENABLED',
      requirements: [],
      destination: { kind: 'BANK', label: 'BANK 009 ••••4567' },
    });
    await platform().payoutAccount.set({
      destination: { kind: 'ewallet', provider: 'dana', phone: '081298765432' },
    });
    expect(mock.state.accounts.size).toBe(2);

    const day = await aDayOfTraining(h);
    const fundBefore = await accountBalance(h.db, PROGRAM_FUND);
    const date = new Date(h.services.now() + 7 * 3_600_000).toISOString().slice(0, 10);
    h.clock.set(new Date(cutoffOf(date).getTime() + 2 * 3_600_000));

    const batch = await h.caller('pmo').pmo.settlements.run({ date });
    // Under the 2023 scheme a voucher is payable once completed; the NOT_COMPLETED one is forfeit.
    expect(batch).toMatchObject({ date, created: true, settlementCount: 2, itemCount: 4, accrued: 3 });
    expect(batch.amount).toBe(2 * PRICE);
    expect(await accountBalance(h.db, PROGRAM_FUND)).toBe(fundBefore + PRICE);

    const again = await h.caller('pmo').pmo.settlements.run({ date });
    expect(again).toMatchObject({ created: false, settlementCount: 2, amount: 2 * PRICE, accrued: 0 });
    expect(await h.db.select().from(schema.settlements)).toHaveLength(2);

    const [mine] = (await provider().settlements.list({ limit: 10 })).items;
    expect(mine).toMatchObject({
      status: 'PENDING',
      amount: 2 * (PRICE - COMMISSION),
      itemCount: 2,
      role: 'PROVIDER',
    });
    const items = await provider().settlements.items({ id: mine?.id ?? '', limit: 1 });
    expect(items.items[0]).toMatchObject({
      price: PRICE,
      commission: COMMISSION,
      amount: PRICE - COMMISSION,
      basis: 'COMPLETED',
    });
    const rest = await provider().settlements.items({
      id: mine?.id ?? '',
      limit: 10,
      cursor: items.nextCursor ?? '',
    });
    const vouchers = [...items.items, ...rest.items].map((i) => i.voucherId).sort();
    const expected = await Promise.all(day.completed.map(async (id) => (await voucherOf(h, id)).voucherId));
    expect(vouchers).toEqual(expected.sort());

    const [theirs] = (await platform().settlements.list({ limit: 10 })).items;
    expect(theirs).toMatchObject({ amount: 2 * COMMISSION, role: 'PLATFORM' });
    // Partners see only their own statements.
    expect((await h.caller('providerB').provider.settlements.list({ limit: 10 })).items).toEqual([]);
    expect(await refusal(h.caller('providerB').provider.settlements.get({ id: mine?.id ?? '' }))).toBe(
      'SETTLEMENT_NOT_FOUND',
    );
    expect(await refusal(platform().settlements.items({ id: mine?.id ?? '', limit: 5 }))).toBe(
      'SETTLEMENT_NOT_FOUND',
    );
    await expectBooksBalance(h);

    await settleAll(h, client, mock);
    const paid = await provider().settlements.get({ id: mine?.id ?? '' });
    expect(paid).toMatchObject({ status: 'PAID', failure: null });
    expect(paid.paidAt).not.toBeNull();
    expect((await platform().settlements.get({ id: theirs?.id ?? '' })).status).toBe('PAID');
    // One transfer and one payout per settlement, however often it ran.
    await h.caller('pmo').pmo.settlements.run({ date });
    await settleAll(h, client, mock, { rounds: 3 });
    expect(mock.state.transfers.size).toBe(2);
    expect(mock.state.payouts.size).toBe(2);
    expect(await accountBalance(h.db, PAYOUTS_PAID)).toBe(2 * PRICE);
    await expectBooksBalance(h);

    const events = await h.db
      .select({ type: schema.events.type })
      .from(schema.events)
      .where(eq(schema.events.entityId, mine?.id ?? ''))
      // In the order they were written: a partitioned table returns rows in no particular order.
      .orderBy(schema.events.seq);
    expect(events.map((e) => e.type)).toEqual([
      'settlement.created',
      'settlement.in_transit',
      'settlement.paid',
    ]);

    // The voucher still in training is settled by a later day's batch, once completed.
    await complete(h, day.training);
    const next = new Date(h.services.now() + 7 * 3_600_000).toISOString().slice(0, 10);
    h.clock.set(new Date(cutoffOf(next).getTime() + 3_600_000));
    expect(await h.caller('pmo').pmo.settlements.run({ date: next })).toMatchObject({
      created: true,
      itemCount: 2,
      amount: PRICE,
    });
  });

  it('fails a payout with its reason, and pays it when the PMO retries after the cause is fixed', async () => {
    const { mock, client } = payments();
    await h.caller('providerA').provider.payoutAccount.set(bank('7777'));
    await h.caller('platformA').platform.payoutAccount.set(bank('7778'));
    // The provider restricts the platform's account (it wants a document): its settlement fails saying so.
    await h.db
      .update(schema.payoutAccounts)
      .set({ status: 'RESTRICTED', requirements: ['identity_document'] })
      .where(eq(schema.payoutAccounts.organisationId, h.orgs.platformA.organisationId));
    await aDayOfTraining(h);
    const date = new Date(h.services.now() + 7 * 3_600_000).toISOString().slice(0, 10);
    h.clock.set(new Date(cutoffOf(date).getTime() + 3_600_000));
    const acct =
      [...mock.state.accounts.values()].find(
        (a) => a.metadata.organisationId === h.orgs.providerA.organisationId,
      )?.id ?? '';
    mock.scenarios.failPayoutsTo.add(acct);
    await runSettlementBatch({ db: h.db, actor: system, now: new Date(h.services.now()), date });
    await settleAll(h, client, mock);

    const failed = (await pmo().settlements.list({ limit: 20, status: 'FAILED', batchDate: date })).items;
    const byRole = Object.fromEntries(failed.map((s) => [s.role, s]));
    expect(byRole.PROVIDER?.failure).toEqual({
      code: 'account_closed',
      message: 'The destination account is closed.',
    });
    expect(byRole.PLATFORM?.failure).toEqual({
      code: 'PAYOUT_ACCOUNT_NOT_READY',
      message: 'The payout account is restricted: still required identity_document.',
    });
    await expectBooksBalance(h);

    expect(await refusal(pmo().settlements.retry({ id: byRole.PROVIDER?.id ?? '' }))).toBe('OK');
    expect(await refusal(pmo().settlements.retry({ id: byRole.PROVIDER?.id ?? '' }))).toBe(
      'SETTLEMENT_NOT_RETRYABLE',
    );
    mock.scenarios.failPayoutsTo.delete(acct);
    await h.caller('platformA').platform.payoutAccount.set(bank('8888'));
    await pmo().settlements.retry({ id: byRole.PLATFORM?.id ?? '' });
    await settleAll(h, client, mock);
    const after = await pmo().settlements.get({ id: byRole.PROVIDER?.id ?? '' });
    expect(after).toMatchObject({ status: 'PAID', attempt: 2, failure: null });
    expect((await pmo().settlements.get({ id: byRole.PLATFORM?.id ?? '' })).status).toBe('PAID');
    // The money reached the connected account once; the second attempt paid it out again.
    const transfers = [...mock.state.transfers.values()].filter((t) => t.metadata.settlementId === after.id);
    expect(transfers).toHaveLength(1);
    await expectBooksBalance(h);
  });

  it('a payout paid and then returned by the bank turns FAILED with the reason; reconciliation catches lost webhooks', async () => {
    const { mock, client, hooks } = payments();
    await h.caller('providerA').provider.payoutAccount.set(bank('5151'));
    await h.caller('platformA').platform.payoutAccount.set(bank('5252'));
    const acct = [...mock.state.accounts.values()].find(
      (a) => a.metadata.organisationId === h.orgs.providerA.organisationId,
    );
    await aDayOfTraining(h);
    const date = new Date(h.services.now() + 7 * 3_600_000).toISOString().slice(0, 10);
    h.clock.set(new Date(cutoffOf(date).getTime() + 3_600_000));
    mock.scenarios.paidThenFailed.add(acct?.id ?? '');
    await runSettlementBatch({ db: h.db, actor: system, now: new Date(h.services.now()), date });
    await settleAll(h, client, mock);
    advance(h, 61_000);
    await mock.tick();
    const all = (await pmo().settlements.list({ limit: 20, batchDate: date })).items;
    const provider = all.find((s) => s.role === 'PROVIDER');
    expect(provider).toMatchObject({ status: 'FAILED', failure: { code: 'could_not_process' } });
    const audit = await h.db
      .select()
      .from(schema.auditLog)
      .where(eq(schema.auditLog.entityId, provider?.id ?? ''));
    expect(audit.map((a) => `${a.fromState}→${a.toState}`).sort()).toEqual(
      ['null→PENDING', 'PENDING→IN_TRANSIT', 'IN_TRANSIT→PAID', 'PAID→FAILED'].sort(),
    );
    // A duplicate webhook is recorded once and changes nothing.
    const last = mock.state.events.at(-1);
    const body = JSON.stringify(last);
    const t = Math.floor(h.services.now() / 1000);
    const r = await receivePaymentWebhook({
      db: h.db,
      rawBody: body,
      signature: signatureHeader(body, [HOOK_SECRET], t),
      secret: HOOK_SECRET,
      now: new Date(h.services.now()),
    });
    expect(r).toEqual({ ok: true, duplicate: true, outcome: 'duplicate' });
    const forged = await receivePaymentWebhook({
      db: h.db,
      rawBody: body.replace('failed', 'paid'),
      signature: signatureHeader(body, [HOOK_SECRET], t),
      secret: HOOK_SECRET,
      now: new Date(h.services.now()),
    });
    expect(forged.ok).toBe(false);
    expect(hooks.every((x) => x.status === 200)).toBe(true);

    // Webhooks lost: the next day's payouts stay IN_TRANSIT until reconciliation reads them back.
    mock.scenarios.paidThenFailed.clear();
    h.clock.reset();
    const more = await enrolled(h, 1);
    await onItsOwnDay(h);
    await complete(h, more.ids[0] ?? '');
    const since = new Date(h.services.now());
    const next = new Date(h.services.now() + 7 * 3_600_000).toISOString().slice(0, 10);
    h.clock.set(new Date(cutoffOf(next).getTime() + 3_600_000));
    server.use(http.post(HOOK_URL, () => HttpResponse.json({}, { status: 503 })));
    await runSettlementBatch({ db: h.db, actor: system, now: new Date(h.services.now()), date: next });
    await settleAll(h, client, mock, { rounds: 3, untilSettled: false });
    const stuck = (await pmo().settlements.list({ limit: 20, batchDate: next })).items;
    expect(stuck.map((s) => s.status)).toEqual(['IN_TRANSIT', 'IN_TRANSIT']);
    // And one event for a payout nobody here made.
    const strange = JSON.stringify({
      id: 'evt_strange',
      type: 'payout.paid',
      created: t,
      data: { object: { id: 'po_strange', object: 'payout', amount: 5, status: 'paid', metadata: {} } },
    });
    await receivePaymentWebhook({
      db: h.db,
      rawBody: strange,
      signature: signatureHeader(strange, [HOOK_SECRET], Math.floor(h.services.now() / 1000)),
      secret: HOOK_SECRET,
      now: new Date(h.services.now()),
    });
    const report = await reconcilePayouts({
      db: h.db,
      payments: client,
      now: new Date(h.services.now()),
      since,
    });
    expect(report.applied.map((a) => `${a.from}→${a.to}`).sort()).toEqual([
      'IN_TRANSIT→PAID',
      'IN_TRANSIT→PAID',
    ]);
    expect(report.mismatches).toEqual([
      { kind: 'UNKNOWN_PAYOUT', entity: null, id: null, payoutId: 'po_strange', ours: null, theirs: 'paid' },
    ]);
    const again = await pmo().settlements.reconcile({ since: since.toISOString() });
    expect(again.applied).toEqual([]);
    expect(again.matched).toBe(again.checked);
    server.resetHandlers();
    await expectBooksBalance(h);
  });

  it('incentives: WAITING says what is missing, then every instalment is paid once to the e-wallet', async () => {
    const { mock, client } = payments();
    const { ids } = await enrolled(h, 2);
    const [first, second] = ids as [string, string];
    await complete(h, first);
    const { participantId } = await voucherOf(h, first);

    let view = await pmo().incentives.ofParticipant({ participantId });
    expect(view.items).toMatchObject([
      { status: 'WAITING', missing: ['REVIEW', 'PAYOUT_ACCOUNT'], id: null },
    ]);
    const other = (await voucherOf(h, second)).participantId;
    expect((await pmo().incentives.ofParticipant({ participantId: other })).items[0]?.missing).toEqual([
      'COMPLETED_TRAINING',
      'REVIEW',
      'PAYOUT_ACCOUNT',
    ]);

    const evaluated = await pmo().incentives.evaluate({});
    expect(evaluated.waiting).toBeGreaterThanOrEqual(1);
    const [waiting] = (await pmo().incentives.list({ limit: 5, participantId })).items;
    expect(waiting).toMatchObject({ status: 'WAITING', missing: ['REVIEW', 'PAYOUT_ACCOUNT'] });

    await h.caller('platformA').platform.reviews.submit({
      voucherId: (await voucherOf(h, first)).voucherId,
      rating: 5,
      text: 'Bermanfaat',
    });
    expect(
      await pmo().participants.setPayoutAccount({
        participantId,
        destination: { kind: 'ewallet', provider: 'gopay', phone: '081234567890' },
      }),
    ).toMatchObject({ kind: 'EWALLET', label: 'GOPAY ••••7890' });
    const sealed = await h.db
      .select()
      .from(schema.participantPayoutAccounts)
      .where(eq(schema.participantPayoutAccounts.participantId, participantId));
    expect(JSON.stringify(sealed)).not.toContain('081234567890');

    const fundBefore = await accountBalance(h.db, PROGRAM_FUND);
    expect(await pmo().incentives.evaluate({ participantIds: [participantId] })).toEqual({
      evaluated: 1,
      waiting: 0,
      eligible: 1,
    });
    expect(await pmo().incentives.evaluate({ participantIds: [participantId] })).toMatchObject({
      eligible: 0,
    });
    view = await pmo().incentives.ofParticipant({ participantId });
    expect(view.items).toMatchObject([
      { id: waiting?.id, status: 'ELIGIBLE', amount: 600_000, instalments: 1, enrollmentId: first },
    ]);
    expect(await accountBalance(h.db, PROGRAM_FUND)).toBe(fundBefore - 600_000);

    // The wallet is closed: FAILED with the reason, then retried by the PMO once it is fixed.
    mock.scenarios.failPayoutsTo.add('ewallet:gopay:081234567890');
    await settleAll(h, client, mock);
    const [failed] = (await pmo().incentives.ofParticipant({ participantId })).items;
    expect(failed).toMatchObject({ status: 'FAILED', failure: { code: 'account_closed' } });
    expect(await refusal(pmo().incentives.retry({ id: 'inc_01jz8k6d3v7m2r5w9x4q1t0abc' }))).toBe(
      'INCENTIVE_NOT_FOUND',
    );
    mock.scenarios.failPayoutsTo.clear();
    expect(await pmo().incentives.retry({ id: failed?.id ?? '' })).toMatchObject({
      status: 'ELIGIBLE',
      attempt: 2,
    });
    expect(await refusal(pmo().incentives.retry({ id: failed?.id ?? '' }))).toBe('INCENTIVE_NOT_RETRYABLE');
    await settleAll(h, client, mock);
    expect((await pmo().incentives.ofParticipant({ participantId })).items[0]).toMatchObject({
      status: 'PAID',
      attempt: 2,
    });
    const payouts = [...mock.state.payouts.values()].filter((p) => p.metadata.incentiveId === failed?.id);
    expect(payouts.map((p) => p.status).sort()).toEqual(['failed', 'paid']);
    await expectBooksBalance(h);
  });

  it('the 2020 scheme pays its incentive in four monthly instalments', async () => {
    const { mock, client } = payments();
    // A 2020 participant: one completed self-paced course, reviewed, with a bank account.
    const { ids } = await enrolled(h, 1);
    const enrollmentId = ids[0] ?? '';
    await complete(h, enrollmentId);
    const { participantId, voucherId } = await voucherOf(h, enrollmentId);
    await h.db
      .update(schema.participants)
      .set({ schemeId: 'PRAKERJA_2020' })
      .where(eq(schema.participants.id, participantId));
    await h.caller('platformA').platform.reviews.submit({ voucherId, rating: 4, text: 'Baik' });
    await h.caller('pmo').pmo.participants.setPayoutAccount({ participantId, ...bank('0420') });
    await evaluateIncentives({
      db: h.db,
      actor: system,
      now: new Date(h.services.now()),
      participantIds: [participantId],
    });
    const rows = (await h.caller('pmo').pmo.incentives.ofParticipant({ participantId })).items;
    expect(rows.map((r) => [r.instalment, r.instalments, r.amount, r.status])).toEqual([
      [1, 4, 600_000, 'ELIGIBLE'],
      [2, 4, 600_000, 'ELIGIBLE'],
      [3, 4, 600_000, 'ELIGIBLE'],
      [4, 4, 600_000, 'ELIGIBLE'],
    ]);
    await settleAll(h, client, mock);
    let now = (await h.caller('pmo').pmo.incentives.ofParticipant({ participantId })).items;
    expect(now.map((r) => r.status)).toEqual(['PAID', 'ELIGIBLE', 'ELIGIBLE', 'ELIGIBLE']);
    for (let month = 0; month < 3; month++) {
      advance(h, 30 * DAY);
      await settleAll(h, client, mock);
    }
    now = (await h.caller('pmo').pmo.incentives.ofParticipant({ participantId })).items;
    expect(now.map((r) => r.status)).toEqual(['PAID', 'PAID', 'PAID', 'PAID']);
    expect(
      [...mock.state.payouts.values()].filter(
        (p) => p.metadata.incentiveId && now.some((r) => r.id === p.metadata.incentiveId),
      ),
    ).toHaveLength(4);
    await expectBooksBalance(h);
  });
});
