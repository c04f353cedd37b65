import { ZCoursePageSchema, ZListCoursesInputSchema } from '@latih/contracts';
import { listCourses } from '@latih/core';
import { providerProcedure } from '../../../trpc';

export const listCoursesRoute = providerProcedure
  .meta({
    scope: 'catalog:read',
    openapi: {
      method: 'GET',
      path: '/provider/courses',
      tags: ['provider'],
      summary: 'List your courses',
      description: 'Newest first, cursor-paginated; filter by status and mode.',
      protect: true,
    },
  })
  .input(ZListCoursesInputSchema.optional())
  .output(ZCoursePageSchema)
  .query(({ ctx, input }) =>
    listCourses({ db: ctx.db, actor: ctx.actor, input: input ?? ZListCoursesInputSchema.parse({}) }),
  );
