import pg from 'pg';
import type { TestDatabase } from './db';

/*
 * Ageing a test database: a fresh one hands out transaction ids in the hundreds, so anything that
 * goes wrong only once ids gain a digit (text sorting of xids, STACK.md trap 15) never shows. These
 * helpers burn transaction ids until the counter reaches a target.
 *
 * PGlite has its own counter per database (a fresh clone sits in the high hundreds). PostgreSQL's is
 * one for the whole cluster and only grows: every burn here moves it for every database on the
 * server, so tests cross the powers of ten still ahead and accept that the ones behind are gone.
 *
 * Measured on the 2-core machines (PostgreSQL 15 with synchronous_commit off for the burning
 * session; PGlite 0.5): about 150 000 ids a second on PGlite, 200 000–300 000 on PostgreSQL, so
 * crossing 10^5 from a fresh PGlite takes under a second, and 10^6 on PostgreSQL about 4 s.
 */

/** The next transaction id the database will hand out (reading it does not use one up). */
export async function nextXid(database: TestDatabase): Promise<bigint> {
  return withSession(database, async (query) => {
    const rows = await query('select pg_snapshot_xmax(pg_current_snapshot())::text as x');
    return BigInt(String(rows[0]?.x));
  });
}

export type XidBurn = { from: bigint; to: bigint; burnt: bigint; ms: number };

/** How many ids one statement burns at most: keeps each statement to about a second. */
const CHUNK = 200_000n;

/**
 * Uses up transaction ids until the next one handed out is at least `target` (a no-op when the
 * counter is already there). Each id is a transaction of its own, committed at once, so nothing
 * stays open: no snapshot is held back and readers' xmin moves on with the counter.
 */
export async function burnXidsTo(database: TestDatabase, target: bigint): Promise<XidBurn> {
  const started = performance.now();
  return withSession(database, async (query) => {
    const next = async () =>
      BigInt(String((await query('select pg_snapshot_xmax(pg_current_snapshot())::text as x'))[0]?.x));
    const from = await next();
    let at = from;
    while (at < target) {
      const n = target - at < CHUNK ? target - at : CHUNK;
      // A DO block may commit inside its loop when it is the whole statement (simple protocol):
      // each pass takes an id and commits it, so nothing is held open across the loop.
      await query(`do $$ begin for i in 1..${n} loop perform pg_current_xact_id(); commit; end loop; end $$`);
      at = await next();
    }
    return { from, to: at, burnt: at - from, ms: Math.round(performance.now() - started) };
  });
}

/**
 * Burn limit for crossing one more power of ten on a PostgreSQL cluster that is already past the
 * ones a test asked for (10^7 would cost about 9 million ids, 40 s here). Raise it with
 * LATIH_TEST_XID_BUDGET to cross it anyway.
 */
export const XID_BURN_BUDGET = BigInt(process.env.LATIH_TEST_XID_BUDGET ?? 2_000_000);

/**
 * The powers of ten a test can still put rows on both sides of: each of `wanted` that lies ahead
 * of the counter (with `room` ids to spare for the writes below it), else — on a PostgreSQL cluster
 * past them all — the next power of ten if it is within `budget` ids. Empty when none is.
 */
export function boundariesAhead(
  next: bigint,
  wanted: bigint[],
  opts: { room?: bigint; budget?: bigint } = {},
): bigint[] {
  const room = opts.room ?? 100n;
  const ahead = wanted.filter((b) => b - room > next);
  if (ahead.length > 0) return ahead;
  let power = 10n;
  while (power - room <= next) power *= 10n;
  return power - next <= (opts.budget ?? XID_BURN_BUDGET) ? [power] : [];
}

type Query = (text: string) => Promise<Record<string, unknown>[]>;

/**
 * Runs `fn` on a session of its own: the PGlite instance itself (one session, so callers must not
 * be inside a transaction), or a dedicated PostgreSQL connection that does not wait for the disk
 * on each of its commits (the ids burnt carry no data worth keeping).
 */
async function withSession<T>(database: TestDatabase, fn: (query: Query) => Promise<T>): Promise<T> {
  if (database.pglite) {
    const lite = database.pglite;
    return fn(async (text) => (await lite.exec(text)).at(-1)?.rows ?? []);
  }
  if (!database.url) throw new Error('burning transaction ids needs the database URL');
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    await client.query('set synchronous_commit = off');
    return await fn(async (text) => (await client.query(text)).rows);
  } finally {
    await client.end();
  }
}
