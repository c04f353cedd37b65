import { STATISTIC_DIMENSIONS } from '@latih/contracts';
import { refreshRecentRollups } from '@latih/core';
import { execRows, schema } from '@latih/db';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { engines } from '../support/db';
import { useHarness } from '../support/harness';
import { plantCourse, plantEnrollment, plantProvider } from '../support/oversight-fixtures';
import { monthLevelDrift } from '../support/rollups';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** `h` hours (UTC) into a day of March 2026: 16:30 UTC is 23:30 WIB, 17:30 UTC is 00:30 WIB the day after. */
const march = (d: number, h = 3) => new Date(Date.UTC(2026, 2, d) + h * HOUR);

describe.each(engines())('statistics from rollups on %s', (engine) => {
  const h = useHarness(engine);

  /**
   * Participants in three provinces registered on different days (some a minute either side of WIB
   * midnight), one with three courses (two of the same mode), certificates valid and revoked,
   * incentives in two paid instalments and one not yet paid.
   */
  let batch = 0;
  async function plant() {
    batch++;
    const p = await plantProvider(h, 'Lembaga Statistik');
    const self = await plantCourse(h, p, { mode: 'SELF_PACED', category: 'languages' });
    const self2 = await plantCourse(h, p, { mode: 'SELF_PACED', category: 'it-software' });
    const luring = await plantCourse(h, p, { mode: 'LURING', category: 'food-processing' });
    const people: Array<{ id: string; enrollmentId: string; courseId: string }> = [];
    const regencies = ['94.01', '94.05', '32.73', '32.04', '11.01'];
    const births = ['1960-06-01', '1972-01-15', '1983-12-31', '1990-07-07', '2001-02-28', '2006-11-30'];
    for (let i = 0; i < 18; i++) {
      const courseId = [self, self2, luring][i % 3] as string;
      const redeemedAt = march(2 + (i % 9), i % 2 ? 16.5 : 17.5);
      const done = i % 4 !== 3;
      const e = await plantEnrollment(h, {
        providerId: p,
        courseId,
        redeemedAt,
        regencyCode: regencies[i % regencies.length] as string,
        gender: i % 2 ? 'F' : 'M',
        birthDate: births[i % births.length] as string,
        cohort: 70 + (i % 3),
        ...(done ? { completedAt: new Date(redeemedAt.getTime() + (1 + (i % 5)) * DAY) } : {}),
      });
      // Registered a day or two before buying, at the hour that crosses WIB midnight.
      await h.db.execute(
        sql`update participants set created_at = ${new Date(redeemedAt.getTime() - (1 + (i % 2)) * DAY).toISOString()}::timestamptz
            where id = ${e.participantId}`,
      );
      people.push({ id: e.participantId, enrollmentId: e.enrollmentId, courseId });
    }
    // One participant takes two more courses: another self-paced one later, and a luring one.
    const first = people[0] as (typeof people)[number];
    const more = [
      { courseId: self2, at: march(12, 16.9) },
      { courseId: luring, at: march(14, 2) },
    ];
    for (const m of more) {
      const e = await plantEnrollment(h, {
        providerId: p,
        courseId: m.courseId,
        redeemedAt: m.at,
        completedAt: new Date(m.at.getTime() + 2 * DAY),
      });
      await h.db.execute(sql`update vouchers set participant_id = ${first.id} where id = ${e.voucherId}`);
      await h.db.execute(
        sql`update enrollments set participant_id = ${first.id} where id = ${e.enrollmentId}`,
      );
      people.push({ id: first.id, enrollmentId: e.enrollmentId, courseId: m.courseId });
    }
    // Certificates for the completed (one revoked), issued an hour after completion.
    const completed = await execRows<{
      id: string;
      participant_id: string;
      course_id: string;
      completed_at: Date;
    }>(
      h.db,
      sql`select id, participant_id, course_id, completed_at from enrollments
          where provider_id = ${p} and status = 'COMPLETED' order by id`,
    );
    let n = 0;
    for (const e of completed) {
      n++;
      await h.db.insert(schema.certificates).values({
        id: `cer_stat${engine}${batch}_${n}`,
        number: `STAT-${engine}-${batch}-${n}`,
        enrollmentId: e.id,
        providerId: p,
        courseId: e.course_id,
        participantId: e.participant_id,
        credential: {},
        kid: 'k',
        status: n % 5 === 0 ? 'REVOKED' : 'VALID',
        issuedAt: new Date(new Date(e.completed_at).getTime() + HOUR),
      });
      // Incentives: paid 3 days after completion; the first participant's in two instalments (one
      // for each of two courses); every fourth one not yet paid.
      const paidAt = new Date(new Date(e.completed_at).getTime() + 3 * DAY);
      await h.db.insert(schema.incentives).values({
        id: `inc_stat${engine}${batch}_${n}`,
        participantId: e.participant_id,
        schemeId: 'PRAKERJA_2023',
        instalment: e.participant_id === first.id ? n : 1,
        instalments: 1,
        amount: 600_000,
        status: n % 4 === 0 ? 'ELIGIBLE' : 'PAID',
        missing: [],
        enrollmentId: e.id,
        createdAt: paidAt,
        updatedAt: paidAt,
        paidAt: n % 4 === 0 ? null : paidAt,
      });
    }
    return { p, first };
  }

  const periods = [
    {},
    { from: march(3, 17).toISOString(), to: march(13, 17).toISOString() }, // WIB midnights
    { from: march(4, 9.25).toISOString(), to: march(11, 20).toISOString() }, // mid-day
    { from: march(5, 16.75).toISOString() },
    // 21 February to 1 April (WIB midnights): February's days from the day rows, March as a month.
    { from: march(-8, 17).toISOString(), to: march(31, 17).toISOString() },
  ];
  const ask = async () => {
    const out: Record<string, unknown> = {};
    for (const dimension of STATISTIC_DIMENSIONS)
      for (const [i, period] of periods.entries())
        for (const provinceCode of i % 2 ? [undefined] : ([undefined, '94'] as const))
          out[`${dimension} ${i} ${provinceCode ?? '*'}`] = (
            await h
              .caller('pmo')
              .pmo.statistics({ dimension, ...period, ...(provinceCode ? { provinceCode } : {}) })
          ).rows;
    return out;
  };

  it('once rebuilt, every dimension and period reads the rollups and answers what the source tables answer', async () => {
    await plant();
    // Before any rebuild: from the source tables alone.
    const before = await ask();
    expect(before['mode 0 *']).toEqual([
      // The first participant counted once for SELF_PACED (two such courses) and once for LURING.
      expect.objectContaining({ key: 'LURING', participants: 7 }),
      expect.objectContaining({ key: 'SELF_PACED', participants: 12 }),
    ]);
    const totalPaid = (
      before['gender 0 *'] as Array<{ incentivesPaid: number; incentivesPaidAmount: number }>
    ).reduce((s, r) => s + r.incentivesPaid, 0);
    // Each participant paid counted once (the first one was paid twice).
    const paid = await execRows<{ n: number | string; rows: number | string }>(
      h.db,
      sql`select count(distinct participant_id) as n, count(*) as rows from incentives where status = 'PAID'`,
    );
    expect(Number(paid[0]?.rows)).toBeGreaterThan(Number(paid[0]?.n));
    expect(totalPaid).toBe(Number(paid[0]?.n));

    await h.caller('pmo').pmo.reports.rebuild({});
    const cover = await execRows<{ from_day: string; to_day: string }>(
      h.db,
      sql`select to_char(from_day, 'YYYY-MM-DD') as from_day, to_char(to_day, 'YYYY-MM-DD') as to_day
          from report_refreshes where id = 'statistics'`,
    );
    expect(cover[0]?.to_day).toBe(new Date(Date.now() + 7 * HOUR - DAY).toISOString().slice(0, 10));
    const stored = await execRows<{ n: number | string }>(
      h.db,
      sql`select count(*) as n from statistics_daily`,
    );
    expect(Number(stored[0]?.n)).toBeGreaterThan(40);
    expect(await ask()).toEqual(before);

    const drift = await monthLevelDrift(h.db);
    expect(drift.statistics_monthly).toEqual({ drift: 0, rows: expect.any(Number) });
    expect(drift.statistics_monthly?.rows).toBeGreaterThan(20);

    // The rollups are what is read: a changed month row changes a period of whole months, a changed
    // day row a period of days inside a month; a rebuild restores both.
    await h.db.execute(
      sql`update statistics_monthly set participants = participants + 1000 where dimension = 'gender' and key = 'F'`,
    );
    const tampered = await h.caller('pmo').pmo.statistics({ dimension: 'gender' });
    expect(tampered.rows.find((r) => r.key === 'F')?.participants).toBeGreaterThan(1000);
    await h.db.execute(
      sql`update statistics_daily set participants = participants + 1000 where dimension = 'gender' and key = 'F'`,
    );
    const days = await h.caller('pmo').pmo.statistics({ dimension: 'gender', ...periods[1] });
    expect(days.rows.find((r) => r.key === 'F')?.participants).toBeGreaterThan(1000);
    await h.caller('pmo').pmo.reports.rebuild({});
    expect(await ask()).toEqual(before);
    expect((await monthLevelDrift(h.db)).statistics_monthly?.drift).toBe(0);

    // What happens after the last rebuild is read from the source tables: counted at once.
    const q = await plantProvider(h, 'Lembaga Baru');
    const c = await plantCourse(h, q, { mode: 'WEBINAR', category: 'management' });
    await plantEnrollment(h, { providerId: q, courseId: c, redeemedAt: new Date(), regencyCode: '94.01' });
    const now = await h.caller('pmo').pmo.statistics({ dimension: 'mode' });
    expect(now.rows.find((r) => r.key === 'WEBINAR')?.participants).toBe(1);
  });

  it('the rollup job covers the recent days at once and the older ones a week per run', async () => {
    await h.db.execute(sql`delete from statistics_daily`);
    await h.db.execute(sql`delete from statistics_monthly`);
    await h.db.execute(sql`delete from report_refreshes where id in ('statistics', 'recent')`);
    await plant();
    const before = await ask();
    // The job's first run, as on a database whose report rollups predate the statistics ones: it
    // rebuilds yesterday and today only (a 'recent' mark exists), then backfills a month per run.
    await h.db.execute(
      sql`insert into report_refreshes (id, from_day, to_day, refreshed_at)
          values ('recent', current_date, current_date, now() - interval '1 minute')`,
    );
    const coverage = async () =>
      (
        await execRows<{ from_day: string }>(
          h.db,
          sql`select to_char(from_day, 'YYYY-MM-DD') as from_day from report_refreshes where id = 'statistics'`,
        )
      )[0]?.from_day;
    const [first] = await execRows<{ day: string }>(
      h.db,
      sql`select to_char(min(created_at at time zone 'Asia/Jakarta'), 'YYYY-MM-DD') as day from participants`,
    );
    // 28 February 23:30 WIB (16:30 UTC): counted on its WIB day.
    expect(first?.day).toBe('2026-02-28');
    await refreshRecentRollups(h.db, new Date());
    const firstRun = await coverage();
    expect(firstRun).toBeDefined();
    let runs = 1;
    while (((await coverage()) as string) > '2026-02-28' && runs < 60) {
      await refreshRecentRollups(h.db, new Date());
      runs++;
    }
    // From late November back to the first registration in weekly steps, not in one run.
    expect(runs).toBeGreaterThan(30);
    expect(await coverage()).toBe('2026-02-28');
    expect(await ask()).toEqual(before);
    // Backfilled a week at a time, each month ends up as the sum of its days.
    expect((await monthLevelDrift(h.db)).statistics_monthly?.drift).toBe(0);
  }, 120_000);
});
