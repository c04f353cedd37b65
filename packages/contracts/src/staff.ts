import { z } from 'zod';
import { idSchema } from './ids';

/*
 * PMO staff who work in the console: signed in with e-mail and password, holding a session cookie.
 * Their role limits what they may change: reviewers curate and pursue fraud, finance pays, admins
 * do everything (onboarding, credentials, staff).
 */

export const STAFF_ROLES = ['reviewer', 'finance', 'admin'] as const;
export const ZStaffRoleSchema = z.enum(STAFF_ROLES);
export type TStaffRole = z.infer<typeof ZStaffRoleSchema>;

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
  writes: z
    .array(z.string())
    .meta({ description: 'Procedure path prefixes this role may change (the console hides the rest)' }),
  csrfToken: z.string().meta({ description: 'Send as X-CSRF-Token on every mutation of this session' }),
  expiresAt: z.string(),
});
export type TStaffSession = z.infer<typeof ZStaffSessionSchema>;

/** After this many wrong passwords in a row, the account is locked for STAFF_LOCKOUT_MINUTES. */
export const STAFF_MAX_FAILED_SIGN_INS = 5;
export const STAFF_LOCKOUT_MINUTES = 15;
export const STAFF_SESSION_HOURS = 12;

/**
 * What each staff role may change (mutations, by procedure path prefix). Every role may read all
 * `pmo.*` queries; admins may call every mutation.
 */
export const STAFF_WRITE_PREFIXES: Record<TStaffRole, readonly string[]> = {
  reviewer: ['pmo.curation.', 'pmo.signals.', 'pmo.cases.', 'pmo.runs.cancel', 'pmo.certificates.revoke'],
  finance: [
    'pmo.settlements.',
    'pmo.incentives.',
    'pmo.participants.setPayoutAccount',
    'pmo.reports.rebuild',
  ],
  admin: ['pmo.'],
};
