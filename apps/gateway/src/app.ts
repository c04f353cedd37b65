import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type ApiContext,
  appRouter,
  backpressureWriter,
  buildOpenApiDocument,
  createRawCaller,
  databaseUnavailable,
  databaseUnavailableError,
  EXPORTS,
  type Services,
  servicesHandle,
  streamExport,
  toAppError,
} from '@latih/api';
import {
  AppError,
  ERROR_CATALOG,
  errorBody,
  STAFF_LOCKOUT_MINUTES,
  STAFF_SESSION_HOURS,
  type TErrorBody,
  type TErrorCode,
  ZSignInInputSchema,
  ZTokenRequestSchema,
} from '@latih/contracts';
import {
  csrfMatches,
  type DevOtpChannel,
  issueClientCredentialsToken,
  type JobStatus,
  OAuthError,
  type ProgramClock,
  receivePaymentWebhook,
  signInStaff,
  signOutStaff,
  staffSession,
} from '@latih/core';
import type { ReplicaStatus } from '@latih/db';
import { TRPCError } from '@trpc/server';
import { createExpressMiddleware } from '@trpc/server/adapters/express';
import express, { type NextFunction, type Request, type Response } from 'express';
import { createOpenApiExpressMiddleware, type OpenApiRouter } from 'trpc-to-openapi';
import { clientAddress } from './client-address';
import { renderErrorCatalog, renderErrorPage, renderReference } from './docs-page';
import {
  edgeErrors,
  logEscapedErrors,
  refuseHostileBodies,
  refuseHostileRequests,
  trpcRequestIds,
} from './hostile-input';
import { mountIntegrationProtocol } from './integration';
import type { Logger } from './logger';
import { type Metrics, metricsRoute } from './metrics';
import { mountPages } from './pages';
import { httpRateLimits, type RateLimits } from './rate-limits';
import { sdkTarballRoute } from './sdk-tarball';

export type AppOptions = {
  services: Services;
  /** Mounted only when given (never in production): the development OTP channel's inbox. */
  devOtp?: DevOtpChannel | null;
  logger: Logger;
  version: string;
  ready: () => Promise<{ ok: boolean; reason?: string }>;
  /** The program clock: a sandbox's test clock is re-read before every request. */
  clock?: ProgramClock;
  /**
   * Set by a graceful stop: /readyz answers 503 so the load balancer stops sending, and every
   * answer closes its connection so none is reused while the server goes away.
   */
  lifecycle?: { draining: boolean };
  /** The schedule's jobs and their last runs, for /readyz (null: this process runs none). */
  jobs?: () => Promise<JobStatus[] | null>;
  /**
   * DATABASE_READ_URL's replica as its last check saw it, for /readyz. Never makes the instance
   * unready: without it the primary serves every read.
   */
  readReplica?: () => ReplicaStatus;
  /** The payment provider's webhook secret; null: no payments webhook route. */
  paymentsWebhookSecret?: string | null;
  /** Every request recorded (metrics.ts); GET /metrics answered on this port when `onPublicPort`. */
  metrics?: { metrics: Metrics; onPublicPort: boolean; token: string | undefined } | null;
  /** Rate limits (rate-limits.ts); none: nothing is limited (tests that do not test them). */
  rateLimits?: RateLimits | null;
  /** Express's `trust proxy` (TRUST_PROXY): where req.ip, the address limits count by, comes from. */
  trustProxy?: boolean | number | string;
};

/** The replica in /readyz: where the reads that may lag go now, and why. */
function replicaReadiness(s: ReplicaStatus) {
  return {
    state: s.state,
    serving: s.serving,
    lagMs: s.lagMs === null ? null : Math.round(s.lagMs),
    maxLagMs: s.maxLagMs,
    reason: s.reason,
    lastCheckAt: s.lastCheckAt,
  };
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const BODY_LIMIT = '1mb';
const IMPORT_BODY_LIMIT = '10mb';

function sendError(res: Response, code: TErrorCode, message?: string, field?: string): void {
  res
    .status(ERROR_CATALOG[code].status)
    .json(errorBody({ code, message, field, requestId: res.locals.requestId as string }));
}

export function createApp(opts: AppOptions): express.Express {
  const { services, logger } = opts;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', opts.trustProxy ?? 'loopback');
  if (opts.metrics) app.use(opts.metrics.metrics.recordRequests);

  // Request id: accepted from the caller when sane, generated otherwise; echoed and logged.
  app.use((req, res, next) => {
    const given = req.header('x-request-id');
    const requestId = given && REQUEST_ID.test(given) ? given : `req_${randomUUID().replaceAll('-', '')}`;
    if (opts.lifecycle?.draining) res.setHeader('Connection', 'close');
    res.locals.requestId = requestId;
    res.setHeader('X-Request-Id', requestId);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    res.setHeader(
      'Content-Security-Policy',
      "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    );
    res.setHeader('Cache-Control', 'no-store');
    const started = process.hrtime.bigint();
    // The whole path as the client sent it (req.path is relative to a mount by the time the answer
    // is sent: /v1/… logged as /…), with an identity-check link's token left out (a bearer secret).
    const path = loggedPath(req.originalUrl);
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      logger.info(
        {
          requestId,
          method: req.method,
          path,
          // The client's address as TRUST_PROXY resolves it (the balancer's X-Forwarded-For).
          ip: clientAddress(req),
          status: res.statusCode,
          durationMs: Math.round(ms * 10) / 10,
        },
        'request',
      );
    });
    next();
  });

  // Rate limits, before anything costs: per client (verified token) on the API, per address
  // otherwise; the token endpoint and console sign-in have their own, in front of their routes.
  const limits = opts.rateLimits
    ? httpRateLimits(opts.rateLimits, { clientOf: (t) => services.tokens.verify(t).clientId, logger })
    : null;
  const limitedBy = (name: 'token' | 'signIn') => (limits ? [limits[name]] : []);
  if (limits) app.use(limits.general);

  // The program's own provider integration protocol (HMAC-SHA1 over the raw body, at the host's
  // root): read raw, before any JSON parser, and every refusal in the protocol's envelope, the
  // hostile-input checks' too (integration.ts).
  mountIntegrationProtocol(app, services, {
    bodyLimit: BODY_LIMIT,
    sandbox: services.integrationSandbox ?? false,
    refreshClock: opts.clock?.kind === 'test' ? () => opts.clock?.refresh() ?? Promise.resolve() : null,
  });

  // Hostile input (NUL, lone surrogates, deep nesting, false encodings, other media types) is
  // refused here and after the body parsers, before any rule or query sees it (hostile-input.ts).
  app.use(refuseHostileRequests());

  // A sandbox's test clock may have been moved through another gateway: read it before any rule does.
  const clock = opts.clock;
  if (clock?.kind === 'test') {
    app.use((req, _res, next) => {
      if (req.path === '/healthz' || req.path.startsWith('/console/assets/')) return next();
      clock.refresh().then(() => next(), next);
    });
  }

  // The payment provider's webhooks: the signature covers the raw body, so this route reads it
  // raw, before any JSON parser. Answers 2xx once the event is recorded (or was already).
  app.post(
    '/payments/webhook',
    express.raw({ type: () => true, limit: BODY_LIMIT }),
    async (req, res, next) => {
      const secret = opts.paymentsWebhookSecret;
      if (!secret) return sendError(res, 'ROUTE_NOT_FOUND');
      try {
        const rawBody = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
        const r = await receivePaymentWebhook({
          db: services.db,
          rawBody,
          signature: req.header('payments-signature'),
          secret,
          now: new Date(services.now()),
          verifyAt: new Date(),
        });
        if (!r.ok) return sendError(res, 'PAYMENTS_WEBHOOK_INVALID', r.reason);
        res.json({ received: true, duplicate: r.duplicate });
      } catch (err) {
        next(err);
      }
    },
  );

  // Bulk import takes up to 1 000 courses with runs: its own, larger limit (parsed first, so the
  // general parser skips it).
  app.use(
    ['/v1/provider/courses/import', '/trpc/provider.courses.import'],
    express.json({ limit: IMPORT_BODY_LIMIT }),
  );
  app.use(express.json({ limit: BODY_LIMIT }));
  app.use('/v1/oauth/token', express.urlencoded({ extended: false, limit: BODY_LIMIT }));
  app.use(refuseHostileBodies());

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  // Readiness, and the operator's view of the schedule: each job's last run (on any instance), its
  // duration, how late it is and its last failure. Jobs never make an instance unready.
  app.get('/readyz', async (_req, res) => {
    if (opts.lifecycle?.draining)
      return sendError(res, 'SERVICE_UNAVAILABLE', 'This instance is shutting down.');
    const r = await opts.ready();
    if (!r.ok) return sendError(res, 'SERVICE_UNAVAILABLE', r.reason);
    const jobs = await opts.jobs?.().catch(() => null);
    return res.json({
      status: 'ready',
      ...(clock?.kind === 'test'
        ? { clock: { kind: 'test', now: new Date(clock.now()).toISOString() } }
        : {}),
      jobs: jobs ?? null,
      ...(opts.readReplica ? { readReplica: replicaReadiness(opts.readReplica()) } : {}),
    });
  });

  mountPages(app, services);

  app.post('/v1/oauth/token', ...limitedBy('token'), async (req, res, next) => {
    res.setHeader('Pragma', 'no-cache');
    try {
      const parsed = ZTokenRequestSchema.safeParse(req.body ?? {});
      if (!parsed.success) throw new OAuthError('invalid_request', 'The token request body is malformed.');
      const basic = parseBasicAuth(req.header('authorization'));
      if (basic && parsed.data.client_secret) {
        throw new OAuthError('invalid_request', 'Authenticate the client with one method only.');
      }
      const body = await issueClientCredentialsToken({
        db: services.db,
        tokens: services.tokens,
        grantType: parsed.data.grant_type,
        clientId: basic?.id ?? parsed.data.client_id,
        clientSecret: basic?.secret ?? parsed.data.client_secret,
        scope: parsed.data.scope,
      });
      res.json(body);
    } catch (err) {
      if (err instanceof OAuthError) {
        if (err.status === 401) res.setHeader('WWW-Authenticate', 'Basic realm="latih"');
        res.status(err.status).json({
          error: err.error,
          error_description: err.description,
          requestId: res.locals.requestId,
        });
        return;
      }
      next(err);
    }
  });

  if (opts.devOtp) {
    const inbox = opts.devOtp;
    // Development only: stands in for the participant's phone. Not mounted in production.
    app.get('/dev/otp/:checkoutId', (req, res) => {
      const code = inbox.read(req.params.checkoutId);
      if (!code) return sendError(res, 'NOT_FOUND', 'No code was sent for this checkout.');
      return res.json({ checkoutId: req.params.checkoutId, code });
    });
  }

  let openApiDoc: object | undefined;
  const doc = () => {
    openApiDoc ??= buildOpenApiDocument({ baseUrl: '/v1', version: opts.version });
    return openApiDoc as Record<string, unknown>;
  };
  app.get('/v1/openapi.json', (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=60');
    res.json(doc());
  });
  app.get('/docs', (_req, res) => {
    res.type('html').send(renderReference(doc()));
  });
  app.get('/docs/errors', (_req, res) => {
    res.type('html').send(renderErrorCatalog());
  });
  // The SDK's tarball (it is not on the npm registry): `npm i <gateway>/sdk/latih-sdk-<version>.tgz`.
  app.get(
    '/sdk/:file',
    sdkTarballRoute((res, message) => sendError(res, 'ROUTE_NOT_FOUND', message)),
  );
  // One page per code: the docUrl of every error body.
  app.get('/docs/errors/:code', (req, res) => {
    const html = renderErrorPage(req.params.code);
    if (!html) return sendError(res, 'ROUTE_NOT_FOUND');
    res.setHeader('Cache-Control', 'public, max-age=300');
    return res.type('html').send(html);
  });
  // Prometheus metrics, behind METRICS_TOKEN; otherwise on METRICS_PORT only, or off (404 below).
  if (opts.metrics?.onPublicPort) app.get('/metrics', metricsRoute(opts.metrics.metrics, opts.metrics.token));

  const createContext = ({ req, res }: { req: Request; res: Response }): ApiContext => ({
    requestId: res.locals.requestId as string,
    authorization: req.header('authorization') ?? null,
    idempotencyKey: req.header('idempotency-key') ?? null,
    sessionCookie: cookie(req, SESSION_COOKIE),
    csrfToken: req.header('x-csrf-token') ?? null,
    setHeader: (name, value) => {
      if (!res.headersSent) res.setHeader(name, value);
    },
    services: servicesHandle(services),
  });

  app.use(
    '/trpc',
    trpcRequestIds(),
    createExpressMiddleware({ router: appRouter, createContext, onError: logEscapedErrors(logger) }),
  );

  // The console (apps/console, built by `npm run build:console`): static files under /console.
  const consoleDist = fileURLToPath(new URL('../../console/dist/', import.meta.url));
  app.use('/console', (req, res, next) => {
    if (req.path.startsWith('/api/')) return next();
    res.setHeader(
      'Content-Security-Policy',
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    );
    if (!existsSync(join(consoleDist, 'index.html')))
      return sendError(res, 'ROUTE_NOT_FOUND', 'The console is not built: run npm run build:console.');
    // Hashed assets may be cached for good; index.html must not be.
    if (req.path.startsWith('/assets/'))
      res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
    return next();
  });
  app.use(
    '/console',
    express.static(consoleDist, { index: 'index.html', redirect: true, cacheControl: false }),
  );

  // Console sign-in for PMO staff: the session lives in an httpOnly, SameSite=Strict cookie.
  app.post('/console/api/session', ...limitedBy('signIn'), async (req, res) => {
    const parsed = ZSignInInputSchema.safeParse(req.body);
    if (!parsed.success) return sendError(res, 'VALIDATION_FAILED', 'Send {"email", "password"}.');
    try {
      const { token, session } = await signInStaff({
        db: services.db,
        email: parsed.data.email,
        password: parsed.data.password,
        now: new Date(),
        requestId: res.locals.requestId as string,
        ip: clientAddress(req),
        userAgent: req.header('user-agent') ?? null,
      });
      res.setHeader('set-cookie', sessionCookieHeader(req, token, STAFF_SESSION_HOURS * 3600));
      res.setHeader('cache-control', 'no-store');
      return res.status(200).json(session);
    } catch (err) {
      if (err instanceof AppError) {
        if (err.code === 'STAFF_LOCKED') res.setHeader('retry-after', String(STAFF_LOCKOUT_MINUTES * 60));
        return sendError(res, err.code, err.message);
      }
      throw err;
    }
  });
  app.get('/console/api/session', async (req, res) => {
    const token = cookie(req, SESSION_COOKIE);
    const found = token ? await staffSession({ db: services.db, token, now: new Date() }) : null;
    res.setHeader('cache-control', 'no-store');
    if (!found) return sendError(res, 'SESSION_INVALID');
    return res.status(200).json(found.session);
  });
  app.delete('/console/api/session', async (req, res) => {
    const token = cookie(req, SESSION_COOKIE);
    if (token) {
      if (!csrfMatches(token, req.header('x-csrf-token'))) return sendError(res, 'CSRF_INVALID');
      await signOutStaff({
        db: services.db,
        token,
        now: new Date(),
        requestId: res.locals.requestId as string,
      });
    }
    res.setHeader('set-cookie', sessionCookieHeader(req, '', 0));
    return res.status(204).end();
  });

  /** An error a procedure called from a plain route threw, answered as the API answers it. */
  const sendCaught = (res: Response, err: unknown, what: string) => {
    const app =
      err instanceof AppError
        ? err
        : toAppError(
            err instanceof TRPCError ? err : new TRPCError({ code: 'INTERNAL_SERVER_ERROR', cause: err }),
          );
    if (app.code === 'INTERNAL_ERROR') logger.error({ err, requestId: res.locals.requestId }, what);
    else if (app.code === 'SERVICE_UNAVAILABLE') {
      logger.warn({ err, requestId: res.locals.requestId }, 'database unavailable');
      res.setHeader('Retry-After', '1');
    }
    return sendError(res, app.code, app.message, app.field);
  };

  // CSV exports, streamed page by page through the same procedures (see packages/api/src/exports.ts).
  app.get(/^\/v1\/(pmo|public|provider)\/exports\/([a-z][a-z/-]*)\.csv$/, async (req, res) => {
    const audience = String(req.params[0]);
    const name = audience === 'pmo' ? String(req.params[1]) : `${audience}/${String(req.params[1])}`;
    if (EXPORTS[name]?.audience !== audience) return sendError(res, 'ROUTE_NOT_FOUND');
    let started = false;
    const write = backpressureWriter(res);
    try {
      await streamExport({
        name,
        ctx: createContext({ req, res }),
        query: req.query as Record<string, unknown>,
        write,
        onStart: () => {
          started = true;
          res.status(200);
          res.setHeader('content-type', 'text/csv; charset=utf-8');
          res.setHeader(
            'content-disposition',
            `attachment; filename="latih-${name.replace(/\//g, '-')}.csv"`,
          );
          res.setHeader('cache-control', 'no-store');
        },
      });
      res.end();
    } catch (err) {
      if (!started) return sendCaught(res, err, 'export failed');
      // Headers are gone: cut the stream short so the client sees an incomplete download, not a short file.
      if (!write.closed()) logger.error({ err, requestId: res.locals.requestId }, 'export failed midway');
      res.destroy();
    }
  });

  // REST: trpc-to-openapi answers errors in its own shape; rewrite them into ours (see TErrorBody).
  app.use('/v1', restErrorShape, conditionalGet);
  // The catalog change feed's pages with each course's stored JSON spliced in: the same procedure
  // middleware as platform.catalog.changes, without re-encoding a page of up to 500 courses
  // (docs/adr/0009). The OpenAPI document describes it through that procedure.
  app.get('/v1/platform/catalog/changes', async (req, res) => {
    try {
      const page = await createRawCaller(createContext({ req, res })).catalogChanges(req.query as never);
      res.status(200);
      res.setHeader('content-type', 'application/json; charset=utf-8');
      // For a client that fetches the next page while it parses this one (the SDK's catalog.sync).
      res.setHeader('latih-next-cursor', page.nextCursor);
      res.setHeader('latih-has-more', String(page.hasMore));
      res.end(page.body);
    } catch (err) {
      sendCaught(res, err, 'catalog changes failed');
    }
  });
  app.use(
    '/v1',
    createOpenApiExpressMiddleware({
      router: appRouter as unknown as OpenApiRouter,
      createContext,
      onError: logEscapedErrors(logger),
    }),
  );

  app.use((_req, res) => {
    sendError(res, 'ROUTE_NOT_FOUND');
  });

  app.use(edgeErrors());
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const type = (err as { type?: string }).type;
    if (type === 'entity.too.large') return sendError(res, 'PAYLOAD_TOO_LARGE');
    if (type === 'entity.parse.failed') return sendError(res, 'MALFORMED_JSON');
    if (type === 'encoding.unsupported' || type === 'charset.unsupported')
      return sendError(res, 'UNSUPPORTED_MEDIA_TYPE');
    if (err instanceof AppError) return sendError(res, err.code, err.message, err.field);
    if (databaseUnavailable(err)) {
      logger.warn({ err, requestId: res.locals.requestId }, 'database unavailable');
      res.setHeader('Retry-After', '1');
      const unavailable = databaseUnavailableError();
      // The token endpoint answers in OAuth's shape: RFC 6749's code for a server that cannot
      // answer for now.
      if (req.path === '/v1/oauth/token')
        return res.status(unavailable.status).json({
          error: 'temporarily_unavailable',
          error_description: unavailable.message,
          requestId: res.locals.requestId,
        });
      return sendError(res, unavailable.code, unavailable.message);
    }
    logger.error({ err, requestId: res.locals.requestId }, 'unhandled error');
    return sendError(res, 'INTERNAL_ERROR');
  });

  return app;
}

/** A request's path for the log: no query string, and no identity-check token. */
export function loggedPath(originalUrl: string): string {
  const path = originalUrl.split('?')[0] ?? '';
  return path.replace(/^\/identity-check\/[^/]+/, '/identity-check/…');
}

const SESSION_COOKIE = 'latih_console_session';

/** One cookie's value from the Cookie header (no other cookie is read). */
function cookie(req: Request, name: string): string | null {
  for (const part of (req.header('cookie') ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return safeDecode(part.slice(i + 1).trim()) || null;
  }
  return null;
}

/** httpOnly (no script reads it), SameSite=Strict (no other site sends it), Secure over https. */
function sessionCookieHeader(req: Request, token: string, maxAge: number): string {
  const secure = req.secure || req.header('x-forwarded-proto') === 'https';
  return `${SESSION_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAge}${secure ? '; Secure' : ''}`;
}

function parseBasicAuth(header: string | undefined): { id: string; secret: string } | undefined {
  if (!header?.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return undefined;
  // RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
  const id = safeDecode(decoded.slice(0, i));
  const secret = safeDecode(decoded.slice(i + 1));
  return id === null || secret === null ? undefined : { id, secret };
}

/** decodeURIComponent, or null for malformed percent-encoding (a hostile header, not our failure). */
function safeDecode(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

/**
 * ETag on every successful REST GET, and 304 when the client already has it (If-None-Match): a
 * storefront polling the catalog or its change feed pays nothing when nothing changed.
 */
function conditionalGet(req: Request, res: Response, next: NextFunction): void {
  if (req.method !== 'GET') {
    next();
    return;
  }
  const end = res.end.bind(res) as (...args: unknown[]) => Response;
  res.end = ((chunk?: unknown, ...rest: unknown[]) => {
    if (res.statusCode === 200 && (typeof chunk === 'string' || Buffer.isBuffer(chunk)) && !res.headersSent) {
      const etag = `"${createHash('sha256').update(chunk).digest('base64url').slice(0, 32)}"`;
      res.setHeader('ETag', etag);
      const given = req.header('if-none-match');
      if (given?.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)) {
        res.statusCode = 304;
        res.removeHeader('Content-Type');
        return end(undefined, ...rest.filter((r) => typeof r === 'function'));
      }
    }
    return end(chunk, ...rest);
  }) as Response['end'];
  next();
}

function restErrorShape(_req: Request, res: Response, next: NextFunction): void {
  const end = res.end.bind(res) as (...args: unknown[]) => Response;
  res.end = ((chunk?: unknown, ...rest: unknown[]) => {
    if (res.statusCode >= 400 && typeof chunk === 'string' && chunk.startsWith('{')) {
      try {
        const body = JSON.parse(chunk) as { message?: string; data?: Partial<TErrorBody> };
        if (body.data?.code) {
          const d = body.data;
          const out = errorBody({
            code: d.code as TErrorCode,
            message: body.message,
            field: d.field,
            requestId: res.locals.requestId as string,
          });
          return end(JSON.stringify(out), ...rest);
        }
      } catch {
        // not JSON after all: send as is
      }
    }
    return end(chunk, ...rest);
  }) as Response['end'];
  next();
}
