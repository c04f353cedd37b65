import type { TReconciliation } from '@latih/contracts';
import {
  countPayoutsToReadBack,
  type Db,
  getIncentive,
  getSettlement,
  payoutIdsToReadBack,
  payoutRowsByIds,
} from '@latih/db';
import { type PaymentsClient, PaymentsError, type Payout } from '@latih/payments/client';
import { actorRef } from '../auth/actor';
import { applyPayout, PayoutRaceError, type PayoutTarget, stateOf, stateOfPayout } from './state';

const SYSTEM = actorRef(null, null);

export const DEFAULT_STALE_AFTER_MS = 10 * 60_000;
export const DEFAULT_PAID_WITHIN_MS = 7 * 86_400_000;
export const DEFAULT_READ_BACK_LIMIT = 100;

export type StalePayoutReconciliation = TReconciliation & {
  /** How many payouts were due for a read-back; at most `limit` of them were read by this call. */
  due: number;
  /**
   * Pass as `after` to the next call to go on where this one stopped; null once the sweep has
   * reached the last due payout (the next call starts again from the first).
   */
  nextCursor: string | null;
  /** Due payouts after `nextCursor`, not read yet in this sweep (0 when the sweep is done). */
  remaining: number;
  /** Payouts the provider refused to show (a 4xx other than 404), for a person to look at. */
  unreadable: { entity: string; id: string; payoutId: string; error: string }[];
};

/**
 * Reads back from the payment provider what may have changed without us hearing of it: a webhook
 * lost on the way (the gateway was down longer than the provider kept retrying, or the provider
 * never sent it), or a payout paid and then returned by the bank days later. Due for a read-back:
 *
 * - payouts we hold in flight (IN_TRANSIT, or PENDING with a provider payout id) unchanged here
 *   for `staleAfterMs` (default 10 minutes);
 * - payouts PAID within `paidWithinMs` (default 7 days) and unchanged for `staleAfterMs`.
 *
 * They are swept in id order, at most `limit` (default 100) per call: from the first, or from just
 * after `after` (the previous call's `nextCursor`), so that calls following the cursor read every
 * due payout however many there are. What the provider says is applied as its webhook would have
 * been (in transit → paid or failed, paid → failed), each in its own transaction with its ledger
 * move; what cannot be explained is listed under `mismatches`. A provider that does not answer
 * (5xx, timeout, no connection, after the client's own retries) stops the call with its error;
 * what was applied before stays applied.
 */
export async function reconcileStalePayouts(opts: {
  db: Db;
  payments: PaymentsClient;
  now: Date;
  staleAfterMs?: number;
  paidWithinMs?: number;
  limit?: number;
  after?: string | null;
}): Promise<StalePayoutReconciliation> {
  const limit = Math.max(1, opts.limit ?? DEFAULT_READ_BACK_LIMIT);
  const window = {
    staleBefore: new Date(opts.now.getTime() - (opts.staleAfterMs ?? DEFAULT_STALE_AFTER_MS)),
    paidSince: new Date(opts.now.getTime() - (opts.paidWithinMs ?? DEFAULT_PAID_WITHIN_MS)),
  };
  const report: StalePayoutReconciliation = {
    checked: 0,
    matched: 0,
    applied: [],
    mismatches: [],
    due: await countPayoutsToReadBack(opts.db, window),
    nextCursor: null,
    remaining: 0,
    unreadable: [],
  };
  if (report.due === 0) return report;

  let ids = await payoutIdsToReadBack(opts.db, window, {
    ...(opts.after ? { afterId: opts.after } : {}),
    limit,
  });
  // Nothing after the cursor any more (those payouts settled meanwhile): a new sweep.
  if (ids.length === 0 && opts.after) ids = await payoutIdsToReadBack(opts.db, window, { limit });
  const last = ids.at(-1);
  report.remaining = last === undefined ? 0 : await countPayoutsToReadBack(opts.db, window, last);
  report.nextCursor = report.remaining > 0 ? (last ?? null) : null;

  for (const target of await payoutRowsByIds(opts.db, ids)) {
    const payoutId = target.row.providerPayoutId;
    const ours = stateOf(target);
    // Moved since it was listed (a webhook, a retry): no longer ours to read back.
    if (!payoutId || ours === 'WAITING' || ours === 'FAILED') continue;
    report.checked++;
    let payout: Payout;
    try {
      payout = await opts.payments.payouts.retrieve(payoutId);
    } catch (err) {
      if (!(err instanceof PaymentsError) || err.retryable) throw err;
      if (err.status === 404)
        report.mismatches.push({
          kind: 'MISSING_PAYOUT',
          entity: target.kind,
          id: target.row.id,
          payoutId,
          ours: String(target.row.status),
          theirs: null,
        });
      else report.unreadable.push({ entity: target.kind, id: target.row.id, payoutId, error: err.message });
      continue;
    }
    if (payout.amount !== target.row.amount) {
      report.mismatches.push({
        kind: 'AMOUNT',
        entity: target.kind,
        id: target.row.id,
        payoutId,
        ours: String(target.row.amount),
        theirs: String(payout.amount),
      });
      continue;
    }
    const theirs = stateOfPayout(payout.status);
    if (ours === theirs) {
      report.matched++;
      continue;
    }
    const explainable =
      ours === 'PENDING' ||
      (ours === 'IN_TRANSIT' && theirs !== 'IN_TRANSIT') ||
      (ours === 'PAID' && theirs === 'FAILED');
    if (!explainable) {
      report.mismatches.push({
        kind: 'STATUS',
        entity: target.kind,
        id: target.row.id,
        payoutId,
        ours: String(target.row.status),
        theirs: payout.status,
      });
      continue;
    }
    const r = await apply(opts.db, target, payout, opts.now);
    if (r?.changed)
      report.applied.push({ entity: target.kind, id: target.row.id, payoutId, from: r.from, to: r.to });
    else report.matched++;
  }
  return report;
}

/**
 * Applies the provider's payout in its own transaction. When the row moved meanwhile (a webhook
 * arrived, a worker recorded the payout), it is reloaded and the payout applied to it again, but
 * only while it still stands for this payout: a PMO retry since then is a new attempt, not ours.
 */
async function apply(db: Db, target: PayoutTarget, payout: Payout, now: Date) {
  let current = target;
  for (let n = 0; ; n++) {
    try {
      return await db.transaction((tx) => applyPayout(tx, current, payout, { actor: SYSTEM, now }));
    } catch (err) {
      if (!(err instanceof PayoutRaceError) || n >= 2) throw err;
      const fresh: PayoutTarget | null =
        current.kind === 'settlement'
          ? await getSettlement(db, current.row.id).then((row) => (row ? { kind: 'settlement', row } : null))
          : await getIncentive(db, current.row.id).then((row) => (row ? { kind: 'incentive', row } : null));
      if (!fresh || fresh.row.providerPayoutId !== payout.id || fresh.row.attempt !== current.row.attempt)
        return null;
      current = fresh;
    }
  }
}
