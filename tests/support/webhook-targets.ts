import type { ResolvedAddress, WebhookLookup } from '@latih/core';

/**
 * Webhook address-check fixtures: a resolver that answers from a table (no real DNS), and the
 * special-use and public addresses the check is tried with.
 */

/** A resolver that knows only these names; any other name does not exist (ENOTFOUND). */
export function fakeLookup(
  names: Record<string, string | string[]>,
): WebhookLookup & { calls: string[]; set: (name: string, to: string | string[]) => void } {
  const table = { ...names };
  const calls: string[] = [];
  const lookup = async (host: string): Promise<ResolvedAddress[]> => {
    calls.push(host);
    const a = table[host];
    if (a === undefined)
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND', hostname: host });
    return (Array.isArray(a) ? a : [a]).map((address) => ({
      address,
      family: address.includes(':') ? (6 as const) : (4 as const),
    }));
  };
  return Object.assign(lookup, {
    calls,
    set: (name: string, to: string | string[]) => {
      table[name] = to;
    },
  });
}

/** Every special-use address kind the check must refuse, with what it is. */
export const SPECIAL_ADDRESSES: [string, RegExp][] = [
  ['127.0.0.1', /loopback/],
  ['127.255.0.9', /loopback/],
  ['::1', /loopback/],
  ['10.0.0.1', /private/],
  ['172.16.5.4', /private/],
  ['172.31.255.254', /private/],
  ['192.168.1.1', /private/],
  ['169.254.169.254', /link-local/],
  ['fe80::1', /link-local/],
  ['100.64.0.1', /carrier-grade NAT/],
  ['100.127.255.254', /carrier-grade NAT/],
  ['fd00::1', /unique-local/],
  ['fc00::1', /unique-local/],
  ['224.0.0.1', /multicast/],
  ['239.255.255.250', /multicast/],
  ['ff02::1', /multicast/],
  ['0.0.0.0', /unspecified/],
  ['0.1.2.3', /unspecified/],
  ['::', /unspecified/],
  ['255.255.255.255', /broadcast/],
  ['192.0.2.10', /documentation/],
  ['198.51.100.7', /documentation/],
  ['203.0.113.9', /documentation/],
  ['2001:db8::1', /documentation/],
  ['198.18.0.1', /reserved/],
  ['2001:2::1', /benchmarking/],
  ['240.0.0.1', /reserved/],
  ['192.0.0.8', /reserved/],
  ['::ffff:127.0.0.1', /IPv6 form of 127\.0\.0\.1, a loopback/],
  ['::ffff:169.254.169.254', /IPv6 form of 169\.254\.169\.254, a link-local/],
  ['::ffff:10.1.2.3', /IPv6 form of 10\.1\.2\.3, a private/],
  ['::127.0.0.1', /IPv4-compatible/],
  ['::a9fe:a9fe', /IPv4-compatible/],
  ['::ffff:0:7f00:1', /IPv4-translated/],
  ['64:ff9b::7f00:1', /IPv6 form of 127\.0\.0\.1, a loopback/],
  ['64:ff9b::a9fe:a9fe', /IPv6 form of 169\.254\.169\.254/],
  ['64:ff9b:1::a00:1', /local-use NAT64/],
  ['2002:7f00:1::1', /6to4/],
  ['2002:a9fe:a9fe::1', /6to4/],
  ['2001:0:4136:e378:8000:63bf:80ff:fffe', /Teredo/],
  ['fec0::1', /site-local/],
  ['100::1', /discard/],
  ['4000::1', /global unicast/],
];

/** Public unicast addresses: a partner's server may be at any of these. */
export const PUBLIC_ADDRESSES = [
  '93.184.215.14',
  '8.8.8.8',
  '1.1.1.1',
  '100.63.255.255', // just below CGNAT
  '100.128.0.1', // just above
  '172.15.255.255', // just below 172.16/12
  '172.32.0.1', // just above
  '2606:4700:4700::1111',
  '2a00:1450:4001:81c::200e',
  '::ffff:8.8.8.8', // IPv4-mapped form of a public address
  '64:ff9b::808:808', // NAT64 (DNS64 on an IPv6-only network) of a public address
];
