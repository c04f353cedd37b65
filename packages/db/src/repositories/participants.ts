import { eq, inArray } from 'drizzle-orm';
import type { Db } from '../client';
import { participants } from '../schema';

export type ParticipantRow = typeof participants.$inferSelect;

/** Inserts the new ones; returns those inserted (a NIK or card number already present is skipped). */
export async function insertParticipants(
  db: Db,
  rows: (typeof participants.$inferInsert)[],
): Promise<ParticipantRow[]> {
  if (rows.length === 0) return [];
  return db.insert(participants).values(rows).onConflictDoNothing().returning();
}

export async function participantsByNikHash(db: Db, hashes: string[]) {
  if (hashes.length === 0) return [];
  return db
    .select({ id: participants.id, nikHash: participants.nikHash, cardNumber: participants.cardNumber })
    .from(participants)
    .where(inArray(participants.nikHash, hashes));
}

export async function participantsByCardNumber(db: Db, cards: string[]) {
  if (cards.length === 0) return [];
  return db
    .select({ id: participants.id, nikHash: participants.nikHash, cardNumber: participants.cardNumber })
    .from(participants)
    .where(inArray(participants.cardNumber, cards));
}

export async function findParticipantByCard(db: Db, cardNumber: string, opts: { forUpdate?: boolean } = {}) {
  const q = db.select().from(participants).where(eq(participants.cardNumber, cardNumber)).limit(1);
  const [row] = opts.forUpdate ? await q.for('update') : await q;
  return row;
}

export async function findParticipant(db: Db, id: string, opts: { forUpdate?: boolean } = {}) {
  const q = db.select().from(participants).where(eq(participants.id, id)).limit(1);
  const [row] = opts.forUpdate ? await q.for('update') : await q;
  return row;
}

export async function updateParticipantBalance(db: Db, id: string, balance: number): Promise<void> {
  await db.update(participants).set({ balance }).where(eq(participants.id, id));
}
