import { ZCourseIdInputSchema, ZCurationReviewSchema } from '@latih/contracts';
import { getReview } from '@latih/core';
import { pmoProcedure } from '../../../trpc';

export const getReviewRoute = pmoProcedure
  .meta({
    scope: 'pmo:read',
    openapi: {
      method: 'GET',
      path: '/pmo/curation/courses/{id}',
      tags: ['pmo'],
      summary: 'A course under review, with its runs and indicator checklist',
      description:
        'The automatic indicators (scheme rules, outcomes, schedule, venues, price per hour, duplicates …) are computed on the content under review. They inform; they do not decide.',
      protect: true,
    },
  })
  .input(ZCourseIdInputSchema)
  .output(ZCurationReviewSchema)
  .query(({ ctx, input }) => getReview({ db: ctx.db, actor: ctx.actor, id: input.id, now: ctx.now }));
