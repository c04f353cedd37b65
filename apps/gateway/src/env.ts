import { resolve } from 'node:path';
import { SCHEDULE } from '@latih/core';
import express from 'express';
import { z } from 'zod';
import { parseJobIntervals } from './jobs-config';
import {
  DEFAULT_RATE_LIMITS,
  RATE_LIMIT_NAMES,
  RATE_LIMIT_VARIABLES,
  type RateLimitRule,
  type RateLimitSettings,
} from './rate-limits';

/** A rate limit: `points/seconds`, e.g. `600/60` (see rate-limits.ts). */
const ZRateRule = z
  .string()
  .regex(/^[1-9]\d{0,6}\/[1-9]\d{0,5}$/, { message: 'must be points/seconds, e.g. 600/60' })
  .refine((v) => Number(v.split('/')[1]) <= 86_400, { message: 'the window is at most 86400 seconds' })
  .optional();

/**
 * The only place that reads process.env. Every variable is validated at start; a bad one stops
 * the gateway with one message that names it.
 */
const ZEnvSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    HOST: z.string().min(1).default('127.0.0.1'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, { message: 'must be a postgres:// or postgresql:// URL' })
      .optional(),
    // A streaming replica for reads that may lag (docs/operations.md, Read replicas; ADR 0008).
    DATABASE_READ_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, { message: 'must be a postgres:// or postgresql:// URL' })
      .optional(),
    DATABASE_READ_MAX_LAG_MS: z.coerce.number().int().min(100).max(86_400_000).default(2_000),
    DB_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(8),
    DATA_DIR: z.string().min(1).default('./.latih/data'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    SIGNING_KEYS_FILE: z.string().min(1).optional(),
    PUBLIC_URL: z.url({ message: 'must be an absolute URL such as https://api.example.id' }).optional(),
    SEED_DEMO: z.stringbool({ error: 'must be true or false' }).optional(),
    // Older names for some jobs' intervals (see jobs-config.ts); JOB_INTERVALS covers every job.
    WEBHOOK_WORKER_INTERVAL_MS: z.coerce.number().int().min(0).max(3_600_000).optional(),
    PAYOUT_WORKER_INTERVAL_MS: z.coerce.number().int().min(0).max(3_600_000).optional(),
    OVERSIGHT_WORKER_INTERVAL_MS: z.coerce.number().int().min(0).max(3_600_000).optional(),
    JOBS: z
      .string()
      .regex(/^(all|off|[a-z][a-z.-]*(,[a-z][a-z.-]*)*)$/, {
        message: 'must be all, off, or a comma-separated list of job names',
      })
      .default('all'),
    JOB_INTERVALS: z.string().optional(),
    WORKER_PORT: z.coerce.number().int().min(1).max(65535).optional(),
    SHUTDOWN_DRAIN_MS: z.coerce.number().int().min(0).max(120_000).optional(),
    TEST_CLOCK: z.stringbool({ error: 'must be true or false' }).optional(),
    INTEGRATION_SANDBOX: z.stringbool({ error: 'must be true or false' }).optional(),
    // Development only: webhooks to loopback and private addresses (npm start sets it; see README).
    WEBHOOKS_ALLOW_PRIVATE: z.stringbool({ error: 'must be true or false' }).optional(),
    PAYMENTS_BASE_URL: z.url({ message: 'must be the payment provider API base URL, https://…' }).optional(),
    PAYMENTS_API_KEY: z.string().min(8).optional(),
    PAYMENTS_WEBHOOK_SECRET: z.string().min(16).optional(),
    REGISTRY_BASE_URL: z
      .url({ message: 'must be the population registry verification service base URL, https://…' })
      .optional(),
    REGISTRY_API_KEY: z.string().min(8).optional(),
    NIK_HASH_KEY: z
      .string()
      .refine((v) => Buffer.from(v, 'base64').length >= 32, {
        message: 'must be at least 32 bytes, base64-encoded',
      })
      .optional(),
    // /metrics (metrics.ts): a bearer token on the gateway's port, or a port of its own, or both.
    METRICS_TOKEN: z
      .string()
      .regex(/^[\x21-\x7e]{32,512}$/, {
        message: 'must be 32 to 512 printable characters without spaces (e.g. openssl rand -hex 32)',
      })
      .optional(),
    METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
    METRICS_HOST: z.string().min(1).optional(),
    // Rate limits (rate-limits.ts) and the client address they count by.
    TRUST_PROXY: z.string().trim().min(1).default('loopback'),
    RATE_LIMITS: z.enum(['on', 'off'], { error: 'must be on or off' }).default('on'),
    RATE_LIMIT_API: ZRateRule,
    RATE_LIMIT_PUBLIC: ZRateRule,
    RATE_LIMIT_TOKEN: ZRateRule,
    RATE_LIMIT_TOKEN_FAILURES: ZRateRule,
    RATE_LIMIT_SIGN_IN: ZRateRule,
    REDIS_URL: z
      .string()
      .regex(/^rediss?:\/\/\S+$/, { message: 'must be a redis:// or rediss:// URL' })
      .optional(),
    REDIS_KEY_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9._:-]{1,64}$/, { message: 'must be 1 to 64 of A-Z a-z 0-9 . _ : -' })
      .default('latih:'),
  })
  .superRefine((env, ctx) => {
    try {
      express().set('trust proxy', trustProxyOf(env.TRUST_PROXY));
    } catch (err) {
      ctx.addIssue({
        code: 'custom',
        path: ['TRUST_PROXY'],
        message: `must be false, a hop count, or proxy addresses/ranges such as loopback,10.0.0.0/8 (${(err as Error).message})`,
      });
    }
    if (env.PAYMENTS_BASE_URL) {
      for (const name of ['PAYMENTS_API_KEY', 'PAYMENTS_WEBHOOK_SECRET'] as const)
        if (!env[name])
          ctx.addIssue({ code: 'custom', path: [name], message: 'is required with PAYMENTS_BASE_URL' });
    }
    if (env.REGISTRY_BASE_URL && !env.REGISTRY_API_KEY)
      ctx.addIssue({
        code: 'custom',
        path: ['REGISTRY_API_KEY'],
        message: 'is required with REGISTRY_BASE_URL',
      });
    if (env.DATABASE_READ_URL && !env.DATABASE_URL)
      ctx.addIssue({
        code: 'custom',
        path: ['DATABASE_READ_URL'],
        message:
          "is a replica of DATABASE_URL's primary: set DATABASE_URL too (the embedded PGlite has no replicas)",
      });
    if (env.METRICS_PORT !== undefined && env.METRICS_PORT === env.PORT)
      ctx.addIssue({
        code: 'custom',
        path: ['METRICS_PORT'],
        message: "must differ from PORT (metrics on their own port are never on the gateway's)",
      });
    if (env.METRICS_HOST !== undefined && env.METRICS_PORT === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['METRICS_HOST'],
        message: 'is where METRICS_PORT listens: set METRICS_PORT too (or unset METRICS_HOST)',
      });
    if (env.NODE_ENV !== 'production') return;
    if (!env.PAYMENTS_BASE_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['PAYMENTS_BASE_URL'],
        message: 'is required in production (the in-process payment mock is for development)',
      });
    }
    if (!env.DATABASE_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['DATABASE_URL'],
        message: 'is required in production (the embedded PGlite does not fsync its commits)',
      });
    }
    if (!env.PUBLIC_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['PUBLIC_URL'],
        message:
          "is required in production: it is the tokens' issuer, the same on every gateway behind the load balancer",
      });
    }
    if (!env.SIGNING_KEYS_FILE) {
      ctx.addIssue({ code: 'custom', path: ['SIGNING_KEYS_FILE'], message: 'is required in production' });
    }
    if (!env.NIK_HASH_KEY) {
      ctx.addIssue({ code: 'custom', path: ['NIK_HASH_KEY'], message: 'is required in production' });
    }
    if (env.RATE_LIMITS === 'off') {
      ctx.addIssue({
        code: 'custom',
        path: ['RATE_LIMITS'],
        message: 'must not be off in production (nothing would stop a brute force on client secrets)',
      });
    }
    if (trustProxyOf(env.TRUST_PROXY) === true) {
      ctx.addIssue({
        code: 'custom',
        path: ['TRUST_PROXY'],
        message:
          'must not be true in production (any client could choose its address in X-Forwarded-For): name the proxies or a hop count',
      });
    }
    if (env.TEST_CLOCK) {
      ctx.addIssue({
        code: 'custom',
        path: ['TEST_CLOCK'],
        message: "must not be true in production (anyone could move the program's time)",
      });
    }
    if (env.INTEGRATION_SANDBOX) {
      ctx.addIssue({
        code: 'custom',
        path: ['INTEGRATION_SANDBOX'],
        message: "must not be true in production (the protocol's reset would undo redemptions of test codes)",
      });
    }
    if (env.SEED_DEMO) {
      ctx.addIssue({
        code: 'custom',
        path: ['SEED_DEMO'],
        message: 'must not be true in production (public secrets)',
      });
    }
    if (env.WEBHOOKS_ALLOW_PRIVATE) {
      ctx.addIssue({
        code: 'custom',
        path: ['WEBHOOKS_ALLOW_PRIVATE'],
        message:
          "must not be true in production (partners' webhook URLs could reach the gateway's own network; npm start sets it for development)",
      });
    }
  });

export type Config = {
  nodeEnv: 'development' | 'test' | 'production';
  host: string;
  port: number;
  databaseUrl: string | undefined;
  /**
   * DATABASE_READ_URL: a streaming replica of the primary, for the catalog, reports, statistics and
   * exports, while it is at most `maxLagMs` (DATABASE_READ_MAX_LAG_MS) behind; undefined: none.
   */
  readReplica: { url: string; maxLagMs: number } | undefined;
  dbPoolSize: number;
  dataDir: string;
  logLevel: string;
  signingKeysFile: string;
  signingKeysFileGiven: boolean;
  publicUrl: string | undefined;
  seedDemo: boolean;
  /** Older names for job intervals (jobs-config.ts legacyIntervals); undefined: the schedule's own. */
  webhookIntervalMs: number | undefined;
  payoutIntervalMs: number | undefined;
  oversightIntervalMs: number | undefined;
  /** Which jobs of the schedule this process runs: all, none (`npm run worker` runs them), or these. */
  jobs: { run: boolean; only?: string[]; intervals: Record<string, number> };
  /** The sandbox test clock (sandbox.clock.*): on outside production unless TEST_CLOCK=false. */
  testClock: boolean;
  /** Test codes and the integration protocol's reset (sandbox only): on outside production unless INTEGRATION_SANDBOX=false. */
  integrationSandbox: boolean;
  /** `npm run worker`: where it answers /healthz and /readyz (none when unset). */
  workerPort: number | undefined;
  /**
   * WEBHOOKS_ALLOW_PRIVATE: webhooks may go to loopback and private addresses. Only when set to
   * true (npm start does, for the guides' local receivers); never in production.
   */
  webhooksAllowPrivate: boolean;
  /**
   * On SIGTERM, how long the gateway answers /readyz with 503 (still serving) before it stops
   * accepting: long enough for the load balancer's health checks to take it out. 5 s in production.
   */
  shutdownDrainMs: number;
  /** A real payment provider; undefined: the in-process mock (development only). */
  payments: { baseUrl: string; apiKey: string; webhookSecret: string } | undefined;
  /**
   * The population registry's verification service; undefined: its in-process double outside
   * production, none in production (imported participants then wait PENDING; main.ts warns).
   */
  registry: { baseUrl: string; apiKey: string } | undefined;
  nikHashKey: Buffer | undefined;
  /**
   * /metrics: with `port`, on a server of its own bound to `host` (never on the public port); else
   * with `token`, on the gateway's port; with neither, off (404). The token, when set, is required
   * wherever /metrics answers (the worker's WORKER_PORT too). Not required in production: without
   * it nothing is exposed (main.ts warns).
   */
  metrics: { token: string | undefined; port: number | undefined; host: string };
  /** Express's `trust proxy`: which proxies' X-Forwarded-For gives the client's address (req.ip). */
  trustProxy: TrustProxy;
  /** The rate limits; null: off (RATE_LIMITS=off, never in production). */
  rateLimits: RateLimitSettings | null;
  /** Rate limits shared across gateways through Redis; undefined: counted in each gateway's memory. */
  redis: { url: string; keyPrefix: string } | undefined;
};

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * A variable's value as a configuration error may print it: secrets never, and a URL without the
 * password it may carry (postgres://user:secret@host → postgres://user:***@host).
 */
export function shownValue(name: string, value: string): string {
  if (/SECRET|KEY|PASSWORD|TOKEN/.test(name)) return '[redacted]';
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@]*):[^@/?#]*@/i, '$1:***@');
}

export function parseEnv(source: Record<string, string | undefined>): Config {
  const parsed = ZEnvSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const name = String(i.path[0] ?? 'environment');
      const value = source[name];
      return `${name}${value === undefined ? '' : `=${JSON.stringify(shownValue(name, value))}`}: ${i.message}`;
    });
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const env = parsed.data;
  const dataDir = resolve(env.DATA_DIR);
  return {
    nodeEnv: env.NODE_ENV,
    host: env.HOST,
    port: env.PORT,
    databaseUrl: env.DATABASE_URL,
    readReplica: env.DATABASE_READ_URL
      ? { url: env.DATABASE_READ_URL, maxLagMs: env.DATABASE_READ_MAX_LAG_MS }
      : undefined,
    dbPoolSize: env.DB_POOL_SIZE,
    dataDir,
    logLevel: env.LOG_LEVEL,
    signingKeysFile: resolve(env.SIGNING_KEYS_FILE ?? `${dataDir}/signing-keys.json`),
    signingKeysFileGiven: env.SIGNING_KEYS_FILE !== undefined,
    publicUrl: env.PUBLIC_URL?.replace(/\/$/, ''),
    seedDemo: env.SEED_DEMO ?? env.NODE_ENV !== 'production',
    webhookIntervalMs: env.WEBHOOK_WORKER_INTERVAL_MS,
    payoutIntervalMs: env.PAYOUT_WORKER_INTERVAL_MS,
    oversightIntervalMs: env.OVERSIGHT_WORKER_INTERVAL_MS,
    jobs: jobsOf(env.JOBS, env.JOB_INTERVALS, source),
    testClock: env.TEST_CLOCK ?? env.NODE_ENV !== 'production',
    integrationSandbox: env.INTEGRATION_SANDBOX ?? env.NODE_ENV !== 'production',
    workerPort: env.WORKER_PORT,
    webhooksAllowPrivate: env.WEBHOOKS_ALLOW_PRIVATE === true,
    shutdownDrainMs: env.SHUTDOWN_DRAIN_MS ?? (env.NODE_ENV === 'production' ? 5_000 : 0),
    payments:
      env.PAYMENTS_BASE_URL && env.PAYMENTS_API_KEY && env.PAYMENTS_WEBHOOK_SECRET
        ? {
            baseUrl: env.PAYMENTS_BASE_URL,
            apiKey: env.PAYMENTS_API_KEY,
            webhookSecret: env.PAYMENTS_WEBHOOK_SECRET,
          }
        : undefined,
    registry:
      env.REGISTRY_BASE_URL && env.REGISTRY_API_KEY
        ? { baseUrl: env.REGISTRY_BASE_URL, apiKey: env.REGISTRY_API_KEY }
        : undefined,
    nikHashKey: env.NIK_HASH_KEY ? Buffer.from(env.NIK_HASH_KEY, 'base64') : undefined,
    metrics: { token: env.METRICS_TOKEN, port: env.METRICS_PORT, host: env.METRICS_HOST ?? '127.0.0.1' },
    trustProxy: trustProxyOf(env.TRUST_PROXY),
    rateLimits: rateLimitsOf(env, env.RATE_LIMITS === 'on'),
    redis: env.REDIS_URL ? { url: env.REDIS_URL, keyPrefix: env.REDIS_KEY_PREFIX } : undefined,
  };
}

function jobsOf(
  jobs: string,
  intervals: string | undefined,
  source: Record<string, string | undefined>,
): Config['jobs'] {
  const known = SCHEDULE.map((j) => j.name);
  const fail = (name: string, message: string) => {
    throw new ConfigError(`Invalid configuration:\n  ${name}=${JSON.stringify(source[name])}: ${message}`);
  };
  let only: string[] | undefined;
  if (jobs !== 'all' && jobs !== 'off') {
    only = jobs.split(',');
    if (only.some((n) => n === 'all' || n === 'off'))
      fail('JOBS', 'all and off stand alone, not in a list of job names');
    const unknown = only.filter((n) => !known.includes(n));
    if (unknown.length > 0)
      fail('JOBS', `no job is called ${unknown.join(', ')} (jobs: ${known.join(', ')})`);
  }
  let parsed: Record<string, number> = {};
  try {
    parsed = intervals ? parseJobIntervals(intervals, known) : {};
  } catch (err) {
    fail('JOB_INTERVALS', (err as Error).message);
  }
  return { run: jobs !== 'off', ...(only ? { only } : {}), intervals: parsed };
}

export function loadEnv(): Config {
  return parseEnv(process.env);
}

/** Express `trust proxy` values: false, true (everything), a hop count, or addresses/ranges/presets. */
export type TrustProxy = boolean | number | string;

/** TRUST_PROXY's text as Express takes it: `false`/`none`, `true`, a hop count, or a list. */
export function trustProxyOf(text: string): TrustProxy {
  const t = text.trim().toLowerCase();
  if (t === 'false' || t === 'none') return false;
  if (t === 'true') return true;
  if (/^\d+$/.test(t)) return Number(t);
  return text.trim();
}

/** The defaults, each overridden by its RATE_LIMIT_* variable (`points/seconds`); null when off. */
function rateLimitsOf(env: Record<string, unknown>, on: boolean): RateLimitSettings | null {
  if (!on) return null;
  const out = { ...DEFAULT_RATE_LIMITS };
  for (const name of RATE_LIMIT_NAMES) {
    const text = env[RATE_LIMIT_VARIABLES[name]];
    if (typeof text !== 'string') continue;
    const [points, seconds] = text.split('/').map(Number);
    out[name] = { points, seconds } as RateLimitRule;
  }
  return out;
}

/**
 * `npm run payments:mock`'s own variables (apps/gateway/src/payments-mock.ts): the development
 * payment provider as a process of its own. The same PAYMENTS_* names as the gateway's, so one set
 * of values serves both.
 */
const MOCK_DAY = 86_400_000;
const mockMs = (max: number) => z.coerce.number().int().min(0).max(max);

export const ZPaymentsMockEnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4010),
  // The same names as the gateway's, so one set of values serves both processes.
  PAYMENTS_API_KEY: z.string().min(8).default('sk_test_latih_development_mock'),
  PAYMENTS_WEBHOOK_SECRET: z.string().min(16).default('whsec_latih_development_mock'),
  PAYMENTS_WEBHOOK_URL: z
    .url({ message: 'must be the gateway’s webhook URL, such as http://127.0.0.1:3000/payments/webhook' })
    .default('http://127.0.0.1:3000/payments/webhook'),
  PAYMENTS_MOCK_TICK_MS: mockMs(60_000).min(1).default(500),
  /** How long a payout stays pending, then in transit. */
  PAYMENTS_MOCK_SETTLE_MS: mockMs(MOCK_DAY).default(2_000),
  // Stripe retries for up to 3 days from about a minute; development compresses the start.
  PAYMENTS_MOCK_RETRY_FIRST_MS: mockMs(MOCK_DAY).min(1).default(5_000),
  PAYMENTS_MOCK_RETRY_MAX_MS: mockMs(MOCK_DAY).min(1).default(60_000),
  PAYMENTS_MOCK_RETRY_GIVE_UP_MS: mockMs(30 * MOCK_DAY).default(3 * MOCK_DAY),
});

/** The payment mock's configuration from process.env, validated (safeParse: the caller says what is wrong). */
export function loadPaymentsMockEnv() {
  return ZPaymentsMockEnvSchema.safeParse(process.env);
}
