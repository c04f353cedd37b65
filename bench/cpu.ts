/**
 * CPU accounting for the benches: CPU time (user + system, all threads) of the processes that serve
 * a measured run, read from /proc before and after it. Throughput on a loaded machine says little;
 * CPU time per request barely depends on what else runs, so it is what compares runs.
 *
 * Who is counted: a Node process by pid (the gateway child, pgbench), this process itself (the
 * autocannon load generator runs here), and the PostgreSQL backends connected to the bench's
 * database (`pg_stat_activity`), so other databases on the same cluster do not count. PostgreSQL's
 * shared helpers (WAL writer, checkpointer, background writer) serve every database at once and are
 * left out; a backend that both starts and ends inside the window is missed (reported as `lost`).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type pg from 'pg';

const TICK_MS = 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** utime + stime of a process (every thread), in ms; undefined once it has gone. */
export function processCpuMs(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces: fields are counted after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

/** This process (user + system), in ms. */
const selfCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

export type CpuSnapshot = {
  /** Monotonic time (ms). */
  at: number;
  self: number;
  pids: Map<number, number>;
  backends: Map<number, number>;
};

/**
 * The CPU so far of this process, of `pids`, and of every client backend of `database` except the
 * monitoring connection itself (optionally only those whose application_name is `application`).
 */
export async function cpuSnapshot(
  monitor: pg.Client,
  database: string,
  pids: number[],
  application?: string,
): Promise<CpuSnapshot> {
  const r = await monitor.query<{ pid: number }>(
    `select pid from pg_stat_activity
      where datname = $1 and pid <> pg_backend_pid() and backend_type = 'client backend'
        and ($2::text is null or application_name = $2)`,
    [database, application ?? null],
  );
  const backends = new Map<number, number>();
  for (const { pid } of r.rows) {
    const ms = processCpuMs(pid);
    if (ms !== undefined) backends.set(pid, ms);
  }
  const own = new Map<number, number>();
  for (const pid of pids) {
    const ms = processCpuMs(pid);
    if (ms !== undefined) own.set(pid, ms);
  }
  return { at: performance.now(), self: selfCpuMs(), pids: own, backends };
}

export type CpuUse = {
  /** Wall-clock length of the window, ms. */
  wallMs: number;
  /** CPU ms in the window: this process, each pid asked for, PostgreSQL's backends. */
  self: number;
  pids: Map<number, number>;
  postgres: number;
  /** Backends seen at the start and gone at the end (their last stretch is not counted). */
  lost: number;
};

export function cpuBetween(a: CpuSnapshot, b: CpuSnapshot): CpuUse {
  const pids = new Map<number, number>();
  for (const [pid, ms] of b.pids) pids.set(pid, ms - (a.pids.get(pid) ?? 0));
  let postgres = 0;
  for (const [pid, ms] of b.backends) postgres += ms - (a.backends.get(pid) ?? 0);
  let lost = 0;
  for (const pid of a.backends.keys()) if (!b.backends.has(pid)) lost++;
  return { wallMs: b.at - a.at, self: b.self - a.self, pids, postgres, lost };
}
