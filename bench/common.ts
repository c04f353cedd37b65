import { execFileSync } from 'node:child_process';

/** What every bench shares: the local PostgreSQL, a log line with the time, psql, a ready gateway. */
export const SERVER = 'postgres://postgres@127.0.0.1:5432';

export const log = (msg: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);

/** One psql command against `db` (stops at the first error), its output trimmed. */
export const psql = (db: string, sql: string) =>
  execFileSync(
    'psql',
    ['-h', '127.0.0.1', '-U', 'postgres', '-d', db, '-v', 'ON_ERROR_STOP=1', '-qAtc', sql],
    {
      encoding: 'utf8',
    },
  ).trim();

/** Waits (two minutes at most) for the gateway at `base` to answer /readyz. */
export async function waitReady(base: string): Promise<void> {
  for (let i = 0; i < 240; i++) {
    try {
      if ((await fetch(`${base}/readyz`)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('the gateway did not become ready');
}
