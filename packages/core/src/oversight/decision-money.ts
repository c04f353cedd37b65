/**
 * What a case's decision does to the money (issue 18): a voided completion takes back what it was
 * paid, an undeserved incentive is held or cancelled before payment and recorded for recovery
 * after, and the provider's lines for an enrollment can be held out of settlements. Every movement
 * is a balanced ledger transaction in the decision's transaction; nothing pays out a negative
 * amount (a debt is netted in the organisation's next settlement, see unsettledTotals).
 */
import {
  accrualsOfVoucherForUpdate,
  type Db,
  type IncentiveRow,
  incentivesOfEnrollmentForUpdate,
  insertSettlementItems,
  type LedgerMovement,
  lockSettlementBatchesShared,
  PAYOUTS_FAILED,
  PAYOUTS_HELD,
  PAYOUTS_PENDING,
  PROGRAM_FUND,
  postLedgerTransaction,
  receivableAccount,
  setVoucherSettlementHold,
  updateIncentiveIf,
} from '@latih/db';
import type { ActorRef } from '../auth/actor';
import { recordChange } from '../changes';
import { newId } from '../ids';
import { negativeLine, undoEntry } from '../payouts/settlements';

const rupiah = (n: number) => `Rp${n.toLocaleString('id-ID')}`;

export type MoneyRef = { actor: ActorRef; reason: string; caseId: string; now: Date };

/**
 * Decisions that move money wait for a running settlement batch and keep one from starting, as a
 * run's cancellation does: the batch reads payable vouchers without locking them.
 */
export async function lockForMoney(tx: Db): Promise<void> {
  await lockSettlementBatchesShared(tx);
}

/**
 * Takes back what a voided completion was paid. Its price was divided between provider and platform
 * when it became payable on completion (basis COMPLETED): each line gets a VOIDED line with the
 * negative amount and the price returns to the program's fund. A line not yet settled nets to zero
 * with it in the next batch; one already settled leaves a receivable the organisation's next
 * settlement deducts. A price paid on redemption is left alone (the scheme paid for the training's
 * delivery, not for its completion); one not accrued yet is forfeit by the next batch, as every
 * NOT_COMPLETED voucher under a completion rule is. Any hold on the voucher ends.
 */
export async function takeBackCompletion(tx: Db, voucherId: string, ref: MoneyRef): Promise<string[]> {
  // The hold ends first, so that an unsettled line and its VOIDED line go to the next batch together.
  await setVoucherSettlementHold(tx, voucherId, null);
  const lines = await accrualsOfVoucherForUpdate(tx, voucherId);
  if (lines.length === 0)
    return ['Not yet settled: the price goes back to the program fund in the next batch.'];
  const paidOnCompletion = lines.filter((l) => l.basis === 'COMPLETED' && l.organisationId !== null);
  if (paidOnCompletion.length === 0)
    return [
      lines.some((l) => l.basis === 'REDEEMED')
        ? 'Paid on redemption under its scheme: the price is not taken back by voiding the completion.'
        : 'Nothing was paid for it.',
    ];
  const price = paidOnCompletion[0]?.price ?? 0;
  const inserted = await insertSettlementItems(
    tx,
    paidOnCompletion.map((l) => negativeLine(l, 'VOIDED', ref.now)),
  );
  // At most one negative line per voucher and role (a unique index): a second would take back twice.
  if (inserted.length !== paidOnCompletion.length) throw new Error(`voucher ${voucherId} was voided twice`);
  const entries: LedgerMovement[] = [
    ...paidOnCompletion.map(undoEntry),
    { account: PROGRAM_FUND, amount: paidOnCompletion.reduce((s, l) => s + l.amount, 0) },
  ];
  await postLedgerTransaction(tx, {
    id: newId('ledgerTransaction', ref.now.getTime()),
    kind: 'COMPLETION_VOIDED',
    reference: voucherId,
    entries,
  });
  const effects = paidOnCompletion.map((l) =>
    l.settlementId !== null
      ? `${l.role} ${l.organisationId}: ${rupiah(l.amount)} already settled (${l.settlementId}) is now a receivable, deducted from its next settlement.`
      : `${l.role} ${l.organisationId}: ${rupiah(l.amount)} not yet settled is taken back (a VOIDED line nets it in the next batch).`,
  );
  effects.push(`Price ${rupiah(price)} back to the program fund.`);
  return effects;
}

export type IncentiveAction = 'HOLD' | 'CANCEL' | 'RELEASE';

/** What happened to the incentive an enrollment earned; `none` when it touched nothing. */
export type IncentiveAnswer = { effects: string[]; changed: number; inTransit: number; found: number };

/** An instalment being paid right now (its payout requested, or a worker holding it) is not touched. */
function inFlight(r: IncentiveRow, now: Date): boolean {
  return (
    r.status === 'DISBURSING' ||
    (r.status === 'ELIGIBLE' &&
      (r.providerPayoutId !== null ||
        r.providerTransferId !== null ||
        (r.leaseUntil !== null && r.leaseUntil.getTime() > now.getTime())))
  );
}

/**
 * Acts on the instalments the enrollment made eligible. HOLD: unpaid ones (ELIGIBLE, FAILED) become
 * HELD, their money in `payouts:held`, out of the payout worker's reach. CANCEL: unpaid ones (also
 * HELD) become CANCELLED, their money back to the fund. RELEASE: HELD ones are ELIGIBLE again.
 * HOLD and CANCEL record a PAID instalment for recovery (once): the participant owes it back, a
 * receivable in the ledger. An instalment in flight is left as it is and counted, to decide again.
 */
export async function actOnIncentives(
  tx: Db,
  enrollmentId: string,
  action: IncentiveAction,
  ref: MoneyRef,
): Promise<IncentiveAnswer> {
  const rows = await incentivesOfEnrollmentForUpdate(tx, enrollmentId);
  const answer: IncentiveAnswer = { effects: [], changed: 0, inTransit: 0, found: rows.length };
  for (const r of rows) {
    const label = `Incentive ${r.id} (instalment ${r.instalment}/${r.instalments}, ${rupiah(r.amount)})`;
    if (inFlight(r, ref.now)) {
      if (action !== 'RELEASE') {
        answer.inTransit++;
        answer.effects.push(`${label}: being paid now, left as it is: decide again once it has landed.`);
      }
      continue;
    }
    let move: { to: IncentiveRow['status']; from: string; into: string; set?: Partial<IncentiveRow> } | null =
      null;
    // A payout recorded for recovery and then returned by the bank: the money is back, so holding
    // it would only let a release pay it again. It is cancelled, which clears the participant's debt.
    const act = action === 'HOLD' && r.status === 'FAILED' && r.recoveryDueAt ? 'CANCEL' : action;
    const source =
      r.status === 'ELIGIBLE'
        ? PAYOUTS_PENDING
        : r.status === 'FAILED'
          ? PAYOUTS_FAILED
          : r.status === 'HELD'
            ? PAYOUTS_HELD
            : null;
    if (act === 'HOLD' && (r.status === 'ELIGIBLE' || r.status === 'FAILED') && source)
      move = { to: 'HELD', from: source, into: PAYOUTS_HELD };
    if (act === 'CANCEL' && source)
      // A returned payout already recorded for recovery settles that debt instead of the fund.
      move = {
        to: 'CANCELLED',
        from: source,
        into: r.recoveryDueAt ? receivableAccount(r.participantId) : PROGRAM_FUND,
      };
    if (act === 'RELEASE' && r.status === 'HELD' && !r.recoveryDueAt)
      move = { to: 'ELIGIBLE', from: PAYOUTS_HELD, into: PAYOUTS_PENDING, set: { nextAttemptAt: ref.now } };
    if (move) {
      const updated = await updateIncentiveIf(
        tx,
        r.id,
        { status: r.status },
        { status: move.to, updatedAt: ref.now, leaseUntil: null, ...move.set },
      );
      if (!updated) continue;
      await postLedgerTransaction(tx, {
        id: newId('ledgerTransaction', ref.now.getTime()),
        kind: `INCENTIVE_${move.to}`,
        reference: r.id,
        entries: [
          { account: move.from, amount: -r.amount },
          { account: move.into, amount: r.amount },
        ],
      });
      await recordChange(tx, {
        actor: ref.actor,
        action: `incentive.${move.to.toLowerCase()}`,
        entityType: 'incentive',
        entityId: r.id,
        fromState: r.status,
        toState: move.to,
        auditData: { reason: ref.reason, caseId: ref.caseId, enrollmentId },
      });
      answer.changed++;
      answer.effects.push(`${label}: ${r.status} → ${move.to}.`);
      continue;
    }
    if (action !== 'RELEASE' && r.status === 'PAID' && !r.recoveryDueAt) {
      const updated = await updateIncentiveIf(
        tx,
        r.id,
        { status: 'PAID' },
        { recoveryDueAt: ref.now, updatedAt: ref.now },
      );
      if (!updated) continue;
      // The debt is recognised: the amount is back in the fund's books, owed by the participant.
      await postLedgerTransaction(tx, {
        id: newId('ledgerTransaction', ref.now.getTime()),
        kind: 'INCENTIVE_RECOVERY_DUE',
        reference: r.id,
        entries: [
          { account: receivableAccount(r.participantId), amount: -r.amount },
          { account: PROGRAM_FUND, amount: r.amount },
        ],
      });
      await recordChange(tx, {
        actor: ref.actor,
        action: 'incentive.recovery_due',
        entityType: 'incentive',
        entityId: r.id,
        fromState: 'PAID',
        toState: 'PAID',
        auditData: { reason: ref.reason, caseId: ref.caseId, enrollmentId, amount: r.amount },
      });
      answer.changed++;
      answer.effects.push(`${label}: already paid, recorded for recovery from the participant.`);
    }
  }
  return answer;
}

/**
 * Holds (or releases) what the enrollment's voucher pays organisations: its unsettled lines are
 * left out of settlements, and so are lines accrued while the hold lasts. Refused as
 * ALREADY_SETTLED when every line it has was settled (void the completion to take them back), and
 * as NOTHING_TO_CHANGE when it is already held (or, releasing, not held).
 */
export async function holdSettlementLines(
  tx: Db,
  voucherId: string,
  hold: boolean,
  ref: MoneyRef,
): Promise<{ effects: string[] } | { refused: 'ALREADY_SETTLED' | 'NOTHING_TO_CHANGE' }> {
  const lines = await accrualsOfVoucherForUpdate(tx, voucherId);
  const unsettled = lines.filter((l) => l.settlementId === null && l.organisationId !== null);
  if (hold && lines.length > 0 && unsettled.length === 0) return { refused: 'ALREADY_SETTLED' };
  const changed = await setVoucherSettlementHold(tx, voucherId, hold ? ref.now : null);
  if (!changed.marked && changed.lines === 0) return { refused: 'NOTHING_TO_CHANGE' };
  await recordChange(tx, {
    actor: ref.actor,
    action: hold ? 'voucher.settlement_held' : 'voucher.settlement_released',
    entityType: 'voucher',
    entityId: voucherId,
    fromState: null,
    toState: null,
    auditData: { reason: ref.reason, caseId: ref.caseId, lines: changed.lines },
  });
  if (!hold)
    return {
      effects: [`Voucher ${voucherId}: ${changed.lines} settlement line(s) released to the next batch.`],
    };
  return {
    effects: [
      changed.lines > 0
        ? `Voucher ${voucherId}: ${changed.lines} unsettled line(s) held out of settlements.`
        : `Voucher ${voucherId}: not accrued yet; its lines will be held when they are.`,
    ],
  };
}
