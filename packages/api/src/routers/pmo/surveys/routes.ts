import {
  ZCreateSurveyInputSchema,
  ZListSurveysInputSchema,
  ZSurveyIdInputSchema,
  ZSurveyPageSchema,
  ZSurveyResultsSchema,
  ZSurveySchema,
} from '@latih/contracts';
import { closeSurvey, createSurvey, getSurveyById, listSurveys, surveyResults } from '@latih/core';
import { pmoProcedure, router } from '../../../trpc';

const tags = ['pmo', 'surveys'];

/** pmo.surveys.*: define surveys per scheme, close them, read their results in aggregate. */
export const pmoSurveysRouter = router({
  create: pmoProcedure
    .meta({
      scope: 'pmo:write',
      openapi: {
        method: 'POST',
        path: '/pmo/surveys',
        tags,
        summary: 'Define a survey for a scheme',
        description:
          "Closed questions only (SINGLE_CHOICE with 2–20 options, or a 1–5 SCALE), an audience (ACTIVE participants of the scheme with a completed training, optionally a cohort range) and a window (opensAt, closesAt, UTC). Each answer earns the scheme's survey incentive until the participant has had `surveyIncentive.times` of them. Audited; every active platform gets a `survey.published` event. The method: docs/guides/surveys.md.",
        protect: true,
      },
    })
    .input(ZCreateSurveyInputSchema)
    .output(ZSurveySchema)
    .mutation(({ ctx, input }) =>
      createSurvey({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, now: ctx.now, input }),
    ),
  list: pmoProcedure
    .meta({
      scope: 'pmo:read',
      openapi: {
        method: 'GET',
        path: '/pmo/surveys',
        tags,
        summary: 'Surveys, newest first',
        description: 'Filter by scheme, or by status at the program clock (SCHEDULED, OPEN, CLOSED).',
        protect: true,
      },
    })
    .input(ZListSurveysInputSchema)
    .output(ZSurveyPageSchema)
    .query(({ ctx, input }) => listSurveys({ db: ctx.db, actor: ctx.actor, now: ctx.now, input })),
  get: pmoProcedure
    .meta({
      scope: 'pmo:read',
      openapi: {
        method: 'GET',
        path: '/pmo/surveys/{surveyId}',
        tags,
        summary: 'A survey',
        protect: true,
      },
    })
    .input(ZSurveyIdInputSchema)
    .output(ZSurveySchema)
    .query(({ ctx, input }) =>
      getSurveyById({ db: ctx.db, actor: ctx.actor, now: ctx.now, surveyId: input.surveyId }),
    ),
  close: pmoProcedure
    .meta({
      scope: 'pmo:write',
      openapi: {
        method: 'POST',
        path: '/pmo/surveys/{surveyId}/close',
        tags,
        summary: 'Close a survey before its window ends',
        description:
          'Answers are refused from now (SURVEY_NOT_OPEN); answers already given and their incentives stand. Closing a closed survey changes nothing. Audited; every active platform gets a `survey.closed` event.',
        protect: true,
      },
    })
    .input(ZSurveyIdInputSchema)
    .output(ZSurveySchema)
    .mutation(({ ctx, input }) =>
      closeSurvey({
        db: ctx.db,
        actor: ctx.actor,
        requestId: ctx.requestId,
        now: ctx.now,
        surveyId: input.surveyId,
      }),
    ),
  results: pmoProcedure
    .meta({
      scope: 'pmo:read',
      openapi: {
        method: 'GET',
        path: '/pmo/surveys/{surveyId}/results',
        tags,
        summary: 'A survey’s answers in aggregate, small cells withheld',
        description:
          'Per question, how many participants chose each option (or score). A cell counting 1 to `suppressedBelow` − 1 is withheld (null), and so is the next smallest of a question with only one withheld cell; 1 to `suppressedBelow` − 1 responses in all withhold everything (with none, `responses` and every count are 0). No answer per person is ever served.',
        protect: true,
      },
    })
    .input(ZSurveyIdInputSchema)
    .output(ZSurveyResultsSchema)
    .query(({ ctx, input }) =>
      surveyResults({ db: ctx.db, actor: ctx.actor, now: ctx.now, surveyId: input.surveyId }),
    ),
});
