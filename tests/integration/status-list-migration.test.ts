import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { type Db, execRows, MIGRATIONS_FOLDER, parseInt8, statusListEntries } from '@latih/db';
import { sql } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';

/*
 * The status-list migration on a database that already holds certificates: certificates issued
 * before it get a status index each (distinct, from the sequence), a revoked one's bit is set in
 * list 1, and certificates issued after it go on from the sequence.
 */

const PREVIOUS = '0038_catalog_entries';

/** The migrations folder as it was at PREVIOUS: the same files, the journal cut after it. */
function previousMigrations(): string {
  const dir = mkdtempSync(join(tmpdir(), 'latih-migrations-0038-'));
  cpSync(MIGRATIONS_FOLDER, dir, { recursive: true });
  const journalFile = join(dir, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalFile, 'utf8')) as { entries: { tag: string }[] };
  const cut = journal.entries.findIndex((e) => e.tag === PREVIOUS);
  expect(cut).toBeGreaterThan(0);
  journal.entries = journal.entries.slice(0, cut + 1);
  writeFileSync(journalFile, JSON.stringify(journal));
  return dir;
}

type Engine = {
  db: Db;
  migrateTo(folder: string): Promise<void>;
  close(): Promise<void>;
};

async function pgliteEngine(): Promise<Engine> {
  const client = new PGlite('memory://', { parsers: { 20: parseInt8 } });
  await client.waitReady;
  const db = drizzlePglite(client) as unknown as Db;
  return {
    db,
    migrateTo: (folder) => migratePglite(drizzlePglite(client), { migrationsFolder: folder }),
    close: () => client.close(),
  };
}

async function postgresEngine(): Promise<Engine> {
  const templateUrl = inject('pgTemplateUrl');
  if (!templateUrl) throw new Error('no PostgreSQL');
  const admin = new URL(templateUrl);
  const name = `${admin.pathname.slice(1).replace('_tpl_', '_t_')}_statusmig`;
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

/** A completed training and its certificate, as rows; `revoked` marks the certificate revoked. */
async function certificateRow(db: Db, n: number, revoked = false) {
  await db.execute(sql`insert into participants (id, scheme_id, status, balance, purchase_deadline, nik_last4,
      nik_hash, card_number, name, gender, birth_date, regency_code, cohort)
    values (${`par_${n}`}, 'PRAKERJA_2023', 'ACTIVE', 0, now(), '1234', ${`h${n}`}, ${`c${n}`}, 'Nama', 'F',
      '1990-01-01', '11.01', 1)`);
  await db.execute(sql`insert into vouchers (id, code_hash, code_last4, participant_id, platform_id, provider_id,
      course_id, checkout_id, price, status, expires_at)
    values (${`vch_${n}`}, ${`code${n}`}, 'abcd', ${`par_${n}`}, 'org_plat', 'org_prov', 'crs_x', ${`chk_${n}`},
      1000000, 'COMPLETED', now())`);
  await db.execute(sql`insert into enrollments (id, voucher_id, participant_id, provider_id, course_id, status, redeemed_at)
    values (${`enr_${n}`}, ${`vch_${n}`}, ${`par_${n}`}, 'org_prov', 'crs_x', 'COMPLETED', now())`);
  await db.execute(sql`insert into certificates (id, number, enrollment_id, provider_id, course_id, participant_id,
      credential, kid, status, issued_at, revoked_at)
    values (${`cert_${n}`}, ${`LTH-2026-0000-0000-000${n}`}, ${`enr_${n}`}, 'org_prov', 'crs_x', ${`par_${n}`},
      '{}', 'key_x', ${revoked ? 'REVOKED' : 'VALID'}, now(), ${revoked ? sql`now()` : null})`);
}

describe.each(inject('pgTemplateUrl') ? (['pglite', 'postgres'] as const) : (['pglite'] as const))(
  'the status-list migration on a database with certificates (%s)',
  (engineName) => {
    let engine: Engine;
    const previous = previousMigrations();
    afterAll(async () => {
      await engine?.close();
      rmSync(previous, { recursive: true, force: true });
    });

    it('gives every certificate its own index, sets the revoked one’s bit, and goes on from the sequence', {
      timeout: 120_000,
    }, async () => {
      engine = engineName === 'pglite' ? await pgliteEngine() : await postgresEngine();
      const { db } = engine;
      await engine.migrateTo(previous);
      await db.execute(sql`insert into organisations (id, kind, name, status) values
        ('org_prov', 'PROVIDER', 'LP', 'ACTIVE'), ('org_plat', 'PLATFORM', 'Platform', 'ACTIVE')`);
      await db.execute(sql`insert into courses (id, provider_id, status, title, summary, description, category, mode,
          duration_minutes, price, language)
        values ('crs_x', 'org_prov', 'PUBLISHED', 'Kursus', 's', 'd', 'OTHER', 'SELF_PACED', 900, 1000000, 'id')`);
      for (const n of [1, 2, 3]) await certificateRow(db, n, n === 2);

      await engine.migrateTo(MIGRATIONS_FOLDER);

      const rows = await execRows<{ id: string; status_index: number; status: string }>(
        db,
        sql`select id, status_index, status from certificates order by id`,
      );
      expect(rows.map((r) => r.id)).toEqual(['cert_1', 'cert_2', 'cert_3']);
      expect(new Set(rows.map((r) => Number(r.status_index)))).toEqual(new Set([0, 1, 2]));
      const revoked = Number(rows.find((r) => r.status === 'REVOKED')?.status_index);
      expect(await statusListEntries(db, 0, 131_071)).toEqual({ revoked: [revoked] });
      expect(await statusListEntries(db, 131_072, 262_143)).toBeNull();

      // A certificate issued after the migration takes the next index.
      await certificateRow(db, 4);
      const [next] = await execRows<{ status_index: number }>(
        db,
        sql`select status_index from certificates where id = 'cert_4'`,
      );
      expect(Number(next?.status_index)).toBe(3);
    });
  },
);
