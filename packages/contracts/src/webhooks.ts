import { z } from 'zod';
import { ZTimestampSchema } from './common';
import { EVENT_TYPES } from './events';
import { idSchema } from './ids';
import { WEBHOOK_DELIVERY_STATUSES } from './values';

/** Webhook signatures: `Latih-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256("t.body")>[,v1=…]`. */
export const WEBHOOK_SIGNATURE_HEADER = 'Latih-Signature';
/** How old a signature's timestamp may be before a receiver should refuse it (Stripe's default). */
export const WEBHOOK_TOLERANCE_SECONDS = 300;
/** A rotated-out secret keeps signing (beside the new one) this long. */
export const WEBHOOK_SECRET_OVERLAP_HOURS = 24;
/** Deliveries are retried with backoff for this long; an endpoint failing this long is disabled. */
export const WEBHOOK_RETRY_DAYS = 3;
export const WEBHOOK_ENDPOINTS_PER_ORGANISATION = 16;

export const ZEventTypeSchema = z.enum(EVENT_TYPES);

/** What a webhook delivers and `events.list` returns. */
export const ZEventSchema = z
  .object({
    id: idSchema('event').meta({ description: 'Unique per event: deduplicate on it' }),
    type: ZEventTypeSchema,
    createdAt: ZTimestampSchema,
    entity: z.object({ type: z.string(), id: z.string() }),
    data: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'Event' });
export type TEvent = z.infer<typeof ZEventSchema>;

const ZSubscribedTypesSchema = z
  .array(z.union([ZEventTypeSchema, z.literal('*')]))
  .min(1)
  .max(EVENT_TYPES.length + 1)
  .meta({ description: 'Event types to deliver; "*" for every type' });

export const ZWebhookEndpointSchema = z
  .object({
    id: idSchema('webhookEndpoint'),
    url: z.string(),
    description: z.string().nullable(),
    eventTypes: z.array(z.string()),
    status: z.enum(['ENABLED', 'DISABLED']),
    disabledReason: z.string().nullable(),
    /** Since when every attempt has failed; null while deliveries succeed. */
    failingSince: ZTimestampSchema.nullable(),
    secrets: z.array(
      z.object({
        createdAt: ZTimestampSchema,
        expiresAt: ZTimestampSchema.nullable().meta({ description: 'Null for the current secret' }),
      }),
    ),
    createdAt: ZTimestampSchema,
  })
  .meta({ id: 'WebhookEndpoint' });
export type TWebhookEndpoint = z.infer<typeof ZWebhookEndpointSchema>;

export const ZCreateWebhookEndpointInputSchema = z.object({
  url: z.string().max(2048).meta({ description: 'https URL (http only for localhost in development)' }),
  description: z.string().max(200).optional(),
  eventTypes: ZSubscribedTypesSchema,
});

export const ZWebhookEndpointWithSecretSchema = z.object({
  endpoint: ZWebhookEndpointSchema,
  secret: z.string().meta({ description: 'whsec_…: shown once, store it now' }),
});

export const ZUpdateWebhookEndpointInputSchema = z.object({
  id: idSchema('webhookEndpoint'),
  url: z.string().max(2048).optional(),
  description: z.string().max(200).nullable().optional(),
  eventTypes: ZSubscribedTypesSchema.optional(),
  enabled: z.boolean().optional().meta({ description: 'true re-enables a disabled endpoint' }),
});

export const ZWebhookEndpointIdInputSchema = z.object({ id: idSchema('webhookEndpoint') });

export const ZWebhookDeliverySchema = z
  .object({
    id: idSchema('webhookDelivery'),
    endpointId: z.string(),
    eventId: z.string(),
    eventType: z.string(),
    status: z.enum(WEBHOOK_DELIVERY_STATUSES),
    attempts: z.number().int(),
    nextAttemptAt: ZTimestampSchema.nullable(),
    lastAttemptAt: ZTimestampSchema.nullable(),
    lastStatusCode: z.number().int().nullable(),
    lastError: z.string().nullable(),
    deliveredAt: ZTimestampSchema.nullable(),
    createdAt: ZTimestampSchema,
  })
  .meta({ id: 'WebhookDelivery' });
export type TWebhookDelivery = z.infer<typeof ZWebhookDeliverySchema>;

export const ZWebhookAttemptSchema = z.object({
  at: ZTimestampSchema,
  statusCode: z.number().int().nullable(),
  error: z.string().nullable(),
  durationMs: z.number().int(),
});

export const ZListWebhookDeliveriesInputSchema = z.object({
  endpointId: idSchema('webhookEndpoint'),
  status: z.enum(WEBHOOK_DELIVERY_STATUSES).optional(),
  limit: z.coerce.number<number>().int().min(1).max(100).default(50),
  cursor: z.string().optional(),
});

export const ZWebhookDeliveryIdInputSchema = z.object({ id: idSchema('webhookDelivery') });

export const ZPmoListWebhookDeliveriesInputSchema = z.object({
  organisationId: idSchema('organisation').optional(),
  status: z.enum(WEBHOOK_DELIVERY_STATUSES).optional(),
  limit: z.coerce.number<number>().int().min(1).max(100).default(50),
  cursor: z.string().optional(),
});
export const ZPmoWebhookDeliverySchema = ZWebhookDeliverySchema.extend({
  organisationId: z.string(),
  url: z.string(),
}).meta({ id: 'PmoWebhookDelivery' });

export const ZListEventsInputSchema = z.object({
  types: z
    .union([ZEventTypeSchema, z.array(ZEventTypeSchema).max(EVENT_TYPES.length)])
    .optional()
    .meta({ description: 'Only these types (REST: repeat the parameter, ?types=a&types=b)' }),
  limit: z.coerce.number<number>().int().min(1).max(200).default(100),
  cursor: z.string().optional().meta({
    description: 'nextCursor of the previous page: resume after it; omit to start from your oldest event',
  }),
});

/**
 * A page of events.list. It is a feed, not a finite list: the cursor is never null (an empty page
 * hands yours back), so follow it with `hasMore` (the SDK's followFeed), not until it runs out.
 */
export const ZEventPageSchema = z.object({
  items: z
    .array(ZEventSchema)
    .meta({ description: 'Oldest first, in the order their transactions wrote them' }),
  nextCursor: z.string().meta({
    description:
      'Always present: store it and pass it as `cursor` next time. An event committed later never lands behind it.',
  }),
  hasMore: z.boolean().meta({
    description: 'true: more events are ready, call again at once; false: caught up, poll again later',
  }),
});
export type TEventPage = z.infer<typeof ZEventPageSchema>;
