import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { ulid } from '../ids';

/** Access tokens live 15 minutes. */
export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
/** Allowance for clocks that disagree a little between gateways and partners. */
export const CLOCK_SKEW_SECONDS = 60;
/**
 * A new key is published this long before it signs, so that every JWKS cache (we serve it with a
 * 5-minute max-age) has seen it before the first token it signed arrives.
 */
export const KEY_PUBLISH_LEAD_SECONDS = 10 * 60;

/** The stored form of the key set (a JSON file in development; a secret store in production). */
export type StoredKey = { kid: string; createdAt: string; activatesAt: string; privateJwk: JsonWebKey };
export type StoredKeySet = { keys: StoredKey[] };

export type LoadedKey = {
  kid: string;
  activatesAt: number;
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicJwk: JsonWebKey;
};

export function generateStoredKey(now: Date, activatesAt: Date): StoredKey {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    kid: `key_${ulid(now.getTime())}`,
    createdAt: now.toISOString(),
    activatesAt: activatesAt.toISOString(),
    privateJwk: privateKey.export({ format: 'jwk' }),
  };
}

/** KeyObjects are built once here: verifying with a string key costs ~18× more per call. */
export function loadKeySet(stored: StoredKeySet): LoadedKey[] {
  return stored.keys
    .map((k) => {
      const privateKey = createPrivateKey({ key: k.privateJwk, format: 'jwk' });
      const publicKey = createPublicKey(privateKey);
      const { kty, crv, x, y } = publicKey.export({ format: 'jwk' });
      return {
        kid: k.kid,
        activatesAt: Date.parse(k.activatesAt),
        privateKey,
        publicKey,
        publicJwk: { kty, crv, x, y, kid: k.kid, use: 'sig', alg: 'ES256' } as JsonWebKey,
      };
    })
    .sort((a, b) => a.activatesAt - b.activatesAt);
}

/** The key that signs at `now`: the most recently activated one. */
export function signingKey(keys: LoadedKey[], now: number): LoadedKey | undefined {
  let current: LoadedKey | undefined;
  for (const k of keys) if (k.activatesAt <= now) current = k;
  return current;
}

/**
 * When a key stops being published: its successor's activation, plus the life of the last token it
 * signed, plus clock skew. Infinity while it has no successor.
 */
export function retiresAt(keys: LoadedKey[], kid: string): number {
  const i = keys.findIndex((k) => k.kid === kid);
  const next = keys[i + 1];
  return next
    ? next.activatesAt + (ACCESS_TOKEN_TTL_SECONDS + CLOCK_SKEW_SECONDS) * 1000
    : Number.POSITIVE_INFINITY;
}

/** Keys a verifier must know at `now`: the upcoming one, the current one, and retiring ones. */
export function publishedKeys(keys: LoadedKey[], now: number): LoadedKey[] {
  return keys.filter((k) => retiresAt(keys, k.kid) > now);
}

/**
 * Adds the next key, published now and signing after the lead time, and drops keys retired for a
 * day. Returns the new stored set; the caller persists it.
 */
export function rotateKeySet(
  stored: StoredKeySet,
  now: Date,
  leadSeconds = KEY_PUBLISH_LEAD_SECONDS,
): StoredKeySet {
  const next = generateStoredKey(now, new Date(now.getTime() + leadSeconds * 1000));
  const all = [...stored.keys, next];
  const loaded = loadKeySet({ keys: all });
  const keep = new Set(
    loaded.filter((k) => retiresAt(loaded, k.kid) > now.getTime() - 86_400_000).map((k) => k.kid),
  );
  return { keys: all.filter((k) => keep.has(k.kid)) };
}
