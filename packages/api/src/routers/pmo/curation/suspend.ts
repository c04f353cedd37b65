import { ZCourseSchema, ZSuspendInputSchema } from '@latih/contracts';
import { setCourseSuspended } from '@latih/core';
import { pmoProcedure } from '../../../trpc';

export const suspendRoute = pmoProcedure
  .meta({
    scope: 'pmo:write',
    openapi: {
      method: 'POST',
      path: '/pmo/curation/courses/{id}/suspend',
      tags: ['pmo'],
      summary: 'Suspend a published course',
      description: 'PUBLISHED → SUSPENDED with a recorded reason: it leaves the catalog.',
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
      suspended: true,
    }),
  );
