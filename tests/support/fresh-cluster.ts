import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
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

/** A migrated database on a new, empty cluster; `drop()` stops the server and deletes its folder. */
export async function freshClusterDatabase(
  opts: { poolSize?: number } = {},
): Promise<TestDatabase & { server: ClusterServer }> {
  const bin = binDir();
  if (!bin) throw new Error('no PostgreSQL server binaries in /usr/lib/postgresql');
  const dir = mkdtempSync(join(tmpdir(), 'latih-cluster-'));
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  const run = (tool: string, args: string[]) => {
    const [cmd, ...rest] = asServerUser(join(bin, tool), args);
    execFileSync(cmd ?? '', rest, { stdio: 'pipe' });
  };
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  const port = await freePort();
  // Nothing here must survive a crash: skip fsync and keep the server small.
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=32MB -c max_connections=40`;
  const start = () =>
    run('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
  start();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const stop = () => {
    try {
      run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    const db = await openPostgres(url, { max: opts.poolSize ?? 8, onIdleError: () => undefined });
    await db.migrate();
    return {
      ...db,
      url,
      server: {
        stop: (mode = 'fast') => run('pg_ctl', ['-D', data, '-m', mode, '-w', 'stop']),
        start,
      },
      drop: async () => {
        await db.close();
        stop();
      },
    };
  } catch (err) {
    stop();
    throw err;
  }
}
