import { generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import type { Actor } from './actor';
import {
  ACCESS_TOKEN_TTL_SECONDS,
  CLOCK_SKEW_SECONDS,
  generateStoredKey,
  KEY_PUBLISH_LEAD_SECONDS,
  loadKeySet,
  publishedKeys,
  rotateKeySet,
  signingKey,
} from './keys';
import { TOKEN_AUDIENCE, TokenService } from './tokens';

const ISS = 'https://gateway.test';
const actor: Actor = {
  organisationId: 'org_01jw00000000000000000000a1',
  role: 'provider',
  clientId: 'cli_01jw00000000000000000000a1',
  scopes: ['catalog:read', 'catalog:write'],
};
const T0 = Date.parse('2026-11-23T00:00:00Z');

function setup(now = { t: T0 }) {
  const stored = { keys: [generateStoredKey(new Date(T0 - 1000), new Date(T0 - 1000))] };
  const keys = loadKeySet(stored);
  const svc = new TokenService(
    () => keys,
    ISS,
    () => now.t,
  );
  return { svc, keys, now, stored };
}

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return 'NO_ERROR';
};

describe('TokenService', () => {
  it('issues an ES256 JWT with kid, 15-minute expiry and the actor claims, and verifies it', () => {
    const { svc, keys } = setup();
    const { token, expiresIn } = svc.issue(actor);
    expect(expiresIn).toBe(900);
    const decoded = jwt.decode(token, { complete: true });
    expect(decoded?.header).toMatchObject({ alg: 'ES256', typ: 'at+jwt', kid: keys[0]?.kid });
    const payload = decoded?.payload as jwt.JwtPayload;
    expect(payload).toMatchObject({
      iss: ISS,
      aud: TOKEN_AUDIENCE,
      sub: actor.clientId,
      org: actor.organisationId,
    });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(ACCESS_TOKEN_TTL_SECONDS);
    expect(svc.verify(token)).toEqual(actor);
  });

  it('refuses an expired token with TOKEN_EXPIRED (after the clock-skew allowance)', () => {
    const { svc, now } = setup();
    const { token } = svc.issue(actor);
    now.t += (ACCESS_TOKEN_TTL_SECONDS + CLOCK_SKEW_SECONDS - 5) * 1000;
    expect(svc.verify(token)).toEqual(actor);
    now.t += 10_000;
    expect(codeOf(() => svc.verify(token))).toBe('TOKEN_EXPIRED');
  });

  it('refuses a token signed by another key that claims our kid (forged)', () => {
    const { svc, keys } = setup();
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const forged = jwt.sign({ org: actor.organisationId, role: 'pmo', scope: 'pmo:write' }, privateKey, {
      algorithm: 'ES256',
      keyid: keys[0]?.kid,
      issuer: ISS,
      audience: TOKEN_AUDIENCE,
      subject: actor.clientId,
      expiresIn: 60,
    });
    expect(codeOf(() => svc.verify(forged))).toBe('TOKEN_INVALID');
  });

  it('refuses alg: none, HS256 with the public key as secret, wrong audience, wrong issuer, unknown kid', () => {
    const { svc, keys, now } = setup();
    const kid = keys[0]?.kid ?? '';
    const claims = {
      org: actor.organisationId,
      role: 'provider',
      scope: '',
      sub: actor.clientId,
      iss: ISS,
      aud: TOKEN_AUDIENCE,
    };
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const exp = Math.floor(now.t / 1000) + 60;
    const none = `${b64({ alg: 'none', typ: 'JWT', kid })}.${b64({ ...claims, exp })}.`;
    expect(codeOf(() => svc.verify(none))).toBe('TOKEN_INVALID');

    const pem = keys[0]?.publicKey.export({ format: 'pem', type: 'spki' }) as string;
    const hs = jwt.sign({ ...claims, exp }, pem, { algorithm: 'HS256', keyid: kid });
    expect(codeOf(() => svc.verify(hs))).toBe('TOKEN_INVALID');

    const key = keys[0]?.privateKey;
    if (!key) throw new Error('no key');
    const sign = (over: object, kidOverride = kid) =>
      jwt.sign({ ...claims, exp, ...over }, key, { algorithm: 'ES256', keyid: kidOverride });
    expect(codeOf(() => svc.verify(sign({ aud: 'someone-else' })))).toBe('TOKEN_INVALID');
    expect(codeOf(() => svc.verify(sign({ iss: 'https://evil.example' })))).toBe('TOKEN_INVALID');
    expect(codeOf(() => svc.verify(sign({}, 'key_unknown')))).toBe('TOKEN_INVALID');
    expect(codeOf(() => svc.verify(sign({ role: 'superuser' })))).toBe('TOKEN_INVALID');
    expect(codeOf(() => svc.verify('not.a.jwt'))).toBe('TOKEN_INVALID');
    expect(svc.verify(sign({}))).toMatchObject({ role: 'provider' });
  });

  it('drops unknown scopes from a token instead of trusting them', () => {
    const { svc, keys, now } = setup();
    const key = keys[0]?.privateKey;
    if (!key) throw new Error('no key');
    const token = jwt.sign(
      {
        org: actor.organisationId,
        role: 'provider',
        scope: 'catalog:read admin:everything',
        sub: actor.clientId,
      },
      key,
      { algorithm: 'ES256', keyid: keys[0]?.kid, issuer: ISS, audience: TOKEN_AUDIENCE, expiresIn: 60 },
    );
    now.t = Date.now();
    expect(svc.verify(token).scopes).toEqual(['catalog:read']);
  });
});

describe('key rotation', () => {
  it('a token verified before stops working once its key is no longer published (no stale cache)', () => {
    const { keys, now } = setup();
    let current = keys;
    const svc = new TokenService(
      () => current,
      ISS,
      () => now.t,
    );
    const { token } = svc.issue(actor);
    expect(svc.verify(token)).toEqual(actor);
    expect(svc.verify(token)).toEqual(actor);
    current = loadKeySet({ keys: [generateStoredKey(new Date(T0 - 1000), new Date(T0 - 1000))] });
    expect(codeOf(() => svc.verify(token))).toBe('TOKEN_INVALID');
    current = keys;
    expect(svc.verify(token)).toEqual(actor);
  });

  it('publishes the next key before it signs, and keeps the old one until its last token expires', () => {
    const { stored } = setup();
    const rotatedAt = T0 + 3_600_000;
    const next = rotateKeySet(stored, new Date(rotatedAt));
    const keys = loadKeySet(next);
    const [oldKey, newKey] = keys;
    if (!oldKey || !newKey) throw new Error('expected two keys');
    const svc = (t: number) =>
      new TokenService(
        () => keys,
        ISS,
        () => t,
      );

    // Right after rotation: both published, the old one still signs.
    expect(publishedKeys(keys, rotatedAt).map((k) => k.kid)).toEqual([oldKey.kid, newKey.kid]);
    expect(signingKey(keys, rotatedAt)?.kid).toBe(oldKey.kid);
    const lastOldToken = svc(newKey.activatesAt - 1).issue(actor).token;

    // After the lead time the new key signs; tokens of the old key still verify.
    const switchAt = rotatedAt + KEY_PUBLISH_LEAD_SECONDS * 1000;
    expect(newKey.activatesAt).toBe(switchAt);
    expect(signingKey(keys, switchAt)?.kid).toBe(newKey.kid);
    expect(jwt.decode(svc(switchAt).issue(actor).token, { complete: true })?.header.kid).toBe(newKey.kid);
    expect(svc(switchAt + 60_000).verify(lastOldToken)).toEqual(actor);

    // Once the old key's last token has expired (plus skew), the old key is withdrawn.
    const retire = switchAt + (ACCESS_TOKEN_TTL_SECONDS + CLOCK_SKEW_SECONDS) * 1000;
    expect(publishedKeys(keys, retire - 1).map((k) => k.kid)).toContain(oldKey.kid);
    expect(publishedKeys(keys, retire).map((k) => k.kid)).toEqual([newKey.kid]);
    expect(svc(retire).jwks().keys).toHaveLength(1);
  });

  it('JWKS entries carry only public parameters', () => {
    const { svc } = setup();
    const [jwk] = svc.jwks().keys as Record<string, unknown>[];
    expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(jwk).not.toHaveProperty('d');
  });

  it('drops keys retired for more than a day on the next rotation', () => {
    let set = setup().stored;
    set = rotateKeySet(set, new Date(T0), 0);
    set = rotateKeySet(set, new Date(T0 + 2 * 86_400_000), 0);
    expect(set.keys).toHaveLength(2);
  });
});
