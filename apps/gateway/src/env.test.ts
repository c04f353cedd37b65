import { describe, expect, it } from 'vitest';
import { parseEnv, shownValue } from './env';
import { PRODUCTION_ENV } from './production-env.fixture';

const PRODUCTION = PRODUCTION_ENV;

describe('environment validation', () => {
  it('has development defaults: port 3000, embedded PGlite in ./.latih/data, demo seed', () => {
    const c = parseEnv({});
    expect(c).toMatchObject({
      port: 3000,
      databaseUrl: undefined,
      logLevel: 'info',
      seedDemo: true,
      nodeEnv: 'development',
    });
    expect(c.dataDir).toMatch(/\.latih\/data$/);
    expect(c.signingKeysFile).toMatch(/\.latih\/data\/signing-keys\.json$/);
    expect(c.signingKeysFileGiven).toBe(false);
  });

  it('names the offending variable and its value in one message', () => {
    expect(() => parseEnv({ PORT: 'eighty' })).toThrow(/PORT="eighty": /);
    expect(() => parseEnv({ DATABASE_URL: 'mysql://x' })).toThrow(
      /DATABASE_URL="mysql:\/\/x": must be a postgres/,
    );
    expect(() => parseEnv({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
    expect(() => parseEnv({ SEED_DEMO: 'maybe' })).toThrow(/SEED_DEMO="maybe": must be true or false/);
  });

  it('DATABASE_READ_URL: a postgres URL beside DATABASE_URL, with a lag limit (2 s unless set)', () => {
    expect(parseEnv({}).readReplica).toBeUndefined();
    expect(parseEnv({ DATABASE_READ_MAX_LAG_MS: '500' }).readReplica).toBeUndefined();
    expect(
      parseEnv({ DATABASE_URL: 'postgres://primary/latih', DATABASE_READ_URL: 'postgres://replica/latih' })
        .readReplica,
    ).toEqual({ url: 'postgres://replica/latih', maxLagMs: 2_000 });
    expect(
      parseEnv({
        ...PRODUCTION,
        DATABASE_READ_URL: 'postgresql://replica/latih',
        DATABASE_READ_MAX_LAG_MS: '10000',
      }).readReplica,
    ).toEqual({ url: 'postgresql://replica/latih', maxLagMs: 10_000 });
    expect(() => parseEnv({ DATABASE_URL: 'postgres://p/l', DATABASE_READ_URL: 'mysql://r' })).toThrow(
      /DATABASE_READ_URL="mysql:\/\/r": must be a postgres/,
    );
    expect(() => parseEnv({ DATABASE_READ_URL: 'postgres://replica/latih' })).toThrow(
      /DATABASE_READ_URL="postgres:\/\/replica\/latih": is a replica of DATABASE_URL's primary: set DATABASE_URL too/,
    );
    expect(() =>
      parseEnv({
        DATABASE_URL: 'postgres://p/l',
        DATABASE_READ_URL: 'postgres://r/l',
        DATABASE_READ_MAX_LAG_MS: '10',
      }),
    ).toThrow(/DATABASE_READ_MAX_LAG_MS="10": /);
  });

  it('a configuration error never prints a password or a secret it names', () => {
    let message = '';
    try {
      parseEnv({ DATABASE_READ_URL: 'postgres://reader:s3cret-pw@replica:5432/latih' });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('DATABASE_READ_URL="postgres://reader:***@replica:5432/latih"');
    expect(message).not.toContain('s3cret-pw');
    expect(shownValue('PAYMENTS_API_KEY', 'sk_live_abc')).toBe('[redacted]');
    expect(shownValue('DATABASE_URL', 'postgres://u@h/db')).toBe('postgres://u@h/db');
  });

  it('production needs a real PostgreSQL and a signing-key file, and never seeds demo secrets', () => {
    expect(() => parseEnv({ NODE_ENV: 'production' })).toThrow(/DATABASE_URL: is required in production/);
    expect(() => parseEnv({ NODE_ENV: 'production', DATABASE_URL: 'postgres://db/latih' })).toThrow(
      /SIGNING_KEYS_FILE/,
    );
    expect(() =>
      parseEnv({
        NODE_ENV: 'production',
        DATABASE_URL: 'postgres://db/latih',
        SIGNING_KEYS_FILE: '/run/keys.json',
      }),
    ).toThrow(/NIK_HASH_KEY: is required in production/);
    expect(() => parseEnv({ ...PRODUCTION, PUBLIC_URL: undefined })).toThrow(
      /PUBLIC_URL: is required in production: it is the tokens' issuer/,
    );
    const production = {
      NODE_ENV: 'production',
      PUBLIC_URL: 'https://api.latih.example',
      DATABASE_URL: 'postgres://db/latih',
      SIGNING_KEYS_FILE: '/run/keys.json',
      NIK_HASH_KEY: Buffer.alloc(32, 1).toString('base64'),
    };
    expect(() => parseEnv(production)).toThrow(/PAYMENTS_BASE_URL: is required in production/);
    expect(() => parseEnv({ ...production, PAYMENTS_BASE_URL: 'https://api.pay.example' })).toThrow(
      /PAYMENTS_API_KEY: is required with PAYMENTS_BASE_URL[\s\S]*PAYMENTS_WEBHOOK_SECRET/,
    );
    const c = parseEnv({
      ...production,
      PAYMENTS_BASE_URL: 'https://api.pay.example',
      PAYMENTS_API_KEY: 'sk_live_0123456789',
      PAYMENTS_WEBHOOK_SECRET: 'whsec_0123456789abcdef',
    });
    expect(c.payments).toEqual({
      baseUrl: 'https://api.pay.example',
      apiKey: 'sk_live_0123456789',
      webhookSecret: 'whsec_0123456789abcdef',
    });
    expect(parseEnv({}).payments).toBeUndefined();
    expect(c.seedDemo).toBe(false);
    expect(c.nikHashKey?.length).toBe(32);
    expect(() => parseEnv({ NIK_HASH_KEY: 'c2hvcnQ=' })).toThrow(
      /NIK_HASH_KEY="\[redacted\]": must be at least 32 bytes/,
    );
    expect(() => parseEnv({ ...PRODUCTION, SEED_DEMO: 'true' })).toThrow(/SEED_DEMO/);
  });

  it('the test clock is on outside production, off on request, and refused in production', () => {
    expect(parseEnv({}).testClock).toBe(true);
    expect(parseEnv({ TEST_CLOCK: 'false' }).testClock).toBe(false);
    expect(parseEnv(PRODUCTION).testClock).toBe(false);
    expect(() => parseEnv({ ...PRODUCTION, TEST_CLOCK: 'true' })).toThrow(
      /TEST_CLOCK="true": must not be true in production/,
    );
  });

  it('JOBS and JOB_INTERVALS name real jobs of the schedule', () => {
    expect(parseEnv({}).jobs).toEqual({ run: true, intervals: {} });
    expect(parseEnv({ JOBS: 'off' }).jobs.run).toBe(false);
    expect(parseEnv({ JOBS: 'webhooks.deliver,payouts.pay' }).jobs).toEqual({
      run: true,
      only: ['webhooks.deliver', 'payouts.pay'],
      intervals: {},
    });
    expect(() => parseEnv({ JOBS: 'webhooks.deliver,payouts.teleport' })).toThrow(
      /JOBS="webhooks.deliver,payouts.teleport": no job is called payouts.teleport/,
    );
    expect(() => parseEnv({ JOBS: 'All Of Them' })).toThrow(/JOBS="All Of Them": must be all, off/);
    expect(() => parseEnv({ JOBS: 'all,off' })).toThrow(/JOBS="all,off": all and off stand alone/);
    expect(parseEnv({ JOB_INTERVALS: 'webhooks.deliver=500, signals.detect=0' }).jobs.intervals).toEqual({
      'webhooks.deliver': 500,
      'signals.detect': 0,
    });
    expect(() => parseEnv({ JOB_INTERVALS: 'webhooks.deliver=soon' })).toThrow(
      /JOB_INTERVALS="webhooks.deliver=soon": "webhooks.deliver=soon" is not name=milliseconds/,
    );
    expect(parseEnv({}).webhookIntervalMs).toBeUndefined();
  });
});
