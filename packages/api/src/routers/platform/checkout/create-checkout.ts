import { ZCheckoutSchema, ZCreateCheckoutInputSchema } from '@latih/contracts';
import { createCheckout } from '@latih/core';
import { servicesOf } from '../../../context';
import { platformProcedure } from '../../../trpc';

export const createCheckoutRoute = platformProcedure
  .meta({
    scope: 'orders:write',
    openapi: {
      method: 'POST',
      path: '/platform/checkouts',
      tags: ['platform'],
      summary: 'Start a purchase: the participant receives a one-time code',
      description:
        "For the participant's card number and a course (and run, for courses with runs). Checks the participant is active and within the purchase window, the course is on sale in the participant's scheme, the run is open, the balance covers the price and the course was not bought before. Nothing is charged until confirm.",
      protect: true,
    },
  })
  .input(ZCreateCheckoutInputSchema)
  .output(ZCheckoutSchema)
  .mutation(({ ctx, input }) =>
    createCheckout({
      db: ctx.db,
      actor: ctx.actor,
      requestId: ctx.requestId,
      input,
      now: ctx.now,
      otp: servicesOf(ctx).otp,
    }),
  );
