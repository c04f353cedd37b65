import type { TListAuditInput } from '@latih/contracts';
import { and, asc, desc, eq, gte, like, lt, type SQL, sql } from 'drizzle-orm';
import { type Db, execRows } from '../client';
import { apiClients, auditLog, organisations, redirectUris } from '../schema';
import { decodeCursor, toPage } from './cursor';

export type OrganisationRow = typeof organisations.$inferSelect;
export type ApiClientRow = typeof apiClients.$inferSelect;

export async function findOrganisationRow(db: Db, id: string, opts: { forUpdate?: boolean } = {}) {
  const q = db.select().from(organisations).where(eq(organisations.id, id)).limit(1);
  const [row] = opts.forUpdate ? await q.for('update') : await q;
  return row;
}

export async function insertOrganisationRow(db: Db, values: typeof organisations.$inferInsert) {
  const [row] = await db.insert(organisations).values(values).returning();
  if (!row) throw new Error('organisation insert returned nothing');
  return row;
}

export async function updateOrganisationRow(
  db: Db,
  id: string,
  values: Partial<typeof organisations.$inferInsert>,
) {
  const [row] = await db.update(organisations).set(values).where(eq(organisations.id, id)).returning();
  if (!row) throw new Error(`organisation ${id} vanished`);
  return row;
}

/**
 * Tells catalog followers that every course of this provider changed: the feed answers each with
 * an upsert or a tombstone from the provider's status (see migration 0006 for the feed).
 */
export async function touchProviderCourses(db: Db, providerId: string): Promise<number> {
  const rows = await execRows<{ course_id: string }>(
    db,
    sql`insert into catalog_changes (course_id)
        select id from courses where provider_id = ${providerId} and status in ('PUBLISHED', 'SUSPENDED')
        returning course_id`,
  );
  return rows.length;
}

export async function clientsOf(db: Db, organisationId: string) {
  return db
    .select()
    .from(apiClients)
    .where(eq(apiClients.organisationId, organisationId))
    .orderBy(asc(apiClients.createdAt), asc(apiClients.id));
}

export async function findClientRow(db: Db, id: string, opts: { forUpdate?: boolean } = {}) {
  const q = db.select().from(apiClients).where(eq(apiClients.id, id)).limit(1);
  const [row] = opts.forUpdate ? await q.for('update') : await q;
  return row;
}

export async function insertClientRow(db: Db, values: typeof apiClients.$inferInsert) {
  const [row] = await db.insert(apiClients).values(values).returning();
  if (!row) throw new Error('client insert returned nothing');
  return row;
}

export async function updateClientRow(db: Db, id: string, values: Partial<typeof apiClients.$inferInsert>) {
  const [row] = await db.update(apiClients).set(values).where(eq(apiClients.id, id)).returning();
  if (!row) throw new Error(`client ${id} vanished`);
  return row;
}

export async function redirectUrisOf(db: Db, organisationId: string) {
  return db
    .select()
    .from(redirectUris)
    .where(eq(redirectUris.organisationId, organisationId))
    .orderBy(asc(redirectUris.uri));
}

export async function deleteRedirectUri(db: Db, organisationId: string, uri: string): Promise<boolean> {
  const rows = await db
    .delete(redirectUris)
    .where(and(eq(redirectUris.organisationId, organisationId), eq(redirectUris.uri, uri)))
    .returning({ uri: redirectUris.uri });
  return rows.length > 0;
}

type AuditRow = typeof auditLog.$inferSelect;

/** The audit log, newest first. There is no update or delete here, nor anywhere else. */
export async function listAudit(db: Db, input: TListAuditInput) {
  const where: (SQL | undefined)[] = [];
  if (input.entityType) where.push(eq(auditLog.entityType, input.entityType));
  if (input.entityId) where.push(eq(auditLog.entityId, input.entityId));
  if (input.actorOrganisationId) where.push(eq(auditLog.actorOrganisationId, input.actorOrganisationId));
  if (input.action) {
    where.push(
      input.action.endsWith('.')
        ? like(auditLog.action, `${input.action.replace(/[%_\\]/g, '\\$&')}%`)
        : eq(auditLog.action, input.action),
    );
  }
  if (input.from) where.push(gte(auditLog.occurredAt, new Date(input.from)));
  if (input.to) where.push(lt(auditLog.occurredAt, new Date(input.to)));
  if (input.cursor) where.push(lt(auditLog.id, decodeCursor(input.cursor)));
  const rows = await db
    .select()
    .from(auditLog)
    .where(and(...where))
    .orderBy(desc(auditLog.id))
    .limit(input.limit + 1);
  return toPage(rows, input.limit, (r) => r.id, toAuditEntry);
}

export async function auditOf(db: Db, entityType: string, entityId: string) {
  const rows = await db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.entityType, entityType), eq(auditLog.entityId, entityId)))
    .orderBy(asc(auditLog.occurredAt), asc(auditLog.id));
  return rows.map(toAuditEntry);
}

export function toAuditEntry(r: AuditRow) {
  return {
    id: r.id,
    occurredAt: r.occurredAt.toISOString(),
    actorOrganisationId: r.actorOrganisationId,
    actorClientId: r.actorClientId,
    action: r.action,
    entityType: r.entityType,
    entityId: r.entityId,
    fromState: r.fromState,
    toState: r.toState,
    requestId: r.requestId,
    data: r.data,
  };
}
