import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A client secret: 256 random bits, prefixed so that secret scanners can recognise a leak. */
export function generateClientSecret(): string {
  return `lts_${randomBytes(32).toString('base64url')}`;
}

/**
 * SHA-256 is enough for a 256-bit random secret (no dictionary to try); a slow KDF would only add
 * latency to every token request. Human-chosen passwords (the console's) use scrypt instead.
 */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('base64url');
}

export function secretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(secret));
  const b = Buffer.from(storedHash);
  return a.length === b.length && timingSafeEqual(a, b);
}
