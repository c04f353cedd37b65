import type { TCompletionRule } from '@latih/contracts';
import { type SQL, sql } from 'drizzle-orm';
import { type Db, execRows } from '../client';
import { decodeCursor, encodeCursor } from './cursor';

/**
 * A provider's rosters: its enrollments with the participant's name, the course's completion rule
 * and attendance counted in the same statement, so a page of 100 costs one round trip.
 */

export type RosterRow = {
  enrollmentId: string;
  voucherId: string;
  participantId: string;
  participantName: string;
  courseId: string;
  runId: string | null;
  status: 'IN_TRAINING' | 'COMPLETED' | 'NOT_COMPLETED' | 'WITHDRAWN';
  redeemedAt: Date;
  completedAt: Date | null;
  assignmentSubmittedAt: Date | null;
  postTestScore: number | null;
  completionRule: TCompletionRule;
  sessions: number;
  sessionsConfirmed: number;
  sessionStatus: string | null;
  sessionMethod: string | null;
};

/**
 * What the completion rule reads of an enrollment `e` (joined to its course `c`), selected the same
 * way wherever progress is shown (rosters, the PMO's participant page): one statement, counts
 * included.
 */
export const PROGRESS_COLUMNS = sql`e.status, e.redeemed_at, e.completed_at, e.assignment_submitted_at,
  e.post_test_score, c.completion_rule,
  (select count(*) from run_sessions rs where rs.run_id = e.run_id) as sessions,
  (select count(*) from attendance a where a.enrollment_id = e.id and a.status = 'CONFIRMED') as confirmed`;

export type ProgressRecord = {
  status: RosterRow['status'];
  redeemed_at: string | Date;
  completed_at: string | Date | null;
  assignment_submitted_at: string | Date | null;
  post_test_score: number | null;
  completion_rule: TCompletionRule | string;
  sessions: number | string;
  confirmed: number | string;
};

const date = (v: string | Date) => (v instanceof Date ? v : new Date(v));

/** PROGRESS_COLUMNS as values (the driver answers some as text, PGlite as values). */
export function progressOf(r: ProgressRecord) {
  return {
    status: r.status,
    redeemedAt: date(r.redeemed_at),
    completedAt: r.completed_at === null ? null : date(r.completed_at),
    assignmentSubmittedAt: r.assignment_submitted_at === null ? null : date(r.assignment_submitted_at),
    postTestScore: r.post_test_score,
    completionRule:
      typeof r.completion_rule === 'string'
        ? (JSON.parse(r.completion_rule) as TCompletionRule)
        : r.completion_rule,
    sessions: Number(r.sessions),
    sessionsConfirmed: Number(r.confirmed),
  };
}

type Record_ = ProgressRecord & {
  id: string;
  voucher_id: string;
  participant_id: string;
  participant_name: string;
  course_id: string;
  run_id: string | null;
  session_status: string | null;
  session_method: string | null;
};

export async function listRoster(
  db: Db,
  providerId: string,
  input: {
    runId?: string | undefined;
    courseId?: string | undefined;
    status?: string | undefined;
    session?: number | undefined;
    limit: number;
    cursor?: string | undefined;
  },
) {
  const filters: SQL[] = [sql`e.provider_id = ${providerId}`];
  if (input.runId) filters.push(sql`e.run_id = ${input.runId}`);
  if (input.courseId) filters.push(sql`e.course_id = ${input.courseId}`);
  if (input.status) filters.push(sql`e.status = ${input.status}`);
  if (input.cursor) filters.push(sql`e.id > ${decodeCursor(input.cursor)}`);
  const rows = await execRows<Record_>(
    db,
    sql`select e.id, e.voucher_id, e.participant_id, p.name as participant_name, e.course_id, e.run_id,
          ${PROGRESS_COLUMNS},
          s.status as session_status, s.method as session_method
        from enrollments e
        join participants p on p.id = e.participant_id
        join courses c on c.id = e.course_id
        left join attendance s on s.enrollment_id = e.id and s.sequence = ${input.session ?? 0}
        where ${sql.join(filters, sql` and `)}
        order by e.id
        limit ${input.limit + 1}`,
  );
  const more = rows.length > input.limit;
  const page = more ? rows.slice(0, input.limit) : rows;
  const last = page.at(-1);
  return {
    rows: page.map(
      (r): RosterRow => ({
        enrollmentId: r.id,
        voucherId: r.voucher_id,
        participantId: r.participant_id,
        participantName: r.participant_name,
        courseId: r.course_id,
        runId: r.run_id,
        ...progressOf(r),
        sessionStatus: r.session_status,
        sessionMethod: r.session_method,
      }),
    ),
    nextCursor: more && last ? encodeCursor(last.id) : null,
  };
}

/** Every session of an enrollment's run with what was recorded for it (null: nothing yet). */
export async function sessionMarks(db: Db, enrollmentId: string, runId: string | null) {
  if (!runId) return [];
  const rows = await execRows<{
    sequence: number;
    starts_at: string | Date;
    mode: 'ONLINE' | 'LURING';
    status: string | null;
    method: string | null;
    occurred_at: string | Date | null;
    recorded_at: string | Date | null;
  }>(
    db,
    sql`select rs.sequence, rs.starts_at, rs.mode, a.status, a.method, a.occurred_at, a.recorded_at
        from run_sessions rs
        left join attendance a on a.enrollment_id = ${enrollmentId} and a.sequence = rs.sequence
        where rs.run_id = ${runId}
        order by rs.sequence`,
  );
  return rows.map((r) => ({
    sequence: r.sequence,
    startsAt: date(r.starts_at),
    mode: r.mode,
    status: r.status,
    method: r.method,
    occurredAt: r.occurred_at === null ? null : date(r.occurred_at),
    recordedAt: r.recorded_at === null ? null : date(r.recorded_at),
  }));
}

export async function certificateOfEnrollment(db: Db, enrollmentId: string) {
  const [r] = await execRows<{ number: string; status: 'VALID' | 'REVOKED'; issued_at: string | Date }>(
    db,
    sql`select number, status, issued_at from certificates where enrollment_id = ${enrollmentId}`,
  );
  return r ? { number: r.number, status: r.status, issuedAt: date(r.issued_at) } : null;
}
