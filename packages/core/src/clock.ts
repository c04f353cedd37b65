import { AppError, type TTestClock } from '@latih/contracts';
import {
  advanceTestClockRow,
  type Db,
  jobsBehindGeneration,
  liveJobInstances,
  makeAllJobsDue,
  readTestClock,
  type TestClockRow,
} from '@latih/db';
import { type Actor, actorRef } from './auth/actor';
import { recordChange } from './changes';

/**
 * The program's time: what every time-based rule (redemption windows, expiry, the daily
 * settlement, incentive instalments, runs starting and finishing) and every scheduled job reads.
 * In production it is the real time. In a sandbox it may be a test clock that partners move forward
 * through the API (Stripe's test clocks are the model): real time plus an offset that only grows,
 * kept in the database so that every gateway and worker on it agrees.
 *
 * Security never reads it: tokens, console sessions, webhook signatures and leases use real time,
 * so moving the clock cannot expire a token or make a signature look old.
 */
export interface ProgramClock {
  readonly kind: 'system' | 'test';
  /** Milliseconds since the epoch, now, in program time. Synchronous: reads the last refresh. */
  now(): number;
  /** Re-reads the shared offset (a test clock); a no-op for the real clock. */
  refresh(): Promise<void>;
}

export const systemClock: ProgramClock = {
  kind: 'system',
  now: () => Date.now(),
  refresh: async () => {},
};

/** How far one advance may move the clock: far enough for a scheme's whole cycle, no further. */
export const TEST_CLOCK_MAX_ADVANCE_MS = 400 * 86_400_000;

export class TestClock implements ProgramClock {
  readonly kind = 'test' as const;
  private offsetMs = 0;
  private row: TestClockRow | null = null;

  constructor(private readonly db: Db) {}

  now(): number {
    return Date.now() + this.offsetMs;
  }

  /** The state read last (null before the clock was ever advanced). */
  get state(): TestClockRow | null {
    return this.row;
  }

  get generation(): number {
    return this.row?.generation ?? 0;
  }

  async refresh(): Promise<void> {
    this.apply(await readTestClock(this.db));
  }

  /** Takes a row read or written elsewhere; the offset never goes back. */
  apply(row: TestClockRow | null): void {
    if (!row) return;
    if (!this.row || row.generation >= this.row.generation) this.row = row;
    this.offsetMs = Math.max(this.offsetMs, row.offsetMs);
  }

  view(jobs: { schedulers: number; pendingJobs: string[] }): TTestClock {
    return {
      now: new Date(this.now()).toISOString(),
      offsetSeconds: Math.round(this.offsetMs / 1000),
      status: this.row?.status ?? 'READY',
      advancedAt: this.row?.advancedAt?.toISOString() ?? null,
      ...jobs,
    };
  }
}

/** Must match the scheduler's SCHEDULER_LIVE_MS (jobs/scheduler.ts imports this module). */
const LIVE_MS = 20_000;

/** Who runs the schedule now and, while the clock is ADVANCING, which of their jobs are behind. */
async function scheduleProgress(db: Db, clock: TestClock) {
  const live = await liveJobInstances(db, LIVE_MS);
  const pendingJobs =
    clock.state?.status === 'ADVANCING' ? await jobsBehindGeneration(db, clock.generation, LIVE_MS) : [];
  return { schedulers: live.length, pendingJobs };
}

/** The sandbox clock as the API shows it; TEST_CLOCK_DISABLED where there is none (production). */
export async function getTestClock(opts: { db: Db; clock: ProgramClock }): Promise<TTestClock> {
  const clock = requireTestClock(opts.clock);
  await clock.refresh();
  return clock.view(await scheduleProgress(opts.db, clock));
}

function requireTestClock(clock: ProgramClock): TestClock {
  if (!(clock instanceof TestClock)) throw new AppError('TEST_CLOCK_DISABLED');
  return clock;
}

/**
 * Moves the sandbox clock forward, to an instant or by a number of seconds. Every one-at-a-time
 * job becomes due at once and the schedulers run every job once at the new time (in schedule
 * order); the clock answers ADVANCING until that has happened, then READY. Audited.
 */
export async function advanceTestClock(opts: {
  db: Db;
  clock: ProgramClock;
  actor: Actor;
  requestId: string | null;
  input: { to?: string | undefined; seconds?: number | undefined };
}): Promise<TTestClock> {
  const clock = requireTestClock(opts.clock);
  // Read through the caller's handle, not the clock's own: with an Idempotency-Key this runs inside
  // the idempotency transaction, and a query on another handle deadlocks PGlite for good.
  clock.apply(await readTestClock(opts.db));
  const from = clock.now();
  const { to, seconds } = opts.input;
  if ((to === undefined) === (seconds === undefined))
    throw new AppError('VALIDATION_FAILED', { message: 'Give either `to` or `seconds`.', field: 'to' });
  const target = to !== undefined ? Date.parse(to) : from + (seconds ?? 0) * 1000;
  if (!(target > from))
    throw new AppError('TEST_CLOCK_BACKWARDS', {
      message: `The sandbox clock is at ${new Date(from).toISOString()}; it only moves forward.`,
      field: to !== undefined ? 'to' : 'seconds',
    });
  if (target - from > TEST_CLOCK_MAX_ADVANCE_MS)
    throw new AppError('VALIDATION_FAILED', {
      message: 'One advance moves the clock at most 400 days.',
      field: to !== undefined ? 'to' : 'seconds',
    });
  const row = await opts.db.transaction(async (tx) => {
    const written = await advanceTestClockRow(tx, {
      offsetMs: target - Date.now(),
      by: opts.actor.organisationId,
    });
    await makeAllJobsDue(tx);
    await recordChange(tx, {
      actor: actorRef(opts.actor, opts.requestId),
      action: 'sandbox.clock_advanced',
      entityType: 'test_clock',
      entityId: written.id,
      fromState: new Date(from).toISOString(),
      toState: new Date(Date.now() + written.offsetMs).toISOString(),
      auditData: { generation: written.generation },
    });
    return written;
  });
  clock.apply(row);
  return clock.view(await scheduleProgress(opts.db, clock));
}
