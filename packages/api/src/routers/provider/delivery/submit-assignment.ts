import { ZEnrollmentProgressSchema, ZSubmitAssignmentInputSchema } from '@latih/contracts';
import { submitAssignment } from '@latih/core';
import { providerProcedure } from '../../../trpc';

export const submitAssignmentRoute = providerProcedure
  .meta({
    scope: 'reports:write',
    openapi: {
      method: 'POST',
      path: '/provider/assignments',
      tags: ['provider'],
      summary: 'Submit the skills-demonstration task',
      description:
        "The task's URL and a sha256 hash of its content, with optional feedback to the participant. Answers the enrollment's progress.",
      protect: true,
    },
  })
  .input(ZSubmitAssignmentInputSchema)
  .output(ZEnrollmentProgressSchema)
  .mutation(({ ctx, input }) =>
    submitAssignment({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
  );
