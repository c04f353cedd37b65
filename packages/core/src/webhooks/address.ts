import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { AppError } from '@latih/contracts';
import ipaddr from 'ipaddr.js';

/**
 * Where webhook deliveries may go (ADR 0002). Partners choose the URLs, so the gateway must never be
 * made to POST into its own network: every address a delivery connects to must be public unicast.
 * The ranges come from ipaddr.js (IANA's special-purpose registries), not from masks written here.
 * `allowPrivate` (WEBHOOKS_ALLOW_PRIVATE=true, development only) opens loopback, RFC 1918 private
 * and IPv6 unique-local addresses, and plain http to them; link-local (where cloud metadata lives)
 * and every other special-use range stay closed even then.
 */

export type ResolvedAddress = { address: string; family: 4 | 6 };
/** Every address a host name resolves to. Tests inject their own (no real DNS). */
export type WebhookLookup = (hostname: string) => Promise<ResolvedAddress[]>;

/** The operating system's resolver (getaddrinfo: /etc/hosts, then DNS), every address. */
export const systemLookup: WebhookLookup = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => ({
    address: a.address,
    family: a.family === 6 ? 6 : 4,
  }));

export type WebhookTargetPolicy = {
  /** Development only: loopback, private and unique-local addresses (and http to them) are allowed. */
  allowPrivate: boolean;
  /** How host names are resolved; the system resolver by default. */
  lookup?: WebhookLookup;
};

/** What `allowPrivate` opens. Everything else that is not public unicast stays closed. */
const DEVELOPMENT_RANGES = new Set(['loopback', 'private', 'uniqueLocal']);

/** IANA's global unicast block: any IPv6 address outside it is not a partner's server. */
const GLOBAL_UNICAST_V6 = ipaddr.IPv6.parseCIDR('2000::/3');
/** NAT64's well-known prefix: on an IPv6-only network, DNS64 maps public IPv4 servers into it. */
const NAT64_WELL_KNOWN = ipaddr.IPv6.parseCIDR('64:ff9b::/96');

const RANGE_NAMES: Record<string, string> = {
  loopback: 'a loopback address',
  private: 'a private (RFC 1918) address',
  linkLocal: 'a link-local address (where cloud metadata services answer)',
  carrierGradeNat: 'a carrier-grade NAT (100.64.0.0/10) address',
  uniqueLocal: 'a unique-local (fc00::/7) address',
  multicast: 'a multicast address',
  unspecified: 'the unspecified address',
  broadcast: 'the broadcast address',
  reserved: 'a reserved or documentation address',
  benchmarking: 'a benchmarking address',
  as112: 'an AS112 address',
  as112v6: 'an AS112 address',
  amt: 'an AMT relay address',
  rfc6145: 'an IPv4-translated address',
  rfc6052: 'a local-use NAT64 address',
  '6to4': 'a 6to4 (2002::/16) address',
  teredo: 'a Teredo (2001::/32) address',
  deprecatedSiteLocal: 'a site-local (fec0::/10) address',
  discard: 'a discard-only (100::/64) address',
  notGlobal: 'outside the global unicast block 2000::/3',
};

function v4Embedded(ip: ipaddr.IPv6): ipaddr.IPv4 {
  const b = ip.toByteArray().slice(12);
  return new ipaddr.IPv4(b);
}

/**
 * The range an address belongs to ('unicast' for a public one) and, for an IPv6 form of an IPv4
 * address (mapped, compatible, NAT64), that IPv4 address. A text that is no IP address: null.
 */
export function classifyAddress(text: string): { range: string; embedded?: string } | null {
  let bare = text.replace(/^\[|\]$/g, '');
  const kind = isIP(bare);
  if (kind === 0) return null;
  if (kind === 6) {
    // A zone (fe80::1%eth0) only ever scopes a link-local address.
    if (bare.includes('%')) return { range: 'linkLocal' };
    // The URL standard's form first: ipaddr.js reads ::127.0.0.1 (IPv4-compatible, ::7f00:1) as
    // ::ffff:127.0.0.1 (IPv4-mapped), a different address.
    bare = new URL(`http://[${bare}]/`).hostname.slice(1, -1);
  }
  let ip: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    ip = ipaddr.parse(bare);
  } catch {
    return null;
  }
  if (ip.kind() === 'ipv4') return { range: ip.range() };
  const v6 = ip as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) {
    const v4 = v6.toIPv4Address();
    return { range: v4.range(), embedded: v4.toString() };
  }
  if (v6.match(NAT64_WELL_KNOWN)) {
    const v4 = v4Embedded(v6);
    return { range: v4.range(), embedded: v4.toString() };
  }
  const range = v6.range();
  if (range !== 'unicast') return { range };
  // ::a.b.c.d (IPv4-compatible, deprecated by RFC 4291) and the rest of ::/8 land here.
  if (v6.parts.slice(0, 6).every((p) => p === 0))
    return { range: 'ipv4Compatible', embedded: v4Embedded(v6).toString() };
  if (!v6.match(GLOBAL_UNICAST_V6)) return { range: 'notGlobal' };
  return { range: 'unicast' };
}

/**
 * Why a delivery may not connect to this address, as a phrase ("a loopback address"); null: it may.
 * `text` is one IP address as Node or a resolver writes it.
 */
export function addressRefusal(text: string, allowPrivate: boolean): string | null {
  const c = classifyAddress(text);
  if (!c) return 'not an IP address';
  if (c.range === 'unicast') return null;
  if (allowPrivate && DEVELOPMENT_RANGES.has(c.range)) return null;
  if (c.range === 'ipv4Compatible') return `an IPv4-compatible IPv6 address (of ${c.embedded}; deprecated)`;
  const what = RANGE_NAMES[c.range] ?? `a special-use address (${c.range})`;
  return c.embedded ? `an IPv6 form of ${c.embedded}, ${what}` : what;
}

/** Host names that always name the cloud metadata service, whatever they resolve to here. */
const METADATA_NAMES = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
]);
/** Names only a local network resolves (RFC 6761, RFC 8375, ICANN's .internal, mDNS). */
const LOCAL_SUFFIXES = ['.localhost', '.local', '.internal', '.home.arpa', '.localdomain', '.lan'];

function localName(host: string): boolean {
  return host === 'localhost' || !host.includes('.') || LOCAL_SUFFIXES.some((s) => host.endsWith(s));
}

export type WebhookTarget = {
  url: URL;
  /** The host as the connection uses it: lower case, no brackets, no trailing dot. */
  host: string;
  /** Whether the host is an IP address (then no lookup happens: it is checked as it is). */
  literal: boolean;
};

export const ONLY_PUBLIC = 'webhooks may only go to public addresses.';

function invalid(message: string): AppError {
  return new AppError('WEBHOOK_URL_INVALID', { message, field: 'url' });
}

/**
 * Everything that can be decided from the URL alone: absolute https (http only to a local host with
 * `allowPrivate`), no credentials or fragment, no local or metadata host name, and an IP address
 * host (decimal, octal and hex IPv4 forms are normalised by the URL parser first) only when public.
 * Throws WEBHOOK_URL_INVALID (field `url`).
 */
export function parseWebhookTarget(raw: string, allowPrivate: boolean): WebhookTarget {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid('Not an absolute URL.');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid('Use an https URL.');
  if (url.username || url.password || url.hash || raw.includes('#'))
    throw invalid('A webhook URL has no credentials and no #fragment.');
  const host = url.hostname
    .replace(/^\[|\]$/g, '')
    .toLowerCase()
    .replace(/\.+$/, '');
  if (!host) throw invalid('The URL has no host.');
  const literal = classifyAddress(host) !== null;
  if (literal) {
    const refusal = addressRefusal(host, allowPrivate);
    if (refusal) throw invalid(`${host} is ${refusal}: ${ONLY_PUBLIC}`);
  } else if (METADATA_NAMES.has(host)) {
    throw invalid(`${host} is a cloud metadata service: ${ONLY_PUBLIC}`);
  } else if (localName(host) && !allowPrivate) {
    throw invalid(`${host} is a local host name: ${ONLY_PUBLIC}`);
  }
  if (url.protocol === 'http:') {
    const local = literal || localName(host);
    if (!(allowPrivate && local))
      throw invalid(
        allowPrivate ? 'Use an https URL (plain http only to a local host).' : 'Use an https URL.',
      );
  }
  return { url, host, literal };
}

/** A delivery the address check stopped (its message is a whole sentence, said to the partner). */
export class WebhookTargetRefused extends Error {
  override readonly name = 'WebhookTargetRefused';
}

/** Every address of `host`, each allowed; throws naming the first that is not. */
export async function resolveAllowed(host: string, policy: WebhookTargetPolicy): Promise<ResolvedAddress[]> {
  const addresses = await (policy.lookup ?? systemLookup)(host);
  if (addresses.length === 0)
    throw Object.assign(new Error(`${host} has no address`), { code: 'ENODATA', hostname: host });
  for (const a of addresses) {
    const refusal = addressRefusal(a.address, policy.allowPrivate);
    if (refusal)
      throw new WebhookTargetRefused(`${host} resolves to ${a.address}, ${refusal}: ${ONLY_PUBLIC}`);
  }
  return addresses;
}

/**
 * The registration check: the URL rules above, then the host name resolved and every address it
 * has checked, so that `https://localtest.me/` is refused at once with a clear answer. A name that
 * does not resolve (yet), or not within `timeoutMs`, is accepted: the delivery checks again where it
 * connects, and that check is the one that protects (DNS may change between the two).
 * Returns the URL as it is stored.
 */
export async function checkWebhookUrl(
  raw: string,
  policy: WebhookTargetPolicy & { timeoutMs?: number },
): Promise<string> {
  const target = parseWebhookTarget(raw, policy.allowPrivate);
  if (target.literal) return target.url.toString();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), policy.timeoutMs ?? 3_000);
  });
  try {
    await Promise.race([resolveAllowed(target.host, policy), timeout]);
  } catch (err) {
    if (err instanceof WebhookTargetRefused) throw invalid(err.message);
    // Not resolvable now: checked again at every delivery.
  } finally {
    clearTimeout(timer);
  }
  return target.url.toString();
}

/**
 * An address as the gateway records it: one client, one spelling. An IPv4-mapped IPv6 address
 * (`::ffff:10.1.2.3`, what a dual-stack socket reports) is written as IPv4, IPv6 in its canonical
 * short form, a zone id dropped. Null when it is not an address.
 */
export function canonicalAddress(ip: string | null | undefined): string | null {
  if (!ip) return null;
  try {
    return ipaddr.process(ip.split('%')[0] ?? ip).toString();
  } catch {
    return null;
  }
}
