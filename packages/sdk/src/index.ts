import type { AppRouter } from '@latih/api/router';
import { createTRPCClient, httpBatchLink, httpLink, splitLink, type TRPCClient } from '@trpc/client';
import { restCatalogPages } from './catalog-pages';
import { type CatalogSyncBatch, type CatalogSyncOptions, syncCatalogPages } from './iterate';
import { latihErrorLink } from './link';
import { TokenManager } from './token';

export type { AppRouter } from '@latih/api/router';
export type {
  TCatalogChange,
  TCatalogChanges,
  TCatalogCourse,
  TCertificate,
  TCertificateTemplate,
  TCertificateVerification,
  TCheckout,
  TCompletionRule,
  TCourse,
  TCourseContent,
  TCourseMode,
  TCoursePage,
  TCourseRevision,
  TCourseStatus,
  TCreateCourseInput,
  TCreateRunInput,
  TCurationReview,
  TErrorCode,
  TEvent,
  TEventDataMap,
  TEventPage,
  TEventType,
  TImportResult,
  TIndicator,
  TOrganisation,
  TPassport,
  TPassportConsent,
  TRejection,
  TRun,
  TRunStatus,
  TScheme,
  TSession,
  TSessionInput,
  TTestClock,
  TUpdateCourseInput,
  TUpdateRunInput,
  TVenue,
  TVoucher,
  TWebhookDelivery,
  TWebhookEndpoint,
  TWhoAmI,
} from '@latih/contracts';
// The API's closed lists of values (statuses, kinds, modes, reasons…), bundled without zod.
export * from '@latih/contracts/values';
export { canonicalize, type Jwks, verifyCertificate } from './certificates';
export { createLatihConsoleClient, type LatihConsoleClientOptions } from './console';
export { isLatihError, LatihAuthError, LatihError, type LatihErrorCode } from './errors';
export {
  type CatalogSyncBatch,
  type CatalogSyncOptions,
  type FeedBatch,
  type FeedFollowOptions,
  followFeed,
  paginate,
  syncCatalog,
} from './iterate';
export {
  type CertificateCheck,
  type CertificateCheckStatus,
  checkCertificate,
  fetchPassportMaterial,
  type OfflineVerificationOptions,
  type PassportMaterial,
  type PassportVerification,
  verifyPassport,
} from './passports';
export {
  type AdvanceSandboxClockOptions,
  advanceSandboxClock,
  LatihClockTimeoutError,
  type SandboxClockTarget,
} from './sandbox';
export { type LatihEvent, LatihWebhookError, type VerifyWebhookOptions, verifyWebhook } from './webhooks';

export type LatihClientOptions = {
  /** The gateway's origin, e.g. https://api.latih.example or http://localhost:3000 */
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  /** Space-separated subset of the client's scopes; all of them when omitted. */
  scope?: string;
  /** A fetch implementation (defaults to the global one: Node ≥ 20 and browsers). */
  fetch?: typeof globalThis.fetch;
};

/** Per-call options: pass as the second argument of `.mutate()` / `.query()`. */
export type LatihCallContext = { idempotencyKey?: string };

/** The typed tRPC client, plus helpers that are not procedures. */
export type LatihClient = TRPCClient<AppRouter> & {
  catalog: {
    /**
     * The catalog change feed as an async iterator of batches: apply each batch's changes, then
     * store its cursor; pass it as `since` after a restart. Stops once caught up, or with
     * `follow: true` keeps polling every `pollIntervalMs` until `signal` aborts (see followFeed).
     */
    sync(opts?: CatalogSyncOptions): AsyncGenerator<CatalogSyncBatch, void, undefined>;
  };
};

/**
 * The typed Latih client. Tokens are fetched, cached and refreshed before expiry; a 401 is retried
 * once with a fresh token; every mutation carries an Idempotency-Key (yours, via
 * `{ context: { idempotencyKey } }`, or a random one) that retries keep; errors are LatihError.
 */
export function createLatihClient(opts: LatihClientOptions): LatihClient {
  const baseUrl = opts.baseUrl.replace(/\/+$/, '');
  const baseFetch = opts.fetch ?? globalThis.fetch.bind(globalThis);
  const tokens = new TokenManager({ ...opts, baseUrl, fetch: baseFetch });

  const authedFetch: typeof globalThis.fetch = async (input, init) => {
    const send = async (token: string) => {
      const headers = new Headers(init?.headers);
      headers.set('authorization', `Bearer ${token}`);
      return baseFetch(input, { ...init, headers });
    };
    const token = await tokens.get();
    const res = await send(token);
    if (res.status !== 401) return res;
    // The token may have been revoked or signed by a key we rotated away: try once more.
    tokens.invalidate(token);
    return send(await tokens.get());
  };

  const url = `${baseUrl}/trpc`;
  const trpc = createTRPCClient<AppRouter>({
    links: [
      latihErrorLink,
      splitLink({
        condition: (op) => op.type === 'mutation',
        // Mutations go one per request: the Idempotency-Key header belongs to one call.
        true: httpLink({
          url,
          fetch: authedFetch,
          headers: ({ op }) => ({
            'idempotency-key':
              (op.context as LatihCallContext).idempotencyKey ?? globalThis.crypto.randomUUID(),
          }),
        }),
        false: httpBatchLink({ url, fetch: authedFetch }),
      }),
    ],
  });
  // catalog.sync reads the REST page, which the gateway writes from stored courses, and asks for the
  // next page while it parses one (docs/adr/0009); syncCatalog over the tRPC procedure stays for
  // any other client.
  const catalogPages = restCatalogPages(baseUrl, authedFetch);
  const catalog = { sync: (o?: CatalogSyncOptions) => syncCatalogPages(catalogPages, o) };
  // The tRPC client is a proxy of the router; `catalog` is not a router key, so it is ours to add.
  return new Proxy(trpc, {
    get: (target, prop, receiver) => (prop === 'catalog' ? catalog : Reflect.get(target, prop, receiver)),
  }) as LatihClient;
}
