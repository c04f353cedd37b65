import { ZVerificationLinkInputSchema, ZVerificationLinkSchema } from '@latih/contracts';
import { createVerificationLink } from '@latih/core';
import { servicesOf } from '../../../context';
import { providerProcedure } from '../../../trpc';

export const verificationLinkRoute = providerProcedure
  .meta({
    scope: 'reports:write',
    openapi: {
      method: 'POST',
      path: '/provider/attendance/verification-link',
      tags: ['provider'],
      summary: 'Hand the participant to the program’s identity check for one session',
      description:
        'Returns a single-use URL, valid 15 minutes, of a page the gateway serves to the participant. Their answer is recorded as FACE_MATCH attendance (CONFIRMED, or REJECTED with a reason) and they are sent to redirectUri with state, result, enrollment_id, sequence (and reason). redirectUri must exactly match one you registered.',
      protect: true,
    },
  })
  .input(ZVerificationLinkInputSchema)
  .output(ZVerificationLinkSchema)
  .mutation(({ ctx, input }) =>
    createVerificationLink({
      db: ctx.db,
      actor: ctx.actor,
      requestId: ctx.requestId,
      input,
      now: ctx.now,
      baseUrl: servicesOf(ctx).tokens.issuer(),
    }),
  );
