import { ZApproveInputSchema, ZCourseSchema } from '@latih/contracts';
import { approveCourse } from '@latih/core';
import { pmoProcedure } from '../../../trpc';

export const approveRoute = pmoProcedure
  .meta({
    scope: 'pmo:write',
    openapi: {
      method: 'POST',
      path: '/pmo/curation/courses/{id}/approve',
      tags: ['pmo'],
      summary: 'Approve what is in review',
      description:
        'A new course is published; an edit of a published course replaces the published content atomically (version + 1).',
      protect: true,
    },
  })
  .input(ZApproveInputSchema)
  .output(ZCourseSchema)
  .mutation(({ ctx, input }) =>
    approveCourse({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
  );
