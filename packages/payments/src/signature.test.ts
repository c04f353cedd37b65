import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signatureHeader, verifySignatureHeader } from './signature';

const body = '{"id":"evt_1","type":"payout.paid"}';
const t = 1_795_400_000;
const now = t * 1000;

describe('Stripe-style signature headers', () => {
  it('signs "t.body" with HMAC-SHA256, one v1 per secret', () => {
    const header = signatureHeader(body, ['whsec_old', 'whsec_new'], t);
    const hmac = (s: string) => createHmac('sha256', s).update(`${t}.${body}`).digest('hex');
    expect(header).toBe(`t=${t},v1=${hmac('whsec_old')},v1=${hmac('whsec_new')}`);
  });

  it('verifies with any active secret (rotation), within the tolerance', () => {
    const header = signatureHeader(body, ['whsec_old', 'whsec_new'], t);
    expect(verifySignatureHeader(body, header, ['whsec_new'], { now })).toEqual({ timestamp: t });
    expect(verifySignatureHeader(body, header, ['whsec_other', 'whsec_old'], { now: now + 299_000 })).toEqual(
      { timestamp: t },
    );
  });

  it('rejects a changed body, a wrong secret, an old or future timestamp, and malformed headers', () => {
    const header = signatureHeader(body, ['whsec_a'], t);
    const reason = (fn: () => unknown) => {
      try {
        fn();
        return 'ACCEPTED';
      } catch (e) {
        return (e as { reason?: string }).reason;
      }
    };
    expect(reason(() => verifySignatureHeader(`${body} `, header, ['whsec_a'], { now }))).toBe(
      'NO_MATCHING_SIGNATURE',
    );
    expect(reason(() => verifySignatureHeader(body, header, ['whsec_b'], { now }))).toBe(
      'NO_MATCHING_SIGNATURE',
    );
    expect(reason(() => verifySignatureHeader(body, header, ['whsec_a'], { now: now + 301_000 }))).toBe(
      'TIMESTAMP_OUT_OF_TOLERANCE',
    );
    expect(reason(() => verifySignatureHeader(body, header, ['whsec_a'], { now: now - 301_000 }))).toBe(
      'TIMESTAMP_OUT_OF_TOLERANCE',
    );
    expect(reason(() => verifySignatureHeader(body, 'v1=abc', ['whsec_a'], { now }))).toBe(
      'HEADER_MALFORMED',
    );
    expect(reason(() => verifySignatureHeader(body, `t=${t}`, ['whsec_a'], { now }))).toBe(
      'HEADER_MALFORMED',
    );
    expect(reason(() => verifySignatureHeader(body, header, ['whsec_a'], { now }))).toBe('ACCEPTED');
  });
});
