import { and, desc, eq, lt, sql } from 'drizzle-orm';
import type { Db } from '../client';
import { execRows } from '../client';
import { incentives, organisations, surveyResponses, surveys } from '../schema';

export type SurveyRow = typeof surveys.$inferSelect;
export type SurveyResponseRow = typeof surveyResponses.$inferSelect;

export async function insertSurvey(db: Db, row: typeof surveys.$inferInsert): Promise<SurveyRow> {
  const [saved] = await db.insert(surveys).values(row).returning();
  if (!saved) throw new Error('survey not inserted');
  return saved;
}

export async function getSurvey(db: Db, id: string): Promise<SurveyRow | null> {
  const [row] = await db.select().from(surveys).where(eq(surveys.id, id));
  return row ?? null;
}

/** The survey locked for a change (closing it). */
export async function getSurveyForUpdate(db: Db, id: string): Promise<SurveyRow | null> {
  const [row] = await db.select().from(surveys).where(eq(surveys.id, id)).for('update');
  return row ?? null;
}

export async function closeSurveyRow(db: Db, id: string, at: Date): Promise<SurveyRow | null> {
  const [row] = await db
    .update(surveys)
    .set({ closedAt: at })
    .where(and(eq(surveys.id, id), sql`${surveys.closedAt} is null`))
    .returning();
  return row ?? null;
}

/**
 * Surveys newest first; `status` by the program clock `now` (SCHEDULED before the window, OPEN in
 * it, CLOSED after it or once closed).
 */
export async function listSurveysPage(
  db: Db,
  opts: {
    schemeId?: string | undefined;
    status?: 'SCHEDULED' | 'OPEN' | 'CLOSED' | undefined;
    before?: string | undefined;
    now: Date;
    limit: number;
  },
) {
  const at = sql`${opts.now.toISOString()}::timestamptz`;
  const status =
    opts.status === 'SCHEDULED'
      ? sql`${surveys.closedAt} is null and ${surveys.opensAt} > ${at}`
      : opts.status === 'OPEN'
        ? sql`${surveys.closedAt} is null and ${surveys.opensAt} <= ${at} and ${surveys.closesAt} > ${at}`
        : opts.status === 'CLOSED'
          ? sql`(${surveys.closedAt} is not null or ${surveys.closesAt} <= ${at})`
          : undefined;
  return db
    .select()
    .from(surveys)
    .where(
      and(
        opts.schemeId ? eq(surveys.schemeId, opts.schemeId) : undefined,
        status,
        opts.before ? lt(surveys.id, opts.before) : undefined,
      ),
    )
    .orderBy(desc(surveys.id))
    .limit(opts.limit + 1);
}

/** The active platforms: each is told of a survey published or closed. */
export async function activePlatformIds(db: Db): Promise<string[]> {
  const rows = await db
    .select({ id: organisations.id })
    .from(organisations)
    .where(and(eq(organisations.kind, 'PLATFORM'), eq(organisations.status, 'ACTIVE')));
  return rows.map((r) => r.id);
}

/**
 * The participant a voucher of this platform's was sold to, as a survey's audience rule reads
 * them: scheme, cohort, status, whether they completed a training on a voucher this platform sold,
 * and how many survey incentives they have (any state). Null when the voucher is not this
 * platform's (or unknown): a platform sees only its own records. `lock` takes the participant's
 * row for update, so that one participant's answers are decided one at a time.
 */
export async function surveyRespondent(
  db: Db,
  voucherId: string,
  platformId: string,
  opts: { lock?: boolean } = {},
): Promise<{
  participantId: string;
  schemeId: string;
  cohort: number;
  active: boolean;
  completedHere: boolean;
  /** A completed training (through any platform) has its review: what every incentive needs. */
  reviewed: boolean;
  surveyIncentives: number;
} | null> {
  const [owner] = await execRows<{ participant_id: string }>(
    db,
    sql`select participant_id from vouchers where id = ${voucherId} and platform_id = ${platformId}`,
  );
  if (!owner) return null;
  // The lock first, in a statement of its own: the reads below then see (in their own snapshot)
  // everything an answer that held the lock before committed.
  if (opts.lock)
    await execRows(db, sql`select id from participants where id = ${owner.participant_id} for update`);
  const [p] = await execRows<{
    id: string;
    scheme_id: string;
    cohort: number;
    status: string;
    completed_here: boolean;
    reviewed: boolean;
    survey_incentives: number | string;
  }>(
    db,
    sql`select p.id, p.scheme_id, p.cohort, p.status,
          exists (select 1 from enrollments e join vouchers v on v.id = e.voucher_id
                   where e.participant_id = p.id and e.status = 'COMPLETED' and v.platform_id = ${platformId})
            as completed_here,
          exists (select 1 from enrollments e join reviews r on r.enrollment_id = e.id
                   where e.participant_id = p.id and e.status = 'COMPLETED') as reviewed,
          (select count(*) from incentives i where i.participant_id = p.id and i.kind = 'SURVEY') as survey_incentives
        from participants p where p.id = ${owner.participant_id}`,
  );
  if (!p) return null;
  return {
    participantId: p.id,
    schemeId: p.scheme_id,
    cohort: Number(p.cohort),
    active: p.status === 'ACTIVE',
    completedHere: p.completed_here,
    reviewed: p.reviewed,
    surveyIncentives: Number(p.survey_incentives),
  };
}

/** The surveys of a scheme open at `now` that the participant has not answered. */
export async function openSurveysFor(db: Db, opts: { schemeId: string; participantId: string; now: Date }) {
  const at = sql`${opts.now.toISOString()}::timestamptz`;
  return db
    .select()
    .from(surveys)
    .where(
      and(
        eq(surveys.schemeId, opts.schemeId),
        sql`${surveys.closedAt} is null and ${surveys.opensAt} <= ${at} and ${surveys.closesAt} > ${at}`,
        sql`not exists (select 1 from survey_responses r
              where r.survey_id = "surveys"."id" and r.participant_id = ${opts.participantId})`,
      ),
    )
    .orderBy(surveys.closesAt, surveys.id);
}

/** Records an answer; null when the participant has answered this survey already. */
export async function insertSurveyResponse(
  db: Db,
  row: typeof surveyResponses.$inferInsert,
): Promise<SurveyResponseRow | null> {
  const [saved] = await db.insert(surveyResponses).values(row).onConflictDoNothing().returning();
  return saved ?? null;
}

export async function setResponseIncentive(db: Db, responseId: string, incentiveId: string) {
  await db.update(surveyResponses).set({ incentiveId }).where(eq(surveyResponses.id, responseId));
}

/** Per question and value, how many participants answered so (counted in the database). */
export async function surveyAnswerCounts(
  db: Db,
  surveyId: string,
): Promise<{ responses: number; counts: { questionId: string; value: string; n: number }[] }> {
  const [total] = await execRows<{ n: number | string }>(
    db,
    sql`select count(*) as n from survey_responses where survey_id = ${surveyId}`,
  );
  const rows = await execRows<{ question_id: string; value: string; n: number | string }>(
    db,
    sql`select a->>'questionId' as question_id, a->>'value' as value, count(*) as n
          from survey_responses r, jsonb_array_elements(r.answers) a
         where r.survey_id = ${surveyId}
         group by 1, 2`,
  );
  return {
    responses: Number(total?.n ?? 0),
    counts: rows.map((r) => ({ questionId: r.question_id, value: r.value, n: Number(r.n) })),
  };
}

/**
 * WAITING survey incentives (of the participants named, or all after `afterId`, in id order), each
 * with what its participant has now: a payout account, a completed training with its review.
 */
export async function waitingSurveyIncentives(
  db: Db,
  opts: { participantIds?: string[]; afterId?: string; limit: number },
) {
  const named = opts.participantIds;
  if (named && named.length === 0) return [];
  return db
    .select({
      row: incentives,
      // Qualified by hand: in a select list drizzle names a column without its table, which inside
      // these subqueries would mean the subquery's own participant_id.
      hasPayoutAccount: sql<boolean>`exists (select 1 from participant_payout_accounts a
        where a.participant_id = "incentives"."participant_id")`,
      reviewed: sql<boolean>`exists (select 1 from enrollments e join reviews r on r.enrollment_id = e.id
        where e.participant_id = "incentives"."participant_id" and e.status = 'COMPLETED')`,
    })
    .from(incentives)
    .where(
      and(
        eq(incentives.kind, 'SURVEY'),
        eq(incentives.status, 'WAITING'),
        named
          ? sql`${incentives.participantId} in (${sql.join(
              named.map((id) => sql`${id}`),
              sql`, `,
            )})`
          : sql`${incentives.id} > ${opts.afterId ?? ''}`,
      ),
    )
    .orderBy(incentives.id)
    .limit(opts.limit);
}
