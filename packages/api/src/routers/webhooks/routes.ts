import {
  ZCreateWebhookEndpointInputSchema,
  ZListWebhookDeliveriesInputSchema,
  ZUpdateWebhookEndpointInputSchema,
  ZWebhookAttemptSchema,
  ZWebhookDeliveryIdInputSchema,
  ZWebhookDeliverySchema,
  ZWebhookEndpointIdInputSchema,
  ZWebhookEndpointSchema,
  ZWebhookEndpointWithSecretSchema,
} from '@latih/contracts';
import {
  createWebhookEndpoint,
  deleteWebhookEndpointOf,
  getDeliveryOf,
  getWebhookEndpoint,
  listDeliveriesOf,
  listWebhookEndpointsOf,
  replayDelivery,
  rotateWebhookSecret,
  updateWebhookEndpointOf,
} from '@latih/core';
import { z } from 'zod';
import { servicesOf } from '../../context';
import { platformProcedure, providerProcedure, router, sealerFor } from '../../trpc';

const WEBHOOK_SECRETS = 'webhook-secrets';

/**
 * `provider.webhooks.*` and `platform.webhooks.*`: the same procedures for both kinds of partner,
 * each scoped to the caller's own organisation.
 */
function webhookRoutes(kind: 'provider' | 'platform') {
  const procedure = kind === 'provider' ? providerProcedure : platformProcedure;
  const base = `/${kind}/webhooks` as const;
  const tags = [kind, 'webhooks'];
  return router({
    create: procedure
      .meta({
        openapi: {
          method: 'POST',
          path: base,
          tags,
          summary: 'Register a webhook endpoint',
          description:
            'Events of the chosen types are POSTed to the URL, signed with the secret returned here (shown once). Up to 16 endpoints per organisation.',
          protect: true,
        },
      })
      .input(ZCreateWebhookEndpointInputSchema)
      .output(ZWebhookEndpointWithSecretSchema)
      .mutation(({ ctx, input }) => {
        const s = servicesOf(ctx);
        return createWebhookEndpoint({
          db: ctx.db,
          actor: ctx.actor,
          requestId: ctx.requestId,
          now: ctx.now,
          sealer: sealerFor(s.nikHashKey, WEBHOOK_SECRETS),
          allowLocal: s.allowLocalWebhooks === true,
          ...(s.webhookLookup ? { lookup: s.webhookLookup } : {}),
          input,
        });
      }),
    list: procedure
      .meta({
        openapi: { method: 'GET', path: base, tags, summary: 'Your webhook endpoints', protect: true },
      })
      .input(z.object({}).optional())
      .output(z.object({ items: z.array(ZWebhookEndpointSchema) }))
      .query(({ ctx }) => listWebhookEndpointsOf({ db: ctx.db, actor: ctx.actor, now: ctx.now })),
    get: procedure
      .meta({
        openapi: {
          method: 'GET',
          path: `${base}/{id}`,
          tags,
          summary: 'One webhook endpoint',
          protect: true,
        },
      })
      .input(ZWebhookEndpointIdInputSchema)
      .output(ZWebhookEndpointSchema)
      .query(({ ctx, input }) => getWebhookEndpoint({ db: ctx.db, actor: ctx.actor, now: ctx.now, input })),
    update: procedure
      .meta({
        openapi: {
          method: 'PATCH',
          path: `${base}/{id}`,
          tags,
          summary: 'Change or re-enable a webhook endpoint',
          description:
            '`enabled: true` re-enables an endpoint the gateway disabled after 3 days of failures.',
          protect: true,
        },
      })
      .input(ZUpdateWebhookEndpointInputSchema)
      .output(ZWebhookEndpointSchema)
      .mutation(({ ctx, input }) => {
        const s = servicesOf(ctx);
        return updateWebhookEndpointOf({
          db: ctx.db,
          actor: ctx.actor,
          requestId: ctx.requestId,
          now: ctx.now,
          allowLocal: s.allowLocalWebhooks === true,
          ...(s.webhookLookup ? { lookup: s.webhookLookup } : {}),
          input,
        });
      }),
    delete: procedure
      .meta({
        openapi: {
          method: 'DELETE',
          path: `${base}/{id}`,
          tags,
          summary: 'Remove a webhook endpoint',
          description: 'Pending deliveries to it are dropped with it.',
          protect: true,
        },
      })
      .input(ZWebhookEndpointIdInputSchema)
      .output(z.object({ deleted: z.literal(true) }))
      .mutation(({ ctx, input }) =>
        deleteWebhookEndpointOf({
          db: ctx.db,
          actor: ctx.actor,
          requestId: ctx.requestId,
          now: ctx.now,
          input,
        }),
      ),
    rotateSecret: procedure
      .meta({
        openapi: {
          method: 'POST',
          path: `${base}/{id}/rotate-secret`,
          tags,
          summary: 'Rotate the signing secret',
          description:
            'Returns the new secret once. The previous one keeps signing beside it for 24 hours: deliveries carry a v1 signature for each.',
          protect: true,
        },
      })
      .input(ZWebhookEndpointIdInputSchema)
      .output(ZWebhookEndpointWithSecretSchema)
      .mutation(({ ctx, input }) =>
        rotateWebhookSecret({
          db: ctx.db,
          actor: ctx.actor,
          requestId: ctx.requestId,
          now: ctx.now,
          sealer: sealerFor(servicesOf(ctx).nikHashKey, WEBHOOK_SECRETS),
          input,
        }),
      ),
    deliveries: procedure
      .meta({
        openapi: {
          method: 'GET',
          path: `${base}/{endpointId}/deliveries`,
          tags,
          summary: 'Deliveries to an endpoint, newest first',
          protect: true,
        },
      })
      .input(ZListWebhookDeliveriesInputSchema)
      .output(z.object({ items: z.array(ZWebhookDeliverySchema), nextCursor: z.string().nullable() }))
      .query(({ ctx, input }) => listDeliveriesOf({ db: ctx.db, actor: ctx.actor, input })),
    delivery: procedure
      .meta({
        openapi: {
          method: 'GET',
          path: `/${kind}/webhook-deliveries/{id}`,
          tags,
          summary: 'One delivery and its log of attempts',
          protect: true,
        },
      })
      .input(ZWebhookDeliveryIdInputSchema)
      .output(z.object({ delivery: ZWebhookDeliverySchema, attempts: z.array(ZWebhookAttemptSchema) }))
      .query(({ ctx, input }) => getDeliveryOf({ db: ctx.db, actor: ctx.actor, input })),
    replay: procedure
      .meta({
        openapi: {
          method: 'POST',
          path: `/${kind}/webhook-deliveries/{id}/replay`,
          tags,
          summary: 'Send a delivery again',
          description:
            'Queues it now, whatever its state; the event keeps its id, so receivers deduplicate it.',
          protect: true,
        },
      })
      .input(ZWebhookDeliveryIdInputSchema)
      .output(ZWebhookDeliverySchema)
      .mutation(({ ctx, input }) =>
        replayDelivery({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, now: ctx.now, input }),
      ),
  });
}

export const providerWebhooksRouter = webhookRoutes('provider');
export const platformWebhooksRouter = webhookRoutes('platform');
