import { ZReviewSchema, ZSubmitReviewInputSchema } from '@latih/contracts';
import { submitReview } from '@latih/core';
import { platformProcedure } from '../../../trpc';

export const submitReviewRoute = platformProcedure
  .meta({
    scope: 'orders:write',
    openapi: {
      method: 'POST',
      path: '/platform/reviews',
      tags: ['platform'],
      summary: 'Submit the participant’s review of a completed training',
      description:
        'One per completed enrollment, for a voucher you sold: 1–5 stars and text. The course’s and provider’s rating in the catalog and its feed change at once.',
      protect: true,
    },
  })
  .input(ZSubmitReviewInputSchema)
  .output(ZReviewSchema)
  .mutation(({ ctx, input }) =>
    submitReview({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
  );
