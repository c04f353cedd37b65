import { AppError } from '@latih/contracts';

/**
 * A position in a snapshot-safe feed (the catalog change feed, events.list): the last row's
 * writing transaction id and sequence, opaque to clients. See migration 0006.
 */
export type FeedPosition = { xid: string; seq: number };

export const FEED_START: FeedPosition = { xid: '0', seq: 0 };

export function encodeFeedCursor(p: FeedPosition): string {
  return Buffer.from(`${p.xid}:${p.seq}`).toString('base64url');
}

/** The position a cursor stands for; the start when none is given. `field` names it in the error. */
export function decodeFeedCursor(cursor: string | undefined, field: string): FeedPosition {
  if (!cursor) return FEED_START;
  const [xid, seq] = Buffer.from(cursor, 'base64url').toString('utf8').split(':');
  if (!xid || !/^\d+$/.test(xid) || !seq || !/^\d+$/.test(seq)) {
    throw new AppError('VALIDATION_FAILED', {
      message: `The ${field} given is not a cursor this feed returned.`,
      field,
    });
  }
  return { xid, seq: Number(seq) };
}
