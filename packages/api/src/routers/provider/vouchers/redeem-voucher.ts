import { ZEnrollmentSchema, ZRedeemVoucherInputSchema } from '@latih/contracts';
import { redeemVoucher } from '@latih/core';
import { providerProcedure } from '../../../trpc';

export const redeemVoucherRoute = providerProcedure
  .meta({
    scope: 'vouchers:redeem',
    openapi: {
      method: 'POST',
      path: '/provider/vouchers/redeem',
      tags: ['provider'],
      summary: 'Redeem a voucher: the participant starts training',
      description:
        'Exactly once, whatever the concurrency. Typed refusals: CODE_MALFORMED, VOUCHER_NOT_FOUND, VOUCHER_OTHER_PROVIDER, VOUCHER_WRONG_COURSE, VOUCHER_CANCELLED, VOUCHER_EXPIRED, VOUCHER_ALREADY_REDEEMED, REDEMPTION_WINDOW_NOT_OPEN, REDEMPTION_WINDOW_CLOSED.',
      protect: true,
    },
  })
  .input(ZRedeemVoucherInputSchema)
  .output(ZEnrollmentSchema)
  .mutation(({ ctx, input }) =>
    redeemVoucher({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
  );
