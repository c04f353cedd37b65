import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import cliProgress from 'cli-progress';
import { clientFor } from '../client';
import { loadProfile } from '../config';
import { CliError, type Output } from '../output';
import { positiveInt, stopSignal } from '../util';

export type CatalogSyncOptions = { out: string; follow: boolean; pollInterval: string; limit: string };

type CursorFile = { cursor: string; url: string; clientId: string; updatedAt: string };

/**
 * The platform's catalog into a JSONL file, one change per line (`{type, courseId, course}`, as
 * platform.catalog.changes answers them, oldest first). The first run loads everything; the
 * cursor is then kept beside the file (`<out>.cursor`) and later runs append only what changed
 * since. Each page is appended before its cursor is stored: after a crash a page may be written
 * twice (apply UPSERT/TOMBSTONE in order and it does no harm), never skipped.
 */
export async function catalogSync(profileName: string, opts: CatalogSyncOptions, out: Output): Promise<void> {
  const file = resolve(opts.out);
  const cursorFile = `${file}.cursor`;
  const limit = positiveInt(opts.limit, '--limit');
  const pollIntervalMs = positiveInt(opts.pollInterval, '--poll-interval');
  const profile = loadProfile(profileName);
  let since: string | undefined;
  if (existsSync(cursorFile)) {
    let stored: CursorFile;
    try {
      stored = JSON.parse(readFileSync(cursorFile, 'utf8')) as CursorFile;
    } catch (err) {
      throw new CliError(
        'CURSOR_FILE_INVALID',
        `${cursorFile}: ${(err as Error).message}; delete it for a full sync`,
      );
    }
    if (stored.url !== profile.url || stored.clientId !== profile.clientId)
      throw new CliError(
        'CURSOR_FILE_MISMATCH',
        `${cursorFile} was written for ${stored.clientId} on ${stored.url}, not this profile's ${profile.clientId} on ${profile.url}: choose another --out, or delete both files for a full sync`,
      );
    if (!existsSync(file))
      throw new CliError(
        'CURSOR_FILE_MISMATCH',
        `${cursorFile} is there but ${file} is not: delete the cursor file for a full sync`,
      );
    since = stored.cursor;
  }
  // A full sync starts a new file, once its first page has come: a refused first call (a wrong
  // profile, the gateway away) leaves no empty file behind.
  let fresh = since === undefined;

  const latih = clientFor(profile);
  const bar = new cliProgress.SingleBar(
    {
      format: 'catalog sync | {value} changes | {upserts} upserts, {tombstones} tombstones | {state}',
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let written = 0;
  let upserts = 0;
  let tombstones = 0;
  let cursor = since ?? null;
  bar.start(0, 0, { upserts, tombstones, state: since ? 'resuming' : 'full load' });
  const { signal, dispose } = stopSignal();
  try {
    for await (const batch of latih.catalog.sync({
      ...(since ? { since } : {}),
      limit,
      follow: opts.follow,
      pollIntervalMs,
      signal,
    })) {
      const lines = batch.changes.map((c) => `${JSON.stringify(c)}\n`).join('');
      if (fresh) writeFileSync(file, lines);
      else if (lines) appendFileSync(file, lines);
      fresh = false;
      const record: CursorFile = {
        cursor: batch.cursor,
        url: profile.url,
        clientId: profile.clientId,
        updatedAt: new Date().toISOString(),
      };
      writeFileSync(`${cursorFile}.tmp`, `${JSON.stringify(record)}\n`);
      renameSync(`${cursorFile}.tmp`, cursorFile);
      cursor = batch.cursor;
      const up = batch.changes.filter((c) => c.type === 'UPSERT').length;
      written += batch.changes.length;
      upserts += up;
      tombstones += batch.changes.length - up;
      bar.setTotal(written);
      bar.update(written, { upserts, tombstones, state: batch.hasMore ? 'loading' : 'caught up' });
      if (opts.follow)
        out.line({
          kind: 'batch',
          changes: batch.changes.length,
          cursor: batch.cursor,
          hasMore: batch.hasMore,
        });
    }
  } finally {
    dispose();
    bar.stop();
  }
  const summary = {
    out: file,
    cursorFile,
    resumed: since !== undefined,
    written,
    upserts,
    tombstones,
    cursor,
  };
  if (opts.follow) out.line({ kind: 'stopped', ...summary });
  else out.result(summary);
  out.text(
    `${since ? 'Resumed' : 'Full load'}: ${written} change(s) written to ${file} (${upserts} upserts, ${tombstones} tombstones).`,
  );
  out.text(`Cursor stored in ${cursorFile}: the next run appends only what changes after it.`);
}
