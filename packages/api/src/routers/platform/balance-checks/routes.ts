import {
  ZBalanceCheckSchema,
  ZConfirmBalanceCheckInputSchema,
  ZParticipantBalanceSchema,
  ZStartBalanceCheckInputSchema,
} from '@latih/contracts';
import { confirmBalanceCheck, startBalanceCheck } from '@latih/core';
import { servicesOf } from '../../../context';
import { platformProcedure, router } from '../../../trpc';

/** `platform.balanceChecks.*`: a participant's remaining balance, with the participant's consent. */
export const platformBalanceChecksRouter = router({
  start: platformProcedure
    .meta({
      scope: 'orders:write',
      openapi: {
        method: 'POST',
        path: '/platform/balance-checks',
        tags: ['platform'],
        summary: "Ask for a participant's remaining balance: the participant receives a one-time code",
        description:
          'The same answer for every well-formed card number (only a participant receives a code), so it cannot be used to find out which numbers are cards. At most 3 checks per card per hour, by all platforms together (BALANCE_CHECKS_TOO_MANY). Nothing is shown until confirm.',
        protect: true,
      },
    })
    .input(ZStartBalanceCheckInputSchema)
    .output(ZBalanceCheckSchema)
    .mutation(({ ctx, input }) => {
      const s = servicesOf(ctx);
      return startBalanceCheck({
        db: ctx.db,
        actor: ctx.actor,
        requestId: ctx.requestId,
        input,
        now: ctx.now,
        otp: s.otp,
        nikKey: s.nikHashKey,
      });
    }),
  confirm: platformProcedure
    .meta({
      scope: 'orders:write',
      openapi: {
        method: 'POST',
        path: '/platform/balance-checks/{id}/confirm',
        tags: ['platform'],
        summary: "The participant's code: their remaining balance and purchase deadline",
        description:
          'Answered once. A wrong code counts (the fifth locks the check); a card that is no participant’s answers as a wrong code does. Codes expire after 10 minutes.',
        protect: true,
      },
    })
    .input(ZConfirmBalanceCheckInputSchema)
    .output(ZParticipantBalanceSchema)
    .mutation(({ ctx, input }) =>
      confirmBalanceCheck({
        db: ctx.db,
        actor: ctx.actor,
        requestId: ctx.requestId,
        input,
        now: ctx.now,
        nikKey: servicesOf(ctx).nikHashKey,
      }),
    ),
});
