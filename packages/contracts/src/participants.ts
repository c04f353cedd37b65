import { z } from 'zod';
import { ZTimestampSchema } from './common';
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

export const ZParticipantImportResultSchema = z.object({
  index: z.number().int(),
  status: z.enum(['CREATED', 'DUPLICATE', 'ERROR']),
  participantId: z.string().nullable(),
  nikLast4: z.string().nullable(),
  error: z.object({ code: z.string(), message: z.string(), field: z.string().optional() }).nullable(),
});
export type TParticipantImportResult = z.infer<typeof ZParticipantImportResultSchema>;

export const ZImportParticipantsResultSchema = z.object({
  summary: z.object({
    created: z.number().int(),
    duplicate: z.number().int(),
    error: z.number().int(),
    credited: z.number().int(),
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
