import type { TEventType } from '@latih/contracts';
import type { Db } from '../client';
import { events } from '../schema';

export type OutboxEvent = {
  id: string;
  type: TEventType;
  organisationId: string | null;
  entityType: string;
  entityId: string;
  data: Record<string, unknown>;
  requestId: string | null;
};

export async function insertEvent(db: Db, event: OutboxEvent): Promise<void> {
  await db.insert(events).values(event);
}
