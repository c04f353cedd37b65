import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { TCatalogChange, TEvent } from '@latih/contracts';
import { DEMO_ORGANISATIONS } from '@latih/core';
import { type Database, execRows, openPostgres } from '@latih/db';
import { createLatihClient, followFeed, type LatihClient, paginate } from '@latih/sdk';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Gateway, startGateway } from '../../apps/gateway/src/gateway';
import { FileKeyStore } from '../../apps/gateway/src/keystore';
import { createLogger } from '../../apps/gateway/src/logger';
import { feedsCaughtUp } from '../support/feed-horizon';
import {
  type Cluster,
  emptyCluster,
  freshClusterAvailable,
  freshClusterDatabase,
} from '../support/fresh-cluster';
import { burnXidsTo } from '../support/xids';

/*
 * The restore drill (docs/operations.md, "Backups and restore"). The change feeds page by the
 * writing transaction's id, an xid8 (cursor.ts afterFeedPosition), and partners keep the position
 * they reached. A backup restored into a new cluster starts that cluster's transaction counter
 * again from the beginning, far below the ids the old cluster handed out, so every change made
 * after the restore sorts before the partners' stored cursors and they never see it, with no error.
 * The operator's procedure: after the restore and before any gateway starts, stop the restored
 * cluster and raise its transaction-id epoch above the old cluster's with pg_resetwal -e, so that
 * every id it hands out from then on is above any id the old cluster ever handed out.
 *
 * On throwaway clusters only (nothing is created on the shared server):
 *   A   the production cluster: a gateway, partners following both feeds, a pg_dump -Fc backup,
 *       changes after the backup that the partners read, then the disaster (A is gone).
 *   B   restored from the dump WITHOUT the procedure: a change made there is missing from the
 *       partners' stored cursors (the hazard). Then the procedure done late, on B with a gateway
 *       already run: later changes are seen again, the one made before the fix stays missed.
 *   C   restored from the same dump WITH the procedure, exactly as the operations guide gives it,
 *       before any gateway: every change made after the restore reaches the stored cursors.
 * Two restored clusters, so that the documented order (procedure first, then gateways) is shown
 * on its own, and the cost of doing it late is shown apart from it.
 *
 * A is aged first (transaction ids burnt to AGE), as a production database that has lived is: a
 * fresh cluster hands out ids in the hundreds, and pg_restore into a fresh one takes as many, so
 * with no age the new counter could pass the old one by chance and hide the hazard.
 */

const AGE = 100_000n;
const EPOCH = 2n ** 32n;

type Demo = (typeof DEMO_ORGANISATIONS)[number];
const demo = Object.fromEntries(DEMO_ORGANISATIONS.map((o) => [o.key, o])) as Record<Demo['key'], Demo>;

/** What a partner keeps between runs: its cursors, and what it built from the feeds. */
type Partner = {
  catalogCursor: string | undefined;
  eventsCursor: string | undefined;
  /** Course id → on sale (UPSERT) or not (TOMBSTONE), as the catalog feed told it. */
  storefront: Map<string, boolean>;
};

/** The `xid:seq` a feed cursor carries (feed-cursor.ts), for the numbers in assertions. */
function positionOf(cursor: string | undefined): { xid: bigint; seq: number } {
  const [xid, seq] = Buffer.from(cursor ?? '', 'base64url')
    .toString('utf8')
    .split(':');
  return { xid: BigInt(xid ?? '0'), seq: Number(seq) };
}

/** `Latest checkpoint's NextXID:  0:123456` (epoch:xid) from pg_controldata. */
function nextXidOf(controldata: string): { epoch: bigint; xid: bigint } {
  const m = /Latest checkpoint's NextXID:\s+(\d+):(\d+)/.exec(controldata);
  if (!m) throw new Error(`no NextXID in pg_controldata's output:\n${controldata}`);
  return { epoch: BigInt(m[1] ?? ''), xid: BigInt(m[2] ?? '') };
}

async function currentXid(db: Database): Promise<bigint> {
  const [row] = await execRows<{ x: string }>(db.db, sql`select pg_current_xact_id()::text as x`);
  return BigInt(String(row?.x));
}

/** The highest transaction id among the feeds' rows: what survived in a backup. */
async function highestFeedXid(db: Database): Promise<bigint> {
  const [row] = await execRows<{ x: string }>(
    db.db,
    sql`select greatest((select max(xid) from catalog_changes), (select max(xid) from events))::text as x`,
  );
  return BigInt(String(row?.x));
}

/** Feed rows no reader can be served yet: written at or above the snapshot's xmin. */
async function heldBack(db: Database): Promise<number> {
  const [row] = await execRows<{ n: number }>(
    db.db,
    sql`select (select count(*) from catalog_changes where xid >= pg_snapshot_xmin(pg_current_snapshot()))::int
          + (select count(*) from events where xid >= pg_snapshot_xmin(pg_current_snapshot()))::int as n`,
  );
  return row?.n ?? -1;
}

type FeedMark = { changes: number; events: number };

/** The feeds' last sequence numbers: what is written after this is counted by feedRowsAfter. */
async function feedMark(db: Database): Promise<FeedMark> {
  const [row] = await execRows<FeedMark>(
    db.db,
    sql`select (select coalesce(max(seq), 0) from catalog_changes)::int as changes,
          (select coalesce(max(seq), 0) from events)::int as events`,
  );
  return row ?? { changes: 0, events: 0 };
}

/** How many feed rows were written after `mark`, and the highest transaction id among them. */
async function feedRowsAfter(db: Database, mark: FeedMark) {
  const [row] = await execRows<{ changes: number; events: number; highestXid: string }>(
    db.db,
    sql`select (select count(*) from catalog_changes where seq > ${mark.changes})::int as changes,
          (select count(*) from events where seq > ${mark.events})::int as events,
          greatest((select max(xid) from catalog_changes where seq > ${mark.changes}),
                   (select max(xid) from events where seq > ${mark.events}))::text as "highestXid"`,
  );
  return row ?? { changes: -1, events: -1, highestXid: '0' };
}

describe.runIf(freshClusterAvailable())('restoring from a backup: the partners’ stored feed cursors', () => {
  const work = mkdtempSync(join(tmpdir(), 'latih-restore-drill-'));
  // pg_dump and pg_restore run as the server's OS user: the dump's folder must be theirs to write.
  chmodSync(work, 0o777);
  const dumpFile = join(work, 'latih.dump');
  const keys = FileKeyStore.open({ file: join(work, 'signing-keys.json'), createIfMissing: true });
  const clusters: Cluster[] = [];
  const open: { gateway: Gateway; database: Database }[] = [];
  const partner: Partner = { catalogCursor: undefined, eventsCursor: undefined, storefront: new Map() };
  /** provider-a's two demo courses on sale. */
  let courses: [string, string] = ['', ''];
  const numbers: Record<string, string | number> = {};

  /** A gateway as `npm start` runs one (demo seed; a no-op on a restored database). */
  async function gatewayOn(url: string) {
    const database = await openPostgres(url, { max: 4, onIdleError: () => undefined });
    const gateway = await startGateway({
      database,
      keys: keys.keys,
      issuer: (port) => `http://127.0.0.1:${port}`,
      logger: createLogger('warn', new Writable({ write: (_c, _e, cb) => cb() })),
      host: '127.0.0.1',
      port: 0,
      seedDemo: true,
      nikHashKey: Buffer.alloc(32, 7),
      otp: null,
      webhookIntervalMs: 100,
      oversightIntervalMs: 0,
    }).catch(async (err: unknown) => {
      await database.close();
      throw err;
    });
    const entry = { gateway, database };
    open.push(entry);
    const client = (key: Demo['key']): LatihClient =>
      createLatihClient({
        baseUrl: gateway.url,
        clientId: demo[key].clientId,
        clientSecret: demo[key].clientSecret,
      });
    return {
      database,
      platform: client('platform-a'),
      provider: client('provider-a'),
      pmo: client('pmo'),
      async close() {
        open.splice(open.indexOf(entry), 1);
        await gateway.close();
        await database.close();
      },
    };
  }
  type Gw = Awaited<ReturnType<typeof gatewayOn>>;

  /** The partner reads both feeds from its stored cursors to the end, and stores the new ones. */
  async function partnerReads(gw: Gw) {
    await feedsCaughtUp(gw.database.db);
    const changes: TCatalogChange[] = [];
    for await (const batch of gw.platform.catalog.sync({
      limit: 2,
      ...(partner.catalogCursor ? { since: partner.catalogCursor } : {}),
    })) {
      for (const c of batch.changes) partner.storefront.set(c.courseId, c.type === 'UPSERT');
      changes.push(...batch.changes);
      partner.catalogCursor = batch.cursor;
    }
    const events: TEvent[] = [];
    for await (const batch of followFeed(
      gw.provider.events.list,
      partner.eventsCursor ? { cursor: partner.eventsCursor, limit: 2 } : { limit: 2 },
    )) {
      events.push(...batch.items);
      partner.eventsCursor = batch.cursor;
    }
    return {
      changes: changes.map((c) => `${c.type} ${c.courseId}`),
      events: events.map((e) => `${e.type} ${e.entity.id}`),
    };
  }

  /** What is on sale now, as the catalog lists it. */
  async function onSale(gw: Gw): Promise<string[]> {
    const ids: string[] = [];
    for await (const c of paginate(gw.platform.platform.catalog.list, { limit: 50 })) ids.push(c.id);
    return ids.sort();
  }

  const storefront = () =>
    [...partner.storefront.entries()]
      .filter(([, live]) => live)
      .map(([id]) => id)
      .sort();

  const suspend = (gw: Gw, id: string) =>
    gw.pmo.pmo.curation.suspend.mutate({ id, reason: 'Pemeriksaan lapangan' });
  const reinstate = (gw: Gw, id: string) =>
    gw.pmo.pmo.curation.reinstate.mutate({ id, reason: 'Pemeriksaan selesai' });

  /** A new cluster with the dump restored into its (empty) `postgres` database. */
  async function restoredCluster(): Promise<Cluster> {
    const cluster = await emptyCluster();
    clusters.push(cluster);
    cluster.tool('pg_restore', ['--exit-on-error', '-d', cluster.url, dumpFile]);
    return cluster;
  }

  /**
   * The operations guide's procedure, command for command (the cluster has no client then):
   *   pg_controldata "$PGDATA" | grep "Latest checkpoint's NextXID"
   *   pg_ctl -D "$PGDATA" stop
   *   pg_resetwal -e <old epoch + 1> "$PGDATA"
   *   pg_ctl -D "$PGDATA" start
   * (start with -l: pg_ctl otherwise leaves the server writing to its own output.)
   */
  function raiseEpoch(cluster: Cluster, oldEpoch: bigint) {
    // While the server runs, this is the last checkpoint's value, behind the real counter (right
    // after a restore, still initdb's); the epoch is what the procedure needs from it.
    const running = nextXidOf(cluster.tool('pg_controldata', [cluster.dataDir]));
    cluster.tool('pg_ctl', ['-D', cluster.dataDir, 'stop']);
    // Stopped cleanly, the shutdown checkpoint holds the real counter.
    const stopped = nextXidOf(cluster.tool('pg_controldata', [cluster.dataDir]));
    cluster.tool('pg_resetwal', ['-e', String(oldEpoch + 1n), cluster.dataDir]);
    cluster.tool('pg_ctl', ['-D', cluster.dataDir, '-l', cluster.logFile, 'start']);
    const after = nextXidOf(cluster.tool('pg_controldata', [cluster.dataDir]));
    expect(running.epoch).toBe(stopped.epoch);
    expect(stopped.xid).toBeGreaterThanOrEqual(running.xid);
    return { running, stopped, after };
  }

  // Filled in by the first test, read by the others.
  let oldEpoch = -1n;
  let backupHighest = 0n;
  /** The partner as the disaster left it: B and C each start from it (B is a copy, undone). */
  let afterDisaster: Partner | undefined;
  const resumePartner = () => {
    if (!afterDisaster) throw new Error('the first test did not run to the disaster');
    partner.catalogCursor = afterDisaster.catalogCursor;
    partner.eventsCursor = afterDisaster.eventsCursor;
    partner.storefront = new Map(afterDisaster.storefront);
  };

  beforeAll(async () => {
    // Cluster A: migrated, demo-seeded by its gateway.
    const a = await freshClusterDatabase({ poolSize: 2 });
    clusters.push(a.cluster);
    await a.close();
  }, 60_000);

  afterAll(async () => {
    // Everything, even after a failure: gateways first (they hold connections), then the clusters.
    for (const entry of open.splice(0)) {
      await entry.gateway.close().catch(() => undefined);
      await entry.database.close().catch(() => undefined);
    }
    for (const cluster of clusters.splice(0)) {
      try {
        cluster.remove();
      } catch {
        // already gone
      }
    }
    keys.close();
    rmSync(work, { recursive: true, force: true });
    if (Object.keys(numbers).length > 0) console.info('restore drill:', JSON.stringify(numbers));
  });

  it('A: partners follow both feeds; a backup; changes after it that they read; then A is gone', async () => {
    const a = clusters[0];
    if (!a) throw new Error('no cluster A');
    const gw = await gatewayOn(a.url);
    const mine = (await gw.provider.provider.courses.list.query({ limit: 50 })).items
      .filter((c) => c.status === 'PUBLISHED')
      .map((c) => c.id);
    expect(mine).toHaveLength(2);
    courses = [mine[0] ?? '', mine[1] ?? ''];
    const [p1, p2] = courses;

    // The partner's first full load.
    await partnerReads(gw);
    expect(storefront()).toEqual(await onSale(gw));

    // A database that has lived: its counter far ahead of a fresh cluster's.
    await burnXidsTo({ ...gw.database, url: a.url, drop: async () => undefined }, AGE);

    // A change the backup will hold, which the partner reads.
    await suspend(gw, p1);
    expect(await partnerReads(gw)).toEqual({
      changes: [`TOMBSTONE ${p1}`],
      events: [`course.suspended ${p1}`],
    });
    const atBackup = positionOf(partner.catalogCursor);

    // The backup, as the operator takes it. The old epoch is read from the old cluster while it
    // still exists (monitoring, or the backup job, records `select pg_current_xact_id()`).
    a.tool('pg_dump', ['-Fc', '-f', dumpFile, a.url]);
    const oldXid = await currentXid(gw.database);
    oldEpoch = oldXid / EPOCH;
    a.tool('psql', ['-d', a.url, '-qAtc', 'checkpoint']);
    expect(nextXidOf(a.tool('pg_controldata', [a.dataDir])).epoch).toBe(oldEpoch);

    // After the backup: a change the partner reads, lost with the disaster.
    await suspend(gw, p2);
    expect(await partnerReads(gw)).toEqual({
      changes: [`TOMBSTONE ${p2}`],
      events: [`course.suspended ${p2}`],
    });
    const stored = positionOf(partner.catalogCursor);
    expect(stored.xid).toBeGreaterThan(atBackup.xid);
    numbers.oldEpoch = String(oldEpoch);
    numbers.oldXidAtBackup = String(oldXid);
    numbers.partnerCatalogCursor = `${stored.xid}:${stored.seq}`;
    numbers.partnerEventsCursor = (() => {
      const p = positionOf(partner.eventsCursor);
      return `${p.xid}:${p.seq}`;
    })();

    // The disaster: A and its gateway are gone.
    await gw.close();
    a.remove();
    clusters.splice(clusters.indexOf(a), 1);
    afterDisaster = { ...partner, storefront: new Map(partner.storefront) };
  }, 60_000);

  it('B, restored without the procedure: a change made there never reaches the stored cursors; done late, only later ones do', async () => {
    resumePartner();
    const b = await restoredCluster();
    const restored = nextXidOf(b.tool('pg_controldata', [b.dataDir]));
    let gw = await gatewayOn(b.url);
    const [p1] = courses;
    const restoredXid = await currentXid(gw.database);
    backupHighest = await highestFeedXid(gw.database);
    numbers.restoredNextXid = `${restored.epoch}:${restored.xid}`;
    numbers.restoredXid = String(restoredXid);
    numbers.backupHighestFeedXid = String(backupHighest);
    // The new counter is far below what the partners hold, and below the backup's own rows.
    expect(restoredXid).toBeLessThan(positionOf(partner.catalogCursor).xid);
    expect(restoredXid).toBeLessThan(backupHighest);
    // Those restored rows are even held back from every reader, a full load included: the feeds
    // serve a row once its id is below the snapshot's xmin, which here is far below them.
    numbers.heldBackOnB = await heldBack(gw.database);
    expect(numbers.heldBackOnB).toBeGreaterThan(0);

    // The hazard: the course goes back on sale on B, committed, the feeds caught up …
    const mark = await feedMark(gw.database);
    await reinstate(gw, p1);
    const written = await feedRowsAfter(gw.database, mark);
    numbers.writtenOnBWithoutFix = JSON.stringify(written);
    // One change row and one event, at ids far below the partner's positions.
    expect(written).toMatchObject({ changes: 1, events: 1 });
    expect(BigInt(written.highestXid)).toBeLessThan(positionOf(partner.catalogCursor).xid);
    expect(BigInt(written.highestXid)).toBeLessThan(positionOf(partner.eventsCursor).xid);
    // … and the partner, reading from its stored cursors, gets nothing: no change, no event.
    expect(await partnerReads(gw)).toEqual({ changes: [], events: [] });
    expect(storefront()).not.toContain(p1);
    expect(await onSale(gw)).toContain(p1);

    // The procedure done late: the gateway stops first (the cluster must have no client), then as
    // documented. Changes from now on reach the stored cursors; the one above never will.
    await gw.close();
    const late = raiseEpoch(b, oldEpoch);
    expect(late.after).toEqual({ epoch: oldEpoch + 1n, xid: late.stopped.xid });
    gw = await gatewayOn(b.url);
    expect(await currentXid(gw.database)).toBeGreaterThan(positionOf(partner.catalogCursor).xid);
    await suspend(gw, p1);
    expect(await partnerReads(gw)).toEqual({
      changes: [`TOMBSTONE ${p1}`],
      events: [`course.suspended ${p1}`],
    });
    await gw.close();
  }, 60_000);

  it('C, restored with the procedure before any gateway: the stored cursors get every change made after the restore', async () => {
    // The partner is back where the disaster left it (B was a copy: its reads there are undone).
    resumePartner();
    const c = await restoredCluster();
    const [p1, p2] = courses;
    // The old epoch: recorded from the old cluster (first test), and checked against what the
    // backup itself says (its highest feed id), the fallback when nothing was recorded.
    expect(backupHighest / EPOCH).toBe(oldEpoch);
    const { running, stopped, after } = raiseEpoch(c, oldEpoch);
    numbers.cNextXidRunning = `${running.epoch}:${running.xid}`;
    numbers.cNextXidStopped = `${stopped.epoch}:${stopped.xid}`;
    numbers.cNextXidAfter = `${after.epoch}:${after.xid}`;
    // The epoch is raised, the counter within it is kept.
    expect(after).toEqual({ epoch: oldEpoch + 1n, xid: stopped.xid });

    const gw = await gatewayOn(c.url);
    // What the procedure cannot do: the change the partner read from A after the backup was lost
    // with A (p2 is on sale again in the restored data) and stays in its storefront until p2
    // changes again or the partner reloads the catalog in full.
    expect(storefront()).not.toContain(p2);
    expect(await onSale(gw)).toContain(p2);
    const first = await currentXid(gw.database);
    numbers.fixedXid = String(first);
    expect(first).toBeGreaterThan((oldEpoch + 1n) * EPOCH);
    // Every restored row is below the horizon now: a full load serves the whole restored catalog.
    expect(await heldBack(gw.database)).toBe(0);

    await reinstate(gw, p1);
    await suspend(gw, p2);
    const read = await partnerReads(gw);
    expect(read.changes.sort()).toEqual([`TOMBSTONE ${p2}`, `UPSERT ${p1}`].sort());
    expect(read.events).toEqual([`course.reinstated ${p1}`, `course.suspended ${p2}`]);
    expect(positionOf(partner.catalogCursor).xid).toBeGreaterThan((oldEpoch + 1n) * EPOCH);

    // A new partner's full load agrees with the catalog.
    const fresh = new Map<string, boolean>();
    for await (const batch of gw.platform.catalog.sync({ limit: 2 }))
      for (const ch of batch.changes) fresh.set(ch.courseId, ch.type === 'UPSERT');
    const freshOnSale = [...fresh.entries()]
      .filter(([, v]) => v)
      .map(([id]) => id)
      .sort();
    expect(freshOnSale).toEqual(await onSale(gw));
    expect(storefront()).toEqual(await onSale(gw));
    await gw.close();
  }, 60_000);
});
