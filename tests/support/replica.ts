import { spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { type Cluster, emptyCluster, freshClusterAvailable } from './fresh-cluster';
import { freePort } from './processes';

/*
 * A real PostgreSQL streaming replica, made on this machine, never a mock: a primary cluster of its
 * own (initdb in a temporary folder, fresh-cluster.ts), a standby made from it with
 * `pg_basebackup -R` into a second folder, started on another port and streaming. Both are
 * removed by `remove()`, and by this process's exit if a test run dies before its afterAll.
 * The shared server on 5432 is never touched (it holds the benchmark data sets).
 *
 * The server binaries refuse root: they run as the `postgres` user (fresh-cluster.ts's `tool`),
 * and both folders are writable by it.
 */

export function replicaAvailable(): boolean {
  return freshClusterAvailable();
}

export type Standby = {
  /** The standby's `postgres` database (read-only: it is in recovery). */
  url: string;
  port: number;
  dataDir: string;
  logFile: string;
  /** Stops applying WAL (it is still received): the standby's data stays where it is. */
  pauseReplay(): Promise<void>;
  resumeReplay(): Promise<void>;
  /** Waits until the standby has replayed everything the primary had written when this was called. */
  caughtUp(timeoutMs?: number): Promise<void>;
  /** `fast`: clients are disconnected; `immediate`: a crash. */
  stop(mode?: 'fast' | 'immediate'): void;
  /** Starts it again (it resumes streaming from where it stopped). */
  start(): Promise<void>;
};

export type ReplicaPair = {
  primary: Cluster;
  standby: Standby;
  /** The same database on each (made on the primary, replicated). */
  urls(database: string): { primary: string; standby: string };
  /** Creates a database on the primary and waits until the standby has it. */
  createDatabase(name: string): Promise<{ primary: string; standby: string }>;
  /** Stops both servers and deletes both folders. */
  remove(): void;
};

async function query<T = Record<string, unknown>>(url: string, text: string, values: unknown[] = []) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}

async function until(what: string, timeoutMs: number, test: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let pause = 10;
  for (;;) {
    if (await test().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`replica: ${what} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, pause));
    pause = Math.min(pause * 2, 200);
  }
}

/**
 * A primary and its streaming standby. `settings` go into both servers' postgresql.conf (after the
 * test defaults: fsync off and a small server, which a bench may turn back on).
 */
export async function replicaPair(opts: { settings?: string[] } = {}): Promise<ReplicaPair> {
  const primary = await emptyCluster({
    settings: [
      'wal_level = replica',
      'max_wal_senders = 4',
      // A standby's queries must not be cancelled by the primary's clean-ups under a test's feet.
      'hot_standby_feedback = on',
      ...(opts.settings ?? []),
    ],
  });
  const dir = mkdtempSync(join(tmpdir(), 'latih-standby-'));
  chmodSync(dir, 0o777);
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  const pgCtl = (args: string[]) => primary.tool('pg_ctl', ['-D', dataDir, ...args]);
  const running = () =>
    existsSync(dataDir) &&
    spawnSync('runuser', ['-u', 'postgres', '--', join(primary.binDir, 'pg_ctl'), '-D', dataDir, 'status'])
      .status === 0;
  let removed = false;
  const remove = () => {
    if (removed) return;
    removed = true;
    process.off('exit', remove);
    try {
      if (running()) pgCtl(['-m', 'immediate', '-w', 'stop']);
    } catch {
      // already stopping
    } finally {
      rmSync(dir, { recursive: true, force: true });
      primary.remove();
    }
  };
  // A run killed before its afterAll still stops both servers (exit handlers must be synchronous).
  process.on('exit', remove);
  try {
    // Replication connections over 127.0.0.1 without a password (initdb --auth=trust has the line
    // too; written here so that the pair does not depend on initdb's template).
    appendFileSync(join(primary.dataDir, 'pg_hba.conf'), '\nhost replication all 127.0.0.1/32 trust\n');
    primary.tool('pg_ctl', ['-D', primary.dataDir, 'reload']);
    // -R: standby.signal and primary_conninfo; -X stream: the WAL of the copy comes along.
    primary.tool('pg_basebackup', [
      '-h',
      '127.0.0.1',
      '-p',
      String(primary.port),
      '-U',
      'postgres',
      '-D',
      dataDir,
      '-R',
      '-X',
      'stream',
      '-c',
      'fast',
      '--no-sync',
    ]);
    const port = await freePort();
    appendFileSync(
      join(dataDir, 'postgresql.conf'),
      [
        '',
        '# latih tests (replica.ts): the standby',
        `port = ${port}`,
        `unix_socket_directories = '${dir}'`,
        'hot_standby = on',
        // Replay waits for a standby query rather than cancelling it, for as long as a test needs.
        'max_standby_streaming_delay = 60s',
        'wal_receiver_status_interval = 1s',
        '',
      ].join('\n'),
    );
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    const start = async () => {
      pgCtl(['-l', logFile, '-w', '-t', '60', 'start']);
      await until('the standby streaming', 30_000, async () => {
        const [row] = await query<{ status: string }>(url, 'select status from pg_stat_wal_receiver');
        return row?.status === 'streaming';
      });
    };
    await start();
    const urls = (database: string) => ({
      primary: primary.url.replace(/\/postgres$/, `/${database}`),
      standby: url.replace(/\/postgres$/, `/${database}`),
    });
    const standby: Standby = {
      url,
      port,
      dataDir,
      logFile,
      pauseReplay: async () => {
        await query(url, 'select pg_wal_replay_pause()');
        await until('replay paused', 10_000, async () => {
          const [row] = await query<{ s: string }>(url, 'select pg_get_wal_replay_pause_state() as s');
          return row?.s === 'paused';
        });
      },
      resumeReplay: async () => {
        await query(url, 'select pg_wal_replay_resume()');
      },
      caughtUp: async (timeoutMs = 20_000) => {
        const [row] = await query<{ lsn: string }>(
          primary.url,
          'select pg_current_wal_insert_lsn()::text as lsn',
        );
        await until(`the standby replaying ${row?.lsn}`, timeoutMs, async () => {
          const [r] = await query<{ ok: boolean }>(
            url,
            'select pg_last_wal_replay_lsn() >= $1::pg_lsn as ok',
            [row?.lsn],
          );
          return r?.ok === true;
        });
      },
      stop: (mode = 'fast') => {
        pgCtl(['-m', mode, '-w', 'stop']);
      },
      start,
    };
    return {
      primary,
      standby,
      urls,
      createDatabase: async (name) => {
        await query(primary.url, `create database "${name}"`);
        await standby.caughtUp();
        return urls(name);
      },
      remove,
    };
  } catch (err) {
    const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-2_000) : '(no standby log)';
    remove();
    throw new Error(`could not make the replica pair: ${(err as Error).message}\nstandby log: ${log}`, {
      cause: err,
    });
  }
}
