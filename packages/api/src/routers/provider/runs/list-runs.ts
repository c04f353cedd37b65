import { ZListRunsInputSchema, ZRunPageSchema } from '@latih/contracts';
import { listRuns } from '@latih/core';
import { providerProcedure } from '../../../trpc';

export const listRunsRoute = providerProcedure
  .meta({
    scope: 'catalog:read',
    openapi: {
      method: 'GET',
      path: '/provider/runs',
      tags: ['provider'],
      summary: 'List your runs',
      description: 'Newest first, cursor-paginated; filter by course and status.',
      protect: true,
    },
  })
  .input(ZListRunsInputSchema.optional())
  .output(ZRunPageSchema)
  .query(({ ctx, input }) =>
    listRuns({ db: ctx.db, actor: ctx.actor, input: input ?? ZListRunsInputSchema.parse({}) }),
  );
