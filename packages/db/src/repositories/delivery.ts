import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../client';
import { attendance, enrollments, runSessions, vouchers } from '../schema';

export type EnrollmentRow = typeof enrollments.$inferSelect;

export async function findEnrollment(
  db: Db,
  id: string,
  providerId: string,
  opts: { forUpdate?: boolean } = {},
) {
  const q = db
    .select()
    .from(enrollments)
    .where(and(eq(enrollments.id, id), eq(enrollments.providerId, providerId)))
    .limit(1);
  const [row] = opts.forUpdate ? await q.for('update') : await q;
  return row;
}

export async function updateEnrollment(db: Db, id: string, values: Partial<typeof enrollments.$inferInsert>) {
  const [row] = await db.update(enrollments).set(values).where(eq(enrollments.id, id)).returning();
  if (!row) throw new Error(`enrollment ${id} vanished`);
  return row;
}

/**
 * Records a session's attendance, replacing what was there. With `unlessIdentityChecked`, a record
 * the identity check made (FACE_MATCH) is left as it is, atomically: the answer is then undefined.
 */
export async function upsertAttendance(
  db: Db,
  values: typeof attendance.$inferInsert,
  opts: { unlessIdentityChecked?: boolean } = {},
) {
  const [row] = await db
    .insert(attendance)
    .values(values)
    .onConflictDoUpdate({
      target: [attendance.enrollmentId, attendance.sequence],
      set: {
        status: values.status,
        method: values.method,
        deviceId: values.deviceId ?? null,
        ip: values.ip ?? null,
        voidReason: values.voidReason ?? null,
        occurredAt: values.occurredAt ?? null,
        recordedAt: values.recordedAt,
      },
      ...(opts.unlessIdentityChecked ? { setWhere: sql`${attendance.method} <> 'FACE_MATCH'` } : {}),
    })
    .returning();
  if (!row && !opts.unlessIdentityChecked) throw new Error('attendance upsert returned no row');
  return row;
}

/** One session of a run, by its sequence. */
export async function findRunSession(db: Db, runId: string, sequence: number) {
  const [row] = await db
    .select()
    .from(runSessions)
    .where(and(eq(runSessions.runId, runId), eq(runSessions.sequence, sequence)))
    .limit(1);
  return row;
}

export async function sessionCount(db: Db, runId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)`.mapWith(Number) })
    .from(runSessions)
    .where(eq(runSessions.runId, runId));
  return row?.n ?? 0;
}

export async function confirmedSessions(db: Db, enrollmentId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)`.mapWith(Number) })
    .from(attendance)
    .where(and(eq(attendance.enrollmentId, enrollmentId), eq(attendance.status, 'CONFIRMED')));
  return row?.n ?? 0;
}

export async function closeRedeemedVoucher(
  db: Db,
  voucherId: string,
  status: 'COMPLETED' | 'NOT_COMPLETED',
  at: Date,
) {
  const [row] = await db
    .update(vouchers)
    .set({ status, closedAt: at })
    .where(and(eq(vouchers.id, voucherId), eq(vouchers.status, 'REDEEMED')))
    .returning();
  return row;
}

/** By id alone: for callers already holding proof of ownership (an identity-check token). */
export async function findEnrollmentById(db: Db, id: string, opts: { forUpdate?: boolean } = {}) {
  const q = db.select().from(enrollments).where(eq(enrollments.id, id)).limit(1);
  const [row] = opts.forUpdate ? await q.for('update') : await q;
  return row;
}

export async function findEnrollmentByVoucher(db: Db, voucherId: string) {
  const [row] = await db.select().from(enrollments).where(eq(enrollments.voucherId, voucherId)).limit(1);
  return row;
}
