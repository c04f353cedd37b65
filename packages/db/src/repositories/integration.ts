import { and, asc, eq, sql } from 'drizzle-orm';
import { type Db, execRows } from '../client';
import { assignmentSubmissions, integrationClients, integrationKeys } from '../schema';

/**
 * The program's provider integration protocol: client codes and their sealed sign keys, the view
 * of a redeem code the protocol answers with, and practical-task submissions.
 */

export type IntegrationKeyRow = typeof integrationKeys.$inferSelect;
export type AssignmentSubmissionRow = typeof assignmentSubmissions.$inferSelect;

export async function findIntegrationClientOf(db: Db, organisationId: string) {
  const [row] = await db
    .select()
    .from(integrationClients)
    .where(eq(integrationClients.organisationId, organisationId));
  return row;
}

export async function insertIntegrationClient(db: Db, row: typeof integrationClients.$inferInsert) {
  const [r] = await db.insert(integrationClients).values(row).returning();
  if (!r) throw new Error('integration client not inserted');
  return r;
}

export async function insertIntegrationKey(db: Db, row: typeof integrationKeys.$inferInsert) {
  const [r] = await db.insert(integrationKeys).values(row).returning();
  if (!r) throw new Error('integration key not inserted');
  return r;
}

export async function findIntegrationKey(db: Db, id: string, opts: { forUpdate?: boolean } = {}) {
  const q = db.select().from(integrationKeys).where(eq(integrationKeys.id, id));
  const [row] = opts.forUpdate ? await q.for('update') : await q;
  return row;
}

export async function updateIntegrationKey(
  db: Db,
  id: string,
  patch: Partial<Pick<IntegrationKeyRow, 'status' | 'expiresAt' | 'revokedAt'>>,
) {
  const [r] = await db.update(integrationKeys).set(patch).where(eq(integrationKeys.id, id)).returning();
  if (!r) throw new Error('integration key not found');
  return r;
}

export async function integrationKeysOf(db: Db, clientCode: string) {
  return db
    .select()
    .from(integrationKeys)
    .where(eq(integrationKeys.clientCode, clientCode))
    .orderBy(asc(integrationKeys.createdAt), asc(integrationKeys.id));
}

/** What a signed request needs: the provider behind a client_code, its status and live keys. */
export async function integrationCaller(db: Db, clientCode: string, now: Date) {
  const rows = await execRows<{
    organisation_id: string;
    organisation_status: string;
    organisation_kind: string;
    key_id: string | null;
    sealed_key: string | null;
  }>(
    db,
    sql`select c.organisation_id, o.status as organisation_status, o.kind as organisation_kind,
          k.id as key_id, k.sealed_key
        from integration_clients c
        join organisations o on o.id = c.organisation_id
        left join integration_keys k on k.client_code = c.client_code and k.status = 'ACTIVE'
          and (k.expires_at is null or k.expires_at > ${now.toISOString()}::timestamptz)
        where c.client_code = ${clientCode}
        order by k.created_at desc`,
  );
  const [first] = rows;
  if (!first) return undefined;
  return {
    organisationId: first.organisation_id,
    organisationStatus: first.organisation_status,
    organisationKind: first.organisation_kind,
    keys: rows.flatMap((r) => (r.key_id && r.sealed_key ? [{ id: r.key_id, sealedKey: r.sealed_key }] : [])),
  };
}

export type RedeemCodeView = {
  voucherId: string;
  status: string;
  test: boolean;
  providerId: string;
  courseId: string;
  courseMode: string;
  runId: string | null;
  checkoutId: string;
  platformName: string;
  redeemedAt: Date | null;
  enrollmentId: string | null;
  enrollmentStatus: string | null;
  postTestScore: number | null;
  firstSessionStartsAt: Date | null;
  lastSessionEndsAt: Date | null;
  timeZone: string | null;
  onlineSessions: number;
};

/** One redeem code as the protocol shows it: voucher, course, run, platform and enrollment. */
export async function redeemCodeView(db: Db, codeHash: string): Promise<RedeemCodeView | undefined> {
  const [r] = await execRows<{
    voucher_id: string;
    status: string;
    test: boolean;
    provider_id: string;
    course_id: string;
    course_mode: string;
    run_id: string | null;
    checkout_id: string;
    platform_name: string;
    redeemed_at: string | Date | null;
    enrollment_id: string | null;
    enrollment_status: string | null;
    post_test_score: number | null;
    first_starts: string | Date | null;
    last_ends: string | Date | null;
    time_zone: string | null;
    online_sessions: number | string;
  }>(
    db,
    sql`select v.id as voucher_id, v.status, v.test, v.provider_id, v.course_id, c.mode as course_mode,
          v.run_id, v.checkout_id, p.name as platform_name, v.redeemed_at,
          e.id as enrollment_id, e.status as enrollment_status, e.post_test_score,
          s.first_starts, s.last_ends, s.time_zone, coalesce(s.online_sessions, 0) as online_sessions
        from vouchers v
        join courses c on c.id = v.course_id
        join organisations p on p.id = v.platform_id
        left join enrollments e on e.voucher_id = v.id
        left join lateral (
          select min(rs.starts_at) as first_starts, max(rs.ends_at) as last_ends,
            (array_agg(rs.time_zone order by rs.sequence))[1] as time_zone,
            count(*) filter (where rs.mode = 'ONLINE') as online_sessions
          from run_sessions rs where rs.run_id = v.run_id
        ) s on true
        where v.code_hash = ${codeHash}`,
  );
  if (!r) return undefined;
  const date = (d: string | Date | null) => (d === null ? null : new Date(d));
  return {
    voucherId: r.voucher_id,
    status: r.status,
    test: r.test,
    providerId: r.provider_id,
    courseId: r.course_id,
    courseMode: r.course_mode,
    runId: r.run_id,
    checkoutId: r.checkout_id,
    platformName: r.platform_name,
    redeemedAt: date(r.redeemed_at),
    enrollmentId: r.enrollment_id,
    enrollmentStatus: r.enrollment_status,
    postTestScore: r.post_test_score,
    firstSessionStartsAt: date(r.first_starts),
    lastSessionEndsAt: date(r.last_ends),
    timeZone: r.time_zone,
    onlineSessions: Number(r.online_sessions),
  };
}

/** The attendance status of one session of an enrollment, or null when none is recorded. */
export async function attendanceStatusOf(db: Db, enrollmentId: string, sequence: number) {
  const [r] = await execRows<{ status: string }>(
    db,
    sql`select status from attendance where enrollment_id = ${enrollmentId} and sequence = ${sequence}`,
  );
  return r?.status ?? null;
}

export async function findAssignmentSubmission(
  db: Db,
  key: { enrollmentId: string; scope: 'TPM' | 'UK'; sequence: number },
  opts: { forUpdate?: boolean } = {},
) {
  const q = db
    .select()
    .from(assignmentSubmissions)
    .where(
      and(
        eq(assignmentSubmissions.enrollmentId, key.enrollmentId),
        eq(assignmentSubmissions.scope, key.scope),
        eq(assignmentSubmissions.sequence, key.sequence),
      ),
    );
  const [row] = opts.forUpdate ? await q.for('update') : await q;
  return row;
}

/** A (re)submission: a new file starts its review over. */
export async function upsertAssignmentSubmission(db: Db, row: typeof assignmentSubmissions.$inferInsert) {
  const [r] = await db
    .insert(assignmentSubmissions)
    .values(row)
    .onConflictDoUpdate({
      target: [
        assignmentSubmissions.enrollmentId,
        assignmentSubmissions.scope,
        assignmentSubmissions.sequence,
      ],
      set: {
        url: row.url,
        contentHash: row.contentHash ?? null,
        status: 'SUBMITTED',
        submittedAt: row.submittedAt,
        recordedAt: row.recordedAt,
        feedbackNotes: null,
        feedbackUrl: null,
        reviewedAt: null,
      },
    })
    .returning();
  if (!r) throw new Error('assignment submission not written');
  return r;
}

export async function reviewAssignmentSubmission(
  db: Db,
  key: { enrollmentId: string; scope: 'TPM' | 'UK'; sequence: number },
  patch: {
    status: 'ACCEPTED' | 'FAILED';
    feedbackNotes: string;
    feedbackUrl: string | null;
    reviewedAt: Date;
  },
) {
  const [r] = await db
    .update(assignmentSubmissions)
    .set(patch)
    .where(
      and(
        eq(assignmentSubmissions.enrollmentId, key.enrollmentId),
        eq(assignmentSubmissions.scope, key.scope),
        eq(assignmentSubmissions.sequence, key.sequence),
      ),
    )
    .returning();
  if (!r) throw new Error('assignment submission not found');
  return r;
}

export async function assignmentSubmissionsOf(db: Db, enrollmentId: string) {
  return db
    .select()
    .from(assignmentSubmissions)
    .where(eq(assignmentSubmissions.enrollmentId, enrollmentId))
    .orderBy(asc(assignmentSubmissions.scope), asc(assignmentSubmissions.sequence));
}

/**
 * Sandbox only: undoes a test code's redemption while nothing but training records hang on it.
 * Returns false when the enrollment has gone further (completed, settled, signalled) than a reset may undo.
 */
export async function resetTestRedemption(db: Db, voucherId: string, enrollmentId: string) {
  const blockers = await execRows<{ n: number | string }>(
    db,
    sql`select (select count(*) from certificates where enrollment_id = ${enrollmentId})
          + (select count(*) from signal_subjects where enrollment_id = ${enrollmentId})
          + (select count(*) from case_enrollments where enrollment_id = ${enrollmentId})
          + (select count(*) from reviews where enrollment_id = ${enrollmentId}) as n`,
  );
  if (Number(blockers[0]?.n ?? 0) > 0) return false;
  await db.execute(sql`delete from attendance where enrollment_id = ${enrollmentId}`);
  await db.execute(sql`delete from identity_checks where enrollment_id = ${enrollmentId}`);
  await db.execute(sql`delete from assignment_submissions where enrollment_id = ${enrollmentId}`);
  await db.execute(sql`delete from enrollments where id = ${enrollmentId}`);
  await db.execute(
    sql`update vouchers set status = 'ISSUED', redeemed_at = null where id = ${voucherId} and test`,
  );
  return true;
}
