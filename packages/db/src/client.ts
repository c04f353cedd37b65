import { existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { type SQL, sql } from 'drizzle-orm';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { type PgDatabase, PgDialect, type PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import * as schema from './schema';

export type Schema = typeof schema;
/** A database handle or an open transaction: repositories accept either. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

/**
 * The SQL migrations: packages/db/drizzle beside this source file, or, in the compiled gateway
 * (apps/gateway/dist, where this file is bundled into a chunk), the copy its build puts in dist/drizzle.
 */
export const MIGRATIONS_FOLDER = migrationsFolder(dirname(fileURLToPath(import.meta.url)));

function migrationsFolder(here: string): string {
  const candidates = [resolve(here, '../drizzle'), resolve(here, 'drizzle')];
  return (
    candidates.find((dir) => existsSync(join(dir, 'meta', '_journal.json'))) ?? (candidates[0] as string)
  );
}

/** PostgreSQL type OIDs whose text form we parse ourselves, identically on both drivers. */
const OID_INT8 = 20;
const OID_NUMERIC = 1700;

/**
 * int8 becomes a JS number; a value past 2^53 would silently lose digits, so it throws instead
 * (counters and rupiah amounts stay far below that).
 */
export function parseInt8(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`int8 value ${value} does not fit a JS number`);
  return n;
}
/** numeric stays a string: no float ever touches money. */
const parseNumeric = (value: string): string => value;

export type Engine = 'pglite' | 'postgres';

/** A pg Pool's connections: open (`total`, of at most `max`), `idle` among them, and queries `waiting` for one. */
export type PoolStats = { max: number; total: number; idle: number; waiting: number };

export interface Database {
  engine: Engine;
  db: Db;
  /** Apply pending migrations (idempotent; serialised across processes on PostgreSQL). */
  migrate(): Promise<void>;
  /** True when every migration shipped with this build is applied. */
  migrationsCurrent(): Promise<boolean>;
  ping(): Promise<void>;
  close(): Promise<void>;
  /**
   * PostgreSQL: the connection pool's use right now (read-only numbers, for /metrics). Undefined on
   * PGlite, which is one in-process connection with no pool.
   */
  poolStats?(): PoolStats;
  /** The PGlite instance, for test cloning; undefined on PostgreSQL. */
  pglite?: PGlite;
}

/**
 * PGlite is single-process: two gateways on one data folder would corrupt it. A pid file claims the
 * folder; a stale one (its process gone) is taken over.
 */
function lockDataDir(dataDir: string): () => void {
  const file = join(dataDir, 'latih.pid');
  try {
    writeFileSync(file, String(process.pid), { flag: 'wx' });
  } catch {
    const holder = Number(readFileSync(file, 'utf8'));
    if (holder && holder !== process.pid && isAlive(holder)) {
      throw new Error(
        `DATA_DIR ${dataDir} is in use by another process (pid ${holder}): stop it or set DATA_DIR`,
      );
    }
    writeFileSync(file, String(process.pid));
  }
  return () => {
    try {
      if (Number(readFileSync(file, 'utf8')) === process.pid) unlinkSync(file);
    } catch {
      // already gone
    }
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function openPglite(
  opts: { dataDir?: string; loadDataDir?: Blob | File } = {},
): Promise<Database> {
  let unlock = () => {};
  if (opts.dataDir) {
    mkdirSync(opts.dataDir, { recursive: true });
    unlock = lockDataDir(opts.dataDir);
  }
  // Note: PGlite ignores the options object when the first argument is undefined.
  const client = new PGlite(opts.dataDir ?? 'memory://', {
    parsers: { [OID_INT8]: parseInt8, [OID_NUMERIC]: parseNumeric },
    ...(opts.loadDataDir ? { loadDataDir: opts.loadDataDir } : {}),
  });
  await client.waitReady;
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  return {
    engine: 'pglite',
    db,
    pglite: client,
    migrate: () => migratePglite(drizzlePglite(client, { schema }), { migrationsFolder: MIGRATIONS_FOLDER }),
    migrationsCurrent: () => migrationsCurrent(db),
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    close: async () => {
      await client.close();
      unlock();
    },
  };
}

export async function openPostgres(
  url: string,
  opts: { max?: number; onIdleError?: (err: Error) => void; connectionTimeoutMillis?: number } = {},
): Promise<Database> {
  // Drizzle's node-postgres session passes its own per-query `types`, which fall back to pg's
  // global parsers, not the pool's: so the int8/numeric parsers must be set globally (a test
  // checks raw results are numbers on both drivers).
  pg.types.setTypeParser(OID_INT8, parseInt8);
  pg.types.setTypeParser(OID_NUMERIC, parseNumeric);
  // On a 2-core box sharing the CPU with PostgreSQL, a small pool beats a big one (STACK.md).
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 8,
    // No JIT compilation in the gateway's sessions: its statements are short, or read rollups, and
    // are planned anew each time, so LLVM compiling a big plan (the report rollups' union of seven
    // aggregates) cost more than it saved: 1.9 s of the per-minute refresh's 2.2 s at 10 M
    // participants (docs/benchmarks.md). Set on each new connection before it is handed out.
    onConnect: async (client) => {
      await client.query('set jit = off');
    },
    ...(opts.connectionTimeoutMillis !== undefined
      ? { connectionTimeoutMillis: opts.connectionTimeoutMillis }
      : {}),
  });
  // An idle connection the server drops (restart, failover, terminate) emits 'error' on the pool;
  // without a listener that would crash the process. The pool discards the client and reconnects.
  pool.on(
    'error',
    opts.onIdleError ?? ((err) => console.warn(`PostgreSQL idle connection lost: ${err.message}`)),
  );
  // A connection checked out of the pool (a transaction, between two of its statements) has no
  // 'error' listener of the pool's: the server ending it then (a failover's `terminating connection
  // due to administrator command`) emitted an unhandled 'error' and crashed the gateway. Every
  // client keeps a listener of its own; the broken client fails its next statement, and the
  // transaction's rollback and release discard it.
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  const db = drizzlePg(pool, { schema }) as unknown as Db;
  const max = opts.max ?? 8;
  return {
    engine: 'postgres',
    db,
    poolStats: () => ({
      max,
      total: pool.totalCount,
      idle: pool.idleCount,
      waiting: pool.waitingCount,
    }),
    migrate: async () => {
      // Several gateways may start at once: one migrates, the others wait for it.
      const conn = await pool.connect();
      try {
        await conn.query('select pg_advisory_lock(7253901)');
        await migratePg(drizzlePg(conn, { schema }), { migrationsFolder: MIGRATIONS_FOLDER });
      } finally {
        await conn.query('select pg_advisory_unlock(7253901)').catch(() => undefined);
        conn.release();
      }
    },
    migrationsCurrent: () => migrationsCurrent(db),
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    close: () => pool.end(),
  };
}

export function openDatabase(opts: { url?: string | undefined; dataDir: string; poolSize?: number }) {
  return opts.url
    ? openPostgres(opts.url, { max: opts.poolSize ?? 8 })
    : openPglite({ dataDir: opts.dataDir });
}

async function migrationsCurrent(db: Db): Promise<boolean> {
  const expected = readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER });
  const last = expected.at(-1);
  if (!last) return true;
  try {
    const rows = await execRows<{ created_at: number | string }>(
      db,
      sql`select created_at from drizzle.__drizzle_migrations order by created_at desc limit 1`,
    );
    const row = rows[0];
    return row !== undefined && Number(row.created_at) >= last.folderMillis;
  } catch {
    return false;
  }
}

/** Raw SQL rows. Both drivers answer `{ rows }`; the HKT-generic handle types it as unknown. */
export async function execRows<T>(db: Db, query: SQL): Promise<T[]> {
  const res = (await db.execute(query)) as unknown as { rows: T[] };
  return res.rows;
}

const dialect = new PgDialect();

/**
 * Raw SQL rows through a named prepared statement: on PostgreSQL each pooled connection parses the
 * statement once and PostgreSQL may reuse its plan, where `execRows` has every call parsed and
 * planned again. For hot statements only, and only when the text never changes (every value a
 * parameter): pg refuses one name with two texts. PGlite ignores the name.
 */
export async function execPreparedRows<T>(db: Db, name: string, query: SQL): Promise<T[]> {
  const prepared = db._.session.prepareQuery(dialect.sqlToQuery(query), undefined, name, false);
  const res = (await prepared.execute()) as unknown as { rows: T[] };
  return res.rows;
}
