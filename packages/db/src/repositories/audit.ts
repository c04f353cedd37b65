import type { Db } from '../client';
import { auditLog } from '../schema';

export type AuditEntry = {
  id: string;
  actorOrganisationId: string | null;
  actorClientId: string | null;
  action: string;
  entityType: string;
  entityId: string;
  fromState: string | null;
  toState: string | null;
  requestId: string | null;
  data?: Record<string, unknown>;
};

export async function insertAudit(db: Db, entry: AuditEntry): Promise<void> {
  await db.insert(auditLog).values({ ...entry, data: entry.data ?? {} });
}

/** Many audit rows in one statement (bulk imports). */
export async function insertAuditEntries(db: Db, entries: AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await db.insert(auditLog).values(entries.map((e) => ({ ...e, data: e.data ?? {} })));
}
