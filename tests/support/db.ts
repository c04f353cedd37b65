import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type Database, openPglite, openPostgres } from '@latih/db';
import pg from 'pg';
import { inject } from 'vitest';

/**
 * `postgres-fresh-cluster`: a PostgreSQL cluster of its own, started for the file (see
 * fresh-cluster.ts), for tests that need the transaction counter to start at the beginning.
 */
export type EngineName = 'pglite' | 'postgres' | 'postgres-fresh-cluster';

/** PGlite always; PostgreSQL too when the run has TEST_DATABASE_URL. */
export function engines(): EngineName[] {
  return inject('pgTemplateUrl') ? ['pglite', 'postgres'] : ['pglite'];
}

export function postgresAvailable(): boolean {
  return inject('pgTemplateUrl') !== null;
}

export type TestDatabase = Database & { drop: () => Promise<void>; url?: string };

/** A fresh, migrated database of the given engine, private to the caller. */
export async function freshDatabase(
  engine: EngineName,
  opts: { poolSize?: number } = {},
): Promise<TestDatabase> {
  if (engine === 'pglite') {
    const dump = readFileSync(inject('pgliteDump'));
    const db = await openPglite({ loadDataDir: new Blob([dump]) });
    return { ...db, drop: () => db.close() };
  }
  if (engine === 'postgres-fresh-cluster')
    return (await import('./fresh-cluster')).freshClusterDatabase(opts);
  const templateUrl = inject('pgTemplateUrl');
  if (!templateUrl) throw new Error('PostgreSQL is not configured for this run (TEST_DATABASE_URL)');
  const template = new URL(templateUrl).pathname.slice(1);
  const name = `${template.replace('_tpl_', '_t_')}_${randomBytes(4).toString('hex')}`;
  const adminUrl = new URL(templateUrl);
  adminUrl.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: adminUrl.toString() });
  await admin.connect();
  await admin.query(`create database "${name}" template "${template}"`);
  await admin.end();
  const url = new URL(templateUrl);
  url.pathname = `/${name}`;
  // drop() terminates connections pg-pool is still closing: expected here, so not logged.
  const db = await openPostgres(url.toString(), { max: opts.poolSize ?? 8, onIdleError: () => undefined });
  return {
    ...db,
    url: url.toString(),
    drop: async () => {
      await db.close();
      const a = new pg.Client({ connectionString: adminUrl.toString() });
      await a.connect();
      await a.query(`drop database if exists "${name}" with (force)`);
      await a.end();
    },
  };
}
