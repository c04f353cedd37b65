import { rmSync } from 'node:fs';
import { type Db, execRows, MIGRATIONS_FOLDER, statusListEntries } from '@latih/db';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type MigrationEngine,
  migrationEngineNames,
  migrationsUpTo,
  openMigrationEngine,
} from '../support/migration-engines';

/*
 * The status-list migration on a database that already holds certificates: certificates issued
 * before it get a status index each (distinct, from the sequence), a revoked one's bit is set in
 * list 1, and certificates issued after it go on from the sequence.
 */

const PREVIOUS = '0038_catalog_entries';

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

describe.each(migrationEngineNames())(
  'the status-list migration on a database with certificates (%s)',
  (engineName) => {
    let engine: MigrationEngine;
    const previous = migrationsUpTo(PREVIOUS);
    afterAll(async () => {
      await engine?.close();
      rmSync(previous, { recursive: true, force: true });
    });

    it('gives every certificate its own index, sets the revoked one’s bit, and goes on from the sequence', {
      timeout: 120_000,
    }, async () => {
      engine = await openMigrationEngine(engineName, 'statusmig');
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
