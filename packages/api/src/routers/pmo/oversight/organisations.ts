import {
  pageOf,
  ZApiClientSchema,
  ZAuditEntrySchema,
  ZChecklistInputSchema,
  ZCreateOrganisationInputSchema,
  ZDisableEndpointInputSchema,
  ZIssueCredentialsInputSchema,
  ZIssuedCredentialsSchema,
  ZListAuditInputSchema,
  ZOrganisationDecisionInputSchema,
  ZOrganisationDetailSchema,
  ZOrganisationIdInputSchema,
  ZRejectOrganisationInputSchema,
  ZRemoveRedirectUriInputSchema,
  ZRevokeCredentialsInputSchema,
  ZRotateCredentialsInputSchema,
} from '@latih/contracts';
import {
  approveOrganisation,
  createApplication,
  disableEndpointByPmo,
  getOrganisationDetail,
  issueCredentials,
  listAuditEntries,
  rejectOrganisation,
  removeRedirectUriByPmo,
  revokeCredentials,
  rotateCredentials,
  setChecklistItem,
  setOrganisationSuspended,
} from '@latih/core';
import { pmoProcedure, router } from '../../../trpc';
import { listOrganisationsRoute } from '../organisations/list-organisations';

const tags = ['pmo', 'onboarding'];
const write = (path: `/${string}`, summary: string, description?: string) =>
  pmoProcedure.meta({
    scope: 'pmo:write',
    openapi: { method: 'POST', path, tags, summary, ...(description ? { description } : {}), protect: true },
  });

/** `pmo.organisations.*`: onboarding, suspension, credentials, and the review of partners' URLs. */
export const pmoOrganisationsRouter = router({
  list: listOrganisationsRoute,
  get: pmoProcedure
    .meta({
      scope: 'pmo:read',
      openapi: {
        method: 'GET',
        path: '/pmo/organisations/{id}',
        tags,
        summary:
          'An organisation with its application, checklist, clients, redirect URIs and webhook endpoints',
        description:
          'Redirect URIs and webhook URLs carry `concerns` (not https, an IP address, outside the website domain).',
        protect: true,
      },
    })
    .input(ZOrganisationIdInputSchema)
    .output(ZOrganisationDetailSchema)
    .query(({ ctx, input }) =>
      getOrganisationDetail({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input }),
    ),
  create: write(
    '/pmo/organisations',
    'Register an application (APPLIED)',
    'A provider or platform applies; due diligence follows on its checklist.',
  )
    .input(ZCreateOrganisationInputSchema)
    .output(ZOrganisationDetailSchema)
    .mutation(({ ctx, input }) =>
      createApplication({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
    ),
  checklist: write('/pmo/organisations/{id}/checklist', 'Check (or uncheck) a due-diligence item')
    .input(ZChecklistInputSchema)
    .output(ZOrganisationDetailSchema)
    .mutation(({ ctx, input }) =>
      setChecklistItem({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
    ),
  approve: write(
    '/pmo/organisations/{id}/approve',
    'APPLIED → ACTIVE',
    'Only with every checklist item checked (else ONBOARDING_CHECKLIST_INCOMPLETE).',
  )
    .input(ZOrganisationDecisionInputSchema)
    .output(ZOrganisationDetailSchema)
    .mutation(({ ctx, input }) =>
      approveOrganisation({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
    ),
  reject: write(
    '/pmo/organisations/{id}/reject',
    'APPLIED → REJECTED with reasons',
    'Any credentials issued for testing are revoked.',
  )
    .input(ZRejectOrganisationInputSchema)
    .output(ZOrganisationDetailSchema)
    .mutation(({ ctx, input }) =>
      rejectOrganisation({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
    ),
  suspend: write(
    '/pmo/organisations/{id}/suspend',
    'ACTIVE → SUSPENDED with a reason',
    "A suspended provider's courses leave the catalog feed and its redemptions are refused (ORGANISATION_SUSPENDED); a suspended platform cannot sell; settlements are held. Reading and answering evidence requests still work.",
  )
    .input(ZOrganisationDecisionInputSchema)
    .output(ZOrganisationDetailSchema)
    .mutation(({ ctx, input }) =>
      setOrganisationSuspended({
        db: ctx.db,
        actor: ctx.actor,
        requestId: ctx.requestId,
        input,
        now: ctx.now,
        suspended: true,
      }),
    ),
  reinstate: write(
    '/pmo/organisations/{id}/reinstate',
    'SUSPENDED → ACTIVE with a reason',
    'Courses return to the feed; held settlements are paid.',
  )
    .input(ZOrganisationDecisionInputSchema)
    .output(ZOrganisationDetailSchema)
    .mutation(({ ctx, input }) =>
      setOrganisationSuspended({
        db: ctx.db,
        actor: ctx.actor,
        requestId: ctx.requestId,
        input,
        now: ctx.now,
        suspended: false,
      }),
    ),
  removeRedirectUri: write(
    '/pmo/organisations/{id}/redirect-uris/remove',
    'Remove a redirect URI the program does not accept',
  )
    .input(ZRemoveRedirectUriInputSchema)
    .output(ZOrganisationDetailSchema)
    .mutation(({ ctx, input }) =>
      removeRedirectUriByPmo({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
    ),
  disableWebhookEndpoint: write(
    '/pmo/webhook-endpoints/{endpointId}/disable',
    'Disable a webhook endpoint the program does not accept',
    'The partner gets a webhook_endpoint.disabled event with the reason.',
  )
    .input(ZDisableEndpointInputSchema)
    .output(ZOrganisationDetailSchema)
    .mutation(({ ctx, input }) =>
      disableEndpointByPmo({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
    ),
  credentials: router({
    issue: write(
      '/pmo/organisations/{organisationId}/credentials',
      'Issue an API client',
      'The secret is in this answer only.',
    )
      .input(ZIssueCredentialsInputSchema)
      .output(ZIssuedCredentialsSchema)
      .mutation(({ ctx, input }) =>
        issueCredentials({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
      ),
    rotate: write(
      '/pmo/credentials/{clientId}/rotate',
      'Rotate an API client',
      'A new client with the same scopes; the old one works for graceHours more.',
    )
      .input(ZRotateCredentialsInputSchema)
      .output(ZIssuedCredentialsSchema.extend({ previous: ZApiClientSchema }))
      .mutation(({ ctx, input }) =>
        rotateCredentials({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
      ),
    revoke: write(
      '/pmo/credentials/{clientId}/revoke',
      'Revoke an API client',
      'No new tokens; tokens already issued expire within their lifetime (15 minutes).',
    )
      .input(ZRevokeCredentialsInputSchema)
      .output(ZApiClientSchema)
      .mutation(({ ctx, input }) =>
        revokeCredentials({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
      ),
  }),
});

/** `pmo.audit.list`: read only; nothing in the gateway updates or deletes an audit row. */
export const pmoAuditRouter = router({
  list: pmoProcedure
    .meta({
      scope: 'pmo:read',
      openapi: {
        method: 'GET',
        path: '/pmo/audit',
        tags: ['pmo', 'audit'],
        summary: 'Who did what to which record, when, from which state to which',
        description:
          'Newest first; filter by entity, actor, action (or an action prefix ending in `.`) and time.',
        protect: true,
      },
    })
    .input(ZListAuditInputSchema)
    .output(pageOf(ZAuditEntrySchema))
    .query(({ ctx, input }) => listAuditEntries({ db: ctx.db, actor: ctx.actor, input })),
});
