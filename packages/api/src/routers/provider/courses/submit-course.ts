import { ZCourseIdInputSchema, ZCourseSchema } from '@latih/contracts';
import { submitCourse } from '@latih/core';
import { providerProcedure } from '../../../trpc';

export const submitCourseRoute = providerProcedure
  .meta({
    scope: 'catalog:write',
    openapi: {
      method: 'POST',
      path: '/provider/courses/{id}/submit',
      tags: ['provider'],
      summary: 'Submit a course (or its edit) for review',
      description:
        'DRAFT → IN_REVIEW, or a revision of a published course → in review. Needs the scheme rules met, at least one learning outcome and, unless self-paced, a scheduled run.',
      protect: true,
    },
  })
  .input(ZCourseIdInputSchema)
  .output(ZCourseSchema)
  .mutation(({ ctx, input }) =>
    submitCourse({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
  );
