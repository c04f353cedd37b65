import { ZCourseIdInputSchema, ZCourseSchema } from '@latih/contracts';
import { withdrawCourse } from '@latih/core';
import { providerProcedure } from '../../../trpc';

export const withdrawCourseRoute = providerProcedure
  .meta({
    scope: 'catalog:write',
    openapi: {
      method: 'POST',
      path: '/provider/courses/{id}/withdraw',
      tags: ['provider'],
      summary: 'Withdraw a course',
      description:
        'Takes a PUBLISHED course off sale for good, or abandons a DRAFT/REJECTED one. A suspended course stays with the PMO.',
      protect: true,
    },
  })
  .input(ZCourseIdInputSchema)
  .output(ZCourseSchema)
  .mutation(({ ctx, input }) =>
    withdrawCourse({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
  );
