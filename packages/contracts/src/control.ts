import { z } from 'zod';
import { pageOf, ZPageInputSchema, ZTimestampSchema } from './common';
import { idSchema } from './ids';
import { CASE_OUTCOMES, CASE_STATUSES, SIGNAL_STATUSES, SIGNAL_TYPES } from './values';

/*
 * Fraud signals (explainable pointers, never sanctions) and control cases (the PMO's review of an
 * enrollment, a course or a provider, with evidence asked of the provider and a decision).
 */

export const ZSignalTypeSchema = z.enum(SIGNAL_TYPES);
export type TSignalType = z.infer<typeof ZSignalTypeSchema>;

export const SUBJECT_TYPES = ['ENROLLMENT', 'COURSE', 'PROVIDER'] as const;
export const ZSubjectTypeSchema = z.enum(SUBJECT_TYPES);
export type TSubjectType = z.infer<typeof ZSubjectTypeSchema>;

export const ZSignalSchema = z
  .object({
    id: idSchema('signal'),
    type: ZSignalTypeSchema,
    subjectType: ZSubjectTypeSchema,
    subjectId: z.string(),
    providerId: z.string().nullable(),
    score: z.number().int().min(0).max(100).meta({ description: '0–100: how strongly the pattern shows' }),
    summary: z.string().meta({ description: 'The pattern in one sentence, with its figures' }),
    scoring: z.string().meta({ description: 'How the score was computed from the evidence' }),
    evidence: z.array(z.record(z.string(), z.unknown())).meta({
      description:
        'The rows behind the signal (pseudonymous ids only), the most telling first; at most 100 (see evidenceTotal)',
    }),
    evidenceTotal: z.number().int().min(0).meta({
      description: 'How many rows there were in all: more than `evidence` lists when it was cut short',
    }),
    evidenceTruncated: z.boolean().meta({
      description: '`evidence` lists only the first rows of `evidenceTotal` (at most 100 are kept)',
    }),
    implicatedEnrollments: z.number().int().min(0).nullable().meta({
      description:
        'How many enrollments the signal implicates, from all its evidence (listed by `pmo.signals.implicated`); null for a signal not detected since they were counted',
    }),
    implicatedParticipants: z.number().int().min(0).nullable().meta({
      description: 'How many different participants it implicates; null as for implicatedEnrollments',
    }),
    status: z.enum(SIGNAL_STATUSES),
    caseId: z.string().nullable(),
    dismissal: z.object({ reason: z.string(), at: ZTimestampSchema }).nullable(),
    firstSeenAt: ZTimestampSchema,
    lastSeenAt: ZTimestampSchema,
  })
  .meta({ id: 'Signal' });
export type TSignal = z.infer<typeof ZSignalSchema>;

export const ZListSignalsInputSchema = ZPageInputSchema.extend({
  type: ZSignalTypeSchema.optional(),
  status: z.enum(SIGNAL_STATUSES).optional(),
  providerId: idSchema('organisation').optional(),
  minScore: z.coerce.number<number>().int().min(0).max(100).optional(),
});
export type TListSignalsInput = z.infer<typeof ZListSignalsInputSchema>;

export const ZDetectSignalsInputSchema = z.object({
  since: ZTimestampSchema.optional().meta({
    description: 'Look at activity from then on (default: 30 days)',
  }),
});
export const ZDetectSignalsResultSchema = z.object({
  since: ZTimestampSchema,
  found: z.record(z.string(), z.number().int()).meta({ description: 'Signals found per type' }),
  created: z.number().int(),
  updated: z.number().int(),
});
export const ZSignalIdInputSchema = z.object({ id: idSchema('signal') });
export const ZListImplicatedInputSchema = ZPageInputSchema.extend({ id: idSchema('signal') });
export const ZImplicatedSchema = z
  .object({
    enrollmentId: z.string().nullable().meta({
      description: 'null when the participant is named without an enrollment (e.g. a shared payout account)',
    }),
    participantId: z.string(),
    courseId: z.string().nullable(),
    providerId: z.string().nullable(),
  })
  .meta({ id: 'SignalImplicated' });
export const ZImplicatedPageSchema = pageOf(ZImplicatedSchema);
export const ZDismissSignalInputSchema = z.object({
  id: idSchema('signal'),
  reason: z.string().trim().min(5).max(2000),
});

/* Control cases */

export const ZCaseOutcomeSchema = z.enum(CASE_OUTCOMES);
export type TCaseOutcome = z.infer<typeof ZCaseOutcomeSchema>;

export const ZEvidenceRequestSchema = z
  .object({
    id: idSchema('evidenceRequest'),
    caseId: z.string(),
    subjectType: ZSubjectTypeSchema,
    subjectId: z.string(),
    question: z.string(),
    dueAt: ZTimestampSchema,
    status: z.enum(['OPEN', 'ANSWERED']),
    answer: z.string().nullable(),
    attachments: z.array(
      z.object({ url: z.string(), sha256: z.string().nullable(), description: z.string() }),
    ),
    answeredAt: ZTimestampSchema.nullable(),
    createdAt: ZTimestampSchema,
  })
  .meta({ id: 'EvidenceRequest' });
export type TEvidenceRequest = z.infer<typeof ZEvidenceRequestSchema>;

export const CASE_DECISION_REFUSALS = [
  'NOT_IN_CASE',
  'NOT_COMPLETED',
  'NO_VALID_CERTIFICATE',
  'NO_INCENTIVE',
  'INCENTIVE_IN_TRANSIT',
  'NOTHING_TO_CHANGE',
  'ALREADY_SETTLED',
] as const;
export const ZCaseDecisionItemSchema = z
  .object({
    enrollmentId: z.string(),
    result: z.enum(['APPLIED', 'REFUSED']),
    code: z.enum(CASE_DECISION_REFUSALS).nullable().meta({
      description:
        'Why it was refused: NOT_IN_CASE (not among the case’s enrollments), NOT_COMPLETED (voiding a completion that is not COMPLETED), NO_VALID_CERTIFICATE (revoking where no certificate is valid), NO_INCENTIVE (the enrollment made no incentive eligible), INCENTIVE_IN_TRANSIT (its incentive is being paid right now: decide again once it has landed), NOTHING_TO_CHANGE (already held, released, cancelled or recorded for recovery), ALREADY_SETTLED (holding lines already settled: void the completion to take them back); null when applied',
    }),
    effects: z.array(z.string()).meta({ description: 'What it changed for this enrollment, one line each' }),
  })
  .meta({ id: 'CaseDecisionItem' });
export type TCaseDecisionItem = z.infer<typeof ZCaseDecisionItemSchema>;

export const ZCaseDecisionSchema = z.object({
  outcome: ZCaseOutcomeSchema,
  reason: z.string(),
  at: ZTimestampSchema,
  effects: z.array(z.string()).meta({ description: 'What the decision changed, one line each' }),
  items: z.array(ZCaseDecisionItemSchema).meta({
    description:
      'A decision over a selection of the case’s enrollments: the answer for each, in the order given; empty for a decision about the case’s subject',
  }),
});

export const ZControlCaseSchema = z
  .object({
    id: idSchema('controlCase'),
    subjectType: ZSubjectTypeSchema,
    subjectId: z.string(),
    providerId: z.string(),
    signalId: z.string().nullable(),
    enrollmentCount: z.number().int().min(0).meta({
      description:
        'How many enrollments the case carries, fixed when it opened (a signal’s implicated enrollments, or its own enrollment); listed by `pmo.cases.enrollments`',
    }),
    summary: z.string(),
    status: z.enum(CASE_STATUSES),
    decision: ZCaseDecisionSchema.nullable(),
    createdAt: ZTimestampSchema,
    updatedAt: ZTimestampSchema,
  })
  .meta({ id: 'ControlCase' });
export type TControlCase = z.infer<typeof ZControlCaseSchema>;

export const ZCaseTimelineEntrySchema = z.object({
  at: ZTimestampSchema,
  action: z.string(),
  actorOrganisationId: z.string().nullable(),
  fromState: z.string().nullable(),
  toState: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
});

export const ZControlCaseDetailSchema = ZControlCaseSchema.extend({
  evidenceRequests: z.array(ZEvidenceRequestSchema),
  timeline: z.array(ZCaseTimelineEntrySchema),
}).meta({ id: 'ControlCaseDetail' });

export const ZOpenCaseInputSchema = z
  .object({
    signalId: idSchema('signal').optional(),
    subjectType: ZSubjectTypeSchema.optional(),
    subjectId: z.string().min(1).max(100).optional(),
    summary: z.string().trim().min(5).max(2000),
  })
  .refine((c) => c.signalId !== undefined || (c.subjectType !== undefined && c.subjectId !== undefined), {
    message: 'Give a signalId, or a subjectType and subjectId',
    path: ['subjectId'],
  });
export const ZListCasesInputSchema = ZPageInputSchema.extend({
  status: z.enum(CASE_STATUSES).optional(),
  providerId: idSchema('organisation').optional(),
});
export type TListCasesInput = z.infer<typeof ZListCasesInputSchema>;
export const ZCaseIdInputSchema = z.object({ id: idSchema('controlCase') });
export const ZListCaseEnrollmentsInputSchema = ZPageInputSchema.extend({ id: idSchema('controlCase') });
export const ZCaseEnrollmentSchema = z
  .object({
    enrollmentId: z.string(),
    participantId: z.string(),
    courseId: z.string(),
    providerId: z.string(),
    status: z.enum(['IN_TRAINING', 'COMPLETED', 'NOT_COMPLETED', 'WITHDRAWN']).meta({
      description: 'The enrollment’s status now',
    }),
    certificateStatus: z.enum(['VALID', 'REVOKED']).nullable().meta({
      description: 'Its certificate’s status now; null when it has none',
    }),
  })
  .meta({ id: 'CaseEnrollment' });
export const ZCaseEnrollmentPageSchema = pageOf(ZCaseEnrollmentSchema);
export const ZRequestEvidenceInputSchema = z.object({
  caseId: idSchema('controlCase'),
  question: z.string().trim().min(10).max(4000),
  dueInDays: z.number().int().min(1).max(60).default(7),
});
export const ZDecideCaseInputSchema = z.object({
  id: idSchema('controlCase'),
  outcome: ZCaseOutcomeSchema,
  reason: z.string().trim().min(10).max(4000),
  enrollmentIds: z.array(idSchema('enrollment')).min(1).max(1000).optional().meta({
    description:
      'Apply the outcome (VOID_COMPLETION, REVOKE_CERTIFICATE, HOLD_INCENTIVE, REVERSE_INCENTIVE, RELEASE_INCENTIVE, HOLD_SETTLEMENT_LINES or RELEASE_SETTLEMENT_LINES) to these of the case’s enrollments, each answered in `decision.items` (applied, or refused with a code); leave out to decide about the case’s subject',
  }),
});

export const ZListEvidenceRequestsInputSchema = ZPageInputSchema.extend({
  status: z.enum(['OPEN', 'ANSWERED']).optional(),
});
export const ZEvidenceRequestIdInputSchema = z.object({ id: idSchema('evidenceRequest') });
export const ZAnswerEvidenceInputSchema = z.object({
  id: idSchema('evidenceRequest'),
  answer: z.string().trim().min(10).max(8000),
  attachments: z
    .array(
      z.object({
        url: z.url({ protocol: /^https$/ }),
        sha256: z
          .string()
          .regex(/^[0-9a-f]{64}$/)
          .optional(),
        description: z.string().trim().min(1).max(500),
      }),
    )
    .max(20)
    .default([]),
});

export const ZSignalPageSchema = pageOf(ZSignalSchema);
export const ZControlCasePageSchema = pageOf(ZControlCaseSchema);
export const ZEvidenceRequestPageSchema = pageOf(ZEvidenceRequestSchema);
