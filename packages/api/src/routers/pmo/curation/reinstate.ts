import { ZCourseSchema, ZSuspendInputSchema } from '@latih/contracts';
import { setCourseSuspended } from '@latih/core';
import { pmoProcedure } from '../../../trpc';

export const reinstateRoute = pmoProcedure
  .meta({
    scope: 'pmo:write',
    openapi: {
      method: 'POST',
      path: '/pmo/curation/courses/{id}/reinstate',
      tags: ['pmo'],
      summary: 'Reinstate a suspended course',
      description: 'SUSPENDED → PUBLISHED with a recorded reason.',
      protect: true,
    },
  })
  .input(ZSuspendInputSchema)
  .output(ZCourseSchema)
  .mutation(({ ctx, input }) =>
    setCourseSuspended({
      db: ctx.db,
      actor: ctx.actor,
      requestId: ctx.requestId,
      input,
      now: ctx.now,
      suspended: false,
    }),
  );
