import type { TCatalogChange } from '@latih/contracts';
import type { CatalogPageFetch, CatalogPageHead } from './catalog-pages';

/*
 * Two kinds of cursor-paged procedures, told apart by their types:
 * - a finite list (provider.courses.list, platform.vouchers.list, …) answers `nextCursor: string |
 *   null`, null on its last page: `paginate` walks it to the end and stops;
 * - a feed (events.list, platform.catalog.changes) answers `nextCursor: string` (never null: an
 *   empty page hands your cursor back) and `hasMore`: it has no last page, only "caught up for
 *   now". `followFeed` reads it until caught up, or keeps polling.
 * `paginate` refuses a feed at compile time (and at run time, for JavaScript callers): stopping on
 * null, it would call a feed forever.
 */

// `never` parameter: every query function fits (parameters are contravariant), and its own
// input type stays inferable through Parameters<>.
type ListQuery = (input: never) => Promise<{ items: unknown[]; nextCursor: string | null }>;
type OutputOf<Q extends (input: never) => Promise<unknown>> = Awaited<ReturnType<Q>>;
type ItemOf<Q extends ListQuery> = OutputOf<Q>['items'][number];
// A list whose every field is optional takes `input?: X | void`; NonNullable keeps the `void`, and
// Omit over `X | void` is `{}`, which took any filters (`{ limit: 'ten' }` compiled).
type InputOf<Q extends (input: never) => unknown> = Exclude<Parameters<Q>[0], void>;
type FiltersOf<Q extends ListQuery> = Omit<InputOf<Q>, 'cursor'>;

/**
 * Accepts Q only when it is a finite list: its cursor can be null and it has no `hasMore`. For a
 * feed it demands a property no query has, named so that the compiler's error gives the reason.
 */
type FeedRefused = {
  'paginate() walks finite lists; this is a feed (its cursor is never null): use followFeed()': true;
};
type FiniteListOnly<Q extends ListQuery> =
  OutputOf<Q> extends { hasMore: boolean }
    ? FeedRefused
    : null extends OutputOf<Q>['nextCursor']
      ? unknown
      : FeedRefused;

/**
 * Every item of a finite cursor-paginated list, page after page, ending after its last page:
 * `for await (const course of paginate(latih.provider.courses.list, { status: 'DRAFT' })) …`
 * A feed (events.list, platform.catalog.changes) does not compile here: use `followFeed`.
 */
export async function* paginate<Q extends ListQuery>(
  list: { query: Q } & FiniteListOnly<Q>,
  input?: FiltersOf<Q>,
): AsyncGenerator<ItemOf<Q>, void, undefined> {
  let cursor: string | undefined;
  do {
    const args = { ...(input ?? {}), ...(cursor ? { cursor } : {}) } as Parameters<Q>[0];
    const page = (await list.query(args)) as { items: ItemOf<Q>[]; nextCursor: string | null };
    // A JavaScript caller can hand us a feed anyway; it would never end, so say so instead.
    if ('hasMore' in page || (page.nextCursor !== null && page.nextCursor === cursor)) {
      throw new TypeError(
        'paginate() walks finite lists; this is a feed (its cursor never runs out): use followFeed()',
      );
    }
    for (const item of page.items) yield item;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
}

/** A feed's answer: the items (`items` or, for the catalog, `changes`), the cursor, and hasMore. */
type FeedOutput = { nextCursor: string; hasMore: boolean } & ({ items: unknown[] } | { changes: unknown[] });
type FeedQuery = (input: never, opts?: { signal?: AbortSignal }) => Promise<FeedOutput>;
type FeedItemOf<Q extends FeedQuery> =
  OutputOf<Q> extends { items: (infer T)[] } ? T : OutputOf<Q> extends { changes: (infer T)[] } ? T : never;
type FeedInputOf<Q extends FeedQuery> = InputOf<Q>;

export type FeedFollowOptions = {
  /**
   * false (the default): stop once caught up (`hasMore: false`). true: keep polling, every
   * `pollIntervalMs` while caught up and at once while `hasMore`, until `signal` aborts.
   */
  follow?: boolean;
  /**
   * The pause between polls once caught up, with `follow` (default 1 000 ms: a change is servable
   * tens of milliseconds after its commit, so the interval is the lag; 1 to 60 s is recommended).
   */
  pollIntervalMs?: number;
  /** Ends the iteration: the pause is cut short, a request in flight is cancelled, and it returns quietly. */
  signal?: AbortSignal;
};

/**
 * One page of a feed: process `items` (oldest first), then store `cursor` with what you did, so a
 * restart resumes after it. `hasMore`: the next batch follows at once; false: you are caught up.
 */
export type FeedBatch<T> = { items: T[]; cursor: string; hasMore: boolean };

const DEFAULT_POLL_INTERVAL_MS = 1_000;

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Follows a feed's cursor: `events.list` or `platform.catalog.changes`.
 *
 * `input` is the feed's own input, its cursor included when you resume (`cursor` for events.list,
 * `since` for the catalog change feed) and any filter (`types`, `limit`). Batches come in the
 * feed's order; each carries the cursor to store once you have processed it (at least once: after
 * a crash you may see a batch again). A failed request ends the iteration with its error: restart
 * it from your stored cursor.
 *
 * ```ts
 * for await (const batch of followFeed(latih.events.list, { cursor: stored }, { follow: true, signal })) {
 *   for (const event of batch.items) await handle(event);
 *   await store(batch.cursor);
 * }
 * ```
 */
export async function* followFeed<Q extends FeedQuery>(
  feed: { query: Q },
  input?: FeedInputOf<Q>,
  opts: FeedFollowOptions = {},
): AsyncGenerator<FeedBatch<FeedItemOf<Q>>, void, undefined> {
  const { signal } = opts;
  const given = { ...(input ?? {}) } as Record<string, unknown>;
  // The feed's cursor parameter: the one the caller resumed with, else learnt from the first
  // answer (the catalog feed answers `changes` and takes `since`; events.list `items` and `cursor`).
  let cursorKey: 'since' | 'cursor' | undefined =
    typeof given.since === 'string' ? 'since' : typeof given.cursor === 'string' ? 'cursor' : undefined;
  let cursor = cursorKey ? (given[cursorKey] as string) : undefined;
  for (;;) {
    if (signal?.aborted) return;
    const args = { ...given, ...(cursorKey && cursor ? { [cursorKey]: cursor } : {}) };
    let page: FeedOutput;
    try {
      page = await feed.query(args as Parameters<Q>[0], signal ? { signal } : undefined);
    } catch (err) {
      if (signal?.aborted) return;
      throw err;
    }
    const items = ('changes' in page ? page.changes : page.items) as FeedItemOf<Q>[];
    cursorKey ??= 'changes' in page ? 'since' : 'cursor';
    const moved = page.nextCursor !== cursor;
    cursor = page.nextCursor;
    // A page can advance the cursor with no items (the catalog feed leaves drafts out): hand the
    // cursor over anyway, so what is stored keeps up.
    if (items.length > 0 || page.hasMore || moved) yield { items, cursor, hasMore: page.hasMore };
    if (page.hasMore) continue;
    if (!opts.follow) return;
    await pause(opts.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS, signal);
  }
}

export type CatalogSyncOptions = FeedFollowOptions & {
  /** The cursor you stored last time; omit for a first full load. */
  since?: string;
  /** Changes per request (1–500). */
  limit?: number;
};

/** One page of the feed: apply `changes`, then store `cursor` (at-least-once: re-applying is harmless). */
export type CatalogSyncBatch = { changes: TCatalogChange[]; cursor: string; hasMore: boolean };

type ChangesFn = {
  query: (
    input: { since?: string; limit?: number },
    opts?: { signal?: AbortSignal },
  ) => Promise<{ changes: TCatalogChange[]; nextCursor: string; hasMore: boolean }>;
};

/** The tRPC procedure's pages, for syncCatalogPages: the whole page is parsed before its cursor is known. */
function pagesOf(changes: ChangesFn): CatalogPageFetch {
  return async (input, signal) => {
    const page = await changes.query(input, { signal });
    return { nextCursor: page.nextCursor, hasMore: page.hasMore, changes: async () => page.changes };
  };
}

/** The catalog change feed as batches of changes, over `platform.catalog.changes` (any client's). */
export function syncCatalog(
  changes: ChangesFn,
  opts: CatalogSyncOptions = {},
): AsyncGenerator<CatalogSyncBatch, void, undefined> {
  return syncCatalogPages(pagesOf(changes), opts);
}

/**
 * The catalog change feed as batches: `followFeed`'s contract (batches in feed order, each with the
 * cursor to store once processed; stop when caught up, or keep polling with `follow`), and while
 * the feed has more, the next page is asked for as soon as this one's cursor is known, so the
 * gateway builds it while this one is parsed and processed. A page asked for ahead and not read is
 * cancelled when the iteration ends.
 */
export async function* syncCatalogPages(
  fetchPage: CatalogPageFetch,
  opts: CatalogSyncOptions = {},
): AsyncGenerator<CatalogSyncBatch, void, undefined> {
  const { since, limit, signal, follow, pollIntervalMs } = opts;
  const inner = new AbortController();
  const onAbort = () => inner.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  const ask = (cursor: string | undefined) => {
    const page = fetchPage(
      { ...(cursor ? { since: cursor } : {}), ...(limit ? { limit } : {}) },
      inner.signal,
    );
    // Read below, or abandoned when the iteration ends: never an unhandled rejection.
    page.catch(() => undefined);
    return page;
  };
  let cursor = since;
  let next = ask(cursor);
  try {
    for (;;) {
      if (signal?.aborted) return;
      let head: CatalogPageHead;
      let changes: TCatalogChange[];
      try {
        head = await next;
        if (head.hasMore) next = ask(head.nextCursor);
        changes = await head.changes();
      } catch (err) {
        if (signal?.aborted) return;
        throw err;
      }
      const moved = head.nextCursor !== cursor;
      cursor = head.nextCursor;
      // A page can advance the cursor with no changes (the feed leaves drafts out): hand the
      // cursor over anyway, so what is stored keeps up.
      if (changes.length > 0 || head.hasMore || moved) yield { changes, cursor, hasMore: head.hasMore };
      if (head.hasMore) continue;
      if (!follow) return;
      await pause(pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS, signal);
      if (signal?.aborted) return;
      next = ask(cursor);
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    inner.abort();
  }
}
