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
    private readonly now: () => number = Date.now,
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

  /** Verifies signature, algorithm, issuer, audience and expiry; maps every failure to a 401 code. */
  verify(token: string): Actor {
    const decoded = jwt.decode(token, { complete: true });
    const kid = decoded && typeof decoded === 'object' ? decoded.header.kid : undefined;
    if (!kid)
      throw new AppError('TOKEN_INVALID', { message: 'The access token is malformed or has no key id.' });
    const now = this.now();
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
    return toActor(claims);
  }
}

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
