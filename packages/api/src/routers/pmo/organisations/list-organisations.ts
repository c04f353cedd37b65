import { pageOf, ZListOrganisationsInputSchema, ZOrganisationSchema } from '@latih/contracts';
import { listOrganisations } from '@latih/core';
import { pmoProcedure } from '../../../trpc';

export const listOrganisationsRoute = pmoProcedure
  .meta({
    scope: 'pmo:read',
    openapi: {
      method: 'GET',
      path: '/pmo/organisations',
      tags: ['pmo'],
      summary: 'List organisations',
      description: 'Providers, platforms and the PMO itself; filter by kind and status.',
      protect: true,
    },
  })
  .input(ZListOrganisationsInputSchema.optional())
  .output(pageOf(ZOrganisationSchema))
  .query(({ ctx, input }) =>
    listOrganisations({
      db: ctx.db,
      actor: ctx.actor,
      input: input ?? ZListOrganisationsInputSchema.parse({}),
    }),
  );
