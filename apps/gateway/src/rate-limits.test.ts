import { describe, expect, it } from 'vitest';
import { parseEnv } from './env';
import { PRODUCTION_ENV } from './production-env.fixture';
import { addressOf, DEFAULT_RATE_LIMITS, rateLimitKeys } from './rate-limits';

const PRODUCTION = PRODUCTION_ENV;

describe('rate limit settings', () => {
  it('are on by default, in memory, behind loopback proxies only', () => {
    const c = parseEnv({});
    expect(c.rateLimits).toEqual(DEFAULT_RATE_LIMITS);
    expect(c.redis).toBeUndefined();
    expect(c.trustProxy).toBe('loopback');
    expect(parseEnv(PRODUCTION).rateLimits).toEqual(DEFAULT_RATE_LIMITS);
  });

  it('take points/seconds per limit, Redis with its key prefix, and can be switched off outside production', () => {
    const c = parseEnv({
      RATE_LIMIT_API: '100/10',
      RATE_LIMIT_TOKEN_FAILURES: '3/3600',
      REDIS_URL: 'redis://cache.internal:6379/2',
      REDIS_KEY_PREFIX: 'latih-prod:',
    });
    expect(c.rateLimits).toEqual({
      ...DEFAULT_RATE_LIMITS,
      api: { points: 100, seconds: 10 },
      tokenFailures: { points: 3, seconds: 3600 },
    });
    expect(c.redis).toEqual({ url: 'redis://cache.internal:6379/2', keyPrefix: 'latih-prod:' });
    expect(parseEnv({ REDIS_URL: 'rediss://u:p@cache:6380' }).redis).toEqual({
      url: 'rediss://u:p@cache:6380',
      keyPrefix: 'latih:',
    });
    expect(parseEnv({ RATE_LIMITS: 'off' }).rateLimits).toBeNull();
  });

  it('refuse malformed values with the variable named', () => {
    expect(() => parseEnv({ RATE_LIMIT_API: '100' })).toThrow(
      /RATE_LIMIT_API="100": must be points\/seconds/,
    );
    expect(() => parseEnv({ RATE_LIMIT_PUBLIC: '0/60' })).toThrow(/RATE_LIMIT_PUBLIC="0\/60"/);
    expect(() => parseEnv({ RATE_LIMIT_SIGN_IN: '5/100000' })).toThrow(
      /RATE_LIMIT_SIGN_IN="5\/100000": the window is at most 86400 seconds/,
    );
    expect(() => parseEnv({ RATE_LIMITS: 'false' })).toThrow(/RATE_LIMITS="false": must be on or off/);
    expect(() => parseEnv({ REDIS_URL: 'http://cache:6379' })).toThrow(/REDIS_URL="http:\/\/cache:6379"/);
    expect(() => parseEnv({ REDIS_KEY_PREFIX: 'has space' })).toThrow(/REDIS_KEY_PREFIX/);
    expect(() => parseEnv({ TRUST_PROXY: 'bogus' })).toThrow(/TRUST_PROXY="bogus": must be false/);
    expect(() => parseEnv({ TRUST_PROXY: '10.0.0.0/99' })).toThrow(/TRUST_PROXY/);
  });

  it('TRUST_PROXY takes Express values: none/false, a hop count, addresses and ranges', () => {
    expect(parseEnv({ TRUST_PROXY: 'none' }).trustProxy).toBe(false);
    expect(parseEnv({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(parseEnv({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(parseEnv({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).trustProxy).toBe('loopback, 10.0.0.0/8');
    expect(parseEnv({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
  });

  it('production refuses them off, and trusting every proxy', () => {
    expect(() => parseEnv({ ...PRODUCTION, RATE_LIMITS: 'off' })).toThrow(
      /RATE_LIMITS="off": must not be off in production/,
    );
    expect(() => parseEnv({ ...PRODUCTION, TRUST_PROXY: 'true' })).toThrow(
      /TRUST_PROXY="true": must not be true in production/,
    );
    expect(parseEnv({ ...PRODUCTION, TRUST_PROXY: '10.0.0.0/8' }).trustProxy).toBe('10.0.0.0/8');
  });
});

describe('rate limit keys', () => {
  it('count IPv4 as is, IPv4-mapped IPv6 as IPv4, other IPv6 by its /64', () => {
    expect(addressOf('203.0.113.7')).toBe('203.0.113.7');
    expect(addressOf('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(addressOf('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(addressOf('2001:db8:1:2::9')).toBe('2001:db8:1:2::/64');
    expect(addressOf('2001:0db8:0001:0002:ffff::')).toBe('2001:db8:1:2::/64');
    expect(addressOf('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressOf('::1')).toBe('0:0:0:0::/64');
    expect(addressOf('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressOf(undefined)).toBe('unknown');
    // Two addresses of one /64 share a key; the next /64 does not.
    expect(addressOf('2001:db8:1:2::a')).toBe(addressOf('2001:db8:1:2:ffff::b'));
    expect(addressOf('2001:db8:1:3::a')).not.toBe(addressOf('2001:db8:1:2::a'));
  });

  it('hash a caller-chosen id that is long or unusual (a client_id may be a megabyte)', () => {
    expect(rateLimitKeys.client('cli_demo_platform')).toBe('client:cli_demo_platform');
    const huge = rateLimitKeys.client('x'.repeat(1_000_000));
    expect(huge).toMatch(/^client:sha256:[A-Za-z0-9_-]{32}$/);
    expect(rateLimitKeys.client('a b')).not.toBe(rateLimitKeys.client('a_b'));
    expect(rateLimitKeys.tokenFailure('cli_x', '::ffff:198.51.100.2')).toBe('cli_x|198.51.100.2');
    expect(rateLimitKeys.tokenFailure(null, '198.51.100.2')).toBe('-|198.51.100.2');
  });
});
