import { actorRef, createSealer, evaluateIncentives, payDue } from '@latih/core';
import { checkLedger, execRows, PROGRAM_FUND, payoutLedgerMismatches, schema } from '@latih/db';
import type { PaymentsClient, PaymentsMock } from '@latih/payments';
import { and, asc, eq, sql } from 'drizzle-orm';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { engines, postgresAvailable } from '../support/db';
import { codeOf, type Harness, useHarness } from '../support/harness';
import { accountBalance } from '../support/ledger';
import { plantCourse, plantEnrollment, plantProvider, plantReview } from '../support/oversight-fixtures';
import { fakePaymentProvider } from '../support/payments';

/*
 * Surveys paid with incentives (issue 22, must-show 2): the PMO defines, participants answer through
 * their platform with consent, each scheme's survey incentive is paid by the incentive machinery
 * exactly once and at most `times` per participant, answers are reported only in aggregate with
 * small cells withheld. Participants here are planted (2023 scheme: Rp50.000 × 2) with a training
 * completed on a voucher platform A sold.
 */

const DAY = 86_400_000;
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => 'OK',
    (e: unknown) => codeOf(e),
  );

const QUESTIONS = [
  {
    id: 'useful',
    text: 'Apakah pelatihan bermanfaat untuk pekerjaan Anda?',
    kind: 'SINGLE_CHOICE' as const,
    options: [
      { id: 'yes', label: 'Ya' },
      { id: 'partly', label: 'Sebagian' },
      { id: 'no', label: 'Tidak' },
    ],
  },
  { id: 'satisfaction', text: 'Seberapa puas Anda dengan program ini?', kind: 'SCALE' as const },
];

const goodAnswers = (useful = 'yes', score = 5) => [
  { questionId: 'useful', optionId: useful },
  { questionId: 'satisfaction', score },
];

/** A survey of the 2023 scheme, open from now (program clock) for a week unless said otherwise. */
async function defineSurvey(
  h: Harness,
  o: { title?: string; opensInMs?: number; closesInMs?: number; cohortFrom?: number; cohortTo?: number } = {},
) {
  const now = h.services.now();
  return h.caller('pmo').pmo.surveys.create({
    schemeId: 'PRAKERJA_2023',
    title: o.title ?? 'Survei evaluasi pasca-pelatihan',
    questions: QUESTIONS,
    audience: {
      ...(o.cohortFrom !== undefined ? { cohortFrom: o.cohortFrom } : {}),
      ...(o.cohortTo !== undefined ? { cohortTo: o.cohortTo } : {}),
    },
    opensAt: new Date(now + (o.opensInMs ?? -60_000)).toISOString(),
    closesAt: new Date(now + (o.closesInMs ?? 7 * DAY)).toISOString(),
  });
}

/**
 * A participant with a training completed (and reviewed, unless said otherwise) on a voucher of
 * `platform` (platform A by default).
 */
async function respondent(
  h: Harness,
  o: { platform?: 'platformA' | 'platformB'; cohort?: number; completed?: boolean; reviewed?: boolean } = {},
) {
  const providerId = await plantProvider(h);
  const courseId = await plantCourse(h, providerId);
  const at = new Date(h.services.now() - 2 * DAY);
  const planted = await plantEnrollment(h, {
    providerId,
    courseId,
    redeemedAt: at,
    ...(o.completed === false ? {} : { completedAt: at }),
    platformId: h.orgs[o.platform ?? 'platformA'].organisationId,
    ...(o.cohort !== undefined ? { cohort: o.cohort } : {}),
  });
  if (o.completed !== false && o.reviewed !== false)
    await plantReview(h, { ...planted, providerId, courseId }, { rating: 5, at });
  return planted;
}

const sealerOf = (h: Harness) => createSealer(h.services.nikHashKey, 'payout-destinations');

async function withWallet(h: Harness, participantId: string, phone = '081298765432') {
  await h.caller('pmo').pmo.participants.setPayoutAccount({
    participantId,
    destination: { kind: 'ewallet', provider: 'gopay', phone },
  });
}

async function surveyIncentives(h: Harness, participantId: string) {
  return h.db
    .select()
    .from(schema.incentives)
    .where(and(eq(schema.incentives.participantId, participantId), eq(schema.incentives.kind, 'SURVEY')))
    .orderBy(asc(schema.incentives.instalment));
}

async function responsesOf(h: Harness, participantId: string) {
  return h.db
    .select()
    .from(schema.surveyResponses)
    .where(eq(schema.surveyResponses.participantId, participantId));
}

async function expectBooksBalance(h: Harness) {
  const books = await checkLedger(h.db);
  expect(books.balanced, JSON.stringify(books.unbalancedTransactions)).toBe(true);
  expect(books.balanceMismatches).toEqual([]);
  expect(await payoutLedgerMismatches(h.db)).toEqual([]);
}

/** Pays what is due and lets the provider settle it, until no incentive is due or on its way. */
async function settleAll(h: Harness, client: PaymentsClient, mock: PaymentsMock) {
  for (let i = 0; i < 20; i++) {
    await payDue({ db: h.db, payments: client, sealer: sealerOf(h), now: new Date(h.services.now()) });
    h.clock.set(new Date(h.services.now() + 61_000));
    await mock.tick();
    const at = new Date(h.services.now()).toISOString();
    const [open] = await execRows<{ n: number | string }>(
      h.db,
      sql`select count(*) as n from incentives where status = 'DISBURSING'
            or (status = 'ELIGIBLE' and due_at <= ${at}::timestamptz)`,
    );
    if (Number(open?.n) === 0) return;
    h.clock.set(new Date(h.services.now() + 10 * 60_000));
  }
  throw new Error('incentives did not settle');
}

describe.each(engines())('surveys on %s', (engine) => {
  const h = useHarness(engine);
  let provider: ReturnType<typeof fakePaymentProvider> | undefined;
  const payments = () => {
    provider ??= fakePaymentProvider(h, server, {
      name: `surveys-${engine}`,
      latencyMs: [0, 2],
      timeoutMs: 150,
      maxRetries: 2,
    });
    h.services.payments = provider.client;
    return provider;
  };
  // A program clock that stands still unless a test moves it (answers are stamped with it).
  beforeEach(() => {
    h.clock.set(new Date('2026-07-01T03:00:00Z'));
  });

  it('the PMO defines a survey (audited, announced to platforms) and lists, gets and closes it', async () => {
    const survey = await defineSurvey(h, { title: 'Survei A', cohortFrom: 70, cohortTo: 80 });
    expect(survey).toMatchObject({
      schemeId: 'PRAKERJA_2023',
      title: 'Survei A',
      status: 'OPEN',
      closedAt: null,
      audience: { cohortFrom: 70, cohortTo: 80 },
    });
    expect(survey.id).toMatch(/^svy_/);
    expect(survey.questions[1]).toEqual({ ...QUESTIONS[1], options: [] });
    expect(await h.caller('pmo').pmo.surveys.get({ surveyId: survey.id })).toEqual(survey);
    const listed = await h.caller('pmo').pmo.surveys.list({ limit: 100, status: 'OPEN' });
    expect(listed.items.map((s) => s.id)).toContain(survey.id);

    const audit = await h.db.select().from(schema.auditLog).where(eq(schema.auditLog.entityId, survey.id));
    expect(audit.map((a) => a.action)).toContain('survey.created');
    expect(audit.find((a) => a.action === 'survey.created')?.actorOrganisationId).toBe(
      h.orgs.pmo.organisationId,
    );
    // Every active platform hears of it (and sees nothing but the survey).
    const events = await h.db.select().from(schema.events).where(eq(schema.events.entityId, survey.id));
    expect(events.map((e) => [e.type, e.organisationId]).sort()).toEqual(
      [
        ['survey.published', h.orgs.platformA.organisationId],
        ['survey.published', h.orgs.platformB.organisationId],
      ].sort(),
    );
    // What a platform is sent: the survey, nothing about anyone.
    for (const e of events) expect(e.data).toEqual({ survey });

    const closed = await h.caller('pmo').pmo.surveys.close({ surveyId: survey.id });
    expect(closed).toMatchObject({ status: 'CLOSED', closedAt: new Date(h.services.now()).toISOString() });
    // Closing again changes nothing and writes nothing.
    expect(await h.caller('pmo').pmo.surveys.close({ surveyId: survey.id })).toEqual(closed);
    const after = await h.db.select().from(schema.events).where(eq(schema.events.entityId, survey.id));
    expect(after.filter((e) => e.type === 'survey.closed')).toHaveLength(2);
    // One audit row per change, by the PMO.
    const trail = await h.db.select().from(schema.auditLog).where(eq(schema.auditLog.entityId, survey.id));
    expect(trail.map((a) => [a.action, a.fromState, a.toState, a.actorOrganisationId]).sort()).toEqual([
      ['survey.closed', 'OPEN', 'CLOSED', h.orgs.pmo.organisationId],
      ['survey.created', null, 'OPEN', h.orgs.pmo.organisationId],
    ]);
    expect(
      (await h.caller('pmo').pmo.surveys.list({ limit: 100, status: 'CLOSED' })).items.map((s) => s.id),
    ).toContain(survey.id);

    expect(
      await refusal(h.caller('pmo').pmo.surveys.get({ surveyId: 'svy_01jz8k6d3v7m2r5w9x4q1t0abc' })),
    ).toBe('SURVEY_NOT_FOUND');
  });

  it('refuses surveys that cannot be answered or aggregated: free shapes, bad windows, unknown schemes', async () => {
    const now = h.services.now();
    const base = {
      schemeId: 'PRAKERJA_2023',
      title: 'Survei',
      questions: QUESTIONS,
      opensAt: new Date(now).toISOString(),
      closesAt: new Date(now + DAY).toISOString(),
    };
    const pmo = h.caller('pmo').pmo.surveys;
    const before = await h.db.select().from(schema.surveys);
    expect(await refusal(pmo.create({ ...base, schemeId: 'PRAKERJA_1999' }))).toBe('SCHEME_UNKNOWN');
    expect(await refusal(pmo.create({ ...base, closesAt: base.opensAt }))).toBe('VALIDATION_FAILED');
    expect(
      await refusal(
        pmo.create({
          ...base,
          opensAt: new Date(now - 2 * DAY).toISOString(),
          closesAt: new Date(now - DAY).toISOString(),
        }),
      ),
    ).toBe('VALIDATION_FAILED');
    expect(
      await refusal(
        pmo.create({
          ...base,
          questions: [{ id: 'q', text: 'Skala', kind: 'SCALE', options: [{ id: 'a', label: 'A' }] }],
        }),
      ),
    ).toBe('VALIDATION_FAILED');
    expect(
      await refusal(
        pmo.create({
          ...base,
          questions: [{ id: 'q', text: 'Pilih', kind: 'SINGLE_CHOICE', options: [{ id: 'a', label: 'A' }] }],
        }),
      ),
    ).toBe('VALIDATION_FAILED');
    expect(await refusal(pmo.create({ ...base, questions: [QUESTIONS[1], QUESTIONS[1]] as never }))).toBe(
      'VALIDATION_FAILED',
    );
    expect(await refusal(pmo.create({ ...base, audience: { cohortFrom: 9, cohortTo: 3 } }))).toBe(
      'VALIDATION_FAILED',
    );
    // Only the PMO defines surveys.
    expect(await refusal(h.caller('platformA').pmo.surveys.create(base))).toBe('FORBIDDEN_ROLE');
    expect(await h.db.select().from(schema.surveys)).toHaveLength(before.length);
  });

  it('an answer with consent earns the survey incentive, paid once by the payout worker; the books balance', async () => {
    const { mock, client } = payments();
    const survey = await defineSurvey(h);
    const { participantId, voucherId } = await respondent(h);
    await withWallet(h, participantId);
    const platform = h.caller('platformA').platform.surveys;

    const open = await platform.open({ voucherId });
    expect(open.items.find((i) => i.survey.id === survey.id)).toEqual({ survey, incentiveAmount: 50_000 });

    const fundBefore = await accountBalance(h.db, PROGRAM_FUND);
    const receipt = await platform.answer({
      voucherId,
      surveyId: survey.id,
      consent: true,
      answers: goodAnswers('partly', 4),
    });
    const at = new Date(h.services.now()).toISOString();
    expect(receipt).toMatchObject({
      surveyId: survey.id,
      consentAt: at,
      answeredAt: at,
      incentiveAmount: 50_000,
    });
    // Stored as answered, with the time of consent and the platform it came through.
    const [stored] = await responsesOf(h, participantId);
    expect(stored).toMatchObject({
      id: receipt.responseId,
      platformId: h.orgs.platformA.organisationId,
      consentAt: new Date(at),
      answers: [
        { questionId: 'useful', value: 'partly' },
        { questionId: 'satisfaction', value: '4' },
      ],
    });
    // The incentive: an ordinary incentive row of kind SURVEY, ELIGIBLE, its money in payouts:pending.
    const [row] = await surveyIncentives(h, participantId);
    expect(row).toMatchObject({
      kind: 'SURVEY',
      surveyId: survey.id,
      instalment: 1,
      instalments: 2,
      amount: 50_000,
      status: 'ELIGIBLE',
    });
    expect(stored?.incentiveId).toBe(row?.id);
    expect(await accountBalance(h.db, PROGRAM_FUND)).toBe(fundBefore - 50_000);
    const view = await h.caller('pmo').pmo.incentives.ofParticipant({ participantId });
    expect(view.items.find((i) => i.kind === 'SURVEY')).toMatchObject({ id: row?.id, surveyId: survey.id });
    // The completion incentive is judged on its own: a review is still missing.
    expect(view.items.find((i) => i.kind === 'COMPLETION')).toMatchObject({ status: 'WAITING', id: null });

    // Answering again: refused, nothing recorded, nothing paid; the survey is no longer offered.
    expect(
      await refusal(
        platform.answer({ voucherId, surveyId: survey.id, consent: true, answers: goodAnswers('yes', 5) }),
      ),
    ).toBe('SURVEY_ALREADY_ANSWERED');
    expect(await responsesOf(h, participantId)).toHaveLength(1);
    expect(await surveyIncentives(h, participantId)).toHaveLength(1);
    expect((await platform.open({ voucherId })).items.map((i) => i.survey.id)).not.toContain(survey.id);

    await settleAll(h, client, mock);
    await settleAll(h, client, mock);
    const [paid] = await surveyIncentives(h, participantId);
    expect(paid).toMatchObject({ status: 'PAID' });
    const payouts = [...mock.state.payouts.values()].filter((p) => p.metadata.incentiveId === row?.id);
    expect(payouts.map((p) => [p.amount, p.status])).toEqual([[50_000, 'paid']]);
    expect(await accountBalance(h.db, PROGRAM_FUND)).toBe(fundBefore - 50_000);
    await expectBooksBalance(h);
    // The program's statistics count the incentive after training only: this paid survey incentive
    // is not an "incentive paid" there (nothing else in this file is paid).
    const stats = await h.caller('pmo').pmo.statistics({ dimension: 'gender' });
    expect(stats.totals).toMatchObject({ incentivesPaid: 0, incentivesPaidAmount: 0 });
  });

  it('at most the scheme’s times: the third survey answered is recorded but not paid', async () => {
    payments();
    const surveys = [await defineSurvey(h), await defineSurvey(h), await defineSurvey(h)];
    const { participantId, voucherId } = await respondent(h);
    await withWallet(h, participantId, '081211112222');
    const platform = h.caller('platformA').platform.surveys;
    const paid: (number | null)[] = [];
    for (const s of surveys) {
      const offered = (await platform.open({ voucherId })).items.find((i) => i.survey.id === s.id);
      expect(offered?.incentiveAmount).toBe(paid.length < 2 ? 50_000 : null);
      paid.push(
        (await platform.answer({ voucherId, surveyId: s.id, consent: true, answers: goodAnswers() }))
          .incentiveAmount,
      );
    }
    expect(paid).toEqual([50_000, 50_000, null]);
    expect(
      (await surveyIncentives(h, participantId)).map((r) => [r.instalment, r.surveyId, r.status]),
    ).toEqual([
      [1, surveys[0]?.id, 'ELIGIBLE'],
      [2, surveys[1]?.id, 'ELIGIBLE'],
    ]);
    expect(await responsesOf(h, participantId)).toHaveLength(3);
    await expectBooksBalance(h);
  });

  it('without a review or a payout account the survey incentive waits; the evaluator makes it eligible once both are there', async () => {
    payments();
    const survey = await defineSurvey(h);
    const person = await respondent(h, { reviewed: false });
    const { participantId, voucherId } = person;
    const fundBefore = await accountBalance(h.db, PROGRAM_FUND);
    const receipt = await h.caller('platformA').platform.surveys.answer({
      voucherId,
      surveyId: survey.id,
      consent: true,
      answers: goodAnswers(),
    });
    expect(receipt.incentiveAmount).toBe(50_000);
    expect(await surveyIncentives(h, participantId)).toMatchObject([
      { status: 'WAITING', missing: ['REVIEW', 'PAYOUT_ACCOUNT'], dueAt: null },
    ]);
    expect(await accountBalance(h.db, PROGRAM_FUND)).toBe(fundBefore);
    const system = actorRef(null, null);
    const evaluate = async () =>
      (
        await evaluateIncentives({
          db: h.db,
          actor: system,
          now: new Date(h.services.now()),
          participantIds: [participantId],
        })
      ).surveyIncentivesEligible;
    expect(await evaluate()).toBe(0);
    await withWallet(h, participantId, '081233334444');
    expect(await evaluate()).toBe(0);
    expect(await surveyIncentives(h, participantId)).toMatchObject([
      { status: 'WAITING', missing: ['REVIEW'] },
    ]);
    const [enrollment] = await h.db
      .select()
      .from(schema.enrollments)
      .where(eq(schema.enrollments.id, person.enrollmentId));
    await plantReview(
      h,
      { ...person, providerId: enrollment?.providerId ?? '', courseId: enrollment?.courseId ?? '' },
      { rating: 4, at: new Date(h.services.now()) },
    );
    // The scheduled run (no participant named) finds it; a second run moves nothing again.
    expect(
      (await evaluateIncentives({ db: h.db, actor: system, now: new Date(h.services.now()) }))
        .surveyIncentivesEligible,
    ).toBe(1);
    expect(await evaluate()).toBe(0);
    expect(await surveyIncentives(h, participantId)).toMatchObject([{ status: 'ELIGIBLE', missing: [] }]);
    // The same run decided the completion incentive (Rp600.000, now reviewed and with an account).
    const { items } = await h.caller('pmo').pmo.incentives.ofParticipant({ participantId });
    expect(items.map((i) => [i.kind, i.status, i.amount])).toEqual([
      ['COMPLETION', 'ELIGIBLE', 600_000],
      ['SURVEY', 'ELIGIBLE', 50_000],
    ]);
    // (The unnamed run decided other tests' participants too, so the fund is not compared here: the
    // books check says each incentive's money sits in the payouts account its state names.)
    await expectBooksBalance(h);
  });

  it('refuses, writing nothing: no consent, answers that do not fit, outside the window, outside the audience, another platform’s voucher', async () => {
    const survey = await defineSurvey(h, { cohortFrom: 70, cohortTo: 80 });
    const { participantId, voucherId } = await respondent(h, { cohort: 77 });
    const platform = h.caller('platformA').platform.surveys;
    const answer = (o: Partial<Parameters<typeof platform.answer>[0]>) =>
      refusal(
        platform.answer({ voucherId, surveyId: survey.id, consent: true, answers: goodAnswers(), ...o }),
      );

    expect(await answer({ consent: false })).toBe('SURVEY_CONSENT_REQUIRED');
    expect(await answer({ answers: [{ questionId: 'useful', optionId: 'yes' }] })).toBe(
      'SURVEY_ANSWERS_INVALID',
    );
    expect(await answer({ answers: [...goodAnswers(), { questionId: 'useful', optionId: 'no' }] })).toBe(
      'SURVEY_ANSWERS_INVALID',
    );
    expect(await answer({ answers: [...goodAnswers(), { questionId: 'extra', score: 3 }] })).toBe(
      'SURVEY_ANSWERS_INVALID',
    );
    expect(await answer({ answers: goodAnswers('maybe') })).toBe('SURVEY_ANSWERS_INVALID');
    expect(
      await answer({
        answers: [
          { questionId: 'useful', score: 3 },
          { questionId: 'satisfaction', score: 3 },
        ],
      }),
    ).toBe('SURVEY_ANSWERS_INVALID');
    expect(
      await answer({
        answers: [
          { questionId: 'useful', optionId: 'yes' },
          { questionId: 'satisfaction', optionId: 'yes' },
        ],
      }),
    ).toBe('SURVEY_ANSWERS_INVALID');
    expect(await answer({ answers: goodAnswers('yes', 6) })).toBe('VALIDATION_FAILED');
    expect(await answer({ surveyId: 'svy_01jz8k6d3v7m2r5w9x4q1t0abc' })).toBe('SURVEY_NOT_FOUND');

    // Another platform's voucher answers as an unknown one does.
    const elsewhere = await respondent(h, { platform: 'platformB', cohort: 77 });
    expect(await answer({ voucherId: elsewhere.voucherId })).toBe('NOT_FOUND');
    expect(await refusal(platform.open({ voucherId: elsewhere.voucherId }))).toBe('NOT_FOUND');
    expect(await answer({ voucherId: 'vch_01jz8k6d3v7m2r5w9x4q1t0abc' })).toBe('NOT_FOUND');

    // The audience: the cohort range, a completed training through this platform, ACTIVE.
    const outside = await respondent(h, { cohort: 90 });
    expect(await answer({ voucherId: outside.voucherId })).toBe('SURVEY_NOT_IN_AUDIENCE');
    expect(
      (await platform.open({ voucherId: outside.voucherId })).items.map((i) => i.survey.id),
    ).not.toContain(survey.id);
    const training = await respondent(h, { cohort: 77, completed: false });
    expect(await answer({ voucherId: training.voucherId })).toBe('SURVEY_NOT_IN_AUDIENCE');
    const inactive = await respondent(h, { cohort: 77 });
    await h.db
      .update(schema.participants)
      .set({ status: 'INACTIVE' })
      .where(eq(schema.participants.id, inactive.participantId));
    expect(await answer({ voucherId: inactive.voucherId })).toBe('SURVEY_NOT_IN_AUDIENCE');
    // A survey of another scheme is none of this participant's.
    const old = await h.caller('pmo').pmo.surveys.create({
      schemeId: 'PRAKERJA_2020',
      title: 'Survei 2020',
      questions: QUESTIONS,
      opensAt: new Date(h.services.now() - 60_000).toISOString(),
      closesAt: new Date(h.services.now() + DAY).toISOString(),
    });
    expect(await answer({ surveyId: old.id })).toBe('SURVEY_NOT_FOUND');

    // The window: not yet open, over, closed by the PMO.
    const later = await defineSurvey(h, { opensInMs: DAY, closesInMs: 2 * DAY });
    expect(later.status).toBe('SCHEDULED');
    expect(await answer({ surveyId: later.id })).toBe('SURVEY_NOT_OPEN');
    expect((await platform.open({ voucherId })).items.map((i) => i.survey.id)).not.toContain(later.id);
    const short = await defineSurvey(h, { closesInMs: 60_000 });
    h.clock.set(new Date(h.services.now() + 60_000));
    expect(await answer({ surveyId: short.id })).toBe('SURVEY_NOT_OPEN');
    h.clock.set(new Date(h.services.now() - 60_000));
    const closing = await defineSurvey(h);
    await h.caller('pmo').pmo.surveys.close({ surveyId: closing.id });
    expect(await answer({ surveyId: closing.id })).toBe('SURVEY_NOT_OPEN');

    for (const p of [
      participantId,
      elsewhere.participantId,
      outside.participantId,
      training.participantId,
      inactive.participantId,
    ]) {
      expect(await responsesOf(h, p)).toEqual([]);
      expect(await surveyIncentives(h, p)).toEqual([]);
    }
    // And the participant can still answer, once.
    expect(
      (await platform.answer({ voucherId, surveyId: survey.id, consent: true, answers: goodAnswers() }))
        .incentiveAmount,
    ).toBe(50_000);
  });

  it('a retried answer with its Idempotency-Key replays the receipt; another body under that key is refused', async () => {
    const survey = await defineSurvey(h);
    const { participantId, voucherId } = await respondent(h);
    const withKey = (key: string) => h.caller('platformA', { idempotencyKey: key }).platform.surveys;
    const input = { voucherId, surveyId: survey.id, consent: true, answers: goodAnswers() };
    const first = await withKey('svy-answer-1').answer(input);
    expect(await withKey('svy-answer-1').answer(input)).toEqual(first);
    expect(await refusal(withKey('svy-answer-1').answer({ ...input, answers: goodAnswers('no', 1) }))).toBe(
      'IDEMPOTENCY_KEY_REUSED',
    );
    expect(await refusal(withKey('svy-answer-2').answer(input))).toBe('SURVEY_ALREADY_ANSWERED');
    expect(await responsesOf(h, participantId)).toHaveLength(1);
    expect(await surveyIncentives(h, participantId)).toHaveLength(1);
  });

  it('results: counts per option in aggregate, small cells withheld, too few responses withhold everything', async () => {
    const survey = await defineSurvey(h);
    const platform = h.caller('platformA').platform.surveys;
    const empty = await h.caller('pmo').pmo.surveys.results({ surveyId: survey.id });
    expect(empty.responses).toBe(0);
    expect(empty.questions[0]?.cells.map((c) => c.count)).toEqual([0, 0, 0]);

    // 5 answers: fewer than the threshold, so nothing is shown.
    const choices = [
      'yes',
      'yes',
      'yes',
      'yes',
      'yes',
      'yes',
      'yes',
      'yes',
      'yes',
      'yes',
      'partly',
      'partly',
    ];
    for (const [n, useful] of choices.entries()) {
      if (n === 5) {
        const few = await h.caller('pmo').pmo.surveys.results({ surveyId: survey.id });
        expect(few).toMatchObject({ responses: null, suppressedBelow: 10 });
        expect(few.questions.flatMap((q) => q.cells.map((c) => c.count)).every((c) => c === null)).toBe(true);
      }
      const { voucherId } = await respondent(h);
      await platform.answer({
        voucherId,
        surveyId: survey.id,
        consent: true,
        answers: goodAnswers(useful, 5),
      });
    }
    const results = await h.caller('pmo').pmo.surveys.results({ surveyId: survey.id });
    expect(results).toMatchObject({
      surveyId: survey.id,
      title: survey.title,
      responses: 12,
      suppressedBelow: 10,
    });
    expect(results.questions).toEqual([
      {
        questionId: 'useful',
        text: QUESTIONS[0]?.text,
        kind: 'SINGLE_CHOICE',
        // partly (2) is a small cell; yes (10) goes with it, or 12 − 0 would give partly away.
        cells: [
          { value: 'yes', label: 'Ya', count: null },
          { value: 'partly', label: 'Sebagian', count: null },
          { value: 'no', label: 'Tidak', count: 0 },
        ],
      },
      {
        questionId: 'satisfaction',
        text: QUESTIONS[1]?.text,
        kind: 'SCALE',
        cells: [
          { value: '1', label: '1', count: 0 },
          { value: '2', label: '2', count: 0 },
          { value: '3', label: '3', count: 0 },
          { value: '4', label: '4', count: 0 },
          { value: '5', label: '5', count: 12 },
        ],
      },
    ]);
    // Nothing per person anywhere in the answer.
    expect(JSON.stringify(results)).not.toMatch(/par_|vch_|svr_/);
    // Partners have no results procedure at all.
    expect('results' in h.caller('platformA').platform.surveys).toBe(false);
  });
});

describe.runIf(postgresAvailable())('survey incentive races on real PostgreSQL', () => {
  const h = useHarness('postgres', { poolSize: 16 });

  it('40 concurrent answers of one participant to one survey, and to three at once: one answer each, two incentives', async () => {
    const s1 = await defineSurvey(h);
    const { participantId, voucherId } = await respondent(h);
    await withWallet(h, participantId, '081255556666');
    const platform = h.caller('platformA').platform.surveys;
    const same = await Promise.allSettled(
      Array.from({ length: 40 }, (_, n) =>
        platform.answer({
          voucherId,
          surveyId: s1.id,
          consent: true,
          answers: goodAnswers(n % 2 ? 'yes' : 'no', 3),
        }),
      ),
    );
    expect(same.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(
      same.filter((r) => r.status === 'rejected').map((r) => codeOf((r as PromiseRejectedResult).reason)),
    ).toEqual(Array(39).fill('SURVEY_ALREADY_ANSWERED'));
    expect(await responsesOf(h, participantId)).toHaveLength(1);
    expect(await surveyIncentives(h, participantId)).toHaveLength(1);

    // Three more surveys answered at once, each many times: the second incentive is the last.
    const more = [await defineSurvey(h), await defineSurvey(h), await defineSurvey(h)];
    const racing = await Promise.allSettled(
      more.flatMap((s) =>
        Array.from({ length: 10 }, () =>
          platform.answer({ voucherId, surveyId: s.id, consent: true, answers: goodAnswers() }),
        ),
      ),
    );
    const ok = racing
      .filter((r) => r.status === 'fulfilled')
      .map((r) => (r as PromiseFulfilledResult<{ incentiveAmount: number | null }>).value);
    expect(ok).toHaveLength(3);
    expect(ok.map((r) => r.incentiveAmount).sort()).toEqual([50_000, null, null]);
    expect(
      racing.filter((r) => r.status === 'rejected').map((r) => codeOf((r as PromiseRejectedResult).reason)),
    ).toEqual(Array(27).fill('SURVEY_ALREADY_ANSWERED'));
    expect(await responsesOf(h, participantId)).toHaveLength(4);
    const rows = await surveyIncentives(h, participantId);
    expect(rows.map((r) => [r.instalment, r.status, r.amount])).toEqual([
      [1, 'ELIGIBLE', 50_000],
      [2, 'ELIGIBLE', 50_000],
    ]);
    const books = await checkLedger(h.db);
    expect(books.balanced).toBe(true);
    expect(await payoutLedgerMismatches(h.db)).toEqual([]);
  });
});
