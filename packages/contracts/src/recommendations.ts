import { z } from 'zod';
import { idSchema } from './ids';

/*
 * What next after training (issue 22, must-show 5): courses on sale that build on what a participant
 * completed, and the occupations that training points to, each with the reason, from the SKKNI
 * competency units and KBJI occupation codes of the courses (docs/guides/recommendations.md). No
 * model and no history of other people: the same completed courses and catalog give the same answer.
 */

export const ZRecommendationsInputSchema = z.object({
  voucherId: idSchema('voucher').meta({
    description:
      'A voucher you sold: the participant it was sold to is the one asked about (no card number or other personal data in the request)',
  }),
  limit: z.coerce.number<number>().int().min(1).max(50).default(10),
});
export type TRecommendationsInput = z.infer<typeof ZRecommendationsInputSchema>;

export const ZRecommendationReasonSchema = z
  .object({
    kind: z.enum(['OCCUPATION', 'COMPETENCY_STANDARD']).meta({
      description:
        'OCCUPATION: the course prepares for a KBJI occupation (same 4-digit unit group) a completed course prepared for; COMPETENCY_STANDARD: it teaches units of an SKKNI standard a completed course taught units of',
    }),
    code: z
      .string()
      .meta({ description: 'The KBJI unit group (e.g. 2431) or the SKKNI standard (e.g. M.702090)' }),
    completedCourseIds: z
      .array(idSchema('course'))
      .meta({ description: 'The completed courses (bought through you) that share it' }),
    newCompetencyCodes: z.array(z.string()).meta({
      description:
        'COMPETENCY_STANDARD: the units of that standard the course teaches and no completed course taught; OCCUPATION: empty',
    }),
  })
  .meta({ id: 'RecommendationReason' });

export const ZCourseRecommendationSchema = z
  .object({
    courseId: idSchema('course'),
    title: z.string(),
    score: z.number().int().meta({
      description:
        'New competency units in a standard already studied, plus 2 for each occupation unit group shared; higher first',
    }),
    newCompetencyCodes: z
      .array(z.string())
      .meta({ description: 'SKKNI units the course teaches that no completed course taught' }),
    reasons: z.array(ZRecommendationReasonSchema),
  })
  .meta({ id: 'CourseRecommendation' });

export const ZOccupationRecommendationSchema = z
  .object({
    code: z
      .string()
      .meta({ description: 'A KBJI occupation code (4 digits, optionally with a 2-digit detail)' }),
    kind: z.enum(['TRAINED_FOR', 'NEXT_COURSE']).meta({
      description:
        'TRAINED_FOR: a completed course prepares for it; NEXT_COURSE: one of the recommended courses would',
    }),
    courseIds: z.array(idSchema('course')).meta({ description: 'The courses that lead to it' }),
  })
  .meta({ id: 'OccupationRecommendation' });

export const ZCompletedCourseSchema = z
  .object({ courseId: idSchema('course'), title: z.string() })
  .meta({ id: 'CompletedCourse' });

export const ZRecommendationsSchema = z.object({
  completed: z.array(ZCompletedCourseSchema).meta({
    description:
      'What the recommendations are drawn from: the courses the participant completed on vouchers you sold (their titles as they are now)',
  }),
  courses: z.array(ZCourseRecommendationSchema),
  occupations: z.array(ZOccupationRecommendationSchema),
});
export type TRecommendations = z.infer<typeof ZRecommendationsSchema>;
