import { ZCatalogChangesInputSchema, ZCatalogChangesSchema } from '@latih/contracts';
import { catalogChanges } from '@latih/core';
import { platformProcedure } from '../../../trpc';

export const catalogChangesRoute = platformProcedure
  .meta({
    scope: 'catalog:read',
    reads: 'replica',
    openapi: {
      method: 'GET',
      path: '/platform/catalog/changes',
      tags: ['platform'],
      summary: 'The catalog change feed',
      description:
        'Upserts (the course as it is now, with its runs on sale and seat availability) and tombstones (no longer on sale) after `since`, in one total order. Store nextCursor and call again: you never miss a change, even one whose transaction committed late. Answers ETag; send If-None-Match to get 304 when nothing changed.',
      protect: true,
    },
  })
  .input(ZCatalogChangesInputSchema.optional())
  .output(ZCatalogChangesSchema)
  .query(({ ctx, input }) =>
    catalogChanges({ db: ctx.db, input: input ?? ZCatalogChangesInputSchema.parse({}) }),
  );
