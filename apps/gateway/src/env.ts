import { resolve } from 'node:path';
import { z } from 'zod';

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
    DB_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(8),
    DATA_DIR: z.string().min(1).default('./.latih/data'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    SIGNING_KEYS_FILE: z.string().min(1).optional(),
    PUBLIC_URL: z.url({ message: 'must be an absolute URL such as https://api.example.id' }).optional(),
    SEED_DEMO: z.stringbool({ error: 'must be true or false' }).optional(),
    WEBHOOK_WORKER_INTERVAL_MS: z.coerce.number().int().min(0).max(3_600_000).default(1000),
    PAYOUT_WORKER_INTERVAL_MS: z.coerce.number().int().min(0).max(3_600_000).default(5000),
    OVERSIGHT_WORKER_INTERVAL_MS: z.coerce.number().int().min(0).max(3_600_000).default(60_000),
    PAYMENTS_BASE_URL: z.url({ message: 'must be the payment provider API base URL, https://…' }).optional(),
    PAYMENTS_API_KEY: z.string().min(8).optional(),
    PAYMENTS_WEBHOOK_SECRET: z.string().min(16).optional(),
    NIK_HASH_KEY: z
      .string()
      .refine((v) => Buffer.from(v, 'base64').length >= 32, {
        message: 'must be at least 32 bytes, base64-encoded',
      })
      .optional(),
  })
  .superRefine((env, ctx) => {
    if (env.PAYMENTS_BASE_URL) {
      for (const name of ['PAYMENTS_API_KEY', 'PAYMENTS_WEBHOOK_SECRET'] as const)
        if (!env[name])
          ctx.addIssue({ code: 'custom', path: [name], message: 'is required with PAYMENTS_BASE_URL' });
    }
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
    if (!env.SIGNING_KEYS_FILE) {
      ctx.addIssue({ code: 'custom', path: ['SIGNING_KEYS_FILE'], message: 'is required in production' });
    }
    if (!env.NIK_HASH_KEY) {
      ctx.addIssue({ code: 'custom', path: ['NIK_HASH_KEY'], message: 'is required in production' });
    }
    if (env.SEED_DEMO) {
      ctx.addIssue({
        code: 'custom',
        path: ['SEED_DEMO'],
        message: 'must not be true in production (public secrets)',
      });
    }
  });

export type Config = {
  nodeEnv: 'development' | 'test' | 'production';
  host: string;
  port: number;
  databaseUrl: string | undefined;
  dbPoolSize: number;
  dataDir: string;
  logLevel: string;
  signingKeysFile: string;
  signingKeysFileGiven: boolean;
  publicUrl: string | undefined;
  seedDemo: boolean;
  /** The in-process webhook worker's pause between passes; 0 runs none (another process does). */
  webhookIntervalMs: number;
  /** The in-process payout worker's pause between passes; 0 runs none. */
  payoutIntervalMs: number;
  oversightIntervalMs: number;
  /** A real payment provider; undefined: the in-process mock (development only). */
  payments: { baseUrl: string; apiKey: string; webhookSecret: string } | undefined;
  nikHashKey: Buffer | undefined;
};

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function parseEnv(source: Record<string, string | undefined>): Config {
  const parsed = ZEnvSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const name = String(i.path[0] ?? 'environment');
      const value = source[name];
      return `${name}${value === undefined ? '' : `=${JSON.stringify(value)}`}: ${i.message}`;
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
    payments:
      env.PAYMENTS_BASE_URL && env.PAYMENTS_API_KEY && env.PAYMENTS_WEBHOOK_SECRET
        ? {
            baseUrl: env.PAYMENTS_BASE_URL,
            apiKey: env.PAYMENTS_API_KEY,
            webhookSecret: env.PAYMENTS_WEBHOOK_SECRET,
          }
        : undefined,
    nikHashKey: env.NIK_HASH_KEY ? Buffer.from(env.NIK_HASH_KEY, 'base64') : undefined,
  };
}

export function loadEnv(): Config {
  return parseEnv(process.env);
}
