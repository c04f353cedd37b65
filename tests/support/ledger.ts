import { type Db, schema } from '@latih/db';
import { eq, sql } from 'drizzle-orm';

/** The balance of one ledger account: what the tests compare before and after a movement. */
export async function accountBalance(db: Db, account: string): Promise<number> {
  const [row] = await db
    .select({ sum: sql<number>`coalesce(sum(${schema.ledgerEntries.amount}), 0)`.mapWith(Number) })
    .from(schema.ledgerEntries)
    .where(eq(schema.ledgerEntries.account, account));
  return row?.sum ?? 0;
}
