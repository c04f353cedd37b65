import { ZCourseSchema, ZGetCourseInputSchema } from '@latih/contracts';
import { getCourse } from '@latih/core';
import { providerProcedure } from '../../../trpc';

export const getCourseRoute = providerProcedure
  .meta({
    scope: 'catalog:read',
    openapi: {
      method: 'GET',
      path: '/provider/courses/{id}',
      tags: ['provider'],
      summary: 'Get one of your courses',
      description: "Any state. Another provider's course answers NOT_FOUND, exactly like a missing one.",
      protect: true,
    },
  })
  .input(ZGetCourseInputSchema)
  .output(ZCourseSchema)
  .query(({ ctx, input }) => getCourse({ db: ctx.db, actor: ctx.actor, id: input.id }));
