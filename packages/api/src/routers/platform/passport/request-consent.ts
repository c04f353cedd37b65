import { ZPassportConsentSchema, ZRequestPassportConsentInputSchema } from '@latih/contracts';
import { requestPassportConsent } from '@latih/core';
import { servicesOf } from '../../../context';
import { platformProcedure } from '../../../trpc';

export const requestPassportConsentRoute = platformProcedure
  .meta({
    scope: 'orders:write',
    openapi: {
      method: 'POST',
      path: '/platform/passports/consents',
      tags: ['platform'],
      summary: 'Ask the participant’s consent to gather all their certificates: they receive a one-time code',
      description:
        'For the participant your voucher `voucherId` was sold to. Pass the id and the code they received as `consent` to platform.passport.create: the passport then holds every certificate of theirs, those of trainings bought through other platforms too. Codes expire after 10 minutes; single use; at most 3 asked per participant per hour, by all platforms together (PASSPORT_CONSENTS_TOO_MANY).',
      protect: true,
    },
  })
  .input(ZRequestPassportConsentInputSchema)
  .output(ZPassportConsentSchema)
  .mutation(({ ctx, input }) =>
    requestPassportConsent({
      db: ctx.db,
      actor: ctx.actor,
      requestId: ctx.requestId,
      input,
      otp: servicesOf(ctx).otp,
      now: ctx.now,
    }),
  );
