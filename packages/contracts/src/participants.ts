import { z } from 'zod';
import { pageOf, ZTimestampSchema } from './common';
import { idSchema } from './ids';

export const ZParticipantImportItemSchema = z.object({
  nik: z.string().meta({
    description: 'The 16-digit national id (NIK): hashed with a key and kept as its last 4 digits only',
  }),
  cardNumber: z.string().regex(/^\d{16}$/, { message: 'A 16-digit card number' }),
  name: z.string().trim().min(2).max(200),
  gender: z.enum(['M', 'F']),
  birthDate: z.iso.date().meta({ description: 'YYYY-MM-DD; must match the NIK' }),
  regencyCode: z.string().regex(/^\d{2}\.\d{2}$/, { message: 'An official regency/city code such as 32.73' }),
  phone: z
    .string()
    .regex(/^08[0-9]{8,11}$/, { message: 'An Indonesian mobile number, 08…' })
    .optional()
    .meta({
      description:
        'The mobile number the participant registered with the program: hashed with a key and kept as its last 4 digits only (one number behind many participants is a fraud signal)',
      example: '081234567890',
    }),
});
export type TParticipantImportItem = z.input<typeof ZParticipantImportItemSchema>;

export const ZImportParticipantsInputSchema = z.object({
  cohort: z.number().int().min(1).max(10_000).meta({ description: 'The gelombang (cohort) number' }),
  schemeId: z.string().min(1).max(50).optional().meta({ description: 'The current scheme when omitted' }),
  items: z
    .array(z.unknown())
    .min(1)
    .max(10_000)
    .meta({ description: 'Up to 10 000 ParticipantImportItem, each validated on its own' }),
});

/**
 * The population-registry check (Dukcapil): VERIFIED, PENDING (no verdict yet: retried until one
 * comes), BLOCKED (a mismatch), OVERRIDDEN (the program office let the participant through, with a
 * recorded reason). Only VERIFIED and OVERRIDDEN participants can buy.
 */
export const ZRegistryStatusSchema = z.enum(['VERIFIED', 'PENDING', 'BLOCKED', 'OVERRIDDEN']).meta({
  id: 'RegistryStatus',
  description:
    'The population-registry check: VERIFIED, PENDING (registry unavailable; retried), BLOCKED (a mismatch), OVERRIDDEN (let through by the program office with a recorded reason). Only VERIFIED and OVERRIDDEN can buy.',
});
export type TRegistryStatus = z.infer<typeof ZRegistryStatusSchema>;

export const REGISTRY_REASONS = [
  'NIK_NOT_FOUND',
  'NAME_MISMATCH',
  'BIRTH_DATE_MISMATCH',
  'DECEASED',
  'REGISTRY_UNAVAILABLE',
] as const;
export const ZRegistryReasonSchema = z.enum(REGISTRY_REASONS).meta({
  id: 'RegistryReason',
  description:
    'Why a participant is blocked or pending: the registry holds no such NIK, its name or birth date differs, it records the person as deceased; or it could not be asked (pending).',
});

export const ZParticipantImportResultSchema = z.object({
  index: z.number().int(),
  status: z.enum(['CREATED', 'DUPLICATE', 'ERROR']),
  participantId: z.string().nullable(),
  nikLast4: z.string().nullable(),
  error: z.object({ code: z.string(), message: z.string(), field: z.string().optional() }).nullable(),
  registry: z
    .object({ status: ZRegistryStatusSchema, reasons: z.array(ZRegistryReasonSchema) })
    .nullable()
    .meta({ description: 'The population-registry check of a CREATED participant; null otherwise' }),
});
export type TParticipantImportResult = z.infer<typeof ZParticipantImportResultSchema>;

export const ZImportParticipantsResultSchema = z.object({
  summary: z.object({
    created: z.number().int(),
    duplicate: z.number().int(),
    error: z.number().int(),
    credited: z.number().int(),
    blocked: z.number().int().meta({ description: 'Created and BLOCKED by the registry check' }),
    pending: z.number().int().meta({ description: 'Created and PENDING: the registry was unavailable' }),
  }),
  results: z.array(ZParticipantImportResultSchema),
});

/** What the PMO sees of a participant: never the NIK, only its last four digits. */
export const ZParticipantSchema = z
  .object({
    id: idSchema('participant'),
    nikLast4: z.string(),
    cardNumber: z.string(),
    name: z.string(),
    gender: z.enum(['M', 'F']),
    birthDate: z.string(),
    regencyCode: z.string(),
    cohort: z.number().int(),
    schemeId: z.string(),
    status: z.enum(['ACTIVE', 'INACTIVE']),
    balance: z.number().int().meta({ description: 'Training balance left, whole rupiah' }),
    purchaseDeadline: ZTimestampSchema,
    createdAt: ZTimestampSchema,
  })
  .meta({ id: 'Participant' });
export type TParticipant = z.infer<typeof ZParticipantSchema>;

const ZParticipantIdInput = z.object({ participantId: idSchema('participant') });

export const ZRegistryGetInputSchema = ZParticipantIdInput;

export const ZRegistryRecheckInputSchema = ZParticipantIdInput.extend({
  nik: z.string().optional().meta({
    description:
      "The participant's NIK, checked against its stored keyed hash (the NIK is kept nowhere in full). Not needed while the check is queued (PENDING).",
  }),
  name: z.string().trim().min(2).max(200).optional().meta({
    description:
      'A corrected name (as on the identity card); it replaces the stored one when the registry confirms it',
  }),
});

export const ZRegistryOverrideInputSchema = ZParticipantIdInput.extend({
  reason: z.string().trim().min(10).max(1000).meta({
    description: 'Why the program lets this participant through (recorded with who decided it)',
  }),
});

export const ZRegistryListInputSchema = z.object({
  status: z.enum(['BLOCKED', 'PENDING', 'OVERRIDDEN']).default('BLOCKED'),
  limit: z.coerce.number<number>().int().min(1).max(100).default(50),
  cursor: z.string().max(200).optional(),
});

export const ZRegistryCheckSchema = z
  .object({
    id: idSchema('registryCheck'),
    trigger: z.enum(['IMPORT', 'RECHECK', 'RETRY', 'OVERRIDE']),
    outcome: z.enum(['VERIFIED', 'BLOCKED', 'UNAVAILABLE', 'OVERRIDDEN']),
    reasons: z.array(ZRegistryReasonSchema),
    reference: z.string().nullable().meta({ description: "The registry's id for the check" }),
    note: z
      .string()
      .nullable()
      .meta({ description: "The override's reason, or the registry's error when it gave no verdict" }),
    by: z
      .object({ organisationId: z.string(), clientId: z.string().nullable() })
      .nullable()
      .meta({ description: 'Who asked (null: the retry job)' }),
    at: ZTimestampSchema,
  })
  .meta({ id: 'RegistryCheck' });

export const ZParticipantRegistrySchema = z
  .object({
    participantId: idSchema('participant'),
    name: z.string(),
    nikLast4: z.string(),
    status: ZRegistryStatusSchema,
    reasons: z.array(ZRegistryReasonSchema),
    checkedAt: ZTimestampSchema.nullable().meta({
      description:
        'The last verdict or override; null: imported before the registry check existed, or never answered',
    }),
    queued: z
      .object({
        attempts: z.number().int(),
        nextAttemptAt: ZTimestampSchema,
        lastError: z.string().nullable(),
      })
      .nullable()
      .meta({ description: 'While PENDING: the retries so far and the next one' }),
    checks: z.array(ZRegistryCheckSchema),
  })
  .meta({ id: 'ParticipantRegistry' });
export type TParticipantRegistry = z.infer<typeof ZParticipantRegistrySchema>;

export const ZRegistryListItemSchema = z
  .object({
    participantId: idSchema('participant'),
    name: z.string(),
    nikLast4: z.string(),
    cardNumber: z.string(),
    regencyCode: z.string(),
    cohort: z.number().int(),
    status: ZRegistryStatusSchema,
    reasons: z.array(ZRegistryReasonSchema),
    checkedAt: ZTimestampSchema.nullable(),
  })
  .meta({ id: 'RegistryListItem' });
export const ZRegistryListPageSchema = pageOf(ZRegistryListItemSchema);
