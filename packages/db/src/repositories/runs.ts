import { findRegency, type TRun, type TSession } from '@latih/contracts';
import { and, asc, desc, eq, inArray, lt, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../client';
import { runSessions, runs } from '../schema';
import { decodeCursor, toPage } from './cursor';

export type RunRow = typeof runs.$inferSelect;
export type SessionRow = typeof runSessions.$inferSelect;
export type NewSessionRow = typeof runSessions.$inferInsert;

export function toSession(s: SessionRow, opts: { withMeetingUrl: boolean }): TSession {
  const regency = s.venue ? findRegency(s.venue.regencyCode) : undefined;
  return {
    sequence: s.sequence,
    mode: s.mode,
    startsAt: s.startsAt.toISOString(),
    endsAt: s.endsAt.toISOString(),
    timeZone: s.timeZone as TSession['timeZone'],
    venue: s.venue
      ? {
          ...s.venue,
          regencyName: regency?.name ?? '',
          provinceCode: regency?.provinceCode ?? '',
          provinceName: regency?.provinceName ?? '',
        }
      : null,
    meetingUrl: opts.withMeetingUrl ? (s.meetingUrl ?? null) : null,
  };
}

export function toRun(row: RunRow, sessions: SessionRow[], opts: { withMeetingUrl: boolean }): TRun {
  return {
    id: row.id,
    courseId: row.courseId,
    providerId: row.providerId,
    externalId: row.externalId,
    status: row.status,
    capacity: row.capacity,
    seatsTaken: row.seatsTaken,
    sessions: sessions.sort((a, b) => a.sequence - b.sequence).map((s) => toSession(s, opts)),
    cancellation: row.cancellation ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export async function insertRun(
  db: Db,
  values: typeof runs.$inferInsert,
  sessions: Omit<NewSessionRow, 'runId'>[],
) {
  const [row] = await db.insert(runs).values(values).returning();
  if (!row) throw new Error('insert into runs returned no row');
  const inserted = await db
    .insert(runSessions)
    .values(sessions.map((s) => ({ ...s, runId: row.id })))
    .returning();
  return { row, sessions: inserted };
}

export async function replaceSessions(db: Db, runId: string, sessions: Omit<NewSessionRow, 'runId'>[]) {
  await db.delete(runSessions).where(eq(runSessions.runId, runId));
  return db
    .insert(runSessions)
    .values(sessions.map((s) => ({ ...s, runId })))
    .returning();
}

/**
 * `forUpdate` locks the row FOR UPDATE; `forNoKeyUpdate` takes the weaker lock an UPDATE takes,
 * which still excludes other updates (a seat being taken) but not the key-share lock of a row
 * inserted with a foreign key to the run (an enrollment being redeemed).
 */
export async function findRunRow(
  db: Db,
  id: string,
  scope: { providerId?: string },
  opts: { forUpdate?: boolean; forNoKeyUpdate?: boolean } = {},
): Promise<RunRow | undefined> {
  const q = db
    .select()
    .from(runs)
    .where(and(eq(runs.id, id), scope.providerId ? eq(runs.providerId, scope.providerId) : undefined))
    .limit(1);
  const [row] = opts.forUpdate
    ? await q.for('update')
    : opts.forNoKeyUpdate
      ? await q.for('no key update')
      : await q;
  return row;
}

export async function findRunByExternalId(db: Db, providerId: string, externalId: string) {
  const [row] = await db
    .select()
    .from(runs)
    .where(and(eq(runs.providerId, providerId), eq(runs.externalId, externalId)))
    .limit(1)
    .for('update');
  return row;
}

export async function sessionsOf(db: Db, runIds: string[]): Promise<Map<string, SessionRow[]>> {
  const map = new Map<string, SessionRow[]>();
  if (runIds.length === 0) return map;
  const rows = await db
    .select()
    .from(runSessions)
    .where(inArray(runSessions.runId, runIds))
    .orderBy(asc(runSessions.runId), asc(runSessions.sequence));
  for (const r of rows) map.set(r.runId, [...(map.get(r.runId) ?? []), r]);
  return map;
}

export async function updateRunRow(
  db: Db,
  id: string,
  values: Partial<typeof runs.$inferInsert>,
): Promise<RunRow> {
  const [row] = await db
    .update(runs)
    .set({ ...values, updatedAt: sql`now()` })
    .where(eq(runs.id, id))
    .returning();
  if (!row) throw new Error(`run ${id} vanished during update`);
  return row;
}

export async function runsOfCourses(
  db: Db,
  courseIds: string[],
  statuses?: RunRow['status'][],
): Promise<RunRow[]> {
  if (courseIds.length === 0) return [];
  return db
    .select()
    .from(runs)
    .where(and(inArray(runs.courseId, courseIds), statuses ? inArray(runs.status, statuses) : undefined))
    .orderBy(asc(runs.startsAt));
}

export async function listRuns(
  db: Db,
  input: {
    courseId?: string | undefined;
    status?: RunRow['status'] | undefined;
    limit: number;
    cursor?: string | undefined;
  },
  scope: { providerId: string },
) {
  const where: (SQL | undefined)[] = [eq(runs.providerId, scope.providerId)];
  if (input.courseId) where.push(eq(runs.courseId, input.courseId));
  if (input.status) where.push(eq(runs.status, input.status));
  if (input.cursor) where.push(lt(runs.id, decodeCursor(input.cursor)));
  const rows = await db
    .select()
    .from(runs)
    .where(and(...where))
    .orderBy(desc(runs.id))
    .limit(input.limit + 1);
  const page = toPage(
    rows,
    input.limit,
    (r) => r.id,
    (r) => r,
  );
  const sessions = await sessionsOf(
    db,
    page.items.map((r) => r.id),
  );
  return {
    items: page.items.map((r) => toRun(r, sessions.get(r.id) ?? [], { withMeetingUrl: true })),
    nextCursor: page.nextCursor,
  };
}

/** Runs whose schedule has moved them on: OPEN/FULL → RUNNING, RUNNING → FINISHED. */
export async function runsDueToAdvance(db: Db, now: Date): Promise<RunRow[]> {
  return db
    .select()
    .from(runs)
    .where(
      sql`(${runs.status} in ('OPEN', 'FULL') and ${runs.startsAt} <= ${now}) or (${runs.status} = 'RUNNING' and ${runs.endsAt} <= ${now})`,
    )
    .orderBy(asc(runs.startsAt))
    .limit(500)
    .for('update', { skipLocked: true });
}
