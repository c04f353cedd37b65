import { ZCatalogChangesInputSchema } from '@latih/contracts';
import { catalogChangesPage } from '@latih/core';
import { CATALOG_CHANGES_META } from './routers/platform/catalog/catalog-changes';
import { createCallerFactory, platformProcedure, router } from './trpc';

/*
 * Procedures whose answer is already JSON text, for the gateway to write as it is: the same
 * middleware as the public procedure of the same path (authentication, role, scope, replica reads,
 * error mapping), without tRPC's output check and serialisation of a page it would only re-encode.
 * Not part of appRouter: not on /trpc, and the OpenAPI document describes them through the
 * appRouter procedure they answer for (docs/adr/0009).
 */
const rawRouter = router({
  /** GET /v1/platform/catalog/changes: the page with the stored courses spliced in. */
  catalogChanges: platformProcedure
    .meta(CATALOG_CHANGES_META)
    .input(ZCatalogChangesInputSchema.optional())
    .query(({ ctx, input }) =>
      catalogChangesPage({ db: ctx.db, input: input ?? ZCatalogChangesInputSchema.parse({}) }),
    ),
});

export const createRawCaller = createCallerFactory(rawRouter);
