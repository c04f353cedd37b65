import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import {
  claimJobLease,
  type Db,
  ensureJobRows,
  finishJobLease,
  heartbeatJobInstance,
  type JobRunRow,
  jobsBehindGeneration,
  listJobRuns,
  markTestClockReady,
  recordJobPass,
  removeJobInstance,
  renewJobLease,
} from '@latih/db';
import { type ProgramClock, TestClock } from '../clock';

/**
 * How a job stays correct when several gateways and workers run the schedule at once:
 * - `every-instance`: every instance runs it; its work is claimed row by row (FOR UPDATE SKIP
 *   LOCKED, conditional updates, leases on rows), so instances share the work and never double it;
 * - `one-at-a-time`: one instance at a time holds the job's lease in `job_runs` and the job runs at
 *   most once per interval across all of them (the lease and `next_run_at` use the database's time).
 */
export type JobMode = 'every-instance' | 'one-at-a-time';

export type JobResult = {
  /** It stopped at its batch limit: run again at once instead of after the interval. */
  busy?: boolean;
  /** What it did, for the log and the operator's view (numbers only). */
  summary?: Record<string, number>;
};

export type JobLog = {
  info: (obj: object, msg: string) => void;
  warn: (obj: object, msg: string) => void;
  debug?: (obj: object, msg: string) => void;
};

export type JobDefinition<D> = {
  name: string;
  /** Pause between runs, in real milliseconds. */
  everyMs: number;
  mode: JobMode;
  /** One line on how it runs once across instances (docs and the operator's view). */
  once: string;
  description: string;
  /** one-at-a-time: how long a run may hold the job before another instance may take it over. */
  leaseMs?: number;
  /** False where the host lacks what it needs (no payment provider configured). */
  enabled?: (deps: D) => boolean;
  /** What `enabled` waits for, as the operations page says it (default: a payment provider). */
  needs?: string;
  run: (ctx: { deps: D; now: Date; log: JobLog }) => Promise<JobResult | undefined>;
};

export type JobStatus = {
  name: string;
  mode: JobMode;
  everyMs: number;
  once: string;
  description: string;
  /** Whether this instance runs it. */
  runsHere: boolean;
  running: boolean;
  lastStartedAt: string | null;
  lastFinishedAt: string | null;
  lastDurationMs: number | null;
  lastInstance: string | null;
  /** Program time at the last start (differs from lastStartedAt under a test clock). */
  lastClockAt: string | null;
  lastSummary: Record<string, number> | null;
  /** How late the job is against its interval (0 when on time; null before its first run). */
  lagMs: number | null;
  lastFailureAt: string | null;
  lastFailure: string | null;
  runs: number;
  failures: number;
};

export type JobRunReport =
  | { ran: false; reason: 'not due or held elsewhere' }
  | { ran: true; ok: true; durationMs: number; result: JobResult }
  | { ran: true; ok: false; durationMs: number; error: string };

export type SchedulerOptions<D> = {
  db: Db;
  clock: ProgramClock;
  jobs: readonly JobDefinition<D>[];
  deps: D;
  log: JobLog;
  instanceId?: string;
  /** Interval overrides by job name; 0 switches the job off on this instance. */
  intervals?: Readonly<Record<string, number>>;
  /** Run only these jobs (names); all when omitted. */
  only?: readonly string[];
  /** How often the loop looks for due jobs. Default 250 ms. */
  tickMs?: number;
  /** How often a one-at-a-time job asks the database whether it is due. Default 5 s (or its interval). */
  pollMs?: number;
};

/** A run renews its lease every third of it: an instance that dies loses its jobs within a minute. */
const DEFAULT_LEASE_MS = 60_000;
/** Every scheduler says it is alive this often; one unheard of for LIVE_MS is gone. */
const HEARTBEAT_MS = 5_000;
/** Kept equal to clock.ts's LIVE_MS (the clock's view of who runs the schedule). */
export const SCHEDULER_LIVE_MS = 20_000;

type Slot<D> = {
  def: JobDefinition<D>;
  everyMs: number;
  nextAt: number;
  running: Promise<JobRunReport> | null;
};

export type Scheduler = {
  readonly instanceId: string;
  /** The jobs this instance runs, in schedule order. */
  readonly jobNames: readonly string[];
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Runs one job now through the same path as the schedule (its lease included). */
  runNow(name: string, opts?: { force?: boolean }): Promise<JobRunReport>;
  /** Every declared job with its last run (on any instance), for readiness and the logs. */
  status(): Promise<JobStatus[]>;
};

function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

function iso(d: Date | null): string | null {
  return d ? d.toISOString() : null;
}

export function createScheduler<D>(opts: SchedulerOptions<D>): Scheduler {
  const instanceId = opts.instanceId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const tickMs = opts.tickMs ?? 250;
  const pollMs = opts.pollMs ?? 5_000;
  const slots: Slot<D>[] = [];
  for (const def of opts.jobs) {
    if (opts.only && !opts.only.includes(def.name)) continue;
    const everyMs = opts.intervals?.[def.name] ?? def.everyMs;
    if (everyMs <= 0) continue;
    if (def.enabled && !def.enabled(opts.deps)) continue;
    slots.push({ def, everyMs, nextAt: 0, running: null });
  }
  const byName = new Map(slots.map((s) => [s.def.name, s]));
  const testClock = opts.clock instanceof TestClock ? opts.clock : null;

  let stopped = true;
  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<void> = Promise.resolve();
  let seenGeneration = -1;
  let catchingUp: Promise<void> | null = null;
  /** The last sandbox clock generation this instance has run all its jobs for. */
  let caughtUpGeneration = -1;
  let lastHeartbeat = 0;
  const heartbeat = () =>
    heartbeatJobInstance(opts.db, {
      id: instanceId,
      jobs: slots.map((s) => s.def.name),
      host: hostname(),
      pid: process.pid,
    }).then(() => {
      lastHeartbeat = Date.now();
    });

  const pollOf = (slot: Slot<D>) => Math.min(slot.everyMs, pollMs);

  /** `force`: due or not; a number: a catch-up of that clock generation (skipped if already run since). */
  async function runSlot(slot: Slot<D>, force: boolean | number): Promise<JobRunReport> {
    const { def } = slot;
    const started = Date.now();
    const clockAt = new Date(opts.clock.now());
    const generation = testClock?.generation ?? 0;
    const leaseMs = def.leaseMs ?? DEFAULT_LEASE_MS;
    let heartbeat: NodeJS.Timeout | undefined;
    if (def.mode === 'one-at-a-time') {
      const claimed = await claimJobLease(opts.db, {
        name: def.name,
        owner: instanceId,
        leaseMs,
        clockAt,
        generation,
        everyMs: slot.everyMs,
        ...(typeof force === 'number' ? { behindGeneration: force } : { force }),
      });
      if (!claimed) {
        slot.nextAt = Date.now() + pollOf(slot);
        return { ran: false, reason: 'not due or held elsewhere' };
      }
      heartbeat = setInterval(
        () => {
          renewJobLease(opts.db, { name: def.name, owner: instanceId, leaseMs }).catch((err: unknown) =>
            opts.log.warn({ err, job: def.name }, 'could not renew a job lease'),
          );
        },
        Math.max(1_000, Math.floor(leaseMs / 3)),
      );
      heartbeat.unref();
    }
    let report: JobRunReport;
    try {
      const result = (await def.run({ deps: opts.deps, now: clockAt, log: opts.log })) ?? {};
      report = { ran: true, ok: true, durationMs: Date.now() - started, result };
    } catch (err) {
      report = { ran: true, ok: false, durationMs: Date.now() - started, error: errorText(err) };
      opts.log.warn({ err, job: def.name, instance: instanceId }, `job ${def.name} failed`);
    } finally {
      if (heartbeat) clearInterval(heartbeat);
    }
    const outcome = report.ok
      ? { ok: true as const, durationMs: report.durationMs, summary: report.result.summary ?? null }
      : { ok: false as const, durationMs: report.durationMs, error: report.error };
    const busy = report.ok && report.result.busy === true;
    try {
      if (def.mode === 'one-at-a-time')
        await finishJobLease(opts.db, {
          name: def.name,
          owner: instanceId,
          nextInMs: busy ? 0 : slot.everyMs,
          outcome,
        });
      else
        await recordJobPass(opts.db, {
          name: def.name,
          instance: instanceId,
          startedAt: new Date(started),
          clockAt,
          generation,
          outcome,
        });
    } catch (err) {
      opts.log.warn({ err, job: def.name }, 'could not record a job run');
    }
    slot.nextAt = Date.now() + (busy ? 0 : def.mode === 'one-at-a-time' ? pollOf(slot) : slot.everyMs);
    if (report.ok) {
      const summary = report.result.summary ?? {};
      const did = Object.values(summary).some((v) => v !== 0);
      const line = { job: def.name, durationMs: report.durationMs, ...summary };
      if (did) opts.log.info(line, `job ${def.name}`);
      else opts.log.debug?.(line, `job ${def.name}`);
    }
    return report;
  }

  /** Never two runs of one job at once on this instance: a second caller waits for the first. */
  async function runExclusive(slot: Slot<D>, force: boolean | number): Promise<JobRunReport> {
    while (slot.running) await slot.running.catch(() => undefined);
    const p = runSlot(slot, force);
    slot.running = p;
    try {
      return await p;
    } finally {
      if (slot.running === p) slot.running = null;
    }
  }

  /**
   * After the sandbox clock moved (generation `g`): this instance runs each of its jobs once at the
   * new time, in schedule order — runs start, vouchers expire before balances do, the day's batch
   * is made before payouts are paid, events go out last. A one-at-a-time job another instance has
   * already run since the advance is skipped; one held elsewhere is waited for. Every instance does
   * its part; the clock turns READY once no job a live scheduler runs is behind the advance.
   */
  async function catchUp(g: number): Promise<void> {
    const started = Date.now();
    const failed: string[] = [];
    const ranSince = async (name: string) =>
      ((await listJobRuns(opts.db, [name]))[0]?.lastGeneration ?? 0) >= g;
    for (const slot of slots) {
      if (stopped || (testClock?.generation ?? g) !== g) return;
      if (slot.def.mode === 'one-at-a-time' && (await ranSince(slot.def.name))) continue;
      let report = await runExclusive(slot, g);
      // Held by another instance right now: wait for it, then run unless it already ran at the new time.
      for (let waited = 0; !report.ran && waited < 60_000 && !stopped; waited += 200) {
        await new Promise((r) => setTimeout(r, 200));
        if (await ranSince(slot.def.name)) break;
        report = await runExclusive(slot, g);
      }
      if (report.ran && !report.ok) failed.push(slot.def.name);
    }
    caughtUpGeneration = g;
    opts.log.info(
      {
        generation: g,
        durationMs: Date.now() - started,
        failed,
        clock: new Date(opts.clock.now()).toISOString(),
      },
      'sandbox clock: this instance ran its jobs at the new time',
    );
    await markReadyIfCaughtUp(g);
  }

  async function markReadyIfCaughtUp(g: number): Promise<void> {
    const behind = await jobsBehindGeneration(opts.db, g, SCHEDULER_LIVE_MS);
    if (behind.length === 0 && (await markTestClockReady(opts.db, g)))
      opts.log.info({ generation: g }, 'sandbox clock READY: every running job has run at the new time');
  }

  async function tick(): Promise<void> {
    if (testClock) {
      try {
        await testClock.refresh();
      } catch (err) {
        opts.log.warn({ err }, 'could not read the sandbox clock');
      }
      const generation = testClock.generation;
      if (generation !== seenGeneration) {
        // The clock moved: everything this instance runs is due now.
        if (seenGeneration >= 0) for (const s of slots) s.nextAt = 0;
        seenGeneration = generation;
      }
      if (testClock.state?.status === 'ADVANCING' && !catchingUp && slots.length > 0) {
        catchingUp = (
          caughtUpGeneration === generation ? markReadyIfCaughtUp(generation) : catchUp(generation)
        )
          .catch((err: unknown) => opts.log.warn({ err }, 'sandbox clock catch-up failed'))
          .finally(() => {
            catchingUp = null;
          });
      }
    }
    if (slots.length > 0 && Date.now() - lastHeartbeat >= HEARTBEAT_MS)
      await heartbeat().catch((err: unknown) => opts.log.warn({ err }, 'scheduler heartbeat failed'));
    const now = Date.now();
    for (const slot of slots) {
      if (slot.running || now < slot.nextAt || stopped) continue;
      void runExclusive(slot, false).catch((err: unknown) =>
        opts.log.warn({ err, job: slot.def.name }, `job ${slot.def.name} could not run`),
      );
    }
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      ticking = tick().finally(schedule);
    }, tickMs);
    timer.unref();
  }

  return {
    instanceId,
    jobNames: slots.map((s) => s.def.name),
    async start() {
      if (!stopped) return;
      await ensureJobRows(
        opts.db,
        opts.jobs.map((j) => j.name),
      );
      if (slots.length > 0) await heartbeat();
      const now = Date.now();
      for (const slot of slots)
        slot.nextAt = now + (slot.def.mode === 'one-at-a-time' ? pollOf(slot) : slot.everyMs);
      if (testClock) {
        await testClock.refresh().catch(() => undefined);
        seenGeneration = testClock.generation;
      }
      stopped = false;
      schedule();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await ticking.catch(() => undefined);
      await Promise.all(slots.map((s) => s.running?.catch(() => undefined)));
      await catchingUp;
      // Gone at once, not after SCHEDULER_LIVE_MS: an advance does not wait for this instance.
      if (slots.length > 0) await removeJobInstance(opts.db, instanceId).catch(() => undefined);
    },
    async runNow(name, runOpts = {}) {
      const slot = byName.get(name);
      if (!slot) throw new Error(`job ${name} does not run on this instance`);
      return runExclusive(slot, runOpts.force ?? false);
    },
    async status() {
      const rows = new Map<string, JobRunRow>((await listJobRuns(opts.db)).map((r) => [r.name, r]));
      const now = Date.now();
      return opts.jobs.map((def) => {
        const slot = byName.get(def.name);
        const row = rows.get(def.name);
        const everyMs = slot?.everyMs ?? def.everyMs;
        const leased = row?.leaseUntil ? row.leaseUntil.getTime() > now : false;
        let lagMs: number | null = null;
        if (def.mode === 'one-at-a-time' && row?.nextRunAt && !leased)
          lagMs = Math.max(0, now - row.nextRunAt.getTime());
        else if (row?.lastStartedAt) lagMs = Math.max(0, now - row.lastStartedAt.getTime() - everyMs);
        if (leased) lagMs = 0;
        return {
          name: def.name,
          mode: def.mode,
          everyMs,
          once: def.once,
          description: def.description,
          runsHere: slot !== undefined,
          running: slot?.running != null,
          lastStartedAt: iso(row?.lastStartedAt ?? null),
          lastFinishedAt: iso(row?.lastFinishedAt ?? null),
          lastDurationMs: row?.lastDurationMs ?? null,
          lastInstance: row?.lastInstance ?? null,
          lastClockAt: iso(row?.lastClockAt ?? null),
          lastSummary: row?.lastSummary ?? null,
          lagMs,
          lastFailureAt: iso(row?.lastFailureAt ?? null),
          lastFailure: row?.lastFailure ?? null,
          runs: row?.runs ?? 0,
          failures: row?.failures ?? 0,
        };
      });
    },
  };
}
