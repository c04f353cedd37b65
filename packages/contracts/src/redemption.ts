import { z } from 'zod';
import { ZTimestampSchema } from './common';
import { idSchema } from './ids';
import { ZVoucherSchema } from './marketplace';

export const ZVoucherCodeSchema = z
  .string()
  .min(1)
  .max(40)
  .meta({ description: 'As the participant reads it: case, spaces and hyphens do not matter' });

/** A device as the partner identifies it: opaque to Latih, compared for equality by fraud signals. */
const ZDeviceIdSchema = z.string().trim().min(1).max(200);

export const ZCheckVoucherInputSchema = z.object({ code: ZVoucherCodeSchema });

export const ZVoucherCheckSchema = z
  .object({
    voucher: ZVoucherSchema,
    redeemable: z.boolean(),
    refusal: z.string().nullable().meta({ description: 'The error code redeem would answer now, if any' }),
    window: z.object({ opensAt: ZTimestampSchema.nullable(), closesAt: ZTimestampSchema }),
  })
  .meta({ id: 'VoucherCheck' });

export const ZRedeemVoucherInputSchema = z.object({
  code: ZVoucherCodeSchema,
  courseId: idSchema('course').meta({ description: 'The course the participant is attending' }),
  runId: idSchema('run').optional().meta({ description: 'The run, for courses with runs' }),
  ip: z.union([z.ipv4(), z.ipv6()]).optional().meta({
    description:
      "The participant's IP address as your site saw it when they entered the code (fraud signals use it)",
  }),
  deviceId: ZDeviceIdSchema.optional().meta({
    description:
      'The device the code was entered on, as your site identifies it (an app install id, a kiosk): fraud signals use it',
  }),
});
export type TRedeemVoucherInput = z.input<typeof ZRedeemVoucherInputSchema>;

export const ZEnrollmentSchema = z
  .object({
    id: idSchema('enrollment'),
    voucherId: z.string(),
    participant: z.object({ id: z.string(), name: z.string() }),
    courseId: z.string(),
    runId: z.string().nullable(),
    status: z.enum(['IN_TRAINING', 'COMPLETED', 'NOT_COMPLETED', 'WITHDRAWN']),
    redeemedAt: ZTimestampSchema,
  })
  .meta({ id: 'Enrollment' });
export type TEnrollment = z.infer<typeof ZEnrollmentSchema>;

export const ZBulkRedeemInputSchema = z.object({
  courseId: idSchema('course'),
  runId: idSchema('run').optional(),
  codes: z.array(ZVoucherCodeSchema).min(1).max(100),
  ip: z.union([z.ipv4(), z.ipv6()]).optional().meta({
    description:
      'The address the codes were entered from (the door: a kiosk or your staff’s device), for every code',
  }),
  deviceId: ZDeviceIdSchema.optional().meta({
    description: 'The device the codes were entered on (the door’s kiosk or scanner), for every code',
  }),
});

export const ZBulkRedeemResultSchema = z.object({
  summary: z.object({ redeemed: z.number().int(), refused: z.number().int() }),
  results: z.array(
    z.object({
      index: z.number().int(),
      codeLast4: z.string().nullable(),
      status: z.enum(['REDEEMED', 'REFUSED']),
      enrollment: ZEnrollmentSchema.nullable(),
      error: z.object({ code: z.string(), message: z.string() }).nullable(),
    }),
  ),
});
