import { z } from 'zod';
import { pageOf, ZTimestampSchema } from './common';
import { idSchema } from './ids';

export const TIME_ZONES = ['Asia/Jakarta', 'Asia/Makassar', 'Asia/Jayapura'] as const;
export const ZTimeZoneSchema = z
  .enum(TIME_ZONES)
  .meta({ description: 'WIB Asia/Jakarta, WITA Asia/Makassar, WIT Asia/Jayapura' });

export const SESSION_MODES = ['ONLINE', 'LURING'] as const;
export const ZSessionModeSchema = z.enum(SESSION_MODES);

export const ZVenueInputSchema = z
  .object({
    name: z.string().trim().min(3).max(200),
    address: z.string().trim().min(10).max(500),
    regencyCode: z
      .string()
      .regex(/^\d{2}\.\d{2}$/, { message: 'An official regency/city code such as 32.73' })
      .meta({ description: 'Kemendagri code of the regency or city (GET /v1/public/regions)' }),
    latitude: z.number().min(-11.5).max(6.5),
    longitude: z.number().min(94).max(141.5),
    accessibility: z.string().trim().max(500).default(''),
  })
  .meta({ id: 'VenueInput' });

export const ZSessionInputSchema = z.object({
  sequence: z.number().int().min(1).max(200),
  mode: ZSessionModeSchema.optional().meta({ description: 'Required for HYBRID courses; implied otherwise' }),
  startsAt: ZTimestampSchema,
  endsAt: ZTimestampSchema,
  timeZone: ZTimeZoneSchema,
  venue: ZVenueInputSchema.optional().meta({ description: 'Required for LURING sessions' }),
  meetingUrl: z
    .url({ protocol: /^https$/, message: 'An https URL' })
    .max(500)
    .optional()
    .meta({ description: 'Online sessions: never shown in the public catalog' }),
});
export type TSessionInput = z.input<typeof ZSessionInputSchema>;

export const ZCreateRunInputSchema = z.object({
  courseId: idSchema('course'),
  externalId: z.string().min(1).max(100).optional(),
  capacity: z.number().int().min(1).max(10_000),
  sessions: z.array(ZSessionInputSchema).min(1).max(200),
});
export type TCreateRunInput = z.input<typeof ZCreateRunInputSchema>;

export const ZUpdateRunInputSchema = z.object({
  id: idSchema('run'),
  capacity: z.number().int().min(1).max(10_000).optional(),
  sessions: z.array(ZSessionInputSchema).min(1).max(200).optional(),
});
export type TUpdateRunInput = z.input<typeof ZUpdateRunInputSchema>;

export const ZRunIdInputSchema = z.object({ id: idSchema('run') });
export const ZCancelRunInputSchema = z.object({
  id: idSchema('run'),
  reason: z.string().trim().min(5).max(1000),
});

export const RUN_STATUSES = ['SCHEDULED', 'OPEN', 'FULL', 'RUNNING', 'FINISHED', 'CANCELLED'] as const;
export const ZRunStatusSchema = z.enum(RUN_STATUSES);
export type TRunStatus = z.infer<typeof ZRunStatusSchema>;

export const ZVenueSchema = z
  .object({
    name: z.string(),
    address: z.string(),
    regencyCode: z.string(),
    regencyName: z.string(),
    provinceCode: z.string(),
    provinceName: z.string(),
    latitude: z.number(),
    longitude: z.number(),
    accessibility: z.string(),
  })
  .meta({ id: 'Venue' });
export type TVenue = z.infer<typeof ZVenueSchema>;

export const ZSessionSchema = z
  .object({
    sequence: z.number().int(),
    mode: ZSessionModeSchema,
    startsAt: ZTimestampSchema,
    endsAt: ZTimestampSchema,
    timeZone: ZTimeZoneSchema,
    venue: ZVenueSchema.nullable(),
    meetingUrl: z.string().nullable(),
  })
  .meta({ id: 'Session' });
export type TSession = z.infer<typeof ZSessionSchema>;

export const ZRunSchema = z
  .object({
    id: idSchema('run'),
    courseId: idSchema('course'),
    providerId: idSchema('organisation'),
    externalId: z.string().nullable(),
    status: ZRunStatusSchema,
    capacity: z.number().int(),
    seatsTaken: z.number().int(),
    sessions: z.array(ZSessionSchema),
    cancellation: z.object({ reason: z.string(), at: ZTimestampSchema }).nullable(),
    createdAt: ZTimestampSchema,
    updatedAt: ZTimestampSchema,
  })
  .meta({ id: 'Run' });
export type TRun = z.infer<typeof ZRunSchema>;

export const ZListRunsInputSchema = z.object({
  courseId: idSchema('course').optional(),
  status: ZRunStatusSchema.optional(),
  limit: z.coerce.number<number>().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(200).optional(),
});
export const ZRunPageSchema = pageOf(ZRunSchema);
