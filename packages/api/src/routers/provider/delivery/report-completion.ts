import { ZCompletionInputSchema, ZEnrollmentProgressSchema } from '@latih/contracts';
import { reportCompletion } from '@latih/core';
import { servicesOf } from '../../../context';
import { providerProcedure } from '../../../trpc';

export const reportCompletionRoute = providerProcedure
  .meta({
    scope: 'reports:write',
    openapi: {
      method: 'POST',
      path: '/provider/completions',
      tags: ['provider'],
      summary: 'Report an outcome: COMPLETED or NOT_COMPLETED',
      description:
        "COMPLETED only when the course's completion rule is met; otherwise refused with what is missing (ATTENDANCE_INCOMPLETE, ASSIGNMENT_MISSING, POST_TEST_FAILED). The voucher becomes COMPLETED or NOT_COMPLETED; COMPLETED issues the signed certificate (certificateNumber).",
      protect: true,
    },
  })
  .input(ZCompletionInputSchema)
  .output(ZEnrollmentProgressSchema)
  .mutation(({ ctx, input }) =>
    reportCompletion({
      db: ctx.db,
      actor: ctx.actor,
      requestId: ctx.requestId,
      input,
      now: ctx.now,
      signer: servicesOf(ctx).tokens.credentialSigner(),
    }),
  );
