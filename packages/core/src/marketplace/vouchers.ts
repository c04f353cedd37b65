import { AppError, type TVoucher, type TVoucherCloseReason } from '@latih/contracts';
import {
  cancelOpenVouchers,
  closeIssuedVoucher,
  type Db,
  dueBalances,
  dueVouchers,
  type EnrollmentLockRow,
  findRunRow,
  findVoucher,
  listVouchers as listVoucherRows,
  lockEnrollmentsOfVouchers,
  lockParticipantsForRefund,
  lockRunEnrollments,
  lockRunsNoWait,
  lockRunVouchers,
  PROGRAM_FUND,
  participantAccount,
  postLedgerTransaction,
  postLedgerTransactions,
  type RunRow,
  refundParticipant,
  releaseSeat,
  toVoucher,
  updateParticipantBalance,
  type VoucherRow,
  withdrawEnrollments,
} from '@latih/db';
import { type Actor, type ActorRef, actorRef } from '../auth/actor';
import { resolveScheme } from '../catalog/rules';
import { recordChange } from '../changes';
import { notFound } from '../courses';
import { newId } from '../ids';
import { reverseAccruals } from '../payouts/settlements';
import { VOUCHER_ESCROW } from './checkout';

const DAY_MS = 86_400_000;
const SYSTEM: ActorRef = { organisationId: null, clientId: null, requestId: null };

function platformScope(actor: Actor): { platformId?: string } {
  if (actor.role === 'platform') return { platformId: actor.organisationId };
  if (actor.role === 'pmo') return {};
  throw new AppError('FORBIDDEN_ROLE');
}

export async function getVoucher(opts: { db: Db; actor: Actor; id: string }): Promise<TVoucher> {
  const row = await findVoucher(opts.db, opts.id, platformScope(opts.actor));
  if (!row) throw notFound(opts.id);
  return toVoucher(row);
}

export function listVouchers(opts: {
  db: Db;
  actor: Actor;
  input: { status?: VoucherRow['status'] | undefined; limit: number; cursor?: string | undefined };
}) {
  if (opts.actor.role !== 'platform') throw new AppError('FORBIDDEN_ROLE');
  return listVoucherRows(opts.db, opts.input, { platformId: opts.actor.organisationId });
}

/**
 * Closes an ISSUED voucher (cancelled by its platform, or expired) and undoes the sale: the price
 * goes back to the participant's balance and the seat back to the run, in one transaction. A voucher
 * redeemed concurrently is not ISSUED any more, so exactly one of the two wins. The caller holds the
 * voucher's run (if any) and the voucher, in that order.
 */
async function unwind(
  tx: Db,
  v: VoucherRow,
  to: 'CANCELLED' | 'EXPIRED',
  actor: ActorRef,
  now: Date,
): Promise<TVoucher> {
  const reason: TVoucherCloseReason | null = to === 'CANCELLED' ? 'PLATFORM_CANCELLED' : null;
  const closed = await closeIssuedVoucher(tx, v.id, to, now, reason);
  if (!closed) throw new AppError('VOUCHER_NOT_CANCELLABLE', { field: 'id' });
  const refunded = await refundParticipant(tx, v.participantId, v.price, null);
  await postLedgerTransaction(tx, {
    id: newId('ledgerTransaction', now.getTime()),
    kind: to === 'CANCELLED' ? 'REFUND' : 'VOUCHER_EXPIRY',
    reference: v.id,
    entries: [
      { account: VOUCHER_ESCROW, amount: -v.price },
      { account: participantAccount(v.participantId), amount: v.price },
    ],
  });
  if (v.runId) {
    const run = await releaseSeat(tx, v.runId);
    if (run) {
      await recordChange(tx, {
        actor,
        action: 'run.seat_released',
        entityType: 'run',
        entityId: v.runId,
        fromState: null,
        toState: run.status,
        event: {
          type: 'run.reopened',
          organisationId: run.providerId,
          data: { runId: v.runId, courseId: run.courseId },
        },
      });
    }
  }
  const voucher = toVoucher(closed);
  const refund = {
    amount: v.price,
    purchaseDeadline: refunded.purchaseDeadline.toISOString(),
    extended: false,
  };
  await recordChange(tx, {
    actor,
    action: to === 'CANCELLED' ? 'voucher.cancelled' : 'voucher.expired',
    entityType: 'voucher',
    entityId: v.id,
    fromState: 'ISSUED',
    toState: to,
    event:
      to === 'CANCELLED'
        ? {
            type: 'voucher.cancelled',
            organisationId: v.platformId,
            data: { voucher, reason: 'PLATFORM_CANCELLED', refund },
          }
        : { type: 'voucher.expired', organisationId: v.platformId, data: { voucher } },
  });
  return voucher;
}

export async function cancelVoucher(opts: {
  db: Db;
  actor: Actor;
  requestId: string | null;
  input: { id: string };
  now?: Date;
}) {
  if (opts.actor.role !== 'platform') throw new AppError('FORBIDDEN_ROLE');
  const now = opts.now ?? new Date();
  const scope = { platformId: opts.actor.organisationId };
  return opts.db.transaction(async (tx) => {
    const seen = await findVoucher(tx, opts.input.id, scope);
    if (!seen) throw notFound(opts.input.id);
    // The run before the voucher (the lock order of a run's cancellation, which holds the run and
    // then waits for its vouchers): the other way round the two could deadlock.
    if (seen.runId) await findRunRow(tx, seen.runId, {}, { forNoKeyUpdate: true });
    const v = await findVoucher(tx, opts.input.id, scope, { forUpdate: true });
    if (!v) throw notFound(opts.input.id);
    return unwind(tx, v, 'CANCELLED', actorRef(opts.actor, opts.requestId), now);
  });
}

/**
 * Ends the vouchers of a run being cancelled, in the caller's transaction, which holds the
 * settlement-batch lock (shared) and then the run's row: nobody is paid for a class that did not
 * happen, and nobody loses balance over it.
 *
 * - ISSUED vouchers (sold in the same instant included: a confirmation takes its seat by updating
 *   the run row, so it either committed before the run was locked and its voucher is seen here, or
 *   it finds the run CANCELLED and sells nothing) are CANCELLED and refunded out of escrow.
 * - REDEEMED vouchers (the class had begun, or was about to): their IN_TRAINING enrollments become
 *   WITHDRAWN (`end_reason` RUN_CANCELLED), the voucher CANCELLED; the price comes out of escrow if
 *   the voucher was never accrued for settlement, else the accrual is reversed (REVERSED lines).
 * - An enrollment with a reported outcome (COMPLETED or NOT_COMPLETED) means the class took place:
 *   the cancellation is refused (INVALID_STATE) and a control case is the way to deal with it.
 *
 * Every refunded participant whose purchase window is closed, or closes within the scheme's
 * `refundGraceDays`, gets it extended to that many days from now, so the refund can be spent.
 * Each voucher's `voucher.cancelled` event tells its platform why, and each withdrawn enrollment's
 * `enrollment.withdrawn` tells the provider.
 *
 * Locks, in the order every other writer of these rows follows: enrollments, vouchers,
 * participants (see the marketplace repository).
 */
export async function endVouchersOfCancelledRun(
  tx: Db,
  opts: { run: RunRow; reason: string; actor: ActorRef; now: Date },
): Promise<{ vouchersCancelled: number; enrollmentsWithdrawn: number }> {
  const { run, now } = opts;
  const enrollments = new Map<string, EnrollmentLockRow>();
  for (const e of await lockRunEnrollments(tx, run.id)) enrollments.set(e.voucherId, e);
  refuseOutcomes(run, enrollments, []);
  const held = await lockRunVouchers(tx, run.id);
  // Redeemed after the enrollments above were read (the redemption committed while this waited for
  // its voucher): lock those enrollments too.
  const late = held.filter((v) => v.status !== 'ISSUED' && !enrollments.has(v.id)).map((v) => v.id);
  for (const e of await lockEnrollmentsOfVouchers(tx, late)) enrollments.set(e.voucherId, e);
  refuseOutcomes(run, enrollments, held);
  const vouchers = held.filter((v) => v.status === 'ISSUED' || v.status === 'REDEEMED');
  if (vouchers.length === 0) return { vouchersCancelled: 0, enrollmentsWithdrawn: 0 };

  const redeemed = vouchers.filter((v) => v.status === 'REDEEMED');
  const withdrawn = await withdrawEnrollments(
    tx,
    redeemed.map((v) => enrollments.get(v.id)?.id).filter((id): id is string => id !== undefined),
    'RUN_CANCELLED',
  );
  if (withdrawn.length !== redeemed.length)
    throw new Error(`run ${run.id}: ${redeemed.length} vouchers redeemed, ${withdrawn.length} withdrawn`);
  // What a settlement batch already divided is taken back from the payable accounts; the rest of
  // the money is still in escrow.
  const reversed = await reverseAccruals(tx, redeemed, now);
  const closed = await cancelOpenVouchers(
    tx,
    vouchers.map((v) => v.id),
    now,
    'RUN_CANCELLED',
  );
  if (closed.length !== vouchers.length) throw new Error(`run ${run.id}: vouchers changed while locked`);
  await postLedgerTransactions(
    tx,
    vouchers
      .filter((v) => !reversed.has(v.id))
      .map((v) => ({
        id: newId('ledgerTransaction', now.getTime()),
        kind: 'REFUND',
        reference: v.id,
        entries: [
          { account: VOUCHER_ESCROW, amount: -v.price },
          { account: participantAccount(v.participantId), amount: v.price },
        ],
      })),
  );
  const refunds = await refundAll(tx, vouchers, opts);

  const before = new Map(vouchers.map((v) => [v.id, v]));
  for (const c of closed.sort((a, b) => (a.id < b.id ? -1 : 1))) {
    const from = before.get(c.id);
    const refund = refunds.get(c.participantId);
    if (!refund) throw new Error(`voucher ${c.id}: its participant was not refunded`);
    const accrual = reversed.get(c.id);
    const voucher = toVoucher(c);
    await recordChange(tx, {
      actor: opts.actor,
      action: 'voucher.cancelled',
      entityType: 'voucher',
      entityId: c.id,
      fromState: from?.status ?? 'ISSUED',
      toState: 'CANCELLED',
      auditData: {
        reason: 'RUN_CANCELLED',
        runId: run.id,
        refund: c.price,
        from: accrual ? (accrual.settled ? 'SETTLED_ACCRUAL_REVERSED' : 'ACCRUAL_REVERSED') : 'ESCROW',
      },
      event: {
        type: 'voucher.cancelled',
        organisationId: c.platformId,
        data: {
          voucher,
          reason: 'RUN_CANCELLED',
          run: { id: run.id, reason: opts.reason },
          refund: {
            amount: c.price,
            purchaseDeadline: refund.purchaseDeadline.toISOString(),
            extended: refund.extended,
          },
        },
      },
    });
  }
  for (const e of withdrawn) {
    await recordChange(tx, {
      actor: opts.actor,
      action: 'enrollment.withdrawn',
      entityType: 'enrollment',
      entityId: e.id,
      fromState: 'IN_TRAINING',
      toState: 'WITHDRAWN',
      auditData: { reason: 'RUN_CANCELLED', runId: run.id, voucherId: e.voucherId },
      event: {
        type: 'enrollment.withdrawn',
        organisationId: e.providerId,
        data: {
          enrollmentId: e.id,
          voucherId: e.voucherId,
          courseId: e.courseId,
          runId: e.runId,
          reason: 'RUN_CANCELLED',
          runCancellationReason: opts.reason,
        },
      },
    });
  }
  return { vouchersCancelled: closed.length, enrollmentsWithdrawn: withdrawn.length };
}

function refuseOutcomes(
  run: RunRow,
  enrollments: Map<string, EnrollmentLockRow>,
  vouchers: VoucherRow[],
): void {
  const outcome = (s: string) => s === 'COMPLETED' || s === 'NOT_COMPLETED';
  const done = new Set([
    ...[...enrollments.values()].filter((e) => outcome(e.status)).map((e) => e.voucherId),
    ...vouchers.filter((v) => outcome(v.status)).map((v) => v.id),
  ]).size;
  if (done === 0) return;
  throw new AppError('INVALID_STATE', {
    message: `Run ${run.id} cannot be cancelled: ${done} of its enrollments already have a reported outcome (COMPLETED or NOT_COMPLETED), so the class took place. A control case (the program's review of an enrollment or provider) handles a class that happened but should not be paid.`,
  });
}

/**
 * Credits each participant's refunds (in id order: the lock order), extending a purchase window
 * that is closed or closes within the scheme's grace period. Returns each one's new deadline.
 */
async function refundAll(
  tx: Db,
  vouchers: VoucherRow[],
  opts: { run: RunRow; actor: ActorRef; now: Date },
): Promise<Map<string, { purchaseDeadline: Date; extended: boolean }>> {
  const owed = new Map<string, number>();
  for (const v of vouchers) owed.set(v.participantId, (owed.get(v.participantId) ?? 0) + v.price);
  const graceDays = new Map<string, number>();
  const out = new Map<string, { purchaseDeadline: Date; extended: boolean }>();
  for (const p of await lockParticipantsForRefund(tx, [...owed.keys()])) {
    let days = graceDays.get(p.schemeId);
    if (days === undefined) {
      days = (await resolveScheme(tx, p.schemeId, opts.now)).rules.refundGraceDays;
      graceDays.set(p.schemeId, days);
    }
    const graceEnd = new Date(opts.now.getTime() + days * DAY_MS);
    const extend = days > 0 && p.purchaseDeadline.getTime() < graceEnd.getTime();
    const row = await refundParticipant(tx, p.id, owed.get(p.id) ?? 0, extend ? graceEnd : null);
    out.set(p.id, { purchaseDeadline: row.purchaseDeadline, extended: extend });
    if (extend) {
      await recordChange(tx, {
        actor: opts.actor,
        action: 'participant.purchase_window_extended',
        entityType: 'participant',
        entityId: p.id,
        fromState: null,
        toState: null,
        auditData: {
          reason: 'RUN_CANCELLED',
          runId: opts.run.id,
          refundGraceDays: days,
          from: p.purchaseDeadline.toISOString(),
          to: graceEnd.toISOString(),
        },
      });
    }
  }
  return out;
}

/**
 * Unredeemed vouchers past their redemption window expire: the price returns to the balance and the
 * seat to the run. One transaction over at most `limit` vouchers, claimed with SKIP LOCKED (so
 * several gateways may run it at once), each closed only if still ISSUED. `busy`: the limit was hit,
 * run again. A voucher whose run another transaction holds (a cancellation, say) is left for the
 * next pass (`deferred`): this already holds the voucher, and waiting for the run while a
 * cancellation holds the run and waits for the voucher would deadlock.
 */
export async function expireDueVouchers(opts: {
  db: Db;
  now: Date;
  limit?: number;
}): Promise<{ expired: number; deferred: number; busy: boolean }> {
  const limit = opts.limit ?? 500;
  return opts.db.transaction(async (tx) => {
    const due = await dueVouchers(tx, opts.now, limit);
    const runIds = [...new Set(due.map((v) => v.runId).filter((id): id is string => id !== null))];
    const held = await lockRunsNoWait(tx, runIds);
    const ready = due
      .filter((v) => v.runId === null || held.has(v.runId))
      // Participants are locked in id order (the refunds), as every other batch does.
      .sort((a, b) => cmp(a.participantId, b.participantId) || cmp(a.id, b.id));
    for (const v of ready) await unwind(tx, v, 'EXPIRED', SYSTEM, opts.now);
    return { expired: ready.length, deferred: due.length - ready.length, busy: due.length >= limit };
  });
}

/**
 * Balances past the purchase deadline return to the program fund. One transaction over at most
 * `limit` participants, claimed with SKIP LOCKED; `busy` when the limit was hit.
 */
export async function expireDueBalances(opts: {
  db: Db;
  now: Date;
  limit?: number;
}): Promise<{ expired: number; returned: number; busy: boolean }> {
  const limit = opts.limit ?? 500;
  return opts.db.transaction(async (tx) => {
    const balances = await dueBalances(tx, opts.now, limit);
    let returned = 0;
    for (const b of balances) {
      await updateParticipantBalance(tx, b.id, 0);
      await postLedgerTransaction(tx, {
        id: newId('ledgerTransaction', opts.now.getTime()),
        kind: 'BALANCE_EXPIRY',
        reference: b.id,
        entries: [
          { account: participantAccount(b.id), amount: -b.balance },
          { account: PROGRAM_FUND, amount: b.balance },
        ],
      });
      await recordChange(tx, {
        actor: SYSTEM,
        action: 'participant.balance_expired',
        entityType: 'participant',
        entityId: b.id,
        fromState: null,
        toState: null,
        auditData: { returned: b.balance },
      });
      returned += b.balance;
    }
    return { expired: balances.length, returned, busy: balances.length >= limit };
  });
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
