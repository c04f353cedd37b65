import {
  ZIntegrationCredentialsSchema,
  ZIntegrationKeySchema,
  ZIntegrationOrganisationInputSchema,
  ZIssuedIntegrationKeySchema,
  ZRevokeIntegrationKeyInputSchema,
  ZRotateIntegrationKeyInputSchema,
} from '@latih/contracts';
import {
  integrationCredentialsOf,
  issueIntegrationKey,
  revokeIntegrationKey,
  rotateIntegrationKey,
} from '@latih/core';
import { servicesOf } from '../../../context';
import { pmoProcedure, router, sealerFor } from '../../../trpc';

/** The sealer of integration sign keys: HMAC needs the key itself, so it is sealed, never hashed. */
export const INTEGRATION_SIGN_KEYS = 'integration-sign-keys';

const tags = ['pmo', 'integration'];
const protocol =
  "For the program's provider integration protocol (HMAC-SHA1 signed calls under /api/v1/integration/; docs/guides/prakerja-compatible.md).";

/** `pmo.integration.*`: a provider's client_code and sign keys for the program's own protocol. */
export const pmoIntegrationRouter = router({
  get: pmoProcedure
    .meta({
      scope: 'pmo:read',
      openapi: {
        method: 'GET',
        path: '/pmo/organisations/{organisationId}/integration',
        tags,
        summary: "A provider's integration client_code and sign keys (never the keys themselves)",
        description: protocol,
        protect: true,
      },
    })
    .input(ZIntegrationOrganisationInputSchema)
    .output(ZIntegrationCredentialsSchema)
    .query(({ ctx, input }) =>
      integrationCredentialsOf({
        db: ctx.db,
        actor: ctx.actor,
        requestId: ctx.requestId,
        input,
        now: ctx.now,
      }),
    ),
  issue: pmoProcedure
    .meta({
      scope: 'pmo:write',
      openapi: {
        method: 'POST',
        path: '/pmo/organisations/{organisationId}/integration',
        tags,
        summary: 'Issue integration credentials to a provider',
        description: `The client_code (the same for the provider's life) and a sign key, shown in this answer only. Refused while the provider has a live key: rotate it. ${protocol}`,
        protect: true,
      },
    })
    .input(ZIntegrationOrganisationInputSchema)
    .output(ZIssuedIntegrationKeySchema)
    .mutation(({ ctx, input }) =>
      issueIntegrationKey({
        db: ctx.db,
        actor: ctx.actor,
        requestId: ctx.requestId,
        input,
        now: ctx.now,
        sealer: sealerFor(servicesOf(ctx).nikHashKey, INTEGRATION_SIGN_KEYS),
      }),
    ),
  rotate: pmoProcedure
    .meta({
      scope: 'pmo:write',
      openapi: {
        method: 'POST',
        path: '/pmo/integration-keys/{keyId}/rotate',
        tags,
        summary: 'Rotate a sign key',
        description:
          'A new sign key under the same client_code, shown once; the old one works for graceHours more.',
        protect: true,
      },
    })
    .input(ZRotateIntegrationKeyInputSchema)
    .output(ZIssuedIntegrationKeySchema.extend({ previous: ZIntegrationKeySchema }))
    .mutation(({ ctx, input }) =>
      rotateIntegrationKey({
        db: ctx.db,
        actor: ctx.actor,
        requestId: ctx.requestId,
        input,
        now: ctx.now,
        sealer: sealerFor(servicesOf(ctx).nikHashKey, INTEGRATION_SIGN_KEYS),
      }),
    ),
  revoke: pmoProcedure
    .meta({
      scope: 'pmo:write',
      openapi: {
        method: 'POST',
        path: '/pmo/integration-keys/{keyId}/revoke',
        tags,
        summary: 'Revoke a sign key',
        description:
          'Signed calls with it are refused at once (ERR_INTEGRATION_CLIENT_UNKNOWN when no live key is left).',
        protect: true,
      },
    })
    .input(ZRevokeIntegrationKeyInputSchema)
    .output(ZIntegrationKeySchema)
    .mutation(({ ctx, input }) =>
      revokeIntegrationKey({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
    ),
});
