import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Stripe-style webhook signatures: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`, with one
 * `v1` per active secret so that a receiver keeps verifying while a secret is rotated. Used for the
 * payment provider's webhooks to the gateway and, later, for the gateway's webhooks to partners.
 */
export const DEFAULT_TOLERANCE_SECONDS = 300;

export function computeSignature(secret: string, timestamp: number, payload: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${payload}`, 'utf8').digest('hex');
}

export function signatureHeader(payload: string, secrets: readonly string[], timestamp: number): string {
  if (secrets.length === 0) throw new Error('at least one signing secret is needed');
  return [`t=${timestamp}`, ...secrets.map((s) => `v1=${computeSignature(s, timestamp, payload)}`)].join(',');
}

export type SignatureFailure = 'HEADER_MALFORMED' | 'TIMESTAMP_OUT_OF_TOLERANCE' | 'NO_MATCHING_SIGNATURE';

export class SignatureVerificationError extends Error {
  override readonly name = 'SignatureVerificationError';
  constructor(readonly reason: SignatureFailure) {
    super(`webhook signature rejected: ${reason}`);
  }
}

/**
 * Accepts the payload when any `v1` matches any of `secrets` (compared in constant time) and the
 * timestamp is within the tolerance of `now` (both ways: replays and clock skew).
 */
export function verifySignatureHeader(
  payload: string,
  header: string,
  secrets: readonly string[],
  opts: { toleranceSeconds?: number; now?: number } = {},
): { timestamp: number } {
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't' && /^\d+$/.test(value)) timestamp = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/.test(value)) signatures.push(value);
  }
  if (timestamp === undefined || signatures.length === 0)
    throw new SignatureVerificationError('HEADER_MALFORMED');
  const now = Math.floor((opts.now ?? Date.now()) / 1000);
  if (Math.abs(now - timestamp) > (opts.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) {
    throw new SignatureVerificationError('TIMESTAMP_OUT_OF_TOLERANCE');
  }
  const given = signatures.map((s) => Buffer.from(s, 'hex'));
  for (const secret of secrets) {
    const expected = Buffer.from(computeSignature(secret, timestamp, payload), 'hex');
    if (given.some((g) => g.length === expected.length && timingSafeEqual(g, expected))) return { timestamp };
  }
  throw new SignatureVerificationError('NO_MATCHING_SIGNATURE');
}
