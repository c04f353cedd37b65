import { createHmac, randomBytes } from 'node:crypto';

/** A new endpoint secret: shown to its owner once, kept sealed. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/**
 * The `Latih-Signature` header, Stripe's scheme: `t=<unix seconds>,v1=<hex>` where each v1 is
 * HMAC-SHA256 over `"{t}.{raw body}"` keyed with one active secret (two during a rotation).
 */
export function signWebhook(rawBody: string, secrets: readonly string[], unixSeconds: number): string {
  const t = Math.floor(unixSeconds);
  const signed = `${t}.${rawBody}`;
  const v1 = secrets.map((s) => `v1=${createHmac('sha256', s).update(signed, 'utf8').digest('hex')}`);
  return [`t=${t}`, ...v1].join(',');
}
