import { ZRunIdInputSchema, ZRunSchema } from '@latih/contracts';
import { openRun } from '@latih/core';
import { providerProcedure } from '../../../trpc';

export const openRunRoute = providerProcedure
  .meta({
    scope: 'catalog:write',
    openapi: {
      method: 'POST',
      path: '/provider/runs/{id}/open',
      tags: ['provider'],
      summary: 'Put a run on sale',
      description: 'SCHEDULED → OPEN (or FULL). The course must be PUBLISHED.',
      protect: true,
    },
  })
  .input(ZRunIdInputSchema)
  .output(ZRunSchema)
  .mutation(({ ctx, input }) =>
    openRun({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
  );
