import { z } from 'zod';
import { idSchema } from './ids';
import { PROVIDER_STAFF_ROLES } from './values';

export { PROVIDER_STAFF_ROLES };

/*
 * Staff who work in the console: signed in with e-mail and password, holding a session cookie.
 * They belong to the PMO or to a training provider, and their role limits what they may do.
 * PMO: reviewers curate and pursue fraud, finance pays, admins do everything (onboarding,
 * credentials). Provider: instructors run classes (door check-in, attendance, assignments,
 * completions), finance reads the money, admins do everything, staff and API credentials included.
 */

export const PMO_STAFF_ROLES = ['reviewer', 'finance', 'admin'] as const;
/** Every staff role of either audience (the PMO's three, and the provider's instructor). */
export const STAFF_ROLES = ['reviewer', 'finance', 'admin', 'instructor'] as const;
export const ZStaffRoleSchema = z.enum(STAFF_ROLES);
export type TStaffRole = z.infer<typeof ZStaffRoleSchema>;
export const ZProviderStaffRoleSchema = z.enum(PROVIDER_STAFF_ROLES);
export type TProviderStaffRole = z.infer<typeof ZProviderStaffRoleSchema>;
export const STAFF_AUDIENCES = ['pmo', 'provider'] as const;
export type TStaffAudience = (typeof STAFF_AUDIENCES)[number];

export const ZStaffUserSchema = z
  .object({
    id: idSchema('staff'),
    email: z.string(),
    name: z.string(),
    role: ZStaffRoleSchema,
  })
  .meta({ id: 'StaffUser' });
export type TStaffUser = z.infer<typeof ZStaffUserSchema>;

export const ZSignInInputSchema = z.object({
  email: z.email().max(320),
  password: z.string().min(1).max(1024),
});

export const ZStaffSessionSchema = z.object({
  user: ZStaffUserSchema,
  audience: z.enum(STAFF_AUDIENCES).meta({ description: "Which console: the PMO's or a provider's" }),
  organisation: z.object({ id: z.string(), name: z.string() }),
  writes: z
    .array(z.string())
    .meta({ description: 'Procedure path prefixes this role may change (the console hides the rest)' }),
  readsDenied: z
    .array(z.string())
    .meta({ description: 'Procedure path prefixes this role may not read either (the server refuses them)' }),
  csrfToken: z.string().meta({ description: 'Send as X-CSRF-Token on every mutation of this session' }),
  expiresAt: z.string(),
});
export type TStaffSession = z.infer<typeof ZStaffSessionSchema>;

/** After this many wrong passwords in a row, the account is locked for STAFF_LOCKOUT_MINUTES. */
export const STAFF_MAX_FAILED_SIGN_INS = 5;
export const STAFF_LOCKOUT_MINUTES = 15;
export const STAFF_SESSION_HOURS = 12;

/**
 * What each PMO staff role may change (mutations, by procedure path prefix). Every role may read
 * all `pmo.*` queries; admins may call every mutation.
 */
export const STAFF_WRITE_PREFIXES: Record<(typeof PMO_STAFF_ROLES)[number], readonly string[]> = {
  reviewer: [
    'pmo.curation.',
    'pmo.signals.',
    'pmo.cases.',
    'pmo.runs.cancel',
    'pmo.certificates.revoke',
    'pmo.participants.registry.',
  ],
  finance: [
    'pmo.settlements.',
    'pmo.incentives.',
    'pmo.participants.setPayoutAccount',
    'pmo.reports.rebuild',
  ],
  admin: ['pmo.'],
};

/**
 * What each provider staff role may change. Instructors run classes: the door check-in
 * (redemption), attendance and the identity check, assignments, post-tests, completions. Finance
 * keeps the payout account. Admins do everything, courses, runs, webhooks, staff and API
 * credentials included.
 */
export const PROVIDER_STAFF_WRITE_PREFIXES: Record<TProviderStaffRole, readonly string[]> = {
  admin: ['provider.'],
  instructor: [
    'provider.vouchers.',
    'provider.attendance.',
    'provider.assignments.',
    'provider.postTests.',
    'provider.completions.',
  ],
  finance: ['provider.payoutAccount.'],
};

/**
 * What each provider staff role may not even read (personal data and secrets only where the work
 * needs them): finance sees money, not who sat in which class; instructors see classes, not money,
 * accounts or credentials.
 */
export const PROVIDER_STAFF_READS_DENIED: Record<TProviderStaffRole, readonly string[]> = {
  admin: [],
  instructor: [
    'provider.settlements.',
    'provider.payoutAccount.',
    'provider.staff.',
    'provider.credentials.',
    'provider.webhooks.',
  ],
  finance: [
    'provider.enrollments.',
    'provider.certificates.',
    'provider.vouchers.',
    'provider.evidenceRequests.',
    'provider.staff.',
    'provider.credentials.',
    'provider.webhooks.',
  ],
};

/** What a staff role may change and may not read, by its organisation's audience. */
export function staffPermissions(
  audience: TStaffAudience,
  role: TStaffRole,
): { writes: readonly string[]; readsDenied: readonly string[] } {
  if (audience === 'pmo')
    return { writes: role === 'instructor' ? [] : STAFF_WRITE_PREFIXES[role], readsDenied: [] };
  if (role === 'reviewer') return { writes: [], readsDenied: ['provider.'] };
  return { writes: PROVIDER_STAFF_WRITE_PREFIXES[role], readsDenied: PROVIDER_STAFF_READS_DENIED[role] };
}

/** A provider's staff member as its admin sees them (never the password, never its hash). */
export const ZProviderStaffMemberSchema = z
  .object({
    id: idSchema('staff'),
    email: z.string(),
    name: z.string(),
    role: ZProviderStaffRoleSchema,
    status: z.enum(['ACTIVE', 'LOCKED', 'DISABLED']),
    createdAt: z.string(),
    disabledAt: z.string().nullable(),
  })
  .meta({ id: 'ProviderStaffMember' });
export type TProviderStaffMember = z.infer<typeof ZProviderStaffMemberSchema>;

export const ZAddProviderStaffInputSchema = z.object({
  email: z.email().max(320),
  name: z.string().trim().min(1).max(200),
  role: ZProviderStaffRoleSchema,
});
export const ZProviderStaffIdInputSchema = z.object({ id: idSchema('staff') });
export const ZSetProviderStaffRoleInputSchema = z.object({
  id: idSchema('staff'),
  role: ZProviderStaffRoleSchema,
});
export const ZProviderStaffWithPasswordSchema = z.object({
  member: ZProviderStaffMemberSchema,
  password: z.string().meta({ description: 'The first (or new) password, shown in this answer only' }),
});
