import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPglite, openPostgres } from '@latih/db';
import pg from 'pg';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A migrated PGlite data folder, dumped once; each test file loads its own copy. */
    pgliteDump: string;
    /** Connection URL of a migrated PostgreSQL template database, when TEST_DATABASE_URL is set. */
    pgTemplateUrl: string | null;
  }
}

/**
 * Migrates once per run: a PGlite dump and (with TEST_DATABASE_URL) a PostgreSQL template
 * database. Test files clone them, so every file starts on a fresh, migrated database.
 */
export default async function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'latih-test-'));
  const lite = await openPglite();
  await lite.migrate();
  const dump = await lite.pglite?.dumpDataDir('gzip');
  if (!dump) throw new Error('PGlite did not dump its data folder');
  const dumpPath = join(dir, 'migrated.tar.gz');
  writeFileSync(dumpPath, Buffer.from(await dump.arrayBuffer()));
  await lite.close();
  project.provide('pgliteDump', dumpPath);

  const baseUrl = process.env.TEST_DATABASE_URL;
  let template: string | null = null;
  let admin: pg.Client | undefined;
  if (baseUrl) {
    template = `latih_tpl_${Date.now()}_${process.pid}`;
    admin = new pg.Client({ connectionString: baseUrl });
    await admin.connect();
    await admin.query(`create database "${template}"`);
    const url = withDatabase(baseUrl, template);
    const db = await openPostgres(url, { max: 1, onIdleError: () => undefined });
    await db.migrate();
    await db.close();
    project.provide('pgTemplateUrl', url);
  } else {
    project.provide('pgTemplateUrl', null);
  }

  return async () => {
    rmSync(dir, { recursive: true, force: true });
    if (admin && template) {
      // Clones made by the test files are dropped by them; the template goes last.
      const { rows } = await admin.query<{ datname: string }>(
        `select datname from pg_database where datname like $1`,
        [`${template.replace('_tpl_', '_t_')}%`],
      );
      for (const r of rows) await admin.query(`drop database if exists "${r.datname}" with (force)`);
      await admin.query(`drop database if exists "${template}" with (force)`);
      await admin.end();
    }
  };
}

export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}
