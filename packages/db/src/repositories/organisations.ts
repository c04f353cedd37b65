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

/**
 * FOR SHARE on a provider's row: taken by every course write that decides whether a course is on
 * sale (approval, a course's suspension or reinstatement, withdrawal), after the course's own row
 * (the order reviews use too: course, then provider), and held to commit.
 *
 * The feed serves each change row with the course's state at read time, and whether a course is on
 * sale depends on two rows: the course's status and its provider's. A provider's suspension or
 * reinstatement re-announces the courses it sees as published; a course approved in a transaction
 * it cannot see yet was missed, and if that approval committed first a storefront could read it
 * with the provider's old status and never hear of the course again. SHARE conflicts with the
 * provider change's FOR UPDATE (and with a plain UPDATE's NO KEY UPDATE, which KEY SHARE would
 * not), so the two decisions are serialised: either the course write commits first and the
 * provider change, locking after it, sees the course and re-announces it; or the provider change
 * commits first and the course write's own change row is read after both. Course writes do not
 * block each other (SHARE is shared). See docs/architecture.md (the catalog feed).
 */
export async function lockProviderForCatalog(db: Db, providerId: string): Promise<void> {
  await db
    .select({ id: organisations.id })
    .from(organisations)
    .where(eq(organisations.id, providerId))
    .for('share');
}
