import { AppError, type TIncentive } from '@latih/contracts';
import {
  type Db,
  decodeCursor,
  findParticipant,
  getIncentive,
  type IncentiveCandidate,
  type IncentiveRow,
  incentiveCandidates,
  incentivesOfParticipant,
  insertIncentives,
  listIncentivesPage,
  PAYOUTS_PENDING,
  PROGRAM_FUND,
  postLedgerTransactions,
  toPage,
  updateIncentiveIf,
  waitingSurveyIncentives,
} from '@latih/db';
import { type Actor, type ActorRef, actorRef } from '../auth/actor';
import { recordChange } from '../changes';
import { newId } from '../ids';
import { makeSurveyIncentiveEligible } from '../surveys/surveys';
import { retryPayout, toIncentive } from './state';

/** Instalments of a multi-month incentive (the 2020 scheme's 4 × Rp600.000) are a month apart. */
export const INSTALMENT_INTERVAL_DAYS = 30;
const DAY_MS = 86_400_000;

type Missing = TIncentive['missing'][number];

/** What a participant still lacks for the incentive, by the scheme's rule (DESIGN §2). */
export function missingFor(c: IncentiveCandidate): Missing[] {
  const missing: Missing[] = [];
  if (!c.active) missing.push('PARTICIPANT_ACTIVE');
  if (!c.completedEnrollmentId) missing.push('COMPLETED_TRAINING');
  if (!c.reviewedEnrollmentId) missing.push('REVIEW');
  if (!c.hasPayoutAccount) missing.push('PAYOUT_ACCOUNT');
  return missing;
}

/**
 * Decides one participant's incentive: records what is still missing (WAITING), or, once the
 * first completed training has its review and a payout account is on file, makes every
 * instalment of the scheme ELIGIBLE, taking the money from the program's fund into
 * `payouts:pending`. Already decided participants are left alone. Returns the outcome.
 */
async function decide(
  tx: Db,
  c: IncentiveCandidate,
  ctx: { actor: ActorRef; now: Date },
): Promise<'WAITING' | 'ELIGIBLE' | 'DECIDED'> {
  if (c.incentiveStatus && c.incentiveStatus !== 'WAITING') return 'DECIDED';
  const missing = missingFor(c);
  if (missing.length > 0) {
    if (!c.incentiveId) {
      const id = newId('incentive', ctx.now.getTime());
      await insertIncentives(tx, [
        {
          id,
          participantId: c.participantId,
          schemeId: c.schemeId,
          instalment: 1,
          instalments: c.times,
          amount: c.amount,
          status: 'WAITING',
          missing,
          createdAt: ctx.now,
          updatedAt: ctx.now,
        },
      ]);
    } else {
      await updateIncentiveIf(tx, c.incentiveId, { status: 'WAITING' }, { missing, updatedAt: ctx.now });
    }
    return 'WAITING';
  }
  const enrollmentId = c.reviewedEnrollmentId;
  const rows = Array.from({ length: c.times }, (_, k) => ({
    id: k === 0 && c.incentiveId ? c.incentiveId : newId('incentive', ctx.now.getTime()),
    participantId: c.participantId,
    schemeId: c.schemeId,
    instalment: k + 1,
    instalments: c.times,
    amount: c.amount,
    status: 'ELIGIBLE' as const,
    missing: [],
    enrollmentId,
    dueAt: new Date(ctx.now.getTime() + k * INSTALMENT_INTERVAL_DAYS * DAY_MS),
    nextAttemptAt: ctx.now,
    createdAt: ctx.now,
    updatedAt: ctx.now,
  }));
  const [first, ...rest] = rows;
  if (!first) return 'WAITING';
  if (c.incentiveId) {
    const { id: _id, createdAt: _c, ...set } = first;
    const updated = await updateIncentiveIf(tx, c.incentiveId, { status: 'WAITING' }, set);
    if (!updated) return 'DECIDED';
    await insertIncentives(tx, rest);
  } else {
    const inserted = await insertIncentives(tx, rows);
    // Someone else decided this participant at the same moment: keep theirs.
    if (inserted.length !== rows.length) throw new IncentiveRaceError();
  }
  await postLedgerTransactions(
    tx,
    rows.map((r) => ({
      id: newId('ledgerTransaction', ctx.now.getTime()),
      kind: 'INCENTIVE_ELIGIBLE',
      reference: r.id,
      entries: [
        { account: PROGRAM_FUND, amount: -r.amount },
        { account: PAYOUTS_PENDING, amount: r.amount },
      ],
    })),
  );
  for (const r of rows)
    await recordChange(tx, {
      actor: ctx.actor,
      action: 'incentive.eligible',
      entityType: 'incentive',
      entityId: r.id,
      fromState: r.id === c.incentiveId ? 'WAITING' : null,
      toState: 'ELIGIBLE',
      auditData: { participantId: c.participantId, instalment: r.instalment, enrollmentId },
    });
  return 'ELIGIBLE';
}

class IncentiveRaceError extends Error {}

/**
 * The eligibility evaluator: goes through participants with a completed training whose incentive
 * is not decided yet (or exactly those named), each in its own transaction. Run by the payout
 * worker on a timer and by `pmo.incentives.evaluate`.
 */
export async function evaluateIncentives(opts: {
  db: Db;
  actor: ActorRef;
  now: Date;
  participantIds?: string[] | undefined;
  /** Participants per page of the scan. */
  pageSize?: number;
}): Promise<{ evaluated: number; waiting: number; eligible: number; surveyIncentivesEligible: number }> {
  const result = await evaluateCompletionIncentives(opts);
  return { ...result, surveyIncentivesEligible: await promoteSurveyIncentives(opts) };
}

/**
 * Survey incentives WAITING for a review or a payout account (platform.surveys.answer records them
 * so when the participant lacks either) become ELIGIBLE once both are there, each in its own transaction
 * and only from WAITING, so two evaluators never move one twice. Returns how many moved.
 */
async function promoteSurveyIncentives(opts: {
  db: Db;
  actor: ActorRef;
  now: Date;
  participantIds?: string[] | undefined;
}): Promise<number> {
  let moved = 0;
  let afterId = '';
  for (;;) {
    const page = await waitingSurveyIncentives(opts.db, {
      ...(opts.participantIds ? { participantIds: opts.participantIds } : { afterId }),
      limit: 500,
    });
    for (const { row, hasPayoutAccount, reviewed } of page) {
      const missing: Missing[] = [];
      if (!reviewed) missing.push('REVIEW');
      if (!hasPayoutAccount) missing.push('PAYOUT_ACCOUNT');
      if (missing.length > 0) {
        if (missing.join() !== row.missing.join())
          await updateIncentiveIf(opts.db, row.id, { status: 'WAITING' }, { missing, updatedAt: opts.now });
        continue;
      }
      const ok = await opts.db.transaction(async (tx) => {
        const updated = await updateIncentiveIf(
          tx,
          row.id,
          { status: 'WAITING' },
          { status: 'ELIGIBLE', missing: [], dueAt: opts.now, nextAttemptAt: opts.now, updatedAt: opts.now },
        );
        if (!updated) return false;
        await makeSurveyIncentiveEligible(tx, row, { ref: opts.actor, from: 'WAITING' });
        return true;
      });
      if (ok) moved++;
    }
    const last = page.at(-1);
    if (opts.participantIds || !last || page.length < 500) return moved;
    afterId = last.row.id;
  }
}

async function evaluateCompletionIncentives(opts: {
  db: Db;
  actor: ActorRef;
  now: Date;
  participantIds?: string[] | undefined;
  pageSize?: number;
}): Promise<{ evaluated: number; waiting: number; eligible: number }> {
  const result = { evaluated: 0, waiting: 0, eligible: 0 };
  let afterId = '';
  for (;;) {
    const candidates = await incentiveCandidates(opts.db, {
      ...(opts.participantIds ? { participantIds: opts.participantIds } : { afterId }),
      limit: opts.pageSize ?? 500,
    });
    for (const c of candidates) {
      let outcome: Awaited<ReturnType<typeof decide>>;
      try {
        outcome = await opts.db.transaction((tx) => decide(tx, c, { actor: opts.actor, now: opts.now }));
      } catch (err) {
        if (!(err instanceof IncentiveRaceError)) throw err;
        outcome = 'DECIDED';
      }
      result.evaluated++;
      if (outcome === 'WAITING') result.waiting++;
      if (outcome === 'ELIGIBLE') result.eligible++;
    }
    const last = candidates.at(-1);
    if (opts.participantIds || !last || candidates.length < (opts.pageSize ?? 500)) return result;
    afterId = last.participantId;
  }
}

/**
 * A participant's incentives as recorded, or, before anything is recorded, what the evaluator
 * would say now (a WAITING view listing what is missing).
 */
export async function participantIncentives(opts: { db: Db; participantId: string }): Promise<TIncentive[]> {
  const participant = await findParticipant(opts.db, opts.participantId);
  if (!participant)
    throw new AppError('NOT_FOUND', { message: 'No such participant.', field: 'participantId' });
  const all = await incentivesOfParticipant(opts.db, opts.participantId);
  // The completion incentive's rows first (instalment order), then survey incentives as recorded.
  const rows = all.filter((r) => r.kind === 'COMPLETION');
  const surveys = all.filter((r) => r.kind === 'SURVEY').map(toIncentive);
  if (rows.length > 0 && rows[0]?.status !== 'WAITING') return [...rows.map(toIncentive), ...surveys];
  const [c] = await incentiveCandidates(opts.db, { participantIds: [opts.participantId], limit: 1 });
  if (!c) return [...rows.map(toIncentive), ...surveys];
  return [
    {
      id: rows[0]?.id ?? null,
      participantId: c.participantId,
      schemeId: c.schemeId,
      kind: 'COMPLETION',
      surveyId: null,
      instalment: 1,
      instalments: c.times,
      amount: c.amount,
      status: 'WAITING',
      missing: missingFor(c),
      enrollmentId: null,
      dueAt: null,
      attempt: 1,
      failure: null,
      lastError: null,
      payoutId: null,
      paidAt: null,
      recoveryDueAt: null,
    },
    ...surveys,
  ];
}

export async function listIncentives(opts: {
  db: Db;
  input: {
    limit: number;
    cursor?: string | undefined;
    status?: IncentiveRow['status'] | undefined;
    participantId?: string | undefined;
  };
}): Promise<{ items: TIncentive[]; nextCursor: string | null }> {
  const rows = await listIncentivesPage(opts.db, {
    status: opts.input.status,
    participantId: opts.input.participantId,
    before: opts.input.cursor ? decodeCursor(opts.input.cursor) : undefined,
    limit: opts.input.limit,
  });
  return toPage(rows, opts.input.limit, (r) => r.id, toIncentive);
}

/** The PMO sends a FAILED incentive again: a new attempt, its money back to `payouts:pending`. */
export async function retryIncentive(opts: {
  db: Db;
  actor: Actor;
  requestId: string | null;
  now: Date;
  id: string;
}): Promise<TIncentive> {
  return opts.db.transaction(async (tx) => {
    const row = await getIncentive(tx, opts.id);
    if (!row) throw new AppError('INCENTIVE_NOT_FOUND', { field: 'id' });
    // Recorded for recovery by a case decision: sending it again would pay an undeserved incentive.
    if (row.recoveryDueAt)
      throw new AppError('INCENTIVE_NOT_RETRYABLE', {
        message: 'A case decision recorded this incentive for recovery: it is not sent again.',
        field: 'id',
      });
    const moved = await retryPayout(
      tx,
      { kind: 'incentive', row },
      { actor: actorRef(opts.actor, opts.requestId), now: opts.now },
    );
    if (moved?.kind !== 'incentive') throw new AppError('INCENTIVE_NOT_RETRYABLE', { field: 'id' });
    return toIncentive(moved.row);
  });
}
