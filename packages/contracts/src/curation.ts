import { z } from 'zod';
import { pageOf, ZTimestampSchema } from './common';
import { ZCourseModeSchema } from './course-mode';
import { ZCourseSchema, ZRejectionReasonSchema } from './courses';
import { idSchema } from './ids';
import { ZRunSchema } from './runs';

export const ZCurationQueueInputSchema = z.object({
  providerId: idSchema('organisation').optional(),
  mode: ZCourseModeSchema.optional(),
  category: z.string().optional(),
  minAgeHours: z.coerce
    .number<number>()
    .min(0)
    .optional()
    .meta({ description: 'Only items waiting at least this long' }),
  limit: z.coerce.number<number>().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(200).optional(),
});
export type TCurationQueueInput = z.infer<typeof ZCurationQueueInputSchema>;

export const ZCurationItemSchema = z
  .object({
    kind: z.enum(['NEW_COURSE', 'REVISION']),
    courseId: idSchema('course'),
    revisionId: z.string().nullable(),
    providerId: idSchema('organisation'),
    providerName: z.string(),
    title: z.string(),
    mode: ZCourseModeSchema,
    category: z.string(),
    submittedAt: ZTimestampSchema,
    waitingHours: z.number(),
  })
  .meta({ id: 'CurationItem' });
export const ZCurationQueueSchema = pageOf(ZCurationItemSchema);

export const INDICATORS = [
  'SCHEME_HOURS',
  'SCHEME_PRICE',
  'SCHEME_MODE',
  'OUTCOMES_PRESENT',
  'COMPETENCIES_PRESENT',
  'COMPLETION_RULE_SET',
  'CERTIFICATE_TEMPLATE_SET',
  'RUNS_SCHEDULED',
  'SESSION_HOURS_MATCH',
  'VENUES_COMPLETE',
  'PRICE_PER_HOUR_REASONABLE',
  'NO_DUPLICATE',
] as const;
export const ZIndicatorSchema = z
  .object({ code: z.enum(INDICATORS), ok: z.boolean(), detail: z.string() })
  .meta({ id: 'Indicator' });
export type TIndicator = z.infer<typeof ZIndicatorSchema>;

export const ZCurationReviewSchema = z
  .object({
    course: ZCourseSchema,
    /** The content under review: the course itself for a new course, the revision's for an edit. */
    underReview: z.enum(['COURSE', 'REVISION', 'NONE']),
    runs: z.array(ZRunSchema),
    indicators: z.array(ZIndicatorSchema),
  })
  .meta({ id: 'CurationReview' });
export type TCurationReview = z.infer<typeof ZCurationReviewSchema>;

export const ZApproveInputSchema = z.object({
  id: idSchema('course'),
  note: z.string().trim().max(2000).default(''),
});
export const ZRejectInputSchema = z.object({
  id: idSchema('course'),
  reasons: z.array(ZRejectionReasonSchema).min(1).describe('One or more; a code named twice is kept once'),
  note: z.string().trim().min(5).max(2000),
});
export const ZSuspendInputSchema = z.object({
  id: idSchema('course'),
  reason: z.string().trim().min(5).max(2000),
});
