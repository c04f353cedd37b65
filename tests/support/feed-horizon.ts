import { type Db, execRows } from '@latih/db';
import { sql } from 'drizzle-orm';

/**
 * The snapshot-safe feeds (the catalog change feed, events.list; migration 0006) serve a row only
 * once no transaction older than it is still running, and PostgreSQL's snapshot xmin is the
 * cluster's: a transaction open in another database (another test file, another helper's run)
 * holds every database's feed back. A test that polls straight after a commit may rightly get
 * nothing yet. These wait for the feed to reach a point, not for time; on PGlite, which runs one
 * transaction at a time, they return at once.
 */

/** Waits until the feeds serve the rows written by transaction `xid` and by every older one. */
export async function feedServes(db: Db, xid: string): Promise<void> {
  for (;;) {
    const [row] = await execRows<{ served: boolean }>(
      db,
      sql`select pg_snapshot_xmin(pg_current_snapshot()) > ${xid}::xid8 as served`,
    );
    if (row?.served) return;
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Waits until the feeds serve everything committed before this call. */
export async function feedCaughtUp(db: Db): Promise<void> {
  // Every transaction that committed before now has an id below the snapshot's xmax.
  const [mark] = await execRows<{ xid: string }>(
    db,
    sql`select pg_snapshot_xmax(pg_current_snapshot())::text as xid`,
  );
  for (;;) {
    const [row] = await execRows<{ served: boolean }>(
      db,
      sql`select pg_snapshot_xmin(pg_current_snapshot()) >= ${mark?.xid ?? '0'}::xid8 as served`,
    );
    if (row?.served) return;
    await new Promise((r) => setTimeout(r, 5));
  }
}
