/**
 * Offline certificate checks: a Latih certificate is an Open Badges 3.0 credential with an
 * ecdsa-jcs-2019 proof (ES256 over JCS-canonical JSON). Verify it against the gateway's JWKS with
 * WebCrypto only, in Node ≥ 20 or a browser; no call to Latih beyond fetching the JWKS.
 */

type Json = Record<string, unknown>;
export type Jwks = { keys: ({ kid?: string } & Record<string, unknown>)[] };

/** RFC 8785-style canonical JSON: keys sorted at every depth, no whitespace. */
export function canonicalize(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === 'object') {
      const out: Json = {};
      for (const k of Object.keys(v).sort()) {
        const x = (v as Json)[k];
        if (x !== undefined) out[k] = sort(x);
      }
      return out;
    }
    return v;
  };
  return JSON.stringify(sort(value)) ?? 'null';
}

const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

function base58Decode(text: string): Uint8Array<ArrayBuffer> {
  let n = 0n;
  for (const ch of text) {
    const v = B58.indexOf(ch);
    if (v < 0) throw new Error('not base58');
    n = n * 58n + BigInt(v);
  }
  const bytes: number[] = [];
  while (n > 0n) {
    bytes.unshift(Number(n & 255n));
    n >>= 8n;
  }
  for (const ch of text) {
    if (ch !== '1') break;
    bytes.unshift(0);
  }
  return new Uint8Array(bytes);
}

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
}

/**
 * True when the credential's proof verifies with the JWKS key it names. Any edit of the credential
 * or its proof, or an unknown key, gives false. (Whether it was revoked since: ask
 * `public.certificates.verify`.)
 */
export async function verifyCertificate(credential: Json, jwks: Jwks): Promise<boolean> {
  const { proof, ...document } = credential;
  if (!proof || typeof proof !== 'object') return false;
  const { proofValue, ...options } = proof as Json;
  if (typeof proofValue !== 'string' || !proofValue.startsWith('z')) return false;
  if (options.cryptosuite !== 'ecdsa-jcs-2019' || typeof options.verificationMethod !== 'string')
    return false;
  const kid = options.verificationMethod.split('#')[1];
  const jwk = jwks.keys.find((k) => k.kid === kid);
  if (!jwk) return false;
  try {
    const key = await globalThis.crypto.subtle.importKey(
      'jwk',
      { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y } as JsonWebKey,
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['verify'],
    );
    const proofHash = await sha256(canonicalize({ '@context': document['@context'], ...options }));
    const docHash = await sha256(canonicalize(document));
    const data = new Uint8Array(64);
    data.set(proofHash, 0);
    data.set(docHash, 32);
    return await globalThis.crypto.subtle.verify(
      { name: 'ECDSA', hash: 'SHA-256' },
      key,
      base58Decode(proofValue.slice(1)),
      data,
    );
  } catch {
    return false;
  }
}
