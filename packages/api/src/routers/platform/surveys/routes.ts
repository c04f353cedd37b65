import {
  ZAnswerSurveyInputSchema,
  ZOpenSurveysInputSchema,
  ZOpenSurveysSchema,
  ZSurveyReceiptSchema,
} from '@latih/contracts';
import { answerSurvey, openSurveys } from '@latih/core';
import { platformProcedure, router } from '../../../trpc';

/** platform.surveys.*: the program's surveys, answered by participants through their platform. */
export const platformSurveysRouter = router({
  open: platformProcedure
    .meta({
      scope: 'orders:write',
      openapi: {
        method: 'GET',
        path: '/platform/surveys',
        tags: ['platform'],
        summary: 'The surveys open to a participant now',
        description:
          'For the participant your voucher `voucherId` was sold to: the surveys of their scheme open now, that they have not answered and whose audience they are in (a training completed on a voucher you sold; the cohort range), each with what answering pays. NOT_FOUND for a voucher that is not yours.',
        protect: true,
      },
    })
    .input(ZOpenSurveysInputSchema)
    .output(ZOpenSurveysSchema)
    .query(({ ctx, input }) => openSurveys({ db: ctx.db, actor: ctx.actor, now: ctx.now, input })),
  answer: platformProcedure
    .meta({
      scope: 'orders:write',
      openapi: {
        method: 'POST',
        path: '/platform/surveys/{surveyId}/answers',
        tags: ['platform'],
        summary: 'Record a participant’s answers to a survey, with their consent',
        description:
          "One answer per question; `consent` must be true (recorded with its time). The participant's first answers to a survey earn the scheme's survey incentive (at most `surveyIncentive.times` per participant), paid by the program to their payout account; a second answer to the same survey is refused (SURVEY_ALREADY_ANSWERED) and never paid. Answers are reported to the program only in aggregate. Send an Idempotency-Key.",
        protect: true,
      },
    })
    .input(ZAnswerSurveyInputSchema)
    .output(ZSurveyReceiptSchema)
    .mutation(({ ctx, input }) =>
      answerSurvey({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, now: ctx.now, input }),
    ),
});
