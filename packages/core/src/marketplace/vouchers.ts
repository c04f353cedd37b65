import { AppError, type TVoucher } from '@latih/contracts';
import {
  closeIssuedVoucher,
  creditBalance,
  type Db,
  dueBalances,
  dueVouchers,
  findVoucher,
  listVouchers as listVoucherRows,
  PROGRAM_FUND,
  participantAccount,
  postLedgerTransaction,
  releaseSeat,
  toVoucher,
  updateParticipantBalance,
  type VoucherRow,
} from '@latih/db';
import { type Actor, type ActorRef, actorRef } from '../auth/actor';
import { recordChange } from '../changes';
import { notFound } from '../courses';
import { newId } from '../ids';
import { VOUCHER_ESCROW } from './checkout';

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
 * redeemed concurrently is not ISSUED any more, so exactly one of the two wins.
 */
async function unwind(
  tx: Db,
  v: VoucherRow,
  to: 'CANCELLED' | 'EXPIRED',
  actor: ActorRef,
  now: Date,
): Promise<TVoucher> {
  const closed = await closeIssuedVoucher(tx, v.id, to, now);
  if (!closed) throw new AppError('VOUCHER_NOT_CANCELLABLE', { field: 'id' });
  await creditBalance(tx, v.participantId, v.price);
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
  const type = to === 'CANCELLED' ? 'voucher.cancelled' : 'voucher.expired';
  await recordChange(tx, {
    actor,
    action: type,
    entityType: 'voucher',
    entityId: v.id,
    fromState: 'ISSUED',
    toState: to,
    event: { type, organisationId: v.platformId, data: { voucher } },
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
  return opts.db.transaction(async (tx) => {
    const v = await findVoucher(
      tx,
      opts.input.id,
      { platformId: opts.actor.organisationId },
      { forUpdate: true },
    );
    if (!v) throw notFound(opts.input.id);
    return unwind(tx, v, 'CANCELLED', actorRef(opts.actor, opts.requestId), now);
  });
}

/**
 * The deadlines of the scheme: unredeemed vouchers past their redemption window expire (the price
 * returns to the balance), then balances past the purchase deadline return to the program fund.
 * Idempotent (each step is conditional on state) and safe to run on many gateways (SKIP LOCKED).
 */
export async function expireDue(opts: {
  db: Db;
  now: Date;
}): Promise<{ vouchers: number; balances: number }> {
  const system: ActorRef = { organisationId: null, clientId: null, requestId: null };
  return opts.db.transaction(async (tx) => {
    const vouchers = await dueVouchers(tx, opts.now);
    for (const v of vouchers) await unwind(tx, v, 'EXPIRED', system, opts.now);
    const balances = await dueBalances(tx, opts.now);
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
        actor: system,
        action: 'participant.balance_expired',
        entityType: 'participant',
        entityId: b.id,
        fromState: null,
        toState: null,
        auditData: { returned: b.balance },
      });
    }
    return { vouchers: vouchers.length, balances: balances.length };
  });
}
