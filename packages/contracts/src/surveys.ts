import { z } from 'zod';
import { pageOf, ZPageInputSchema, ZRupiahSchema, ZTimestampSchema } from './common';
import { idSchema } from './ids';

/*
 * Surveys paid with incentives (issue 22, must-show 2; docs/guides/surveys.md). The PMO defines a
 * survey per scheme: closed questions only (one choice among options, or a 1–5 scale: free text
 * cannot be reported in aggregate safely), an audience and a window. Participants answer through a
 * platform that sold them a voucher, with their consent; each answer earns the scheme's survey
 * incentive (DESIGN §2: Rp50.000 × 3 in 2020–22, × 2 from 2023) until `times` are used, paid by the
 * incentive machinery. Answers are reported only in aggregate, small cells suppressed.
 */

/** A question or option id: short, stable, chosen by the PMO (e.g. `q1`, `useful`). */
const keySchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, { message: 'Lower-case letters, digits, _ and -, at most 40' })
  .meta({ example: 'q1' });

export const SURVEY_QUESTION_KINDS = ['SINGLE_CHOICE', 'SCALE'] as const;
export const SURVEY_STATUSES = ['SCHEDULED', 'OPEN', 'CLOSED'] as const;

export const ZSurveyOptionSchema = z
  .object({ id: keySchema, label: z.string().trim().min(1).max(200) })
  .meta({ id: 'SurveyOption' });

export const ZSurveyQuestionSchema = z
  .object({
    id: keySchema,
    text: z.string().trim().min(1).max(500),
    kind: z.enum(SURVEY_QUESTION_KINDS).meta({
      description: 'SINGLE_CHOICE: one of `options`; SCALE: a score from 1 to 5 (no options)',
    }),
    options: z
      .array(ZSurveyOptionSchema)
      .max(20)
      .default([])
      .meta({ description: 'SINGLE_CHOICE: 2 to 20 options with distinct ids; SCALE: none' }),
  })
  .superRefine((q, ctx) => {
    if (q.kind === 'SINGLE_CHOICE' && q.options.length < 2)
      ctx.addIssue({
        code: 'custom',
        path: ['options'],
        message: 'A single-choice question has 2 to 20 options',
      });
    if (q.kind === 'SCALE' && q.options.length > 0)
      ctx.addIssue({ code: 'custom', path: ['options'], message: 'A scale question (1–5) has no options' });
    const seen = new Set<string>();
    q.options.forEach((o, i) => {
      if (seen.has(o.id))
        ctx.addIssue({ code: 'custom', path: ['options', i, 'id'], message: 'Duplicate option id' });
      seen.add(o.id);
    });
  })
  .meta({ id: 'SurveyQuestion' });
export type TSurveyQuestion = z.infer<typeof ZSurveyQuestionSchema>;

export const ZSurveyAudienceSchema = z
  .object({
    cohortFrom: z.number().int().min(1).optional().meta({ description: 'Lowest cohort (gelombang) asked' }),
    cohortTo: z.number().int().min(1).optional().meta({ description: 'Highest cohort (gelombang) asked' }),
  })
  .meta({
    id: 'SurveyAudience',
    description:
      "Who is asked: ACTIVE participants of the survey's scheme with a completed training (through the platform that asks), within the cohort range when one is given",
  });
export type TSurveyAudience = z.infer<typeof ZSurveyAudienceSchema>;

export const ZCreateSurveyInputSchema = z
  .object({
    schemeId: z.string().min(1).max(40).meta({ example: 'PRAKERJA_2023' }),
    title: z.string().trim().min(1).max(200),
    questions: z
      .array(ZSurveyQuestionSchema)
      .min(1)
      .max(30)
      .superRefine((qs, ctx) => {
        const seen = new Set<string>();
        qs.forEach((q, i) => {
          if (seen.has(q.id))
            ctx.addIssue({ code: 'custom', path: [i, 'id'], message: 'Duplicate question id' });
          seen.add(q.id);
        });
      }),
    audience: ZSurveyAudienceSchema.default({}),
    opensAt: ZTimestampSchema,
    closesAt: ZTimestampSchema,
  })
  .superRefine((s, ctx) => {
    if (Date.parse(s.closesAt) <= Date.parse(s.opensAt))
      ctx.addIssue({ code: 'custom', path: ['closesAt'], message: 'closesAt must be after opensAt' });
    const { cohortFrom, cohortTo } = s.audience;
    if (cohortFrom !== undefined && cohortTo !== undefined && cohortTo < cohortFrom)
      ctx.addIssue({
        code: 'custom',
        path: ['audience', 'cohortTo'],
        message: 'cohortTo is below cohortFrom',
      });
  });
export type TCreateSurveyInput = z.infer<typeof ZCreateSurveyInputSchema>;

export const ZSurveySchema = z
  .object({
    id: idSchema('survey'),
    schemeId: z.string(),
    title: z.string(),
    questions: z.array(ZSurveyQuestionSchema),
    audience: ZSurveyAudienceSchema,
    opensAt: ZTimestampSchema,
    closesAt: ZTimestampSchema,
    status: z.enum(SURVEY_STATUSES).meta({
      description:
        'By the program clock: SCHEDULED before opensAt, OPEN in the window, CLOSED after it or once closed',
    }),
    closedAt: ZTimestampSchema.nullable().meta({
      description: 'When the PMO closed it before its window ended',
    }),
    createdAt: ZTimestampSchema,
  })
  .meta({ id: 'Survey' });
export type TSurvey = z.infer<typeof ZSurveySchema>;

export const ZSurveyIdInputSchema = z.object({ surveyId: idSchema('survey') });
export const ZListSurveysInputSchema = ZPageInputSchema.extend({
  schemeId: z.string().min(1).max(40).optional(),
  status: z.enum(SURVEY_STATUSES).optional(),
});
export const ZSurveyPageSchema = pageOf(ZSurveySchema);

/* ---------- platforms ---------- */

export const ZOpenSurveysInputSchema = z.object({
  voucherId: idSchema('voucher').meta({
    description:
      'A voucher you sold: the participant it was sold to is the one asked about (no card number or other personal data in the request)',
  }),
});

export const ZOpenSurveySchema = z
  .object({
    survey: ZSurveySchema,
    incentiveAmount: ZRupiahSchema.nullable().meta({
      description:
        "What answering pays the participant (the scheme's survey incentive), or null when their survey incentives are used up",
    }),
  })
  .meta({ id: 'OpenSurvey' });
export const ZOpenSurveysSchema = z.object({ items: z.array(ZOpenSurveySchema) });
export type TOpenSurveys = z.infer<typeof ZOpenSurveysSchema>;

export const ZSurveyAnswerSchema = z
  .object({
    questionId: keySchema,
    optionId: keySchema.optional().meta({ description: 'SINGLE_CHOICE: the option chosen' }),
    score: z.number().int().min(1).max(5).optional().meta({ description: 'SCALE: 1 to 5' }),
  })
  .meta({ id: 'SurveyAnswer' });

export const ZAnswerSurveyInputSchema = z.object({
  voucherId: idSchema('voucher').meta({
    description: 'A voucher you sold, naming the participant who answers',
  }),
  surveyId: idSchema('survey'),
  consent: z.boolean().meta({
    description:
      'The participant agreed to take part and to the use of their answers in aggregate statistics. Must be true; recorded with its time',
  }),
  answers: z
    .array(ZSurveyAnswerSchema)
    .min(1)
    .max(30)
    .meta({ description: 'One answer for every question of the survey' }),
});
export type TAnswerSurveyInput = z.infer<typeof ZAnswerSurveyInputSchema>;

export const ZSurveyReceiptSchema = z
  .object({
    responseId: idSchema('surveyResponse'),
    surveyId: idSchema('survey'),
    consentAt: ZTimestampSchema,
    answeredAt: ZTimestampSchema,
    incentiveAmount: ZRupiahSchema.nullable().meta({
      description:
        'The survey incentive this answer earned the participant (paid by the program to their payout account), or null when their survey incentives were already used up',
    }),
  })
  .meta({ id: 'SurveyReceipt' });
export type TSurveyReceipt = z.infer<typeof ZSurveyReceiptSchema>;

/* ---------- results ---------- */

export const ZSurveyResultCellSchema = z
  .object({
    value: z.string().meta({ description: 'The option id (SINGLE_CHOICE) or the score "1"…"5" (SCALE)' }),
    label: z.string(),
    count: z.number().int().nullable().meta({
      description:
        'Participants who answered so; null when withheld (a small cell, or one that would give a small cell away)',
    }),
  })
  .meta({ id: 'SurveyResultCell' });

export const ZSurveyResultsSchema = z
  .object({
    surveyId: idSchema('survey'),
    title: z.string(),
    status: z.enum(SURVEY_STATUSES),
    responses: z.number().int().nullable().meta({
      description:
        'Participants who answered; null while 1 to `suppressedBelow` − 1 (every count is then withheld too); 0 with no answer yet',
    }),
    suppressedBelow: z.number().int().meta({
      description: 'Cells counting 1 to this minus one are withheld (the statistics threshold); a 0 never is',
    }),
    questions: z.array(
      z.object({
        questionId: z.string(),
        text: z.string(),
        kind: z.enum(SURVEY_QUESTION_KINDS),
        cells: z.array(ZSurveyResultCellSchema),
      }),
    ),
  })
  .meta({ id: 'SurveyResults' });
export type TSurveyResults = z.infer<typeof ZSurveyResultsSchema>;
