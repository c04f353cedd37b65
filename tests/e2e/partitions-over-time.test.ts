import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_ORGANISATIONS, ulid } from '@latih/core';
import { execRows } from '@latih/db';
import { createLatihClient } from '@latih/sdk';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, postgresAvailable, type TestDatabase } from '../support/db';
import { freePort, type RunningProcess, startTsProcess, until, waitForHttp } from '../support/processes';

/**
 * The month partitions as deployed: a real gateway process on PostgreSQL runs partitions.maintain
 * from its schedule; the sandbox clock is moved months ahead through the API, and the months ahead
 * of the new time are made, and a row that landed in a default partition is moved to its month, by
 * the job alone.
 */
describe.runIf(postgresAvailable())('month partitions over time, in the gateway process', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'latih-partitions-over-time-'));
  let db: TestDatabase;
  let gateway: RunningProcess;
  let url = '';
  const pmo = DEMO_ORGANISATIONS.find((o) => o.key === 'pmo');

  beforeAll(async () => {
    db = await freshDatabase('postgres');
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    gateway = startTsProcess('gateway', 'apps/gateway/src/main.ts', {
      NODE_ENV: 'development',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: db.url,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
    });
    await waitForHttp(gateway, `${url}/readyz`);
  }, 120_000);

  afterAll(async () => {
    await gateway?.stop();
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const partitions = async () =>
    (
      await execRows<{ name: string }>(
        db.db,
        sql`select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
             where i.inhparent in ('events'::regclass, 'audit_log'::regclass, 'attendance'::regclass)`,
      )
    ).map((r) => r.name);

  const monthName = (at: Date) => `${at.getUTCFullYear()}_${String(at.getUTCMonth() + 1).padStart(2, '0')}`;
  const plusMonths = (at: Date, n: number) =>
    new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + n, 15));

  it('makes the months ahead of the moved clock, and moves a stray row out of the default partition', async () => {
    const api = createLatihClient({
      baseUrl: url,
      clientId: pmo?.clientId ?? '',
      clientSecret: pmo?.clientSecret ?? '',
    });
    // On start the job made this month and the next three (real time, and the clock as it is).
    const now = new Date();
    await until(
      async () => (await partitions()).includes(`audit_log_${monthName(plusMonths(now, 3))}`),
      'the first run',
    );
    const target = plusMonths(now, 7);
    expect(await partitions()).not.toContain(`events_${monthName(target)}`);

    // An audit row of a month not made yet (a key far ahead) lands in the default partition.
    const strayAt = plusMonths(now, 9);
    const stray = `aud_${ulid(strayAt.getTime())}`;
    await db.db.execute(
      sql`insert into audit_log (id, action, entity_type, entity_id) values (${stray}, 'x', 'y', 'z')`,
    );
    const whereStray = async () =>
      (
        await execRows<{ t: string }>(
          db.db,
          sql`select tableoid::regclass::text as t from audit_log where id = ${stray}`,
        )
      )[0]?.t;
    expect(await whereStray()).toBe('audit_log_default');

    // The clock moves seven months on; the schedule runs every job once at the new time.
    const moved = await api.sandbox.clock.advance.mutate({ to: target.toISOString() });
    expect(moved.status).toBe('ADVANCING');
    await until(
      async () => (await api.sandbox.clock.get.query()).status === 'READY',
      'the clock to be READY',
      90_000,
    );

    const made = await partitions();
    for (const table of ['events', 'audit_log', 'attendance'])
      for (let i = 0; i <= 3; i++) expect(made).toContain(`${table}_${monthName(plusMonths(target, i))}`);
    expect(await whereStray()).toBe(`audit_log_${monthName(strayAt)}`);
    const [run] = await execRows<{ summary: Record<string, number> }>(
      db.db,
      sql`select last_summary as summary from job_runs where name = 'partitions.maintain'`,
    );
    expect(run?.summary).toMatchObject({ created: expect.any(Number), moved: expect.any(Number) });
  });
});
