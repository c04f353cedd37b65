import { ZCourseSchema, ZRejectInputSchema } from '@latih/contracts';
import { rejectCourse } from '@latih/core';
import { pmoProcedure } from '../../../trpc';

export const rejectRoute = pmoProcedure
  .meta({
    scope: 'pmo:write',
    openapi: {
      method: 'POST',
      path: '/pmo/curation/courses/{id}/reject',
      tags: ['pmo'],
      summary: 'Reject what is in review, with reasons',
      description:
        'Structured reason codes plus a note the provider sees. A rejected course returns to DRAFT when edited; a rejected edit leaves the published version on sale.',
      protect: true,
    },
  })
  .input(ZRejectInputSchema)
  .output(ZCourseSchema)
  .mutation(({ ctx, input }) =>
    rejectCourse({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
  );
