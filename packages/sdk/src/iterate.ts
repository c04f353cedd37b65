import type { TCatalogChange } from '@latih/contracts';

type Page<T> = { items: T[]; nextCursor: string | null };
// `never` parameter: every query function fits (parameters are contravariant), and its own
// input type stays inferable through Parameters<>.
type ListQuery = (input: never) => Promise<Page<unknown>>;
type ItemOf<Q extends ListQuery> = Awaited<ReturnType<Q>>['items'][number];
type FiltersOf<Q extends ListQuery> = Omit<NonNullable<Parameters<Q>[0]>, 'cursor'>;

/**
 * Every item of a cursor-paginated list, page after page:
 * `for await (const course of paginate(latih.provider.courses.list, { status: 'DRAFT' })) …`
 */
export async function* paginate<Q extends ListQuery>(
  list: { query: Q },
  input?: FiltersOf<Q>,
): AsyncGenerator<ItemOf<Q>, void, undefined> {
  let cursor: string | undefined;
  do {
    const args = { ...(input ?? {}), ...(cursor ? { cursor } : {}) } as Parameters<Q>[0];
    const page = (await list.query(args)) as Page<ItemOf<Q>>;
    for (const item of page.items) yield item;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
}

export type CatalogSyncOptions = {
  /** The cursor you stored last time; omit for a first full load. */
  since?: string;
  /** Changes per request (1–500). */
  limit?: number;
  /** Keep polling when caught up (false: stop once caught up). */
  follow?: boolean;
  /** Wait between polls when caught up, with `follow`. */
  pollIntervalMs?: number;
  signal?: AbortSignal;
};

/** One page of the feed: apply `changes`, then store `cursor` (at-least-once: re-applying is harmless). */
export type CatalogSyncBatch = { changes: TCatalogChange[]; cursor: string };

type ChangesFn = {
  query: (input: {
    since?: string;
    limit?: number;
  }) => Promise<{ changes: TCatalogChange[]; nextCursor: string; hasMore: boolean }>;
};

export async function* syncCatalog(
  changes: ChangesFn,
  opts: CatalogSyncOptions = {},
): AsyncGenerator<CatalogSyncBatch, void, undefined> {
  let cursor = opts.since;
  for (;;) {
    if (opts.signal?.aborted) return;
    const page = await changes.query({
      ...(cursor ? { since: cursor } : {}),
      ...(opts.limit ? { limit: opts.limit } : {}),
    });
    cursor = page.nextCursor;
    if (page.changes.length > 0 || page.hasMore) yield { changes: page.changes, cursor };
    if (page.hasMore) continue;
    if (!opts.follow) return;
    await new Promise((resolve) => setTimeout(resolve, opts.pollIntervalMs ?? 5_000));
  }
}
