import type { TCatalogCourse, TEvent } from '@latih/contracts';
import { execRows } from '@latih/db';
import { followFeed, paginate } from '@latih/sdk';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { fullCourse } from '../support/catalog-fixtures';
import { type EngineName, engines, postgresAvailable } from '../support/db';
import { feedsCaughtUp } from '../support/feed-horizon';
import { freshClusterAvailable } from '../support/fresh-cluster';
import { type Harness, useHarness } from '../support/harness';
import { buy, onSale, participants } from '../support/marketplace-fixtures';
import { boundariesAhead, burnXidsTo, nextXid, type XidBurn } from '../support/xids';

/*
 * The feeds on an old database. Both feeds page by (transaction id, sequence); a fresh test
 * database hands out ids in the hundreds, where sorting them as text and as numbers agree. Here the
 * database is aged past 10^3, 10^4 and 10^5 (on PostgreSQL: the powers of ten still ahead of the
 * cluster's counter), with catalog changes and events written just below and just above each, one
 * transaction after another. Consumers then follow both feeds from the start with pages of 1, 3 and
 * 100 and must see each change and event exactly once, in commit order, and end with a storefront
 * equal to the catalog.
 */

const PAGE_SIZES = [1, 3, 100] as const;
const WANTED = [1_000n, 10_000n, 100_000n];
/** The organisations whose events are followed: course and run events, and the platform's vouchers. */
const FOLLOWED = ['providerA', 'providerB', 'platformA'] as const;

type World = {
  h: Harness;
  crossed: bigint[];
  burns: XidBurn[];
};

/**
 * Writes of every kind the feeds carry, one after another, each in its own transaction(s):
 * publications of both providers, sales (seats and voucher events), suspensions and
 * reinstatements, withdrawals, run edits, and drafts (which the catalog feed leaves out).
 */
function writer(h: Harness) {
  const live: { courseId: string; runId: string; who: 'providerA' | 'providerB' }[] = [];
  const suspended: string[] = [];
  let cards: string[] = [];
  let step = 0;
  const ops: (() => Promise<void>)[] = [
    async () => {
      const { course, run } = await onSale(h, { capacity: 30 });
      live.push({ courseId: course.id, runId: run.id, who: 'providerA' });
    },
    async () => {
      const { course, run } = await onSale(h, { capacity: 30, who: 'providerB' });
      live.push({ courseId: course.id, runId: run.id, who: 'providerB' });
    },
    async () => {
      const target = live.at(-1);
      const card = cards.pop();
      if (target && card) await buy(h, card, target.courseId, target.runId);
    },
    async () => {
      await h.caller('providerA').provider.courses.create({ ...fullCourse, title: `Draf ${step}` });
    },
    async () => {
      const target = live.shift();
      if (!target) return;
      await h.caller('pmo').pmo.curation.suspend({ id: target.courseId, reason: 'Menunggu klarifikasi' });
      suspended.push(target.courseId);
    },
    async () => {
      const target = live.at(0);
      if (target)
        await h.caller(target.who).provider.runs.update({ id: target.runId, capacity: 25 + (step % 5) });
    },
    async () => {
      const id = suspended.shift();
      if (id) await h.caller('pmo').pmo.curation.reinstate({ id, reason: 'Klarifikasi diterima' });
    },
    async () => {
      const target = live.length > 2 ? live.splice(1, 1)[0] : undefined;
      if (target) await h.caller(target.who).provider.courses.withdraw({ id: target.courseId });
    },
  ];
  return {
    async prepare() {
      cards = (await participants(h, 40)).map((p) => p.cardNumber);
    },
    async next() {
      const op = ops[step % ops.length];
      step++;
      await op?.();
    },
  };
}

/** Ages the database across each boundary still ahead, writing on both sides of it. */
async function ageWithWrites(h: Harness): Promise<Omit<World, 'h'>> {
  const write = writer(h);
  await write.prepare();
  for (let i = 0; i < 4; i++) await write.next();
  const crossed = boundariesAhead(await nextXid(h.database), WANTED, { room: 60n });
  const burns: XidBurn[] = [];
  for (const boundary of crossed) {
    burns.push(await burnXidsTo(h.database, boundary - 50n));
    // Below the boundary while there is room (one write takes up to ~6 ids), then past it.
    while ((await nextXid(h.database)) < boundary - 8n) await write.next();
    burns.push(await burnXidsTo(h.database, boundary));
    for (let i = 0; i < 4; i++) await write.next();
  }
  // More after the last boundary, until pages of 100 events take more than one page.
  const providerEvents = async () =>
    (
      await execRows<{ n: number }>(
        h.db,
        sql`select count(*)::int as n from events where organisation_id = ${h.orgs.providerA.organisationId}`,
      )
    )[0]?.n ?? 0;
  for (let i = 0; i < 4 || (await providerEvents()) <= 110; i++) await write.next();
  await feedsCaughtUp(h.db);
  return { crossed, burns };
}

/** What the catalog holds, straight from the tables: every change row in commit order. */
async function changeRows(h: Harness) {
  const rows = await execRows<{
    seq: number;
    xid: string;
    course_id: string;
    public: boolean;
    on_sale: boolean;
  }>(
    h.db,
    sql`select c.seq, c.xid::text as xid, c.course_id, co.published_at is not null as public,
          (co.status = 'PUBLISHED' and o.status = 'ACTIVE') as on_sale
        from catalog_changes c
        join courses co on co.id = c.course_id
        join organisations o on o.id = co.provider_id
        order by c.seq`,
  );
  return rows.map((r) => ({ ...r, xidNumber: BigInt(r.xid) }));
}

/**
 * What a consumer of the change feed must see with pages of `limit` changes: the feed's rows in
 * commit order, cut into pages; in each page one entry per course at its last position there, an
 * UPSERT when it is on sale now, a TOMBSTONE when it is not but once was (drafts never show).
 */
function expectedChanges(rows: Awaited<ReturnType<typeof changeRows>>) {
  // Each course once, at its latest change (every write here has committed): an earlier change of
  // a course is superseded by the later one, which carries the course as it is now (migration 0033).
  const lastAt = new Map(rows.map((r, i) => [r.course_id, i]));
  const out: { type: 'UPSERT' | 'TOMBSTONE'; courseId: string }[] = [];
  rows.forEach((row, i) => {
    if (lastAt.get(row.course_id) !== i) return;
    if (row.on_sale) out.push({ type: 'UPSERT', courseId: row.course_id });
    else if (row.public) out.push({ type: 'TOMBSTONE', courseId: row.course_id });
  });
  return out;
}

/** A storefront's view of a course: enough to tell a stale copy from the real one. */
const shelf = (c: TCatalogCourse) => ({
  version: c.version,
  title: c.title,
  runs: c.runs.map((r) => ({ id: r.id, capacity: r.capacity, seatsAvailable: r.seatsAvailable })),
});

/**
 * PGlite and the shared PostgreSQL server, and (with PostgreSQL runs) a PostgreSQL cluster of its
 * own: the shared server's counter is past these powers of ten for good, a new cluster's is not.
 */
const ENGINES: EngineName[] = [
  ...engines(),
  ...(postgresAvailable() && freshClusterAvailable() ? (['postgres-fresh-cluster'] as const) : []),
];

describe.each(ENGINES)('feeds on a database past 10^3, 10^4 and 10^5 transaction ids on %s', (engine) => {
  const h = useHarness(engine);
  let world: World;

  beforeAll(async () => {
    world = { h, ...(await ageWithWrites(h)) };
    if (world.crossed.length === 0)
      console.warn(
        `${engine}: the cluster's transaction ids are past every power of ten within the burn budget;` +
          ' the feeds are checked without a boundary between their rows (set LATIH_TEST_XID_BUDGET to cross the next one)',
      );
  }, 180_000);

  it('the database has passed each boundary, with changes and events written on both sides of it', async () => {
    // PGlite's counter is the database's own: all three, every run. PostgreSQL's is the cluster's:
    // the ones still ahead of it (or the next power of ten within the budget; warned above if none).
    // A fresh cluster's too. The shared server's counter is the whole cluster's: the ones still
    // ahead of it (or the next power of ten within the budget; warned above if none).
    if (engine !== 'postgres') expect(world.crossed).toEqual(WANTED);
    const orgs = FOLLOWED.map((who) => h.orgs[who].organisationId);
    for (const b of world.crossed) {
      const [sides] = await execRows<Record<string, number>>(
        h.db,
        sql`select
          (select count(*)::int from catalog_changes where xid < ${String(b)}::xid8) as changes_below,
          (select count(*)::int from catalog_changes where xid >= ${String(b)}::xid8) as changes_above,
          (select count(*)::int from events where xid < ${String(b)}::xid8
             and organisation_id = any(string_to_array(${orgs.join(',')}, ','))) as events_below,
          (select count(*)::int from events where xid >= ${String(b)}::xid8
             and organisation_id = any(string_to_array(${orgs.join(',')}, ','))) as events_above`,
      );
      expect(Object.keys(sides ?? {})).toHaveLength(4);
      for (const n of Object.values(sides ?? {})) expect(n, `around ${b}`).toBeGreaterThan(0);
    }
    // The writes committed one after another: commit order, sequence order and id order agree.
    const rows = await changeRows(h);
    for (let i = 1; i < rows.length; i++)
      expect((rows[i]?.xidNumber ?? 0n) >= (rows[i - 1]?.xidNumber ?? 0n)).toBe(true);
  });

  it.each(PAGE_SIZES)(
    'the change feed with pages of %i: each course once at its latest change, in commit order; the storefront equals the catalog',
    async (limit) => {
      const platform = h.caller('platformA').platform.catalog;
      const feed = { query: (input: { since?: string; limit?: number }) => platform.changes(input) };
      const seen: { type: 'UPSERT' | 'TOMBSTONE'; courseId: string }[] = [];
      const storefront = new Map<string, ReturnType<typeof shelf>>();
      let cursor = '';
      for await (const batch of followFeed(feed, { limit })) {
        expect(batch.items.length).toBeLessThanOrEqual(limit);
        for (const change of batch.items) {
          seen.push({ type: change.type, courseId: change.courseId });
          if (change.type === 'UPSERT' && change.course)
            storefront.set(change.courseId, shelf(change.course));
          else storefront.delete(change.courseId);
        }
        cursor = batch.cursor;
      }
      // The storefront against the catalog as listed, and against the tables.
      const rows = await changeRows(h);
      const listed = new Map<string, ReturnType<typeof shelf>>();
      for await (const c of paginate({ query: platform.list }, { limit: 7 })) listed.set(c.id, shelf(c));
      expect(Object.fromEntries(storefront)).toEqual(Object.fromEntries(listed));
      const onSaleIds = [...new Set(rows.filter((r) => r.on_sale).map((r) => r.course_id))].sort();
      expect([...storefront.keys()].sort()).toEqual(onSaleIds);
      expect(onSaleIds.length).toBeGreaterThan(3);
      // And the changes themselves: each course once, at its latest change, in commit order.
      expect(seen).toEqual(expectedChanges(rows));

      // Caught up: the stored cursor brings nothing more, and comes back unchanged.
      expect(await platform.changes({ since: cursor, limit })).toEqual({
        changes: [],
        nextCursor: cursor,
        hasMore: false,
      });
    },
  );

  it.each(PAGE_SIZES)(
    'events.list with pages of %i: each organisation gets every event once, in commit order',
    async (limit) => {
      for (const who of FOLLOWED) {
        const events = h.caller(who).events;
        const seen: TEvent[] = [];
        let cursor = '';
        for await (const batch of followFeed({ query: events.list }, { limit })) {
          expect(batch.items.length).toBeLessThanOrEqual(limit);
          seen.push(...batch.items);
          cursor = batch.cursor;
        }
        const truth = await execRows<{ id: string }>(
          h.db,
          sql`select id from events where organisation_id = ${h.orgs[who].organisationId} order by seq`,
        );
        expect(truth.length, who).toBeGreaterThan(who === 'providerA' ? 110 : 3);
        expect(
          seen.map((e) => e.id),
          who,
        ).toEqual(truth.map((r) => r.id));
        expect(await events.list({ cursor, limit })).toEqual({
          items: [],
          nextCursor: cursor,
          hasMore: false,
        });
      }
    },
  );
});
