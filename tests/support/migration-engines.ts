import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { type Db, MIGRATIONS_FOLDER, parseInt8 } from '@latih/db';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import { expect, inject } from 'vitest';

/**
 * For tests of one migration on a populated database: the migrations folder as it was at `tag`
 * (the same files, the journal cut after it), and a database on either engine that can be
 * migrated to a folder, filled in between, then migrated to the end.
 */
export function migrationsUpTo(tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), `latih-migrations-${tag.slice(0, 4)}-`));
  cpSync(MIGRATIONS_FOLDER, dir, { recursive: true });
  const journalFile = join(dir, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalFile, 'utf8')) as { entries: { tag: string }[] };
  const cut = journal.entries.findIndex((e) => e.tag === tag);
  expect(cut).toBeGreaterThan(0);
  journal.entries = journal.entries.slice(0, cut + 1);
  writeFileSync(journalFile, JSON.stringify(journal));
  return dir;
}

export type MigrationEngine = {
  db: Db;
  migrateTo(folder: string): Promise<void>;
  close(): Promise<void>;
};

export async function pgliteMigrationEngine(): Promise<MigrationEngine> {
  const client = new PGlite('memory://', { parsers: { 20: parseInt8 } });
  await client.waitReady;
  const db = drizzlePglite(client) as unknown as Db;
  return {
    db,
    migrateTo: (folder) => migratePglite(drizzlePglite(client), { migrationsFolder: folder }),
    close: () => client.close(),
  };
}

/** A database of its own on the test server (`suffix` keeps test files apart), dropped on close. */
export async function postgresMigrationEngine(suffix: string): Promise<MigrationEngine> {
  const templateUrl = inject('pgTemplateUrl');
  if (!templateUrl) throw new Error('no PostgreSQL');
  const admin = new URL(templateUrl);
  const name = `${admin.pathname.slice(1).replace('_tpl_', '_t_')}_${suffix}`;
  admin.pathname = '/postgres';
  const run = async (q: string) => {
    const c = new pg.Client({ connectionString: admin.toString() });
    await c.connect();
    await c.query(q);
    await c.end();
  };
  await run(`drop database if exists "${name}" with (force)`);
  await run(`create database "${name}"`);
  const url = new URL(templateUrl);
  url.pathname = `/${name}`;
  pg.types.setTypeParser(20, parseInt8);
  const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
  pool.on('error', () => undefined);
  return {
    db: drizzlePg(pool) as unknown as Db,
    migrateTo: (folder) => migratePg(drizzlePg(pool), { migrationsFolder: folder }),
    close: async () => {
      await pool.end();
      await run(`drop database if exists "${name}" with (force)`);
    },
  };
}

/** The engines a migration test runs on: PGlite, and PostgreSQL when the suite has a server. */
export function migrationEngineNames(): readonly ('pglite' | 'postgres')[] {
  return inject('pgTemplateUrl') ? ['pglite', 'postgres'] : ['pglite'];
}

/** A fresh database on the engine (`suffix` names a PostgreSQL one, keeping test files apart). */
export function openMigrationEngine(name: 'pglite' | 'postgres', suffix: string): Promise<MigrationEngine> {
  return name === 'pglite' ? pgliteMigrationEngine() : postgresMigrationEngine(suffix);
}
