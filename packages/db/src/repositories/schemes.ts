import type { TScheme } from '@latih/contracts';
import { desc, eq, lte } from 'drizzle-orm';
import type { Db } from '../client';
import { schemes } from '../schema';

type Row = typeof schemes.$inferSelect;
const toScheme = (r: Row): TScheme => ({
  id: r.id,
  name: r.name,
  validFrom: r.validFrom.toISOString(),
  rules: r.rules,
});

export async function findScheme(db: Db, id: string): Promise<TScheme | undefined> {
  const [row] = await db.select().from(schemes).where(eq(schemes.id, id)).limit(1);
  return row ? toScheme(row) : undefined;
}

/** The scheme in force at `at`: the latest one that has started. */
export async function currentScheme(db: Db, at: Date): Promise<TScheme | undefined> {
  const [row] = await db
    .select()
    .from(schemes)
    .where(lte(schemes.validFrom, at))
    .orderBy(desc(schemes.validFrom))
    .limit(1);
  return row ? toScheme(row) : undefined;
}

export async function listSchemes(db: Db): Promise<TScheme[]> {
  return (await db.select().from(schemes).orderBy(schemes.validFrom)).map(toScheme);
}
