import type { TEventType } from '@latih/contracts';
import { type Db, insertAudit, insertEvent } from '@latih/db';
import type { ActorRef } from './auth/actor';
import { newId } from './ids';

/**
 * Every state change writes its audit row and its outbox event through here, inside the
 * caller's transaction: the change, the audit row and the event commit together or not at all.
 */
export async function recordChange(
  tx: Db,
  change: {
    actor: ActorRef;
    action: string;
    entityType: string;
    entityId: string;
    fromState: string | null;
    toState: string | null;
    event?: { type: TEventType; organisationId: string | null; data: Record<string, unknown> };
    auditData?: Record<string, unknown>;
  },
): Promise<void> {
  await insertAudit(tx, {
    id: newId('audit'),
    actorOrganisationId: change.actor.organisationId,
    actorClientId: change.actor.clientId,
    action: change.action,
    entityType: change.entityType,
    entityId: change.entityId,
    fromState: change.fromState,
    toState: change.toState,
    requestId: change.actor.requestId,
    ...(change.auditData ? { data: change.auditData } : {}),
  });
  if (change.event) {
    await insertEvent(tx, {
      id: newId('event'),
      type: change.event.type,
      organisationId: change.event.organisationId,
      entityType: change.entityType,
      entityId: change.entityId,
      data: change.event.data,
      requestId: change.actor.requestId,
    });
  }
}
