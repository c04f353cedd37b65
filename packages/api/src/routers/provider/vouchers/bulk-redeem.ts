import { ZBulkRedeemInputSchema, ZBulkRedeemResultSchema } from '@latih/contracts';
import { bulkRedeem } from '@latih/core';
import { providerProcedure } from '../../../trpc';

export const bulkRedeemRoute = providerProcedure
  .meta({
    scope: 'vouchers:redeem',
    openapi: {
      method: 'POST',
      path: '/provider/vouchers/redeem-bulk',
      tags: ['provider'],
      summary: 'Redeem up to 100 vouchers at the door',
      description:
        'For a luring class checking people in: each code is redeemed or refused on its own, with its refusal code.',
      protect: true,
    },
  })
  .input(ZBulkRedeemInputSchema)
  .output(ZBulkRedeemResultSchema)
  .mutation(({ ctx, input }) =>
    bulkRedeem({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
  );
