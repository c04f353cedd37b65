import { z } from 'zod';
import { ZTimestampSchema } from './common';
import { idSchema } from './ids';

/** The program's provider integration protocol (docs/guides/prakerja-compatible.md). */

const orgId = idSchema('organisation');
const reason = z.string().trim().min(10).max(1000).meta({ description: 'Why (kept in the audit log)' });

export const ZIntegrationKeySchema = z
  .object({
    id: idSchema('integrationKey'),
    keyLast4: z.string().meta({ description: "The sign key's last four characters" }),
    status: z.enum(['ACTIVE', 'REVOKED']),
    createdAt: ZTimestampSchema,
    expiresAt: ZTimestampSchema.nullable().meta({
      description: 'A rotated-out key stops working at this time',
    }),
    revokedAt: ZTimestampSchema.nullable(),
  })
  .meta({ id: 'IntegrationKey' });

export const ZIntegrationCredentialsSchema = z
  .object({
    organisationId: orgId,
    clientCode: z.string().nullable().meta({ description: "The provider's client_code; null: none issued" }),
    keys: z.array(ZIntegrationKeySchema),
  })
  .meta({ id: 'IntegrationCredentials' });

export const ZIssuedIntegrationKeySchema = z
  .object({
    organisationId: orgId,
    clientCode: z.string(),
    key: ZIntegrationKeySchema,
    signKey: z
      .string()
      .meta({ description: 'Shown once; the gateway keeps it sealed (HMAC needs the key itself)' }),
  })
  .meta({ id: 'IssuedIntegrationKey' });

export const ZIntegrationOrganisationInputSchema = z.object({ organisationId: orgId });
export const ZRotateIntegrationKeyInputSchema = z.object({
  keyId: idSchema('integrationKey'),
  graceHours: z
    .number()
    .int()
    .min(0)
    .max(168)
    .default(24)
    .meta({ description: 'How long the old sign key keeps working (0: at once)' }),
});
export const ZRevokeIntegrationKeyInputSchema = z.object({ keyId: idSchema('integrationKey'), reason });

export const ZIssueTestCodesInputSchema = z.object({
  courseId: idSchema('course'),
  runId: idSchema('run')
    .optional()
    .meta({ description: 'For a course with runs: which run (default: the next open one)' }),
  count: z.number().int().min(1).max(10).default(1),
});
export const ZTestCodesSchema = z
  .object({
    codes: z.array(
      z.object({
        code: z
          .string()
          .meta({ description: 'PRAT-XXXX-XXXX-XXXX-XXXX: the voucher code with the sandbox prefix' }),
        voucherId: idSchema('voucher'),
        participantName: z.string(),
      }),
    ),
  })
  .meta({ id: 'TestCodes' });
export type TIntegrationKey = z.infer<typeof ZIntegrationKeySchema>;
