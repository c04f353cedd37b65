import { eq } from 'drizzle-orm';
import type { Db } from '../client';
import { apiClients, organisations } from '../schema';

export type ApiClientRecord = {
  id: string;
  organisationId: string;
  organisationKind: 'PMO' | 'PROVIDER' | 'PLATFORM';
  organisationStatus: 'APPLIED' | 'ACTIVE' | 'SUSPENDED' | 'REJECTED';
  organisationName: string;
  secretHash: string;
  scopes: string[];
  status: 'ACTIVE' | 'REVOKED';
  expiresAt: Date | null;
};

export async function findApiClient(db: Db, id: string): Promise<ApiClientRecord | undefined> {
  const [row] = await db
    .select({
      id: apiClients.id,
      organisationId: apiClients.organisationId,
      organisationKind: organisations.kind,
      organisationStatus: organisations.status,
      organisationName: organisations.name,
      secretHash: apiClients.secretHash,
      scopes: apiClients.scopes,
      status: apiClients.status,
      expiresAt: apiClients.expiresAt,
    })
    .from(apiClients)
    .innerJoin(organisations, eq(organisations.id, apiClients.organisationId))
    .where(eq(apiClients.id, id))
    .limit(1);
  return row;
}

export async function insertApiClient(
  db: Db,
  values: {
    id: string;
    organisationId: string;
    secretHash: string;
    secretLast4: string;
    scopes: string[];
    label?: string;
  },
): Promise<boolean> {
  const rows = await db
    .insert(apiClients)
    .values({ ...values, status: 'ACTIVE' })
    .onConflictDoNothing()
    .returning({ id: apiClients.id });
  return rows.length > 0;
}
