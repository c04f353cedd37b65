import type { TListOrganisationsInput, TOrganisation, TOrganisationKind } from '@latih/contracts';
import { and, desc, eq, lt, type SQL } from 'drizzle-orm';
import type { Db } from '../client';
import { organisations } from '../schema';
import { decodeCursor, toPage } from './cursor';

type Row = typeof organisations.$inferSelect;

export function toOrganisation(row: Row): TOrganisation {
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    status: row.status,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export async function findOrganisation(db: Db, id: string): Promise<TOrganisation | undefined> {
  const [row] = await db.select().from(organisations).where(eq(organisations.id, id)).limit(1);
  return row ? toOrganisation(row) : undefined;
}

export async function insertOrganisation(
  db: Db,
  values: { id: string; kind: TOrganisationKind; name: string; status: TOrganisation['status'] },
): Promise<{ organisation: TOrganisation; created: boolean }> {
  const [row] = await db.insert(organisations).values(values).onConflictDoNothing().returning();
  if (row) return { organisation: toOrganisation(row), created: true };
  const existing = await findOrganisation(db, values.id);
  if (!existing) throw new Error(`organisation ${values.id} vanished during insert`);
  return { organisation: existing, created: false };
}

export async function listOrganisations(db: Db, input: TListOrganisationsInput) {
  const where: SQL[] = [];
  if (input.kind) where.push(eq(organisations.kind, input.kind));
  if (input.status) where.push(eq(organisations.status, input.status));
  if (input.cursor) where.push(lt(organisations.id, decodeCursor(input.cursor)));
  const rows = await db
    .select()
    .from(organisations)
    .where(and(...where))
    .orderBy(desc(organisations.id))
    .limit(input.limit + 1);
  return toPage(rows, input.limit, (r) => r.id, toOrganisation);
}
