import { sql } from 'drizzle-orm';
import { type Database, type Db, execRows, openPostgres } from './client';

/*
 * A PostgreSQL streaming replica for reads that may lag (DATABASE_READ_URL; docs/operations.md,
 * "Read replicas"; ADR 0008). This module only knows whether the replica may serve right now; which
 * reads go to it is the API's business (packages/api, `reads: 'replica'` in a procedure's meta).
 *
 * A check every `checkEveryMs` (1 s) decides:
 * - down: the replica does not answer (or a read on it just failed as a dead server fails);
 * - schema-behind: it has not replayed the migrations this build applied to the primary yet;
 * - lagging: what it has replayed is more than `maxLagMs` older than the primary;
 * - up: it serves.
 * Anything but up sends the reads to the primary; nothing is ever refused for the replica's sake.
 *
 * How far behind: each check reads the primary's WAL insert position first, then the replica's
 * replay position. Each primary position is remembered with the time just before it was read
 * ("everything committed before `at` is at or below `lsn`"). The replica holds everything committed
 * before the newest remembered `at` whose `lsn` it has replayed; between two positions the time is
 * interpolated. A replica that has replayed the primary's position of this very check is 0 behind.
 * Unlike `now() - pg_last_xact_replay_timestamp()` alone, this does not call an idle primary's
 * replica late, and unlike the primary's `pg_stat_replication.replay_lag`, it keeps growing while
 * replay is paused or stuck.
 */

/**
 * The innermost message of an error chain: a failed query wraps the driver's error (`Failed query:
 * select …` around `connect ECONNREFUSED …`), and the operator needs the cause, not the SQL.
 */
export function rootMessage(err: unknown): string {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e instanceof Error && e.cause instanceof Error; depth++) e = e.cause;
  const m = e instanceof Error ? e.message : String(e);
  // AggregateError (every address of a host refused): its message is empty, its errors say why.
  if (!m && e instanceof AggregateError && e.errors[0] instanceof Error) return e.errors[0].message;
  return m;
}

export type ReplicaState = 'starting' | 'up' | 'lagging' | 'schema-behind' | 'down';

/**
 * Why a read meant for the replica went to the primary: the replica's state, `error` (it failed the
 * read) or `not-found` (it did not have the record yet: asked again of the primary).
 */
export type ReplicaFallback = 'starting' | 'lagging' | 'schema-behind' | 'down' | 'error' | 'not-found';

export type ReplicaStatus = {
  state: ReplicaState;
  /** Reads that may lag go to the replica now. */
  serving: boolean;
  /** How far behind the primary it was at the last check, in ms; null when unknown (down, starting). */
  lagMs: number | null;
  maxLagMs: number;
  /** Whether the server is a standby (false: DATABASE_READ_URL points at a primary). */
  standby: boolean | null;
  lastCheckAt: string | null;
  /** Why it is not up, when it is not. */
  reason: string | null;
  /** Reads routed since start: served by the replica, and sent to the primary instead (by reason). */
  reads: { replica: number; primary: Record<ReplicaFallback, number> };
};

export type ReplicaLog = {
  info: (obj: object, msg: string) => void;
  warn: (obj: object, msg: string) => void;
};

export type ReadReplica = {
  /** The replica's own handle (for its checks and for tests): use `current()` to route a read. */
  readonly db: Db;
  /**
   * Where a read that may lag goes now: the replica's handle while it is up, else null (read from
   * the primary). Counts the read either way.
   */
  current(): Db | null;
  /**
   * A read on the replica failed as an unusable replica fails (connection lost, conflict with
   * recovery, a table it has not replayed yet): the caller reads from the primary instead, and so
   * does every read until the next check finds the replica usable.
   */
  failed(err: unknown): void;
  /**
   * The replica answered NOT_FOUND and the primary is asked again (a course published a moment
   * ago, announced by a webhook, may not be on the replica yet): counted, nothing else changes.
   */
  missed(): void;
  /** Checks now (the gateway awaits one before it listens; tests call it instead of waiting). */
  check(): Promise<ReplicaStatus>;
  status(): ReplicaStatus;
  /** Stops checking and closes the replica's pool. */
  close(): Promise<void>;
};

/** `X/Y` (pg_lsn's text) as a number of bytes. */
export function lsnBytes(lsn: string): bigint {
  const [hi, lo] = lsn.split('/');
  return (BigInt(`0x${hi ?? '0'}`) << 32n) + BigInt(`0x${lo ?? '0'}`);
}

type Sample = { lsn: bigint; at: number };

/**
 * How long ago (ms, at `now`) the primary had written nothing beyond `replayed`, from its positions
 * sampled over time (oldest first). Null when the samples do not reach back that far: the replica is
 * at least `now - samples[0].at` behind then.
 */
export function lagFromSamples(samples: Sample[], replayed: bigint, now: number): number | null {
  const newest = samples.at(-1);
  if (!newest) return null;
  if (replayed >= newest.lsn) return 0;
  for (let i = samples.length - 2; i >= 0; i--) {
    const older = samples[i] as Sample;
    if (replayed < older.lsn) continue;
    const newer = samples[i + 1] as Sample;
    // Between two samples: interpolate on the WAL written meanwhile (steady writes assumed).
    const span = Number(newer.lsn - older.lsn);
    const part = span > 0 ? Number(replayed - older.lsn) / span : 0;
    const caughtUpTo = older.at + part * (newer.at - older.at);
    return Math.max(0, now - caughtUpTo);
  }
  return null;
}

export function openReadReplica(opts: {
  url: string;
  primary: Database;
  poolSize?: number;
  /** Behind the primary by more than this, the replica does not serve. */
  maxLagMs: number;
  /** Between checks (1 s by default). */
  checkEveryMs?: number;
  log: ReplicaLog;
}): Promise<ReadReplica> {
  return openPostgres(opts.url, {
    max: opts.poolSize ?? 8,
    // A replica that does not answer must not hold reads up: they go to the primary instead.
    connectionTimeoutMillis: 2_000,
    onIdleError: (err) => opts.log.warn({ err }, 'read replica: idle connection lost'),
  }).then((replica) => makeReadReplica(replica, opts));
}

function makeReadReplica(
  replica: Database,
  opts: { primary: Database; maxLagMs: number; checkEveryMs?: number; log: ReplicaLog },
): ReadReplica {
  const checkEveryMs = opts.checkEveryMs ?? 1_000;
  // Positions are kept long enough to measure a lag well past the limit.
  const keepMs = Math.max(4 * opts.maxLagMs, 30_000);
  const samples: Sample[] = [];
  let state: ReplicaState = 'starting';
  let lagMs: number | null = null;
  let standby: boolean | null = null;
  let lastCheckAt: string | null = null;
  let reason: string | null = 'not checked yet';
  let schemaCurrent = false;
  let warnedPrimary = false;
  const reads: ReplicaStatus['reads'] = {
    replica: 0,
    primary: { starting: 0, lagging: 0, 'schema-behind': 0, down: 0, error: 0, 'not-found': 0 },
  };

  const status = (): ReplicaStatus => ({
    state,
    serving: state === 'up',
    lagMs,
    maxLagMs: opts.maxLagMs,
    standby,
    lastCheckAt,
    reason,
    reads: { replica: reads.replica, primary: { ...reads.primary } },
  });

  const moveTo = (next: ReplicaState, why: string | null, extra: object = {}) => {
    const before = state;
    state = next;
    reason = why;
    if (before === next) return;
    const fields = { replicaState: next, previous: before, lagMs, maxLagMs: opts.maxLagMs, ...extra };
    if (next === 'up') opts.log.info(fields, 'read replica serving: reads that may lag go to it');
    else if (before !== 'starting' || next !== 'starting')
      opts.log.warn(fields, `read replica not serving (${why}): those reads go to the primary`);
  };

  async function primaryPosition(): Promise<void> {
    const at = Date.now();
    try {
      const [row] = await execRows<{ lsn: string }>(
        opts.primary.db,
        sql`select pg_current_wal_insert_lsn()::text as lsn`,
      );
      if (row) samples.push({ lsn: lsnBytes(row.lsn), at });
    } catch {
      // The primary is away: the replica is as fresh as anything can be; judge it by what we have.
    }
    while (samples.length > 1 && (samples[0] as Sample).at < at - keepMs) samples.shift();
  }

  let running: Promise<ReplicaStatus> | null = null;
  async function checkOnce(): Promise<ReplicaStatus> {
    await primaryPosition();
    try {
      const [row] = await execRows<{
        standby: boolean;
        replayed: string | null;
        replay_age_ms: number | null;
      }>(
        replica.db,
        sql`select pg_is_in_recovery() as standby,
                   pg_last_wal_replay_lsn()::text as replayed,
                   (extract(epoch from now() - pg_last_xact_replay_timestamp()) * 1000)::float8 as replay_age_ms`,
      );
      if (!row) throw new Error('the replica answered no row');
      lastCheckAt = new Date().toISOString();
      standby = row.standby;
      if (!row.standby) {
        // Not a standby (a primary, or a promoted one): nothing to measure; it is as fresh as it gets.
        if (!warnedPrimary)
          opts.log.warn(
            {},
            'DATABASE_READ_URL is not a standby (pg_is_in_recovery() is false): reads that may lag go to it as they would to a replica',
          );
        warnedPrimary = true;
        lagMs = 0;
      } else {
        const replayed = row.replayed === null ? 0n : lsnBytes(row.replayed);
        const now = Date.now();
        const measured = lagFromSamples(samples, replayed, now);
        // Older than every position kept: at least that far behind, and as far as its last replayed
        // commit says (which overstates the lag of an idle primary's replica: the safe side).
        const oldest = samples[0];
        lagMs =
          measured ??
          Math.max(oldest ? now - oldest.at : 0, row.replay_age_ms === null ? 0 : Number(row.replay_age_ms));
      }
      if (!schemaCurrent) schemaCurrent = await replica.migrationsCurrent();
      if (!schemaCurrent) moveTo('schema-behind', 'it has not replayed the latest migration yet');
      else if (lagMs > opts.maxLagMs)
        moveTo('lagging', `${Math.round(lagMs)} ms behind the primary, over ${opts.maxLagMs} ms`);
      else moveTo('up', null);
    } catch (err) {
      lastCheckAt = new Date().toISOString();
      lagMs = null;
      moveTo('down', `unreachable: ${rootMessage(err)}`, { err });
    }
    return status();
  }

  const check = () => {
    running ??= checkOnce().finally(() => {
      running = null;
    });
    return running;
  };
  const timer = setInterval(() => void check(), checkEveryMs);
  timer.unref();

  return {
    db: replica.db,
    current() {
      if (state === 'up') {
        reads.replica++;
        return replica.db;
      }
      reads.primary[state === 'starting' ? 'starting' : state]++;
      return null;
    },
    failed(err) {
      // The read that failed is answered by the primary: counted there, not as served here.
      reads.replica--;
      reads.primary.error++;
      lagMs = null;
      moveTo('down', `a read failed: ${(err as Error)?.message ?? String(err)}`, { err });
    },
    missed() {
      reads.replica--;
      reads.primary['not-found']++;
    },
    check,
    status,
    close: async () => {
      clearInterval(timer);
      await running?.catch(() => undefined);
      await replica.close();
    },
  };
}
