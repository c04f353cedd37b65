import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

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

/**
 * Replaces the text between `<!-- bench:<marker>:start -->` and `<!-- bench:<marker>:end -->` in
 * docs/benchmarks.md with `section` (which holds both markers), adding the markers under `heading`
 * at the end when they are not there yet.
 */
export function writeDocSection(marker: string, heading: string, section: string): void {
  const docs = new URL('../docs/benchmarks.md', import.meta.url).pathname;
  const start = `<!-- bench:${marker}:start -->`;
  const end = `<!-- bench:${marker}:end -->`;
  let text = readFileSync(docs, 'utf8');
  if (!text.includes(start)) text += `\n## ${heading}\n\n${start}\n${end}\n`;
  const i = text.indexOf(start);
  const j = text.indexOf(end, i) + end.length;
  writeFileSync(docs, text.slice(0, i) + section + text.slice(j));
  log(`wrote ${docs}`);
}
