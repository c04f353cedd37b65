import { AppError } from '@latih/contracts';
import { type SQL, sql } from 'drizzle-orm';

/** Cursors are opaque to clients: base64url of the last item's sort key. */
export function encodeCursor(key: string): string {
  return Buffer.from(JSON.stringify({ k: key })).toString('base64url');
}

export function decodeCursor(cursor: string): string {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (parsed && typeof parsed === 'object' && 'k' in parsed && typeof parsed.k === 'string')
      return parsed.k;
  } catch {
    // fall through to the typed error
  }
  throw new AppError('VALIDATION_FAILED', {
    message: 'The cursor is not one this API returned.',
    field: 'cursor',
  });
}

/** Takes limit+1 rows, returns the page and the cursor of its last item when there are more. */
export function toPage<R, T>(rows: R[], limit: number, key: (row: R) => string, map: (row: R) => T) {
  const more = rows.length > limit;
  const pageRows = more ? rows.slice(0, limit) : rows;
  const last = pageRows.at(-1);
  return {
    items: pageRows.map(map),
    nextCursor: more && last !== undefined ? encodeCursor(key(last)) : null,
  };
}

/**
 * Rows after a feed position `(xid, seq)` that only finished transactions wrote: every transaction
 * that could still commit has an xid at or above the snapshot's xmin, so nothing can appear behind
 * a reader's position later (see migration 0006). For tables with `xid` and `seq` columns.
 */
export function afterFeedPosition(since: { xid: string; seq: number }): SQL {
  return sql`(xid, seq) > (${since.xid}::xid8, ${since.seq}::bigint)
    and xid < pg_snapshot_xmin(pg_current_snapshot())`;
}
