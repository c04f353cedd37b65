import { and, count, eq, gte, min } from 'drizzle-orm';
import type { Db } from '../client';
import { balanceChecks } from '../schema';

export type BalanceCheckRow = typeof balanceChecks.$inferSelect;

export async function insertBalanceCheck(db: Db, row: typeof balanceChecks.$inferInsert) {
  const [r] = await db.insert(balanceChecks).values(row).returning();
  if (!r) throw new Error('balance check not inserted');
  return r;
}

/** The platform's own check, locked (another platform's answers like a missing one). */
export async function findBalanceCheckForUpdate(db: Db, id: string, platformId: string) {
  const [r] = await db
    .select()
    .from(balanceChecks)
    .where(and(eq(balanceChecks.id, id), eq(balanceChecks.platformId, platformId)))
    .for('update');
  return r;
}

export async function updateBalanceCheck(
  db: Db,
  id: string,
  patch: Partial<Pick<BalanceCheckRow, 'attempts' | 'status' | 'confirmedAt'>>,
) {
  await db.update(balanceChecks).set(patch).where(eq(balanceChecks.id, id));
}

/** How many checks of one card were started since `since` (by any platform), and the oldest's time. */
export async function recentBalanceChecks(
  db: Db,
  cardHash: string,
  since: Date,
): Promise<{ count: number; oldest: Date | null }> {
  const [r] = await db
    .select({ n: count(), oldest: min(balanceChecks.createdAt) })
    .from(balanceChecks)
    .where(and(eq(balanceChecks.cardHash, cardHash), gte(balanceChecks.createdAt, since)));
  return { count: Number(r?.n ?? 0), oldest: r?.oldest ? new Date(r.oldest) : null };
}
