import { and, asc, desc, eq, gt, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import { type Db, execRows } from '../client';
import { events, webhookAttempts, webhookDeliveries, webhookEndpoints, webhookSecrets } from '../schema';
import { afterFeedPosition } from './cursor';

export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;
export type WebhookSecretRow = typeof webhookSecrets.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
export type EventRow = typeof events.$inferSelect;

export async function insertWebhookEndpoint(db: Db, values: typeof webhookEndpoints.$inferInsert) {
  const [row] = await db.insert(webhookEndpoints).values(values).returning();
  if (!row) throw new Error('insert into webhook_endpoints returned no row');
  return row;
}

export async function countWebhookEndpoints(db: Db, organisationId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)`.mapWith(Number) })
    .from(webhookEndpoints)
    .where(eq(webhookEndpoints.organisationId, organisationId));
  return row?.n ?? 0;
}

/** An endpoint by id, within the given organisation's own (null: any organisation's, for the PMO). */
export async function findWebhookEndpoint(
  db: Db,
  id: string,
  organisationId: string | null,
  opts: { forUpdate?: boolean } = {},
) {
  const q = db
    .select()
    .from(webhookEndpoints)
    .where(
      and(
        eq(webhookEndpoints.id, id),
        organisationId === null ? undefined : eq(webhookEndpoints.organisationId, organisationId),
      ),
    )
    .limit(1);
  const [row] = opts.forUpdate ? await q.for('update') : await q;
  return row;
}

export async function listWebhookEndpoints(db: Db, organisationId: string) {
  return db
    .select()
    .from(webhookEndpoints)
    .where(eq(webhookEndpoints.organisationId, organisationId))
    .orderBy(asc(webhookEndpoints.id));
}

export async function updateWebhookEndpoint(
  db: Db,
  id: string,
  values: Partial<typeof webhookEndpoints.$inferInsert>,
) {
  const [row] = await db.update(webhookEndpoints).set(values).where(eq(webhookEndpoints.id, id)).returning();
  if (!row) throw new Error(`webhook endpoint ${id} vanished`);
  return row;
}

export async function deleteWebhookEndpoint(db: Db, id: string): Promise<void> {
  await db.delete(webhookEndpoints).where(eq(webhookEndpoints.id, id));
}

export async function insertWebhookSecret(db: Db, values: typeof webhookSecrets.$inferInsert) {
  await db.insert(webhookSecrets).values(values);
}

/** Secrets still signing at `now`: the current one and any rotated out less than a day ago. */
export async function activeWebhookSecrets(db: Db, endpointIds: string[], now: Date) {
  if (endpointIds.length === 0) return [];
  return db
    .select()
    .from(webhookSecrets)
    .where(
      and(
        inArray(webhookSecrets.endpointId, endpointIds),
        or(isNull(webhookSecrets.expiresAt), gt(webhookSecrets.expiresAt, now)),
      ),
    )
    .orderBy(desc(webhookSecrets.createdAt));
}

/** Starts the overlap: the current secret now expires at `expiresAt`; secrets long expired go. */
export async function expireCurrentWebhookSecret(db: Db, endpointId: string, expiresAt: Date, now: Date) {
  await db
    .update(webhookSecrets)
    .set({ expiresAt })
    .where(and(eq(webhookSecrets.endpointId, endpointId), isNull(webhookSecrets.expiresAt)));
  await db
    .delete(webhookSecrets)
    .where(and(eq(webhookSecrets.endpointId, endpointId), lt(webhookSecrets.expiresAt, now)));
}

/**
 * Fan-out: claims up to `limit` unpublished events (SKIP LOCKED, so several workers share the work),
 * and answers them with the enabled endpoints of their organisation that subscribe to their type and
 * existed when the event was written. The caller inserts the deliveries and marks the events
 * published in the same transaction.
 */
export async function claimUnpublishedEvents(db: Db, limit: number) {
  return db
    .select({
      seq: events.seq,
      id: events.id,
      type: events.type,
      organisationId: events.organisationId,
      createdAt: events.createdAt,
    })
    .from(events)
    .where(isNull(events.publishedAt))
    .orderBy(asc(events.seq))
    .limit(limit)
    .for('update', { skipLocked: true });
}

export async function enabledEndpointsOf(db: Db, organisationIds: string[]) {
  if (organisationIds.length === 0) return [];
  return db
    .select()
    .from(webhookEndpoints)
    .where(
      and(inArray(webhookEndpoints.organisationId, organisationIds), eq(webhookEndpoints.status, 'ENABLED')),
    );
}

export async function insertWebhookDeliveries(db: Db, rows: (typeof webhookDeliveries.$inferInsert)[]) {
  if (rows.length === 0) return;
  await db.insert(webhookDeliveries).values(rows).onConflictDoNothing();
}

/** By id, the partition key (seq is not unique-indexed across the month partitions). */
export async function markEventsPublished(db: Db, ids: string[], at: Date): Promise<void> {
  if (ids.length === 0) return;
  await db.update(events).set({ publishedAt: at }).where(inArray(events.id, ids));
}

/** Whether the event is still in the table (false: unknown, or in a month detached for archiving). */
export async function eventExists(db: Db, id: string): Promise<boolean> {
  const [row] = await db.select({ id: events.id }).from(events).where(eq(events.id, id)).limit(1);
  return row !== undefined;
}

/**
 * Claims due deliveries for `leaseMs`: PENDING, due, not held by another worker. The lease is the
 * lock while the worker sends outside any transaction; a worker that dies lets it lapse and another
 * takes the delivery over (so delivery is at least once: receivers deduplicate on the event id).
 */
export async function claimDueDeliveries(db: Db, now: Date, limit: number, leaseMs: number) {
  const until = new Date(now.getTime() + leaseMs).toISOString();
  const at = now.toISOString();
  return execRows<{ id: string }>(
    db,
    sql`update webhook_deliveries set locked_until = ${until}::timestamptz
        where id in (
          select id from webhook_deliveries
          where status = 'PENDING' and next_attempt_at <= ${at}::timestamptz
            and (locked_until is null or locked_until <= ${at}::timestamptz)
          order by next_attempt_at
          limit ${limit}
          for update skip locked)
        returning id`,
  ).then((rows) => rows.map((r) => r.id));
}

export async function deliveriesWithEvents(db: Db, ids: string[]) {
  if (ids.length === 0) return [];
  return db
    .select({ delivery: webhookDeliveries, event: events, endpoint: webhookEndpoints })
    .from(webhookDeliveries)
    .innerJoin(events, eq(events.id, webhookDeliveries.eventId))
    .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
    .where(inArray(webhookDeliveries.id, ids));
}

export async function insertWebhookAttempt(db: Db, values: typeof webhookAttempts.$inferInsert) {
  await db.insert(webhookAttempts).values(values);
}

export async function updateWebhookDelivery(
  db: Db,
  id: string,
  values: Partial<typeof webhookDeliveries.$inferInsert>,
) {
  const [row] = await db
    .update(webhookDeliveries)
    .set(values)
    .where(eq(webhookDeliveries.id, id))
    .returning();
  return row;
}

/** A delivery of one of the organisation's endpoints. */
export async function findWebhookDelivery(db: Db, id: string, organisationId: string) {
  const [row] = await db
    .select({ delivery: webhookDeliveries })
    .from(webhookDeliveries)
    .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
    .where(and(eq(webhookDeliveries.id, id), eq(webhookEndpoints.organisationId, organisationId)))
    .limit(1);
  return row?.delivery;
}

/**
 * Deliveries newest first, with the endpoint they went to: one endpoint's (a partner's view), or
 * every partner's, optionally one organisation's (the PMO's view).
 */
export async function listWebhookDeliveries(
  db: Db,
  input: {
    endpointId?: string;
    organisationId?: string | undefined;
    status?: WebhookDeliveryRow['status'] | undefined;
    after?: string;
    limit: number;
  },
) {
  return db
    .select({
      delivery: webhookDeliveries,
      organisationId: webhookEndpoints.organisationId,
      url: webhookEndpoints.url,
    })
    .from(webhookDeliveries)
    .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
    .where(
      and(
        input.endpointId ? eq(webhookDeliveries.endpointId, input.endpointId) : undefined,
        input.organisationId ? eq(webhookEndpoints.organisationId, input.organisationId) : undefined,
        input.status ? eq(webhookDeliveries.status, input.status) : undefined,
        input.after ? lt(webhookDeliveries.id, input.after) : undefined,
      ),
    )
    .orderBy(desc(webhookDeliveries.id))
    .limit(input.limit + 1);
}

export async function webhookAttemptsOf(db: Db, deliveryId: string) {
  return db
    .select()
    .from(webhookAttempts)
    .where(eq(webhookAttempts.deliveryId, deliveryId))
    .orderBy(asc(webhookAttempts.id));
}

export type EventFeedRow = {
  /** Position in the feed: the writing transaction, then the row's sequence within it. */
  xid: string;
  seq: number;
  id: string;
  type: string;
  entityType: string;
  entityId: string;
  data: Record<string, unknown>;
  createdAt: Date;
};

/**
 * The organisation's events after a feed position, in (xid, seq) order (see afterFeedPosition), so
 * a poller following nextCursor never misses an event that commits late. Up to `limit + 1` rows:
 * the extra one tells the caller there is more.
 */
export async function eventsAfter(
  db: Db,
  input: { organisationId: string; since: { xid: string; seq: number }; types?: string[]; limit: number },
): Promise<EventFeedRow[]> {
  const typeFilter =
    input.types && input.types.length > 0
      ? sql`and e.type = any(string_to_array(${input.types.join(',')}, ','))`
      : sql``;
  const rows = await execRows<{
    seq: number | string;
    xid_text: string;
    id: string;
    type: string;
    entity_type: string;
    entity_id: string;
    data: Record<string, unknown>;
    created_at: Date | string;
  }>(
    db,
    // Not `xid::text as xid`: ORDER BY would bind to that text alias and sort "1391" before "999"
    // (STACK.md trap 15). The text form has its own name; the order is the xid8 column's.
    sql`select e.seq, e.xid::text as xid_text, e.id, e.type, e.entity_type, e.entity_id, e.data, e.created_at
        from events e
        where e.organisation_id = ${input.organisationId}
          and ${afterFeedPosition(input.since)}
          ${typeFilter}
        order by e.xid, e.seq
        limit ${input.limit + 1}`,
  );
  return rows.map((r) => ({
    xid: String(r.xid_text),
    seq: Number(r.seq),
    id: r.id,
    type: r.type,
    entityType: r.entity_type,
    entityId: r.entity_id,
    data: r.data,
    createdAt: r.created_at instanceof Date ? r.created_at : new Date(r.created_at),
  }));
}
