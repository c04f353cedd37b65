import { z } from 'zod';

/**
 * Public identifiers are a type prefix plus a ULID in lower-case Crockford base32: sortable by
 * creation time, unguessable enough to not be enumerable, and self-describing in logs.
 */
export const ID_PREFIXES = {
  organisation: 'org',
  client: 'cli',
  course: 'crs',
  revision: 'crv',
  run: 'run',
  participant: 'par',
  ledgerTransaction: 'ltx',
  checkout: 'chk',
  voucher: 'vch',
  enrollment: 'enr',
  certificate: 'cert',
  passport: 'psp',
  passportConsent: 'psc',
  identityCheck: 'idc',
  review: 'rev',
  event: 'evt',
  audit: 'aud',
  request: 'req',
  webhookEndpoint: 'whe',
  webhookDelivery: 'whd',
  settlement: 'stl',
  incentive: 'inc',
  signal: 'sig',
  controlCase: 'case',
  evidenceRequest: 'evr',
  staff: 'stf',
  integrationKey: 'ikey',
  balanceCheck: 'bck',
  registryCheck: 'rgc',
  survey: 'svy',
  surveyResponse: 'svr',
  community: 'cmty',
  communityMember: 'cmem',
  communityEvent: 'cevt',
} as const;

export type TIdKind = keyof typeof ID_PREFIXES;

export const ULID_PATTERN = '[0-9a-hjkmnp-tv-z]{26}';

export function idSchema(kind: TIdKind) {
  const prefix = ID_PREFIXES[kind];
  return z
    .string()
    .regex(new RegExp(`^${prefix}_${ULID_PATTERN}$`), { message: `Must be a ${kind} id (${prefix}_…)` })
    .meta({ description: `${kind} id`, example: `${prefix}_01jz8k6d3v7m2r5w9x4q1t0abc` });
}
