import { ZVoucherIdInputSchema, ZVoucherSchema } from '@latih/contracts';
import { cancelVoucher } from '@latih/core';
import { platformProcedure } from '../../../trpc';

export const cancelVoucherRoute = platformProcedure
  .meta({
    scope: 'orders:write',
    openapi: {
      method: 'POST',
      path: '/platform/vouchers/{id}/cancel',
      tags: ['platform'],
      summary: 'Cancel an unredeemed voucher: refund and free the seat',
      description:
        "ISSUED → CANCELLED: the price returns to the participant's balance through the ledger and the seat to the run. A redeemed voucher answers VOUCHER_NOT_CANCELLABLE.",
      protect: true,
    },
  })
  .input(ZVoucherIdInputSchema)
  .output(ZVoucherSchema)
  .mutation(({ ctx, input }) =>
    cancelVoucher({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
  );
