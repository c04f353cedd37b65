import { randomUUID } from 'node:crypto';
import { AppError, ROLES, SCOPES, type TRole, type TScope } from '@latih/contracts';
import jwt from 'jsonwebtoken';
import type { CredentialSigner } from '../credentials/proof';
import type { Actor } from './actor';
import {
  ACCESS_TOKEN_TTL_SECONDS,
  CLOCK_SKEW_SECONDS,
  type LoadedKey,
  publishedKeys,
  signingKey,
} from './keys';

export const TOKEN_AUDIENCE = 'latih-api';

type Claims = { org: string; role: TRole; scope: string; sub: string };

/** Where the current key set comes from; the gateway reloads it when the file changes. */
export type KeySource = () => LoadedKey[];

export class TokenService {
  constructor(
    private readonly keys: KeySource,
    issuer: string | (() => string),
    readonly now: () => number = Date.now,
  ) {
    this.issuerOf = typeof issuer === 'string' ? () => issuer : issuer;
  }

  /** The issuer may be known only once the server listens (port 0 in tests). */
  private readonly issuerOf: () => string;

  /** The gateway's public base URL: the tokens' issuer, and the base of links it hands out. */
  issuer(): string {
    return this.issuerOf();
  }

  /** The key that signs now, for credentials (certificates) as well as tokens. */
  credentialSigner(): CredentialSigner {
    const key = signingKey(this.keys(), this.now());
    if (!key) throw new AppError('SERVICE_UNAVAILABLE', { message: 'No signing key is active.' });
    return { kid: key.kid, privateKey: key.privateKey, publicJwk: key.publicJwk, baseUrl: this.issuerOf() };
  }

  jwks(): { keys: object[] } {
    return { keys: publishedKeys(this.keys(), this.now()).map((k) => k.publicJwk) };
  }

  issue(actor: Actor): { token: string; expiresIn: number } {
    const key = signingKey(this.keys(), this.now());
    if (!key) throw new AppError('SERVICE_UNAVAILABLE', { message: 'No signing key is active.' });
    const iat = Math.floor(this.now() / 1000);
    const payload = { org: actor.organisationId, role: actor.role, scope: actor.scopes.join(' '), iat };
    const token = jwt.sign(payload, key.privateKey, {
      algorithm: 'ES256',
      keyid: key.kid,
      expiresIn: ACCESS_TOKEN_TTL_SECONDS,
      issuer: this.issuerOf(),
      audience: TOKEN_AUDIENCE,
      subject: actor.clientId,
      jwtid: randomUUID(),
      header: { alg: 'ES256', typ: 'at+jwt', kid: key.kid },
    });
    return { token, expiresIn: ACCESS_TOKEN_TTL_SECONDS };
  }

  /**
   * Tokens already verified, until they expire: a client sends the same token with every request for
   * its lifetime, and an ES256 verify is a tenth of a redemption's CPU. A hit still checks expiry and
   * that the signing key is still published, so a key withdrawn by rotation stops its tokens at once.
   * Bounded; the oldest entries go first.
   */
  private readonly verified = new Map<string, { actor: Actor; kid: string; expiresAtMs: number }>();

  /** Verifies signature, algorithm, issuer, audience and expiry; maps every failure to a 401 code. */
  verify(token: string): Actor {
    const now = this.now();
    const hit = this.verified.get(token);
    if (hit) {
      if (now < hit.expiresAtMs + CLOCK_SKEW_SECONDS * 1000 && this.isPublished(hit.kid, now))
        return hit.actor;
      this.verified.delete(token);
    }
    return this.verifyFully(token, now);
  }

  private isPublished(kid: string, now: number): boolean {
    return publishedKeys(this.keys(), now).some((k) => k.kid === kid);
  }

  private verifyFully(token: string, now: number): Actor {
    const decoded = jwt.decode(token, { complete: true });
    const kid = decoded && typeof decoded === 'object' ? decoded.header.kid : undefined;
    if (!kid)
      throw new AppError('TOKEN_INVALID', { message: 'The access token is malformed or has no key id.' });
    const key = publishedKeys(this.keys(), now).find((k) => k.kid === kid);
    if (!key)
      throw new AppError('TOKEN_INVALID', { message: 'The access token was signed by an unknown key.' });
    let claims: jwt.JwtPayload;
    try {
      const verified = jwt.verify(token, key.publicKey, {
        algorithms: ['ES256'],
        issuer: this.issuerOf(),
        audience: TOKEN_AUDIENCE,
        clockTimestamp: Math.floor(now / 1000),
        clockTolerance: CLOCK_SKEW_SECONDS,
        complete: false,
      });
      if (typeof verified === 'string') throw new AppError('TOKEN_INVALID');
      claims = verified;
    } catch (err) {
      if (err instanceof jwt.TokenExpiredError) throw new AppError('TOKEN_EXPIRED');
      if (err instanceof AppError) throw err;
      const reason = err instanceof Error ? err.message : 'unknown';
      throw new AppError('TOKEN_INVALID', { message: `The access token is not valid (${reason}).` });
    }
    const actor = Object.freeze(toActor(claims));
    // Only tokens with an expiry are remembered (ours always have one), and never past it.
    if (typeof claims.exp === 'number' && (claims.nbf === undefined || claims.nbf * 1000 <= now)) {
      if (this.verified.size >= VERIFIED_CACHE_SIZE) {
        const oldest = this.verified.keys().next().value;
        if (oldest !== undefined) this.verified.delete(oldest);
      }
      this.verified.set(token, { actor, kid, expiresAtMs: claims.exp * 1000 });
    }
    return actor;
  }
}

const VERIFIED_CACHE_SIZE = 10_000;

function toActor(claims: jwt.JwtPayload): Actor {
  const c = claims as Partial<Claims>;
  if (typeof c.org !== 'string' || typeof c.sub !== 'string' || !ROLES.includes(c.role as TRole)) {
    throw new AppError('TOKEN_INVALID', { message: 'The access token lacks organisation, role or subject.' });
  }
  const scopes = (typeof c.scope === 'string' ? c.scope.split(' ') : []).filter((s): s is TScope =>
    (SCOPES as readonly string[]).includes(s),
  );
  return { organisationId: c.org, role: c.role as TRole, clientId: c.sub, scopes };
}
