import {
  actorRef,
  businessDayOf,
  createSealer,
  cutoffOf,
  expireDueBalances,
  expireDueVouchers,
  payDue,
  runSettlementBatch,
} from '@latih/core';
import {
  checkLedger,
  execRows,
  PROGRAM_FUND,
  payableAccount,
  payoutLedgerMismatches,
  receivableAccount,
  schema,
} from '@latih/db';
import type { PaymentsClient, PaymentsMock } from '@latih/payments';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fullCourse, sessions } from '../support/catalog-fixtures';
import { engines, postgresAvailable } from '../support/db';
import { complete, enrolled, present } from '../support/delivery-fixtures';
import { codeOf, type Harness, useHarness } from '../support/harness';
import { accountBalance } from '../support/ledger';
import { buy, onSale, participants } from '../support/marketplace-fixtures';
import { fakePaymentProvider } from '../support/payments';

/*
 * A cancelled run ends what was sold for it in the same transaction (issue 15, break 4): its
 * vouchers are cancelled and refunded, those sold in the same instant included; redeemed ones too,
 * their enrollments withdrawn, and what a settlement batch already accrued is reversed. Nobody is
 * paid for a class that did not happen, nobody loses balance over it, and the books balance.
 */

const DAY = 86_400_000;
const BALANCE_2023 = 3_500_000;
const BALANCE_2020 = 1_000_000;

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());

const code = (p: Promise<unknown>) =>
  p.then(
    () => 'OK',
    (e: unknown) => codeOf(e),
  );

async function booksBalance(h: Harness) {
  const books = await checkLedger(h.db);
  expect(books.balanced, JSON.stringify(books.unbalancedTransactions)).toBe(true);
  expect(books.total).toBe(0);
  expect(books.balanceMismatches).toEqual([]);
  expect(await payoutLedgerMismatches(h.db)).toEqual([]);
}

async function balanceOf(h: Harness, participantId: string) {
  const [p] = await h.db.select().from(schema.participants).where(eq(schema.participants.id, participantId));
  if (!p) throw new Error(`no participant ${participantId}`);
  return p;
}

async function vouchersOfRun(h: Harness, runId: string) {
  return h.db.select().from(schema.vouchers).where(eq(schema.vouchers.runId, runId));
}

async function eventsOf(h: Harness, entityId: string, type?: string) {
  return h.db
    .select()
    .from(schema.events)
    .where(and(eq(schema.events.entityId, entityId), type ? eq(schema.events.type, type) : undefined))
    .orderBy(schema.events.seq);
}

/** What the ledger holds for these vouchers in escrow (0 once each is refunded or accrued). */
async function escrowOf(h: Harness, voucherIds: string[]) {
  if (voucherIds.length === 0) return 0;
  const [row] = await execRows<{ sum: number | string | null }>(
    h.db,
    sql`select coalesce(sum(e.amount), 0) as sum from ledger_entries e
        join ledger_transactions t on t.id = e.transaction_id
        where e.account = 'escrow:vouchers' and t.reference in (${sql.join(
          voucherIds.map((id) => sql`${id}`),
          sql`, `,
        )})`,
  );
  return Number(row?.sum ?? 0);
}

async function startOf(h: Harness, runId: string) {
  const run = await h.caller('providerA').provider.runs.get({ id: runId });
  return new Date(run.sessions[0]?.startsAt ?? 0);
}

/** A 2020-scheme webinar (payable on redemption) with one OPEN run of two 4 h online sessions. */
async function webinar2020(h: Harness, opts: { startDay: number; capacity?: number }) {
  const provider = h.caller('providerA').provider;
  const course = await provider.courses.create({
    ...fullCourse,
    title: `Webinar fotografi produk ${Math.random()}`,
    mode: 'WEBINAR',
    schemeId: 'PRAKERJA_2020',
    hours: 8,
    price: 800_000,
  });
  const run = await provider.runs.create({
    courseId: course.id,
    capacity: opts.capacity ?? 20,
    sessions: sessions(2, 4, { mode: 'ONLINE', startDay: opts.startDay }),
  });
  await provider.courses.submit({ id: course.id });
  await h.caller('pmo').pmo.curation.approve({ id: course.id });
  await provider.runs.open({ id: run.id });
  return { course, run };
}

describe.each(engines())('cancelling a run on %s', (engine) => {
  const h = useHarness(engine);
  beforeEach(() => h.clock.reset());

  it('cancels and refunds every sold voucher in the same transaction; check, redeem and bulk redeem refuse them; a later confirm answers RUN_CANCELLED', async () => {
    const [p, q, r] = await participants(h, 3);
    const { course, run } = await onSale(h, { capacity: 5 });
    const bought = [
      await buy(h, p?.cardNumber ?? '', course.id, run.id),
      await buy(h, q?.cardNumber ?? '', course.id, run.id),
    ];
    // r's checkout is open when the run is cancelled.
    const pending = await h
      .caller('platformA')
      .platform.checkout.create({ cardNumber: r?.cardNumber ?? '', courseId: course.id, runId: run.id });

    const cancelled = await h
      .caller('providerA')
      .provider.runs.cancel({ id: run.id, reason: 'Instruktur sakit, kelas dibatalkan' });
    expect(cancelled).toMatchObject({ status: 'CANCELLED', seatsTaken: 0 });

    for (const b of bought) {
      const v = await h.caller('platformA').platform.vouchers.get({ id: b.voucher.id });
      expect(v).toMatchObject({
        status: 'CANCELLED',
        closeReason: 'RUN_CANCELLED',
        closedAt: expect.any(String),
      });
      const [event] = await eventsOf(h, b.voucher.id, 'voucher.cancelled');
      expect(event?.organisationId).toBe(h.orgs.platformA.organisationId);
      expect(event?.data).toEqual({
        voucher: v,
        reason: 'RUN_CANCELLED',
        run: { id: run.id, reason: 'Instruktur sakit, kelas dibatalkan' },
        refund: { amount: course.price, purchaseDeadline: expect.any(String), extended: false },
      });
    }
    for (const x of [p, q, r]) expect((await balanceOf(h, x?.id ?? '')).balance).toBe(BALANCE_2023);
    expect(
      await escrowOf(
        h,
        bought.map((b) => b.voucher.id),
      ),
    ).toBe(0);
    const [runEvent] = await eventsOf(h, run.id, 'run.cancelled');
    expect(runEvent?.data).toMatchObject({ seatsTaken: 2, vouchersCancelled: 2, enrollmentsWithdrawn: 0 });

    // The provider: not redeemable, and refused as cancelled, one by one or at the door.
    h.clock.set(new Date((await startOf(h, run.id)).getTime() - 10 * 60_000));
    const provider = h.caller('providerA').provider.vouchers;
    const checked = await provider.check({ code: bought[0]?.code ?? '' });
    expect(checked).toMatchObject({ redeemable: false, refusal: 'VOUCHER_CANCELLED' });
    expect(checked.voucher.closeReason).toBe('RUN_CANCELLED');
    expect(
      await code(provider.redeem({ code: bought[0]?.code ?? '', courseId: course.id, runId: run.id })),
    ).toBe('VOUCHER_CANCELLED');
    const bulk = await provider.redeemBulk({
      courseId: course.id,
      runId: run.id,
      codes: bought.map((b) => b.code),
    });
    expect(bulk.results.map((x) => x.error?.code)).toEqual(['VOUCHER_CANCELLED', 'VOUCHER_CANCELLED']);
    expect(await h.db.select().from(schema.enrollments).where(eq(schema.enrollments.runId, run.id))).toEqual(
      [],
    );
    h.clock.reset();

    // The platform: the open checkout and a new one answer RUN_CANCELLED, and nothing is charged.
    const platform = h.caller('platformA').platform;
    const confirm = platform.checkout.confirm({ id: pending.id, code: h.otp.read(pending.id) ?? '' });
    const refusal = await confirm.catch((e: unknown) => e);
    expect(codeOf(refusal)).toBe('RUN_CANCELLED');
    expect((refusal as Error).message).toContain('Instruktur sakit');
    expect(
      await code(
        platform.checkout.create({ cardNumber: r?.cardNumber ?? '', courseId: course.id, runId: run.id }),
      ),
    ).toBe('RUN_CANCELLED');
    expect((await balanceOf(h, r?.id ?? '')).balance).toBe(BALANCE_2023);
    expect(await code(platform.vouchers.cancel({ id: bought[0]?.voucher.id ?? '' }))).toBe(
      'VOUCHER_NOT_CANCELLABLE',
    );
    expect((await vouchersOfRun(h, run.id)).map((v) => v.status)).toEqual(['CANCELLED', 'CANCELLED']);
    // The participant may buy the same course again (another run of it).
    const again = await h.caller('providerA').provider.runs.create({
      courseId: course.id,
      capacity: 5,
      sessions: sessions(4, 4, { startDay: 40 }),
    });
    await h.caller('providerA').provider.runs.open({ id: again.id });
    await expect(buy(h, p?.cardNumber ?? '', course.id, again.id)).resolves.toMatchObject({
      voucher: { status: 'ISSUED', closeReason: null },
    });
    await booksBalance(h);
  });

  it('a platform’s own cancel is marked PLATFORM_CANCELLED, with the refund in its event', async () => {
    const [p] = await participants(h, 1);
    const { course, run } = await onSale(h);
    const bought = await buy(h, p?.cardNumber ?? '', course.id, run.id);
    const v = await h.caller('platformA').platform.vouchers.cancel({ id: bought.voucher.id });
    expect(v).toMatchObject({ status: 'CANCELLED', closeReason: 'PLATFORM_CANCELLED' });
    const [event] = await eventsOf(h, v.id, 'voucher.cancelled');
    expect(event?.data).toEqual({
      voucher: v,
      reason: 'PLATFORM_CANCELLED',
      refund: {
        amount: course.price,
        purchaseDeadline: (await balanceOf(h, p?.id ?? '')).purchaseDeadline.toISOString(),
        extended: false,
      },
    });
    await booksBalance(h);
  });

  it('enrollments already redeemed are withdrawn and refunded out of escrow (2023: never accrued), and the batch pays nobody for them', async () => {
    const { ids, course, run } = await enrolled(h, 3);
    const p = h.caller('providerA').provider;
    await p.attendance.record(present(ids[0] ?? '', 1));
    const enrollments = await h.db
      .select()
      .from(schema.enrollments)
      .where(inArray(schema.enrollments.id, ids));
    const voucherIds = enrollments.map((e) => e.voucherId);
    const people = enrollments.map((e) => e.participantId);
    const fundBefore = await accountBalance(h.db, PROGRAM_FUND);

    await h.caller('pmo').pmo.runs.cancel({ id: run.id, reason: 'Gedung pelatihan rusak akibat banjir' });

    const after = await h.db.select().from(schema.enrollments).where(inArray(schema.enrollments.id, ids));
    expect(after.map((e) => [e.status, e.endReason])).toEqual(ids.map(() => ['WITHDRAWN', 'RUN_CANCELLED']));
    const vouchers = await h.db.select().from(schema.vouchers).where(inArray(schema.vouchers.id, voucherIds));
    expect(vouchers.map((v) => [v.status, v.closeReason])).toEqual(
      voucherIds.map(() => ['CANCELLED', 'RUN_CANCELLED']),
    );
    for (const id of people) expect((await balanceOf(h, id)).balance).toBe(BALANCE_2023);
    expect(await escrowOf(h, voucherIds)).toBe(0);
    for (const e of after) {
      const [withdrawn] = await eventsOf(h, e.id, 'enrollment.withdrawn');
      expect(withdrawn?.organisationId).toBe(h.orgs.providerA.organisationId);
      expect(withdrawn?.data).toEqual({
        enrollmentId: e.id,
        voucherId: e.voucherId,
        courseId: course.id,
        runId: run.id,
        reason: 'RUN_CANCELLED',
        runCancellationReason: 'Gedung pelatihan rusak akibat banjir',
      });
      const [voucherEvent] = await eventsOf(h, e.voucherId, 'voucher.cancelled');
      expect(voucherEvent?.data).toMatchObject({ reason: 'RUN_CANCELLED', voucher: { status: 'CANCELLED' } });
      const audit = await h.db
        .select()
        .from(schema.auditLog)
        .where(
          and(eq(schema.auditLog.entityId, e.voucherId), eq(schema.auditLog.action, 'voucher.cancelled')),
        );
      expect(audit).toMatchObject([
        { fromState: 'REDEEMED', toState: 'CANCELLED', data: { from: 'ESCROW' } },
      ]);
    }
    // A withdrawn enrollment takes no more training records.
    expect(await code(p.attendance.record(present(ids[0] ?? '', 2)))).toBe('INVALID_STATE');
    expect(await code(p.completions.report({ enrollmentId: ids[1] ?? '', outcome: 'NOT_COMPLETED' }))).toBe(
      'INVALID_STATE',
    );

    // The day's batch accrues nothing for them: no provider is paid, and nothing is forfeit either.
    const day = businessDayOf(new Date(h.services.now()));
    h.clock.set(new Date(cutoffOf(day).getTime() + 2 * 3_600_000));
    await runSettlementBatch({
      db: h.db,
      actor: actorRef(null, null),
      now: new Date(h.services.now()),
      date: day,
    });
    expect(
      await h.db
        .select()
        .from(schema.settlementItems)
        .where(inArray(schema.settlementItems.voucherId, voucherIds)),
    ).toEqual([]);
    expect(await accountBalance(h.db, PROGRAM_FUND)).toBe(fundBefore);
    await booksBalance(h);
  });

  it('a run with a reported outcome is not cancelled: INVALID_STATE says how many, and nothing changes', async () => {
    const { ids, run } = await enrolled(h, 3);
    await complete(h, ids[0] ?? '');
    await h
      .caller('providerA')
      .provider.completions.report({ enrollmentId: ids[1] ?? '', outcome: 'NOT_COMPLETED' });
    const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1);
    const before = (await vouchersOfRun(h, run.id)).sort(byId);
    const err = await h
      .caller('providerA')
      .provider.runs.cancel({ id: run.id, reason: 'Terlambat dibatalkan' })
      .catch((e: unknown) => e);
    expect(codeOf(err)).toBe('INVALID_STATE');
    expect((err as Error).message).toContain('2 of its enrollments already have a reported outcome');
    expect((err as Error).message).toContain('control case');
    expect((await h.caller('providerA').provider.runs.get({ id: run.id })).status).not.toBe('CANCELLED');
    expect((await vouchersOfRun(h, run.id)).sort(byId)).toEqual(before);
    const [stillTraining] = await h.db
      .select()
      .from(schema.enrollments)
      .where(eq(schema.enrollments.id, ids[2] ?? ''));
    expect(stillTraining?.status).toBe('IN_TRAINING');
    expect(await eventsOf(h, run.id, 'run.cancelled')).toEqual([]);
    await booksBalance(h);
  });

  it('a participant whose purchase window has closed gets the scheme’s grace period (refundGraceDays) to buy again', async () => {
    const [late, soon, open] = await participants(h, 3);
    const { course, run } = await onSale(h);
    for (const x of [late, soon, open]) await buy(h, x?.cardNumber ?? '', course.id, run.id);
    const now = h.services.now();
    const setDeadline = (id: string, at: Date) =>
      h.db.update(schema.participants).set({ purchaseDeadline: at }).where(eq(schema.participants.id, id));
    // late's window closed and its unspent balance already went back to the fund.
    await setDeadline(late?.id ?? '', new Date(now - DAY));
    await setDeadline(soon?.id ?? '', new Date(now + 2 * DAY));
    const farAway = new Date(now + 20 * DAY);
    await setDeadline(open?.id ?? '', farAway);
    const expired = await expireDueBalances({ db: h.db, now: new Date(now) });
    expect(expired.expired).toBeGreaterThanOrEqual(1);
    expect((await balanceOf(h, late?.id ?? '')).balance).toBe(0);
    const price = course.price;

    await h.caller('providerA').provider.runs.cancel({ id: run.id, reason: 'Peserta terlalu sedikit' });
    const [scheme] = await h.db.select().from(schema.schemes).where(eq(schema.schemes.id, 'PRAKERJA_2023'));
    const graceDays = scheme?.rules.refundGraceDays ?? -1;
    expect(graceDays).toBe(7);

    const lateNow = await balanceOf(h, late?.id ?? '');
    expect(lateNow.balance).toBe(price); // the refund; what had expired before stays with the fund
    const graceEnd = lateNow.purchaseDeadline.getTime();
    expect(graceEnd).toBeGreaterThanOrEqual(now + graceDays * DAY);
    expect(graceEnd).toBeLessThan(now + graceDays * DAY + 60_000);
    expect((await balanceOf(h, soon?.id ?? '')).purchaseDeadline.getTime()).toBe(graceEnd);
    expect((await balanceOf(h, open?.id ?? '')).purchaseDeadline).toEqual(farAway);

    const audit = await h.db
      .select()
      .from(schema.auditLog)
      .where(
        and(
          eq(schema.auditLog.entityId, late?.id ?? ''),
          eq(schema.auditLog.action, 'participant.purchase_window_extended'),
        ),
      );
    expect(audit).toMatchObject([
      {
        data: {
          reason: 'RUN_CANCELLED',
          runId: run.id,
          refundGraceDays: 7,
          from: new Date(now - DAY).toISOString(),
          to: new Date(graceEnd).toISOString(),
        },
      },
    ]);
    const lateVoucher = (await vouchersOfRun(h, run.id)).find((v) => v.participantId === late?.id);
    const [event] = await eventsOf(h, lateVoucher?.id ?? '', 'voucher.cancelled');
    expect(event?.data).toMatchObject({
      refund: { amount: price, purchaseDeadline: new Date(graceEnd).toISOString(), extended: true },
    });

    // Within the grace period the refund buys another class; the balance expiry leaves it alone.
    expect((await expireDueBalances({ db: h.db, now: new Date(h.services.now()) })).expired).toBe(0);
    const other = await onSale(h, { who: 'providerB' });
    await expect(buy(h, late?.cardNumber ?? '', other.course.id, other.run.id)).resolves.toMatchObject({
      voucher: { status: 'ISSUED' },
    });
    // After it, what is left of the refunds goes back to the fund as any unspent balance does.
    await expireDueBalances({ db: h.db, now: new Date(graceEnd + 1000) });
    expect((await balanceOf(h, late?.id ?? '')).balance).toBe(0);
    expect((await balanceOf(h, soon?.id ?? '')).balance).toBe(0);
    expect((await balanceOf(h, open?.id ?? '')).balance).toBe(BALANCE_2023);
    await booksBalance(h);
  });

  it('expiry in two halves, each claimed with SKIP LOCKED and limited: an expired voucher is refunded and frees its seat, with no close reason', async () => {
    const people = await participants(h, 3);
    const { course, run } = await onSale(h, { capacity: 3 });
    const bought: Awaited<ReturnType<typeof buy>>[] = [];
    for (const x of people) bought.push(await buy(h, x.cardNumber, course.id, run.id));
    expect((await h.caller('providerA').provider.runs.get({ id: run.id })).status).toBe('FULL');
    const after = new Date(Date.parse(bought[0]?.voucher.expiresAt ?? '') + 1000);
    const first = await expireDueVouchers({ db: h.db, now: after, limit: 2 });
    expect(first).toEqual({ expired: 2, deferred: 0, busy: true });
    const second = await expireDueVouchers({ db: h.db, now: after, limit: 100 });
    expect(second).toMatchObject({ deferred: 0, busy: false });
    expect(second.expired).toBeGreaterThanOrEqual(1);
    for (const b of bought) {
      const v = await h.caller('platformA').platform.vouchers.get({ id: b.voucher.id });
      expect(v).toMatchObject({ status: 'EXPIRED', closeReason: null });
    }
    expect(await h.caller('providerA').provider.runs.get({ id: run.id })).toMatchObject({ seatsTaken: 0 });
    for (const x of people) expect((await balanceOf(h, x.id)).balance).toBe(BALANCE_2023);
    const balances = await expireDueBalances({ db: h.db, now: after, limit: 1000 });
    expect(balances.busy).toBe(false);
    expect(balances.returned).toBeGreaterThanOrEqual(3 * BALANCE_2023);
    for (const x of people) expect((await balanceOf(h, x.id)).balance).toBe(0);
    await booksBalance(h);
  });
});

describe.each(engines())('a cancelled 2020 run whose vouchers were accrued and paid (%s)', (engine) => {
  const h = useHarness(engine);
  let provider: ReturnType<typeof fakePaymentProvider> | undefined;
  const payments = () => {
    provider ??= fakePaymentProvider(h, server, {
      name: 'latih',
      latencyMs: [0, 2],
      timeoutMs: 150,
      maxRetries: 2,
    });
    h.services.payments = provider.client;
    return provider;
  };
  const sealer = () => createSealer(h.services.nikHashKey, 'payout-destinations');
  const advance = (ms: number) => h.clock.set(new Date(h.services.now() + ms));

  async function payEverything(client: PaymentsClient, mock: PaymentsMock) {
    for (let i = 0; i < 20; i++) {
      await payDue({ db: h.db, payments: client, sealer: sealer(), now: new Date(h.services.now()) });
      advance(61_000);
      await mock.tick();
      const open = await h.db
        .select()
        .from(schema.settlements)
        .where(inArray(schema.settlements.status, ['PENDING', 'IN_TRANSIT']));
      if (open.length === 0) return;
    }
    throw new Error('settlements did not get paid');
  }

  async function batch(day: string) {
    h.clock.set(new Date(cutoffOf(day).getTime() + 2 * 3_600_000));
    return h.caller('pmo').pmo.settlements.run({ date: day });
  }

  it('writes REVERSED lines, refunds the participants, and the provider’s next settlement is reduced by what it was paid', async () => {
    const { mock, client } = payments();
    await h.caller('providerA').provider.payoutAccount.set({
      destination: { kind: 'bank', bankCode: '009', accountNumber: '001234567', holderName: 'PT Latih' },
    });
    await h.caller('platformA').platform.payoutAccount.set({
      destination: { kind: 'ewallet', provider: 'dana', phone: '081298765432' },
    });
    const price = 800_000;
    const commission = 80_000; // 10 % under the 2020 scheme
    // The first class starts on day 27: its cancellation (day 28) comes two days before the 2020
    // participants' 30-day purchase window closes, so the refund comes with the grace period.
    const first = await webinar2020(h, { startDay: 27 });
    const second = await webinar2020(h, { startDay: 33 });
    const firstPeople = await participants(h, 3, { schemeId: 'PRAKERJA_2020' });
    const secondPeople = await participants(h, 4, { schemeId: 'PRAKERJA_2020' });
    const firstCodes = [];
    for (const x of firstPeople)
      firstCodes.push((await buy(h, x.cardNumber, first.course.id, first.run.id)).code);
    const secondCodes = [];
    for (const x of secondPeople)
      secondCodes.push((await buy(h, x.cardNumber, second.course.id, second.run.id)).code);

    // The first class is redeemed (payable on redemption under 2020), its day settled and paid.
    h.clock.set(new Date((await startOf(h, first.run.id)).getTime() - 10 * 60_000));
    const firstDay = businessDayOf(new Date(h.services.now()));
    for (const c of firstCodes)
      await h
        .caller('providerA')
        .provider.vouchers.redeem({ code: c, courseId: first.course.id, runId: first.run.id });
    const firstBatch = await batch(firstDay);
    expect(firstBatch).toMatchObject({ created: true, accrued: 3, amount: 3 * price });
    await payEverything(client, mock);
    const [paid] = (await h.caller('providerA').provider.settlements.list({ limit: 10 })).items;
    expect(paid).toMatchObject({ status: 'PAID', amount: 3 * (price - commission) });
    const payableBefore = await accountBalance(h.db, payableAccount(h.orgs.providerA.organisationId));
    const platformPayableBefore = await accountBalance(h.db, payableAccount(h.orgs.platformA.organisationId));

    // Then the class is called off (the trainer's studio burned down on day 2).
    await h
      .caller('providerA')
      .provider.runs.cancel({ id: first.run.id, reason: 'Studio terbakar, kelas batal' });
    const voucherIds = (await vouchersOfRun(h, first.run.id)).map((v) => v.id);
    const reversed = await h.db
      .select()
      .from(schema.settlementItems)
      .where(
        and(
          inArray(schema.settlementItems.voucherId, voucherIds),
          eq(schema.settlementItems.basis, 'REVERSED'),
        ),
      );
    expect(reversed.map((r) => [r.role, r.amount, r.commission, r.settlementId]).sort()).toEqual(
      [
        ...voucherIds.map(() => ['PLATFORM', -commission, -commission, null]),
        ...voucherIds.map(() => ['PROVIDER', -(price - commission), -commission, null]),
      ].sort(),
    );
    // What was paid for them is now owed to the program: a receivable per organisation (negative,
    // like the fund's), the payable accounts untouched.
    expect(await accountBalance(h.db, payableAccount(h.orgs.providerA.organisationId))).toBe(payableBefore);
    expect(await accountBalance(h.db, payableAccount(h.orgs.platformA.organisationId))).toBe(
      platformPayableBefore,
    );
    expect(await accountBalance(h.db, receivableAccount(h.orgs.providerA.organisationId))).toBe(
      -3 * (price - commission),
    );
    expect(await accountBalance(h.db, receivableAccount(h.orgs.platformA.organisationId))).toBe(
      -3 * commission,
    );
    expect(reversed.every((r) => r.receivable)).toBe(true);
    for (const x of firstPeople) {
      const now = await balanceOf(h, x.id);
      // Refunded in full, with 7 days (refundGraceDays) to spend it.
      expect(now.balance).toBe(BALANCE_2020);
      expect(now.purchaseDeadline.getTime()).toBeGreaterThanOrEqual(h.services.now() + 7 * DAY - 60_000);
    }
    for (const id of (await vouchersOfRun(h, first.run.id)).map((v) => v.id)) {
      const [event] = await eventsOf(h, id, 'voucher.cancelled');
      expect(event?.data).toMatchObject({
        reason: 'RUN_CANCELLED',
        refund: { amount: price, extended: true },
      });
    }
    const audits = await h.db
      .select()
      .from(schema.auditLog)
      .where(
        and(inArray(schema.auditLog.entityId, voucherIds), eq(schema.auditLog.action, 'voucher.cancelled')),
      );
    expect(audits.map((a) => (a.data as { from: string }).from)).toEqual(
      voucherIds.map(() => 'SETTLED_ACCRUAL_REVERSED'),
    );
    await booksBalance(h);

    // The next class's day: 4 vouchers earned, 3 given back: the settlement pays the difference.
    h.clock.set(new Date((await startOf(h, second.run.id)).getTime() - 10 * 60_000));
    const secondDay = businessDayOf(new Date(h.services.now()));
    for (const c of secondCodes)
      await h
        .caller('providerA')
        .provider.vouchers.redeem({ code: c, courseId: second.course.id, runId: second.run.id });
    const secondBatch = await batch(secondDay);
    expect(secondBatch).toMatchObject({ created: true, accrued: 4, amount: price });
    const mine = (await h.caller('providerA').provider.settlements.list({ limit: 10 })).items.find(
      (s) => s.batchDate === secondDay,
    );
    expect(mine).toMatchObject({ status: 'PENDING', amount: price - commission, itemCount: 7 });
    const lines = await h.caller('providerA').provider.settlements.items({ id: mine?.id ?? '', limit: 100 });
    expect(lines.items.filter((l) => l.basis === 'REVERSED')).toHaveLength(3);
    expect(lines.items.find((l) => l.basis === 'REVERSED')).toMatchObject({
      price,
      commission: -commission,
      amount: -(price - commission),
      recovery: true,
      // The statement says why it was clawed back.
      reason: {
        kind: 'RUN_CANCELLED',
        text: 'Studio terbakar, kelas batal',
        runId: first.run.id,
        caseId: null,
      },
    });
    expect(lines.items.filter((l) => l.basis !== 'REVERSED').every((l) => l.reason === null)).toBe(true);
    expect(lines.items.reduce((s, l) => s + l.amount, 0)).toBe(price - commission);
    const theirs = (await h.caller('platformA').platform.settlements.list({ limit: 10 })).items.find(
      (s) => s.batchDate === secondDay,
    );
    expect(theirs).toMatchObject({ amount: commission, itemCount: 7 });
    await payEverything(client, mock);
    // Over both days: the provider was paid for 4 vouchers, not 7, the platform its commission on 4;
    // the receivables were recovered by netting.
    expect(await accountBalance(h.db, payableAccount(h.orgs.providerA.organisationId))).toBe(0);
    expect(await accountBalance(h.db, payableAccount(h.orgs.platformA.organisationId))).toBe(0);
    expect(await accountBalance(h.db, receivableAccount(h.orgs.providerA.organisationId))).toBe(0);
    expect(await accountBalance(h.db, receivableAccount(h.orgs.platformA.organisationId))).toBe(0);
    const paidOut = await h.db.select().from(schema.settlements).where(eq(schema.settlements.status, 'PAID'));
    expect(paidOut.reduce((s, x) => s + x.amount, 0)).toBe(4 * price);
    await booksBalance(h);
  });

  it('cancelled before the day’s batch: refunded out of escrow and never accrued', async () => {
    const { course, run } = await webinar2020(h, { startDay: 40 });
    const people = await participants(h, 2, { schemeId: 'PRAKERJA_2020' });
    const codes = [];
    for (const x of people) codes.push((await buy(h, x.cardNumber, course.id, run.id)).code);
    h.clock.set(new Date((await startOf(h, run.id)).getTime() - 10 * 60_000));
    const day = businessDayOf(new Date(h.services.now()));
    for (const c of codes)
      await h.caller('providerA').provider.vouchers.redeem({ code: c, courseId: course.id, runId: run.id });
    await h.caller('providerA').provider.runs.cancel({ id: run.id, reason: 'Pelatih berhalangan hadir' });
    const ids = (await vouchersOfRun(h, run.id)).map((v) => v.id);
    const audits = await h.db
      .select()
      .from(schema.auditLog)
      .where(and(inArray(schema.auditLog.entityId, ids), eq(schema.auditLog.action, 'voucher.cancelled')));
    expect(audits.map((a) => (a.data as { from: string }).from)).toEqual(ids.map(() => 'ESCROW'));
    const b = await batch(day);
    expect(b.accrued).toBe(0);
    expect(
      await h.db.select().from(schema.settlementItems).where(inArray(schema.settlementItems.voucherId, ids)),
    ).toEqual([]);
    expect(await escrowOf(h, ids)).toBe(0);
    for (const x of people) expect((await balanceOf(h, x.id)).balance).toBe(BALANCE_2020);
    await booksBalance(h);
  });
});

/** All `tasks` at once, and `then()` as soon as `n` of them have finished (the rest still in flight). */
async function afterSome<T, U>(tasks: Promise<T>[], n: number, then: () => Promise<U>) {
  let finished = 0;
  let reached: () => void = () => undefined;
  const enough = new Promise<void>((resolve) => {
    reached = resolve;
  });
  for (const t of tasks)
    t.then(
      () => undefined,
      () => undefined,
    ).finally(() => {
      finished += 1;
      if (finished === n) reached();
    });
  return Promise.all([Promise.allSettled(tasks), enough.then(then)]);
}

describe.runIf(postgresAvailable())('run cancellation races on real PostgreSQL', () => {
  const h = useHarness('postgres', { poolSize: 16 });
  beforeEach(() => h.clock.reset());

  it('a cancel racing 24 confirmations: each sale is either refunded with its run or refused RUN_CANCELLED, never RUN_FULL', async () => {
    for (let round = 0; round < 4; round++) {
      const { course, run } = await onSale(h, { capacity: 30 });
      const people = await participants(h, 24);
      const platform = h.caller('platformA').platform.checkout;
      const checkouts = [];
      for (const p of people)
        checkouts.push(
          await platform.create({ cardNumber: p.cardNumber, courseId: course.id, runId: run.id }),
        );
      const confirms = checkouts.map((c) => platform.confirm({ id: c.id, code: h.otp.read(c.id) ?? '' }));
      // The cancel goes in once a few confirmations have finished, while the others are in flight.
      const [results, cancelled] = await afterSome(confirms, 2 + 3 * round, () =>
        h.caller('providerA').provider.runs.cancel({ id: run.id, reason: `Dibatalkan, ronde ${round}` }),
      );
      expect(cancelled.status).toBe('CANCELLED');
      const sold = results.filter((r) => r.status === 'fulfilled').map((r) => r.value.voucher.id);
      const refused = results.filter((r) => r.status === 'rejected').map((r) => codeOf(r.reason));
      expect(
        refused.every((c) => c === 'RUN_CANCELLED'),
        `round ${round}: ${refused.join(',')}`,
      ).toBe(true);
      const vouchers = await vouchersOfRun(h, run.id);
      expect(vouchers.map((v) => v.id).sort()).toEqual([...sold].sort());
      expect(vouchers.every((v) => v.status === 'CANCELLED' && v.closeReason === 'RUN_CANCELLED')).toBe(true);
      for (const p of people) expect((await balanceOf(h, p.id)).balance).toBe(BALANCE_2023);
      expect(await h.caller('providerA').provider.runs.get({ id: run.id })).toMatchObject({
        status: 'CANCELLED',
        seatsTaken: 0,
      });
      const [event] = await eventsOf(h, run.id, 'run.cancelled');
      expect(event?.data).toMatchObject({ seatsTaken: sold.length, vouchersCancelled: sold.length });
      expect(await escrowOf(h, sold)).toBe(0);
    }
    await booksBalance(h);
  });

  it('a cancel racing redemptions: a redeem that wins ends WITHDRAWN and refunded, one that loses answers VOUCHER_CANCELLED', async () => {
    for (let round = 0; round < 6; round++) {
      const { course, run } = await onSale(h, { capacity: 20 });
      const people = await participants(h, 16);
      const bought: Awaited<ReturnType<typeof buy>>[] = [];
      for (const p of people) bought.push(await buy(h, p.cardNumber, course.id, run.id));
      h.clock.set(new Date((await startOf(h, run.id)).getTime() - 10 * 60_000));
      const provider = () => h.caller('providerA').provider;
      const redeem = (b: (typeof bought)[number]) =>
        provider().vouchers.redeem({ code: b.code, courseId: course.id, runId: run.id });
      // A redemption is one statement, quicker than a cancellation: some go before the cancel is
      // sent, the rest right after it, so that some lose.
      const early = bought.slice(0, 3 * round).map(redeem);
      const cancel = h.caller('pmo').pmo.runs.cancel({ id: run.id, reason: `Banjir, ronde ${round}` });
      const rest = bought.slice(3 * round).map(redeem);
      const [results, cancelled] = await Promise.all([Promise.allSettled([...early, ...rest]), cancel]);
      expect(cancelled.status).toBe('CANCELLED');
      const won = results.filter((r) => r.status === 'fulfilled').map((r) => r.value.id);
      const lost = results.filter((r) => r.status === 'rejected').map((r) => codeOf(r.reason));
      expect(
        lost.every((c) => c === 'VOUCHER_CANCELLED'),
        `round ${round}: ${lost.join(',')}`,
      ).toBe(true);
      const enrollments = await h.db
        .select()
        .from(schema.enrollments)
        .where(eq(schema.enrollments.runId, run.id));
      expect(enrollments.map((e) => e.id).sort()).toEqual([...won].sort());
      expect(enrollments.every((e) => e.status === 'WITHDRAWN' && e.endReason === 'RUN_CANCELLED')).toBe(
        true,
      );
      const vouchers = await vouchersOfRun(h, run.id);
      expect(vouchers.every((v) => v.status === 'CANCELLED' && v.closeReason === 'RUN_CANCELLED')).toBe(true);
      for (const b of bought) {
        expect(await provider().vouchers.check({ code: b.code })).toMatchObject({
          redeemable: false,
          refusal: 'VOUCHER_CANCELLED',
        });
      }
      for (const p of people) expect((await balanceOf(h, p.id)).balance).toBe(BALANCE_2023);
      expect(
        await escrowOf(
          h,
          vouchers.map((v) => v.id),
        ),
      ).toBe(0);
      expect((await h.caller('providerA').provider.runs.get({ id: run.id })).seatsTaken).toBe(0);
      h.clock.reset();
    }
    await booksBalance(h);
  });

  it('a cancel racing the platform’s cancels and the expiry job: every voucher refunded exactly once, no deadlock', async () => {
    for (let round = 0; round < 4; round++) {
      const { course, run } = await onSale(h, { capacity: 20 });
      const people = await participants(h, 12);
      const bought: Awaited<ReturnType<typeof buy>>[] = [];
      for (const p of people) bought.push(await buy(h, p.cardNumber, course.id, run.id));
      // Past the redemption window: the expiry job wants these vouchers too.
      const late = new Date(Date.parse(bought[0]?.voucher.expiresAt ?? '') + 1000);
      h.clock.set(late);
      const platform = () => h.caller('platformA').platform.vouchers;
      const racing = await Promise.allSettled([
        ...bought.slice(0, 6).map((b) => platform().cancel({ id: b.voucher.id })),
        h.caller('providerA').provider.runs.cancel({ id: run.id, reason: `Ditutup, ronde ${round}` }),
        expireDueVouchers({ db: h.db, now: late, limit: 5 }),
        expireDueVouchers({ db: h.db, now: late, limit: 5 }),
      ]);
      for (const r of racing)
        if (r.status === 'rejected')
          expect(codeOf(r.reason), String(r.reason)).toBe('VOUCHER_NOT_CANCELLABLE');
      expect(racing[6]?.status).toBe('fulfilled');
      const vouchers = await vouchersOfRun(h, run.id);
      for (const v of vouchers) {
        expect(['CANCELLED', 'EXPIRED']).toContain(v.status);
        const refunds = await execRows<{ n: number | string }>(
          h.db,
          sql`select count(*) as n from ledger_transactions where reference = ${v.id} and kind in ('REFUND', 'VOUCHER_EXPIRY')`,
        );
        expect(Number(refunds[0]?.n)).toBe(1);
      }
      for (const p of people) expect((await balanceOf(h, p.id)).balance).toBe(BALANCE_2023);
      expect((await h.caller('providerA').provider.runs.get({ id: run.id })).seatsTaken).toBe(0);
      h.clock.reset();
    }
    await booksBalance(h);
  });

  it('a cancel racing the settlement batch (2020, payable on redemption): accrued and reversed, or never accrued; never paid', async () => {
    for (let round = 0; round < 3; round++) {
      h.clock.reset();
      const { course, run } = await webinar2020(h, { startDay: 10 + 3 * round });
      const people = await participants(h, 6, { schemeId: 'PRAKERJA_2020' });
      const codes = [];
      for (const p of people) codes.push((await buy(h, p.cardNumber, course.id, run.id)).code);
      h.clock.set(new Date((await startOf(h, run.id)).getTime() - 10 * 60_000));
      const day = businessDayOf(new Date(h.services.now()));
      for (const c of codes)
        await h.caller('providerA').provider.vouchers.redeem({ code: c, courseId: course.id, runId: run.id });
      h.clock.set(new Date(cutoffOf(day).getTime() + 2 * 3_600_000));
      const now = new Date(h.services.now());
      const [b, cancelled] = await Promise.all([
        runSettlementBatch({ db: h.db, actor: actorRef(null, null), now, date: day }),
        h.caller('providerA').provider.runs.cancel({ id: run.id, reason: `Batal, ronde ${round}` }),
      ]);
      expect(cancelled.status).toBe('CANCELLED');
      const ids = (await vouchersOfRun(h, run.id)).map((v) => v.id);
      const items = await h.db
        .select()
        .from(schema.settlementItems)
        .where(inArray(schema.settlementItems.voucherId, ids));
      // Either the batch came first (6 accruals per role, each reversed) or the cancel did (nothing).
      expect([0, 24]).toContain(items.length);
      expect(b.accrued).toBe(items.length === 0 ? 0 : 6);
      expect(items.reduce((s, i) => s + i.amount, 0)).toBe(0);
      expect(await escrowOf(h, ids)).toBe(0);
      for (const p of people) expect((await balanceOf(h, p.id)).balance).toBe(BALANCE_2020);
    }
    await booksBalance(h);
  });
});
