import { ZRunSchema, ZUpdateRunInputSchema } from '@latih/contracts';
import { updateRun } from '@latih/core';
import { providerProcedure } from '../../../trpc';

export const updateRunRoute = providerProcedure
  .meta({
    scope: 'catalog:write',
    openapi: {
      method: 'PATCH',
      path: '/provider/runs/{id}',
      tags: ['provider'],
      summary: 'Change a run’s capacity or schedule',
      description:
        'While SCHEDULED, OPEN or FULL. The schedule can change only before any seat is sold; capacity never below the seats sold.',
      protect: true,
    },
  })
  .input(ZUpdateRunInputSchema)
  .output(ZRunSchema)
  .mutation(({ ctx, input }) =>
    updateRun({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
  );
