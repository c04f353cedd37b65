import { and, asc, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import { type Db, execRows } from '../client';
import { checkouts, jobInstances, jobRuns, staffSessions, testClock } from '../schema';

export type JobRunRow = typeof jobRuns.$inferSelect;
export type TestClockRow = typeof testClock.$inferSelect;

/** One row per scheduled job, created once (any instance may do it; the others find it there). */
export async function ensureJobRows(db: Db, names: string[]): Promise<void> {
  if (names.length === 0) return;
  await db
    .insert(jobRuns)
    .values(names.map((name) => ({ name })))
    .onConflictDoNothing();
}

/**
 * A one-at-a-time job's lease: taken when the job is due (`next_run_at` passed, or `everyMs` since
 * its last run ended, or `force`) and no live lease is held. `everyMs` is the claiming instance's
 * interval: an interval made shorter (JOB_INTERVALS, then a restart) applies at once, not after
 * the run the old interval scheduled. Compared with the database's real time (clock_timestamp), never the program
 * clock, so that moving the sandbox clock cannot hand one job to two instances.
 */
export async function claimJobLease(
  db: Db,
  v: {
    name: string;
    owner: string;
    leaseMs: number;
    clockAt: Date;
    generation: number;
    /** Whether it is due or not. */
    force?: boolean;
    /** This instance's interval for the job. */
    everyMs?: number;
    /** A sandbox catch-up: due or not, but only if no run has started since this clock generation. */
    behindGeneration?: number;
  },
): Promise<boolean> {
  const due =
    v.behindGeneration !== undefined
      ? sql`${jobRuns.lastGeneration} < ${v.behindGeneration}`
      : v.force
        ? sql`true`
        : v.everyMs !== undefined
          ? sql`(${jobRuns.nextRunAt} is null or ${jobRuns.nextRunAt} <= clock_timestamp()
              or ${jobRuns.lastFinishedAt} + make_interval(secs => ${v.everyMs / 1000}) <= clock_timestamp())`
          : sql`(${jobRuns.nextRunAt} is null or ${jobRuns.nextRunAt} <= clock_timestamp())`;
  const rows = await db
    .update(jobRuns)
    .set({
      leaseOwner: v.owner,
      leaseUntil: sql`clock_timestamp() + make_interval(secs => ${v.leaseMs / 1000})`,
      lastStartedAt: sql`clock_timestamp()`,
      lastInstance: v.owner,
      lastClockAt: v.clockAt,
      lastGeneration: v.generation,
    })
    .where(
      and(
        eq(jobRuns.name, v.name),
        or(isNull(jobRuns.leaseUntil), lt(jobRuns.leaseUntil, sql`clock_timestamp()`)),
        due,
      ),
    )
    .returning({ name: jobRuns.name });
  return rows.length > 0;
}

/** Keeps a long run's lease alive; false when it was lost (expired and taken by another instance). */
export async function renewJobLease(db: Db, v: { name: string; owner: string; leaseMs: number }) {
  const rows = await db
    .update(jobRuns)
    .set({ leaseUntil: sql`clock_timestamp() + make_interval(secs => ${v.leaseMs / 1000})` })
    .where(and(eq(jobRuns.name, v.name), eq(jobRuns.leaseOwner, v.owner)))
    .returning({ name: jobRuns.name });
  return rows.length > 0;
}

type Outcome =
  | { ok: true; durationMs: number; summary: Record<string, number> | null }
  | { ok: false; durationMs: number; error: string };

function outcomeColumns(o: Outcome) {
  return o.ok
    ? {
        lastFinishedAt: sql`clock_timestamp()`,
        lastDurationMs: o.durationMs,
        runs: sql`${jobRuns.runs} + 1`,
        lastSummary: o.summary,
      }
    : {
        lastFinishedAt: sql`clock_timestamp()`,
        lastDurationMs: o.durationMs,
        runs: sql`${jobRuns.runs} + 1`,
        failures: sql`${jobRuns.failures} + 1`,
        lastFailureAt: sql`clock_timestamp()`,
        lastFailure: o.error.slice(0, 1_000),
      };
}

/** Ends a one-at-a-time run: frees the lease and says when the job is next due. */
export async function finishJobLease(
  db: Db,
  v: { name: string; owner: string; nextInMs: number; outcome: Outcome },
): Promise<void> {
  await db
    .update(jobRuns)
    .set({
      leaseOwner: null,
      leaseUntil: null,
      nextRunAt: sql`clock_timestamp() + make_interval(secs => ${v.nextInMs / 1000})`,
      ...outcomeColumns(v.outcome),
    })
    .where(and(eq(jobRuns.name, v.name), eq(jobRuns.leaseOwner, v.owner)));
}

/** Records a pass of a job that every instance runs (its work is claimed row by row). */
export async function recordJobPass(
  db: Db,
  v: { name: string; instance: string; startedAt: Date; clockAt: Date; generation: number; outcome: Outcome },
): Promise<void> {
  await db
    .update(jobRuns)
    .set({
      lastStartedAt: v.startedAt,
      lastInstance: v.instance,
      lastClockAt: v.clockAt,
      lastGeneration: v.generation,
      ...outcomeColumns(v.outcome),
    })
    .where(eq(jobRuns.name, v.name));
}

/** A scheduler says it is alive and which jobs it runs (database time). */
export async function heartbeatJobInstance(
  db: Db,
  v: { id: string; jobs: string[]; host: string; pid: number },
): Promise<void> {
  await db
    .insert(jobInstances)
    .values({ ...v, startedAt: sql`clock_timestamp()`, seenAt: sql`clock_timestamp()` })
    .onConflictDoUpdate({ target: jobInstances.id, set: { jobs: v.jobs, seenAt: sql`clock_timestamp()` } });
}

export async function removeJobInstance(db: Db, id: string): Promise<void> {
  await db.delete(jobInstances).where(eq(jobInstances.id, id));
}

/** Schedulers seen within `withinMs` (the others stopped or died); older rows are deleted on the way. */
export async function liveJobInstances(db: Db, withinMs: number) {
  const horizon = sql`clock_timestamp() - make_interval(secs => ${withinMs / 1000})`;
  await db.delete(jobInstances).where(lt(jobInstances.seenAt, sql`${horizon} - interval '1 hour'`));
  return db
    .select()
    .from(jobInstances)
    .where(sql`${jobInstances.seenAt} > ${horizon}`)
    .orderBy(asc(jobInstances.id));
}

/**
 * After a sandbox clock advance (generation `g`): the jobs that live schedulers run and that have
 * not yet run since the advance: not started since, or (one at a time) started and still holding
 * their lease. Empty: the schedule has caught up. (A pass of an every-instance job records its
 * generation when it ends, so a started one never counts as done.)
 */
export async function jobsBehindGeneration(db: Db, g: number, withinMs: number): Promise<string[]> {
  const live = await liveJobInstances(db, withinMs);
  const running = [...new Set(live.flatMap((i) => i.jobs))];
  if (running.length === 0) return [];
  const done = await db
    .select({ name: jobRuns.name })
    .from(jobRuns)
    .where(
      and(
        inArray(jobRuns.name, running),
        sql`${jobRuns.lastGeneration} >= ${g}`,
        or(isNull(jobRuns.leaseOwner), lt(jobRuns.leaseUntil, sql`clock_timestamp()`)),
      ),
    );
  const caughtUp = new Set(done.map((r) => r.name));
  return running.filter((n) => !caughtUp.has(n)).sort();
}

/** After the sandbox clock moves: every one-at-a-time job is due at once. */
export async function makeAllJobsDue(db: Db): Promise<void> {
  await db.update(jobRuns).set({ nextRunAt: sql`clock_timestamp()` });
}

export async function listJobRuns(db: Db, names?: string[]): Promise<JobRunRow[]> {
  return db
    .select()
    .from(jobRuns)
    .where(names ? inArray(jobRuns.name, names) : undefined)
    .orderBy(asc(jobRuns.name));
}

export const TEST_CLOCK_ID = 'sandbox';

export async function readTestClock(db: Db): Promise<TestClockRow | null> {
  const [row] = await db.select().from(testClock).where(eq(testClock.id, TEST_CLOCK_ID));
  return row ?? null;
}

/**
 * Moves the sandbox clock to `offsetMs` ahead of real time; it never moves back (the greater
 * offset wins when two advances race). The clock is ADVANCING until the scheduled jobs have all
 * run once at the new time (markTestClockReady).
 */
export async function advanceTestClockRow(db: Db, v: { offsetMs: number; by: string | null }) {
  const [row] = await db
    .insert(testClock)
    .values({
      id: TEST_CLOCK_ID,
      offsetMs: v.offsetMs,
      status: 'ADVANCING',
      advancedAt: sql`clock_timestamp()`,
      advancedBy: v.by,
      generation: 1,
    })
    .onConflictDoUpdate({
      target: testClock.id,
      set: {
        offsetMs: sql`greatest(${testClock.offsetMs}, excluded.offset_ms)`,
        status: 'ADVANCING',
        advancedAt: sql`clock_timestamp()`,
        advancedBy: v.by,
        generation: sql`${testClock.generation} + 1`,
      },
    })
    .returning();
  if (!row) throw new Error('the test clock row was not written');
  return row;
}

/** READY again, unless the clock was advanced once more meanwhile (then that advance's run decides). */
export async function markTestClockReady(db: Db, generation: number): Promise<boolean> {
  const rows = await db
    .update(testClock)
    .set({ status: 'READY' })
    .where(and(eq(testClock.id, TEST_CLOCK_ID), eq(testClock.generation, generation)))
    .returning({ id: testClock.id });
  return rows.length > 0;
}

/**
 * One-time codes past their life: PENDING checkouts whose code expired become EXPIRED and lose the
 * code's hash (nothing is left to guess against). Claimed with SKIP LOCKED, at most `limit`.
 */
export async function expirePendingCheckouts(db: Db, now: Date, limit: number): Promise<number> {
  const rows = await execRows<{ id: string }>(
    db,
    sql`update ${checkouts} set status = 'EXPIRED', otp_hash = ''
        where id in (
          select id from ${checkouts}
          where status = 'PENDING' and otp_expires_at < ${now.toISOString()}::timestamptz
          order by otp_expires_at
          limit ${limit}
          for update skip locked)
        returning id`,
  );
  return rows.length;
}

/**
 * Console sessions past their expiry by more than `keepMs` (a signed-out session keeps its row,
 * revoked, until then: the audit of who was signed in stays readable for a while).
 */
export async function deleteEndedStaffSessions(db: Db, now: Date, keepMs: number, limit: number) {
  const before = new Date(now.getTime() - keepMs).toISOString();
  const rows = await execRows<{ token_hash: string }>(
    db,
    sql`delete from ${staffSessions} where token_hash in (
          select token_hash from ${staffSessions}
          where expires_at < ${before}::timestamptz
          limit ${limit})
        returning token_hash`,
  );
  return rows.length;
}
