import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MIGRATIONS_FOLDER, openPglite, openPostgres } from '@latih/db';
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
 * Migrates once: a PGlite dump (cached until the migrations change, see migratedPgliteDump) and,
 * per run, (with TEST_DATABASE_URL) a PostgreSQL template database. Test files clone them, so
 * every file starts on a fresh, migrated database.
 */
export default async function setup(project: TestProject) {
  project.provide('pgliteDump', await migratedPgliteDump());

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

/**
 * The migrated PGlite data folder, dumped, from a cache keyed by the migrations and PGlite's
 * version: a PGlite made from nothing runs initdb (about 6 s of CPU on these machines, before the
 * migrations), and each project with this global setup (integration, e2e) made its own on every run.
 * The dump depends on nothing else (the migrations insert no time-dependent rows), so it is made
 * once per change of either; written under a temporary name and renamed, so a run that stops
 * halfway leaves no partial dump behind.
 */
async function migratedPgliteDump(): Promise<string> {
  const root = new URL('../../', import.meta.url).pathname;
  const pglite = JSON.parse(
    readFileSync(join(root, 'node_modules/@electric-sql/pglite/package.json'), 'utf8'),
  );
  const hash = createHash('sha256').update(`pglite ${pglite.version}\n`);
  for (const file of readdirSync(MIGRATIONS_FOLDER, { recursive: true, encoding: 'utf8' }).sort()) {
    const path = join(MIGRATIONS_FOLDER, file);
    if (!file.endsWith('.sql') && !file.endsWith('.json')) continue;
    hash.update(`${file}\n`).update(readFileSync(path));
  }
  const cacheDir = join(root, 'node_modules/.cache/latih-tests');
  const dumpPath = join(cacheDir, `pglite-migrated-${hash.digest('hex').slice(0, 16)}.tar.gz`);
  if (existsSync(dumpPath)) return dumpPath;
  const lite = await openPglite();
  await lite.migrate();
  const dump = await lite.pglite?.dumpDataDir('gzip');
  if (!dump) throw new Error('PGlite did not dump its data folder');
  await lite.close();
  mkdirSync(cacheDir, { recursive: true });
  const partial = `${dumpPath}.${process.pid}.${Date.now()}`;
  writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
  renameSync(partial, dumpPath);
  return dumpPath;
}

export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}
