import type { TIncentive, TSettlement } from '@latih/contracts';
import {
  type Db,
  type IncentiveRow,
  PAYOUTS_FAILED,
  PAYOUTS_IN_TRANSIT,
  PAYOUTS_PAID,
  PAYOUTS_PENDING,
  postLedgerTransaction,
  type SettlementRow,
  updateIncentiveIf,
  updateSettlementIf,
} from '@latih/db';
import type { Payout } from '@latih/payments/client';
import type { ActorRef } from '../auth/actor';
import { recordChange } from '../changes';
import { newId } from '../ids';

/**
 * Settlements and incentives are both money on its way out through the payment provider, and
 * share one state machine. Its states, named as settlements name them (an incentive's ELIGIBLE is
 * PENDING here, its DISBURSING is IN_TRANSIT):
 *
 *   PENDING → IN_TRANSIT → PAID | FAILED;  PAID → FAILED (the bank returned it);  FAILED → PENDING (retry)
 *
 * Every step moves the amount between the ledger's `payouts:{state}` accounts in the same
 * transaction as the state change, so the books always say where each payout's money is.
 */
export type PayoutState = 'PENDING' | 'IN_TRANSIT' | 'PAID' | 'FAILED';

export type PayoutTarget =
  | { kind: 'settlement'; row: SettlementRow }
  | { kind: 'incentive'; row: IncentiveRow };

const LEDGER_ACCOUNT: Record<PayoutState, string> = {
  PENDING: PAYOUTS_PENDING,
  IN_TRANSIT: PAYOUTS_IN_TRANSIT,
  PAID: PAYOUTS_PAID,
  FAILED: PAYOUTS_FAILED,
};

const INCENTIVE_STATUS: Record<PayoutState, IncentiveRow['status']> = {
  PENDING: 'ELIGIBLE',
  IN_TRANSIT: 'DISBURSING',
  PAID: 'PAID',
  FAILED: 'FAILED',
};

/** Where a payout stands; an incentive WAITING, HELD or CANCELLED is outside the payout machine. */
export function stateOf(t: PayoutTarget): PayoutState | 'WAITING' | 'HELD' | 'CANCELLED' {
  if (t.kind === 'settlement') return t.row.status;
  switch (t.row.status) {
    case 'WAITING':
    case 'HELD':
    case 'CANCELLED':
      return t.row.status;
    case 'ELIGIBLE':
      return 'PENDING';
    case 'DISBURSING':
      return 'IN_TRANSIT';
    default:
      return t.row.status;
  }
}

/** The state a provider's payout status means for us. */
export function stateOfPayout(status: Payout['status']): PayoutState {
  if (status === 'paid') return 'PAID';
  if (status === 'failed' || status === 'canceled') return 'FAILED';
  return 'IN_TRANSIT';
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toSettlement(r: SettlementRow): TSettlement {
  return {
    id: r.id,
    organisationId: r.organisationId,
    role: r.role,
    batchDate: r.batchDate,
    amount: r.amount,
    itemCount: r.itemCount,
    status: r.status,
    attempt: r.attempt,
    failure: r.failureCode ? { code: r.failureCode, message: r.failureMessage ?? '' } : null,
    lastError: r.lastError,
    payoutId: r.providerPayoutId,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
    paidAt: iso(r.paidAt),
  };
}

export function toIncentive(r: IncentiveRow): TIncentive {
  return {
    id: r.id,
    participantId: r.participantId,
    schemeId: r.schemeId,
    kind: r.kind,
    surveyId: r.surveyId,
    instalment: r.instalment,
    instalments: r.instalments,
    amount: r.amount,
    status: r.status,
    missing: r.missing as TIncentive['missing'],
    enrollmentId: r.enrollmentId,
    dueAt: iso(r.dueAt),
    attempt: r.attempt,
    failure: r.failureCode ? { code: r.failureCode, message: r.failureMessage ?? '' } : null,
    lastError: r.lastError,
    payoutId: r.providerPayoutId,
    paidAt: iso(r.paidAt),
    recoveryDueAt: iso(r.recoveryDueAt),
  };
}

const SETTLEMENT_EVENT = {
  IN_TRANSIT: 'settlement.in_transit',
  PAID: 'settlement.paid',
  FAILED: 'settlement.failed',
} as const;

export type Transition = {
  to: PayoutState;
  set?: {
    providerPayoutId?: string | null;
    failureCode?: string | null;
    failureMessage?: string | null;
    paidAt?: Date | null;
    attempt?: number;
    nextAttemptAt?: Date | null;
  };
  reason?: string;
};

/**
 * Moves one payout from the state the caller saw to `to`, with its ledger transaction, audit row
 * and (settlements) the organisation's event, inside `tx`. Returns the new row, or null when the
 * row was no longer in that state (another worker or webhook got there first).
 */
export async function transition(
  tx: Db,
  target: PayoutTarget,
  change: Transition,
  ctx: { actor: ActorRef; now: Date },
): Promise<PayoutTarget | null> {
  const from = stateOf(target);
  if (from === 'WAITING' || from === 'HELD' || from === 'CANCELLED')
    throw new Error(`a ${from} incentive is outside the payout machine`);
  const set = {
    ...change.set,
    leaseUntil: null,
    updatedAt: ctx.now,
    ...(change.to === 'IN_TRANSIT' || change.to === 'PENDING' ? { lastError: null, retries: 0 } : {}),
  };
  let next: PayoutTarget | null;
  if (target.kind === 'settlement') {
    const row = await updateSettlementIf(
      tx,
      target.row.id,
      { status: target.row.status, attempt: target.row.attempt },
      { ...set, status: change.to },
    );
    next = row ? { kind: 'settlement', row } : null;
  } else {
    const row = await updateIncentiveIf(
      tx,
      target.row.id,
      { status: target.row.status, attempt: target.row.attempt },
      { ...set, status: INCENTIVE_STATUS[change.to] },
    );
    next = row ? { kind: 'incentive', row } : null;
  }
  if (!next) return null;
  await postLedgerTransaction(tx, {
    id: newId('ledgerTransaction', ctx.now.getTime()),
    kind: `${target.kind.toUpperCase()}_${change.to}`,
    reference: target.row.id,
    entries: [
      { account: LEDGER_ACCOUNT[from], amount: -target.row.amount },
      { account: LEDGER_ACCOUNT[change.to], amount: target.row.amount },
    ],
  });
  const toState = next.kind === 'settlement' ? next.row.status : next.row.status;
  await recordChange(tx, {
    actor: ctx.actor,
    action: `${target.kind}.${change.to.toLowerCase()}`,
    entityType: target.kind,
    entityId: target.row.id,
    fromState: target.row.status,
    toState,
    ...(change.reason ? { auditData: { reason: change.reason } } : {}),
    ...(next.kind === 'settlement' && change.to !== 'PENDING'
      ? {
          event: {
            type: SETTLEMENT_EVENT[change.to as Exclude<PayoutState, 'PENDING'>],
            organisationId: next.row.organisationId,
            data: { settlement: toSettlement(next.row) },
          },
        }
      : {}),
  });
  return next;
}

/**
 * Brings our row in line with the provider's payout: records the payout (PENDING → IN_TRANSIT)
 * and then its outcome (→ PAID or FAILED, or PAID → FAILED when the bank returned it). Returns
 * what changed, for the webhook log and the reconciliation report.
 */
export async function applyPayout(
  tx: Db,
  target: PayoutTarget,
  payout: Payout,
  ctx: { actor: ActorRef; now: Date },
): Promise<{ target: PayoutTarget; from: string; to: string; changed: boolean }> {
  const first = stateOf(target);
  let current: PayoutTarget = target;
  const fromLabel = String(target.row.status);
  if (first === 'PENDING') {
    const moved = await transition(
      tx,
      current,
      { to: 'IN_TRANSIT', set: { providerPayoutId: payout.id } },
      ctx,
    );
    if (!moved) throw new PayoutRaceError();
    current = moved;
  }
  const ours = stateOf(current);
  const theirs = stateOfPayout(payout.status);
  const allowed =
    (ours === 'IN_TRANSIT' && (theirs === 'PAID' || theirs === 'FAILED')) ||
    (ours === 'PAID' && theirs === 'FAILED');
  if (allowed) {
    const moved = await transition(
      tx,
      current,
      {
        to: theirs,
        set:
          theirs === 'PAID'
            ? { paidAt: payout.arrivalDate ? new Date(payout.arrivalDate * 1000) : ctx.now }
            : {
                failureCode: payout.failureCode ?? `payout_${payout.status}`,
                failureMessage:
                  payout.failureMessage ??
                  (payout.status === 'canceled' ? 'The payout was canceled.' : 'The payout failed.'),
              },
        ...(theirs === 'FAILED' ? { reason: payout.failureMessage ?? payout.status } : {}),
      },
      ctx,
    );
    if (!moved) throw new PayoutRaceError();
    current = moved;
  }
  return {
    target: current,
    from: fromLabel,
    to: String(current.row.status),
    changed: String(current.row.status) !== fromLabel,
  };
}

/** The row changed under us (another worker, a webhook): reload and try again. */
export class PayoutRaceError extends Error {
  override readonly name = 'PayoutRaceError';
}

/**
 * A FAILED payout sent again (the PMO's retry): a new attempt, so new idempotency keys, its money
 * back from `payouts:failed` to `payouts:pending`. Null when it was not FAILED (or moved meanwhile).
 */
export async function retryPayout(
  tx: Db,
  target: PayoutTarget,
  ctx: { actor: ActorRef; now: Date },
): Promise<PayoutTarget | null> {
  if (stateOf(target) !== 'FAILED') return null;
  return transition(
    tx,
    target,
    {
      to: 'PENDING',
      set: {
        attempt: target.row.attempt + 1,
        providerPayoutId: null,
        failureCode: null,
        failureMessage: null,
        paidAt: null,
        nextAttemptAt: ctx.now,
      },
      reason: `retry after ${target.row.failureCode ?? 'failure'}`,
    },
    ctx,
  );
}
