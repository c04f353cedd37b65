import { lagFromSamples, lsnBytes, rootMessage } from '@latih/db';
import { describe, expect, it } from 'vitest';

/*
 * How far behind the read replica is (packages/db/src/replica.ts): from the primary's WAL positions
 * sampled over time and the replica's replay position. The real replica is in
 * tests/e2e/read-replica.test.ts; this is the arithmetic.
 */
describe('read replica lag', () => {
  it('reads pg_lsn text as bytes', () => {
    expect(lsnBytes('0/0')).toBe(0n);
    expect(lsnBytes('0/16B3748')).toBe(0x16b3748n);
    expect(lsnBytes('1/0')).toBe(1n << 32n);
    expect(lsnBytes('A/FF')).toBe((10n << 32n) + 255n);
  });

  const samples = [
    { lsn: 1_000n, at: 10_000 },
    { lsn: 2_000n, at: 11_000 },
    { lsn: 4_000n, at: 12_000 },
  ];

  it('is 0 once the replica has replayed the newest position, however old', () => {
    expect(lagFromSamples(samples, 4_000n, 99_000)).toBe(0);
    expect(lagFromSamples(samples, 5_000n, 12_000)).toBe(0);
  });

  it('is the time since the primary was where the replica is, interpolated between samples', () => {
    // Exactly the second sample: everything committed before 11 000 is there.
    expect(lagFromSamples(samples, 2_000n, 12_500)).toBe(1_500);
    // Halfway (in WAL) between the second and the third: halfway in time.
    expect(lagFromSamples(samples, 3_000n, 12_500)).toBe(1_000);
    // An idle primary's replica that has everything: 0, whatever time has passed.
    expect(lagFromSamples([{ lsn: 7n, at: 0 }], 7n, 3_600_000)).toBe(0);
  });

  it('is unknown (null) when the replica is older than every sample kept, or nothing was sampled', () => {
    expect(lagFromSamples(samples, 999n, 12_500)).toBeNull();
    expect(lagFromSamples([], 999n, 12_500)).toBeNull();
  });
});

describe('why the read replica is down', () => {
  it('names the innermost cause, not the query that met it', () => {
    const refused = new Error('connect ECONNREFUSED 127.0.0.1:5441');
    const failed = new Error('Failed query: select pg_is_in_recovery() as standby', { cause: refused });
    expect(rootMessage(failed)).toBe('connect ECONNREFUSED 127.0.0.1:5441');
    expect(rootMessage(new AggregateError([refused], ''))).toBe('connect ECONNREFUSED 127.0.0.1:5441');
    expect(rootMessage('plain')).toBe('plain');
  });
});
