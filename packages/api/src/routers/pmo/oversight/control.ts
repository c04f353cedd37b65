import {
  pageOf,
  ZAnswerEvidenceInputSchema,
  ZCaseEnrollmentPageSchema,
  ZCaseIdInputSchema,
  ZControlCaseDetailSchema,
  ZControlCasePageSchema,
  ZDecideCaseInputSchema,
  ZDetectSignalsInputSchema,
  ZDetectSignalsResultSchema,
  ZDismissSignalInputSchema,
  ZEvidenceRequestIdInputSchema,
  ZEvidenceRequestPageSchema,
  ZEvidenceRequestSchema,
  ZImplicatedPageSchema,
  ZListCaseEnrollmentsInputSchema,
  ZListCasesInputSchema,
  ZListEvidenceRequestsInputSchema,
  ZListImplicatedInputSchema,
  ZListSignalsInputSchema,
  ZOpenCaseInputSchema,
  ZPmoListWebhookDeliveriesInputSchema,
  ZPmoWebhookDeliverySchema,
  ZRequestEvidenceInputSchema,
  ZSignalIdInputSchema,
  ZSignalPageSchema,
  ZSignalSchema,
} from '@latih/contracts';
import {
  answerEvidenceRequest,
  decideCase,
  detectSignals,
  dismissSignal,
  getCase,
  getOwnEvidenceRequest,
  getSignal,
  listAllDeliveries,
  listCaseEnrollmentsFor,
  listCasesFor,
  listImplicated,
  listOwnEvidenceRequests,
  listSignalsFor,
  openCase,
  requestEvidence,
} from '@latih/core';
import { pmoProcedure, providerProcedure, router } from '../../../trpc';

const read = (path: `/${string}`, tags: string[], summary: string, description?: string) =>
  pmoProcedure.meta({
    scope: 'pmo:read',
    openapi: { method: 'GET', path, tags, summary, ...(description ? { description } : {}), protect: true },
  });
const write = (path: `/${string}`, tags: string[], summary: string, description?: string) =>
  pmoProcedure.meta({
    scope: 'pmo:write',
    openapi: { method: 'POST', path, tags, summary, ...(description ? { description } : {}), protect: true },
  });

const signalTags = ['pmo', 'signals'];
const caseTags = ['pmo', 'cases'];

/** `pmo.signals.*`: explainable patterns, each with its evidence rows and score. Never a sanction. */
export const pmoSignalsRouter = router({
  detect: write(
    '/pmo/signals/detect',
    signalTags,
    'Run the detectors now',
    'The gateway also runs them every hour. New patterns become OPEN signals; known ones get fresh figures and keep their status.',
  )
    .input(ZDetectSignalsInputSchema)
    .output(ZDetectSignalsResultSchema)
    .mutation(({ ctx, input }) => detectSignals({ db: ctx.db, actor: ctx.actor, input, now: ctx.now })),
  list: read(
    '/pmo/signals',
    signalTags,
    'Signals, newest first',
    'Filter by type, status, provider and minimum score.',
  )
    .input(ZListSignalsInputSchema)
    .output(ZSignalPageSchema)
    .query(({ ctx, input }) => listSignalsFor({ db: ctx.db, actor: ctx.actor, input })),
  get: read('/pmo/signals/{id}', signalTags, 'One signal with its evidence and how it was scored')
    .input(ZSignalIdInputSchema)
    .output(ZSignalSchema)
    .query(({ ctx, input }) => getSignal({ db: ctx.db, actor: ctx.actor, id: input.id })),
  implicated: read(
    '/pmo/signals/{id}/implicated',
    signalTags,
    'Whom a signal implicates',
    'Every enrollment behind the signal with its participant, course and provider (and participants named without an enrollment), from all its evidence, not only the 100 rows kept; in the evidence order. Refreshed when the signal is detected again.',
  )
    .input(ZListImplicatedInputSchema)
    .output(ZImplicatedPageSchema)
    .query(({ ctx, input }) => listImplicated({ db: ctx.db, actor: ctx.actor, input })),
  dismiss: write('/pmo/signals/{id}/dismiss', signalTags, 'Dismiss a signal with a reason')
    .input(ZDismissSignalInputSchema)
    .output(ZSignalSchema)
    .mutation(({ ctx, input }) =>
      dismissSignal({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
    ),
});

/** `pmo.cases.*`: control cases, from a signal or by hand, to a recorded decision. */
export const pmoCasesRouter = router({
  open: write(
    '/pmo/cases',
    caseTags,
    'Open a case on an enrollment, a course or a provider',
    'From a signal (its subject) or by hand.',
  )
    .input(ZOpenCaseInputSchema)
    .output(ZControlCaseDetailSchema)
    .mutation(({ ctx, input }) =>
      openCase({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
    ),
  list: read('/pmo/cases', caseTags, 'Cases, newest first')
    .input(ZListCasesInputSchema)
    .output(ZControlCasePageSchema)
    .query(({ ctx, input }) => listCasesFor({ db: ctx.db, actor: ctx.actor, input })),
  get: read('/pmo/cases/{id}', caseTags, 'A case with its evidence requests and timeline')
    .input(ZCaseIdInputSchema)
    .output(ZControlCaseDetailSchema)
    .query(({ ctx, input }) => getCase({ db: ctx.db, actor: ctx.actor, id: input.id })),
  enrollments: read(
    '/pmo/cases/{id}/enrollments',
    caseTags,
    'The enrollments a case carries',
    'Fixed when the case opened: the enrollments its signal implicated then, or its own enrollment; each with its status and its certificate’s now. A decision applies to a selection of them.',
  )
    .input(ZListCaseEnrollmentsInputSchema)
    .output(ZCaseEnrollmentPageSchema)
    .query(({ ctx, input }) => listCaseEnrollmentsFor({ db: ctx.db, actor: ctx.actor, input })),
  requestEvidence: write(
    '/pmo/cases/{caseId}/evidence-requests',
    caseTags,
    'Ask the provider for evidence',
    'The provider sees it with provider.evidenceRequests.* and gets an evidence_request.created webhook.',
  )
    .input(ZRequestEvidenceInputSchema)
    .output(ZControlCaseDetailSchema)
    .mutation(({ ctx, input }) =>
      requestEvidence({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
    ),
  decide: write(
    '/pmo/cases/{id}/decide',
    caseTags,
    'Record the decision, with a reason, and apply it',
    'NO_ACTION, WARNING, SUSPEND_COURSE, SUSPEND_PROVIDER; about an enrollment: VOID_COMPLETION (not completed, certificate revoked, what it was paid taken back: a receivable when already settled; its incentive held, or recorded for recovery if paid), REVOKE_CERTIFICATE, HOLD_INCENTIVE, REVERSE_INCENTIVE, RELEASE_INCENTIVE, HOLD_SETTLEMENT_LINES, RELEASE_SETTLEMENT_LINES. The decision and all its effects happen in one transaction. With enrollmentIds, an enrollment outcome applies to each of those of the case’s enrollments, each in a savepoint, answered per item in decision.items (applied, or refused with a code).',
  )
    .input(ZDecideCaseInputSchema)
    .output(ZControlCaseDetailSchema)
    .mutation(({ ctx, input }) =>
      decideCase({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
    ),
});

/** `pmo.webhooks.deliveries`: every partner's webhook deliveries, to see who is not receiving events. */
export const pmoWebhooksRouter = router({
  deliveries: read(
    '/pmo/webhook-deliveries',
    ['pmo', 'webhooks'],
    "Every partner's webhook deliveries, newest first",
    'Filter by organisation and status (FAILED shows who is not receiving events, with the last answer or error).',
  )
    .input(ZPmoListWebhookDeliveriesInputSchema)
    .output(pageOf(ZPmoWebhookDeliverySchema))
    .query(({ ctx, input }) => listAllDeliveries({ db: ctx.db, actor: ctx.actor, input })),
});

const providerTags = ['provider', 'control'];

/** `provider.evidenceRequests.*`: the program's questions to this provider, and its answers. */
export const providerEvidenceRouter = router({
  list: providerProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/provider/evidence-requests',
        tags: providerTags,
        summary: "The program office's evidence requests to you, newest first",
        protect: true,
      },
    })
    .input(ZListEvidenceRequestsInputSchema)
    .output(ZEvidenceRequestPageSchema)
    .query(({ ctx, input }) => listOwnEvidenceRequests({ db: ctx.db, actor: ctx.actor, input })),
  get: providerProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/provider/evidence-requests/{id}',
        tags: providerTags,
        summary: 'One evidence request',
        protect: true,
      },
    })
    .input(ZEvidenceRequestIdInputSchema)
    .output(ZEvidenceRequestSchema)
    .query(({ ctx, input }) => getOwnEvidenceRequest({ db: ctx.db, actor: ctx.actor, id: input.id })),
  answer: providerProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/provider/evidence-requests/{id}/answer',
        tags: providerTags,
        summary: 'Answer an evidence request (once)',
        description: 'Text and links to documents (https, with their SHA-256 if you can).',
        protect: true,
      },
    })
    .input(ZAnswerEvidenceInputSchema)
    .output(ZEvidenceRequestSchema)
    .mutation(({ ctx, input }) =>
      answerEvidenceRequest({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
    ),
});
