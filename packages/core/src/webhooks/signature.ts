import { randomBytes } from 'node:crypto';

/** A new endpoint secret: shown to its owner once, kept sealed. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}
