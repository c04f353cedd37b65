import { z } from 'zod';
import { pageOf, ZPageInputSchema, ZRupiahSchema, ZTimestampSchema } from './common';
import { idSchema } from './ids';
import { INCENTIVE_KINDS, INCENTIVE_STATUSES, SETTLEMENT_STATUSES } from './values';

/**
 * Money out: organisations' payout accounts (connected accounts at the payment provider),
 * settlements to providers and platforms, and participants' incentives.
 */

export const EWALLET_PROVIDERS = ['gopay', 'ovo', 'dana', 'linkaja', 'shopeepay'] as const;

export const ZPayoutDestinationSchema = z
  .discriminatedUnion('kind', [
    z.object({
      kind: z.literal('bank'),
      bankCode: z
        .string()
        .regex(/^[0-9]{3}$/, { message: 'A three-digit bank code (BNI is 009)' })
        .meta({ example: '009' }),
      accountNumber: z
        .string()
        .regex(/^[0-9]{6,20}$/, { message: '6 to 20 digits' })
        .meta({ example: '0123456789' }),
      holderName: z.string().trim().min(2).max(100),
    }),
    z.object({
      kind: z.literal('ewallet'),
      provider: z.enum(EWALLET_PROVIDERS),
      phone: z
        .string()
        .regex(/^08[0-9]{8,11}$/, { message: 'An Indonesian mobile number, 08…' })
        .meta({ example: '081234567890' }),
    }),
  ])
  .meta({ id: 'PayoutDestination', description: 'A bank account or an e-wallet, in Indonesia' });
export type TPayoutDestination = z.infer<typeof ZPayoutDestinationSchema>;

export const ZPayoutAccountSchema = z
  .object({
    status: z.enum(['PENDING', 'ENABLED', 'RESTRICTED']).meta({
      description: 'ENABLED accounts receive settlements; PENDING ones still need what `requirements` lists',
    }),
    requirements: z.array(z.string()),
    destination: z
      .object({ kind: z.enum(['BANK', 'EWALLET']), label: z.string().meta({ example: 'BNI ••••6789' }) })
      .nullable(),
    updatedAt: ZTimestampSchema,
  })
  .meta({ id: 'PayoutAccount' });
export type TPayoutAccount = z.infer<typeof ZPayoutAccountSchema>;

export const ZSetPayoutAccountInputSchema = z.object({ destination: ZPayoutDestinationSchema });

const ZBusinessDateSchema = z.iso
  .date()
  .meta({ description: 'A business day in WIB', example: '2026-11-22' });

export const ZSettlementSchema = z
  .object({
    id: idSchema('settlement'),
    organisationId: idSchema('organisation'),
    role: z.enum(['PROVIDER', 'PLATFORM']),
    batchDate: ZBusinessDateSchema,
    amount: ZRupiahSchema,
    itemCount: z.number().int(),
    status: z.enum(SETTLEMENT_STATUSES),
    attempt: z.number().int(),
    failure: z
      .object({ code: z.string(), message: z.string() })
      .nullable()
      .meta({ description: 'Why it FAILED (null otherwise)' }),
    lastError: z.string().nullable().meta({ description: 'A passing error; the payout is retried' }),
    payoutId: z.string().nullable().meta({ description: "The payment provider's payout id" }),
    createdAt: ZTimestampSchema,
    updatedAt: ZTimestampSchema,
    paidAt: ZTimestampSchema.nullable(),
  })
  .meta({ id: 'Settlement' });
export type TSettlement = z.infer<typeof ZSettlementSchema>;

/** Whole rupiah like ZRupiahSchema, but negative on a REVERSED or VOIDED line (it gives back what was paid). */
const ZSignedRupiahSchema = z
  .number()
  .int({ message: 'Amounts are whole rupiah' })
  .min(-1_000_000_000_000)
  .max(1_000_000_000_000);

/** Why a settlement line was clawed back or held: a run's cancellation, or a case's decision. */
export const ZLineReasonSchema = z
  .object({
    kind: z.enum(['RUN_CANCELLED', 'CASE_DECISION']),
    text: z.string().meta({ description: 'The reason as the program office recorded it' }),
    runId: z.string().nullable(),
    caseId: z.string().nullable(),
    outcome: z.string().nullable().meta({ description: "The case's decision, e.g. VOID_COMPLETION" }),
    at: ZTimestampSchema.nullable(),
  })
  .meta({ id: 'LineReason' });

export const ZHeldLineSchema = z
  .object({
    voucherId: idSchema('voucher'),
    courseId: idSchema('course'),
    basis: z.enum(['REDEEMED', 'COMPLETED']),
    amount: ZRupiahSchema,
    heldAt: ZTimestampSchema,
    reason: ZLineReasonSchema.nullable(),
  })
  .meta({ id: 'HeldLine' });
export const ZHeldLinesSchema = z.object({ items: z.array(ZHeldLineSchema) });
export type TLineReason = z.infer<typeof ZLineReasonSchema>;

export const ZSettlementItemSchema = z
  .object({
    voucherId: idSchema('voucher'),
    courseId: idSchema('course'),
    basis: z.enum(['REDEEMED', 'COMPLETED', 'REVERSED', 'VOIDED']).meta({
      description:
        'What made the voucher payable. Negative lines undo an earlier one and are netted in this settlement: REVERSED (its run was cancelled), VOIDED (the completion it paid for was voided by a case decision)',
    }),
    price: ZRupiahSchema,
    commission: ZSignedRupiahSchema.meta({
      description: "The platform's commission out of the price; negative on a REVERSED or VOIDED line",
      example: 350_000,
    }),
    amount: ZSignedRupiahSchema.meta({
      description:
        'What this organisation is paid for the voucher; negative on a REVERSED or VOIDED line (netted against the other lines)',
      example: 3_150_000,
    }),
    recovery: z.boolean().meta({
      description:
        'A negative line whose original was already settled: money the organisation owed the program (a receivable), recovered by netting it here',
    }),
    payableAt: ZTimestampSchema,
    reason: ZLineReasonSchema.nullable().meta({
      description: 'Why a line was clawed back (REVERSED, VOIDED) or held; null for an ordinary line',
    }),
  })
  .meta({ id: 'SettlementItem' });
export type TSettlementItem = z.infer<typeof ZSettlementItemSchema>;

export const ZListSettlementsInputSchema = ZPageInputSchema.extend({
  status: z.enum(SETTLEMENT_STATUSES).optional(),
});
export const ZListSettlementsPmoInputSchema = ZListSettlementsInputSchema.extend({
  organisationId: idSchema('organisation').optional(),
  batchDate: ZBusinessDateSchema.optional(),
});
export const ZSettlementPageSchema = pageOf(ZSettlementSchema);
export const ZSettlementIdInputSchema = z.object({ id: idSchema('settlement') });
export const ZSettlementItemsInputSchema = ZPageInputSchema.extend({ id: idSchema('settlement') });
export const ZSettlementItemPageSchema = pageOf(ZSettlementItemSchema);

export const ZRunSettlementsInputSchema = z.object({
  date: ZBusinessDateSchema.optional().meta({
    description: 'The business day (WIB) to settle; yesterday when omitted. It must have ended.',
  }),
});
export const ZSettlementBatchSchema = z
  .object({
    date: ZBusinessDateSchema,
    cutoff: ZTimestampSchema.meta({ description: 'Vouchers payable before this are in the batch' }),
    created: z.boolean().meta({ description: 'False when the batch already existed (nothing new was paid)' }),
    settlementCount: z.number().int(),
    itemCount: z.number().int(),
    amount: ZRupiahSchema,
    accrued: z.number().int().meta({ description: 'Vouchers that became payable (or forfeit) in this run' }),
  })
  .meta({ id: 'SettlementBatch' });
export type TSettlementBatch = z.infer<typeof ZSettlementBatchSchema>;

export const ZReconcileInputSchema = z.object({
  since: ZTimestampSchema.optional().meta({
    description: 'Check payouts created since then (default: 7 days ago)',
  }),
});
export const ZReconciliationSchema = z
  .object({
    checked: z.number().int(),
    matched: z.number().int(),
    /** Payouts whose state the gateway had not heard yet, and now applied. */
    applied: z.array(
      z.object({
        entity: z.string(),
        id: z.string(),
        payoutId: z.string(),
        from: z.string(),
        to: z.string(),
      }),
    ),
    /** What needs a person: amounts or states that disagree, payouts one side does not know. */
    mismatches: z.array(
      z.object({
        kind: z.enum(['AMOUNT', 'STATUS', 'UNKNOWN_PAYOUT', 'MISSING_PAYOUT']),
        entity: z.string().nullable(),
        id: z.string().nullable(),
        payoutId: z.string().nullable(),
        ours: z.string().nullable(),
        theirs: z.string().nullable(),
      }),
    ),
  })
  .meta({ id: 'Reconciliation' });
export type TReconciliation = z.infer<typeof ZReconciliationSchema>;

export const INCENTIVE_MISSING = [
  'COMPLETED_TRAINING',
  'REVIEW',
  'PAYOUT_ACCOUNT',
  'PARTICIPANT_ACTIVE',
] as const;

export const ZIncentiveSchema = z
  .object({
    id: idSchema('incentive').nullable().meta({ description: 'Null when nothing is recorded yet' }),
    participantId: idSchema('participant'),
    schemeId: z.string(),
    kind: z.enum(INCENTIVE_KINDS).meta({
      description:
        "COMPLETION: after the first completed training (its instalments numbered 1…instalments); SURVEY: paid for a survey answered (numbered 1… up to the scheme's surveyIncentive.times)",
    }),
    surveyId: idSchema('survey')
      .nullable()
      .meta({ description: 'SURVEY: the survey whose answer earned it' }),
    instalment: z.number().int(),
    instalments: z.number().int(),
    amount: ZRupiahSchema,
    status: z.enum(INCENTIVE_STATUSES),
    missing: z
      .array(z.enum(INCENTIVE_MISSING))
      .meta({ description: 'WAITING: what the participant still lacks' }),
    enrollmentId: idSchema('enrollment').nullable(),
    dueAt: ZTimestampSchema.nullable(),
    attempt: z.number().int(),
    failure: z.object({ code: z.string(), message: z.string() }).nullable(),
    lastError: z.string().nullable(),
    payoutId: z.string().nullable(),
    paidAt: ZTimestampSchema.nullable(),
    recoveryDueAt: ZTimestampSchema.nullable().meta({
      description:
        'Set when a case decision found a PAID instalment undeserved: the amount is owed back by the participant (a receivable in the ledger)',
    }),
  })
  .meta({ id: 'Incentive' });
export type TIncentive = z.infer<typeof ZIncentiveSchema>;

export const ZListIncentivesInputSchema = ZPageInputSchema.extend({
  status: z.enum(INCENTIVE_STATUSES).optional(),
  participantId: idSchema('participant').optional(),
});
export const ZIncentivePageSchema = pageOf(ZIncentiveSchema);
export const ZIncentiveIdInputSchema = z.object({ id: idSchema('incentive') });
export const ZParticipantIncentivesInputSchema = z.object({ participantId: idSchema('participant') });
export const ZEvaluateIncentivesResultSchema = z.object({
  evaluated: z.number().int(),
  waiting: z.number().int(),
  eligible: z.number().int().meta({ description: 'Participants who became eligible in this run' }),
});
export const ZSetParticipantPayoutAccountInputSchema = z.object({
  participantId: idSchema('participant'),
  destination: ZPayoutDestinationSchema,
});
export const ZParticipantPayoutAccountSchema = z
  .object({
    participantId: idSchema('participant'),
    kind: z.enum(['BANK', 'EWALLET']),
    label: z.string(),
    updatedAt: ZTimestampSchema,
  })
  .meta({ id: 'ParticipantPayoutAccount' });
