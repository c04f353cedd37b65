import {
  attachMonth,
  type Db,
  detachMonth,
  listAttachedPartitions,
  lockForDetach,
  type Month,
  PARTITIONED_TABLES,
  type PartitionedTable,
  partitionBlockers,
  partitionContents,
  setLocalLockTimeout,
  strayMonths,
} from '@latih/db';

/*
 * The month partitions of events, audit_log and attendance (migration 0035, docs/adr/0007): kept
 * ahead by the partitions.maintain job, detached for archiving by `npm run partitions -- detach`.
 */

/** How many months after the current one the job keeps made in advance. */
export const PARTITION_MONTHS_AHEAD = 3;

/**
 * How long each table is kept attached, in whole months before the current one (the current month
 * is always kept). Documented in docs/operations.md (Partitions) and docs/adr/0007:
 * - events: the feed's retention (events.list and webhook replays), 12 months; a cursor older than
 *   that is answered EVENTS_CURSOR_EXPIRED.
 * - audit_log: 5 years, the program's retention rule for its audit trail.
 * - attendance: 5 years, as the audit log: it is the evidence behind completions and payouts.
 */
export const PARTITION_RETENTION_MONTHS: Record<PartitionedTable, number> = {
  events: 12,
  audit_log: 60,
  attendance: 60,
};

export function monthOf(at: Date): Month {
  return `${at.getUTCFullYear()}-${String(at.getUTCMonth() + 1).padStart(2, '0')}-01`;
}

export function addMonths(month: Month, n: number): Month {
  const d = new Date(`${month}T00:00:00Z`);
  d.setUTCMonth(d.getUTCMonth() + n);
  return monthOf(d);
}

export type MaintainResult = { created: number; moved: number; archivedStray: number };

/**
 * Makes the months from the current one to PARTITION_MONTHS_AHEAD ahead, for the program's clock
 * and the real time (keys carry either: event ids the real time, enrollment ids the program's),
 * and moves the rows that landed in a default partition into their month. Each month is a short
 * transaction of its own that waits at most `lockTimeoutMs` for a lock (the attach takes SHARE
 * UPDATE EXCLUSIVE on the table, which writes do not conflict with; the default partition's ACCESS
 * EXCLUSIVE while it is checked): a month not made now is made on the next run.
 */
export async function maintainPartitions(opts: {
  db: Db;
  now: Date;
  monthsAhead?: number;
  lockTimeoutMs?: number;
}): Promise<MaintainResult> {
  const ahead = opts.monthsAhead ?? PARTITION_MONTHS_AHEAD;
  const wanted = new Set<Month>();
  for (const at of [opts.now, new Date()])
    for (let i = 0; i <= ahead; i++) wanted.add(addMonths(monthOf(at), i));
  const result: MaintainResult = { created: 0, moved: 0, archivedStray: 0 };
  for (const { table } of PARTITIONED_TABLES) {
    const stray = await strayMonths(opts.db, table);
    const months = new Map<Month, number>([...wanted].map((m) => [m, 0]));
    for (const s of stray) months.set(s.month, s.rows);
    for (const [month, rows] of [...months].sort(([a], [b]) => a.localeCompare(b))) {
      const r = await opts.db.transaction(async (tx) => {
        await setLocalLockTimeout(tx, opts.lockTimeoutMs ?? 5_000);
        return attachMonth(tx, table, month);
      });
      if (r.status === 'created') {
        result.created++;
        result.moved += r.moved;
      } else if (r.status === 'archived') result.archivedStray += rows;
    }
  }
  return result;
}

export type DetachOutcome = {
  table: PartitionedTable;
  partition: string;
  month: Month;
  status: 'DETACHED' | 'WOULD_DETACH' | 'REFUSED';
  /** Exact, for the months examined; null for those refused before (retention, an older refusal). */
  rows: number | null;
  reasons: string[];
};

/**
 * Detaches the month partitions older than `before` (a month, `YYYY-MM`), oldest first, that the
 * program no longer needs attached: past the table's retention (PARTITION_RETENTION_MONTHS), and
 * holding nothing still in use (events not yet fanned out or with deliveries still pending;
 * attendance of enrollments still in training). Per table it stops at the first month refused, so
 * what stays attached is always a run of whole months up to now (the feed's retention is a single
 * point). A detached month stays in the database as a table of its own, to be archived (pg_dump)
 * and dropped by the operator (docs/operations.md, Partitions). With `dryRun`, nothing changes.
 */
export async function detachPartitions(opts: {
  db: Db;
  now: Date;
  before: Month;
  tables?: PartitionedTable[];
  dryRun?: boolean;
  lockTimeoutMs?: number;
}): Promise<DetachOutcome[]> {
  const attached = await listAttachedPartitions(opts.db);
  const out: DetachOutcome[] = [];
  for (const { table } of PARTITIONED_TABLES) {
    if (opts.tables && !opts.tables.includes(table)) continue;
    const keepFrom = addMonths(monthOf(opts.now), -PARTITION_RETENTION_MONTHS[table]);
    const candidates = attached
      .filter((p) => p.table === table && p.month !== null && p.month < opts.before)
      .sort((a, b) => (a.month ?? '').localeCompare(b.month ?? ''));
    let stopped = false;
    for (const p of candidates) {
      const month = p.month as Month;
      const base = { table, partition: p.partition, month };
      if (stopped) {
        out.push({
          ...base,
          status: 'REFUSED',
          rows: null,
          reasons: ['an older month was refused'],
        });
        continue;
      }
      if (month >= keepFrom) {
        out.push({
          ...base,
          status: 'REFUSED',
          rows: null,
          reasons: [
            `within the retention of ${table} (${PARTITION_RETENTION_MONTHS[table]} months: kept from ${keepFrom.slice(0, 7)})`,
          ],
        });
        stopped = true;
        continue;
      }
      // Old months get no new rows (their keys' time is past), so what is counted here stays true.
      const contents = await partitionContents(opts.db, table, p.partition);
      const outcome = await opts.db.transaction(async (tx) => {
        // The lock first, then the checks: nothing can change what they read until the commit.
        if (!opts.dryRun) await lockForDetach(tx, table, opts.lockTimeoutMs ?? 5_000);
        const reasons = await partitionBlockers(tx, table, p.partition, month);
        if (reasons.length > 0) return { ...base, status: 'REFUSED' as const, rows: contents.rows, reasons };
        if (opts.dryRun) return { ...base, status: 'WOULD_DETACH' as const, rows: contents.rows, reasons };
        await detachMonth(tx, { table, partition: p.partition, month, ...contents, at: new Date() });
        return { ...base, status: 'DETACHED' as const, rows: contents.rows, reasons };
      });
      out.push(outcome);
      if (outcome.status === 'REFUSED') stopped = true;
    }
  }
  return out;
}
