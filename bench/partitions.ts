import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ulid } from '@latih/core';
import { MIGRATIONS_FOLDER } from '@latih/db';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { log } from './common';

/*
 * `npm run bench:partitions`: migration 0035 (month partitions) on a populated database. A scratch
 * PostgreSQL 15 cluster of its own (initdb in /tmp, the main server's settings: fsync on, 128 MB
 * shared buffers, 1 GB max_wal_size), so that gigabytes of rows never land in the shared server;
 * migrated to 0034, filled by COPY with BENCH_PARTITION_ROWS events and as many audit rows (2 M
 * each by default) spread over 36 months, then migrated to 0035 while a writer inserts an event
 * every 20 ms and a reader reads one by id: how long the migration takes, and how long writes and
 * reads wait for it. Then one partitions.maintain-like month made ahead, and one month detached.
 * The cluster is removed at the end. Prints a markdown table (docs/benchmarks.md, Month partitions).
 */

const ROWS = Number(process.env.BENCH_PARTITION_ROWS ?? 2_000_000);
const MONTHS = 36;
const START = Date.parse('2023-01-01T00:00:00Z');
const SPAN = Date.parse('2026-01-01T00:00:00Z') - START;
const BIN = '/usr/lib/postgresql/15/bin';

function asPostgres(tool: string, args: string[]) {
  return execFileSync('runuser', ['-u', 'postgres', '--', join(BIN, tool), ...args], { encoding: 'utf8' });
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

async function cluster() {
  const dir = mkdtempSync(join(tmpdir(), 'latih-bench-partitions-'));
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  asPostgres('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8']);
  const port = await freePort();
  appendFileSync(
    join(data, 'postgresql.conf'),
    `\nport = ${port}\nunix_socket_directories = '${dir}'\nlisten_addresses = '127.0.0.1'\nshared_buffers = 128MB\nmax_wal_size = 1GB\n`,
  );
  asPostgres('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-w', 'start']);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    remove: () => {
      try {
        asPostgres('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    port,
  };
}

/** The migrations folder cut after 0034. */
function previousMigrations(): string {
  const dir = mkdtempSync(join(tmpdir(), 'latih-migrations-0034-'));
  cpSync(MIGRATIONS_FOLDER, dir, { recursive: true });
  const file = join(dir, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(file, 'utf8')) as { entries: { tag: string }[] };
  journal.entries = journal.entries.slice(0, journal.entries.findIndex((e) => e.tag.startsWith('0034_')) + 1);
  writeFileSync(file, JSON.stringify(journal));
  return dir;
}

/** COPY `rows` lines made by `line(i)` into `table` through psql's stdin. */
async function copy(port: number, table: string, columns: string, rows: number, line: (i: number) => string) {
  const psql = spawn(
    'psql',
    [
      '-h',
      '127.0.0.1',
      '-p',
      String(port),
      '-U',
      'postgres',
      '-d',
      'postgres',
      '-v',
      'ON_ERROR_STOP=1',
      '-qc',
      `copy ${table} (${columns}) from stdin`,
    ],
    {
      stdio: ['pipe', 'inherit', 'inherit'],
    },
  );
  const done = new Promise<void>((resolve, reject) =>
    psql.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`copy ${table}: psql exited ${code}`)),
    ),
  );
  let chunk = '';
  for (let i = 0; i < rows; i++) {
    chunk += line(i);
    if (chunk.length > 1 << 20) {
      if (!psql.stdin.write(chunk)) await new Promise((r) => psql.stdin.once('drain', r));
      chunk = '';
    }
  }
  psql.stdin.end(chunk);
  await done;
}

type Probe = { worstMs: number; during: number; errors: number };

/** Runs `op` every `everyMs` until stopped: the longest one and how many failed. */
function probe(pool: pg.Pool, op: (c: pg.Pool, i: number) => Promise<unknown>, everyMs: number) {
  const r: Probe = { worstMs: 0, during: 0, errors: 0 };
  let stop = false;
  const loop = (async () => {
    for (let i = 0; !stop; i++) {
      const t = performance.now();
      try {
        await op(pool, i);
      } catch {
        r.errors++;
      }
      r.worstMs = Math.max(r.worstMs, performance.now() - t);
      r.during++;
      await new Promise((res) => setTimeout(res, everyMs));
    }
  })();
  return {
    stop: async () => {
      stop = true;
      await loop;
      return r;
    },
  };
}

const c = await cluster();
const previous = previousMigrations();
const pool = new pg.Pool({ connectionString: c.url, max: 4 });
try {
  log(`scratch cluster on port ${c.port}; migrating to 0034`);
  await migrate(drizzle(pool), { migrationsFolder: previous });
  const timeOf = (i: number) => START + Math.floor((i / ROWS) * SPAN);
  let t = performance.now();
  await copy(
    c.port,
    'events',
    'id, type, organisation_id, entity_type, entity_id, data, published_at',
    ROWS,
    (i) => {
      const at = timeOf(i);
      return `evt_${ulid(at)}\tcourse.published\torg_${i % 500}\tcourse\tcrs_${i % 100_000}\t{"course":{"id":"crs_${i % 100_000}","status":"PUBLISHED"}}\t${new Date(at + 1000).toISOString()}\n`;
    },
  );
  await copy(
    c.port,
    'audit_log',
    'id, occurred_at, actor_organisation_id, action, entity_type, entity_id, from_state, to_state',
    ROWS,
    (i) => {
      const at = timeOf(i);
      return `aud_${ulid(at)}\t${new Date(at).toISOString()}\torg_${i % 500}\tcourse.published\tcourse\tcrs_${i % 100_000}\tIN_REVIEW\tPUBLISHED\n`;
    },
  );
  await pool.query('vacuum analyze events, audit_log');
  const loadS = (performance.now() - t) / 1000;
  const size = (
    await pool.query<{ s: string }>(
      `select pg_size_pretty(pg_total_relation_size('events') + pg_total_relation_size('audit_log')) as s`,
    )
  ).rows[0]?.s;
  log(
    `loaded ${ROWS} events and ${ROWS} audit rows over ${MONTHS} months in ${loadS.toFixed(0)} s (${size})`,
  );

  // Migrate to 0035 with a writer and a reader going on.
  const someId = (await pool.query<{ id: string }>('select id from events order by id limit 1 offset 1000'))
    .rows[0]?.id;
  const writer = probe(
    pool,
    (p) =>
      p.query(
        `insert into events (id, type, organisation_id, entity_type, entity_id, data) values ($1, 'course.updated', 'org_1', 'course', 'crs_1', '{}')`,
        [`evt_${ulid()}`],
      ),
    20,
  );
  const reader = probe(pool, (p) => p.query('select * from events where id = $1', [someId]), 20);
  await new Promise((r) => setTimeout(r, 500));
  t = performance.now();
  const migrator = new pg.Pool({ connectionString: c.url, max: 1 });
  await migrate(drizzle(migrator), { migrationsFolder: MIGRATIONS_FOLDER });
  await migrator.end();
  const migrateS = (performance.now() - t) / 1000;
  await new Promise((r) => setTimeout(r, 500));
  const w = await writer.stop();
  const rd = await reader.stop();
  const parts = (
    await pool.query<{ n: string }>(
      `select count(*) as n from pg_inherits where inhparent = 'events'::regclass`,
    )
  ).rows[0]?.n;
  const counts = (
    await pool.query<{ e: string; a: string }>(
      'select (select count(*) from events) as e, (select count(*) from audit_log) as a',
    )
  ).rows[0];
  log(
    `migrated in ${migrateS.toFixed(1)} s: ${parts} events partitions; rows ${counts?.e} events, ${counts?.a} audit`,
  );
  log(
    `writer: worst ${w.worstMs.toFixed(0)} ms, ${w.errors} errors of ${w.during}; reader: worst ${rd.worstMs.toFixed(0)} ms, ${rd.errors} errors`,
  );

  // A month made ahead (what partitions.maintain does each month), timed while writes go on.
  const writer2 = probe(
    pool,
    (p) =>
      p.query(
        `insert into events (id, type, entity_type, entity_id, data) values ($1, 'x', 'y', 'z', '{}')`,
        [`evt_${ulid()}`],
      ),
    5,
  );
  t = performance.now();
  for (const table of [
    ['events', 'id', 'evt'],
    ['audit_log', 'id', 'aud'],
  ] as const)
    await pool.query(`select * from latih_attach_month($1, $2, $3, '2030-01-01')`, [...table]);
  const attachMs = performance.now() - t;
  const w2 = await writer2.stop();
  log(
    `two months made ahead in ${attachMs.toFixed(0)} ms; writer worst ${w2.worstMs.toFixed(0)} ms, ${w2.errors} errors`,
  );

  // One month detached (the lock DETACH holds, and the rows it takes out).
  const writer3 = probe(
    pool,
    (p) =>
      p.query(
        `insert into events (id, type, entity_type, entity_id, data) values ($1, 'x', 'y', 'z', '{}')`,
        [`evt_${ulid()}`],
      ),
    5,
  );
  t = performance.now();
  await pool.query('alter table events detach partition events_2023_01');
  const detachMs = performance.now() - t;
  const w3 = await writer3.stop();
  const detached = (await pool.query<{ n: string }>('select count(*) as n from events_2023_01')).rows[0]?.n;
  log(
    `events_2023_01 (${detached} rows) detached in ${detachMs.toFixed(0)} ms; writer worst ${w3.worstMs.toFixed(0)} ms, ${w3.errors} errors`,
  );

  console.log(
    [
      '',
      `| month partitions (${ROWS.toLocaleString('en-US')} events + ${ROWS.toLocaleString('en-US')} audit rows, ${MONTHS} months, ${size}) | figure |`,
      '|---|---|',
      `| load (COPY + VACUUM ANALYZE) | ${loadS.toFixed(0)} s |`,
      `| migration 0035 (both tables converted, ${parts} events partitions) | ${migrateS.toFixed(1)} s |`,
      `| longest wait of a write to events during it (one every 20 ms) | ${(w.worstMs / 1000).toFixed(1)} s, ${w.errors} failed |`,
      `| longest wait of a read of events by id during it | ${(rd.worstMs / 1000).toFixed(1)} s, ${rd.errors} failed |`,
      `| one month made ahead for events and audit_log | ${attachMs.toFixed(0)} ms (writes: worst ${w2.worstMs.toFixed(0)} ms) |`,
      `| one month of events (${Number(detached).toLocaleString('en-US')} rows) detached | ${detachMs.toFixed(0)} ms (writes: worst ${w3.worstMs.toFixed(0)} ms) |`,
      '',
    ].join('\n'),
  );
} finally {
  await pool.end().catch(() => undefined);
  rmSync(previous, { recursive: true, force: true });
  c.remove();
  log('scratch cluster removed');
}
