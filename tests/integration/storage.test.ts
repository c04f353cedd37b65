import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPglite } from '@latih/db';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { engines, freshDatabase } from '../support/db';

describe('the embedded data folder', () => {
  it('is locked to one process, and a stale lock is taken over', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'latih-lock-'));
    try {
      // A live foreign holder (pid 1 always exists) refuses the open with a clear message.
      writeFileSync(join(dir, 'latih.pid'), '1');
      await expect(openPglite({ dataDir: dir })).rejects.toThrow(/in use by another process \(pid 1\)/);
      // A dead holder's lock is stale: taken over.
      writeFileSync(join(dir, 'latih.pid'), '2147483646');
      const db = await openPglite({ dataDir: dir });
      await db.migrate();
      expect(await db.migrationsCurrent()).toBe(true);
      await db.close();
      // Reopening an existing folder keeps its data.
      const again = await openPglite({ dataDir: dir });
      expect(await again.migrationsCurrent()).toBe(true);
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.each(engines())('migrations on %s', (engine) => {
  it('readiness sees migrations as current, and as not current when the last one is missing', async () => {
    const db = await freshDatabase(engine);
    try {
      expect(await db.migrationsCurrent()).toBe(true);
      await db.migrate(); // idempotent
      await db.db.execute(
        sql`delete from drizzle.__drizzle_migrations where created_at = (select max(created_at) from drizzle.__drizzle_migrations)`,
      );
      expect(await db.migrationsCurrent()).toBe(false);
    } finally {
      await db.drop();
    }
  });
});

describe('upgrading a database that already holds courses', () => {
  it('the catalog migration seeds the schemes before courses point to them, and fills the new columns', async () => {
    const { cpSync, readFileSync: read } = await import('node:fs');
    const { MIGRATIONS_FOLDER } = await import('@latih/db');
    const { drizzle } = await import('drizzle-orm/pglite');
    const { migrate } = await import('drizzle-orm/pglite/migrator');
    const dir = mkdtempSync(join(tmpdir(), 'latih-upgrade-'));
    try {
      // The migrations as they stood before the catalog one.
      const old = join(dir, 'migrations');
      cpSync(MIGRATIONS_FOLDER, old, { recursive: true });
      const journalPath = join(old, 'meta', '_journal.json');
      const journal = JSON.parse(read(journalPath, 'utf8')) as { entries: { tag: string }[] };
      journal.entries = journal.entries.filter((e) => e.tag.startsWith('0000') || e.tag.startsWith('0001'));
      writeFileSync(journalPath, JSON.stringify(journal));

      const db = await openPglite();
      const client = db.pglite;
      if (!client) throw new Error('no pglite');
      await migrate(drizzle(client), { migrationsFolder: old });
      await db.db.execute(
        sql`insert into organisations (id, kind, name, status) values ('org_x', 'PROVIDER', 'Lama', 'ACTIVE')`,
      );
      await db.db.execute(sql`insert into courses (id, provider_id, status, title, summary, description, category, mode, duration_minutes, price, language)
        values ('crs_x', 'org_x', 'DRAFT', 'Kursus lama', 'Ringkasan kursus lama', '', 'food-processing', 'LURING', 960, 1500000, 'id')`);
      await db.migrate();
      expect(await db.migrationsCurrent()).toBe(true);
      const rows = (await db.db.execute(
        sql`select scheme_id, completion_rule, learning_outcomes from courses where id = 'crs_x'`,
      )) as unknown as {
        rows: {
          scheme_id: string;
          completion_rule: { minAttendancePercent: number };
          learning_outcomes: string[];
        }[];
      };
      expect(rows.rows[0]).toMatchObject({
        scheme_id: 'PRAKERJA_2023',
        completion_rule: { minAttendancePercent: 100 },
        learning_outcomes: [],
      });
      await db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
