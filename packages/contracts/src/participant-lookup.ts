import { z } from 'zod';
import { pageOf, ZRupiahSchema, ZTimestampSchema } from './common';
import { idSchema } from './ids';
import { ZVoucherSchema } from './marketplace';
import { ZRegistryStatusSchema } from './participants';
import { ZIncentiveSchema } from './payouts';
import { ENROLLMENT_STATUSES, ZMissingSchema } from './rosters';

/** The program office looks a participant up (pmo.participants.search / .get): every view audited. */

export const ZSearchParticipantsInputSchema = z
  .object({
    cardNumber: z
      .string()
      .regex(/^\d{16}$/, { message: 'A 16-digit card number' })
      .optional(),
    nik: z
      .string()
      .regex(/^\d{16}$/, { message: 'A 16-digit NIK' })
      .optional()
      .meta({ description: 'Matched through its keyed hash: the NIK itself is neither kept nor logged' }),
    name: z
      .string()
      .trim()
      .min(3)
      .max(200)
      .optional()
      .meta({ description: 'The beginning of the name, any case' }),
    regencyCode: z
      .string()
      .regex(/^\d{2}\.\d{2}$/, { message: 'A regency/city code such as 32.73' })
      .optional(),
    limit: z.coerce.number<number>().int().min(1).max(50).default(20),
    cursor: z.string().min(1).max(200).optional(),
  })
  .refine((i) => i.cardNumber || i.nik || i.name || i.regencyCode, {
    message: 'Search by card number, NIK, name or regency',
    path: ['cardNumber'],
  });

export const ZParticipantSummarySchema = z
  .object({
    id: idSchema('participant'),
    name: z.string(),
    cardNumber: z.string(),
    nikLast4: z.string(),
    regencyCode: z.string(),
    cohort: z.number().int(),
    status: z.enum(['ACTIVE', 'INACTIVE']),
    registryStatus: ZRegistryStatusSchema,
    balance: ZRupiahSchema,
  })
  .meta({ id: 'ParticipantSummary' });
export const ZParticipantSearchPageSchema = pageOf(ZParticipantSummarySchema);

export const ZParticipantLookupInputSchema = z.object({ id: idSchema('participant') });

export const ZParticipantLookupSchema = z
  .object({
    participant: ZParticipantSummarySchema.extend({
      gender: z.enum(['M', 'F']),
      birthDate: z.iso.date(),
      schemeId: z.string(),
      purchaseDeadline: ZTimestampSchema,
      phoneLast4: z.string().nullable(),
      registeredAt: ZTimestampSchema,
    }),
    vouchers: z.array(ZVoucherSchema),
    enrollments: z.array(
      z.object({
        id: idSchema('enrollment'),
        courseId: idSchema('course'),
        courseTitle: z.string(),
        providerId: z.string(),
        providerName: z.string(),
        runId: z.string().nullable(),
        status: z.enum(ENROLLMENT_STATUSES),
        redeemedAt: ZTimestampSchema,
        completedAt: ZTimestampSchema.nullable(),
        attendancePercent: z.number(),
        missing: z.array(ZMissingSchema),
      }),
    ),
    incentives: z
      .array(ZIncentiveSchema)
      .meta({ description: 'Each instalment, with what is still missing' }),
    payoutAccount: z
      .object({
        kind: z.string(),
        label: z.string().meta({ example: 'BNI ••••6789' }),
        updatedAt: ZTimestampSchema,
      })
      .nullable()
      .meta({ description: 'Masked: the destination itself stays sealed' }),
    signals: z.array(
      z.object({
        id: idSchema('signal'),
        type: z.string(),
        status: z.enum(['OPEN', 'CASE_OPENED', 'DISMISSED']),
        score: z.number().int(),
        summary: z.string(),
        lastSeenAt: ZTimestampSchema,
      }),
    ),
    cases: z.array(
      z.object({
        id: idSchema('controlCase'),
        status: z.enum(['OPEN', 'AWAITING_EVIDENCE', 'DECIDED']),
        summary: z.string(),
        subjectType: z.enum(['ENROLLMENT', 'COURSE', 'PROVIDER']),
        subjectId: z.string(),
        openedAt: ZTimestampSchema,
      }),
    ),
  })
  .meta({ id: 'ParticipantLookup' });
export type TParticipantLookup = z.infer<typeof ZParticipantLookupSchema>;
