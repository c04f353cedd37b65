import { DEFAULT_SCOPES, type TOrganisationKind, type TRole } from '@latih/contracts';
import { type Db, insertApiClient, insertOrganisation } from '@latih/db';
import { generateClientSecret, hashSecret } from './auth/secrets';
import { newId } from './ids';

const ROLE: Record<TOrganisationKind, TRole> = { PMO: 'pmo', PROVIDER: 'provider', PLATFORM: 'platform' };

/** Creates an organisation with one API client; the secret is returned once and stored hashed. */
export async function createOrganisationWithClient(
  db: Db,
  opts: { kind: TOrganisationKind; name: string; id?: string; clientId?: string; clientSecret?: string },
): Promise<{ organisationId: string; clientId: string; clientSecret: string; created: boolean }> {
  const organisationId = opts.id ?? newId('organisation');
  const clientId = opts.clientId ?? newId('client');
  const clientSecret = opts.clientSecret ?? generateClientSecret();
  return db.transaction(async (tx) => {
    const { created } = await insertOrganisation(tx, {
      id: organisationId,
      kind: opts.kind,
      name: opts.name,
      status: 'ACTIVE',
    });
    const clientCreated = await insertApiClient(tx, {
      id: clientId,
      organisationId,
      secretHash: hashSecret(clientSecret),
      secretLast4: clientSecret.slice(-4),
      scopes: [...DEFAULT_SCOPES[ROLE[opts.kind]]],
      label: 'default',
    });
    return { organisationId, clientId, clientSecret, created: created || clientCreated };
  });
}

/**
 * Fixed demo organisations and credentials. These secrets are public (they are in the README), so
 * the gateway seeds them only outside production.
 */
export const DEMO_ORGANISATIONS = [
  {
    key: 'pmo',
    kind: 'PMO',
    name: 'Manajemen Pelaksana Program (demo)',
    id: 'org_01jw00000000000000000000p1',
    clientId: 'cli_01jw00000000000000000000p1',
    clientSecret: 'lts_demo_pmo_secret_do_not_use_in_production',
  },
  {
    key: 'provider-a',
    kind: 'PROVIDER',
    name: 'Lembaga Pelatihan Nusantara Cakap (demo)',
    id: 'org_01jw00000000000000000000a1',
    clientId: 'cli_01jw00000000000000000000a1',
    clientSecret: 'lts_demo_provider_a_secret_do_not_use_in_production',
  },
  {
    key: 'provider-b',
    kind: 'PROVIDER',
    name: 'Balai Kursus Terampil Makassar (demo)',
    id: 'org_01jw00000000000000000000a2',
    clientId: 'cli_01jw00000000000000000000a2',
    clientSecret: 'lts_demo_provider_b_secret_do_not_use_in_production',
  },
  {
    key: 'platform-a',
    kind: 'PLATFORM',
    name: 'Pasar Kursus Digital (demo)',
    id: 'org_01jw00000000000000000000b1',
    clientId: 'cli_01jw00000000000000000000b1',
    clientSecret: 'lts_demo_platform_a_secret_do_not_use_in_production',
  },
  {
    key: 'platform-b',
    kind: 'PLATFORM',
    name: 'Ruang Belajar Mitra (demo)',
    id: 'org_01jw00000000000000000000b2',
    clientId: 'cli_01jw00000000000000000000b2',
    clientSecret: 'lts_demo_platform_b_secret_do_not_use_in_production',
  },
] as const satisfies ReadonlyArray<{
  key: string;
  kind: TOrganisationKind;
  name: string;
  id: string;
  clientId: string;
  clientSecret: string;
}>;

/** Idempotent: running it again on a seeded database changes nothing. Returns how many were new. */
export async function seedDemo(db: Db): Promise<number> {
  let created = 0;
  for (const org of DEMO_ORGANISATIONS) {
    const r = await createOrganisationWithClient(db, org);
    if (r.created) created++;
  }
  return created;
}
