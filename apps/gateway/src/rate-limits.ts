/**
 * Rate limits (DESIGN §6, docs/adr/0003-rate-limits.md), with rate-limiter-flexible: counted in
 * Redis when REDIS_URL is set, so every gateway shares one budget, in this process's memory
 * otherwise. Five limits:
 *
 * - `api`: every API request (REST /v1 and tRPC /trpc, one budget for both) of an authenticated
 *   client, keyed by the client id of its verified token. A tRPC batch counts one per call.
 * - `public`: every other request (no token, a token that does not verify, a console session,
 *   public pages), keyed by the caller's address.
 * - `token`: every POST /v1/oauth/token, keyed by the client id it names and, separately, by address.
 * - `tokenFailures`: failed token requests, keyed by client id and address together. Counted before
 *   the request runs and given back when it succeeds, so parallel guesses cannot overrun it; once it
 *   is spent, the right secret is refused too until the window ends.
 * - `signIn`: failed console sign-ins (POST /console/api/session) by address, counted the same way.
 *
 * The caller's address is `req.ip`, from the TRUST_PROXY rule. An IPv6 address counts by its /64
 * (one subscriber's network), an IPv4-mapped IPv6 address as the IPv4 address.
 *
 * Each limit is a fixed window that starts at the first request of a key (rate-limiter-flexible's
 * "enhanced fixed window"). Answers carry the IETF draft-06 headers RateLimit-Limit,
 * RateLimit-Remaining, RateLimit-Reset (seconds) and RateLimit-Policy; a refusal is 429 RATE_LIMITED
 * with Retry-After (in OAuth's shape on the token endpoint, in tRPC's on /trpc).
 *
 * If Redis does not answer (down, unreachable, slower than 500 ms), each limit counts in this
 * process's memory until it is back (rate-limiter-flexible's insurance limiter), with a warning in
 * the log: limits never switch off, and a Redis outage never stops the API; meanwhile each gateway
 * allows the full budget on its own.
 */
import { createHash } from 'node:crypto';
import { ERROR_CATALOG, errorBody } from '@latih/contracts';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { Redis } from 'ioredis';
import {
  type IRateLimiterOptions,
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible';
import type { Logger } from './logger';

export type RateLimitRule = { points: number; seconds: number };

export const RATE_LIMIT_NAMES = ['api', 'public', 'token', 'tokenFailures', 'signIn'] as const;
export type RateLimitName = (typeof RATE_LIMIT_NAMES)[number];
export type RateLimitSettings = Record<RateLimitName, RateLimitRule>;

/**
 * For a national program: a partner's integration may run many processes behind one client id
 * (100 requests/s on average over a minute); participants often share an address (carrier-grade
 * NAT on mobile networks), so the public budget per address is generous; a token lives 15 minutes,
 * so 60 token requests a minute is far above any honest need; 10 wrong secrets per 15 minutes from
 * one address, or 20 wrong console passwords, is where honest mistakes end.
 */
export const DEFAULT_RATE_LIMITS: RateLimitSettings = {
  api: { points: 6000, seconds: 60 },
  public: { points: 1200, seconds: 60 },
  token: { points: 60, seconds: 60 },
  tokenFailures: { points: 10, seconds: 900 },
  signIn: { points: 20, seconds: 900 },
};

/** The environment variable that sets each limit (`points/seconds`), read in env.ts. */
export const RATE_LIMIT_VARIABLES: Record<RateLimitName, string> = {
  api: 'RATE_LIMIT_API',
  public: 'RATE_LIMIT_PUBLIC',
  token: 'RATE_LIMIT_TOKEN',
  tokenFailures: 'RATE_LIMIT_TOKEN_FAILURES',
  signIn: 'RATE_LIMIT_SIGN_IN',
};

/** Limits counted before the request runs and given back when it succeeds (failures only). */
const REFUNDED: ReadonlySet<RateLimitName> = new Set(['tokenFailures', 'signIn']);

/** How long a Redis command may take before the limit counts in memory instead. */
const REDIS_COMMAND_TIMEOUT_MS = 500;

export type RateLimitOutcome = {
  name: RateLimitName;
  rule: RateLimitRule;
  allowed: boolean;
  remaining: number;
  msBeforeNext: number;
  /** The request that first went over the limit in this window (logged once). */
  first: boolean;
};

export type RateLimits = {
  /** Where the counts live: `redis` (shared by every gateway on the same Redis and prefix) or `memory`. */
  backend: 'memory' | 'redis';
  settings: RateLimitSettings;
  /** Counts `points` against `key` of a limit. Never throws: a broken store lets the request through, logged. */
  consume(name: RateLimitName, key: string, points?: number): Promise<RateLimitOutcome>;
  /** Gives points back (a failure-counting limit, after a success). */
  refund(name: RateLimitName, key: string, points?: number): Promise<void>;
  /** The limiter itself: tests read a key's points and window through it. */
  limiter(name: RateLimitName): RateLimiterAbstract;
  /** Whether Redis answers now (memory: always false). */
  redisReady(): boolean;
  close(): Promise<void>;
};

/**
 * Memory limiter standing in while Redis does not answer; says so in the log (once a minute per
 * limit at most).
 */
class InsuranceLimiter extends RateLimiterMemory {
  private warnedAt = 0;
  constructor(
    opts: IRateLimiterOptions,
    private readonly onUse: () => void,
  ) {
    super(opts);
  }
  private used(): void {
    const now = Date.now();
    if (now - this.warnedAt < 60_000) return;
    this.warnedAt = now;
    this.onUse();
  }
  override consume(key: string | number, points?: number, options?: Record<string, unknown>) {
    this.used();
    return super.consume(key, points, options);
  }
  override reward(key: string | number, points?: number, options?: Record<string, unknown>) {
    this.used();
    return super.reward(key, points, options);
  }
  override get(key: string | number, options?: Record<string, unknown>) {
    this.used();
    return super.get(key, options);
  }
}

export async function createRateLimits(opts: {
  settings: RateLimitSettings;
  /** Counts shared through Redis under this key prefix; none: this process's memory. */
  redis?: { url: string; keyPrefix: string } | undefined;
  logger: Logger;
  /** How long start-up waits for Redis before serving with memory counts (default 3 s). */
  connectTimeoutMs?: number;
}): Promise<RateLimits> {
  const { settings, logger } = opts;
  let client: Redis | null = null;
  let closing = false;
  if (opts.redis) {
    client = new Redis(opts.redis.url, {
      // Fail fast while disconnected: a command that cannot be sent at once counts in memory.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
      connectTimeout: 2_000,
      retryStrategy: (times) => Math.min(times * 200, 5_000),
    });
    // Said once per outage: when the connection closes (or never opens), and when it is back.
    let down = false;
    let lastError: string | undefined;
    client.on('ready', () => {
      if (down) logger.info('Redis answers again: rate limits are shared across gateways again');
      down = false;
    });
    client.on('error', (err: Error) => {
      lastError = err.message;
    });
    client.on('close', () => {
      if (down || closing) return;
      down = true;
      logger.warn(
        { err: lastError },
        "Redis does not answer: rate limits count in this gateway's memory until it is back",
      );
    });
    const ready = client;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, opts.connectTimeoutMs ?? 3_000);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      ready.once('ready', done);
      ready.once('error', done);
    });
  }

  const prefix = opts.redis?.keyPrefix ?? '';
  const limiters = {} as Record<RateLimitName, RateLimiterAbstract>;
  for (const name of RATE_LIMIT_NAMES) {
    const rule = settings[name];
    const base = { points: rule.points, duration: rule.seconds, keyPrefix: `${prefix}rl:${name}` };
    limiters[name] = client
      ? new RateLimiterRedis({
          ...base,
          storeClient: client,
          rejectIfRedisNotReady: true,
          insuranceLimiter: new InsuranceLimiter(base, () =>
            logger.warn({ limit: name }, 'rate limit counted in memory: Redis did not answer'),
          ),
          // A key once over its limit is refused from memory until its window ends, sparing Redis
          // a flood; not for limits that give points back (the block would outlive the refund).
          ...(REFUNDED.has(name) ? {} : { inMemoryBlockOnConsumed: rule.points + 1 }),
        })
      : new RateLimiterMemory(base);
  }

  return {
    backend: client ? 'redis' : 'memory',
    settings,
    limiter: (name) => limiters[name],
    redisReady: () => client?.status === 'ready',
    async consume(name, key, points = 1) {
      const rule = settings[name];
      try {
        const r = await limiters[name].consume(key, points);
        return {
          name,
          rule,
          allowed: true,
          remaining: r.remainingPoints,
          msBeforeNext: r.msBeforeNext,
          first: false,
        };
      } catch (err) {
        if (err instanceof RateLimiterRes)
          return {
            name,
            rule,
            allowed: false,
            remaining: 0,
            msBeforeNext: err.msBeforeNext,
            first: err.consumedPoints > rule.points && err.consumedPoints - points <= rule.points,
          };
        logger.error({ err, limit: name }, 'rate limit could not be counted: request let through');
        return { name, rule, allowed: true, remaining: rule.points, msBeforeNext: 0, first: false };
      }
    },
    async refund(name, key, points = 1) {
      try {
        await limiters[name].reward(key, points);
      } catch (err) {
        logger.error({ err, limit: name }, 'rate limit could not give points back');
      }
    },
    async close() {
      if (!client) return;
      closing = true;
      const c = client;
      await c.quit().catch(() => c.disconnect());
    },
  };
}

/** Keys of the limits, as the middleware builds them (tests read the counts by them). */
export const rateLimitKeys = {
  client: (clientId: string) => `client:${safe(clientId)}`,
  address: (ip: string | undefined) => `address:${addressOf(ip)}`,
  tokenFailure: (clientId: string | null, ip: string | undefined) =>
    `${clientId === null ? '-' : safe(clientId)}|${addressOf(ip)}`,
};

/** A key part as is when short and plain, its hash otherwise (a caller-chosen id may be 1 MB). */
function safe(s: string): string {
  return /^[A-Za-z0-9._:@/-]{1,100}$/.test(s)
    ? s
    : `sha256:${createHash('sha256').update(s).digest('base64url').slice(0, 32)}`;
}

/** IPv4 as is, IPv4-mapped IPv6 as IPv4, other IPv6 by its /64. */
export function addressOf(ip: string | undefined): string {
  if (!ip) return 'unknown';
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (mapped?.[1]) return mapped[1];
  if (!ip.includes(':')) return safe(ip);
  const groups = expandIpv6(ip.split('%')[0] ?? ip);
  if (!groups) return safe(ip);
  return `${groups.slice(0, 4).join(':')}::/64`;
}

function expandIpv6(ip: string): string[] | null {
  const halves = ip.split('::');
  if (halves.length > 2) return null;
  const part = (s: string | undefined): string[] => {
    if (!s) return [];
    const out: string[] = [];
    for (const g of s.split(':')) {
      if (g.includes('.')) {
        const o = g.split('.').map(Number);
        if (o.length !== 4 || o.some((n) => !(n >= 0 && n <= 255))) return ['x'];
        out.push(
          (((o[0] ?? 0) << 8) | (o[1] ?? 0)).toString(16),
          (((o[2] ?? 0) << 8) | (o[3] ?? 0)).toString(16),
        );
      } else out.push(g);
    }
    return out;
  };
  const left = part(halves[0]);
  const right = part(halves[1]);
  const missing = 8 - left.length - right.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const all = [...left, ...Array<string>(Math.max(missing, 0)).fill('0'), ...right];
  if (all.some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) return null;
  return all.map((g) => Number.parseInt(g, 16).toString(16));
}

// ---------------------------------------------------------------------------------------------
// HTTP

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/** The outcome the headers describe: a refusal (the longest wait), else the fewest points left. */
function mostRestrictive(outcomes: RateLimitOutcome[]): RateLimitOutcome | undefined {
  const refused = outcomes.filter((o) => !o.allowed);
  if (refused.length > 0) return refused.reduce((a, b) => (b.msBeforeNext > a.msBeforeNext ? b : a));
  return outcomes.reduce<RateLimitOutcome | undefined>(
    (a, b) =>
      !a ||
      b.remaining / b.rule.points < a.remaining / a.rule.points ||
      (b.remaining / b.rule.points === a.remaining / a.rule.points && b.msBeforeNext > a.msBeforeNext)
        ? b
        : a,
    undefined,
  );
}

/**
 * draft-ietf-httpapi-ratelimit-headers-06: RateLimit-Limit / -Remaining / -Reset (delta seconds)
 * of the most restrictive limit, RateLimit-Policy listing every limit that counted the request;
 * Retry-After on a refusal.
 */
function setHeaders(res: Response, outcomes: RateLimitOutcome[]): RateLimitOutcome | undefined {
  const shown = mostRestrictive(outcomes);
  if (!shown || res.headersSent) return shown;
  res.setHeader('RateLimit-Limit', String(shown.rule.points));
  res.setHeader('RateLimit-Remaining', String(shown.remaining));
  res.setHeader('RateLimit-Reset', String(seconds(shown.msBeforeNext)));
  res.setHeader(
    'RateLimit-Policy',
    [...new Set(outcomes.map((o) => `${o.rule.points};w=${o.rule.seconds}`))].join(', '),
  );
  if (!shown.allowed) res.setHeader('Retry-After', String(seconds(shown.msBeforeNext)));
  return shown;
}

const TRPC_TOO_MANY_REQUESTS = -32029;

function refusalMessage(what: string, retryAfter: number): string {
  return `${what}: retry after ${retryAfter} s (Retry-After).`;
}

/** 429 RATE_LIMITED in the error shape of the transport: tRPC's on /trpc, the gateway's elsewhere. */
function refuseApi(req: Request, res: Response, retryAfter: number, what: string): void {
  const requestId = res.locals.requestId as string;
  const message = refusalMessage(what, retryAfter);
  const body = errorBody({ code: 'RATE_LIMITED', message, requestId });
  const { message: _, ...data } = body; // tRPC carries the message beside its data
  res.status(ERROR_CATALOG.RATE_LIMITED.status);
  if (req.path.startsWith('/trpc/')) {
    const { paths, batch } = trpcCalls(req);
    const one = (path: string | undefined) => ({
      error: {
        message,
        code: TRPC_TOO_MANY_REQUESTS,
        data: { ...data, httpStatus: 429, ...(path ? { path } : {}) },
      },
    });
    res.json(batch ? paths.map(one) : one(paths[0]));
    return;
  }
  res.json(body);
}

/** The procedures a /trpc request calls: `a.b,c.d?batch=1` is two. */
function trpcCalls(req: Request): { paths: string[]; batch: boolean } {
  let raw = req.path.slice('/trpc/'.length);
  try {
    raw = decodeURIComponent(raw);
  } catch {
    // keep it raw
  }
  const batch = req.query.batch === '1' || req.query.batch === 'true';
  const paths = batch ? raw.split(',').slice(0, 1000) : [raw];
  return { paths, batch };
}

/** Routes no limit counts: probes, the payment provider's signed webhooks, the console's files. */
function unlimited(req: Request): boolean {
  const p = req.path;
  if (p === '/healthz' || p === '/readyz' || p === '/metrics' || p === '/payments/webhook') return true;
  if ((p === '/console' || p.startsWith('/console/')) && !p.startsWith('/console/api/')) return true;
  // Their own limits, counted by `token` and `signIn` below.
  if (req.method === 'POST' && (p === '/v1/oauth/token' || p === '/console/api/session')) return true;
  return false;
}

const BEARER = /^Bearer ([A-Za-z0-9\-_.]+)$/;

function basicClientId(header: string | undefined): string | null {
  if (!header?.startsWith('Basic ')) return null;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return null;
  try {
    return decodeURIComponent(decoded.slice(0, i));
  } catch {
    return decoded.slice(0, i);
  }
}

/**
 * The middleware, for createApp: `general` before every route (it skips the ones it should),
 * `token` in front of POST /v1/oauth/token (after its body parser), `signIn` in front of
 * POST /console/api/session. `clientOf` verifies a bearer token and answers its client id (throws
 * when it does not verify).
 */
export function httpRateLimits(
  limits: RateLimits,
  o: { clientOf: (token: string) => string; logger: Logger },
): { general: RequestHandler; token: RequestHandler; signIn: RequestHandler } {
  const reached = (req: Request, res: Response, shown: RateLimitOutcome, key: string) => {
    if (shown.first)
      o.logger.warn(
        { limit: shown.name, key, path: req.path, requestId: res.locals.requestId },
        'rate limit reached',
      );
  };

  const general: RequestHandler = (req, res, next) => {
    if (unlimited(req)) return next();
    let clientId: string | null = null;
    const bearer = BEARER.exec(req.header('authorization') ?? '')?.[1];
    if (bearer) {
      try {
        clientId = o.clientOf(bearer);
      } catch {
        clientId = null; // refused later by the API (401); meanwhile counted by address
      }
    }
    const points = req.path.startsWith('/trpc/') ? Math.max(1, trpcCalls(req).paths.length) : 1;
    const [name, key] =
      clientId !== null
        ? (['api', rateLimitKeys.client(clientId)] as const)
        : (['public', rateLimitKeys.address(req.ip)] as const);
    limits.consume(name, key, points).then((outcome) => {
      const shown = setHeaders(res, [outcome]);
      if (!shown || shown.allowed) return next();
      reached(req, res, shown, key);
      refuseApi(
        req,
        res,
        seconds(shown.msBeforeNext),
        name === 'api' ? 'Too many requests for this client' : 'Too many requests from this address',
      );
    }, next);
  };

  const token: RequestHandler = (req: Request, res: Response, next: NextFunction) => {
    const body = req.body as { client_id?: unknown } | undefined;
    const clientId =
      basicClientId(req.header('authorization')) ??
      (typeof body?.client_id === 'string' ? body.client_id : null);
    const failureKey = rateLimitKeys.tokenFailure(clientId, req.ip);
    Promise.all([
      limits.consume('token', rateLimitKeys.address(req.ip)),
      ...(clientId !== null ? [limits.consume('token', rateLimitKeys.client(clientId))] : []),
      limits.consume('tokenFailures', failureKey),
    ]).then((outcomes) => {
      const shown = setHeaders(res, outcomes);
      if (!shown || shown.allowed) {
        res.on('finish', () => {
          if (res.statusCode < 300) void limits.refund('tokenFailures', failureKey);
        });
        return next();
      }
      reached(req, res, shown, shown.name === 'tokenFailures' ? failureKey : 'token');
      const retryAfter = seconds(shown.msBeforeNext);
      res.setHeader('Pragma', 'no-cache');
      res.status(ERROR_CATALOG.RATE_LIMITED.status).json({
        error: 'rate_limited',
        error_description: refusalMessage(
          shown.name === 'tokenFailures'
            ? 'Too many failed token requests for this client from this address'
            : 'Too many token requests',
          retryAfter,
        ),
        requestId: res.locals.requestId,
      });
    }, next);
  };

  const signIn: RequestHandler = (req, res, next) => {
    const key = rateLimitKeys.address(req.ip);
    limits.consume('signIn', key).then((outcome) => {
      const shown = setHeaders(res, [outcome]);
      if (!shown || shown.allowed) {
        res.on('finish', () => {
          if (res.statusCode < 300) void limits.refund('signIn', key);
        });
        return next();
      }
      reached(req, res, shown, key);
      refuseApi(req, res, seconds(shown.msBeforeNext), 'Too many failed sign-ins from this address');
    }, next);
  };

  return { general, token, signIn };
}
