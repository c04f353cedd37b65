import type { TPayoutDestination, TReconciliation } from '@latih/contracts';
import {
  claimDueIncentives,
  claimDueSettlements,
  type Db,
  findByPayoutId,
  getIncentive,
  getParticipantPayoutAccount,
  getPayoutAccount,
  getSettlement,
  insertPaymentEvent,
  paymentEventsSince,
  payoutsSince,
  updateIncentiveIf,
  updateSettlementIf,
} from '@latih/db';
import { type PaymentsClient, PaymentsError, type Payout } from '@latih/payments/client';
// The verifier alone: the package's index also holds the msw mock.
import { SignatureVerificationError, verifySignatureHeader } from '@latih/payments/signature';
import { type ActorRef, actorRef } from '../auth/actor';
import type { Sealer } from '../sealing';
import { retryDelayMs } from '../webhooks/worker';
import { applyPayout, PayoutRaceError, type PayoutTarget, stateOf, stateOfPayout, transition } from './state';

const SYSTEM: ActorRef = actorRef(null, null);

export type PayoutWorkerOptions = {
  db: Db;
  payments: PaymentsClient;
  /** Opens participants' sealed payout destinations. */
  sealer: Sealer;
  now: Date;
  limit?: number;
  /** How long a claimed payout is held while the provider is called. Default 2 minutes. */
  leaseMs?: number;
  random?: () => number;
  log?: { warn: (obj: object, msg: string) => void };
};

function reload(db: Db, t: PayoutTarget): Promise<PayoutTarget | null> {
  return t.kind === 'settlement'
    ? getSettlement(db, t.row.id).then((row) => (row ? { kind: 'settlement', row } : null))
    : getIncentive(db, t.row.id).then((row) => (row ? { kind: 'incentive', row } : null));
}

/** Applies a payout to our row in its own transaction, reloading once if the row moved meanwhile. */
async function applyFresh(db: Db, target: PayoutTarget, payout: Payout, now: Date) {
  for (let n = 0; ; n++) {
    try {
      return await db.transaction((tx) => applyPayout(tx, target, payout, { actor: SYSTEM, now }));
    } catch (err) {
      if (!(err instanceof PayoutRaceError) || n >= 2) throw err;
      const fresh = await reload(db, target);
      // A PMO retry started a new attempt meanwhile, or the row now follows another payout: this
      // payout is not the row's any more, so it must not be recorded on it.
      if (
        !fresh ||
        fresh.row.attempt !== target.row.attempt ||
        (fresh.row.providerPayoutId !== null && fresh.row.providerPayoutId !== payout.id)
      )
        throw err;
      target = fresh;
    }
  }
}

async function fail(db: Db, target: PayoutTarget, code: string, message: string, now: Date) {
  await db.transaction((tx) =>
    transition(
      tx,
      target,
      { to: 'FAILED', set: { failureCode: code, failureMessage: message }, reason: message },
      { actor: SYSTEM, now },
    ),
  );
}

/** A passing failure: the row stays due and is tried again after a backoff (same idempotency keys). */
async function postpone(db: Db, target: PayoutTarget, err: unknown, opts: PayoutWorkerOptions) {
  const retries = target.row.retries + 1;
  const set = {
    retries,
    lastError: err instanceof Error ? err.message.slice(0, 500) : String(err),
    nextAttemptAt: new Date(opts.now.getTime() + retryDelayMs(retries, opts.random)),
    leaseUntil: null,
    updatedAt: opts.now,
  };
  if (target.kind === 'settlement')
    await updateSettlementIf(db, target.row.id, { status: 'PENDING', attempt: target.row.attempt }, set);
  else await updateIncentiveIf(db, target.row.id, { status: 'ELIGIBLE', attempt: target.row.attempt }, set);
}

/**
 * Pays one claimed settlement: moves its amount to the organisation's connected account (once:
 * the transfer id is kept), then pays it out to the account's bank or e-wallet. Every call carries
 * an idempotency key made of the settlement id and the attempt, so a worker that dies anywhere in
 * here and is replaced gets the same transfer and the same payout back, never a second one.
 */
async function paySettlement(target: PayoutTarget & { kind: 'settlement' }, opts: PayoutWorkerOptions) {
  const s = target.row;
  const account = await getPayoutAccount(opts.db, s.organisationId);
  if (account?.status !== 'ENABLED') {
    const why = account
      ? `The payout account is ${account.status.toLowerCase()}: still required ${account.requirements.join(', ') || 'a review'}.`
      : 'The organisation has not set a payout account.';
    await fail(opts.db, target, 'PAYOUT_ACCOUNT_NOT_READY', why, opts.now);
    return;
  }
  const metadata = { settlementId: s.id, attempt: String(s.attempt) };
  if (!s.providerTransferId) {
    const transfer = await opts.payments.transfers.create(
      { amount: s.amount, destination: account.providerAccountId, metadata },
      `${s.id}:transfer`,
    );
    await updateSettlementIf(
      opts.db,
      s.id,
      { status: 'PENDING', attempt: s.attempt },
      {
        providerTransferId: transfer.id,
        updatedAt: opts.now,
      },
    );
  }
  const payout = await opts.payments.payouts.create(
    { amount: s.amount, destination: account.providerAccountId, metadata },
    `${s.id}:payout:${s.attempt}`,
  );
  await applyFresh(opts.db, target, payout, opts.now);
}

async function payIncentive(target: PayoutTarget & { kind: 'incentive' }, opts: PayoutWorkerOptions) {
  const i = target.row;
  const account = await getParticipantPayoutAccount(opts.db, i.participantId);
  if (!account) {
    await fail(opts.db, target, 'PAYOUT_ACCOUNT_MISSING', 'The participant has no payout account.', opts.now);
    return;
  }
  const destination = opts.sealer.open(account.sealedDestination) as TPayoutDestination;
  const payout = await opts.payments.payouts.create(
    { amount: i.amount, destination, metadata: { incentiveId: i.id, attempt: String(i.attempt) } },
    `${i.id}:payout:${i.attempt}`,
  );
  await applyFresh(opts.db, target, payout, opts.now);
}

/**
 * Pays what is due: PENDING settlements and ELIGIBLE incentives whose time has come, claimed with
 * SKIP LOCKED and a lease so that several workers can run. The provider's refusals fail the
 * payout with its reason; errors that may pass (5xx, timeouts, no connection) leave it due, to be
 * tried again with the same idempotency keys after a backoff. Returns how many it handled.
 */
export async function payDue(
  opts: PayoutWorkerOptions,
): Promise<{ settlements: number; incentives: number }> {
  const limit = opts.limit ?? 20;
  const leaseMs = opts.leaseMs ?? 120_000;
  const claimedS = await claimDueSettlements(opts.db, opts.now, limit, leaseMs);
  const claimedI = await claimDueIncentives(opts.db, opts.now, limit, leaseMs);
  const targets: PayoutTarget[] = [
    ...claimedS.map((row) => ({ kind: 'settlement' as const, row })),
    ...claimedI.map((row) => ({ kind: 'incentive' as const, row })),
  ];
  await Promise.all(
    targets.map(async (t) => {
      try {
        if (t.kind === 'settlement') await paySettlement(t, opts);
        else await payIncentive(t, opts);
      } catch (err) {
        if (err instanceof PaymentsError && !err.retryable) {
          const fresh = await reload(opts.db, t);
          if (fresh && stateOf(fresh) === 'PENDING')
            await fail(opts.db, fresh, err.code, err.message, opts.now);
          return;
        }
        opts.log?.warn({ err, id: t.row.id }, 'payout postponed');
        const fresh = await reload(opts.db, t);
        if (fresh && stateOf(fresh) === 'PENDING') await postpone(opts.db, fresh, err, opts);
      }
    }),
  );
  return { settlements: claimedS.length, incentives: claimedI.length };
}

/**
 * Finds our row for a provider payout: by its id, or (when the answer to the create call was lost
 * and the payout is not recorded yet) by the settlement or incentive id and attempt that the
 * gateway put in its metadata.
 */
async function targetOf(db: Db, payout: Payout): Promise<PayoutTarget | null> {
  const byId = await findByPayoutId(db, payout.id);
  if (byId) return byId;
  const attempt = Number(payout.metadata?.attempt);
  const sid = payout.metadata?.settlementId;
  const iid = payout.metadata?.incentiveId;
  if (sid) {
    const row = await getSettlement(db, sid);
    if (row && row.status === 'PENDING' && row.attempt === attempt) return { kind: 'settlement', row };
  }
  if (iid) {
    const row = await getIncentive(db, iid);
    if (row && row.status === 'ELIGIBLE' && row.attempt === attempt) return { kind: 'incentive', row };
  }
  return null;
}

export type PaymentWebhookResult =
  | { ok: true; duplicate: boolean; outcome: string }
  | { ok: false; reason: string };

/**
 * The payment provider's webhook: checks the signature over the raw body, records the event once
 * (by its id) and applies the payout's state to our settlement or incentive, in one transaction.
 */
export async function receivePaymentWebhook(opts: {
  db: Db;
  rawBody: string;
  signature: string | undefined;
  secret: string;
  now: Date;
  toleranceSeconds?: number;
  /**
   * The real time to check the signature's timestamp against (default `now`): the provider signs
   * with its real clock, so under a sandbox test clock `now` (program time) would refuse it.
   */
  verifyAt?: Date;
}): Promise<PaymentWebhookResult> {
  try {
    verifySignatureHeader(opts.rawBody, opts.signature ?? '', [opts.secret], {
      now: (opts.verifyAt ?? opts.now).getTime(),
      ...(opts.toleranceSeconds !== undefined ? { toleranceSeconds: opts.toleranceSeconds } : {}),
    });
  } catch (err) {
    if (err instanceof SignatureVerificationError) return { ok: false, reason: err.message };
    throw err;
  }
  let event: { id?: unknown; type?: unknown; data?: { object?: Payout } };
  try {
    event = JSON.parse(opts.rawBody) as typeof event;
  } catch {
    return { ok: false, reason: 'The body is not JSON.' };
  }
  const payout = event.data?.object;
  if (
    typeof event.id !== 'string' ||
    typeof event.type !== 'string' ||
    !payout ||
    typeof payout.id !== 'string'
  )
    return { ok: false, reason: 'Not a payout event.' };
  for (let n = 0; ; n++) {
    try {
      return await opts.db.transaction(async (tx) => {
        const target = await targetOf(tx, payout);
        let outcome = 'unknown payout';
        if (target) {
          const r = await applyPayout(tx, target, payout, { actor: SYSTEM, now: opts.now });
          outcome = r.changed ? `${target.kind} ${target.row.id} ${r.from} → ${r.to}` : 'no change';
        }
        const fresh = await insertPaymentEvent(tx, {
          id: event.id as string,
          type: event.type as string,
          payoutId: payout.id,
          payoutStatus: payout.status,
          amount: payout.amount,
          outcome,
          receivedAt: opts.now,
        });
        if (!fresh) throw new DuplicateEvent();
        return { ok: true as const, duplicate: false, outcome };
      });
    } catch (err) {
      if (err instanceof DuplicateEvent) return { ok: true, duplicate: true, outcome: 'duplicate' };
      if (!(err instanceof PayoutRaceError) || n >= 2) throw err;
    }
  }
}

class DuplicateEvent extends Error {}

/**
 * Reconciliation: reads every payout we recorded since `since` back from the provider and
 * compares. Where we had not heard of a change yet (a lost webhook), it is applied and listed;
 * what cannot be explained (amounts or states that disagree, payouts the provider does not know,
 * provider events for payouts we do not know) is reported for a person to look at.
 */
export async function reconcilePayouts(opts: {
  db: Db;
  payments: PaymentsClient;
  now: Date;
  since: Date;
  /** Only payouts still in transit and not changed since then (the worker's late-webhook poll). */
  inTransitBefore?: Date;
}): Promise<TReconciliation> {
  const report: TReconciliation = { checked: 0, matched: 0, applied: [], mismatches: [] };
  const { settlements, incentives } = await payoutsSince(opts.db, opts.since);
  const targets: PayoutTarget[] = [
    ...settlements.map((row) => ({ kind: 'settlement' as const, row })),
    ...incentives.map((row) => ({ kind: 'incentive' as const, row })),
  ].filter(
    (t) =>
      !opts.inTransitBefore ||
      (stateOf(t) === 'IN_TRANSIT' && t.row.updatedAt.getTime() < opts.inTransitBefore.getTime()),
  );
  for (const t of targets) {
    const payoutId = t.row.providerPayoutId as string;
    report.checked++;
    let payout: Payout;
    try {
      payout = await opts.payments.payouts.retrieve(payoutId);
    } catch (err) {
      if (err instanceof PaymentsError && err.status === 404) {
        report.mismatches.push({
          kind: 'MISSING_PAYOUT',
          entity: t.kind,
          id: t.row.id,
          payoutId,
          ours: String(t.row.status),
          theirs: null,
        });
        continue;
      }
      throw err;
    }
    if (payout.amount !== t.row.amount) {
      report.mismatches.push({
        kind: 'AMOUNT',
        entity: t.kind,
        id: t.row.id,
        payoutId,
        ours: String(t.row.amount),
        theirs: String(payout.amount),
      });
      continue;
    }
    const ours = stateOf(t);
    const theirs = stateOfPayout(payout.status);
    if (ours === theirs) {
      report.matched++;
      continue;
    }
    if ((ours === 'IN_TRANSIT' && theirs !== 'IN_TRANSIT') || (ours === 'PAID' && theirs === 'FAILED')) {
      const r = await applyFresh(opts.db, t, payout, opts.now);
      report.applied.push({ entity: t.kind, id: t.row.id, payoutId, from: r.from, to: r.to });
      continue;
    }
    report.mismatches.push({
      kind: 'STATUS',
      entity: t.kind,
      id: t.row.id,
      payoutId,
      ours: String(t.row.status),
      theirs: payout.status,
    });
  }
  for (const e of await paymentEventsSince(opts.db, opts.since)) {
    if (e.outcome !== 'unknown payout' || !e.payoutId) continue;
    if (await findByPayoutId(opts.db, e.payoutId)) continue; // recorded since
    report.mismatches.push({
      kind: 'UNKNOWN_PAYOUT',
      entity: null,
      id: null,
      payoutId: e.payoutId,
      ours: null,
      theirs: e.payoutStatus,
    });
  }
  return report;
}
