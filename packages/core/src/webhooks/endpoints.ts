import {
  AppError,
  type TEvent,
  type TEventPage,
  type TEventType,
  type TWebhookDelivery,
  type TWebhookEndpoint,
  WEBHOOK_ENDPOINTS_PER_ORGANISATION,
  WEBHOOK_SECRET_OVERLAP_HOURS,
  ZCreateWebhookEndpointInputSchema,
  ZListEventsInputSchema,
  ZListWebhookDeliveriesInputSchema,
  type ZPmoListWebhookDeliveriesInputSchema,
  ZUpdateWebhookEndpointInputSchema,
  ZWebhookDeliveryIdInputSchema,
  ZWebhookEndpointIdInputSchema,
} from '@latih/contracts';
import {
  activeWebhookSecrets,
  countWebhookEndpoints,
  type Db,
  decodeCursor,
  deleteWebhookEndpoint,
  eventExists,
  eventFeedPositionArchived,
  eventsAfter,
  expireCurrentWebhookSecret,
  findWebhookDelivery,
  findWebhookEndpoint,
  insertWebhookEndpoint,
  insertWebhookSecret,
  listWebhookDeliveries,
  listWebhookEndpoints,
  toPage,
  updateWebhookDelivery,
  updateWebhookEndpoint,
  type WebhookDeliveryRow,
  type WebhookEndpointRow,
  type WebhookSecretRow,
  webhookAttemptsOf,
} from '@latih/db';
import type { z } from 'zod';
import { type Actor, actorRef } from '../auth/actor';
import { recordChange } from '../changes';
import { decodeFeedCursor, encodeFeedCursor } from '../feed-cursor';
import { newId, ulid } from '../ids';
import type { Sealer } from '../sealing';
import { checkWebhookUrl, type WebhookLookup } from './address';
import { newWebhookSecret } from './signature';

async function storeSecret(tx: Db, endpointId: string, secret: string, sealer: Sealer, now: Date) {
  await insertWebhookSecret(tx, {
    id: `whs_${ulid(now.getTime())}`,
    endpointId,
    sealed: sealer.seal(secret),
    createdAt: now,
  });
}

/** Who may have webhook endpoints: the partners (the PMO reads everything in the console). */
function requirePartner(actor: Actor): void {
  if (actor.role !== 'provider' && actor.role !== 'platform') throw new AppError('FORBIDDEN_ROLE');
}

export function toWebhookEndpoint(row: WebhookEndpointRow, secrets: WebhookSecretRow[]): TWebhookEndpoint {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    eventTypes: row.eventTypes,
    status: row.status,
    disabledReason: row.disabledReason,
    failingSince: row.failingSince?.toISOString() ?? null,
    secrets: secrets
      .filter((s) => s.endpointId === row.id)
      .map((s) => ({ createdAt: s.createdAt.toISOString(), expiresAt: s.expiresAt?.toISOString() ?? null })),
    createdAt: row.createdAt.toISOString(),
  };
}

export function toWebhookDelivery(row: WebhookDeliveryRow): TWebhookDelivery {
  return {
    id: row.id,
    endpointId: row.endpointId,
    eventId: row.eventId,
    eventType: row.eventType,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.status === 'PENDING' ? (row.nextAttemptAt?.toISOString() ?? null) : null,
    lastAttemptAt: row.lastAttemptAt?.toISOString() ?? null,
    lastStatusCode: row.lastStatusCode,
    lastError: row.lastError,
    deliveredAt: row.deliveredAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}

type Common = { db: Db; actor: Actor; requestId: string | null; now: Date };

async function endpointOf(db: Db, actor: Actor, id: string, forUpdate = false) {
  const row = await findWebhookEndpoint(db, id, actor.organisationId, { forUpdate });
  if (!row) throw new AppError('WEBHOOK_ENDPOINT_NOT_FOUND', { field: 'id' });
  return row;
}

/** A new endpoint and its first secret, which is returned here once and never again. */
export async function createWebhookEndpoint(
  opts: Common & {
    sealer: Sealer;
    allowLocal: boolean;
    /** How the URL's host name is resolved for the address check (the system resolver by default). */
    lookup?: WebhookLookup;
    input: z.input<typeof ZCreateWebhookEndpointInputSchema>;
  },
) {
  requirePartner(opts.actor);
  const input = ZCreateWebhookEndpointInputSchema.parse(opts.input);
  const url = await checkWebhookUrl(input.url, {
    allowPrivate: opts.allowLocal,
    ...(opts.lookup ? { lookup: opts.lookup } : {}),
  });
  const secret = newWebhookSecret();
  return opts.db.transaction(async (tx) => {
    if ((await countWebhookEndpoints(tx, opts.actor.organisationId)) >= WEBHOOK_ENDPOINTS_PER_ORGANISATION)
      throw new AppError('WEBHOOK_ENDPOINT_LIMIT');
    const row = await insertWebhookEndpoint(tx, {
      id: newId('webhookEndpoint', opts.now.getTime()),
      organisationId: opts.actor.organisationId,
      url,
      description: input.description ?? null,
      eventTypes: [...new Set(input.eventTypes)],
      status: 'ENABLED',
      createdAt: opts.now,
      updatedAt: opts.now,
    });
    await storeSecret(tx, row.id, secret, opts.sealer, opts.now);
    await recordChange(tx, {
      actor: actorRef(opts.actor, opts.requestId),
      action: 'webhook_endpoint.created',
      entityType: 'webhook_endpoint',
      entityId: row.id,
      fromState: null,
      toState: 'ENABLED',
      auditData: { url, eventTypes: row.eventTypes },
    });
    const secrets = await activeWebhookSecrets(tx, [row.id], opts.now);
    return { endpoint: toWebhookEndpoint(row, secrets), secret };
  });
}

export async function listWebhookEndpointsOf(opts: { db: Db; actor: Actor; now: Date }) {
  requirePartner(opts.actor);
  const rows = await listWebhookEndpoints(opts.db, opts.actor.organisationId);
  const secrets = await activeWebhookSecrets(
    opts.db,
    rows.map((r) => r.id),
    opts.now,
  );
  return { items: rows.map((r) => toWebhookEndpoint(r, secrets)) };
}

export async function getWebhookEndpoint(opts: {
  db: Db;
  actor: Actor;
  now: Date;
  input: z.input<typeof ZWebhookEndpointIdInputSchema>;
}) {
  requirePartner(opts.actor);
  const { id } = ZWebhookEndpointIdInputSchema.parse(opts.input);
  const row = await endpointOf(opts.db, opts.actor, id);
  return toWebhookEndpoint(row, await activeWebhookSecrets(opts.db, [row.id], opts.now));
}

/** Changes URL, description or types; `enabled: true` re-enables a disabled endpoint. */
export async function updateWebhookEndpointOf(
  opts: Common & {
    allowLocal: boolean;
    lookup?: WebhookLookup;
    input: z.input<typeof ZUpdateWebhookEndpointInputSchema>;
  },
) {
  requirePartner(opts.actor);
  const input = ZUpdateWebhookEndpointInputSchema.parse(opts.input);
  const url =
    input.url === undefined
      ? undefined
      : await checkWebhookUrl(input.url, {
          allowPrivate: opts.allowLocal,
          ...(opts.lookup ? { lookup: opts.lookup } : {}),
        });
  return opts.db.transaction(async (tx) => {
    const before = await endpointOf(tx, opts.actor, input.id, true);
    const status = input.enabled === undefined ? before.status : input.enabled ? 'ENABLED' : 'DISABLED';
    const row = await updateWebhookEndpoint(tx, before.id, {
      ...(url !== undefined ? { url } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.eventTypes ? { eventTypes: [...new Set(input.eventTypes)] } : {}),
      status,
      ...(status !== before.status
        ? status === 'ENABLED'
          ? { disabledReason: null, failingSince: null }
          : { disabledReason: 'Disabled by its owner.' }
        : {}),
      updatedAt: opts.now,
    });
    await recordChange(tx, {
      actor: actorRef(opts.actor, opts.requestId),
      action: 'webhook_endpoint.updated',
      entityType: 'webhook_endpoint',
      entityId: row.id,
      fromState: before.status,
      toState: row.status,
      auditData: { url: row.url, eventTypes: row.eventTypes },
    });
    return toWebhookEndpoint(row, await activeWebhookSecrets(tx, [row.id], opts.now));
  });
}

export async function deleteWebhookEndpointOf(
  opts: Common & { input: z.input<typeof ZWebhookEndpointIdInputSchema> },
) {
  requirePartner(opts.actor);
  const { id } = ZWebhookEndpointIdInputSchema.parse(opts.input);
  return opts.db.transaction(async (tx) => {
    const row = await endpointOf(tx, opts.actor, id, true);
    await deleteWebhookEndpoint(tx, row.id);
    await recordChange(tx, {
      actor: actorRef(opts.actor, opts.requestId),
      action: 'webhook_endpoint.deleted',
      entityType: 'webhook_endpoint',
      entityId: row.id,
      fromState: row.status,
      toState: null,
      auditData: { url: row.url },
    });
    return { deleted: true as const };
  });
}

/**
 * A new secret, returned once. The previous one keeps signing beside it for 24 hours (deliveries
 * carry one v1 per active secret), so receivers can switch without dropping a delivery.
 */
export async function rotateWebhookSecret(
  opts: Common & { sealer: Sealer; input: z.input<typeof ZWebhookEndpointIdInputSchema> },
) {
  requirePartner(opts.actor);
  const { id } = ZWebhookEndpointIdInputSchema.parse(opts.input);
  const secret = newWebhookSecret();
  return opts.db.transaction(async (tx) => {
    const row = await endpointOf(tx, opts.actor, id, true);
    const overlapEnds = new Date(opts.now.getTime() + WEBHOOK_SECRET_OVERLAP_HOURS * 3_600_000);
    await expireCurrentWebhookSecret(tx, row.id, overlapEnds, opts.now);
    await storeSecret(tx, row.id, secret, opts.sealer, opts.now);
    await recordChange(tx, {
      actor: actorRef(opts.actor, opts.requestId),
      action: 'webhook_endpoint.secret_rotated',
      entityType: 'webhook_endpoint',
      entityId: row.id,
      fromState: null,
      toState: null,
      auditData: { previousValidUntil: overlapEnds.toISOString() },
    });
    return { endpoint: toWebhookEndpoint(row, await activeWebhookSecrets(tx, [row.id], opts.now)), secret };
  });
}

export async function listDeliveriesOf(opts: {
  db: Db;
  actor: Actor;
  input: z.input<typeof ZListWebhookDeliveriesInputSchema>;
}) {
  requirePartner(opts.actor);
  const input = ZListWebhookDeliveriesInputSchema.parse(opts.input);
  await endpointOf(opts.db, opts.actor, input.endpointId);
  const rows = await listWebhookDeliveries(opts.db, {
    endpointId: input.endpointId,
    status: input.status,
    ...(input.cursor ? { after: decodeCursor(input.cursor) } : {}),
    limit: input.limit,
  });
  return toPage(
    rows,
    input.limit,
    (r) => r.delivery.id,
    (r) => toWebhookDelivery(r.delivery),
  );
}

/** The PMO's view of every partner's deliveries: what failed where, and why. */
export async function listAllDeliveries(opts: {
  db: Db;
  actor: Actor;
  input: z.infer<typeof ZPmoListWebhookDeliveriesInputSchema>;
}) {
  if (opts.actor.role !== 'pmo') throw new AppError('FORBIDDEN_ROLE');
  const rows = await listWebhookDeliveries(opts.db, {
    organisationId: opts.input.organisationId,
    status: opts.input.status,
    ...(opts.input.cursor ? { after: decodeCursor(opts.input.cursor) } : {}),
    limit: opts.input.limit,
  });
  return toPage(
    rows,
    opts.input.limit,
    (r) => r.delivery.id,
    (r) => ({ ...toWebhookDelivery(r.delivery), organisationId: r.organisationId, url: r.url }),
  );
}

/** One delivery and its log: every attempt with the answer and how long it took. */
export async function getDeliveryOf(opts: {
  db: Db;
  actor: Actor;
  input: z.input<typeof ZWebhookDeliveryIdInputSchema>;
}) {
  requirePartner(opts.actor);
  const { id } = ZWebhookDeliveryIdInputSchema.parse(opts.input);
  const row = await findWebhookDelivery(opts.db, id, opts.actor.organisationId);
  if (!row) throw new AppError('WEBHOOK_DELIVERY_NOT_FOUND', { field: 'id' });
  const attempts = await webhookAttemptsOf(opts.db, row.id);
  return {
    delivery: toWebhookDelivery(row),
    attempts: attempts.map((a) => ({
      at: a.attemptedAt.toISOString(),
      statusCode: a.statusCode,
      error: a.error,
      durationMs: a.durationMs,
    })),
  };
}

/** Sends a delivery again as soon as a worker is free, whatever its state (same event id). */
export async function replayDelivery(
  opts: Common & { input: z.input<typeof ZWebhookDeliveryIdInputSchema> },
) {
  requirePartner(opts.actor);
  const { id } = ZWebhookDeliveryIdInputSchema.parse(opts.input);
  return opts.db.transaction(async (tx) => {
    const row = await findWebhookDelivery(tx, id, opts.actor.organisationId);
    if (!row) throw new AppError('WEBHOOK_DELIVERY_NOT_FOUND', { field: 'id' });
    // Its event's month detached for archiving: the worker could never send it (docs/adr/0007).
    if (!(await eventExists(tx, row.eventId))) throw new AppError('WEBHOOK_EVENT_ARCHIVED', { field: 'id' });
    const updated = await updateWebhookDelivery(tx, row.id, {
      status: 'PENDING',
      nextAttemptAt: opts.now,
      lockedUntil: null,
    });
    await recordChange(tx, {
      actor: actorRef(opts.actor, opts.requestId),
      action: 'webhook_delivery.replayed',
      entityType: 'webhook_delivery',
      entityId: row.id,
      fromState: row.status,
      toState: 'PENDING',
    });
    return toWebhookDelivery(updated ?? row);
  });
}

export function toEvent(r: {
  id: string;
  type: string;
  entityType: string;
  entityId: string;
  data: Record<string, unknown>;
  createdAt: Date;
}): TEvent {
  return {
    id: r.id,
    type: r.type as TEventType,
    createdAt: r.createdAt.toISOString(),
    entity: { type: r.entityType, id: r.entityId },
    data: r.data,
  };
}

/**
 * The caller's events for those who poll instead of (or besides) receiving webhooks: a feed, not a
 * finite list. Follow nextCursor: an event whose transaction commits late still appears after the
 * cursor, never behind. The cursor is always there (an empty page hands yours back); `hasMore`
 * says whether to call again at once or to wait and poll.
 */
export async function listEvents(opts: {
  db: Db;
  actor: Actor;
  input: z.input<typeof ZListEventsInputSchema>;
}): Promise<TEventPage> {
  const input = ZListEventsInputSchema.parse(opts.input);
  // The same reader as the catalog feed's (it also takes the JSON-wrapped cursors events.list
  // handed out before, and refuses numbers too big for the database's casts).
  const since = decodeFeedCursor(input.cursor, 'cursor');
  // A cursor behind a month detached for archiving would skip what that month held: refused, not a
  // silent hole. Without a cursor the feed starts at the oldest event kept (docs/adr/0007).
  if (input.cursor && (await eventFeedPositionArchived(opts.db, since)))
    throw new AppError('EVENTS_CURSOR_EXPIRED', { field: 'cursor' });
  const rows = await eventsAfter(opts.db, {
    organisationId: opts.actor.organisationId,
    since,
    ...(input.types ? { types: typeof input.types === 'string' ? [input.types] : input.types } : {}),
    limit: input.limit,
  });
  const more = rows.length > input.limit;
  const page = more ? rows.slice(0, input.limit) : rows;
  const last = page.at(-1);
  return {
    items: page.map(toEvent),
    nextCursor: encodeFeedCursor(last ? { xid: last.xid, seq: last.seq } : since),
    hasMore: more,
  };
}
