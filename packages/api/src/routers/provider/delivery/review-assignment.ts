import { ZAssignmentSubmissionSchema, ZReviewAssignmentInputSchema } from '@latih/contracts';
import { reviewAssignment } from '@latih/core';
import { providerProcedure } from '../../../trpc';

export const reviewAssignmentRoute = providerProcedure
  .meta({
    scope: 'reports:write',
    openapi: {
      method: 'POST',
      path: '/provider/assignments/review',
      tags: ['provider'],
      summary: 'Give feedback on a submitted task',
      description:
        'Feedback (notes, optionally a file) and the verdict, ACCEPTED or FAILED, on one task: a practical task (TPM, sequence 1–998) or the skills demonstration (UK, 999). A resubmission starts the review over.',
      protect: true,
    },
  })
  .input(ZReviewAssignmentInputSchema)
  .output(ZAssignmentSubmissionSchema)
  .mutation(({ ctx, input }) =>
    reviewAssignment({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
  );
