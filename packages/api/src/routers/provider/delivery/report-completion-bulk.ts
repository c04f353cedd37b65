import { ZBulkCompletionInputSchema, ZBulkCompletionResultSchema } from '@latih/contracts';
import { reportCompletionBulk } from '@latih/core';
import { servicesOf } from '../../../context';
import { providerProcedure } from '../../../trpc';

export const reportCompletionBulkRoute = providerProcedure
  .meta({
    scope: 'reports:write',
    openapi: {
      method: 'POST',
      path: '/provider/completions/bulk',
      tags: ['provider'],
      summary: 'Report up to 1 000 outcomes',
      description:
        'Each checked against the completion rule and answered per item; each COMPLETED issues its certificate.',
      protect: true,
    },
  })
  .input(ZBulkCompletionInputSchema)
  .output(ZBulkCompletionResultSchema)
  .mutation(({ ctx, input }) =>
    reportCompletionBulk({
      db: ctx.db,
      actor: ctx.actor,
      requestId: ctx.requestId,
      input,
      now: ctx.now,
      signer: servicesOf(ctx).tokens.credentialSigner(),
    }),
  );
