import { z } from 'zod';
import { ZCreateCourseInputSchema } from './courses';
import { ZSessionInputSchema } from './runs';

export const ZImportRunSchema = z.object({
  externalId: z.string().min(1).max(100),
  capacity: z.number().int().min(1).max(10_000),
  sessions: z.array(ZSessionInputSchema).min(1).max(200),
});

export const ZImportCourseSchema = ZCreateCourseInputSchema.extend({
  externalId: z
    .string()
    .min(1)
    .max(100)
    .meta({ description: 'Your id for the course: re-importing it updates it' }),
  runs: z.array(ZImportRunSchema).max(50).default([]),
});

export const ZImportCoursesInputSchema = z.object({
  items: z
    .array(z.unknown())
    .min(1)
    .max(1000)
    .meta({ description: 'Up to 1 000 courses (ImportCourse), each validated on its own' }),
  dryRun: z.boolean().default(false).meta({ description: 'Validate and report without writing anything' }),
});

export const ZImportResultSchema = z
  .object({
    index: z.number().int(),
    externalId: z.string().nullable(),
    status: z.enum(['CREATED', 'UPDATED', 'REVISION', 'UNCHANGED', 'ERROR']),
    courseId: z.string().nullable(),
    runIds: z.array(z.string()),
    error: z.object({ code: z.string(), message: z.string(), field: z.string().optional() }).nullable(),
  })
  .meta({ id: 'ImportResult' });
export type TImportResult = z.infer<typeof ZImportResultSchema>;

export const ZImportCoursesResultSchema = z.object({
  dryRun: z.boolean(),
  summary: z.object({
    created: z.number().int(),
    updated: z.number().int(),
    revision: z.number().int(),
    unchanged: z.number().int(),
    error: z.number().int(),
  }),
  results: z.array(ZImportResultSchema),
});
