import { AppError } from '@latih/contracts';

/**
 * A position in a snapshot-safe feed (the catalog change feed, events.list): the last row's
 * writing transaction id and sequence, opaque to clients. See migration 0006.
 *
 * `xid` stays a decimal string end to end and is compared only by the database, as xid8: compared
 * or sorted as text anywhere, "1391" would come before "999" (STACK.md trap 15).
 */
export type FeedPosition = { xid: string; seq: number };

export const FEED_START: FeedPosition = { xid: '0', seq: 0 };

/** xid8 is an unsigned 64-bit integer; a bigger number would fail the cast in SQL (a 500). */
const XID8_MAX = 2n ** 64n - 1n;

export function encodeFeedCursor(p: FeedPosition): string {
  return Buffer.from(`${p.xid}:${p.seq}`).toString('base64url');
}

/**
 * The `xid:seq` a cursor carries. events.list used to wrap it as JSON (`{"k":"xid:seq"}`, the
 * format of the finite lists' cursors); partners may have stored such cursors, so both are read.
 */
function positionText(cursor: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith('{')) return text;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && 'k' in parsed && typeof parsed.k === 'string')
      return parsed.k;
  } catch {
    // not JSON after all: refused below
  }
  return '';
}

/** The position a cursor stands for; the start when none is given. `field` names it in the error. */
export function decodeFeedCursor(cursor: string | undefined, field: string): FeedPosition {
  if (!cursor) return FEED_START;
  const match = /^(\d{1,20}):(\d{1,16})$/.exec(positionText(cursor));
  const xid = match?.[1] ? BigInt(match[1]) : undefined;
  const seq = match?.[2] ? Number(match[2]) : undefined;
  // Out-of-range numbers are refused here: the casts to xid8 and bigint would fail in SQL instead.
  if (xid === undefined || xid > XID8_MAX || seq === undefined || !Number.isSafeInteger(seq)) {
    throw new AppError('VALIDATION_FAILED', {
      message: `The ${field} given is not a cursor this feed returned.`,
      field,
    });
  }
  return { xid: xid.toString(), seq };
}
