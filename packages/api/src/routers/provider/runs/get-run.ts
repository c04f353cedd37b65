import { ZRunIdInputSchema, ZRunSchema } from '@latih/contracts';
import { getRun } from '@latih/core';
import { providerProcedure } from '../../../trpc';

export const getRunRoute = providerProcedure
  .meta({
    scope: 'catalog:read',
    openapi: {
      method: 'GET',
      path: '/provider/runs/{id}',
      tags: ['provider'],
      summary: 'Get one of your runs',
      description: 'With its sessions, venues and meeting links.',
      protect: true,
    },
  })
  .input(ZRunIdInputSchema)
  .output(ZRunSchema)
  .query(({ ctx, input }) => getRun({ db: ctx.db, actor: ctx.actor, id: input.id }));
