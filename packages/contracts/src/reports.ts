import { z } from 'zod';
import { ZTimestampSchema } from './common';
import { idSchema } from './ids';
import { STATISTIC_DIMENSIONS } from './values';

/*
 * The PMO's reports on providers, courses and platforms for a period, and the program's
 * statistics (in full for the PMO; public with small cells suppressed).
 */

const day = z.iso.date();
const period = {
  from: day.meta({
    description: 'First day of the period (a WIB calendar day, inclusive)',
    example: '2026-10-01',
  }),
  to: day.meta({ description: 'Day after the period (WIB, exclusive)', example: '2026-11-01' }),
};

const rate = z
  .number()
  .min(0)
  .max(1)
  .nullable()
  .meta({ description: 'A fraction 0–1; null with nothing to divide' });

export const ZScorecardSchema = z
  .object({
    providerId: z.string(),
    providerName: z.string(),
    courseId: z.string().nullable(),
    courseTitle: z.string().nullable(),
    vouchersSold: z.number().int(),
    vouchersRedeemed: z.number().int(),
    completed: z.number().int(),
    notCompleted: z.number().int(),
    completionRate: rate.meta({
      description: 'completed / (completed + notCompleted), closed in the period',
    }),
    medianDaysToComplete: z.number().nullable(),
    attendanceConfirmationRate: rate,
    identityCheckFailureRate: rate,
    ratingAverage: z.number().nullable(),
    ratingCount: z.number().int(),
    refunds: z.number().int(),
    refundAmount: z.number().int(),
    openCases: z
      .number()
      .int()
      .meta({ description: 'Control cases not yet decided (now, whatever the period)' }),
  })
  .meta({ id: 'Scorecard' });
export type TScorecard = z.infer<typeof ZScorecardSchema>;

export const SCORECARD_SORTS = [
  'vouchersSold',
  'vouchersRedeemed',
  'completed',
  'completionRate',
  'medianDaysToComplete',
  'attendanceConfirmationRate',
  'identityCheckFailureRate',
  'ratingAverage',
  'refunds',
  'openCases',
  'name',
] as const;

const reportPage = {
  limit: z.coerce.number<number>().int().min(1).max(1000).default(50),
  cursor: z.string().min(1).max(200).optional(),
  order: z.enum(['asc', 'desc']).default('desc'),
};

export const ZProviderReportInputSchema = z.object({
  ...period,
  ...reportPage,
  sort: z.enum(SCORECARD_SORTS).default('vouchersSold'),
  providerId: idSchema('organisation').optional(),
  status: z.enum(['APPLIED', 'ACTIVE', 'SUSPENDED', 'REJECTED']).optional(),
  minVouchersSold: z.coerce.number<number>().int().min(0).optional(),
});
export type TProviderReportInput = z.infer<typeof ZProviderReportInputSchema>;

export const ZCourseReportInputSchema = z.object({
  ...period,
  ...reportPage,
  sort: z.enum(SCORECARD_SORTS).default('vouchersSold'),
  providerId: idSchema('organisation').optional(),
  courseId: idSchema('course').optional(),
  mode: z.enum(['SELF_PACED', 'WEBINAR', 'LURING', 'HYBRID']).optional(),
  category: z.string().max(100).optional(),
  minVouchersSold: z.coerce.number<number>().int().min(0).optional(),
});
export type TCourseReportInput = z.infer<typeof ZCourseReportInputSchema>;

export const ZPlatformReportRowSchema = z
  .object({
    platformId: z.string(),
    platformName: z.string(),
    sales: z.number().int(),
    salesAmount: z.number().int(),
    refunds: z.number().int(),
    refundAmount: z.number().int(),
    commission: z
      .number()
      .int()
      .meta({ description: 'Commission accrued in settlement items in the period' }),
  })
  .meta({ id: 'PlatformReportRow' });
export type TPlatformReportRow = z.infer<typeof ZPlatformReportRowSchema>;

export const ZPlatformReportInputSchema = z.object({
  ...period,
  ...reportPage,
  sort: z
    .enum(['sales', 'salesAmount', 'refunds', 'refundAmount', 'commission', 'name'])
    .default('salesAmount'),
  platformId: idSchema('organisation').optional(),
});
export type TPlatformReportInput = z.infer<typeof ZPlatformReportInputSchema>;

export function reportPageOf<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    nextCursor: z.string().nullable(),
    total: z.number().int().meta({ description: 'Rows matching the filters' }),
    asOf: ZTimestampSchema.nullable().meta({
      description: 'When the rollups behind the report were last rebuilt (the worker does so every minute)',
    }),
  });
}
export const ZScorecardPageSchema = reportPageOf(ZScorecardSchema);
export const ZPlatformReportPageSchema = reportPageOf(ZPlatformReportRowSchema);

export const ZRebuildReportsInputSchema = z.object({
  from: day
    .optional()
    .meta({ description: 'First WIB day to rebuild (default: the first day with activity)' }),
  to: day.optional().meta({ description: 'Last WIB day to rebuild, inclusive (default: today)' }),
});
export const ZRebuildReportsResultSchema = z.object({
  from: day.nullable(),
  to: day.nullable(),
  rebuiltAt: ZTimestampSchema,
});

/* Statistics */

export const ZStatisticDimensionSchema = z.enum(STATISTIC_DIMENSIONS);
export type TStatisticDimension = z.infer<typeof ZStatisticDimensionSchema>;

/** Cells counting fewer people than this are not published. */
export const STATISTICS_MIN_CELL = 10;

export const ZStatisticsInputSchema = z.object({
  dimension: ZStatisticDimensionSchema.meta({
    description:
      'What to group by. ageBand: the age the participant reaches in the current year (WIB); month: of registration (or of the completion, issue or payment counted)',
  }),
  provinceCode: z
    .string()
    .regex(/^\d{2}$/)
    .optional()
    .meta({ description: 'Only this province (e.g. 32, Jawa Barat)' }),
  from: ZTimestampSchema.optional(),
  to: ZTimestampSchema.optional(),
});
export type TStatisticsInput = z.infer<typeof ZStatisticsInputSchema>;

const count = z
  .number()
  .int()
  .nullable()
  .meta({ description: 'null when suppressed (fewer than 10 people, or to protect such a cell)' });

export const ZStatisticsRowSchema = z.object({
  key: z.string(),
  label: z.string(),
  participants: count.meta({
    description:
      'Participants who registered in the period; for mode and category, who started their first course of it in the period. null when suppressed',
  }),
  completions: count,
  certificates: count,
  incentivesPaid: count.meta({
    description:
      'Participants whose first incentive after training was paid in the period (for mode and category: the first for a course of it; survey incentives are not counted). null when suppressed',
  }),
  incentivesPaidAmount: z.number().int().nullable(),
});
export type TStatisticsRow = z.infer<typeof ZStatisticsRowSchema>;

export const ZStatisticsSchema = z
  .object({
    dimension: ZStatisticDimensionSchema,
    provinceCode: z.string().nullable(),
    from: ZTimestampSchema.nullable(),
    to: ZTimestampSchema.nullable(),
    suppressedBelow: z.number().int().meta({ description: '0 for the PMO (in full), 10 in public' }),
    rows: z.array(ZStatisticsRowSchema),
    totals: ZStatisticsRowSchema.omit({ key: true, label: true }),
    generatedAt: ZTimestampSchema,
  })
  .meta({ id: 'Statistics' });
export type TStatistics = z.infer<typeof ZStatisticsSchema>;

export const ZProviderTrendInputSchema = z.object({
  ...period,
  providerId: idSchema('organisation'),
  interval: z.enum(['day', 'week', 'month']).default('week'),
});
export const ZProviderTrendSchema = z
  .object({
    providerId: z.string(),
    interval: z.enum(['day', 'week', 'month']),
    points: z.array(
      z.object({
        period: z.string().meta({ description: 'First WIB day of the day, ISO week or month' }),
        vouchersSold: z.number().int(),
        vouchersRedeemed: z.number().int(),
        completed: z.number().int(),
        notCompleted: z.number().int(),
        completionRate: rate,
        ratingAverage: z.number().nullable(),
      }),
    ),
  })
  .meta({ id: 'ProviderTrend' });

/** A provider's own figures (provider.reports.figures): the PMO's scorecard of it, without open cases. */
export const ZOwnFiguresInputSchema = z.object({
  ...period,
  interval: z.enum(['day', 'week', 'month']).default('week').meta({ description: "The trend's step" }),
});
export const ZOwnScorecardSchema = ZScorecardSchema.omit({ openCases: true }).meta({ id: 'OwnScorecard' });
export const ZOwnFiguresSchema = z
  .object({
    from: day,
    to: day,
    total: ZOwnScorecardSchema.nullable().meta({
      description: 'The whole provider over the period, as the program office sees it; null before any sale',
    }),
    courses: z.array(ZOwnScorecardSchema).meta({ description: 'Each course with activity, most sold first' }),
    trend: ZProviderTrendSchema,
    asOf: ZTimestampSchema.nullable().meta({
      description: 'When the rollups behind the figures were last rebuilt (the worker does so every minute)',
    }),
  })
  .meta({ id: 'ProviderFigures' });
export type TOwnFigures = z.infer<typeof ZOwnFiguresSchema>;
