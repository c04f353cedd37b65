import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The program's provider integration protocol signs every request with HMAC-SHA1:
 * lowercase hex of HMAC-SHA1(signKey, client_code + timestamp + "POST" + path + body), joined with
 * no separator; `path` has no host and no query.
 */
export const PROTOCOL_PREFIX = '/api/v1/integration/';
/** How far a request's timestamp may be from the gateway's real time (no source states one). */
export const PROTOCOL_TIMESTAMP_TOLERANCE_SECONDS = 300;

export function protocolSignature(
  signKey: string,
  parts: { clientCode: string; timestamp: string; path: string; body: string },
): string {
  return createHmac('sha1', signKey)
    .update(`${parts.clientCode}${parts.timestamp}POST${parts.path}${parts.body}`, 'utf8')
    .digest('hex');
}

/** Repeated slashes merged (one real client sends `//api/v1/…` while signing `/api/v1/…`). */
export function normalizeProtocolPath(path: string): string {
  return path.replace(/\/{2,}/g, '/');
}

/**
 * The bodies a real client may have signed for the bytes it sent: the bytes themselves, or their
 * compact JSON re-serialization with the key order kept (the program's Python sample signs
 * `{"redeem_code":"X"}` but sends `{"redeem_code": "X"}`; PHP sends `https:\/\/…`).
 */
export function signedBodyCandidates(rawBody: string): string[] {
  const candidates = [rawBody];
  if (rawBody.trim() !== '') {
    try {
      const compact = JSON.stringify(JSON.parse(rawBody));
      if (compact !== rawBody) candidates.push(compact);
    } catch {
      // Not JSON: only the raw bytes can have been signed (and the call is refused as malformed).
    }
  }
  return candidates;
}

/** Whether the header's Unix seconds are within the tolerance of `nowMs` (real time). */
export function timestampFresh(timestamp: string, nowMs: number): boolean {
  if (!/^\d{1,12}$/.test(timestamp)) return false;
  return Math.abs(Number(timestamp) * 1000 - nowMs) <= PROTOCOL_TIMESTAMP_TOLERANCE_SECONDS * 1000;
}

/** Constant-time comparison of the given signature with each key × body candidate. */
export function signatureMatches(
  given: string,
  keys: string[],
  parts: { clientCode: string; timestamp: string; path: string; rawBody: string },
): number {
  const want = Buffer.from(given.trim().toLowerCase(), 'utf8');
  const bodies = signedBodyCandidates(parts.rawBody);
  for (const [i, key] of keys.entries()) {
    for (const body of bodies) {
      const expected = Buffer.from(
        protocolSignature(key, {
          clientCode: parts.clientCode,
          timestamp: parts.timestamp,
          path: parts.path,
          body,
        }),
        'utf8',
      );
      if (expected.length === want.length && timingSafeEqual(expected, want)) return i;
    }
  }
  return -1;
}
