import { canonicalAddress } from '@latih/core';
import type { Request } from 'express';

/**
 * The client's address, one rule everywhere (the access log, the identity-check page's record,
 * console sign-in; rate limits key on the same req.ip): Express's `req.ip` as TRUST_PROXY resolves
 * it from X-Forwarded-For (the rightmost address not from a trusted proxy), written canonically
 * (an IPv4-mapped IPv6 address as IPv4), so that one client has one address. Null when there is none.
 */
export function clientAddress(req: Request): string | null {
  return canonicalAddress(req.ip);
}
