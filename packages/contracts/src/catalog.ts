import { z } from 'zod';
import { ZRatingSchema } from './certificates';
import { pageOf, ZTimestampSchema } from './common';
import { ZCourseModeSchema } from './course-mode';
import { ZCompletionRuleSchema } from './courses';
import { idSchema } from './ids';
import { ZSessionModeSchema, ZTimeZoneSchema, ZVenueSchema } from './runs';

/**
 * What a platform receives for its storefront. Field meanings follow schema.org Course and
 * CourseInstance: title = name, summary = description, competency codes = teaches, hours =
 * timeRequired, price = offers.price (IDR), language = inLanguage, runs = hasCourseInstance,
 * session mode = courseMode, venue = location. Meeting links are never part of it.
 */
export const SEAT_AVAILABILITY = ['AVAILABLE', 'LIMITED', 'FULL'] as const;

export const ZCatalogSessionSchema = z.object({
  sequence: z.number().int(),
  mode: ZSessionModeSchema,
  startsAt: ZTimestampSchema,
  endsAt: ZTimestampSchema,
  timeZone: ZTimeZoneSchema,
  venue: ZVenueSchema.nullable(),
});

export const ZCatalogRunSchema = z
  .object({
    id: idSchema('run'),
    status: z.enum(['OPEN', 'FULL']),
    capacity: z.number().int(),
    seatsAvailable: z.number().int(),
    availability: z.enum(SEAT_AVAILABILITY).meta({ description: 'LIMITED: 5 seats or fewer, or under 20 %' }),
    startsAt: ZTimestampSchema,
    endsAt: ZTimestampSchema,
    regencyCodes: z.array(z.string()).meta({ description: 'Regencies of its luring sessions' }),
    sessions: z.array(ZCatalogSessionSchema),
  })
  .meta({ id: 'CatalogRun' });

export const ZCatalogCourseSchema = z
  .object({
    id: idSchema('course'),
    version: z.number().int(),
    provider: z.object({
      id: idSchema('organisation'),
      name: z.string(),
      rating: ZRatingSchema.meta({ description: 'Over all the provider’s reviewed courses' }),
    }),
    schemeId: z.string(),
    title: z.string(),
    summary: z.string(),
    description: z.string(),
    category: z.string(),
    competencyCodes: z.array(z.string()),
    occupationCodes: z.array(z.string()),
    learningOutcomes: z.array(z.string()),
    mode: ZCourseModeSchema,
    hours: z.number(),
    timeRequired: z.string().meta({ description: 'ISO 8601 duration, e.g. PT16H' }),
    price: z.number().int(),
    currency: z.literal('IDR'),
    language: z.string(),
    completionRule: ZCompletionRuleSchema,
    rating: ZRatingSchema.meta({
      description: 'From platform.reviews.submit, one review per completed enrollment',
    }),
    runs: z
      .array(ZCatalogRunSchema)
      .meta({ description: 'Runs on sale (OPEN or FULL); none for SELF_PACED' }),
    publishedAt: ZTimestampSchema,
    updatedAt: ZTimestampSchema,
  })
  .meta({ id: 'CatalogCourse' });
export type TCatalogCourse = z.infer<typeof ZCatalogCourseSchema>;
export const ZCatalogPageSchema = pageOf(ZCatalogCourseSchema);

export const ZListCatalogInputSchema = z.object({
  mode: ZCourseModeSchema.optional(),
  category: z.string().optional(),
  provinceCode: z
    .string()
    .regex(/^\d{2}$/)
    .optional()
    .meta({ description: 'Courses with a luring session there' }),
  limit: z.coerce.number<number>().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(200).optional(),
});
export type TListCatalogInput = z.infer<typeof ZListCatalogInputSchema>;

export const ZCatalogChangesInputSchema = z.object({
  since: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .meta({ description: 'The nextCursor of your previous call; omit to start from the beginning' }),
  limit: z.coerce.number<number>().int().min(1).max(500).default(100),
});
export type TCatalogChangesInput = z.infer<typeof ZCatalogChangesInputSchema>;

export const ZCatalogChangeSchema = z
  .object({
    type: z
      .enum(['UPSERT', 'TOMBSTONE'])
      .meta({ description: 'TOMBSTONE: remove the course from your storefront' }),
    courseId: idSchema('course'),
    course: ZCatalogCourseSchema.nullable().meta({ description: 'The course as it is now (UPSERT only)' }),
  })
  .meta({ id: 'CatalogChange' });
export type TCatalogChange = z.infer<typeof ZCatalogChangeSchema>;

export const ZCatalogChangesSchema = z.object({
  changes: z.array(ZCatalogChangeSchema),
  nextCursor: z.string().meta({ description: 'Store it, and pass it as `since` next time' }),
  hasMore: z.boolean().meta({ description: 'Call again at once when true; otherwise poll later' }),
});
export type TCatalogChanges = z.infer<typeof ZCatalogChangesSchema>;
