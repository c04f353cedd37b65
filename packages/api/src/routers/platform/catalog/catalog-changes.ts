import { ZCatalogChangesInputSchema, ZCatalogChangesSchema } from '@latih/contracts';
import { catalogChanges } from '@latih/core';
import type { ApiMeta } from '../../../meta';
import { platformProcedure } from '../../../trpc';

/** Who may read the feed and where it is read; shared with its REST page (raw-pages.ts). */
export const CATALOG_CHANGES_META = { scope: 'catalog:read', reads: 'replica' } as const satisfies ApiMeta;

export const catalogChangesRoute = platformProcedure
  .meta({
    ...CATALOG_CHANGES_META,
    openapi: {
      method: 'GET',
      path: '/platform/catalog/changes',
      tags: ['platform'],
      summary: 'The catalog change feed',
      description:
        "Upserts (the course as it is now, with its runs on sale and seat availability) and tombstones (no longer on sale) after `since`, in one total order. Store nextCursor and call again: you never miss a change, even one whose transaction committed late. Answers ETag; send If-None-Match to get 304 when nothing changed. Over REST, the Latih-Next-Cursor and Latih-Has-More headers repeat nextCursor and hasMore, so a client may ask for the next page before it has parsed this one (the SDK's catalog.sync does).",
      protect: true,
    },
  })
  .input(ZCatalogChangesInputSchema.optional())
  .output(ZCatalogChangesSchema)
  .query(({ ctx, input }) =>
    catalogChanges({ db: ctx.db, input: input ?? ZCatalogChangesInputSchema.parse({}) }),
  );
