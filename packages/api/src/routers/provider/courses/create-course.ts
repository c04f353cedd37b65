import { ZCourseSchema, ZCreateCourseInputSchema } from '@latih/contracts';
import { createCourse } from '@latih/core';
import { providerProcedure } from '../../../trpc';

export const createCourseRoute = providerProcedure
  .meta({
    scope: 'catalog:write',
    openapi: {
      method: 'POST',
      path: '/provider/courses',
      tags: ['provider'],
      summary: 'Create a draft course',
      description:
        'Creates a course in DRAFT, visible only to your organisation until it is approved. Writes a course.created event.',
      protect: true,
    },
  })
  .input(ZCreateCourseInputSchema)
  .output(ZCourseSchema)
  .mutation(({ ctx, input }) =>
    createCourse({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
  );
