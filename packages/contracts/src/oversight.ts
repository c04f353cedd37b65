import { z } from 'zod';
import { pageOf, ZPageInputSchema, ZTimestampSchema } from './common';
import { idSchema } from './ids';
import { ZOrganisationKindSchema, ZOrganisationSchema, ZOrganisationStatusSchema } from './organisations';
import { CHECKLIST_ITEMS } from './values';

/*
 * The PMO's oversight of partners: onboarding from application to ACTIVE, suspension, API
 * credentials, the review of where partners send participants and events, and the audit log.
 */

/** What an applicant tells the program about itself (public business data, no personal data). */
export const ZOrganisationApplicationSchema = z
  .object({
    legalName: z.string().trim().min(3).max(200),
    registrationNumber: z
      .string()
      .regex(/^\d{13}$/, { message: 'The NIB (Nomor Induk Berusaha) has 13 digits' })
      .meta({ description: 'NIB, the business registration number (13 digits)' }),
    taxId: z
      .string()
      .regex(/^\d{15,16}$/, { message: 'The NPWP has 15 or 16 digits' })
      .meta({ description: 'NPWP (15 or 16 digits)' }),
    contactEmail: z.email(),
    website: z.url({ protocol: /^https$/, message: 'An https:// address' }),
    regencyCode: z
      .string()
      .regex(/^\d{2}\.\d{2}$/, { message: 'An official regency/city code such as 32.73' })
      .optional(),
  })
  .meta({ id: 'OrganisationApplication' });
export type TOrganisationApplication = z.infer<typeof ZOrganisationApplicationSchema>;

export const ZChecklistItemSchema = z.enum([
  ...new Set([...CHECKLIST_ITEMS.PROVIDER, ...CHECKLIST_ITEMS.PLATFORM]),
] as [string, ...string[]]);
export type TChecklistItem = z.infer<typeof ZChecklistItemSchema>;

export const ZChecklistMarkSchema = z.object({
  item: ZChecklistItemSchema,
  checked: z.boolean(),
  note: z.string().nullable(),
  by: z
    .string()
    .nullable()
    .meta({ description: 'Who marked it: the staff member (stf_…) or the PMO API client (cli_…)' }),
  at: ZTimestampSchema.nullable(),
});

export const ZStatusReasonSchema = z.object({
  reasons: z.array(z.string()),
  at: ZTimestampSchema,
});

export const ZApiClientSchema = z
  .object({
    id: idSchema('client'),
    label: z.string(),
    secretLast4: z.string(),
    scopes: z.array(z.string()),
    status: z.enum(['ACTIVE', 'REVOKED']),
    createdAt: ZTimestampSchema,
    expiresAt: ZTimestampSchema.nullable().meta({
      description: 'A rotated-out client stops working at this time',
    }),
    revokedAt: ZTimestampSchema.nullable(),
  })
  .meta({ id: 'ApiClient' });

/** Why the PMO should look at a redirect URI or webhook URL twice. */
export const URL_CONCERNS = ['NOT_HTTPS', 'IP_ADDRESS_HOST', 'OUTSIDE_WEBSITE_DOMAIN'] as const;
export const ZUrlConcernSchema = z.enum(URL_CONCERNS);

export const ZOrganisationDetailSchema = ZOrganisationSchema.extend({
  application: ZOrganisationApplicationSchema.nullable(),
  checklist: z.array(ZChecklistMarkSchema),
  statusReason: ZStatusReasonSchema.nullable(),
  clients: z.array(ZApiClientSchema),
  redirectUris: z.array(
    z.object({ uri: z.string(), createdAt: ZTimestampSchema, concerns: z.array(ZUrlConcernSchema) }),
  ),
  webhookEndpoints: z.array(
    z.object({
      id: z.string(),
      url: z.string(),
      status: z.enum(['ENABLED', 'DISABLED']),
      eventTypes: z.array(z.string()),
      concerns: z.array(ZUrlConcernSchema),
    }),
  ),
}).meta({ id: 'OrganisationDetail' });
export type TOrganisationDetail = z.infer<typeof ZOrganisationDetailSchema>;

export const ZCreateOrganisationInputSchema = z.object({
  kind: z.enum(['PROVIDER', 'PLATFORM']),
  name: z.string().trim().min(3).max(200),
  application: ZOrganisationApplicationSchema,
});

const orgId = idSchema('organisation');
const reason = z.string().trim().min(5).max(2000);

export const ZOrganisationIdInputSchema = z.object({ id: orgId });
export const ZChecklistInputSchema = z.object({
  id: orgId,
  item: ZChecklistItemSchema,
  checked: z.boolean(),
  note: z.string().trim().max(2000).optional(),
});
export const ZOrganisationDecisionInputSchema = z.object({ id: orgId, reason });
export const ZRejectOrganisationInputSchema = z.object({
  id: orgId,
  reasons: z.array(reason).min(1).max(20),
});

export const ZIssueCredentialsInputSchema = z.object({
  organisationId: orgId,
  label: z.string().trim().min(1).max(100),
});
export const ZRotateCredentialsInputSchema = z.object({
  clientId: idSchema('client'),
  graceHours: z
    .number()
    .int()
    .min(0)
    .max(168)
    .default(24)
    .meta({ description: 'How long the old secret keeps working (0: at once)' }),
});
export const ZRevokeCredentialsInputSchema = z.object({ clientId: idSchema('client'), reason });
export const ZIssuedCredentialsSchema = z
  .object({
    client: ZApiClientSchema,
    clientSecret: z.string().meta({ description: 'Shown once; the gateway keeps only a digest' }),
  })
  .meta({ id: 'IssuedCredentials' });

export const ZRemoveRedirectUriInputSchema = z.object({
  id: orgId,
  uri: z.string().min(1).max(2000),
  reason,
});
export const ZDisableEndpointInputSchema = z.object({ endpointId: idSchema('webhookEndpoint'), reason });

export const ZListOrganisationsPageSchema = pageOf(ZOrganisationSchema);
export { ZOrganisationKindSchema, ZOrganisationStatusSchema };

/* Audit log */

export const ZAuditEntrySchema = z
  .object({
    id: z.string(),
    occurredAt: ZTimestampSchema,
    actorOrganisationId: z.string().nullable(),
    actorClientId: z.string().nullable(),
    action: z.string(),
    entityType: z.string(),
    entityId: z.string(),
    fromState: z.string().nullable(),
    toState: z.string().nullable(),
    requestId: z.string().nullable(),
    data: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'AuditEntry' });
export type TAuditEntry = z.infer<typeof ZAuditEntrySchema>;

export const ZListAuditInputSchema = ZPageInputSchema.extend({
  entityType: z.string().max(50).optional(),
  entityId: z.string().max(100).optional(),
  actorOrganisationId: z.string().max(100).optional(),
  action: z.string().max(100).optional().meta({ description: 'Exact action, or a prefix ending in `.`' }),
  from: ZTimestampSchema.optional(),
  to: ZTimestampSchema.optional(),
});
export type TListAuditInput = z.infer<typeof ZListAuditInputSchema>;
