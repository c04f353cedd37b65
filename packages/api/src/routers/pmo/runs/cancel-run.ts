import { ZCancelRunInputSchema, ZRunSchema } from '@latih/contracts';
import { cancelRun } from '@latih/core';
import { pmoProcedure } from '../../../trpc';

export const pmoCancelRunRoute = pmoProcedure
  .meta({
    scope: 'pmo:write',
    openapi: {
      method: 'POST',
      path: '/pmo/runs/{id}/cancel',
      tags: ['pmo'],
      summary: 'Cancel any run',
      description: 'As the provider can, with a recorded reason; writes run.cancelled.',
      protect: true,
    },
  })
  .input(ZCancelRunInputSchema)
  .output(ZRunSchema)
  .mutation(({ ctx, input }) =>
    cancelRun({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
  );
