import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPostgres } from '@latih/db';
import type { TestDatabase } from './db';
import { freePort } from './processes';

/*
 * A PostgreSQL cluster of its own, made for one test file: initdb in a temporary folder, started on
 * a free port, removed afterwards. The shared server's transaction counter is one for the whole
 * cluster and only grows (past 10^7 on these machines already), so a test that must write on both
 * sides of 10^3, 10^4 and 10^5 can only do it on a cluster that starts at the beginning.
 */

function binDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const version = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a))[0];
  return version ? join(root, version, 'bin') : null;
}

/** initdb refuses root: run the server's tools as the `postgres` user then. */
function asServerUser(cmd: string, args: string[]): string[] {
  return process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--', cmd, ...args] : [cmd, ...args];
}

/** A server tool from `bin` as a command and its arguments, run as the server's OS user. */
function spawnArgs(bin: string, tool: string, args: string[]): [string, string[]] {
  const [cmd, ...rest] = asServerUser(join(bin, tool), args);
  return [cmd ?? '', rest];
}

export function freshClusterAvailable(): boolean {
  const bin = binDir();
  if (!bin) return false;
  if (process.getuid?.() === 0 && spawnSync('id', ['postgres']).status !== 0) return false;
  return true;
}

/** The cluster's server, stopped and started again in place (same port, same data). */
export type ClusterServer = {
  /** `fast`: clients are disconnected (admin shutdown), as in a failover; `immediate`: a crash. */
  stop(mode?: 'fast' | 'immediate'): void;
  start(): void;
};

/**
 * An initdb'd cluster, started, with nothing in it (no migration): a target for pg_restore, or the
 * ground freshClusterDatabase migrates. Its settings are in its postgresql.conf, so the server's own
 * tools work on it as they do on a production cluster (`pg_ctl -D <dataDir> stop`, `pg_resetwal`).
 */
export type Cluster = {
  /** The cluster's `postgres` database. */
  url: string;
  port: number;
  /** The temporary folder (writable by the server's OS user): the data folder, the server log. */
  dir: string;
  /** PGDATA. */
  dataDir: string;
  /** The PostgreSQL server binaries (initdb, pg_ctl, pg_dump, pg_resetwal …). */
  binDir: string;
  /** The server's log file (pg_ctl -l). */
  logFile: string;
  /**
   * Runs one of the server's tools from `binDir` as the server's OS user (initdb, pg_resetwal and
   * pg_ctl refuse root), with `args` as given; returns what it printed on stdout.
   */
  tool(name: string, args: string[]): string;
  server: ClusterServer;
  /** Stops the server if it runs (immediately: nothing here is kept) and deletes the folder. */
  remove(): void;
};

/** Runs a server tool as the server's OS user; its stdout, or an error with its stderr. */
function runTool(bin: string, tool: string, args: string[]): string {
  const [cmd, rest] = spawnArgs(bin, tool, args);
  try {
    return execFileSync(cmd, rest, { stdio: 'pipe', encoding: 'utf8' });
  } catch (err) {
    // Some tools say why on stdout (pg_resetwal: "The database server was not shut down cleanly").
    const { stdout, stderr } = err as { stdout?: string; stderr?: string };
    throw new Error(`${tool} ${args.join(' ')} failed: ${[stderr, stdout].filter(Boolean).join('\n')}`, {
      cause: err,
    });
  }
}

/**
 * A new, empty cluster (initdb in a temporary folder), started on a free port. `settings` are
 * postgresql.conf lines written after the defaults below, so they win (a bench turns fsync back on).
 */
export async function emptyCluster(opts: { settings?: string[] } = {}): Promise<Cluster> {
  const bin = binDir();
  if (!bin) throw new Error('no PostgreSQL server binaries in /usr/lib/postgresql');
  const dir = mkdtempSync(join(tmpdir(), 'latih-cluster-'));
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  const run = (tool: string, args: string[]) => runTool(bin, tool, args);
  const running = () => spawnSync(...spawnArgs(bin, 'pg_ctl', ['-D', data, 'status'])).status === 0;
  const remove = () => {
    try {
      if (existsSync(data) && running()) run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
    const port = await freePort();
    // Nothing here must survive a crash: skip fsync and keep the server small.
    appendFileSync(
      join(data, 'postgresql.conf'),
      [
        '',
        '# latih tests (fresh-cluster.ts)',
        `port = ${port}`,
        `unix_socket_directories = '${dir}'`,
        "listen_addresses = '127.0.0.1'",
        'fsync = off',
        'synchronous_commit = off',
        'full_page_writes = off',
        'shared_buffers = 32MB',
        'max_connections = 40',
        ...(opts.settings ?? []),
        '',
      ].join('\n'),
    );
    const start = () => run('pg_ctl', ['-D', data, '-l', logFile, '-w', '-t', '60', 'start']);
    start();
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      port,
      dir,
      dataDir: data,
      binDir: bin,
      logFile,
      tool: run,
      server: {
        stop: (mode = 'fast') => run('pg_ctl', ['-D', data, '-m', mode, '-w', 'stop']),
        start,
      },
      remove,
    };
  } catch (err) {
    remove();
    throw err;
  }
}

/** A migrated database on a new, empty cluster; `drop()` stops the server and deletes its folder. */
export async function freshClusterDatabase(
  opts: { poolSize?: number } = {},
): Promise<TestDatabase & { server: ClusterServer; cluster: Cluster }> {
  const cluster = await emptyCluster();
  try {
    const db = await openPostgres(cluster.url, { max: opts.poolSize ?? 8, onIdleError: () => undefined });
    try {
      await db.migrate();
    } catch (err) {
      await db.close();
      throw err;
    }
    return {
      ...db,
      url: cluster.url,
      server: cluster.server,
      cluster,
      drop: async () => {
        try {
          await db.close();
        } finally {
          cluster.remove();
        }
      },
    };
  } catch (err) {
    cluster.remove();
    throw err;
  }
}
