import {
  AppError,
  STATISTICS_MIN_CELL,
  type TAnswerSurveyInput,
  type TCreateSurveyInput,
  type TOpenSurveys,
  type TSurvey,
  type TSurveyReceipt,
  type TSurveyResults,
} from '@latih/contracts';
import {
  activePlatformIds,
  closeSurveyRow,
  type Db,
  decodeCursor,
  findScheme,
  getParticipantPayoutAccount,
  getSurvey,
  getSurveyForUpdate,
  insertEvent,
  insertIncentives,
  insertSurvey,
  insertSurveyResponse,
  listSurveysPage,
  openSurveysFor,
  PAYOUTS_PENDING,
  PROGRAM_FUND,
  postLedgerTransactions,
  type SurveyRow,
  setResponseIncentive,
  surveyAnswerCounts,
  surveyRespondent,
  toPage,
} from '@latih/db';
import { type Actor, actorRef, requirePlatform, requirePmo } from '../auth/actor';
import { recordChange } from '../changes';
import { newId } from '../ids';

/*
 * Surveys paid with incentives (issue 22, must-show 2; docs/guides/surveys.md).
 *
 * Exactly once: an answer is decided under a lock on the participant's row, so one participant's
 * answers (through any platform, to any survey) are decided one at a time. A participant answers a
 * survey once (unique survey + participant); the n-th answer earns SURVEY incentive number n while
 * n ≤ the scheme's `surveyIncentive.times` (unique participant + kind + number), so no race or retry
 * pays a survey twice or more than `times` surveys. The incentive is an ordinary incentive row:
 * ELIGIBLE at once (program fund → payouts:pending) when a completed training has its review and a
 * payout account is on file, WAITING for what is missing otherwise (the incentives.evaluate job
 * makes it ELIGIBLE once both are there), and the payout worker pays it like any other.
 */

export function surveyStatus(row: SurveyRow, now: Date): TSurvey['status'] {
  if (row.closedAt || row.closesAt.getTime() <= now.getTime()) return 'CLOSED';
  if (row.opensAt.getTime() > now.getTime()) return 'SCHEDULED';
  return 'OPEN';
}

export function toSurvey(row: SurveyRow, now: Date): TSurvey {
  return {
    id: row.id,
    schemeId: row.schemeId,
    title: row.title,
    questions: row.questions,
    audience: row.audience,
    opensAt: row.opensAt.toISOString(),
    closesAt: row.closesAt.toISOString(),
    status: surveyStatus(row, now),
    closedAt: row.closedAt ? row.closedAt.toISOString() : null,
    createdAt: row.createdAt.toISOString(),
  };
}

/**
 * Every active platform's outbox gets the event, in the caller's transaction (one audit row for the
 * change, written by the caller; the events carry the survey and nothing about anyone).
 */
async function tellPlatforms(
  tx: Db,
  type: 'survey.published' | 'survey.closed',
  survey: TSurvey,
  requestId: string | null,
) {
  for (const platformId of await activePlatformIds(tx))
    await insertEvent(tx, {
      id: newId('event'),
      type,
      organisationId: platformId,
      entityType: 'survey',
      entityId: survey.id,
      data: { survey },
      requestId,
    });
}

/** `pmo.surveys.create`: a survey of one scheme, audited, announced to every active platform. */
export async function createSurvey(opts: {
  db: Db;
  actor: Actor;
  requestId: string | null;
  now: Date;
  input: TCreateSurveyInput;
}): Promise<TSurvey> {
  requirePmo(opts.actor);
  const { input, now } = opts;
  const scheme = await findScheme(opts.db, input.schemeId);
  if (!scheme) throw new AppError('SCHEME_UNKNOWN', { field: 'schemeId' });
  if (Date.parse(input.closesAt) <= now.getTime())
    throw new AppError('VALIDATION_FAILED', { message: 'closesAt is in the past.', field: 'closesAt' });
  return opts.db.transaction(async (tx) => {
    const row = await insertSurvey(tx, {
      id: newId('survey', now.getTime()),
      schemeId: scheme.id,
      title: input.title,
      questions: input.questions.map((q) => ({ ...q, options: q.kind === 'SCALE' ? [] : q.options })),
      audience: input.audience,
      opensAt: new Date(input.opensAt),
      closesAt: new Date(input.closesAt),
      createdAt: now,
    });
    const survey = toSurvey(row, now);
    const ref = actorRef(opts.actor, opts.requestId);
    await recordChange(tx, {
      actor: ref,
      action: 'survey.created',
      entityType: 'survey',
      entityId: row.id,
      fromState: null,
      toState: survey.status,
      auditData: {
        schemeId: row.schemeId,
        title: row.title,
        opensAt: survey.opensAt,
        closesAt: survey.closesAt,
      },
    });
    await tellPlatforms(tx, 'survey.published', survey, opts.requestId);
    return survey;
  });
}

export async function listSurveys(opts: {
  db: Db;
  actor: Actor;
  now: Date;
  input: {
    limit: number;
    cursor?: string | undefined;
    schemeId?: string | undefined;
    status?: TSurvey['status'] | undefined;
  };
}) {
  requirePmo(opts.actor);
  const rows = await listSurveysPage(opts.db, {
    schemeId: opts.input.schemeId,
    status: opts.input.status,
    before: opts.input.cursor ? decodeCursor(opts.input.cursor) : undefined,
    now: opts.now,
    limit: opts.input.limit,
  });
  return toPage(
    rows,
    opts.input.limit,
    (r) => r.id,
    (r) => toSurvey(r, opts.now),
  );
}

export async function getSurveyById(opts: { db: Db; actor: Actor; now: Date; surveyId: string }) {
  requirePmo(opts.actor);
  const row = await getSurvey(opts.db, opts.surveyId);
  if (!row) throw new AppError('SURVEY_NOT_FOUND', { field: 'surveyId' });
  return toSurvey(row, opts.now);
}

/**
 * `pmo.surveys.close`: no more answers from now. Closing a survey that is already closed (by the
 * PMO or by its window) changes nothing and answers it as it is.
 */
export async function closeSurvey(opts: {
  db: Db;
  actor: Actor;
  requestId: string | null;
  now: Date;
  surveyId: string;
}): Promise<TSurvey> {
  requirePmo(opts.actor);
  return opts.db.transaction(async (tx) => {
    const row = await getSurveyForUpdate(tx, opts.surveyId);
    if (!row) throw new AppError('SURVEY_NOT_FOUND', { field: 'surveyId' });
    const from = surveyStatus(row, opts.now);
    if (from === 'CLOSED') return toSurvey(row, opts.now);
    const closed = await closeSurveyRow(tx, row.id, opts.now);
    if (!closed) return toSurvey(row, opts.now);
    const survey = toSurvey(closed, opts.now);
    const ref = actorRef(opts.actor, opts.requestId);
    await recordChange(tx, {
      actor: ref,
      action: 'survey.closed',
      entityType: 'survey',
      entityId: row.id,
      fromState: from,
      toState: 'CLOSED',
    });
    await tellPlatforms(tx, 'survey.closed', survey, opts.requestId);
    return survey;
  });
}

type Respondent = NonNullable<Awaited<ReturnType<typeof surveyRespondent>>>;

function inAudience(survey: SurveyRow, p: Respondent): boolean {
  const { cohortFrom, cohortTo } = survey.audience;
  return (
    p.active &&
    p.completedHere &&
    p.schemeId === survey.schemeId &&
    (cohortFrom === undefined || p.cohort >= cohortFrom) &&
    (cohortTo === undefined || p.cohort <= cohortTo)
  );
}

/** The scheme's survey incentive: its amount and how many a participant may earn. */
async function surveyIncentiveOf(db: Db, schemeId: string) {
  const scheme = await findScheme(db, schemeId);
  return scheme?.rules.surveyIncentive ?? { amount: 0, times: 0 };
}

/**
 * `platform.surveys.open`: the surveys open now to the participant a voucher of this platform's was
 * sold to, that they have not answered, with what answering pays. NOT_FOUND for a voucher that is
 * not this platform's, exactly like an unknown one.
 */
export async function openSurveys(opts: {
  db: Db;
  actor: Actor;
  now: Date;
  input: { voucherId: string };
}): Promise<TOpenSurveys> {
  requirePlatform(opts.actor);
  const p = await surveyRespondent(opts.db, opts.input.voucherId, opts.actor.organisationId);
  if (!p)
    throw new AppError('NOT_FOUND', { message: 'No voucher you sold has this id.', field: 'voucherId' });
  const rows = await openSurveysFor(opts.db, {
    schemeId: p.schemeId,
    participantId: p.participantId,
    now: opts.now,
  });
  const incentive = await surveyIncentiveOf(opts.db, p.schemeId);
  const pays = incentive.amount > 0 && p.surveyIncentives < incentive.times ? incentive.amount : null;
  return {
    items: rows
      .filter((r) => inAudience(r, p))
      .map((r) => ({ survey: toSurvey(r, opts.now), incentiveAmount: pays })),
  };
}

/** The answers as stored (question id → option id or score), checked against the questions. */
function checkAnswers(survey: SurveyRow, answers: TAnswerSurveyInput['answers']) {
  const byId = new Map(survey.questions.map((q) => [q.id, q]));
  const seen = new Set<string>();
  const stored: { questionId: string; value: string }[] = [];
  answers.forEach((a, i) => {
    const field = `answers.${i}`;
    const q = byId.get(a.questionId);
    if (!q)
      throw new AppError('SURVEY_ANSWERS_INVALID', {
        message: `The survey has no question '${a.questionId}'.`,
        field: `${field}.questionId`,
      });
    if (seen.has(q.id))
      throw new AppError('SURVEY_ANSWERS_INVALID', {
        message: `Question '${q.id}' is answered twice.`,
        field: `${field}.questionId`,
      });
    seen.add(q.id);
    if (q.kind === 'SINGLE_CHOICE') {
      if (a.score !== undefined || a.optionId === undefined || !q.options.some((o) => o.id === a.optionId))
        throw new AppError('SURVEY_ANSWERS_INVALID', {
          message: `Question '${q.id}' takes one optionId of: ${q.options.map((o) => o.id).join(', ')}.`,
          field: `${field}.optionId`,
        });
      stored.push({ questionId: q.id, value: a.optionId });
    } else {
      if (a.optionId !== undefined || a.score === undefined)
        throw new AppError('SURVEY_ANSWERS_INVALID', {
          message: `Question '${q.id}' takes a score from 1 to 5.`,
          field: `${field}.score`,
        });
      stored.push({ questionId: q.id, value: String(a.score) });
    }
  });
  const missing = survey.questions.find((q) => !seen.has(q.id));
  if (missing)
    throw new AppError('SURVEY_ANSWERS_INVALID', {
      message: `Question '${missing.id}' is not answered.`,
      field: 'answers',
    });
  return stored;
}

/**
 * `platform.surveys.answer`: records a participant's answer, with their consent, and the survey
 * incentive it earns (see the top of this file for the exactly-once rule). Refusals, before
 * anything is written: NOT_FOUND (not your voucher), SURVEY_CONSENT_REQUIRED, SURVEY_NOT_FOUND,
 * SURVEY_NOT_OPEN, SURVEY_NOT_IN_AUDIENCE, SURVEY_ANSWERS_INVALID, SURVEY_ALREADY_ANSWERED.
 */
export async function answerSurvey(opts: {
  db: Db;
  actor: Actor;
  requestId: string | null;
  now: Date;
  input: TAnswerSurveyInput;
}): Promise<TSurveyReceipt> {
  requirePlatform(opts.actor);
  const { input, now } = opts;
  const platformId = opts.actor.organisationId;
  if (input.consent !== true)
    throw new AppError('SURVEY_CONSENT_REQUIRED', {
      message:
        'consent must be true: the participant agrees to take part and to aggregate use of the answers.',
      field: 'consent',
    });
  return opts.db.transaction(async (tx) => {
    // The participant's row locked: their answers are decided one at a time.
    const p = await surveyRespondent(tx, input.voucherId, platformId, { lock: true });
    if (!p)
      throw new AppError('NOT_FOUND', { message: 'No voucher you sold has this id.', field: 'voucherId' });
    const survey = await getSurvey(tx, input.surveyId);
    if (!survey || survey.schemeId !== p.schemeId)
      throw new AppError('SURVEY_NOT_FOUND', { field: 'surveyId' });
    if (survey.closedAt)
      throw new AppError('SURVEY_NOT_OPEN', {
        message: 'The program office closed this survey.',
        field: 'surveyId',
      });
    if (now.getTime() < survey.opensAt.getTime())
      throw new AppError('SURVEY_NOT_OPEN', {
        message: `The survey opens at ${survey.opensAt.toISOString()}.`,
        field: 'surveyId',
      });
    if (now.getTime() >= survey.closesAt.getTime())
      throw new AppError('SURVEY_NOT_OPEN', {
        message: `The survey closed at ${survey.closesAt.toISOString()}.`,
        field: 'surveyId',
      });
    if (!inAudience(survey, p)) throw new AppError('SURVEY_NOT_IN_AUDIENCE', { field: 'voucherId' });
    const answers = checkAnswers(survey, input.answers);
    const response = await insertSurveyResponse(tx, {
      id: newId('surveyResponse', now.getTime()),
      surveyId: survey.id,
      participantId: p.participantId,
      platformId,
      voucherId: input.voucherId,
      answers,
      consentAt: now,
      createdAt: now,
    });
    if (!response) throw new AppError('SURVEY_ALREADY_ANSWERED', { field: 'surveyId' });
    const ref = actorRef(opts.actor, opts.requestId);
    // No answer in the audit row: only that the participant answered, with consent.
    await recordChange(tx, {
      actor: ref,
      action: 'survey.answered',
      entityType: 'survey_response',
      entityId: response.id,
      fromState: null,
      toState: 'ANSWERED',
      auditData: { surveyId: survey.id, participantId: p.participantId, consentAt: now.toISOString() },
    });

    const rule = await surveyIncentiveOf(tx, p.schemeId);
    let incentiveAmount: number | null = null;
    if (rule.amount > 0 && p.surveyIncentives < rule.times) {
      // What every incentive needs (DESIGN §2): a completed training with its review, and somewhere
      // to pay it. Missing either, it waits; the incentives.evaluate job moves it once both are there.
      const missing: ('REVIEW' | 'PAYOUT_ACCOUNT')[] = [];
      if (!p.reviewed) missing.push('REVIEW');
      if (!(await getParticipantPayoutAccount(tx, p.participantId))) missing.push('PAYOUT_ACCOUNT');
      const ready = missing.length === 0;
      const id = newId('incentive', now.getTime());
      const inserted = await insertIncentives(tx, [
        {
          id,
          participantId: p.participantId,
          schemeId: p.schemeId,
          kind: 'SURVEY',
          surveyId: survey.id,
          instalment: p.surveyIncentives + 1,
          instalments: rule.times,
          amount: rule.amount,
          status: ready ? 'ELIGIBLE' : 'WAITING',
          missing,
          ...(ready ? { dueAt: now, nextAttemptAt: now } : {}),
          createdAt: now,
          updatedAt: now,
        },
      ]);
      // Under the participant's lock the number is free; if it is not, refuse rather than pay twice.
      if (inserted.length !== 1) throw new Error(`survey incentive ${p.surveyIncentives + 1} already exists`);
      if (ready)
        await makeSurveyIncentiveEligible(
          tx,
          {
            id,
            amount: rule.amount,
            participantId: p.participantId,
            surveyId: survey.id,
            instalment: p.surveyIncentives + 1,
          },
          { ref, from: null },
        );
      else
        await recordChange(tx, {
          actor: ref,
          action: 'incentive.waiting',
          entityType: 'incentive',
          entityId: id,
          fromState: null,
          toState: 'WAITING',
          auditData: {
            participantId: p.participantId,
            kind: 'SURVEY',
            surveyId: survey.id,
            missing: ['PAYOUT_ACCOUNT'],
          },
        });
      await setResponseIncentive(tx, response.id, id);
      incentiveAmount = rule.amount;
    }
    return {
      responseId: response.id,
      surveyId: survey.id,
      consentAt: now.toISOString(),
      answeredAt: now.toISOString(),
      incentiveAmount,
    };
  });
}

/** The money of an ELIGIBLE survey incentive leaves the program's fund for `payouts:pending`. */
export async function makeSurveyIncentiveEligible(
  tx: Db,
  i: { id: string; amount: number; participantId: string; surveyId: string | null; instalment: number },
  ctx: { ref: ReturnType<typeof actorRef>; from: 'WAITING' | null },
) {
  await postLedgerTransactions(tx, [
    {
      id: newId('ledgerTransaction'),
      kind: 'INCENTIVE_ELIGIBLE',
      reference: i.id,
      entries: [
        { account: PROGRAM_FUND, amount: -i.amount },
        { account: PAYOUTS_PENDING, amount: i.amount },
      ],
    },
  ]);
  await recordChange(tx, {
    actor: ctx.ref,
    action: 'incentive.eligible',
    entityType: 'incentive',
    entityId: i.id,
    fromState: ctx.from,
    toState: 'ELIGIBLE',
    auditData: {
      participantId: i.participantId,
      kind: 'SURVEY',
      surveyId: i.surveyId,
      instalment: i.instalment,
    },
  });
}

/**
 * Primary suppression: a cell counting 1 to `min` − 1 participants is withheld. Secondary: a
 * question with exactly one withheld cell withholds its next smallest too, so the number of
 * responses cannot give the first one away (as the statistics' `suppress` does per column).
 */
export function suppressCells<T extends { count: number | null }>(cells: T[], min: number): T[] {
  const out = cells.map((c) => ({ ...c }));
  let withheld = 0;
  for (const c of out)
    if (c.count !== null && c.count > 0 && c.count < min) {
      c.count = null;
      withheld++;
    }
  if (withheld === 1) {
    const next = out
      .filter((c) => c.count !== null && c.count > 0)
      .sort((a, b) => (a.count ?? 0) - (b.count ?? 0))[0];
    if (next) next.count = null;
  }
  return out;
}

/**
 * `pmo.surveys.results`: per question, how many participants chose each option (or score), with
 * small cells withheld by the program's statistics threshold. 1 to threshold − 1 responses withhold
 * everything; none withholds nothing (all zeros give nothing away). Never an answer per person.
 */
export async function surveyResults(opts: {
  db: Db;
  actor: Actor;
  now: Date;
  surveyId: string;
  /** The minimum cell (default: the statistics threshold). */
  minCell?: number;
}): Promise<TSurveyResults> {
  requirePmo(opts.actor);
  const min = opts.minCell ?? STATISTICS_MIN_CELL;
  const survey = await getSurvey(opts.db, opts.surveyId);
  if (!survey) throw new AppError('SURVEY_NOT_FOUND', { field: 'surveyId' });
  const { responses, counts } = await surveyAnswerCounts(opts.db, survey.id);
  const tooFew = responses > 0 && responses < min;
  const n = (questionId: string, value: string) =>
    counts.find((c) => c.questionId === questionId && c.value === value)?.n ?? 0;
  return {
    surveyId: survey.id,
    title: survey.title,
    status: surveyStatus(survey, opts.now),
    responses: tooFew ? null : responses,
    suppressedBelow: min,
    questions: survey.questions.map((q) => {
      const values =
        q.kind === 'SCALE'
          ? ['1', '2', '3', '4', '5'].map((v) => ({ value: v, label: v }))
          : q.options.map((o) => ({ value: o.id, label: o.label }));
      const cells = values.map((v) => ({ ...v, count: tooFew ? null : n(q.id, v.value) }));
      return {
        questionId: q.id,
        text: q.text,
        kind: q.kind,
        cells: tooFew ? cells : suppressCells(cells, min),
      };
    }),
  };
}
