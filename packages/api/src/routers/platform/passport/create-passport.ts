import { ZCreatePassportInputSchema, ZPassportSchema } from '@latih/contracts';
import { createPassport } from '@latih/core';
import { servicesOf } from '../../../context';
import { platformProcedure } from '../../../trpc';

export const createPassportRoute = platformProcedure
  .meta({
    scope: 'orders:write',
    openapi: {
      method: 'POST',
      path: '/platform/passports',
      tags: ['platform'],
      summary: 'Gather a participant’s certificates into a signed skills passport',
      description:
        'For the participant your voucher `voucherId` was sold to: a W3C Verifiable Presentation holding the Open Badges 3.0 credential of every valid certificate of a training they bought through you (of all their trainings with `consent`: see platform.passport.requestConsent), exactly as issued, signed by the program (ecdsa-jcs-2019). Give it to the participant to share; anyone checks it offline with the SDK’s verifyPassport (each certificate’s proof, the presentation’s proof and each revocation bit in the status lists). No NIK, card number or participant id in it. NOT_FOUND for a voucher that is not yours (or a consent that is not yours for this participant); PASSPORT_EMPTY when there is no valid certificate yet; a wrong code counts (OTP_INVALID, the fifth OTP_LOCKED), an old one is OTP_EXPIRED, a used consent INVALID_STATE. The guide: docs/guides/skills-passport.md.',
      protect: true,
    },
  })
  .input(ZCreatePassportInputSchema)
  .output(ZPassportSchema)
  .mutation(({ ctx, input }) =>
    createPassport({
      db: ctx.db,
      actor: ctx.actor,
      requestId: ctx.requestId,
      input,
      signer: servicesOf(ctx).tokens.credentialSigner(),
      now: ctx.now,
    }),
  );
