import { ZCourseSchema, ZUpdateCourseInputSchema } from '@latih/contracts';
import { updateCourse } from '@latih/core';
import { providerProcedure } from '../../../trpc';

export const updateCourseRoute = providerProcedure
  .meta({
    scope: 'catalog:write',
    openapi: {
      method: 'PATCH',
      path: '/provider/courses/{id}',
      tags: ['provider'],
      summary: 'Edit a course',
      description:
        'Changes the fields sent. A DRAFT or REJECTED course is edited in place (back to DRAFT); a PUBLISHED or SUSPENDED one gets a revision that is reviewed while the published version stays on sale.',
      protect: true,
    },
  })
  .input(ZUpdateCourseInputSchema)
  .output(ZCourseSchema)
  .mutation(({ ctx, input }) =>
    updateCourse({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
  );
