import { type Db, execRows } from '@latih/db';
import { sql } from 'drizzle-orm';

/*
 * The snapshot-safe feeds (the catalog change feed and events.list; migration 0006, cursor.ts
 * `afterFeedPosition`) serve a row only once its writing transaction's id is below the reader's
 * snapshot xmin, so that nothing can ever commit behind a cursor already handed out. On PostgreSQL
 * that xmin is the cluster's: a transaction that has written and is still open anywhere on the
 * server (another test file running beside this one, another database, another person's run) holds
 * back, in every database, the rows of every transaction that took its id after it, until it ends.
 * A test that writes and then reads a feed to its end may rightly get nothing yet, so it waits here
 * first. These wait for the feeds' horizon to reach a point, never for a fixed time; on
 * PGlite, which runs one transaction at a time, they return at once.
 *
 * Tests that hold a transaction open on purpose, to show that the feed holds back behind it, poll
 * without waiting at that point: waiting would only time out (the feed cannot pass their own
 * transaction), which is the behaviour they are there to show.
 */

/**
 * How long to wait by default: below the integration and e2e tests' 30 s timeout, so that a feed
 * held back for that long fails with the error below (naming what holds it) rather than vitest's
 * bare timeout. LATIH_TEST_FEED_WAIT_MS changes it for a run.
 */
export const FEED_WAIT_MS = Number(process.env.LATIH_TEST_FEED_WAIT_MS ?? 20_000);

type WaitOptions = { timeoutMs?: number };

/**
 * Waits until the feeds serve everything committed before this call (rows written by any
 * transaction that had committed by then, in any database of the server). Call it between a write
 * and a read of a feed that expects to see the write.
 */
export async function feedsCaughtUp(db: Db, opts: WaitOptions = {}): Promise<void> {
  const [row] = await execRows<{ xmax: string; own: string | null }>(
    db,
    sql`select pg_snapshot_xmax(pg_current_snapshot())::text as xmax,
               pg_current_xact_id_if_assigned()::text as own`,
  );
  // Inside a transaction that has written, the horizon can never pass the caller's own id.
  if (row?.own)
    throw new Error(
      `feedsCaughtUp was called inside transaction ${row.own}, which has written: the feeds cannot serve anything at or after it until it commits`,
    );
  // Every transaction that committed before now has an id below this snapshot's xmax.
  await untilHorizon(db, BigInt(String(row?.xmax)), 'everything committed before the wait', opts);
}

/**
 * Waits until the feeds serve the rows written by transaction `xid` and by every older one, while
 * later transactions may still be open (for tests that hold one open on purpose).
 */
export async function feedsServe(db: Db, xid: string | bigint, opts: WaitOptions = {}): Promise<void> {
  await untilHorizon(db, BigInt(xid) + 1n, `transaction ${xid} and every older one`, opts);
}

/** Polls the snapshot xmin until it reaches `target`; fails after the timeout naming the holders. */
async function untilHorizon(db: Db, target: bigint, what: string, opts: WaitOptions): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? FEED_WAIT_MS;
  const deadline = Date.now() + timeoutMs;
  let pause = 2;
  for (;;) {
    const xmin = await snapshotXmin(db);
    // A feed serves rows with xid < xmin, so rows below `target` once xmin has reached it.
    if (xmin >= target) return;
    if (Date.now() >= deadline)
      throw new Error(
        `The feeds did not catch up within ${timeoutMs} ms: waiting to serve ${what} (ids below ${target}), ` +
          `but transaction ${xmin} is still open on the PostgreSQL server. ${await holders(db, xmin)}`,
      );
    await new Promise((r) => setTimeout(r, pause));
    pause = Math.min(pause * 2, 100);
  }
}

async function snapshotXmin(db: Db): Promise<bigint> {
  const [row] = await execRows<{ xmin: string }>(
    db,
    sql`select pg_snapshot_xmin(pg_current_snapshot())::text as xmin`,
  );
  return BigInt(String(row?.xmin));
}

/** What holds the horizon: the oldest sessions with a transaction id, and prepared transactions. */
async function holders(db: Db, xmin: bigint): Promise<string> {
  try {
    const sessions = await execRows<Record<string, unknown>>(
      db,
      sql`select pid, datname, state, backend_xid::text as xid, xact_start::text as since,
                 left(regexp_replace(query, '[[:space:]]+', ' ', 'g'), 160) as query
          from pg_stat_activity
          where backend_xid is not null
          order by age(backend_xid) desc
          limit 3`,
    );
    const prepared = await execRows<{ gid: string; xid: string }>(
      db,
      sql`select gid, transaction::text as xid from pg_prepared_xacts`,
    );
    const lines = [
      ...sessions.map(
        (s) => `pid ${s.pid} on ${s.datname}, ${s.state}, xid ${s.xid} since ${s.since}: ${s.query}`,
      ),
      ...prepared.map((p) => `prepared transaction ${p.gid}, xid ${p.xid}`),
    ];
    return lines.length > 0
      ? `Oldest transactions: ${lines.join('; ')}`
      : `No session shows transaction ${xmin} any more.`;
  } catch (e) {
    return `(could not list the open transactions: ${e instanceof Error ? e.message : String(e)})`;
  }
}
