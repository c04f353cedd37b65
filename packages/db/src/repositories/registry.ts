import { and, asc, eq, gt, inArray, lte, sql } from 'drizzle-orm';
import type { Db } from '../client';
import { participants, registryChecks, registryQueue } from '../schema';

export type RegistryCheckRow = typeof registryChecks.$inferSelect;
export type RegistryQueueRow = typeof registryQueue.$inferSelect;
export type RegistryStatus = (typeof participants.$inferSelect)['registryStatus'];

export async function insertRegistryChecks(db: Db, rows: (typeof registryChecks.$inferInsert)[]) {
  if (rows.length === 0) return;
  await db.insert(registryChecks).values(rows);
}

/** Queues checks; a participant already queued gets the newer sealed data and is due at once. */
export async function enqueueRegistryChecks(db: Db, rows: (typeof registryQueue.$inferInsert)[]) {
  if (rows.length === 0) return;
  await db
    .insert(registryQueue)
    .values(rows)
    .onConflictDoUpdate({
      target: registryQueue.participantId,
      set: { sealed: sql`excluded.sealed`, nextAttemptAt: sql`excluded.next_attempt_at` },
    });
}

/**
 * Claims up to `limit` due checks for one try: their next attempt moves `leaseMs` ahead (so
 * another gateway does not take them, and a try that dies with its process is retried after the
 * lease) and their attempts count up. Rows another transaction holds are skipped.
 */
export async function claimDueRegistryChecks(
  db: Db,
  opts: { now: Date; leaseMs: number; limit: number },
): Promise<RegistryQueueRow[]> {
  return db.transaction(async (tx) => {
    const due = await tx
      .select({ participantId: registryQueue.participantId })
      .from(registryQueue)
      .where(lte(registryQueue.nextAttemptAt, opts.now))
      .orderBy(asc(registryQueue.nextAttemptAt))
      .limit(opts.limit)
      .for('update', { skipLocked: true });
    if (due.length === 0) return [];
    return tx
      .update(registryQueue)
      .set({
        nextAttemptAt: new Date(opts.now.getTime() + opts.leaseMs),
        attempts: sql`${registryQueue.attempts} + 1`,
      })
      .where(
        inArray(
          registryQueue.participantId,
          due.map((d) => d.participantId),
        ),
      )
      .returning();
  });
}

export async function deferRegistryCheck(
  db: Db,
  participantId: string,
  nextAttemptAt: Date,
  lastError: string,
) {
  await db
    .update(registryQueue)
    .set({ nextAttemptAt, lastError })
    .where(eq(registryQueue.participantId, participantId));
}

export async function dequeueRegistryChecks(db: Db, participantIds: string[]): Promise<void> {
  if (participantIds.length === 0) return;
  await db.delete(registryQueue).where(inArray(registryQueue.participantId, participantIds));
}

/** Participants locked for update, by id (the retry job's batch). */
export async function lockParticipants(db: Db, ids: string[]) {
  if (ids.length === 0) return [];
  return db.select().from(participants).where(inArray(participants.id, ids)).for('update');
}

/** One status and reasons for many participants, only those still in `onlyIf`. */
export async function setParticipantsRegistry(
  db: Db,
  ids: string[],
  to: { status: RegistryStatus; reasons: string[]; checkedAt: Date },
  onlyIf: RegistryStatus[],
): Promise<string[]> {
  if (ids.length === 0) return [];
  const r = await db
    .update(participants)
    .set({ registryStatus: to.status, registryReasons: to.reasons, registryCheckedAt: to.checkedAt })
    .where(and(inArray(participants.id, ids), inArray(participants.registryStatus, onlyIf)))
    .returning({ id: participants.id });
  return r.map((x) => x.id);
}

export async function dequeueRegistryCheck(db: Db, participantId: string): Promise<boolean> {
  const r = await db
    .delete(registryQueue)
    .where(eq(registryQueue.participantId, participantId))
    .returning({ id: registryQueue.participantId });
  return r.length > 0;
}

export async function findQueuedRegistryCheck(db: Db, participantId: string) {
  const [row] = await db.select().from(registryQueue).where(eq(registryQueue.participantId, participantId));
  return row;
}

/** Sets a participant's registry status (the caller holds the participant's row lock). */
export async function setParticipantRegistry(
  db: Db,
  participantId: string,
  to: { status: RegistryStatus; reasons: string[]; checkedAt: Date | null; name?: string },
): Promise<void> {
  await db
    .update(participants)
    .set({
      registryStatus: to.status,
      registryReasons: to.reasons,
      registryCheckedAt: to.checkedAt,
      ...(to.name !== undefined ? { name: to.name } : {}),
    })
    .where(eq(participants.id, participantId));
}

export async function registryChecksOf(db: Db, participantId: string): Promise<RegistryCheckRow[]> {
  return db
    .select()
    .from(registryChecks)
    .where(eq(registryChecks.participantId, participantId))
    .orderBy(asc(registryChecks.at), asc(registryChecks.id));
}

/** The PMO's work list: participants in one registry status, by id. */
export async function participantsByRegistryStatus(
  db: Db,
  opts: { status: RegistryStatus; after?: string | undefined; limit: number },
) {
  return db
    .select()
    .from(participants)
    .where(
      and(
        eq(participants.registryStatus, opts.status),
        opts.after ? gt(participants.id, opts.after) : undefined,
      ),
    )
    .orderBy(asc(participants.id))
    .limit(opts.limit + 1);
}

/** How many checks wait, and since when the oldest (for metrics and the operations page). */
export async function registryQueueDepth(db: Db): Promise<{ waiting: number; oldest: Date | null }> {
  const [row] = await db
    .select({
      waiting: sql<number>`count(*)::int`,
      oldest: sql<string | null>`min(${registryQueue.createdAt})`,
    })
    .from(registryQueue);
  return { waiting: row?.waiting ?? 0, oldest: row?.oldest ? new Date(row.oldest) : null };
}
