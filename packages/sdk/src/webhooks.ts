import type { TEvent, TEventDataMap, TEventType } from '@latih/contracts';

/**
 * Why a webhook was refused. Answer such a request with 400 and do not process it: a genuine
 * delivery that failed here is retried by the gateway.
 */
export class LatihWebhookError extends Error {
  constructor(
    readonly reason:
      | 'HEADER_MISSING'
      | 'HEADER_MALFORMED'
      | 'TIMESTAMP_OUT_OF_TOLERANCE'
      | 'SIGNATURE_MISMATCH',
    message: string,
  ) {
    super(message);
    this.name = 'LatihWebhookError';
  }
}

/** An event as delivered, narrowed by its `type`: `if (e.type === 'voucher.redeemed') …`. */
export type LatihEvent = {
  [K in TEventType]: Omit<TEvent, 'type' | 'data'> & { type: K; data: TEventDataMap[K] };
}[TEventType];

export type VerifyWebhookOptions = {
  /** How old (or how far in the future) the signature's timestamp may be. Default 300 s. */
  toleranceSeconds?: number;
  /** The current time in ms, for tests. */
  now?: number;
};

const encoder = new TextEncoder();

function hexToBytes(hex: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[0-9a-f]{64}$/.test(hex)) return null;
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/**
 * Checks a delivery's `Latih-Signature` header against the raw request body (the exact bytes
 * received, before any JSON parsing) and your endpoint's secrets (pass both during a rotation), and
 * returns the parsed event. Throws LatihWebhookError when the header is missing or malformed, the
 * timestamp is outside the tolerance (a replayed delivery), or no signature matches; a TypeError
 * when no secret is given (an empty string, or an empty list: the receiver is misconfigured).
 * Uses WebCrypto (Node ≥ 20, Deno, Bun, browsers); comparisons are constant-time.
 */
export async function verifyWebhook(
  rawBody: string | Uint8Array,
  header: string | null | undefined,
  secrets: string | readonly string[],
  options: VerifyWebhookOptions = {},
): Promise<LatihEvent> {
  const keys = typeof secrets === 'string' ? [secrets] : secrets;
  // A receiver without its secret is misconfigured, whatever the request: say so (not a 400).
  if (keys.length === 0 || keys.some((s) => typeof s !== 'string' || s.length === 0))
    throw new TypeError(
      "verifyWebhook: no secret to verify with: pass your endpoint's secret (whsec_…), or both during a rotation.",
    );
  if (!header) throw new LatihWebhookError('HEADER_MISSING', 'No Latih-Signature header.');
  let t: number | undefined;
  const signatures: Uint8Array<ArrayBuffer>[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't' && /^\d{1,12}$/.test(value)) t = Number(value);
    else if (key === 'v1') {
      const bytes = hexToBytes(value);
      if (bytes) signatures.push(bytes);
    }
  }
  if (t === undefined || signatures.length === 0)
    throw new LatihWebhookError(
      'HEADER_MALFORMED',
      'The Latih-Signature header needs t=… and at least one v1=….',
    );
  const tolerance = options.toleranceSeconds ?? 300;
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  if (Math.abs(now - t) > tolerance)
    throw new LatihWebhookError(
      'TIMESTAMP_OUT_OF_TOLERANCE',
      `The signature is ${now - t} s old; at most ${tolerance} s is accepted.`,
    );
  const body = typeof rawBody === 'string' ? encoder.encode(rawBody) : rawBody;
  const prefix = encoder.encode(`${t}.`);
  const signed = new Uint8Array(prefix.length + body.length);
  signed.set(prefix, 0);
  signed.set(body, prefix.length);
  for (const secret of keys) {
    const key = await crypto.subtle.importKey(
      'raw',
      encoder.encode(secret),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['verify'],
    );
    for (const sig of signatures) {
      if (await crypto.subtle.verify('HMAC', key, sig, signed)) {
        return JSON.parse(new TextDecoder().decode(body)) as LatihEvent;
      }
    }
  }
  throw new LatihWebhookError('SIGNATURE_MISMATCH', 'No signature matches any of the given secrets.');
}
