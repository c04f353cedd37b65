import { z } from 'zod';

/** Roles follow the organisation's kind: one audience of the router each. */
export const ROLES = ['pmo', 'provider', 'platform'] as const;
export type TRole = (typeof ROLES)[number];

/** Scopes a client may hold; a token carries the subset it was granted. */
export const SCOPES = [
  'catalog:read',
  'catalog:write',
  'vouchers:redeem',
  'orders:write',
  'reports:write',
  'pmo:read',
  'pmo:write',
] as const;
export type TScope = (typeof SCOPES)[number];

export const DEFAULT_SCOPES: Record<TRole, readonly TScope[]> = {
  pmo: ['pmo:read', 'pmo:write', 'catalog:read'],
  provider: ['catalog:read', 'catalog:write', 'vouchers:redeem', 'reports:write'],
  platform: ['catalog:read', 'orders:write'],
};

/** RFC 6749 §4.4.2 request; the secret may come in the body or as HTTP Basic (§2.3.1). */
export const ZTokenRequestSchema = z.object({
  grant_type: z.string(),
  client_id: z.string().optional(),
  client_secret: z.string().optional(),
  scope: z.string().optional(),
});

/** RFC 6749 §5.1 response. */
export const ZTokenResponseSchema = z.object({
  access_token: z.string(),
  token_type: z.literal('Bearer'),
  expires_in: z.number().int(),
  scope: z.string(),
});
export type TTokenResponse = z.infer<typeof ZTokenResponseSchema>;

/** RFC 6749 §5.2 error codes. */
export type TOAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope';
