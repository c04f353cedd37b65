import { detachPartitions, fanOutEvents, maintainPartitions, ulid } from '@latih/core';
import { type Db, execRows, listArchivedPartitions, listAttachedPartitions } from '@latih/db';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { runPartitionsCommand } from '../../apps/gateway/src/partitions';
import { encodeFeedCursor } from '../../packages/core/src/feed-cursor';
import { fullCourse } from '../support/catalog-fixtures';
import { engines, freshDatabase, postgresAvailable } from '../support/db';
import { codeOf, type Harness, useHarness } from '../support/harness';

/*
 * The month partitions after migration 0035 (docs/adr/0007): the partitions.maintain job's work
 * (months ahead, rows moved out of a default partition), and detaching old months for archiving
 * with what must refuse it (retention, events not fanned out, deliveries pending, enrollments in
 * training), and what a partner sees after: a feed cursor behind the archive is answered
 * EVENTS_CURSOR_EXPIRED, a replay of an archived event's delivery WEBHOOK_EVENT_ARCHIVED.
 */

const id = (prefix: string, at: string) => `${prefix}_${ulid(Date.parse(at))}`;
/** The program's time these tests detach at: audit and attendance keep from 2021-11, events from 2025-11. */
const NOW = new Date('2026-11-20T03:00:00Z');

async function refusal(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return 'not refused';
  } catch (err) {
    return codeOf(err) ?? String(err);
  }
}

/** The database's own message for a statement that fails (Drizzle wraps it as the cause). */
async function dbRefusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'not refused';
  } catch (err) {
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof Error ? cause.message : String(err);
  }
}

/** Copies of one real event of the organisation, with ids (so months) of the given times. */
async function oldEvents(h: Harness, times: string[], opts: { published?: boolean } = {}) {
  const course = await h
    .caller('providerA')
    .provider.courses.create({ ...fullCourse, title: `Kelas ${Math.random()}` });
  const ids: string[] = [];
  for (const at of times) {
    const eventId = id('evt', at);
    ids.push(eventId);
    await h.db.execute(sql`insert into events (id, type, organisation_id, entity_type, entity_id, data, published_at)
      select ${eventId}, type, organisation_id, entity_type, entity_id, data,
             ${opts.published === false ? null : NOW.toISOString()}::timestamptz
        from events where entity_id = ${course.id} order by seq limit 1`);
  }
  return ids;
}

/** The cursor events.list hands out after this event (its feed position; see feed-cursor.ts). */
async function cursorAt(db: Db, eventId: string): Promise<string> {
  const [row] = await execRows<{ xid: string; seq: number }>(
    db,
    sql`select xid::text as xid, seq from events where id = ${eventId}`,
  );
  if (!row) throw new Error(`no event ${eventId}`);
  return encodeFeedCursor({ xid: String(row.xid), seq: Number(row.seq) });
}

const partsOf = async (db: Db, table: string) =>
  (await listAttachedPartitions(db)).filter((p) => p.table === table).map((p) => p.partition);

describe.each(engines())('month partitions on %s', { timeout: 120_000 }, (engine) => {
  const h = useHarness(engine);

  it('partitions.maintain makes the months ahead (program clock and real time) and moves strays out of the defaults', async () => {
    const r = await maintainPartitions({ db: h.db, now: new Date('2031-05-17T00:00:00Z') });
    for (const table of ['events', 'audit_log', 'attendance']) {
      const parts = await partsOf(h.db, table);
      for (const m of ['2031_05', '2031_06', '2031_07', '2031_08']) expect(parts).toContain(`${table}_${m}`);
      expect(parts).not.toContain(`${table}_2031_09`);
      const real = new Date();
      expect(parts).toContain(
        `${table}_${real.getUTCFullYear()}_${String(real.getUTCMonth() + 1).padStart(2, '0')}`,
      );
    }
    expect(r.created).toBeGreaterThanOrEqual(12);

    // A row whose month has no partition lands in the default one; the next run moves it out.
    const strayAudit = id('aud', '2033-02-03T00:00:00Z');
    await h.db.execute(
      sql`insert into audit_log (id, action, entity_type, entity_id) values (${strayAudit}, 'x', 'y', 'z')`,
    );
    const strayEvent = id('evt', '2033-02-04T00:00:00Z');
    await h.db.execute(
      sql`insert into events (id, type, entity_type, entity_id, data) values (${strayEvent}, 'x', 'y', 'z', '{}')`,
    );
    const where = async () =>
      execRows<{ t: string }>(
        h.db,
        sql`select tableoid::regclass::text as t from audit_log where id = ${strayAudit}
            union all select tableoid::regclass::text from events where id = ${strayEvent}`,
      );
    expect((await where()).map((w) => w.t)).toEqual(['audit_log_default', 'events_default']);
    const again = await maintainPartitions({ db: h.db, now: new Date('2031-05-17T00:00:00Z') });
    expect(again).toEqual({ created: 2, moved: 2, archivedStray: 0 });
    expect((await where()).map((w) => w.t)).toEqual(['audit_log_2033_02', 'events_2033_02']);
    // The moved audit row is still append-only where it is now.
    expect(await dbRefusal(h.db.execute(sql`delete from audit_log where id = ${strayAudit}`))).toMatch(
      /append-only/,
    );
    // Nothing more to do: a third run changes nothing.
    expect(await maintainPartitions({ db: h.db, now: new Date('2031-05-17T00:00:00Z') })).toEqual({
      created: 0,
      moved: 0,
      archivedStray: 0,
    });
  });

  it('detaches old months only past retention and when nothing needs them; the feed and replays answer clearly after', async () => {
    const providerA = h.orgs.providerA.organisationId;
    // Drain what earlier tests left unpublished, so the refusals below are this test's own.
    while ((await fanOutEvents({ db: h.db, now: NOW })) > 0);
    const march = await oldEvents(h, ['2024-03-05T00:00:00Z', '2024-03-20T00:00:00Z']);
    const [april] = await oldEvents(h, ['2024-04-02T00:00:00Z'], { published: false });
    await oldEvents(h, ['2025-06-10T00:00:00Z']);
    await oldEvents(h, ['2025-12-01T10:00:00Z']);
    await maintainPartitions({ db: h.db, now: NOW });
    await h.db.execute(
      sql`insert into audit_log (id, action, entity_type, entity_id) values
          (${id('aud', '2019-03-01T00:00:00Z')}, 'a', 'b', 'c'), (${id('aud', '2024-03-01T00:00:00Z')}, 'a', 'b', 'c')`,
    );
    await maintainPartitions({ db: h.db, now: NOW });

    // A partner polling events.list: its cursor is the first March event's feed position (the
    // cursor the feed hands out after it; built here, not read through the feed, because on a
    // shared PostgreSQL server another session's long transaction may hold the feed back).
    const events = h.caller('providerA').events;
    const oldCursor = await cursorAt(h.db, march[0] as string);
    // A delivery of a March event to the partner's endpoint, long done.
    const { endpoint } = await h.caller('providerA').provider.webhooks.create({
      url: 'https://partner.example/hooks',
      eventTypes: ['*'],
    });
    const deliveryId = `whd_${ulid(Date.parse('2024-03-05T00:00:00Z'))}`;
    await h.db.execute(sql`insert into webhook_deliveries (id, endpoint_id, event_id, event_type, status, attempts, created_at)
      values (${deliveryId}, ${endpoint.id}, ${march[0]}, 'course.created', 'SUCCEEDED', 1, now())`);

    // A dry run says what it would do and changes nothing.
    const dry = await detachPartitions({
      db: h.db,
      now: NOW,
      before: '2024-05-01',
      tables: ['events'],
      dryRun: true,
    });
    expect(dry.map((o) => [o.partition, o.status])).toEqual([
      ['events_2024_03', 'WOULD_DETACH'],
      ['events_2024_04', 'REFUSED'],
    ]);
    expect(await partsOf(h.db, 'events')).toContain('events_2024_03');

    // April holds an event not yet fanned out: refused, March goes.
    const first1 = await detachPartitions({ db: h.db, now: NOW, before: '2024-05-01', tables: ['events'] });
    expect(first1).toEqual([
      {
        table: 'events',
        partition: 'events_2024_03',
        month: '2024-03-01',
        status: 'DETACHED',
        rows: 2,
        reasons: [],
      },
      {
        table: 'events',
        partition: 'events_2024_04',
        month: '2024-04-01',
        status: 'REFUSED',
        rows: 1,
        reasons: ['events not yet fanned out to webhooks (published_at is null)'],
      },
    ]);
    // Fanned out now, but a delivery of it is still PENDING: refused again.
    await h.db.execute(sql`update events set published_at = now() where id = ${april}`);
    await h.db.execute(sql`insert into webhook_deliveries (id, endpoint_id, event_id, event_type, status, attempts, next_attempt_at, created_at)
      values (${`whd_${ulid()}`}, ${endpoint.id}, ${april}, 'course.created', 'PENDING', 0, now(), now())`);
    expect(
      (await detachPartitions({ db: h.db, now: NOW, before: '2024-05-01', tables: ['events'] })).map(
        (o) => o.reasons,
      ),
    ).toEqual([['webhook deliveries of its events still PENDING']]);
    await h.db.execute(sql`update webhook_deliveries set status = 'FAILED' where event_id = ${april}`);
    // Within the feed's 12 months (kept from 2025-11): refused, and nothing after it is tried.
    const third = await detachPartitions({ db: h.db, now: NOW, before: '2026-01-01', tables: ['events'] });
    expect(third.find((o) => o.partition === 'events_2024_04')?.status).toBe('DETACHED');
    expect(third.find((o) => o.partition === 'events_2025_06')?.status).toBe('DETACHED');
    expect(third.find((o) => o.partition === 'events_2025_12')).toMatchObject({
      status: 'REFUSED',
      rows: null,
      reasons: ['within the retention of events (12 months: kept from 2025-11)'],
    });
    expect(await partsOf(h.db, 'events')).not.toContain('events_2024_03');

    // The partner's old cursor: a clear answer, not a hole. From the start: the oldest event kept.
    expect(await refusal(events.list({ cursor: oldCursor, limit: 10 }))).toBe('EVENTS_CURSOR_EXPIRED');
    const fromStart = await events.list({ limit: 200 });
    expect(fromStart.items.map((e) => e.id)).not.toContain(march[1]);
    // A cursor past the archive (the kept December event's position) goes on as before.
    const [kept] = await execRows<{ id: string }>(
      h.db,
      sql`select id from events where organisation_id = ${providerA} order by xid desc, seq desc limit 1`,
    );
    expect((await events.list({ cursor: await cursorAt(h.db, kept?.id ?? ''), limit: 10 })).items).toEqual(
      [],
    );
    // A replay of the archived event's delivery is refused (the worker could never send it).
    expect(await refusal(h.caller('providerA').provider.webhooks.replay({ id: deliveryId }))).toBe(
      'WEBHOOK_EVENT_ARCHIVED',
    );

    // The audit log keeps 5 years: 2019 goes, 2024 stays; the detached month stays append-only.
    const audit = await detachPartitions({ db: h.db, now: NOW, before: '2024-04-01', tables: ['audit_log'] });
    expect(audit.map((o) => [o.partition, o.status])).toEqual([
      ['audit_log_2019_03', 'DETACHED'],
      ['audit_log_2024_03', 'REFUSED'],
    ]);
    expect(await dbRefusal(h.db.execute(sql`update audit_log_2019_03 set action = 'x'`))).toMatch(
      /append-only/,
    );
    expect(await dbRefusal(h.db.execute(sql`truncate audit_log_2019_03`))).toMatch(/append-only/);

    const archived = await listArchivedPartitions(h.db);
    expect(archived.map((a) => [a.partition, a.rows, a.present])).toEqual([
      ['audit_log_2019_03', 1, true],
      ['events_2024_03', 2, true],
      ['events_2024_04', 1, true],
      ['events_2025_06', 1, true],
    ]);
    // The job never makes an archived month again, even for a row of that month.
    await h.db.execute(
      sql`insert into events (id, type, organisation_id, entity_type, entity_id, data) values (${id('evt', '2024-03-09T00:00:00Z')}, 'x', ${providerA}, 'y', 'z', '{}')`,
    );
    expect((await maintainPartitions({ db: h.db, now: NOW })).archivedStray).toBe(1);
    expect(await partsOf(h.db, 'events')).not.toContain('events_2024_03');
  });

  it('keeps attendance attached while its enrollments are in training', async () => {
    const at = '2020-02-10T00:00:00Z';
    const enr = id('enr', at);
    await h.db.execute(sql`insert into courses (id, provider_id, status, title, summary, description, category, mode, duration_minutes, price, language)
      values ('crs_partition_test', ${h.orgs.providerA.organisationId}, 'PUBLISHED', 'K', 's', 'd', 'OTHER', 'SELF_PACED', 900, 1, 'id')`);
    await h.db.execute(sql`insert into participants (id, scheme_id, status, balance, purchase_deadline, nik_last4, nik_hash, card_number, name, gender, birth_date, regency_code, cohort)
      values ('par_partition_test', 'PRAKERJA_2023', 'ACTIVE', 0, now(), '1234', 'h-partition', 'c-partition', 'N', 'F', '1990-01-01', '11.01', 1)`);
    await h.db.execute(sql`insert into vouchers (id, code_hash, code_last4, participant_id, platform_id, provider_id, course_id, checkout_id, price, status, expires_at)
      values ('vch_partition_test', 'code-partition', 'abcd', 'par_partition_test', ${h.orgs.platformA.organisationId}, ${h.orgs.providerA.organisationId}, 'crs_partition_test', 'chk_x', 1, 'REDEEMED', now())`);
    await h.db.execute(sql`insert into enrollments (id, voucher_id, participant_id, provider_id, course_id, status, redeemed_at)
      values (${enr}, 'vch_partition_test', 'par_partition_test', ${h.orgs.providerA.organisationId}, 'crs_partition_test', 'IN_TRAINING', ${at}::timestamptz)`);
    await h.db.execute(sql`insert into attendance (enrollment_id, sequence, status, method, recorded_at)
      values (${enr}, 1, 'CONFIRMED', 'VENUE_QR', ${at}::timestamptz)`);
    await maintainPartitions({ db: h.db, now: NOW });
    const refused = await detachPartitions({
      db: h.db,
      now: NOW,
      before: '2020-03-01',
      tables: ['attendance'],
    });
    expect(refused).toMatchObject([
      {
        partition: 'attendance_2020_02',
        status: 'REFUSED',
        reasons: ['attendance of enrollments still IN_TRAINING'],
      },
    ]);
    await h.db.execute(sql`update enrollments set status = 'NOT_COMPLETED' where id = ${enr}`);
    expect(
      (await detachPartitions({ db: h.db, now: NOW, before: '2020-03-01', tables: ['attendance'] }))[0]
        ?.status,
    ).toBe('DETACHED');
  });

  it('npm run partitions: list, detach, and a clear refusal of a bad month', async () => {
    const clock = { kind: 'system' as const, now: () => NOW.getTime(), refresh: async () => {} };
    const list = await runPartitionsCommand(h.database, ['list'], clock);
    expect(list.code).toBe(0);
    expect(list.lines.join('\n')).toMatch(
      /events_2024_03 .* 2 rows, detached .* \(still in the database: dump it, then drop it\)/,
    );
    expect(list.lines.at(-1)).toBe(
      'retention (months before 2026-11): events 12, audit_log 60, attendance 60',
    );
    const bad = await runPartitionsCommand(h.database, ['detach', '--before', '2025-13'], clock);
    expect(bad.code).toBe(1);
    expect(bad.lines.join('\n')).toContain('a month is written YYYY-MM');
    const none = await runPartitionsCommand(
      h.database,
      ['detach', '--before', '2019-01', '--table', 'events'],
      clock,
    );
    expect(none).toEqual({ lines: ['nothing to detach: no attached month is older than that'], code: 0 });
    const refused = await runPartitionsCommand(
      h.database,
      ['detach', '--before', '2024-04', '--table', 'audit_log'],
      clock,
    );
    expect(refused.code).toBe(2);
    expect(refused.lines[0]).toMatch(
      /^REFUSED +audit_log_2024_03 +\(within the retention of audit_log \(60 months: kept from 2021-11\)\)$/,
    );
  });
});

describe.runIf(postgresAvailable())('month partitions under concurrent writes (PostgreSQL)', () => {
  it('writers racing the job lose no row: a month made and its strays moved while they insert', async () => {
    const database = await freshDatabase('postgres', { poolSize: 6 });
    try {
      const month = '2034-07-';
      let stop = false;
      let written = 0;
      const writer = async (w: number) => {
        let i = 0;
        while (!stop || i < 20) {
          const at = `${month}${String(1 + (i % 28)).padStart(2, '0')}T00:00:00Z`;
          await database.db.execute(
            sql`insert into events (id, type, entity_type, entity_id, data) values (${id('evt', at)}, 'x', 'w', ${String(w)}, '{}')`,
          );
          i++;
          written++;
        }
      };
      const writers = [0, 1, 2, 3].map(writer);
      // Let rows pile up in the default partition, then make the month while the writers go on.
      while (written < 80) await new Promise((r) => setTimeout(r, 10));
      const made = await maintainPartitions({ db: database.db, now: new Date('2034-07-01T00:00:00Z') });
      stop = true;
      await Promise.all(writers);
      expect(made.created).toBeGreaterThanOrEqual(3);
      expect(made.moved).toBeGreaterThanOrEqual(80);
      const placed = await execRows<{ t: string; n: number }>(
        database.db,
        sql`select tableoid::regclass::text as t, count(*)::int as n from events where entity_type = 'w' group by 1`,
      );
      expect(placed).toEqual([{ t: 'events_2034_07', n: written }]);
    } finally {
      await database.drop();
    }
  });
});
