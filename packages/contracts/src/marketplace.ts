import { z } from 'zod';
import { pageOf, ZRupiahSchema, ZTimestampSchema } from './common';
import { idSchema } from './ids';

export const ZCreateCheckoutInputSchema = z.object({
  cardNumber: z.string().regex(/^\d{16}$/, { message: "The participant's 16-digit card number" }),
  courseId: idSchema('course'),
  runId: idSchema('run')
    .optional()
    .meta({ description: 'Required for courses with runs; absent for self-paced' }),
  deviceId: z.string().trim().min(1).max(200).optional().meta({
    description:
      'The device the purchase is made on, as your site identifies it (an app install id, a browser id): opaque to the program; fraud signals use it',
  }),
  sessionId: z.string().trim().min(1).max(200).optional().meta({
    description:
      'The buyer’s session on your site (opaque, never a token that grants access): fraud signals use it',
  }),
});
export type TCreateCheckoutInput = z.input<typeof ZCreateCheckoutInputSchema>;

export const ZCheckoutSchema = z
  .object({
    id: idSchema('checkout'),
    status: z.enum(['PENDING', 'CONFIRMED', 'EXPIRED', 'LOCKED']),
    courseId: z.string(),
    runId: z.string().nullable(),
    price: z.number().int(),
    participant: z.object({ name: z.string(), nikLast4: z.string() }),
    otpExpiresAt: ZTimestampSchema,
    attemptsLeft: z.number().int(),
    voucherId: z.string().nullable(),
  })
  .meta({ id: 'Checkout' });
export type TCheckout = z.infer<typeof ZCheckoutSchema>;

export const ZConfirmCheckoutInputSchema = z.object({
  id: idSchema('checkout'),
  code: z.string().regex(/^\d{6}$/, { message: 'The 6-digit code the participant received' }),
});

export const VOUCHER_STATUSES = [
  'ISSUED',
  'REDEEMED',
  'COMPLETED',
  'NOT_COMPLETED',
  'CANCELLED',
  'EXPIRED',
] as const;

/**
 * Why a CANCELLED voucher was closed: its platform cancelled it, or its run was cancelled (then
 * even a REDEEMED voucher is cancelled, and refunded). Null for any other status, and for vouchers
 * cancelled before this field existed.
 */
export const VOUCHER_CLOSE_REASONS = ['PLATFORM_CANCELLED', 'RUN_CANCELLED'] as const;
export type TVoucherCloseReason = (typeof VOUCHER_CLOSE_REASONS)[number];

export const ZVoucherSchema = z
  .object({
    id: idSchema('voucher'),
    codeLast4: z.string(),
    status: z.enum(VOUCHER_STATUSES),
    participantId: z.string(),
    courseId: z.string(),
    runId: z.string().nullable(),
    providerId: z.string(),
    price: z.number().int(),
    expiresAt: ZTimestampSchema,
    issuedAt: ZTimestampSchema,
    closedAt: ZTimestampSchema.nullable(),
    closeReason: z.enum(VOUCHER_CLOSE_REASONS).nullable().meta({
      description:
        'Why a CANCELLED voucher was closed: PLATFORM_CANCELLED, or RUN_CANCELLED (its run was cancelled; the price went back to the balance). Null otherwise',
    }),
  })
  .meta({ id: 'Voucher' });
export type TVoucher = z.infer<typeof ZVoucherSchema>;

export const ZConfirmCheckoutResultSchema = z.object({
  voucher: ZVoucherSchema,
  code: z.string().meta({ description: 'The voucher code, shown once: give it to the participant now' }),
  balanceLeft: z.number().int(),
});

export const ZVoucherIdInputSchema = z.object({ id: idSchema('voucher') });
export const ZListVouchersInputSchema = z.object({
  status: z.enum(VOUCHER_STATUSES).optional(),
  limit: z.coerce.number<number>().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(200).optional(),
});
export const ZVoucherPageSchema = pageOf(ZVoucherSchema);

/** A participant's remaining balance, read with their consent (platform.balanceChecks.*). */
export const ZStartBalanceCheckInputSchema = z.object({
  cardNumber: z.string().regex(/^\d{16}$/, { message: 'A 16-digit card number' }),
});
export const ZBalanceCheckSchema = z
  .object({
    id: idSchema('balanceCheck'),
    expiresAt: ZTimestampSchema.meta({ description: 'The one-time code works until then (10 minutes)' }),
  })
  .meta({
    id: 'BalanceCheck',
    description:
      'The same answer for every well-formed card number: whether it is a participant is told only to the participant (their code)',
  });
export const ZConfirmBalanceCheckInputSchema = z.object({
  id: idSchema('balanceCheck'),
  code: z.string().regex(/^\d{6}$/, { message: 'The six digits the participant received' }),
});
export const ZParticipantBalanceSchema = z
  .object({
    cardNumberLast4: z.string(),
    balance: ZRupiahSchema.meta({ description: 'What is left of the training balance' }),
    purchaseDeadline: ZTimestampSchema.meta({ description: 'The last moment the participant may buy' }),
    canBuy: z.boolean().meta({
      description:
        'Active, cleared by the population-registry check, inside the purchase window, with a balance',
    }),
  })
  .meta({ id: 'ParticipantBalance' });
