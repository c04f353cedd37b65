import type { Request } from 'express';
import ipaddr from 'ipaddr.js';

/**
 * The client's address, one rule everywhere (the access log, the identity-check page's record,
 * console sign-in; rate limits key on the same req.ip): Express's `req.ip` as TRUST_PROXY resolves
 * it from X-Forwarded-For (the rightmost address not from a trusted proxy), with an IPv4-mapped
 * IPv6 address (`::ffff:10.1.2.3`, what a dual-stack socket reports) written as IPv4, so that one
 * client has one address. Null when there is none.
 */
export function clientAddress(req: Request): string | null {
  const ip = req.ip;
  if (!ip) return null;
  try {
    return ipaddr.process(ip.split('%')[0] ?? ip).toString();
  } catch {
    return null;
  }
}
