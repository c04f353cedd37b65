import { ZEnrollmentProgressSchema, ZPostTestInputSchema } from '@latih/contracts';
import { recordPostTest } from '@latih/core';
import { providerProcedure } from '../../../trpc';

export const recordPostTestRoute = providerProcedure
  .meta({
    scope: 'reports:write',
    openapi: {
      method: 'POST',
      path: '/provider/post-tests',
      tags: ['provider'],
      summary: 'Record a post-test score',
      description: "0 to 100. Answers the enrollment's progress against the completion rule.",
      protect: true,
    },
  })
  .input(ZPostTestInputSchema)
  .output(ZEnrollmentProgressSchema)
  .mutation(({ ctx, input }) =>
    recordPostTest({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
  );
