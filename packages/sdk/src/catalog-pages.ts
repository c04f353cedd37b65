import type { AppRouter } from '@latih/api/router';
import type { TCatalogChange } from '@latih/contracts';
import { TRPCClientError } from '@trpc/client';
import { LatihError } from './errors';

/**
 * One page of the catalog change feed as it arrives: where it leaves the cursor (known from the
 * response's headers, before its body is read) and its changes (read and parsed on demand).
 */
export type CatalogPageHead = {
  nextCursor: string;
  hasMore: boolean;
  changes: () => Promise<TCatalogChange[]>;
};

export type CatalogPageFetch = (
  input: { since?: string; limit?: number },
  signal: AbortSignal,
) => Promise<CatalogPageHead>;

/** A REST error body, as the gateway writes it (TErrorBody). */
type ErrorBody = {
  code?: string;
  message?: string;
  field?: string;
  requestId?: string;
  retryable?: boolean;
  docUrl?: string;
};

function restError(status: number, body: ErrorBody | null): LatihError {
  const message = body?.message ?? `HTTP ${status}`;
  return new LatihError(
    new TRPCClientError<AppRouter>(message, {
      result: {
        error: { message, code: -32000, data: { ...(body ?? {}), httpStatus: status } },
      },
    } as never),
  );
}

/**
 * GET /v1/platform/catalog/changes through `fetch` (the client's, which adds the bearer token).
 * The gateway writes that page with each course's stored JSON spliced in, and says in the
 * `Latih-Next-Cursor` and `Latih-Has-More` headers where it leaves the feed, so the next page can
 * be asked for while this one is parsed (docs/adr/0009).
 */
export function restCatalogPages(baseUrl: string, fetch: typeof globalThis.fetch): CatalogPageFetch {
  return async (input, signal) => {
    const query = new URLSearchParams();
    if (input.since) query.set('since', input.since);
    if (input.limit) query.set('limit', String(input.limit));
    let res: Response;
    try {
      res = await fetch(`${baseUrl}/v1/platform/catalog/changes?${query}`, {
        headers: { accept: 'application/json' },
        signal,
      });
    } catch (err) {
      throw err instanceof LatihError ? err : new LatihError(TRPCClientError.from(err as Error));
    }
    if (!res.ok) {
      const body = (await res.json().catch(() => null)) as ErrorBody | null;
      throw restError(res.status, body);
    }
    type Page = { changes: TCatalogChange[]; nextCursor: string; hasMore: boolean };
    const read = async (): Promise<Page> => {
      try {
        return (await res.json()) as Page;
      } catch (err) {
        throw new LatihError(TRPCClientError.from(err as Error));
      }
    };
    const cursor = res.headers.get('latih-next-cursor');
    const more = res.headers.get('latih-has-more');
    if (cursor === null || (more !== 'true' && more !== 'false')) {
      // Headers stripped on the way (a proxy): the body says it all, read at once.
      const page = await read();
      return { nextCursor: page.nextCursor, hasMore: page.hasMore, changes: async () => page.changes };
    }
    return { nextCursor: cursor, hasMore: more === 'true', changes: async () => (await read()).changes };
  };
}
