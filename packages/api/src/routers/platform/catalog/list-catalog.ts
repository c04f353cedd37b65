import { ZCatalogPageSchema, ZListCatalogInputSchema } from '@latih/contracts';
import { listCatalog } from '@latih/core';
import { platformProcedure } from '../../../trpc';

export const listCatalogRoute = platformProcedure
  .meta({
    scope: 'catalog:read',
    reads: 'replica',
    openapi: {
      method: 'GET',
      path: '/platform/catalog/courses',
      tags: ['platform'],
      summary: 'List courses on sale',
      description:
        'Published courses of active providers, newest first, with their runs on sale (seat availability, schedule, venue regency); filter by mode, category and province. Meeting links are never included.',
      protect: true,
    },
  })
  .input(ZListCatalogInputSchema.optional())
  .output(ZCatalogPageSchema)
  .query(({ ctx, input }) => listCatalog({ db: ctx.db, input: input ?? ZListCatalogInputSchema.parse({}) }));
