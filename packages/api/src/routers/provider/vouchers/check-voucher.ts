import { ZCheckVoucherInputSchema, ZVoucherCheckSchema } from '@latih/contracts';
import { checkVoucher } from '@latih/core';
import { providerProcedure } from '../../../trpc';

export const checkVoucherRoute = providerProcedure
  .meta({
    scope: 'vouchers:redeem',
    openapi: {
      method: 'POST',
      path: '/provider/vouchers/check',
      tags: ['provider'],
      summary: 'Check a voucher code (no side effect)',
      description:
        "The voucher's state, course and run, its redemption window, and the refusal redeem would give now. A typo is CODE_MALFORMED before any lookup. POST so that the code stays out of URLs and logs.",
      protect: true,
    },
  })
  .input(ZCheckVoucherInputSchema)
  .output(ZVoucherCheckSchema)
  .mutation(({ ctx, input }) => checkVoucher({ db: ctx.db, actor: ctx.actor, input, now: ctx.now }));
