import { describe, expect, it } from 'vitest';
import { hashSecret, secretMatches } from './auth/secrets';
import { canonicalJson } from './canonical-json';
import { requestHash, validateIdempotencyKey } from './idempotency';
import { newId, ulid } from './ids';

describe('ids', () => {
  it('are prefixed ULIDs that sort by creation time', () => {
    const a = newId('course', 1_700_000_000_000);
    const b = newId('course', 1_700_000_000_001);
    expect(a).toMatch(/^crs_[0-9a-hjkmnp-tv-z]{26}$/);
    expect(a < b).toBe(true);
    expect(new Set(Array.from({ length: 1000 }, () => ulid())).size).toBe(1000);
  });
});

describe('canonical JSON and request hashes', () => {
  it('ignores key order and undefined fields, but not values', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, 2], c: undefined } })).toBe('{"a":{"d":[1,2]},"b":1}');
    expect(requestHash('p', { a: 1, b: 2 })).toBe(requestHash('p', { b: 2, a: 1 }));
    expect(requestHash('p', { a: 1 })).not.toBe(requestHash('p', { a: 2 }));
    expect(requestHash('p', { a: 1 })).not.toBe(requestHash('q', { a: 1 }));
  });

  it('idempotency keys are 1–255 printable ASCII characters', () => {
    expect(() => validateIdempotencyKey('a-b_c:1')).not.toThrow();
    for (const bad of ['', 'x'.repeat(256), 'with space', 'ü'])
      expect(() => validateIdempotencyKey(bad)).toThrow(/Idempotency-Key/);
  });
});

describe('client secrets', () => {
  it('are stored as a digest and compared in constant time', () => {
    const h = hashSecret('lts_secret');
    expect(h).not.toContain('lts_secret');
    expect(secretMatches('lts_secret', h)).toBe(true);
    expect(secretMatches('lts_secreT', h)).toBe(false);
  });
});
