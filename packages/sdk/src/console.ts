import type { AppRouter } from '@latih/api/router';
import { createTRPCClient, httpBatchLink, httpLink, splitLink, type TRPCClient } from '@trpc/client';
import type { LatihCallContext } from './index';
import { latihErrorLink } from './link';

export type LatihConsoleClientOptions = {
  /** The gateway's origin; '' (the default) for the page's own, as in the console. */
  baseUrl?: string;
  /** The session's CSRF token (from sign-in or GET /console/api/session), sent on every mutation. */
  csrfToken: () => string | null;
  fetch?: typeof globalThis.fetch;
};

/**
 * The typed client for a browser signed in to the console: the session cookie authenticates
 * (same origin, httpOnly: this code never sees it), and every mutation carries the session's
 * X-CSRF-Token and an Idempotency-Key. Errors are LatihError, as with createLatihClient.
 */
export function createLatihConsoleClient(opts: LatihConsoleClientOptions): TRPCClient<AppRouter> {
  const url = `${(opts.baseUrl ?? '').replace(/\/+$/, '')}/trpc`;
  const baseFetch = opts.fetch ?? globalThis.fetch.bind(globalThis);
  const sameOrigin: typeof globalThis.fetch = (input, init) =>
    baseFetch(input, { ...init, credentials: 'same-origin' });
  return createTRPCClient<AppRouter>({
    links: [
      latihErrorLink,
      splitLink({
        condition: (op) => op.type === 'mutation',
        true: httpLink({
          url,
          fetch: sameOrigin,
          headers: ({ op }) => ({
            'x-csrf-token': opts.csrfToken() ?? '',
            'idempotency-key':
              (op.context as LatihCallContext).idempotencyKey ?? globalThis.crypto.randomUUID(),
          }),
        }),
        false: httpBatchLink({ url, fetch: sameOrigin }),
      }),
    ],
  });
}
