import type { TListCasesInput, TListSignalsInput } from '@latih/contracts';
import { and, asc, desc, eq, gt, gte, lt, type SQL, sql } from 'drizzle-orm';
import { type Db, execRows } from '../client';
import {
  controlCases,
  evidenceRequests,
  signalDetectionState,
  signalKeyBounds,
  signalSubjects,
  signals,
} from '../schema';
import { decodeCursor, toPage } from './cursor';

export type SignalRow = typeof signals.$inferSelect;
export type ControlCaseRow = typeof controlCases.$inferSelect;
export type EvidenceRequestRow = typeof evidenceRequests.$inferSelect;

/** What a detector found: one pattern about one subject. */
export type DetectedSignal = {
  type: string;
  key: string;
  subjectType: 'ENROLLMENT' | 'COURSE' | 'PROVIDER';
  subjectId: string;
  providerId: string | null;
  score: number;
  summary: string;
  scoring: string;
  /** The first rows behind the signal, the most telling first. */
  evidence: Record<string, unknown>[];
  /** How many rows there were in all: more than `evidence` holds when it was cut short. */
  evidenceTotal: number;
  /**
   * Whom it implicates, from every evidence row (not only the first 100), in their order, each
   * enrollment or participant once; course and provider are read from the enrollment.
   */
  implicated?: Array<{ enrollmentId: string | null; participantId: string | null }>;
};

export type SignalSubjectRow = typeof signalSubjects.$inferSelect;

/** Replaces what a signal implicates; answers how many enrollments and participants. */
async function replaceSignalSubjects(
  db: Db,
  signalId: string,
  implicated: NonNullable<DetectedSignal['implicated']>,
) {
  await db.delete(signalSubjects).where(eq(signalSubjects.signalId, signalId));
  if (implicated.length > 0) {
    await execRows(
      db,
      sql`insert into signal_subjects (signal_id, position, enrollment_id, participant_id, course_id, provider_id)
          select ${signalId}, x.position::int, e.id, coalesce(e.participant_id, x.item->>'participantId'),
                 e.course_id, e.provider_id
          from jsonb_array_elements(${JSON.stringify(implicated)}::jsonb) with ordinality as x(item, position)
          left join enrollments e on e.id = x.item->>'enrollmentId'
          where e.id is not null or x.item->>'participantId' is not null
          returning position`,
    );
  }
  const [counts] = await execRows<{ enrollments: number | string; participants: number | string }>(
    db,
    sql`select count(distinct enrollment_id) as enrollments, count(distinct participant_id) as participants
        from signal_subjects where signal_id = ${signalId}`,
  );
  return {
    implicatedEnrollments: Number(counts?.enrollments ?? 0),
    implicatedParticipants: Number(counts?.participants ?? 0),
  };
}

/** A page of what a signal implicates, in the evidence's order. */
export async function listSignalSubjects(
  db: Db,
  signalId: string,
  input: { limit: number; cursor?: string | undefined },
) {
  const where: (SQL | undefined)[] = [eq(signalSubjects.signalId, signalId)];
  if (input.cursor) where.push(gt(signalSubjects.position, Number(decodeCursor(input.cursor))));
  const rows = await db
    .select()
    .from(signalSubjects)
    .where(and(...where))
    .orderBy(asc(signalSubjects.position))
    .limit(input.limit + 1);
  return toPage(
    rows,
    input.limit,
    (r) => String(r.position),
    (r) => r,
  );
}

/**
 * Inserts new signals and refreshes those seen before (same type and key): their figures and
 * evidence follow the data, their status (and a case opened on them) stays.
 */
export async function upsertSignals(
  db: Db,
  found: Array<DetectedSignal & { id: string }>,
  now: Date,
): Promise<{ created: number; updated: number }> {
  let created = 0;
  let updated = 0;
  for (const { implicated, ...f } of found) {
    const [row] = await db
      .insert(signals)
      .values({ ...f, status: 'OPEN', firstSeenAt: now, lastSeenAt: now })
      .onConflictDoUpdate({
        target: [signals.type, signals.key],
        set: {
          score: f.score,
          summary: f.summary,
          scoring: f.scoring,
          evidence: f.evidence,
          evidenceTotal: f.evidenceTotal,
          lastSeenAt: now,
        },
      })
      .returning({ id: signals.id, inserted: sql<boolean>`(xmax = 0)` });
    if (row && implicated)
      await db
        .update(signals)
        .set(await replaceSignalSubjects(db, row.id, implicated))
        .where(eq(signals.id, row.id));
    if (row?.inserted) created++;
    else updated++;
  }
  return { created, updated };
}

export async function listSignals(db: Db, input: TListSignalsInput) {
  const where: (SQL | undefined)[] = [];
  if (input.type) where.push(eq(signals.type, input.type));
  if (input.status) where.push(eq(signals.status, input.status));
  if (input.providerId) where.push(eq(signals.providerId, input.providerId));
  if (input.minScore !== undefined) where.push(gte(signals.score, input.minScore));
  if (input.cursor) where.push(lt(signals.id, decodeCursor(input.cursor)));
  const rows = await db
    .select()
    .from(signals)
    .where(and(...where))
    .orderBy(desc(signals.id))
    .limit(input.limit + 1);
  return toPage(
    rows,
    input.limit,
    (r) => r.id,
    (r) => r,
  );
}

export async function findSignal(db: Db, id: string, opts: { forUpdate?: boolean } = {}) {
  const q = db.select().from(signals).where(eq(signals.id, id)).limit(1);
  const [row] = opts.forUpdate ? await q.for('update') : await q;
  return row;
}

export async function updateSignal(db: Db, id: string, values: Partial<typeof signals.$inferInsert>) {
  const [row] = await db.update(signals).set(values).where(eq(signals.id, id)).returning();
  if (!row) throw new Error(`signal ${id} vanished`);
  return row;
}

export async function insertCase(db: Db, values: typeof controlCases.$inferInsert) {
  const [row] = await db.insert(controlCases).values(values).returning();
  if (!row) throw new Error('case insert returned nothing');
  return row;
}

export async function findCase(db: Db, id: string, opts: { forUpdate?: boolean } = {}) {
  const q = db.select().from(controlCases).where(eq(controlCases.id, id)).limit(1);
  const [row] = opts.forUpdate ? await q.for('update') : await q;
  return row;
}

export async function updateCase(db: Db, id: string, values: Partial<typeof controlCases.$inferInsert>) {
  const [row] = await db.update(controlCases).set(values).where(eq(controlCases.id, id)).returning();
  if (!row) throw new Error(`case ${id} vanished`);
  return row;
}

/**
 * Fixes a case's enrollments when it opens: those its signal implicates (as they are now), or
 * the given ones; answers how many.
 */
export async function copyCaseEnrollments(
  db: Db,
  caseId: string,
  from: { signalId: string } | { enrollmentIds: string[] },
) {
  const rows = await execRows<{ enrollment_id: string }>(
    db,
    'signalId' in from
      ? sql`insert into case_enrollments (case_id, enrollment_id, position, participant_id, course_id, provider_id)
            select ${caseId}, s.enrollment_id, s.position, e.participant_id, e.course_id, e.provider_id
            from signal_subjects s join enrollments e on e.id = s.enrollment_id
            where s.signal_id = ${from.signalId}
            on conflict do nothing
            returning enrollment_id`
      : sql`insert into case_enrollments (case_id, enrollment_id, position, participant_id, course_id, provider_id)
            select ${caseId}, e.id, x.position::int, e.participant_id, e.course_id, e.provider_id
            from jsonb_array_elements_text(${JSON.stringify(from.enrollmentIds)}::jsonb) with ordinality as x(id, position)
            join enrollments e on e.id = x.id
            on conflict do nothing
            returning enrollment_id`,
  );
  return rows.length;
}

export type CaseEnrollment = {
  enrollmentId: string;
  participantId: string;
  courseId: string;
  providerId: string;
  position: number;
  status: 'IN_TRAINING' | 'COMPLETED' | 'NOT_COMPLETED' | 'WITHDRAWN';
  certificateStatus: 'VALID' | 'REVOKED' | null;
};

/** A page of a case's enrollments in their order, each with its status now. */
export async function listCaseEnrollments(
  db: Db,
  caseId: string,
  input: { limit: number; cursor?: string | undefined; enrollmentIds?: string[] },
): Promise<{ items: CaseEnrollment[]; nextCursor: string | null }> {
  const after = input.cursor ? Number(decodeCursor(input.cursor)) : -1;
  const only = input.enrollmentIds
    ? sql`and ce.enrollment_id = any(string_to_array(${input.enrollmentIds.join(',')}, ','))`
    : sql``;
  const rows = await execRows<{
    enrollment_id: string;
    participant_id: string;
    course_id: string;
    provider_id: string;
    position: number;
    status: CaseEnrollment['status'];
    certificate_status: CaseEnrollment['certificateStatus'];
  }>(
    db,
    sql`select ce.enrollment_id, ce.participant_id, ce.course_id, ce.provider_id, ce.position, e.status,
               (select c.status from certificates c where c.enrollment_id = ce.enrollment_id limit 1) as certificate_status
        from case_enrollments ce join enrollments e on e.id = ce.enrollment_id
        where ce.case_id = ${caseId} and ce.position > ${after} ${only}
        order by ce.position limit ${input.limit + 1}`,
  );
  return toPage(
    rows,
    input.limit,
    (r) => String(r.position),
    (r) => ({
      enrollmentId: r.enrollment_id,
      participantId: r.participant_id,
      courseId: r.course_id,
      providerId: r.provider_id,
      position: Number(r.position),
      status: r.status,
      certificateStatus: r.certificate_status,
    }),
  );
}

export async function countCaseEnrollments(db: Db, caseIds: string[]) {
  if (caseIds.length === 0) return new Map<string, number>();
  const rows = await execRows<{ case_id: string; n: number | string }>(
    db,
    sql`select case_id, count(*) as n from case_enrollments
        where case_id = any(string_to_array(${caseIds.join(',')}, ',')) group by case_id`,
  );
  return new Map(rows.map((r) => [r.case_id, Number(r.n)]));
}

export async function listCases(db: Db, input: TListCasesInput) {
  const where: (SQL | undefined)[] = [];
  if (input.status) where.push(eq(controlCases.status, input.status));
  if (input.providerId) where.push(eq(controlCases.providerId, input.providerId));
  if (input.cursor) where.push(lt(controlCases.id, decodeCursor(input.cursor)));
  const rows = await db
    .select()
    .from(controlCases)
    .where(and(...where))
    .orderBy(desc(controlCases.id))
    .limit(input.limit + 1);
  return toPage(
    rows,
    input.limit,
    (r) => r.id,
    (r) => r,
  );
}

export async function insertEvidenceRequest(db: Db, values: typeof evidenceRequests.$inferInsert) {
  const [row] = await db.insert(evidenceRequests).values(values).returning();
  if (!row) throw new Error('evidence request insert returned nothing');
  return row;
}

/** A request by id, only within the given provider's own when one is given. */
export async function findEvidenceRequest(
  db: Db,
  id: string,
  opts: { providerId?: string; forUpdate?: boolean } = {},
) {
  const where = [eq(evidenceRequests.id, id)];
  if (opts.providerId) where.push(eq(evidenceRequests.providerId, opts.providerId));
  const q = db
    .select({
      request: evidenceRequests,
      subjectType: controlCases.subjectType,
      subjectId: controlCases.subjectId,
    })
    .from(evidenceRequests)
    .innerJoin(controlCases, eq(controlCases.id, evidenceRequests.caseId))
    .where(and(...where))
    .limit(1);
  const [row] = opts.forUpdate ? await q.for('update', { of: evidenceRequests }) : await q;
  return row;
}

export async function updateEvidenceRequest(
  db: Db,
  id: string,
  values: Partial<typeof evidenceRequests.$inferInsert>,
) {
  const [row] = await db.update(evidenceRequests).set(values).where(eq(evidenceRequests.id, id)).returning();
  if (!row) throw new Error(`evidence request ${id} vanished`);
  return row;
}

export async function evidenceRequestsOfCase(db: Db, caseId: string) {
  return db
    .select()
    .from(evidenceRequests)
    .where(eq(evidenceRequests.caseId, caseId))
    .orderBy(asc(evidenceRequests.id));
}

export async function listEvidenceRequestsOf(
  db: Db,
  providerId: string,
  input: { status?: 'OPEN' | 'ANSWERED' | undefined; limit: number; cursor?: string | undefined },
) {
  const where: (SQL | undefined)[] = [eq(evidenceRequests.providerId, providerId)];
  if (input.status) where.push(eq(evidenceRequests.status, input.status));
  if (input.cursor) where.push(lt(evidenceRequests.id, decodeCursor(input.cursor)));
  const rows = await db
    .select({
      request: evidenceRequests,
      subjectType: controlCases.subjectType,
      subjectId: controlCases.subjectId,
    })
    .from(evidenceRequests)
    .innerJoin(controlCases, eq(controlCases.id, evidenceRequests.caseId))
    .where(and(...where))
    .orderBy(desc(evidenceRequests.id))
    .limit(input.limit + 1);
  return toPage(
    rows,
    input.limit,
    (r) => r.request.id,
    (r) => r,
  );
}

/** Which provider a case subject belongs to (undefined: no such subject). */
export async function providerOfSubject(
  db: Db,
  subjectType: 'ENROLLMENT' | 'COURSE' | 'PROVIDER',
  subjectId: string,
): Promise<string | undefined> {
  const q =
    subjectType === 'ENROLLMENT'
      ? sql`select provider_id from enrollments where id = ${subjectId}`
      : subjectType === 'COURSE'
        ? sql`select provider_id from courses where id = ${subjectId}`
        : sql`select id as provider_id from organisations where id = ${subjectId} and kind = 'PROVIDER'`;
  const [row] = await execRows<{ provider_id: string }>(db, q);
  return row?.provider_id;
}

/*
 * Detectors: each one query over recent activity, returning the patterns with all their evidence
 * rows; the caller (core's detectAll) orders them, keeps the first ones and says how many there were.
 */

type Group = { provider_id: string; n: number | string; evidence: Record<string, unknown>[] };

/** A share detector's figures for one key: its rows in the window, and the hits among them. */
export type GroupCounts = { key: string; n: number; hits: number };

/** Two-part keys of a detector's patterns, e.g. [provider, device]. */
export type KeyPair = [string, string];

/**
 * Only the patterns of these keys (the hourly incremental pass): undefined, every key. Each
 * detector still reads all of a key's rows in its window, so what it finds for a key is what a
 * full pass finds.
 */
/** `true`, or the row's key among `keys` (an incremental pass's scope for one detector). */
export const onlyOne = (expr: SQL, keys: string[] | undefined) =>
  keys === undefined
    ? sql`true`
    : sql`${expr} in (select jsonb_array_elements_text(${JSON.stringify(keys)}::jsonb))`;
const onlyPair = (a: SQL, b: SQL, keys: KeyPair[] | undefined) =>
  keys === undefined
    ? sql`true`
    : sql`(${a}, ${b}) in (select k->>0, k->>1 from jsonb_array_elements(${JSON.stringify(keys)}::jsonb) k)`;

/**
 * What changed since the last pass: rows written by transactions its `snapshot` did not see (those
 * running then, or begun since), and the window's start moved from `agedFrom` to `since`.
 */
export type DetectionChanges = {
  snapshot: string;
  agedFrom: Date;
  since: Date;
  lateHours: number;
  uniform: { toleranceSeconds: number; aroundMinutes: number; minVouchers: number };
};

/**
 * What changed of one key of a share detector (LATE_REPORTING, IDENTITY_CHECK_FAILURES) since the
 * last pass: changed rows (any), those of them now in its group, those of them now hits (late,
 * failed), and rows the window left.
 */
export type ShareChanges = { changed: number; inGroup: number; hits: number; aged: number };

/** Per detector, the keys whose patterns may have changed (see detectionScope). */
export type DetectionScope = {
  device: KeyPair[];
  ip: KeyPair[];
  fast: string[];
  duplicate: KeyPair[];
  redemptionBurst: KeyPair[];
  ratingBurst: string[];
  identity: string[];
  late: string[];
  uniform: string[];
  payout: string[];
  phone: string[];
  checkoutDevice: KeyPair[];
  checkoutSession: KeyPair[];
  /** Stored signals (type, key) implicating an enrollment whose rows changed: a row may have left their key. */
  implicating: Array<[string, string]>;
  /** Per provider, what changed of its LATE_REPORTING and IDENTITY_CHECK_FAILURES groups. */
  lateChanges: Record<string, ShareChanges>;
  identityChanges: Record<string, ShareChanges>;
  /** Changed or aged rows read to find them. */
  rows: number;
};

/**
 * The keys an incremental pass re-evaluates: those of the rows written (inserted, or updated in a
 * column a detector reads: changed_xid) by transactions the previous pass did not see, and of the rows that
 * left the window (their time in [agedFrom, since)). Where a detector's pattern only grows with
 * qualifying rows and needs one to exist (a completion too fast, a five-star review), a changed
 * row that does not qualify matters only to a key that already has a signal; the others
 * (shares, densest windows) take every key touched.
 */
export async function detectionScope(db: Db, c: DetectionChanges): Promise<DetectionScope> {
  // Not seen by that snapshot: at or above its xmax, or running then (its xip). Given as constants
  // (the planner estimates them, and picks the changed_xid index), both index scans: a long
  // transaction elsewhere does not make the pass read everything written since it began.
  const [, xmaxText = '', xipText = ''] = c.snapshot.split(':');
  const xids = xipText.split(',').filter((x) => x !== '');
  if (!/^\d+$/.test(xmaxText) || xids.some((x) => !/^\d+$/.test(x)))
    throw new Error(`not a pg_snapshot: ${c.snapshot}`);
  const xmax = sql.raw(`'${xmaxText}'::xid8`);
  const xip = sql.raw(xids.map((x) => `'${x}'::xid8`).join(', '));
  const changed = (col: SQL) =>
    xids.length === 0 ? sql`(${col} >= ${xmax})` : sql`(${col} >= ${xmax} or ${col} in (${xip}))`;
  const A = sql`${c.agedFrom.toISOString()}::timestamptz`;
  const S = sql`${c.since.toISOString()}::timestamptz`;
  // UNIFORM_REDEMPTION_DELAY: a changed or departed redemption at delay d changes the counts of
  // spike anchors in [d - around - tol, d + around] only, and a provider without a signal gets one
  // only where an anchor there has minVouchers within tol after it: its span lies within `reach`
  // of d (one second more for the rounding of fractional delays).
  const tol = Math.max(0, Math.trunc(c.uniform.toleranceSeconds));
  const reach = sql.raw(String(Math.ceil(c.uniform.aroundMinutes * 60 + tol + 1)));
  const tolerance = sql.raw(String(tol));
  const lead = sql.raw(String(Math.max(0, c.uniform.minVouchers - 1)));
  const aged = (col: SQL) => sql`(${col} >= ${A} and ${col} < ${S})`;
  const agg = (what: SQL, from: SQL) =>
    sql`(select coalesce(jsonb_agg(distinct ${what}), '[]'::jsonb) ${from})`;
  type J = unknown[];
  const shares = (from: SQL) =>
    sql`(select coalesce(jsonb_object_agg(provider_id, jsonb_build_object('changed', c, 'inGroup', g, 'hits', h, 'aged', a)), '{}'::jsonb)
        from (select provider_id, count(*) filter (where changed) as c, count(*) filter (where changed and in_group) as g,
          count(*) filter (where changed and in_group and hit) as h, count(*) filter (where is_aged) as a
          ${from} group by provider_id) x)`;
  const [att] = await execRows<{
    device: J;
    ip: J;
    late: J;
    late_changes: Record<string, ShareChanges>;
    rating: J;
    implicating: J;
    rows: number | string;
  }>(
    db,
    sql`with ch as materialized (
          select e.provider_id, e.course_id, a.enrollment_id, a.device_id, a.ip, ${changed(sql`a.changed_xid`)} as changed,
            a.recorded_at >= ${S} as in_group, ${aged(sql`a.recorded_at`)} as is_aged,
            coalesce(a.occurred_at is not null and a.recorded_at - a.occurred_at > make_interval(hours => ${c.lateHours}), false) as hit
          from attendance a join enrollments e on e.id = a.enrollment_id
          where ${changed(sql`a.changed_xid`)} or ${aged(sql`a.recorded_at`)}
        )
        select ${agg(sql`jsonb_build_array(provider_id, device_id)`, sql`from ch where device_id is not null`)} as device,
          ${agg(sql`jsonb_build_array(provider_id, ip)`, sql`from ch where ip is not null`)} as ip,
          ${agg(sql`provider_id`, sql`from ch`)} as late,
          ${shares(sql`from ch`)} as late_changes,
          ${agg(sql`s.key`, sql`from signals s where s.type = 'PERFECT_RATING_BURST' and s.key in (select course_id from ch where changed)`)} as rating,
          ${agg(
            sql`jsonb_build_array(s.type, s.key)`,
            sql`from signals s join signal_subjects ss on ss.signal_id = s.id
              where s.type in ('SHARED_DEVICE', 'SHARED_IP') and ss.enrollment_id in (select enrollment_id from ch where changed)`,
          )} as implicating,
          (select count(*) from ch) as rows`,
  );
  const [enr] = await execRows<{
    duplicate: J;
    burst: J;
    uniform: J;
    fast: J;
    rating: J;
    payout: J;
    phone: J;
    checkout_device: J;
    checkout_session: J;
    implicating: J;
    rows: number | string;
  }>(
    db,
    sql`with ch as materialized (
          select e.id, e.provider_id, e.course_id, e.participant_id, e.voucher_id, e.run_id, e.status,
            e.redeemed_at, e.completed_at, e.redeemed_ip, e.assignment_hash, ${changed(sql`e.changed_xid`)} as changed
          from enrollments e
          where ${changed(sql`e.changed_xid`)} or ${aged(sql`e.completed_at`)} or ${aged(sql`e.redeemed_at`)}
            or ${aged(sql`e.assignment_submitted_at`)}
        ), co as materialized (
          -- Three reads, each on its own index: one OR over them scans every checkout.
          select c.platform_id, c.device_id, c.session_id from checkouts c where ${changed(sql`c.changed_xid`)}
          union all
          select c.platform_id, c.device_id, c.session_id from checkouts c where ${aged(sql`c.created_at`)}
          union all
          select c.platform_id, c.device_id, c.session_id from checkouts c
          where c.id in (select v.checkout_id from vouchers v where v.id in (select voucher_id from ch where changed))
        )
        select ${agg(sql`jsonb_build_array(provider_id, assignment_hash)`, sql`from ch where assignment_hash is not null`)} as duplicate,
          ${agg(sql`jsonb_build_array(provider_id, redeemed_ip)`, sql`from ch where redeemed_ip is not null`)} as burst,
          ${agg(
            sql`x.provider_id`,
            sql`from (
              select ch.provider_id from ch
              where ch.provider_id in (select s.key from signals s where s.type = 'UNIFORM_REDEMPTION_DELAY')
              union all
              select ch.provider_id from ch join vouchers v0 on v0.id = ch.voucher_id
              where v0.redeemed_at is not null and exists (
                select 1 from (
                  select secs, lead(secs, ${lead}) over (order by secs) as upto from (
                    select extract(epoch from (v.redeemed_at - v.issued_at)) as secs from vouchers v
                    where v.provider_id = ch.provider_id and v.redeemed_at is not null
                      and extract(epoch from (v.redeemed_at - v.issued_at))
                        between extract(epoch from (v0.redeemed_at - v0.issued_at)) - ${reach}
                        and extract(epoch from (v0.redeemed_at - v0.issued_at)) + ${reach}
                      and v.redeemed_at >= ${S}
                  ) near
                ) w
                where w.upto - w.secs <= ${tolerance}
              )
            ) x`,
          )} as uniform,
          ${agg(
            sql`x.course_id`,
            sql`from (
              select ch.course_id from ch join courses c on c.id = ch.course_id left join runs r on r.id = ch.run_id
              where ch.status = 'COMPLETED' and (ch.completed_at < ch.redeemed_at + c.duration_minutes * interval '1 minute'
                or coalesce(ch.completed_at < r.ends_at, false))
              union all select s.key from signals s where s.type = 'COMPLETION_TOO_FAST' and s.key in (select course_id from ch)
              union all select c.id from courses c where ${changed(sql`c.changed_xid`)}
              union all select r.course_id from runs r where ${changed(sql`r.changed_xid`)}
            ) x`,
          )} as fast,
          ${agg(sql`s.key`, sql`from signals s where s.type = 'PERFECT_RATING_BURST' and s.key in (select course_id from ch where changed)`)} as rating,
          ${agg(
            sql`x.h`,
            sql`from (
              select destination_hash as h from participant_payout_accounts
              where destination_hash is not null and (${changed(sql`changed_xid`)} or ${aged(sql`updated_at`)})
              union all select destination_hash from participant_payout_accounts
              where destination_hash is not null and participant_id in (select participant_id from ch where changed)
              union all select s.key from signals s where s.type = 'SHARED_PAYOUT_ACCOUNT'
            ) x`,
          )} as payout,
          ${agg(
            sql`x.h`,
            sql`from (
              select phone_hash as h from participants
              where phone_hash is not null and ${changed(sql`changed_xid`)}
              union all select p.phone_hash from participants p
              where p.phone_hash is not null and p.id in (select participant_id from ch)
            ) x`,
          )} as phone,
          ${agg(sql`jsonb_build_array(platform_id, device_id)`, sql`from co where device_id is not null`)} as checkout_device,
          ${agg(sql`jsonb_build_array(platform_id, session_id)`, sql`from co where session_id is not null`)} as checkout_session,
          ${agg(
            sql`jsonb_build_array(s.type, s.key)`,
            sql`from signals s join signal_subjects ss on ss.signal_id = s.id
              where s.type = 'DUPLICATE_ASSIGNMENT' and ss.enrollment_id in (select id from ch where changed)`,
          )} as implicating,
          (select count(*) from ch) + (select count(*) from co) as rows`,
  );
  const [other] = await execRows<{
    rating: J;
    identity: J;
    identity_changes: Record<string, ShareChanges>;
    rows: number | string;
  }>(
    db,
    sql`with rv as materialized (
          select course_id from reviews v where ${changed(sql`v.changed_xid`)} or ${aged(sql`v.created_at`)}
        ), ic as materialized (
          select e.provider_id, ${changed(sql`i.changed_xid`)} as changed,
            i.result is not null and i.used_at >= ${S} as in_group, ${aged(sql`i.used_at`)} as is_aged,
            i.result = 'FAILED' as hit
          from identity_checks i join enrollments e on e.id = i.enrollment_id
          where ${changed(sql`i.changed_xid`)} or ${aged(sql`i.used_at`)}
        )
        select ${agg(sql`course_id`, sql`from rv`)} as rating, ${agg(sql`provider_id`, sql`from ic`)} as identity,
          ${shares(sql`from ic`)} as identity_changes,
          (select count(*) from rv) + (select count(*) from ic) as rows`,
  );
  const list = (v: unknown) => (v ?? []) as string[];
  const pairs = (v: unknown) => (v ?? []) as KeyPair[];
  return {
    device: pairs(att?.device),
    ip: pairs(att?.ip),
    fast: list(enr?.fast),
    duplicate: pairs(enr?.duplicate),
    redemptionBurst: pairs(enr?.burst),
    ratingBurst: [...new Set([...list(att?.rating), ...list(enr?.rating), ...list(other?.rating)])],
    identity: list(other?.identity),
    late: list(att?.late),
    uniform: list(enr?.uniform),
    payout: list(enr?.payout),
    phone: list(enr?.phone),
    checkoutDevice: pairs(enr?.checkout_device),
    checkoutSession: pairs(enr?.checkout_session),
    implicating: [...pairs(att?.implicating), ...pairs(enr?.implicating)],
    lateChanges: att?.late_changes ?? {},
    identityChanges: other?.identity_changes ?? {},
    rows: Number(att?.rows ?? 0) + Number(enr?.rows ?? 0) + Number(other?.rows ?? 0),
  };
}

/**
 * One device (or IP) confirming attendance for many different participants of one provider; by IP,
 * per WIB day (the program's days: Asia/Jakarta, UTC+7), as `day` YYYY-MM-DD, of when the
 * attendance happened (occurred_at, as the provider said; else when it was recorded).
 */
export async function detectSharedAttendance(
  db: Db,
  since: Date,
  by: 'device' | 'ip',
  threshold: number,
  only?: KeyPair[],
) {
  const column = sql.raw(by === 'device' ? 'a.device_id' : 'a.ip');
  // Venue QR attendance is confirmed at the venue's own device and network: that is its design.
  const rows = await execRows<Group & { value: string; day: string | null }>(
    db,
    sql`select e.provider_id, ${column} as value,
          ${by === 'ip' ? sql`to_char(coalesce(a.occurred_at, a.recorded_at) at time zone 'Asia/Jakarta', 'YYYY-MM-DD')` : sql`null`} as day,
          count(distinct e.participant_id) as n,
          jsonb_agg(jsonb_build_object('enrollmentId', e.id, 'participantId', e.participant_id,
            'courseId', e.course_id, 'sequence', a.sequence, 'method', a.method,
            'occurredAt', coalesce(a.occurred_at, a.recorded_at), 'recordedAt', a.recorded_at)
            order by coalesce(a.occurred_at, a.recorded_at), e.id) as evidence
        from attendance a join enrollments e on e.id = a.enrollment_id
        where a.status = 'CONFIRMED' and ${column} is not null and a.method <> 'VENUE_QR'
          and a.recorded_at >= ${since.toISOString()}::timestamptz and ${onlyPair(sql`e.provider_id`, column, only)}
        group by e.provider_id, ${column}${by === 'ip' ? sql`, 3` : sql``}
        having count(distinct e.participant_id) >= ${threshold}`,
  );
  return rows.map((r) => ({ ...r, n: Number(r.n) }));
}

/**
 * Completions reported sooner after redemption than the course's hours, or before the class (run)
 * they belong to had ended. `fast` / `fastest`: how many came sooner than the hours allow and the
 * smallest share of the hours taken (null when none); `before_end` / `most_minutes_before_end`: how
 * many came before their class ended and the longest time before its end (null when none).
 */
export async function detectFastCompletions(db: Db, since: Date, only?: string[]) {
  const rows = await execRows<
    Group & {
      course_id: string;
      duration_minutes: number;
      fast: number | string;
      fastest: number | string | null;
      before_end: number | string;
      most_minutes_before_end: number | string | null;
    }
  >(
    db,
    sql`with c as (
          select c.provider_id, e.course_id, c.duration_minutes, e.id, e.participant_id, e.redeemed_at,
            e.completed_at, r.ends_at,
            e.completed_at < e.redeemed_at + c.duration_minutes * interval '1 minute' as too_soon,
            coalesce(e.completed_at < r.ends_at, false) as before_end
          from enrollments e join courses c on c.id = e.course_id left join runs r on r.id = e.run_id
          where e.status = 'COMPLETED' and e.completed_at >= ${since.toISOString()}::timestamptz
            and ${onlyOne(sql`e.course_id`, only)}
        )
        select provider_id, course_id, duration_minutes, count(*) as n,
          count(*) filter (where too_soon) as fast,
          min(extract(epoch from (completed_at - redeemed_at)) / 60 / duration_minutes)
            filter (where too_soon) as fastest,
          count(*) filter (where before_end) as before_end,
          max(floor(extract(epoch from (ends_at - completed_at)) / 60)) filter (where before_end)
            as most_minutes_before_end,
          jsonb_agg(jsonb_build_object('enrollmentId', id, 'participantId', participant_id,
            'redeemedAt', redeemed_at, 'completedAt', completed_at,
            'minutesTaken', floor(extract(epoch from (completed_at - redeemed_at)) / 60),
            'runEndsAt', ends_at, 'beforeRunEnded', before_end,
            'minutesBeforeRunEnd', case when before_end then floor(extract(epoch from (ends_at - completed_at)) / 60) end)
            order by completed_at, id) as evidence
        from c
        where too_soon or before_end
        group by provider_id, course_id, duration_minutes`,
  );
  return rows.map((r) => ({
    ...r,
    n: Number(r.n),
    fast: Number(r.fast),
    fastest: r.fastest === null ? null : Math.max(0, Number(r.fastest)),
    before_end: Number(r.before_end),
    most_minutes_before_end: r.most_minutes_before_end === null ? null : Number(r.most_minutes_before_end),
  }));
}

/** The same assignment content hash handed in for different participants. */
export async function detectDuplicateAssignments(db: Db, since: Date, only?: KeyPair[]) {
  const rows = await execRows<Group & { hash: string }>(
    db,
    sql`select e.provider_id, e.assignment_hash as hash, count(distinct e.participant_id) as n,
          jsonb_agg(jsonb_build_object('enrollmentId', e.id, 'participantId', e.participant_id,
            'courseId', e.course_id, 'submittedAt', e.assignment_submitted_at)
            order by e.assignment_submitted_at, e.id) as evidence
        from enrollments e
        where e.assignment_hash is not null and e.assignment_submitted_at >= ${since.toISOString()}::timestamptz
          and ${onlyPair(sql`e.provider_id`, sql`e.assignment_hash`, only)}
        group by e.provider_id, e.assignment_hash
        having count(distinct e.participant_id) >= 2`,
  );
  return rows.map((r) => ({ ...r, n: Number(r.n) }));
}

/**
 * The densest `windowMinutes` of rows per group, when it holds at least `threshold` rows: a sliding
 * window (each row counts the rows in the window it opens), so a burst is not cut in two by a
 * clock boundary. `source` must select group_a, group_b, at, and the evidence fields as `ev`.
 */
async function bursts(db: Db, source: SQL, windowMinutes: number, threshold: number) {
  const span = sql.raw(`interval '${Math.trunc(windowMinutes)} minutes'`);
  const rows = await execRows<{
    group_a: string;
    group_b: string;
    n: number | string;
    start: string;
    evidence: Record<string, unknown>[];
  }>(
    db,
    sql`with src as (${source}),
        r as (
          select *, count(*) over (partition by group_a, group_b order by at
            range between current row and ${span} following) as n
          from src
        ), peak as (
          select distinct on (group_a, group_b) group_a, group_b, at as start, n
          from r where n >= ${threshold}
          order by group_a, group_b, n desc, at
        )
        select p.group_a, p.group_b, p.n,
          to_char(p.start at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as start,
          jsonb_agg(r.ev order by r.at) as evidence
        from peak p join r on r.group_a = p.group_a and r.group_b = p.group_b
          and r.at >= p.start and r.at <= p.start + ${span}
        group by p.group_a, p.group_b, p.n, p.start`,
  );
  return rows.map((r) => ({ ...r, n: Number(r.n) }));
}

/** Many redemptions from one participant IP at one provider within minutes. */
export function detectRedemptionBursts(
  db: Db,
  since: Date,
  windowMinutes: number,
  threshold: number,
  only?: KeyPair[],
) {
  return bursts(
    db,
    sql`select e.provider_id as group_a, e.redeemed_ip as group_b, e.redeemed_at as at,
          jsonb_build_object('enrollmentId', e.id, 'participantId', e.participant_id,
            'courseId', e.course_id, 'redeemedAt', e.redeemed_at) as ev
        from enrollments e
        where e.redeemed_ip is not null and e.redeemed_at >= ${since.toISOString()}::timestamptz
          and ${onlyPair(sql`e.provider_id`, sql`e.redeemed_ip`, only)}`,
    windowMinutes,
    threshold,
  );
}

/** Many five-star reviews of one course within a short time. */
export function detectPerfectRatingBursts(
  db: Db,
  since: Date,
  windowMinutes: number,
  threshold: number,
  only?: string[],
) {
  return bursts(
    db,
    sql`select v.course_id as group_a, v.provider_id as group_b, v.created_at as at,
          jsonb_build_object('reviewId', v.id, 'enrollmentId', v.enrollment_id, 'platformId', v.platform_id,
            'rating', v.rating, 'createdAt', v.created_at) as ev
        from reviews v
        where v.rating = 5 and v.created_at >= ${since.toISOString()}::timestamptz and ${onlyOne(sql`v.course_id`, only)}`,
    windowMinutes,
    threshold,
  );
}

/** What is known about the reviewer behind each review: what tells a planted review from an honest one. */
export type ReviewerFacts = {
  reviewId: string;
  participantId: string;
  /** Minutes from the enrollment's completion to the review (null: no completion recorded). */
  minutesAfterCompletion: number | null;
  /** The enrollment belongs to a class (run) with sessions to attend; self-paced ones do not. */
  hasClass: boolean;
  confirmedSessions: number;
  /** Devices and addresses its attendance was recorded from, a venue's own (VENUE_QR) left out. */
  devices: string[];
  ips: string[];
  textLength: number;
  /** The text with case and spacing evened out, hashed: equal for the same words. */
  textKey: string;
};

export async function reviewerFacts(db: Db, reviewIds: string[]): Promise<Map<string, ReviewerFacts>> {
  if (reviewIds.length === 0) return new Map();
  const rows = await execRows<{
    review_id: string;
    participant_id: string;
    minutes_after_completion: number | string | null;
    has_class: boolean;
    confirmed_sessions: number | string;
    devices: string[] | null;
    ips: string[] | null;
    text_length: number | string;
    text_key: string;
  }>(
    db,
    sql`select v.id as review_id, e.participant_id,
          floor(extract(epoch from (v.created_at - e.completed_at)) / 60) as minutes_after_completion,
          e.run_id is not null as has_class,
          (select count(*) from attendance a where a.enrollment_id = e.id and a.status = 'CONFIRMED')
            as confirmed_sessions,
          (select array_agg(distinct a.device_id) from attendance a where a.enrollment_id = e.id
            and a.device_id is not null and a.method <> 'VENUE_QR' and a.status <> 'VOIDED') as devices,
          (select array_agg(distinct a.ip) from attendance a where a.enrollment_id = e.id
            and a.ip is not null and a.method <> 'VENUE_QR' and a.status <> 'VOIDED') as ips,
          char_length(btrim(v.text)) as text_length,
          md5(lower(regexp_replace(btrim(v.text), '[[:space:]]+', ' ', 'g'))) as text_key
        from reviews v join enrollments e on e.id = v.enrollment_id
        where v.id = any(string_to_array(${reviewIds.join(',')}, ','))`,
  );
  return new Map(
    rows.map((r) => [
      r.review_id,
      {
        reviewId: r.review_id,
        participantId: r.participant_id,
        minutesAfterCompletion:
          r.minutes_after_completion === null ? null : Number(r.minutes_after_completion),
        hasClass: r.has_class,
        confirmedSessions: Number(r.confirmed_sessions),
        devices: r.devices ?? [],
        ips: r.ips ?? [],
        textLength: Number(r.text_length),
        textKey: r.text_key,
      },
    ]),
  );
}

/**
 * Purchase-to-redemption times too regular to be human, per provider: the seconds from a voucher's
 * issue (the purchase) to its redemption, for redemptions since `since`; the densest
 * `toleranceSeconds` of them (a sliding window over the delays), when it holds at least
 * `minVouchers` and at least `minShare` of the provider's vouchers whose delay lies within
 * `aroundMinutes` of it: a spike, not the crowd of honest people who redeem a minute or two after
 * buying. Evidence: the vouchers in the spike, in redemption order.
 */
export async function detectUniformRedemptionDelays(
  db: Db,
  since: Date,
  toleranceSeconds: number,
  minVouchers: number,
  aroundMinutes: number,
  minShare: number,
  only?: string[],
) {
  const tol = sql.raw(String(Math.max(0, Math.trunc(toleranceSeconds))));
  const around = sql.raw(String(Math.max(0, Math.trunc(aroundMinutes * 60))));
  const rows = await execRows<
    Group & { around: number | string; from_seconds: number | string; spread: number | string }
  >(
    db,
    sql`with src as (
          select e.provider_id, e.id, e.participant_id, e.course_id, v.platform_id, v.issued_at, e.redeemed_at,
            extract(epoch from (e.redeemed_at - v.issued_at))::numeric as secs
          from enrollments e join vouchers v on v.id = e.voucher_id
          where e.redeemed_at >= ${since.toISOString()}::timestamptz and e.redeemed_at >= v.issued_at
            and ${onlyOne(sql`e.provider_id`, only)}
        ), r as (
          select *,
            count(*) over (partition by provider_id order by secs range between current row and ${tol} following) as n,
            count(*) over (partition by provider_id order by secs
              range between ${around} preceding and ${around} + ${tol} following) as around
          from src
        ), peak as (
          select distinct on (provider_id) provider_id, secs as start, n, around
          from r where n >= ${minVouchers} and n >= ${minShare}::numeric * around
          order by provider_id, n desc, secs
        )
        select p.provider_id, p.n, p.around, p.start as from_seconds, max(r.secs) - p.start as spread,
          jsonb_agg(jsonb_build_object('enrollmentId', r.id, 'participantId', r.participant_id,
            'courseId', r.course_id, 'platformId', r.platform_id, 'issuedAt', r.issued_at,
            'redeemedAt', r.redeemed_at, 'secondsToRedeem', round(r.secs, 1))
            order by r.redeemed_at, r.id) as evidence
        from peak p join r on r.provider_id = p.provider_id and r.secs >= p.start and r.secs <= p.start + ${tol}
        group by p.provider_id, p.n, p.around, p.start`,
  );
  return rows.map((r) => ({
    ...r,
    n: Number(r.n),
    around: Number(r.around),
    fromSeconds: Number(r.from_seconds),
    spread: Number(r.spread),
  }));
}

/**
 * Several participants whose incentives are paid into one bank account or e-wallet (the same keyed
 * hash of the normalized destination), among the destinations set or changed since `since`. Each
 * row: a participant, the masked label, when the account was set, and their latest enrollment;
 * `enrollment_id` / `provider_id`: the group's latest enrollment (null: none has one).
 */
export async function detectSharedPayoutDestinations(
  db: Db,
  since: Date,
  threshold: number,
  only?: string[],
) {
  const rows = await execRows<{
    hash: string;
    n: number | string;
    kinds: string[];
    enrollment_id: string | null;
    provider_id: string | null;
    evidence: Record<string, unknown>[];
  }>(
    db,
    sql`with touched as (
          select distinct destination_hash from participant_payout_accounts
          where destination_hash is not null and updated_at >= ${since.toISOString()}::timestamptz
            and ${onlyOne(sql`destination_hash`, only)}
        ), a as (
          select a.*, le.id as enrollment_id, le.provider_id, le.course_id, le.redeemed_at
          from participant_payout_accounts a
          join touched t on t.destination_hash = a.destination_hash
          left join lateral (
            select e.id, e.provider_id, e.course_id, e.redeemed_at from enrollments e
            where e.participant_id = a.participant_id order by e.redeemed_at desc, e.id desc limit 1
          ) le on true
        )
        select destination_hash as hash, count(*) as n, array_agg(distinct kind) as kinds,
          (array_agg(enrollment_id order by redeemed_at desc nulls last, enrollment_id desc))[1] as enrollment_id,
          (array_agg(provider_id order by redeemed_at desc nulls last, enrollment_id desc))[1] as provider_id,
          jsonb_agg(jsonb_build_object('participantId', participant_id, 'kind', kind, 'label', label,
            'accountSetAt', updated_at, 'enrollmentId', enrollment_id, 'providerId', provider_id,
            'courseId', course_id) order by updated_at, participant_id) as evidence
        from a
        group by destination_hash
        having count(*) >= ${threshold}`,
  );
  return rows.map((r) => ({ ...r, n: Number(r.n) }));
}

/**
 * One platform device (or session, as the platform identified it at checkout) buying for many
 * different participants: checkouts created since `since`, of any status (an attempt is evidence
 * too). `enrollment_id` / `enrollment_provider_id`: the group's latest checkout that became an
 * enrollment (null: none yet); `course_id` / `course_provider_id`: the group's latest checkout's.
 */
export async function detectSharedCheckouts(
  db: Db,
  since: Date,
  by: 'device' | 'session',
  threshold: number,
  only?: KeyPair[],
) {
  const column = sql.raw(by === 'device' ? 'c.device_id' : 'c.session_id');
  const rows = await execRows<{
    platform_id: string;
    value: string;
    n: number | string;
    checkouts: number | string;
    enrollment_id: string | null;
    enrollment_provider_id: string | null;
    course_id: string;
    course_provider_id: string;
    evidence: Record<string, unknown>[];
  }>(
    db,
    sql`with c as (
          select c.platform_id, ${column} as value, c.id, c.participant_id, c.course_id, c.status, c.created_at,
            co.provider_id as course_provider_id, e.id as enrollment_id, e.provider_id as enrollment_provider_id
          from checkouts c join courses co on co.id = c.course_id
            left join enrollments e on e.voucher_id = c.voucher_id
          where ${column} is not null and c.created_at >= ${since.toISOString()}::timestamptz
            and ${onlyPair(sql`c.platform_id`, column, only)}
        )
        select platform_id, value, count(distinct participant_id) as n, count(*) as checkouts,
          (array_agg(enrollment_id order by created_at desc, id desc) filter (where enrollment_id is not null))[1]
            as enrollment_id,
          (array_agg(enrollment_provider_id order by created_at desc, id desc) filter (where enrollment_id is not null))[1]
            as enrollment_provider_id,
          (array_agg(course_id order by created_at desc, id desc))[1] as course_id,
          (array_agg(course_provider_id order by created_at desc, id desc))[1] as course_provider_id,
          jsonb_agg(jsonb_build_object('checkoutId', id, 'participantId', participant_id, 'courseId', course_id,
            'providerId', course_provider_id, 'status', status, 'createdAt', created_at,
            'enrollmentId', enrollment_id) order by created_at, id) as evidence
        from c
        group by platform_id, value
        having count(distinct participant_id) >= ${threshold}`,
  );
  return rows.map((r) => ({ ...r, n: Number(r.n), checkouts: Number(r.checkouts) }));
}

/** A provider whose participants fail the identity check unusually often. */
/**
 * Attendance entered long after it happened, per provider: of the records received since `since`
 * (at least `minRecords`), those whose occurredAt is more than `lateHours` before they were
 * received, when they are at least `minShare` of them. Evidence: the late records, latest first.
 */
export async function detectLateReporting(
  db: Db,
  since: Date,
  lateHours: number,
  minRecords: number,
  minShare: number,
  only?: string[],
  /** Receives every provider's figures, those below the rule too (the incremental pass keeps them). */
  counts?: (rows: GroupCounts[]) => void,
) {
  const late = sql`a.occurred_at is not null and a.recorded_at - a.occurred_at > make_interval(hours => ${lateHours})`;
  const rows = await execRows<Group & { late: number | string; latest_hours: number | string }>(
    db,
    sql`select e.provider_id, count(*) as n, count(*) filter (where ${late}) as late,
          max(extract(epoch from a.recorded_at - a.occurred_at) / 3600) filter (where ${late}) as latest_hours,
          coalesce(jsonb_agg(jsonb_build_object('enrollmentId', e.id, 'participantId', e.participant_id,
            'courseId', e.course_id, 'sequence', a.sequence, 'status', a.status, 'method', a.method,
            'occurredAt', a.occurred_at, 'recordedAt', a.recorded_at,
            'hoursLate', round(extract(epoch from a.recorded_at - a.occurred_at) / 3600, 1))
            order by a.recorded_at - a.occurred_at desc, e.id, a.sequence) filter (where ${late}), '[]'::jsonb) as evidence
        from attendance a join enrollments e on e.id = a.enrollment_id
        where a.recorded_at >= ${since.toISOString()}::timestamptz and ${onlyOne(sql`e.provider_id`, only)}
        group by e.provider_id`,
  );
  counts?.(rows.map((r) => ({ key: r.provider_id, n: Number(r.n), hits: Number(r.late) })));
  return rows
    .map((r) => ({
      ...r,
      n: Number(r.n),
      late: Number(r.late),
      latestHours: Number(r.latest_hours),
    }))
    .filter((r) => r.n >= minRecords && r.late >= minShare * r.n);
}

export async function detectIdentityCheckFailures(
  db: Db,
  since: Date,
  minChecks: number,
  minRate: number,
  only?: string[],
  /** Receives every provider's figures, those below the rule too (the incremental pass keeps them). */
  counts?: (rows: GroupCounts[]) => void,
) {
  const rows = await execRows<Group & { failed: number | string }>(
    db,
    sql`select e.provider_id, count(*) as n, count(*) filter (where ic.result = 'FAILED') as failed,
          coalesce(jsonb_agg(jsonb_build_object('identityCheckId', ic.id, 'enrollmentId', e.id,
            'participantId', e.participant_id, 'sequence', ic.sequence, 'reason', ic.reason, 'at', ic.used_at)
            order by ic.used_at, ic.id) filter (where ic.result = 'FAILED'), '[]'::jsonb) as evidence
        from identity_checks ic join enrollments e on e.id = ic.enrollment_id
        where ic.result is not null and ic.used_at >= ${since.toISOString()}::timestamptz
          and ${onlyOne(sql`e.provider_id`, only)}
        group by e.provider_id`,
  );
  counts?.(rows.map((r) => ({ key: r.provider_id, n: Number(r.n), hits: Number(r.failed) })));
  return rows
    .map((r) => ({ ...r, n: Number(r.n), failed: Number(r.failed) }))
    .filter((r) => r.n >= minChecks && r.failed >= minRate * r.n);
}

/**
 * COMPLETED → NOT_COMPLETED for an enrollment and its voucher (a control decision). Answers the
 * settlement items the voucher already produced, if any: then the money has left or is leaving.
 */
export async function voidCompletionRows(db: Db, enrollmentId: string, at: Date) {
  const rows = await execRows<{ voucher_id: string; course_id: string }>(
    db,
    sql`update enrollments set status = 'NOT_COMPLETED', completed_at = ${at.toISOString()}::timestamptz
        where id = ${enrollmentId} and status = 'COMPLETED' returning voucher_id, course_id`,
  );
  const row = rows[0];
  if (!row) return undefined;
  await execRows(
    db,
    sql`update vouchers set status = 'NOT_COMPLETED' where id = ${row.voucher_id} and status = 'COMPLETED' returning id`,
  );
  const items = await execRows<{ role: string; amount: number | string; settlement_id: string | null }>(
    db,
    sql`select role, amount, settlement_id from settlement_items where voucher_id = ${row.voucher_id} order by role`,
  );
  return {
    voucherId: row.voucher_id,
    courseId: row.course_id,
    settled: items.map((i) => ({ role: i.role, amount: Number(i.amount), settlementId: i.settlement_id })),
  };
}

export type SignalDetectionStateRow = typeof signalDetectionState.$inferSelect;

/**
 * The transactions visible as this statement starts (pg_current_snapshot, as text): those below its
 * xmax and not running then. The rows of every other one, whenever it commits, are what a later
 * pass needs to look at again; every statement after this one sees at least these.
 */
export async function currentSnapshot(db: Db): Promise<string> {
  const [row] = await execRows<{ snapshot: string }>(db, sql`select pg_current_snapshot()::text as snapshot`);
  if (!row) throw new Error('no snapshot');
  return row.snapshot;
}

export async function readDetectionState(db: Db, opts: { forUpdate?: boolean } = {}) {
  const q = db.select().from(signalDetectionState).where(eq(signalDetectionState.id, 'default')).limit(1);
  const [row] = opts.forUpdate ? await q.for('update') : await q;
  return row;
}

export async function saveDetectionState(db: Db, values: Omit<SignalDetectionStateRow, 'id'>) {
  await db
    .insert(signalDetectionState)
    .values({ id: 'default', ...values })
    .onConflictDoUpdate({ target: signalDetectionState.id, set: values });
}

export async function deleteDetectionState(db: Db) {
  await db.delete(signalDetectionState).where(eq(signalDetectionState.id, 'default'));
}

/** The signals a pass at `at` found (or refreshed): their last sighting is that pass. */
export async function signalsSeenAt(db: Db, at: Date) {
  return db
    .select({ id: signals.id, type: signals.type, key: signals.key })
    .from(signals)
    .where(eq(signals.lastSeenAt, at));
}

/** Seen again now, unchanged (what a full pass would write for them). */
export async function markSignalsSeen(db: Db, ids: string[], now: Date) {
  if (ids.length === 0) return 0;
  const rows = await execRows<{ id: string }>(
    db,
    sql`update signals set last_seen_at = ${now.toISOString()}::timestamptz
        where id in (select jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb)) returning id`,
  );
  return rows.length;
}

export type KeyBounds = typeof signalKeyBounds.$inferSelect;

/** What a share detector's keys may count now (see signal_key_bounds), by key. */
export async function readKeyBounds(db: Db, type: string, keys: string[]) {
  if (keys.length === 0) return new Map<string, KeyBounds>();
  const rows = await db
    .select()
    .from(signalKeyBounds)
    .where(
      and(
        eq(signalKeyBounds.type, type),
        sql`${signalKeyBounds.key} in (select jsonb_array_elements_text(${JSON.stringify(keys)}::jsonb))`,
      ),
    );
  return new Map(rows.map((r) => [r.key, r]));
}

/** Stores bounds; `replaceAll` (a full pass): every key of the type, the others forgotten. */
export async function saveKeyBounds(
  db: Db,
  type: string,
  rows: Array<Omit<KeyBounds, 'type'>>,
  opts: { replaceAll?: boolean } = {},
) {
  if (opts.replaceAll) await db.delete(signalKeyBounds).where(eq(signalKeyBounds.type, type));
  for (let i = 0; i < rows.length; i += 1000) {
    const chunk = rows.slice(i, i + 1000).map((r) => ({ type, ...r }));
    await db
      .insert(signalKeyBounds)
      .values(chunk)
      .onConflictDoUpdate({
        target: [signalKeyBounds.type, signalKeyBounds.key],
        set: { nLo: sql`excluded.n_lo`, nHi: sql`excluded.n_hi`, hitsHi: sql`excluded.hits_hi` },
      });
  }
}

/** Which of these keys have a stored signal of the type. */
export async function signalKeysOf(db: Db, type: string, keys: string[]) {
  if (keys.length === 0) return new Set<string>();
  const rows = await db
    .select({ key: signals.key })
    .from(signals)
    .where(
      and(
        eq(signals.type, type),
        sql`${signals.key} in (select jsonb_array_elements_text(${JSON.stringify(keys)}::jsonb))`,
      ),
    );
  return new Set(rows.map((r) => r.key));
}

/** Every provider organisation's id. */
export async function providerIds(db: Db) {
  const rows = await execRows<{ id: string }>(db, sql`select id from organisations where kind = 'PROVIDER'`);
  return rows.map((r) => r.id);
}
