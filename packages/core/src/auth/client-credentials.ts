import {
  DEFAULT_SCOPES,
  type TOAuthErrorCode,
  type TRole,
  type TScope,
  type TTokenResponse,
} from '@latih/contracts';
import { type Db, findApiClient } from '@latih/db';
import { secretMatches } from './secrets';
import type { TokenService } from './tokens';

/** An RFC 6749 §5.2 error: the token endpoint answers in OAuth's shape, not the API's. */
export class OAuthError extends Error {
  override readonly name = 'OAuthError';
  constructor(
    readonly error: TOAuthErrorCode,
    readonly description: string,
    readonly status: 400 | 401 = 400,
  ) {
    super(description);
  }
}

const ROLE_OF_KIND: Record<'PMO' | 'PROVIDER' | 'PLATFORM', TRole> = {
  PMO: 'pmo',
  PROVIDER: 'provider',
  PLATFORM: 'platform',
};

/** OAuth 2.0 client credentials grant (RFC 6749 §4.4). */
export async function issueClientCredentialsToken(opts: {
  db: Db;
  tokens: TokenService;
  grantType: string | undefined;
  clientId: string | undefined;
  clientSecret: string | undefined;
  scope: string | undefined;
}): Promise<TTokenResponse> {
  if (!opts.grantType) throw new OAuthError('invalid_request', 'grant_type is required.');
  if (opts.grantType !== 'client_credentials') {
    throw new OAuthError('unsupported_grant_type', 'Only grant_type=client_credentials is supported.');
  }
  if (!opts.clientId || !opts.clientSecret) {
    throw new OAuthError(
      'invalid_client',
      'Client authentication failed: client_id and client_secret are required.',
      401,
    );
  }
  // An id holding a NUL cannot exist (the database stores no U+0000), nor be looked up: HTTP Basic
  // credentials are percent-decoded after the gateway's edge checks, so one can arrive here.
  const client = opts.clientId.includes('\u0000') ? undefined : await findApiClient(opts.db, opts.clientId);
  // One answer for unknown client and wrong secret, so that ids cannot be probed.
  if (!client || !secretMatches(opts.clientSecret, client.secretHash)) {
    throw new OAuthError('invalid_client', 'Client authentication failed.', 401);
  }
  if (client.status !== 'ACTIVE')
    throw new OAuthError('invalid_client', 'This client has been revoked.', 401);
  if (client.expiresAt && client.expiresAt.getTime() <= opts.tokens.now())
    throw new OAuthError('invalid_client', 'This client was rotated out and has expired.', 401);
  // A suspended organisation keeps reading its data and answering the PMO's evidence requests;
  // what it may no longer do (redeem, sell) is refused where it happens, with ORGANISATION_SUSPENDED.
  if (client.organisationStatus !== 'ACTIVE' && client.organisationStatus !== 'SUSPENDED') {
    throw new OAuthError(
      'unauthorized_client',
      `The organisation is ${client.organisationStatus.toLowerCase()}.`,
    );
  }
  const role = ROLE_OF_KIND[client.organisationKind];
  const granted = client.scopes.filter((s): s is TScope =>
    (DEFAULT_SCOPES[role] as readonly string[]).includes(s),
  );
  let scopes = granted;
  if (opts.scope !== undefined && opts.scope.trim() !== '') {
    const requested = opts.scope.trim().split(/\s+/);
    const unknown = requested.filter((s) => !(granted as string[]).includes(s));
    if (unknown.length > 0)
      throw new OAuthError('invalid_scope', `Scope not granted to this client: ${unknown.join(' ')}.`);
    scopes = requested as TScope[];
  }
  const { token, expiresIn } = opts.tokens.issue({
    organisationId: client.organisationId,
    role,
    clientId: client.id,
    scopes,
  });
  return { access_token: token, token_type: 'Bearer', expires_in: expiresIn, scope: scopes.join(' ') };
}
