import { sql } from 'drizzle-orm';
import { type Db, execRows } from '../client';

/*
 * The month partitions of the tables that grow forever (migration 0035, docs/adr/0007): each is
 * range-partitioned by a key holding a ULID (`<prefix>_<ULID>`), one partition per month of the
 * ULID's time (UTC) named `<table>_<yyyy>_<mm>`, and a `<table>_default` partition for anything
 * else. The SQL functions latih_attach_month and latih_month_of_key (0035) do the work on both
 * engines; these functions call them.
 */

export const PARTITIONED_TABLES = [
  { table: 'events', key: 'id', prefix: 'evt' },
  { table: 'audit_log', key: 'id', prefix: 'aud' },
  { table: 'attendance', key: 'enrollment_id', prefix: 'enr' },
] as const;

export type PartitionedTable = (typeof PARTITIONED_TABLES)[number]['table'];

/** A month as `YYYY-MM-01` (the first day, UTC). */
export type Month = string;

export function tableSpec(table: PartitionedTable) {
  const spec = PARTITIONED_TABLES.find((t) => t.table === table);
  if (!spec) throw new Error(`${table} is not partitioned by month`);
  return spec;
}

export function partitionName(table: PartitionedTable, month: Month): string {
  return `${table}_${month.slice(0, 4)}_${month.slice(5, 7)}`;
}

/** Identifiers below come from PARTITIONED_TABLES and partitionName only, never from input. */
const ident = (name: string) => sql.raw(`"${name.replaceAll('"', '""')}"`);

export type PartitionInfo = {
  table: PartitionedTable;
  partition: string;
  /** null for the default partition. */
  month: Month | null;
  /** The planner's estimate (exact right after the migration or an ANALYZE); 0 when unknown. */
  estimatedRows: number;
};

/** Every attached partition of the month-partitioned tables, oldest month first, default last. */
export async function listAttachedPartitions(db: Db): Promise<PartitionInfo[]> {
  const rows = await execRows<{
    parent: string;
    partition: string;
    est: number | string;
    is_default: boolean;
  }>(
    db,
    sql`select p.relname as parent, c.relname as partition, greatest(c.reltuples, 0)::bigint as est,
               pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT' as is_default
          from pg_inherits i
          join pg_class c on c.oid = i.inhrelid
          join pg_class p on p.oid = i.inhparent
         where p.relname in ('events', 'audit_log', 'attendance')
           and p.relnamespace = 'public'::regnamespace
         order by p.relname, c.relname`,
  );
  return rows.map((r) => {
    const m = /_(\d{4})_(\d{2})$/.exec(r.partition);
    return {
      table: r.parent as PartitionedTable,
      partition: r.partition,
      month: r.is_default || !m ? null : `${m[1]}-${m[2]}-01`,
      estimatedRows: Number(r.est),
    };
  });
}

/**
 * Attaches the month's partition of `table` if it is not there yet, first moving into it any row
 * of that month found in the default partition (`moved`). 'archived': the month was detached for
 * archiving and is not made again (its rows, should any arrive, stay in the default partition).
 */
export async function attachMonth(
  db: Db,
  table: PartitionedTable,
  month: Month,
): Promise<{ status: 'created' | 'exists' | 'archived'; moved: number }> {
  const s = tableSpec(table);
  const rows = await execRows<{ status: 'created' | 'exists' | 'archived'; moved: number | string }>(
    db,
    sql`select status, moved from latih_attach_month(${s.table}, ${s.key}, ${s.prefix}, ${month}::date)`,
  );
  return { status: rows[0]?.status ?? 'exists', moved: Number(rows[0]?.moved ?? 0) };
}

/**
 * The months of the ULID keys in the default partition, with how many rows each (a skip scan of
 * the key's index: one probe per month). Keys of another shape are never in a month.
 */
export async function strayMonths(
  db: Db,
  table: PartitionedTable,
): Promise<{ month: Month; rows: number }[]> {
  const s = tableSpec(table);
  const def = ident(`${s.table}_default`);
  const key = ident(s.key);
  const pattern = `^${s.prefix}_[0-9a-hjkmnp-tv-z]{26}$`;
  const rows = await execRows<{ month: string | Date; n: number | string }>(
    db,
    sql`with recursive months(m) as (
          select latih_month_of_key(${s.prefix}, (select ${key} from ${def} where ${key} ~ ${pattern} order by ${key} limit 1))
          union all
          select latih_month_of_key(${s.prefix}, (
                   select ${key} from ${def}
                    where ${key} >= latih_month_bound(${s.prefix}, (m + interval '1 month')::date) and ${key} ~ ${pattern}
                    order by ${key} limit 1))
            from months where m is not null)
        select to_char(m, 'YYYY-MM-DD') as month,
               (select count(*) from ${def}
                 where ${key} >= latih_month_bound(${s.prefix}, m)
                   and ${key} < latih_month_bound(${s.prefix}, (m + interval '1 month')::date)) as n
          from months where m is not null`,
  );
  return rows.map((r) => ({ month: String(r.month).slice(0, 10), rows: Number(r.n) }));
}

/** Exact rows of one partition, and for events the last feed position it holds. */
export async function partitionContents(
  db: Db,
  table: PartitionedTable,
  partition: string,
): Promise<{ rows: number; feedXid: string | null; feedSeq: number | null }> {
  const [count] = await execRows<{ n: number | string }>(
    db,
    sql`select count(*) as n from ${ident(partition)}`,
  );
  if (table !== 'events') return { rows: Number(count?.n ?? 0), feedXid: null, feedSeq: null };
  const [last] = await execRows<{ xid: string; seq: number | string }>(
    db,
    sql`select e.xid::text as xid, e.seq from ${ident(partition)} e order by e.xid desc, e.seq desc limit 1`,
  );
  return {
    rows: Number(count?.n ?? 0),
    feedXid: last ? String(last.xid) : null,
    feedSeq: last ? Number(last.seq) : null,
  };
}

/** What, in a month partition, still needs it attached (empty: nothing). Read inside the detach. */
export async function partitionBlockers(
  db: Db,
  table: PartitionedTable,
  partition: string,
  month: Month,
): Promise<string[]> {
  const p = ident(partition);
  if (table === 'events') {
    const s = tableSpec(table);
    const [r] = await execRows<{ unpublished: boolean; pending: boolean }>(
      db,
      sql`select exists (select 1 from ${p} where published_at is null) as unpublished,
                 exists (select 1 from webhook_deliveries d
                          where d.status = 'PENDING'
                            and d.event_id >= latih_month_bound(${s.prefix}, ${month}::date)
                            and d.event_id < latih_month_bound(${s.prefix}, (${month}::date + interval '1 month')::date)
                        ) as pending`,
    );
    return [
      ...(r?.unpublished ? ['events not yet fanned out to webhooks (published_at is null)'] : []),
      ...(r?.pending ? ['webhook deliveries of its events still PENDING'] : []),
    ];
  }
  if (table === 'attendance') {
    const [r] = await execRows<{ open: boolean }>(
      db,
      sql`select exists (select 1 from ${p} a join enrollments e on e.id = a.enrollment_id
                          where e.status = 'IN_TRAINING') as open`,
    );
    return r?.open ? ['attendance of enrollments still IN_TRAINING'] : [];
  }
  return [];
}

/**
 * Detaches one month partition (plain DETACH: PostgreSQL refuses CONCURRENTLY while a default
 * partition exists; it holds the parent's lock for a catalog change only) and records it in
 * partition_archive. A detached audit_log month loses the row trigger cloned from the parent and
 * gets its own, so it stays append-only until it is dropped. To be called in a transaction that
 * checked partitionBlockers after taking the lock (the caller's).
 */
export async function detachMonth(
  db: Db,
  input: {
    table: PartitionedTable;
    partition: string;
    month: Month;
    rows: number;
    feedXid: string | null;
    feedSeq: number | null;
    at: Date;
  },
): Promise<void> {
  await db.execute(sql`alter table ${ident(input.table)} detach partition ${ident(input.partition)}`);
  if (input.table === 'audit_log')
    await db.execute(
      sql`create trigger audit_log_no_update before update or delete on ${ident(input.partition)}
          for each row execute function latih_audit_log_append_only()`,
    );
  await db.execute(
    sql`insert into partition_archive (partition, parent_table, month, rows, detached_at, feed_xid, feed_seq)
        values (${input.partition}, ${input.table}, ${input.month}::date, ${input.rows}, ${input.at.toISOString()}::timestamptz,
                ${input.feedXid}::xid8, ${input.feedSeq})`,
  );
}

/** In the caller's transaction: a lock not granted within `ms` fails the statement (55P03). */
export async function setLocalLockTimeout(db: Db, ms: number): Promise<void> {
  await db.execute(sql.raw(`set local lock_timeout = ${Math.max(1, Math.floor(ms))}`));
}

/** Takes the parent's lock now (ACCESS EXCLUSIVE, as DETACH would), waiting at most `lockTimeoutMs`. */
export async function lockForDetach(db: Db, table: PartitionedTable, lockTimeoutMs: number): Promise<void> {
  await setLocalLockTimeout(db, lockTimeoutMs);
  await db.execute(sql`lock table ${ident(table)} in access exclusive mode`);
}

export type ArchivedPartition = {
  partition: string;
  table: string;
  month: Month;
  rows: number;
  detachedAt: Date;
  /** Whether the detached table is still in the database (not yet dropped after its dump). */
  present: boolean;
};

export async function listArchivedPartitions(db: Db): Promise<ArchivedPartition[]> {
  const rows = await execRows<{
    partition: string;
    parent_table: string;
    month: string | Date;
    rows: number | string;
    detached_at: string | Date;
    present: boolean;
  }>(
    db,
    sql`select a.partition, a.parent_table, to_char(a.month, 'YYYY-MM-DD') as month, a.rows, a.detached_at,
               to_regclass(quote_ident(a.partition)) is not null as present
          from partition_archive a order by a.parent_table, a.month`,
  );
  return rows.map((r) => ({
    partition: r.partition,
    table: r.parent_table,
    month: String(r.month),
    rows: Number(r.rows),
    detachedAt: r.detached_at instanceof Date ? r.detached_at : new Date(r.detached_at),
    present: r.present,
  }));
}

/**
 * Whether a feed position is at or before the last one a detached events partition held: the
 * events after it are no longer all in the table, so a reader there would be handed a hole.
 */
export async function eventFeedPositionArchived(
  db: Db,
  since: { xid: string; seq: number },
): Promise<boolean> {
  const rows = await execRows<{ archived: boolean }>(
    db,
    sql`select exists (
          select 1 from partition_archive
           where parent_table = 'events' and feed_xid is not null
             and (${since.xid}::xid8, ${since.seq}::bigint) <= (feed_xid, feed_seq)) as archived`,
  );
  return rows[0]?.archived === true;
}
