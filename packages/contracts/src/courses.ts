import { z } from 'zod';
import { CATEGORY_CODES } from './categories';
import { pageOf, ZRupiahSchema, ZTimestampSchema } from './common';
import { ZCourseModeSchema } from './course-mode';
import { idSchema } from './ids';
import { REJECTION_REASON_MEANINGS, REJECTION_REASONS } from './values';

export { type TCourseMode, ZCourseModeSchema } from './course-mode';

export const COURSE_STATUSES = [
  'DRAFT',
  'IN_REVIEW',
  'PUBLISHED',
  'REJECTED',
  'SUSPENDED',
  'WITHDRAWN',
] as const;
export const ZCourseStatusSchema = z.enum(COURSE_STATUSES);
export type TCourseStatus = z.infer<typeof ZCourseStatusSchema>;

/** Hours in quarter-hour steps: sessions are scheduled to the quarter hour. */
const ZHoursSchema = z
  .number()
  .positive()
  .max(1000)
  .multipleOf(0.25, { message: 'Hours are counted in quarter hours (0.25)' });

export const ZCompletionRuleSchema = z
  .object({
    minAttendancePercent: z
      .number()
      .int()
      .min(0)
      .max(100)
      .meta({ description: 'Share of sessions to attend' }),
    postTestPassScore: z
      .number()
      .int()
      .min(0)
      .max(100)
      .nullable()
      .meta({ description: 'null: no post-test' }),
    assignmentRequired: z.boolean().meta({ description: 'The skills-demonstration task must be submitted' }),
  })
  .meta({ id: 'CompletionRule' });
export type TCompletionRule = z.infer<typeof ZCompletionRuleSchema>;
export const DEFAULT_COMPLETION_RULE: TCompletionRule = {
  minAttendancePercent: 100,
  postTestPassScore: 70,
  assignmentRequired: true,
};

export const ZCertificateTemplateSchema = z
  .object({
    title: z.string().trim().min(3).max(200),
    signatoryName: z.string().trim().min(3).max(200),
    signatoryTitle: z.string().trim().min(2).max(200),
    skills: z.array(z.string().trim().min(2).max(200)).max(20),
  })
  .meta({ id: 'CertificateTemplate' });
export type TCertificateTemplate = z.infer<typeof ZCertificateTemplateSchema>;

/** SKKNI competency unit codes, e.g. M.702090.001.01. */
const ZCompetencyCodeSchema = z
  .string()
  .regex(/^[A-Z]{1,3}\.\d{2,6}\.\d{3}\.\d{2}$/, { message: 'An SKKNI unit code such as M.702090.001.01' });
/** KBJI 2014 occupation codes, 4 digits with an optional 2-digit detail, e.g. 2431 or 7512.01. */
const ZOccupationCodeSchema = z
  .string()
  .regex(/^\d{4}(\.\d{2})?$/, { message: 'A KBJI occupation code such as 2431 or 7512.01' });

/** The editable content of a course, every field required (the base of create, update and import). */
const contentFields = {
  title: z.string().trim().min(5).max(200),
  summary: z.string().trim().min(10).max(500),
  description: z.string().trim().max(20_000),
  category: z
    .enum(CATEGORY_CODES)
    .meta({ description: 'A code of the shipped taxonomy (GET /v1/public/categories)' }),
  competencyCodes: z.array(ZCompetencyCodeSchema).max(20),
  occupationCodes: z.array(ZOccupationCodeSchema).max(10),
  learningOutcomes: z.array(z.string().trim().min(5).max(300)).max(30),
  mode: ZCourseModeSchema,
  hours: ZHoursSchema,
  price: ZRupiahSchema,
  language: z
    .string()
    .regex(/^[a-z]{2,3}(-[A-Z]{2})?$/, { message: 'A BCP 47 language tag such as id or en' }),
  completionRule: ZCompletionRuleSchema,
  certificateTemplate: ZCertificateTemplateSchema.nullable(),
};

export const ZCreateCourseInputSchema = z.object({
  externalId: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .meta({ description: "The provider's own id for the course: re-imports upsert on it" }),
  schemeId: z
    .string()
    .min(1)
    .max(50)
    .optional()
    .meta({ description: 'The program scheme; the current one when omitted' }),
  ...contentFields,
  description: contentFields.description.default(''),
  competencyCodes: contentFields.competencyCodes.default([]),
  occupationCodes: contentFields.occupationCodes.default([]),
  learningOutcomes: contentFields.learningOutcomes.default([]),
  language: contentFields.language.default('id'),
  completionRule: ZCompletionRuleSchema.default(DEFAULT_COMPLETION_RULE),
  certificateTemplate: contentFields.certificateTemplate.default(null),
});
export type TCreateCourseInput = z.input<typeof ZCreateCourseInputSchema>;
export type TCreateCourse = z.output<typeof ZCreateCourseInputSchema>;

/** The content stored per course and per revision. */
export const ZCourseContentSchema = z.object(contentFields).meta({ id: 'CourseContent' });
export type TCourseContent = z.infer<typeof ZCourseContentSchema>;

/** Only the fields sent change. Editing a published course makes a revision instead. */
export const ZUpdateCourseInputSchema = z.object({
  id: idSchema('course'),
  ...ZCourseContentSchema.partial().shape,
});
export type TUpdateCourseInput = z.input<typeof ZUpdateCourseInputSchema>;

export const ZGetCourseInputSchema = z.object({ id: idSchema('course') });
export const ZCourseIdInputSchema = z.object({ id: idSchema('course') });

export const ZListCoursesInputSchema = z.object({
  status: ZCourseStatusSchema.optional(),
  mode: ZCourseModeSchema.optional(),
  limit: z.coerce.number<number>().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(200).optional(),
});
export type TListCoursesInput = z.infer<typeof ZListCoursesInputSchema>;

export const ZRejectionReasonSchema = z.enum(REJECTION_REASONS).describe(
  `Why a course (or an edit) was sent back: ${Object.entries(REJECTION_REASON_MEANINGS)
    .map(([code, meaning]) => `${code}, ${meaning}`)
    .join('; ')}.`,
);

export const ZRejectionSchema = z.object({
  reasons: z.array(ZRejectionReasonSchema),
  note: z.string(),
  at: ZTimestampSchema,
});

export type TRejection = z.infer<typeof ZRejectionSchema>;

export const ZCourseRevisionSchema = z
  .object({
    id: z.string(),
    status: z.enum(['DRAFT', 'IN_REVIEW', 'REJECTED']),
    content: ZCourseContentSchema,
    rejection: ZRejectionSchema.nullable(),
    submittedAt: ZTimestampSchema.nullable(),
    updatedAt: ZTimestampSchema,
  })
  .meta({ id: 'CourseRevision' });
export type TCourseRevision = z.infer<typeof ZCourseRevisionSchema>;

export const ZCourseSchema = z
  .object({
    id: idSchema('course'),
    providerId: idSchema('organisation'),
    externalId: z.string().nullable(),
    schemeId: z.string(),
    status: ZCourseStatusSchema,
    ...ZCourseContentSchema.shape,
    version: z
      .number()
      .int()
      .meta({ description: 'Bumped by every change of the content on sale or in draft' }),
    rejection: ZRejectionSchema.nullable(),
    suspension: z.object({ reason: z.string(), at: ZTimestampSchema }).nullable(),
    pendingRevision: ZCourseRevisionSchema.nullable().meta({
      description: 'An edit of a published course, reviewed while the published version stays on sale',
    }),
    submittedAt: ZTimestampSchema.nullable(),
    publishedAt: ZTimestampSchema.nullable(),
    createdAt: ZTimestampSchema,
    updatedAt: ZTimestampSchema,
  })
  .meta({ id: 'Course' });
export type TCourse = z.infer<typeof ZCourseSchema>;

export const ZCoursePageSchema = pageOf(ZCourseSchema);
export type TCoursePage = z.infer<typeof ZCoursePageSchema>;
