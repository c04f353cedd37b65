import {
  AppError,
  type TLineReason,
  type TSettlement,
  type TSettlementBatch,
  type TSettlementItem,
} from '@latih/contracts';
import {
  accrualsOfVouchers,
  assignSettlementItems,
  type Db,
  decodeCursor,
  findPayableVouchers,
  getSettlement,
  getSettlementBatch,
  heldLinesOf,
  insertSettlement,
  insertSettlementBatch,
  insertSettlementItems,
  type LedgerMovement,
  type LineReasonRecord,
  lineReasons,
  listSettlementItemsPage,
  listSettlementsPage,
  lockSettlementBatches,
  PAYOUTS_PENDING,
  PROGRAM_FUND,
  participantAccount,
  payableAccount,
  postLedgerTransactions,
  receivableAccount,
  type SettlementRow,
  toPage,
  unsettledTotals,
} from '@latih/db';
import { type Actor, type ActorRef, actorRef } from '../auth/actor';
import { recordChange } from '../changes';
import { newId } from '../ids';
import { VOUCHER_ESCROW } from '../marketplace/checkout';
import { retryPayout, toSettlement } from './state';

const DAY_MS = 86_400_000;
/** Business days are Jakarta's (WIB, UTC+7, no daylight saving). */
const WIB_OFFSET_MS = 7 * 3_600_000;

/** The WIB calendar day `now` falls on, as YYYY-MM-DD. */
export function businessDayOf(now: Date): string {
  return new Date(now.getTime() + WIB_OFFSET_MS).toISOString().slice(0, 10);
}

/** The end of a business day: the next day's 00:00 WIB. */
export function cutoffOf(date: string): Date {
  return new Date(Date.parse(`${date}T00:00:00Z`) - WIB_OFFSET_MS + DAY_MS);
}

export function previousBusinessDay(now: Date): string {
  return businessDayOf(new Date(now.getTime() - DAY_MS));
}

/** The commission a platform earns on a price: rounded down, so the provider never gets less. */
export function commissionOf(price: number, bps: number): number {
  return Math.floor((price * bps) / 10_000);
}

/**
 * Divides the price of every voucher the scheme makes payable before `cutoff` (on redemption, or
 * on completion) between its provider and its platform, with one balanced ledger transaction per
 * voucher taking it out of escrow. Under a completion rule, a voucher that ended NOT_COMPLETED
 * returns its price to the program's fund instead. Each voucher is divided once (one row per
 * voucher and role). Returns how many vouchers it handled.
 */
export async function accruePayable(tx: Db, cutoff: Date, now: Date): Promise<number> {
  let total = 0;
  for (;;) {
    const vouchers = await findPayableVouchers(tx, cutoff, 1_000);
    if (vouchers.length === 0) return total;
    const items: Parameters<typeof insertSettlementItems>[1] = [];
    const ledger: { id: string; kind: string; reference: string; entries: LedgerMovement[] }[] = [];
    for (const v of vouchers) {
      const base = {
        voucherId: v.voucherId,
        courseId: v.courseId,
        price: v.price,
        payableAt: v.at,
        heldAt: v.heldAt,
        createdAt: now,
      };
      if (v.payableOn === 'COMPLETED' && v.status === 'NOT_COMPLETED') {
        items.push({
          ...base,
          role: 'PROGRAM',
          organisationId: null,
          basis: 'NOT_COMPLETED',
          commission: 0,
          amount: v.price,
        });
        ledger.push({
          id: newId('ledgerTransaction', now.getTime()),
          kind: 'VOUCHER_FORFEIT',
          reference: v.voucherId,
          entries: [
            { account: VOUCHER_ESCROW, amount: -v.price },
            { account: PROGRAM_FUND, amount: v.price },
          ],
        });
        continue;
      }
      const commission = commissionOf(v.price, v.commissionBps);
      const basis = v.payableOn;
      items.push({
        ...base,
        role: 'PROVIDER',
        organisationId: v.providerId,
        basis,
        commission,
        amount: v.price - commission,
      });
      if (commission > 0)
        items.push({
          ...base,
          role: 'PLATFORM',
          organisationId: v.platformId,
          basis,
          commission,
          amount: commission,
        });
      ledger.push({
        id: newId('ledgerTransaction', now.getTime()),
        kind: 'VOUCHER_PAYABLE',
        reference: v.voucherId,
        entries: [
          { account: VOUCHER_ESCROW, amount: -v.price },
          { account: payableAccount(v.providerId), amount: v.price - commission },
          ...(commission > 0 ? [{ account: payableAccount(v.platformId), amount: commission }] : []),
        ],
      });
    }
    const inserted = await insertSettlementItems(tx, items);
    // Batch runs hold a lock, so nothing else divides vouchers: every row must have gone in.
    if (inserted.length !== items.length) throw new Error('settlement items were accrued twice');
    await postLedgerTransactions(tx, ledger);
    total += vouchers.length;
  }
}

/**
 * Undoes the accrual of vouchers whose class did not happen (their run was cancelled after the
 * batch divided their price): for each accrued line a REVERSED line with the negative amount and
 * commission, and per voucher one balanced ledger transaction that takes back from the provider's
 * and platform's payable accounts what the accrual credited them and gives the price back to the
 * participant. A line not yet settled nets to zero with its reversal in the next batch; one already
 * settled (or paid) leaves a negative line, booked as a receivable (`receivable:{org}`), that the
 * organisation's next settlement deducts (unsettledTotals pays only a positive net, so a debt
 * carries forward).
 *
 * Returns, per voucher reversed, whether its accrual had already been settled; vouchers never
 * accrued are not in it (their price is still in escrow: the caller refunds from there). The caller
 * holds the vouchers' rows and the settlement-batch lock (shared), so no batch accrues them meanwhile.
 */
export async function reverseAccruals(
  tx: Db,
  vouchers: { id: string; participantId: string; price: number }[],
  now: Date,
): Promise<Map<string, { settled: boolean }>> {
  const reversed = new Map<string, { settled: boolean }>();
  if (vouchers.length === 0) return reversed;
  const accruals = await accrualsOfVouchers(
    tx,
    vouchers.map((v) => v.id),
  );
  if (accruals.length === 0) return reversed;
  const items: Parameters<typeof insertSettlementItems>[1] = [];
  const ledger: { id: string; kind: string; reference: string; entries: LedgerMovement[] }[] = [];
  for (const v of vouchers) {
    const lines = accruals.filter((a) => a.voucherId === v.id);
    if (lines.length === 0) continue;
    // Only a voucher paid out to organisations is reversed here; a forfeit (PROGRAM) line belongs to
    // an outcome, and runs with outcomes are not cancelled.
    if (lines.some((l) => l.role === 'PROGRAM' || l.organisationId === null))
      throw new Error(`voucher ${v.id} has a program line: it has an outcome and cannot be reversed`);
    if (lines.reduce((sum, l) => sum + l.amount, 0) !== v.price)
      throw new Error(`voucher ${v.id}: its accrued lines do not add up to its price`);
    for (const l of lines) items.push(negativeLine(l, 'REVERSED', now));
    ledger.push({
      id: newId('ledgerTransaction', now.getTime()),
      kind: 'VOUCHER_PAYABLE_REVERSED',
      reference: v.id,
      entries: [...lines.map(undoEntry), { account: participantAccount(v.participantId), amount: v.price }],
    });
    reversed.set(v.id, { settled: lines.some((l) => l.settlementId !== null) });
  }
  const inserted = await insertSettlementItems(tx, items);
  // At most one reversal per voucher and role (a unique index): a second one would pay back twice.
  if (inserted.length !== items.length) throw new Error('a voucher was reversed twice');
  await postLedgerTransactions(tx, ledger);
  return reversed;
}

type AccruedLine = Awaited<ReturnType<typeof accrualsOfVouchers>>[number];

/**
 * The negative line undoing an accrued one. Unsettled, it nets with it in the next batch (and is
 * held with it); settled, it is money the organisation owes back: a receivable.
 */
export function negativeLine(
  l: AccruedLine,
  basis: 'REVERSED' | 'VOIDED',
  now: Date,
): Parameters<typeof insertSettlementItems>[1][number] {
  const settled = l.settlementId !== null;
  return {
    voucherId: l.voucherId,
    role: l.role,
    organisationId: l.organisationId,
    courseId: l.courseId,
    basis,
    price: l.price,
    commission: -l.commission,
    amount: -l.amount,
    receivable: settled,
    heldAt: settled ? null : l.heldAt,
    payableAt: now,
    createdAt: now,
  };
}

/** The ledger entry undoing an accrued line: from its payable account, or, once settled, a receivable. */
export function undoEntry(l: AccruedLine): LedgerMovement {
  const org = l.organisationId ?? '';
  return {
    account: l.settlementId !== null ? receivableAccount(org) : payableAccount(org),
    amount: -l.amount,
  };
}

/**
 * The day's settlement batch: accrues what became payable before the day's end (WIB), then makes
 * one PENDING settlement per organisation for everything payable and not yet settled, moving the
 * money from its payable account to `payouts:pending`. All in one transaction under a lock, and
 * once per day: running the same day again returns the batch made the first time. The payout
 * worker then pays the PENDING settlements.
 */
export async function runSettlementBatch(opts: {
  db: Db;
  actor: ActorRef;
  now: Date;
  date?: string | undefined;
}): Promise<TSettlementBatch> {
  const date = opts.date ?? previousBusinessDay(opts.now);
  const cutoff = cutoffOf(date);
  if (cutoff.getTime() > opts.now.getTime())
    throw new AppError('SETTLEMENT_DATE_NOT_ENDED', { field: 'date' });
  return opts.db.transaction(async (tx) => {
    await lockSettlementBatches(tx);
    const existing = await getSettlementBatch(tx, date);
    if (existing)
      return {
        date,
        cutoff: existing.cutoff.toISOString(),
        created: false,
        settlementCount: existing.settlementCount,
        itemCount: existing.itemCount,
        amount: existing.amount,
        accrued: 0,
      };
    const accrued = await accruePayable(tx, cutoff, opts.now);
    const totals = await unsettledTotals(tx, cutoff);
    const ledger: { id: string; kind: string; reference: string; entries: LedgerMovement[] }[] = [];
    let itemCount = 0;
    let amount = 0;
    for (const t of totals) {
      const row = await insertSettlement(tx, {
        id: newId('settlement', opts.now.getTime()),
        organisationId: t.organisationId,
        role: t.role,
        batchDate: date,
        amount: t.amount,
        itemCount: t.itemCount,
        status: 'PENDING',
        nextAttemptAt: opts.now,
        createdAt: opts.now,
        updatedAt: opts.now,
      });
      const assigned = await assignSettlementItems(tx, {
        settlementId: row.id,
        organisationId: t.organisationId,
        cutoff,
      });
      if (assigned !== t.itemCount) throw new Error('settlement items changed during the batch');
      // Receivable lines (negative) are recovered by netting: the receivable is cleared, and the
      // payable account gives what the other lines earned.
      ledger.push({
        id: newId('ledgerTransaction', opts.now.getTime()),
        kind: 'SETTLEMENT_PENDING',
        reference: row.id,
        entries: [
          { account: payableAccount(t.organisationId), amount: -(t.amount - t.receivable) },
          ...(t.receivable !== 0
            ? [{ account: receivableAccount(t.organisationId), amount: -t.receivable }]
            : []),
          { account: PAYOUTS_PENDING, amount: t.amount },
        ],
      });
      await recordChange(tx, {
        actor: opts.actor,
        action: 'settlement.created',
        entityType: 'settlement',
        entityId: row.id,
        fromState: null,
        toState: 'PENDING',
        event: {
          type: 'settlement.created',
          organisationId: t.organisationId,
          data: { settlement: toSettlement(row) },
        },
      });
      itemCount += t.itemCount;
      amount += t.amount;
    }
    await postLedgerTransactions(tx, ledger);
    await insertSettlementBatch(tx, {
      date,
      cutoff,
      settlementCount: totals.length,
      itemCount,
      amount,
      createdAt: opts.now,
    });
    return {
      date,
      cutoff: cutoff.toISOString(),
      created: true,
      settlementCount: totals.length,
      itemCount,
      amount,
      accrued,
    };
  });
}

function pageOfSettlements(rows: SettlementRow[], limit: number) {
  return toPage(rows, limit, (r) => r.id, toSettlement);
}

/** Statements: an organisation's own settlements (or, for the PMO, anyone's), newest first. */
export async function listSettlements(opts: {
  db: Db;
  actor: Actor;
  input: {
    limit: number;
    cursor?: string | undefined;
    status?: SettlementRow['status'] | undefined;
    organisationId?: string | undefined;
    batchDate?: string | undefined;
  };
}): Promise<{ items: TSettlement[]; nextCursor: string | null }> {
  const own = opts.actor.role !== 'pmo';
  const rows = await listSettlementsPage(opts.db, {
    organisationId: own ? opts.actor.organisationId : opts.input.organisationId,
    status: opts.input.status,
    batchDate: opts.input.batchDate,
    before: opts.input.cursor ? decodeCursor(opts.input.cursor) : undefined,
    limit: opts.input.limit,
  });
  return pageOfSettlements(rows, opts.input.limit);
}

async function visibleSettlement(db: Db, actor: Actor, id: string): Promise<SettlementRow> {
  const row = await getSettlement(db, id);
  if (!row || (actor.role !== 'pmo' && row.organisationId !== actor.organisationId))
    throw new AppError('SETTLEMENT_NOT_FOUND', { field: 'id' });
  return row;
}

export async function getSettlementOf(opts: { db: Db; actor: Actor; id: string }): Promise<TSettlement> {
  return toSettlement(await visibleSettlement(opts.db, opts.actor, opts.id));
}

/** A statement's line items: one per voucher, what it was sold for and what this party gets. */
export async function listSettlementItems(opts: {
  db: Db;
  actor: Actor;
  input: { id: string; limit: number; cursor?: string | undefined };
}): Promise<{ items: TSettlementItem[]; nextCursor: string | null }> {
  await visibleSettlement(opts.db, opts.actor, opts.input.id);
  const after = opts.input.cursor ? Number(decodeCursor(opts.input.cursor)) : undefined;
  if (after !== undefined && !Number.isSafeInteger(after))
    throw new AppError('VALIDATION_FAILED', {
      message: 'The cursor is not one this API returned.',
      field: 'cursor',
    });
  const rows = await listSettlementItemsPage(opts.db, {
    settlementId: opts.input.id,
    after,
    limit: opts.input.limit,
  });
  const undone = rows.filter((r) => r.basis === 'REVERSED' || r.basis === 'VOIDED' || r.heldAt);
  const reasons = await lineReasons(
    opts.db,
    undone.map((r) => r.voucherId),
  );
  return toPage(
    rows,
    opts.input.limit,
    (r) => String(r.id),
    (r) => ({
      voucherId: r.voucherId,
      courseId: r.courseId,
      basis: r.basis === 'NOT_COMPLETED' ? 'COMPLETED' : r.basis,
      price: r.price,
      commission: r.commission,
      amount: r.amount,
      recovery: r.receivable,
      payableAt: r.payableAt.toISOString(),
      reason: reasonOf(r, reasons.get(r.voucherId)),
    }),
  );
}

/**
 * The PMO sends a FAILED settlement again (after its cause, say a closed account, is fixed): a new
 * attempt with new idempotency keys, its money back from `payouts:failed` to `payouts:pending`.
 */
export async function retrySettlement(opts: {
  db: Db;
  actor: Actor;
  requestId: string | null;
  now: Date;
  id: string;
}): Promise<TSettlement> {
  return opts.db.transaction(async (tx) => {
    const row = await visibleSettlement(tx, opts.actor, opts.id);
    const moved = await retryPayout(
      tx,
      { kind: 'settlement', row },
      { actor: actorRef(opts.actor, opts.requestId), now: opts.now },
    );
    if (moved?.kind !== 'settlement') throw new AppError('SETTLEMENT_NOT_RETRYABLE', { field: 'id' });
    return toSettlement(moved.row);
  });
}

/**
 * Why a line was clawed back or held, as the statement shows it: a REVERSED line by its run's
 * cancellation, a VOIDED or held one by the case decision that named its enrollment.
 */
export function reasonOf(
  line: { basis: string; heldAt: Date | null },
  r: LineReasonRecord | undefined,
): TLineReason | null {
  if (!r) return null;
  if (line.basis === 'REVERSED' && r.cancellation)
    return {
      kind: 'RUN_CANCELLED',
      text: r.cancellation.reason,
      runId: r.runId,
      caseId: null,
      outcome: null,
      at: r.cancellation.at,
    };
  const c = line.basis === 'VOIDED' ? r.voided : line.heldAt ? r.held : null;
  if (c)
    return {
      kind: 'CASE_DECISION',
      text: c.decision.reason,
      runId: null,
      caseId: c.id,
      outcome: c.decision.outcome,
      at: c.decision.at,
    };
  return null;
}

/** The caller's lines held by a case decision and not yet settled, each with why. */
export async function heldLines(opts: { db: Db; actor: Actor }) {
  if (opts.actor.role !== 'provider' && opts.actor.role !== 'platform') throw new AppError('FORBIDDEN_ROLE');
  const rows = await heldLinesOf(opts.db, opts.actor.organisationId);
  const reasons = await lineReasons(
    opts.db,
    rows.map((r) => r.voucherId),
  );
  return {
    items: rows.map((r) => ({
      voucherId: r.voucherId,
      courseId: r.courseId,
      basis: r.basis === 'REDEEMED' ? ('REDEEMED' as const) : ('COMPLETED' as const),
      amount: r.amount,
      heldAt: (r.heldAt ?? r.createdAt).toISOString(),
      reason: reasonOf(r, reasons.get(r.voucherId)),
    })),
  };
}
