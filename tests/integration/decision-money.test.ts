/**
 * Decisions reach the money (issue 18, must-show 5): a voided completion that was already settled
 * becomes a receivable and a negative line in the provider's next settlement (never a negative
 * payout); the incentive it earned is held while unpaid and recorded for recovery once paid; lines
 * and incentives can be held and released by a case's decision. The books balance after each step
 * and agree with the settlement lines and incentives (receivableLedgerMismatches).
 */
import { actorRef, createSealer, cutoffOf, payDue, runSettlementBatch, transition } from '@latih/core';
import {
  checkLedger,
  PAYOUTS_HELD,
  PROGRAM_FUND,
  payableAccount,
  payoutLedgerMismatches,
  receivableAccount,
  receivableLedgerMismatches,
  schema,
} from '@latih/db';
import type { PaymentsClient, PaymentsMock } from '@latih/payments';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, postgresAvailable } from '../support/db';
import { complete, enrolled } from '../support/delivery-fixtures';
import { codeOf, type Harness, useHarness } from '../support/harness';
import { accountBalance } from '../support/ledger';
import { fakePaymentProvider } from '../support/payments';

const PRICE = 1_500_000;
const COMMISSION = 150_000;
const INCENTIVE = 600_000;

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());

async function expectBooks(h: Harness) {
  const books = await checkLedger(h.db);
  expect(books.balanced, JSON.stringify(books.unbalancedTransactions)).toBe(true);
  expect(books.balanceMismatches).toEqual([]);
  expect(await payoutLedgerMismatches(h.db)).toEqual([]);
  expect(await receivableLedgerMismatches(h.db)).toEqual([]);
}

async function enrollmentRow(h: Harness, id: string) {
  const [e] = await h.db.select().from(schema.enrollments).where(eq(schema.enrollments.id, id));
  if (!e) throw new Error('no enrollment');
  return e;
}

const incentivesOf = (h: Harness, enrollmentId: string) =>
  h.db.select().from(schema.incentives).where(eq(schema.incentives.enrollmentId, enrollmentId));

describe.each(engines())('case decisions reach the money (%s)', (engine) => {
  const h = useHarness(engine);
  let provider: ReturnType<typeof fakePaymentProvider> | undefined;
  const payments = () => {
    provider ??= fakePaymentProvider(h, server, {
      name: 'latih',
      latencyMs: [0, 2],
      timeoutMs: 500,
      maxRetries: 2,
    });
    h.services.payments = provider.client;
    return provider;
  };
  const pmo = () => h.caller('pmo').pmo;
  const sealer = () => createSealer(h.services.nikHashKey, 'payout-destinations');

  async function payAll(client: PaymentsClient, mock: PaymentsMock) {
    for (let i = 0; i < 20; i++) {
      await payDue({ db: h.db, payments: client, sealer: sealer(), now: new Date(h.services.now()) });
      h.clock.set(new Date(h.services.now() + 61_000));
      await mock.tick();
    }
  }

  /** Runs the batch of the WIB day the clock is on, two hours after that day's end. */
  async function batchToday() {
    const date = new Date(h.services.now() + 7 * 3_600_000).toISOString().slice(0, 10);
    h.clock.set(new Date(cutoffOf(date).getTime() + 2 * 3_600_000));
    return pmo().settlements.run({ date });
  }

  async function eligibleIncentive(enrollmentId: string, phone: string) {
    const e = await enrollmentRow(h, enrollmentId);
    await h
      .caller('platformA')
      .platform.reviews.submit({ voucherId: e.voucherId, rating: 5, text: 'Bermanfaat' });
    await pmo().participants.setPayoutAccount({
      participantId: e.participantId,
      destination: { kind: 'ewallet', provider: 'gopay', phone },
    });
    await pmo().incentives.evaluate({ participantIds: [e.participantId] });
    const [first] = await incentivesOf(h, enrollmentId);
    expect(first?.status).toBe('ELIGIBLE');
    return e;
  }

  const caseAbout = async (enrollmentId: string) =>
    (
      await pmo().cases.open({
        subjectType: 'ENROLLMENT',
        subjectId: enrollmentId,
        summary: 'Joki: peserta lain',
      })
    ).id;

  it('voiding a settled completion: a receivable, a negative line netted in the next settlement, never a negative payout; the paid incentive recorded for recovery', async () => {
    const { mock, client } = payments();
    h.clock.reset();
    await h.caller('providerA').provider.payoutAccount.set({
      destination: { kind: 'bank', bankCode: '009', accountNumber: '0012345678', holderName: 'LPK A' },
    });
    await h.caller('platformA').platform.payoutAccount.set({
      destination: { kind: 'bank', bankCode: '014', accountNumber: '5566778899', holderName: 'Platform A' },
    });
    const providerId = h.orgs.providerA.organisationId;
    const platformId = h.orgs.platformA.organisationId;
    const { ids } = await enrolled(h, 3, { startDay: 30 });
    const [joki, honest1, honest2] = ids as [string, string, string];
    for (const id of ids) await complete(h, id);
    const jokiRow = await eligibleIncentive(joki, '081211112222');
    expect(await batchToday()).toMatchObject({ created: true, accrued: 3, amount: 3 * PRICE });
    await payAll(client, mock);
    const paid = (await h.caller('providerA').provider.settlements.list({ limit: 5 })).items[0];
    expect(paid).toMatchObject({ status: 'PAID', amount: 3 * (PRICE - COMMISSION) });
    expect((await incentivesOf(h, joki))[0]?.status).toBe('PAID');
    await expectBooks(h);

    const fundBefore = await accountBalance(h.db, PROGRAM_FUND);
    const caseId = await caseAbout(joki);
    const decided = await pmo().cases.decide({
      id: caseId,
      outcome: 'VOID_COMPLETION',
      reason: 'Peserta digantikan orang lain (joki), terbukti dari rekaman',
    });
    expect(decided.status).toBe('DECIDED');
    expect(decided.decision?.effects.join('\n')).toMatch(/already settled .* is now a receivable/);
    expect(decided.decision?.effects.join('\n')).toMatch(/recorded for recovery from the participant/);

    // The books: both organisations owe back what they were paid; the price and the incentive are
    // back in the fund's books, owed by the provider, the platform and the participant.
    expect(await accountBalance(h.db, receivableAccount(providerId))).toBe(-(PRICE - COMMISSION));
    expect(await accountBalance(h.db, receivableAccount(platformId))).toBe(-COMMISSION);
    expect(await accountBalance(h.db, receivableAccount(jokiRow.participantId))).toBe(-INCENTIVE);
    expect(await accountBalance(h.db, PROGRAM_FUND)).toBe(fundBefore + PRICE + INCENTIVE);
    const voided = await h.db
      .select()
      .from(schema.settlementItems)
      .where(
        and(
          eq(schema.settlementItems.voucherId, jokiRow.voucherId),
          eq(schema.settlementItems.basis, 'VOIDED'),
        ),
      );
    expect(voided.map((l) => [l.role, l.amount, l.receivable, l.settlementId]).sort()).toEqual([
      ['PLATFORM', -COMMISSION, true, null],
      ['PROVIDER', -(PRICE - COMMISSION), true, null],
    ]);
    const [incentive] = await incentivesOf(h, joki);
    expect(incentive).toMatchObject({ status: 'PAID' });
    expect(incentive?.recoveryDueAt).not.toBeNull();
    expect(
      (await pmo().incentives.ofParticipant({ participantId: jokiRow.participantId })).items[0],
    ).toMatchObject({ status: 'PAID', recoveryDueAt: expect.any(String) });
    await expectBooks(h);

    // Voiding again takes nothing back twice: the case is decided, and a new case is refused.
    expect(
      await pmo()
        .cases.decide({
          id: await caseAbout(joki),
          outcome: 'VOID_COMPLETION',
          reason: 'Sekali lagi untuk uji',
        })
        .then(
          () => 'OK',
          (e: unknown) => codeOf(e),
        ),
    ).toBe('CASE_OUTCOME_NOT_APPLICABLE');

    // The next day earns nothing: the provider's net is negative, so it gets no settlement at all.
    h.clock.set(new Date(h.services.now() + 86_400_000));
    const quiet = await batchToday();
    expect(quiet.created).toBe(true);
    const providerSettlements = () =>
      h.db.select().from(schema.settlements).where(eq(schema.settlements.organisationId, providerId));
    expect((await providerSettlements()).every((s) => s.amount > 0)).toBe(true);
    expect(await providerSettlements()).toHaveLength(1);
    expect(await accountBalance(h.db, receivableAccount(providerId))).toBe(-(PRICE - COMMISSION));

    // Two honest completions later, the settlement pays them less the debt, with the negative line in it.
    const next = await enrolled(h, 2, { startDay: 36 });
    for (const id of next.ids) await complete(h, id);
    const later = await batchToday();
    expect(later).toMatchObject({ created: true, accrued: 2 });
    const mine = (await h.caller('providerA').provider.settlements.list({ limit: 5 })).items.find(
      (s) => s.batchDate === later.date,
    );
    expect(mine).toMatchObject({ status: 'PENDING', amount: PRICE - COMMISSION, itemCount: 3 });
    const lines = await h.caller('providerA').provider.settlements.items({ id: mine?.id ?? '', limit: 10 });
    expect(lines.items.filter((l) => l.basis === 'VOIDED')).toEqual([
      expect.objectContaining({
        voucherId: jokiRow.voucherId,
        amount: -(PRICE - COMMISSION),
        recovery: true,
        // The statement names the decision and its reason.
        reason: expect.objectContaining({
          kind: 'CASE_DECISION',
          caseId,
          outcome: 'VOID_COMPLETION',
          text: 'Peserta digantikan orang lain (joki), terbukti dari rekaman',
        }),
      }),
    ]);
    expect(lines.items.filter((l) => l.basis !== 'VOIDED').map((l) => l.reason)).toEqual([null, null]);
    expect(await accountBalance(h.db, receivableAccount(providerId))).toBe(0);
    expect(await accountBalance(h.db, receivableAccount(platformId))).toBe(0);
    expect(await accountBalance(h.db, payableAccount(providerId))).toBe(0);
    await payAll(client, mock);
    expect((await h.caller('providerA').provider.settlements.get({ id: mine?.id ?? '' })).status).toBe(
      'PAID',
    );
    // Over both days the provider was paid for 4 completions, not 5; the honest ones untouched.
    const all = await providerSettlements();
    expect(all.reduce((s, x) => s + x.amount, 0)).toBe(4 * (PRICE - COMMISSION));
    for (const id of [honest1, honest2]) expect((await enrollmentRow(h, id)).status).toBe('COMPLETED');
    // The participant's debt stays until recovered outside the gateway.
    expect(await accountBalance(h.db, receivableAccount(jokiRow.participantId))).toBe(-INCENTIVE);
    await expectBooks(h);
  });

  it('voiding before the batch: the unpaid incentive is held out of the payout worker; released, then reversed to the fund', async () => {
    const { mock, client } = payments();
    h.clock.reset();
    const { ids } = await enrolled(h, 2, { startDay: 50 });
    const [joki, other] = ids as [string, string];
    for (const id of ids) await complete(h, id);
    const row = await eligibleIncentive(joki, '081233334444');
    const fundBefore = await accountBalance(h.db, PROGRAM_FUND);

    const decided = await pmo().cases.decide({
      id: await caseAbout(joki),
      outcome: 'VOID_COMPLETION',
      reason: 'Kehadiran dipalsukan oleh operator lembaga',
    });
    expect(decided.decision?.effects.join('\n')).toMatch(/ELIGIBLE → HELD/);
    expect((await incentivesOf(h, joki))[0]).toMatchObject({ status: 'HELD' });
    expect(await accountBalance(h.db, PAYOUTS_HELD)).toBe(INCENTIVE);
    // The payout worker does not pay it.
    await payAll(client, mock);
    expect((await incentivesOf(h, joki))[0]).toMatchObject({ status: 'HELD', providerPayoutId: null });
    await expectBooks(h);

    // Not accrued yet: the batch forfeits the voided voucher's price to the fund, pays the other.
    const batch = await batchToday();
    expect(batch).toMatchObject({ accrued: 2, amount: PRICE });
    expect(await accountBalance(h.db, PROGRAM_FUND)).toBe(fundBefore + PRICE);
    await expectBooks(h);

    // Released on appeal: ELIGIBLE again, and paid.
    const released = await pmo().cases.decide({
      id: await caseAbout(joki),
      outcome: 'RELEASE_INCENTIVE',
      reason: 'Banding diterima: peserta tidak terlibat',
    });
    expect(released.decision?.effects.join('\n')).toMatch(/HELD → ELIGIBLE/);
    expect(await accountBalance(h.db, PAYOUTS_HELD)).toBe(0);
    await expectBooks(h);

    // Reversed instead (a second look): CANCELLED, the money back in the fund, never paid.
    const reversed = await pmo().cases.decide({
      id: await caseAbout(joki),
      outcome: 'REVERSE_INCENTIVE',
      reason: 'Banding ditinjau ulang: insentif dibatalkan',
    });
    expect(reversed.decision?.effects.join('\n')).toMatch(/ELIGIBLE → CANCELLED/);
    expect((await incentivesOf(h, joki))[0]).toMatchObject({ status: 'CANCELLED' });
    expect(await accountBalance(h.db, PROGRAM_FUND)).toBe(fundBefore + PRICE + INCENTIVE);
    await payAll(client, mock);
    expect([...mock.state.payouts.values()].some((p) => p.metadata.incentiveId === row.id)).toBe(false);
    await expectBooks(h);

    // Nothing to act on: refused with the item's reason, nothing written.
    const auditBefore = await h.db.select({ n: sql<number>`count(*)` }).from(schema.auditLog);
    const refused = await pmo()
      .cases.decide({
        id: await caseAbout(other),
        outcome: 'HOLD_INCENTIVE',
        reason: 'Tidak ada insentif di sini',
      })
      .then(
        () => null,
        (e: unknown) => e as { message: string },
      );
    expect(codeOf(refused)).toBe('CASE_OUTCOME_NOT_APPLICABLE');
    expect(refused?.message).toMatch(/NO_INCENTIVE/);
    const auditAfter = await h.db.select({ n: sql<number>`count(*)` }).from(schema.auditLog);
    expect(Number(auditAfter[0]?.n)).toBe(Number(auditBefore[0]?.n) + 1); // the case's opening only
  });

  it('an incentive being paid right now is left as it is (INCENTIVE_IN_TRANSIT)', async () => {
    payments();
    h.clock.reset();
    const { ids } = await enrolled(h, 1, { startDay: 70 });
    const [id] = ids as [string];
    await complete(h, id);
    await eligibleIncentive(id, '081255556666');
    // A worker holds it (its lease runs) while it talks to the payment provider.
    await h.db
      .update(schema.incentives)
      .set({ leaseUntil: new Date(h.services.now() + 60_000) })
      .where(eq(schema.incentives.enrollmentId, id));
    const refused = await pmo()
      .cases.decide({
        id: await caseAbout(id),
        outcome: 'HOLD_INCENTIVE',
        reason: 'Tahan insentif peserta ini',
      })
      .then(
        () => null,
        (e: unknown) => e as { message: string },
      );
    expect(codeOf(refused)).toBe('CASE_OUTCOME_NOT_APPLICABLE');
    expect(refused?.message).toMatch(/INCENTIVE_IN_TRANSIT/);
    expect((await incentivesOf(h, id))[0]).toMatchObject({ status: 'ELIGIBLE' });
    await expectBooks(h);
  });

  it('a paid incentive recorded for recovery and then returned by the bank is never sent again: held, it is cancelled and the debt cleared', async () => {
    const { mock, client } = payments();
    h.clock.reset();
    const { ids } = await enrolled(h, 1, { startDay: 110 });
    const [id] = ids as [string];
    await complete(h, id);
    const row = await eligibleIncentive(id, '081277778888');
    await payAll(client, mock);
    const [paid] = await incentivesOf(h, id);
    expect(paid?.status).toBe('PAID');
    await pmo().cases.decide({
      id: await caseAbout(id),
      outcome: 'HOLD_INCENTIVE',
      reason: 'Insentif diterima atas pelatihan yang dikerjakan orang lain',
    });
    expect(await accountBalance(h.db, receivableAccount(row.participantId))).toBe(-INCENTIVE);
    // The bank returns the payout (a closed e-wallet): the money is back.
    const [recorded] = await incentivesOf(h, id);
    await h.db.transaction((tx) =>
      transition(
        tx,
        { kind: 'incentive', row: recorded as NonNullable<typeof recorded> },
        { to: 'FAILED', set: { failureCode: 'account_closed', failureMessage: 'Returned by the bank' } },
        { actor: actorRef(null, null), now: new Date(h.services.now()) },
      ),
    );
    expect(
      await pmo()
        .incentives.retry({ id: paid?.id ?? '' })
        .then(
          () => 'OK',
          (e: unknown) => codeOf(e),
        ),
    ).toBe('INCENTIVE_NOT_RETRYABLE');
    const decided = await pmo().cases.decide({
      id: await caseAbout(id),
      outcome: 'HOLD_INCENTIVE',
      reason: 'Dana kembali dari bank: tutup insentif ini',
    });
    expect(decided.decision?.effects.join('\n')).toMatch(/FAILED → CANCELLED/);
    expect((await incentivesOf(h, id))[0]).toMatchObject({ status: 'CANCELLED' });
    expect(await accountBalance(h.db, receivableAccount(row.participantId))).toBe(0);
    await expectBooks(h);
  });

  it("holding a provider's lines keeps them out of settlements until released; settled ones cannot be held", async () => {
    payments();
    h.clock.reset();
    const providerId = h.orgs.providerA.organisationId;
    const { ids } = await enrolled(h, 3, { startDay: 90 });
    const [held, accruedHeld, free] = ids as [string, string, string];
    for (const id of ids) await complete(h, id);
    // Held before the batch accrues it: its lines are accrued held.
    expect(
      (
        await pmo().cases.decide({
          id: await caseAbout(held),
          outcome: 'HOLD_SETTLEMENT_LINES',
          reason: 'Tahan pembayaran sampai bukti kehadiran diterima',
        })
      ).decision?.effects.join('\n'),
    ).toMatch(/not accrued yet/);
    // Held already: a second hold changes nothing and says so.
    const again = await pmo()
      .cases.decide({
        id: await caseAbout(held),
        outcome: 'HOLD_SETTLEMENT_LINES',
        reason: 'Tahan lagi untuk uji',
      })
      .then(
        () => null,
        (e: unknown) => e as { message: string },
      );
    expect(again?.message).toMatch(/NOTHING_TO_CHANGE/);
    const first = await batchToday();
    expect(first.created).toBe(true);
    const vouchersIn = async (date: string) => {
      const mine = (await h.caller('providerA').provider.settlements.list({ limit: 10 })).items.find(
        (s) => s.batchDate === date,
      );
      return (
        await h.caller('providerA').provider.settlements.items({ id: mine?.id ?? '', limit: 100 })
      ).items.map((i) => i.voucherId);
    };
    const voucherOf = async (id: string) => (await enrollmentRow(h, id)).voucherId;
    const settledFirst = await vouchersIn(first.date);
    expect(settledFirst).toContain(await voucherOf(accruedHeld));
    expect(settledFirst).toContain(await voucherOf(free));
    expect(settledFirst).not.toContain(await voucherOf(held));
    // The platform's commission is held with it: the whole voucher waits.
    const heldLines = await h.db
      .select()
      .from(schema.settlementItems)
      .where(eq(schema.settlementItems.voucherId, (await enrollmentRow(h, held)).voucherId));
    expect(heldLines.map((l) => [l.role, l.settlementId, l.heldAt !== null]).sort()).toEqual([
      ['PLATFORM', null, true],
      ['PROVIDER', null, true],
    ]);
    expect(await accountBalance(h.db, payableAccount(providerId))).toBe(PRICE - COMMISSION);
    await expectBooks(h);
    // The provider sees the held line and why; the platform its commission on it, with the same reason.
    const shownHeld = await h.caller('providerA').provider.settlements.held();
    expect(shownHeld.items).toEqual([
      expect.objectContaining({
        voucherId: await voucherOf(held),
        amount: PRICE - COMMISSION,
        reason: expect.objectContaining({
          kind: 'CASE_DECISION',
          outcome: 'HOLD_SETTLEMENT_LINES',
          text: 'Tahan pembayaran sampai bukti kehadiran diterima',
        }),
      }),
    ]);
    expect((await h.caller('platformA').platform.settlements.held()).items).toEqual([
      expect.objectContaining({ voucherId: await voucherOf(held), amount: COMMISSION }),
    ]);
    expect((await h.caller('providerB').provider.settlements.held()).items).toEqual([]);

    // Settled lines cannot be held: ALREADY_SETTLED, nothing written.
    const refused = await pmo()
      .cases.decide({
        id: await caseAbout(accruedHeld),
        outcome: 'HOLD_SETTLEMENT_LINES',
        reason: 'Terlambat: sudah dibayarkan',
      })
      .then(
        () => null,
        (e: unknown) => e as { message: string },
      );
    expect(refused?.message).toMatch(/ALREADY_SETTLED/);
    expect((await enrollmentRow(h, free)).status).toBe('COMPLETED');

    // Released: the next batch settles it.
    expect(
      (
        await pmo().cases.decide({
          id: await caseAbout(held),
          outcome: 'RELEASE_SETTLEMENT_LINES',
          reason: 'Bukti kehadiran diterima dan sah',
        })
      ).decision?.effects.join('\n'),
    ).toMatch(/released to the next batch/);
    h.clock.set(new Date(h.services.now() + 86_400_000));
    const second = await batchToday();
    expect(await vouchersIn(second.date)).toEqual([await voucherOf(held)]);
    expect((await h.caller('providerA').provider.settlements.held()).items).toEqual([]);
    expect(await accountBalance(h.db, payableAccount(providerId))).toBe(0);
    await expectBooks(h);
  });
});

describe.runIf(postgresAvailable())('voids racing the settlement batch on real PostgreSQL', () => {
  const h = useHarness('postgres', { poolSize: 12 });

  it('six voids race the batch that would pay them: each voucher is forfeit or accrued and taken back, never paid', async () => {
    for (let round = 0; round < 3; round++) {
      h.clock.reset();
      const { ids } = await enrolled(h, 6, { startDay: 120 + 3 * round });
      for (const id of ids) await complete(h, id);
      const caseIds: string[] = [];
      for (const id of ids)
        caseIds.push(
          (
            await h
              .caller('pmo')
              .pmo.cases.open({ subjectType: 'ENROLLMENT', subjectId: id, summary: `Ronde ${round}: joki` })
          ).id,
        );
      const date = new Date(h.services.now() + 7 * 3_600_000).toISOString().slice(0, 10);
      h.clock.set(new Date(cutoffOf(date).getTime() + 2 * 3_600_000));
      const now = new Date(h.services.now());
      const pmo = h.caller('pmo').pmo;
      const results = await Promise.allSettled([
        runSettlementBatch({ db: h.db, actor: actorRef(null, null), now, date }),
        ...caseIds.map((id) =>
          pmo.cases.decide({ id, outcome: 'VOID_COMPLETION', reason: `Joki terbukti, ronde ${round}` }),
        ),
      ]);
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      const vouchers = await h.db
        .select({ id: schema.enrollments.voucherId })
        .from(schema.enrollments)
        .where(inArray(schema.enrollments.id, ids));
      const lines = await h.db
        .select()
        .from(schema.settlementItems)
        .where(
          inArray(
            schema.settlementItems.voucherId,
            vouchers.map((v) => v.id),
          ),
        );
      for (const v of vouchers) {
        const mine = lines.filter((l) => l.voucherId === v.id);
        const org = mine.filter((l) => l.role !== 'PROGRAM');
        // The organisations end with nothing for it: never accrued (forfeit to the fund), or
        // accrued, settled in the same batch and taken back as a receivable.
        expect(
          org.reduce((sum, l) => sum + l.amount, 0),
          v.id,
        ).toBe(0);
        if (org.length === 0) {
          expect(mine.map((l) => [l.role, l.basis])).toEqual([['PROGRAM', 'NOT_COMPLETED']]);
        } else {
          expect(org.map((l) => l.basis).sort()).toEqual(['COMPLETED', 'COMPLETED', 'VOIDED', 'VOIDED']);
          // A recovery (receivable) line exactly where the batch had settled the accrual; unsettled
          // (the organisation's earlier debt absorbed it), the two lines net in a later batch.
          for (const voided of org.filter((l) => l.basis === 'VOIDED')) {
            const accrued = org.find((l) => l.basis === 'COMPLETED' && l.role === voided.role);
            expect(voided.receivable).toBe(accrued?.settlementId !== null);
          }
        }
      }
      await expectBooks(h);
    }
  });
});
