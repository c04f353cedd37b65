import { z } from 'zod';
import { ZCourseModeSchema } from './course-mode';

/** Program rules live in data (the `schemes` table), versioned; courses and participants point to one. */
export const ZSchemeRulesSchema = z.object({
  trainingBalance: z.number().int().positive(),
  purchaseWindowDays: z.number().int().positive(),
  /** null: no minimum. */
  minCourseHours: z.number().nullable(),
  allowedModes: z.array(ZCourseModeSchema).min(1),
  incentive: z.object({ amount: z.number().int(), times: z.number().int() }),
  surveyIncentive: z.object({ amount: z.number().int(), times: z.number().int() }),
  /** A scheduled run is redeemable from this long before to this long after its first session starts. */
  redemptionWindow: z.object({ beforeMinutes: z.number().int(), afterMinutes: z.number().int() }),
  /**
   * When a voucher becomes payable to its provider (on redemption, or only once completed: a
   * voucher that ends NOT_COMPLETED then returns its price to the fund), and the platform's
   * commission in basis points of the price (1000 = 10 %).
   */
  settlement: z.object({
    payableOn: z.enum(['REDEEMED', 'COMPLETED']),
    platformCommissionBps: z.number().int().min(0).max(10_000),
  }),
  /**
   * A voucher refunded because its run was cancelled: if the participant's purchase window has
   * closed (or closes sooner), it is extended to this many days after the refund, to buy again.
   */
  refundGraceDays: z.number().int().min(0),
  /**
   * When a provider may say an activity happened (`occurredAt` on attendance, assignments and
   * post-tests, e.g. attendance taken on paper and entered after class): never in the future, an
   * attendance not before its session opens (this many minutes before it starts), and at most
   * `maxLateHours` before it is recorded. Late entries stay visible: both times are kept.
   */
  reporting: z.object({
    maxLateHours: z.number().int().min(0),
    sessionOpensMinutesBefore: z.number().int().min(0),
  }),
});
export type TSchemeRules = z.infer<typeof ZSchemeRulesSchema>;

export const ZSchemeSchema = z
  .object({ id: z.string(), name: z.string(), validFrom: z.string(), rules: ZSchemeRulesSchema })
  .meta({ id: 'Scheme' });
export type TScheme = z.infer<typeof ZSchemeSchema>;

export const CURRENT_SCHEME_ID = 'PRAKERJA_2023';
