import { ZConfirmCheckoutInputSchema, ZConfirmCheckoutResultSchema } from '@latih/contracts';
import { confirmCheckout } from '@latih/core';
import { platformProcedure } from '../../../trpc';

export const confirmCheckoutRoute = platformProcedure
  .meta({
    scope: 'orders:write',
    openapi: {
      method: 'POST',
      path: '/platform/checkouts/{id}/confirm',
      tags: ['platform'],
      summary: 'Confirm with the participant’s code: debit, seat and voucher, atomically',
      description:
        'Debits the balance, takes a seat and issues the voucher in one transaction, and returns the voucher code once. Codes expire after 10 minutes; each wrong code counts (OTP_INVALID) and the fifth locks the checkout (OTP_LOCKED).',
      protect: true,
    },
  })
  .input(ZConfirmCheckoutInputSchema)
  .output(ZConfirmCheckoutResultSchema)
  .mutation(({ ctx, input }) =>
    confirmCheckout({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
  );
