import { createHmac } from 'node:crypto';

/** An Indonesian mobile number as the program records it (08…), in international form: 628… */
export function normalizedPhone(phone: string): string {
  return `62${phone.replace(/^0/, '')}`;
}

/**
 * HMAC-SHA256 of the normalized number under the NIK hash key, prefixed so it never equals a NIK's
 * or a payout destination's hash: equal for the same number, and no list of numbers reverses it.
 * Lets the detectors find one phone behind many participants without keeping the number.
 */
export function hashPhone(key: Buffer, phone: string): string {
  return createHmac('sha256', key)
    .update(`phone:${normalizedPhone(phone)}`, 'utf8')
    .digest('base64url');
}
