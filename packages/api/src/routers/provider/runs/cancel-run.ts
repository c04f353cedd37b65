import { ZCancelRunInputSchema, ZRunSchema } from '@latih/contracts';
import { cancelRun } from '@latih/core';
import { providerProcedure } from '../../../trpc';

export const cancelRunRoute = providerProcedure
  .meta({
    scope: 'catalog:write',
    openapi: {
      method: 'POST',
      path: '/provider/runs/{id}/cancel',
      tags: ['provider'],
      summary: 'Cancel a run',
      description:
        'Any state but FINISHED or CANCELLED, with a reason. Writes run.cancelled, from which sold vouchers are refunded.',
      protect: true,
    },
  })
  .input(ZCancelRunInputSchema)
  .output(ZRunSchema)
  .mutation(({ ctx, input }) =>
    cancelRun({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
  );
