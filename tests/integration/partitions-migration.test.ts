import { rmSync } from 'node:fs';
import { ulid } from '@latih/core';
import { type Db, execRows, MIGRATIONS_FOLDER } from '@latih/db';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type MigrationEngine,
  migrationEngineNames,
  migrationsUpTo,
  openMigrationEngine,
} from '../support/migration-engines';

/*
 * Migration 0035 on a populated database: a database is migrated up to 0034, filled with events,
 * audit rows and attendance across several months (old ones included, and keys that are not
 * ULIDs), then migrated to the end. Every row must be there, in its month's partition, the events
 * feed in the same (xid, seq) order, the sequence going on after the highest seq, the append-only
 * triggers holding on every partition, and attendance's upsert replacing as before.
 */

const PREVIOUS = '0034_statistics_rollups';

const MONTHS = [
  '2019-03-15T08:00:00Z',
  '2024-01-31T23:59:59.999Z',
  '2025-06-01T00:00:00Z',
  '2026-02-10T12:00:00Z',
];
const id = (prefix: string, at: string) => `${prefix}_${ulid(Date.parse(at))}`;

/** Rows at 0034, as the gateway writes them, in separate transactions so the feed has several xids. */
async function populate(db: Db) {
  await db.execute(sql`insert into organisations (id, kind, name, status) values
    ('org_prov', 'PROVIDER', 'LP', 'ACTIVE'), ('org_plat', 'PLATFORM', 'Platform', 'ACTIVE')`);
  await db.execute(sql`insert into courses (id, provider_id, status, title, summary, description, category, mode,
      duration_minutes, price, language)
    values ('crs_x', 'org_prov', 'PUBLISHED', 'Kursus', 's', 'd', 'OTHER', 'SELF_PACED', 900, 1000000, 'id')`);
  const enrollments: string[] = [];
  for (const [i, at] of MONTHS.entries()) {
    for (let k = 0; k < 3; k++) {
      const n = `${i}${k}`;
      await db.execute(sql`insert into participants (id, scheme_id, status, balance, purchase_deadline, nik_last4,
          nik_hash, card_number, name, gender, birth_date, regency_code, cohort)
        values (${`par_${n}`}, 'PRAKERJA_2023', 'ACTIVE', 0, now(), '1234', ${`h${n}`}, ${`c${n}`}, 'Nama', 'F',
          '1990-01-01', '11.01', 1)`);
      await db.execute(sql`insert into vouchers (id, code_hash, code_last4, participant_id, platform_id, provider_id,
          course_id, checkout_id, price, status, expires_at)
        values (${`vch_${n}`}, ${`code${n}`}, 'abcd', ${`par_${n}`}, 'org_plat', 'org_prov', 'crs_x', ${`chk_${n}`},
          1000000, 'REDEEMED', now())`);
      const enr = id('enr', at);
      enrollments.push(enr);
      await db.execute(sql`insert into enrollments (id, voucher_id, participant_id, provider_id, course_id, status, redeemed_at)
        values (${enr}, ${`vch_${n}`}, ${`par_${n}`}, 'org_prov', 'crs_x', 'IN_TRAINING', ${at}::timestamptz)`);
      for (const seq of [1, 2])
        await db.execute(sql`insert into attendance (enrollment_id, sequence, status, method, recorded_at)
          values (${enr}, ${seq}, 'CONFIRMED', 'VENUE_QR', ${at}::timestamptz)`);
    }
  }
  // Events: months in an order other than their ids', two to a transaction, and one id that is not a ULID.
  for (const at of [MONTHS[2], MONTHS[0], MONTHS[3], MONTHS[1]] as string[]) {
    await db.transaction(async (tx) => {
      for (let k = 0; k < 2; k++)
        await tx.execute(sql`insert into events (id, type, organisation_id, entity_type, entity_id, data, published_at)
          values (${id('evt', at)}, 'course.published', 'org_prov', 'course', 'crs_x', '{}', now())`);
      await tx.execute(sql`insert into audit_log (id, action, entity_type, entity_id, occurred_at)
        values (${id('aud', at)}, 'course.published', 'course', 'crs_x', ${at}::timestamptz)`);
    });
  }
  await db.execute(sql`insert into events (id, type, organisation_id, entity_type, entity_id, data)
    values ('evt_legacy-1', 'course.published', 'org_prov', 'course', 'crs_x', '{}')`);
  await db.execute(
    sql`insert into audit_log (id, action, entity_type, entity_id) values ('aud_legacy-1', 'x', 'y', 'z')`,
  );
  await db.execute(sql`grant select on audit_log to public`);
  return { enrollments };
}

/** The database's own message for a statement that fails (Drizzle wraps it as the cause). */
async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof Error ? cause.message : String(err);
  }
  return 'not refused';
}

const feed = (db: Db) =>
  execRows<{ id: string; seq: number; xid: string }>(
    db,
    sql`select e.id, e.seq, e.xid::text as xid from events e order by e.xid, e.seq`,
  );
const placement = (db: Db, table: string) =>
  execRows<{ part: string; n: number }>(
    db,
    sql`select tableoid::regclass::text as part, count(*)::int as n from ${sql.raw(table)} group by 1 order by 1`,
  );

describe.each(migrationEngineNames())('migration 0035 on a populated database (%s)', (engineName) => {
  let engine: MigrationEngine;
  const previous = migrationsUpTo(PREVIOUS);
  afterAll(async () => {
    await engine?.close();
    rmSync(previous, { recursive: true, force: true });
  });

  it('keeps every row, in its month, the feed order, the sequence, the triggers and the upsert', {
    timeout: 120_000,
  }, async () => {
    engine = await openMigrationEngine(engineName, 'partmig');
    const { db } = engine;
    await engine.migrateTo(previous);
    const { enrollments } = await populate(db);
    const feedBefore = await feed(db);
    const auditBefore = await execRows<{ id: string }>(db, sql`select id from audit_log order by id`);
    const [{ last } = { last: 0 }] = await execRows<{ last: number }>(
      db,
      sql`select max(seq) as last from events`,
    );
    expect(feedBefore).toHaveLength(9);

    await engine.migrateTo(MIGRATIONS_FOLDER);

    // Every row, the feed in the same (xid, seq) order with the same values.
    expect(await feed(db)).toEqual(feedBefore);
    expect(await execRows(db, sql`select id from audit_log order by id`)).toEqual(auditBefore);
    expect(await placement(db, 'events')).toEqual([
      { part: 'events_2019_03', n: 2 },
      { part: 'events_2024_01', n: 2 },
      { part: 'events_2025_06', n: 2 },
      { part: 'events_2026_02', n: 2 },
      { part: 'events_default', n: 1 },
    ]);
    expect(await placement(db, 'audit_log')).toEqual([
      { part: 'audit_log_2019_03', n: 1 },
      { part: 'audit_log_2024_01', n: 1 },
      { part: 'audit_log_2025_06', n: 1 },
      { part: 'audit_log_2026_02', n: 1 },
      { part: 'audit_log_default', n: 1 },
    ]);
    expect(await placement(db, 'attendance')).toEqual([
      { part: 'attendance_2019_03', n: 6 },
      { part: 'attendance_2024_01', n: 6 },
      { part: 'attendance_2025_06', n: 6 },
      { part: 'attendance_2026_02', n: 6 },
    ]);

    // The sequence goes on after the highest seq; the default still fills xid and created_at.
    await db.execute(sql`insert into events (id, type, organisation_id, entity_type, entity_id, data)
      values (${id('evt', MONTHS[3] as string)}, 'course.published', 'org_prov', 'course', 'crs_x', '{}')`);
    const [fresh] = await execRows<{ seq: number; part: string; has_xid: boolean }>(
      db,
      sql`select seq, tableoid::regclass::text as part, xid is not null as has_xid from events order by seq desc limit 1`,
    );
    expect(fresh).toEqual({ seq: last + 1, part: 'events_2026_02', has_xid: true });
    // events.id stays unique across partitions (the primary key is the partition key).
    expect(
      await refusal(
        db.execute(sql`insert into events (id, type, entity_type, entity_id, data)
        select id, type, entity_type, entity_id, data from events where id like 'evt_%' limit 1`),
      ),
    ).toMatch(/duplicate key|unique/);

    // The audit log is append-only on the parent and on every partition, the default included.
    for (const target of ['audit_log', 'audit_log_2019_03', 'audit_log_2026_02', 'audit_log_default']) {
      expect(await refusal(db.execute(sql.raw(`update ${target} set action = 'rewritten'`)))).toMatch(
        /append-only/,
      );
      expect(await refusal(db.execute(sql.raw(`delete from ${target}`)))).toMatch(/append-only/);
      expect(await refusal(db.execute(sql.raw(`truncate ${target}`)))).toMatch(/append-only/);
    }
    // Its grant was kept.
    const [grant] = await execRows<{ ok: boolean }>(
      db,
      sql`select exists (select 1 from pg_class c, aclexplode(c.relacl) a
                          where c.oid = 'audit_log'::regclass and a.grantee = 0 and a.privilege_type = 'SELECT') as ok`,
    );
    expect(grant?.ok).toBe(true);

    // Attendance: recording again replaces the record (the upsert on the primary key), and the
    // trigger that marks the writing transaction still runs.
    const enr = enrollments[1] as string;
    const [before] = await execRows<{ x: string }>(
      db,
      sql`select changed_xid::text as x from attendance where enrollment_id = ${enr} and sequence = 1`,
    );
    await db.execute(sql`insert into attendance (enrollment_id, sequence, status, method, recorded_at)
      values (${enr}, 1, 'REJECTED', 'MANUAL', now())
      on conflict (enrollment_id, sequence) do update set status = excluded.status, method = excluded.method`);
    const after = await execRows<{ status: string; x: string }>(
      db,
      sql`select status, changed_xid::text as x from attendance where enrollment_id = ${enr} and sequence = 1`,
    );
    expect(after).toHaveLength(1);
    expect(after[0]?.status).toBe('REJECTED');
    expect(after[0]?.x).not.toBe(before?.x);
    // Its foreign key holds on the partitions.
    expect(
      await refusal(
        db.execute(sql`insert into attendance (enrollment_id, sequence, status, method, recorded_at)
        values (${id('enr', MONTHS[3] as string)}, 1, 'CONFIRMED', 'MANUAL', now())`),
      ),
    ).toMatch(/foreign key/);
  });
});
