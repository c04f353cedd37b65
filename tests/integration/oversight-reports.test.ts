import { refreshRecentRollups } from '@latih/core';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { engines } from '../support/db';
import { codeOf, useHarness } from '../support/harness';
import {
  plantAttendance,
  plantCourse,
  plantEnrollment,
  plantIdentityCheck,
  plantProvider,
  plantReview,
} from '../support/oversight-fixtures';
import { monthLevelDrift } from '../support/rollups';

const DAY = 86_400_000;
/** 10:00 WIB on a March 2026 day. */
const march = (d: number, hours = 0) => new Date(Date.UTC(2026, 2, d, 3) + hours * 3_600_000);

describe.each(engines())('reports and statistics on %s', (engine) => {
  const h = useHarness(engine);
  const reports = () => h.caller('pmo').pmo.reports;

  it('a provider scorecard adds up what happened in the period, and only that', async () => {
    const p = await plantProvider(h, 'Lembaga Skor');
    const q = await plantProvider(h, 'Lembaga Ramai');
    const c1 = await plantCourse(h, p, { mode: 'SELF_PACED', category: 'languages' });
    const c2 = await plantCourse(h, p, { mode: 'WEBINAR', category: 'it-software' });
    const cq = await plantCourse(h, q);
    const done2 = await plantEnrollment(h, {
      providerId: p,
      courseId: c1,
      redeemedAt: march(2),
      completedAt: march(4, 1),
    });
    const done4 = await plantEnrollment(h, {
      providerId: p,
      courseId: c1,
      redeemedAt: march(3),
      completedAt: march(7, 2),
    });
    const done9 = await plantEnrollment(h, {
      providerId: p,
      courseId: c2,
      redeemedAt: march(3),
      completedAt: march(12, 2),
    });
    await plantEnrollment(h, {
      providerId: p,
      courseId: c2,
      redeemedAt: march(3),
      completedAt: march(20),
      status: 'NOT_COMPLETED',
    });
    await plantEnrollment(h, {
      providerId: p,
      courseId: c1,
      redeemedAt: march(5),
      cancelledAt: march(6),
      price: 750_000,
    });
    // Outside the period: April.
    await plantEnrollment(h, { providerId: p, courseId: c1, redeemedAt: march(35), completedAt: march(36) });
    for (const [i, e] of [done2, done4, done9].entries()) {
      await plantAttendance(h, e.enrollmentId, { at: march(3) });
      await plantAttendance(h, e.enrollmentId, {
        sequence: 2,
        status: i === 0 ? 'REJECTED' : 'CONFIRMED',
        at: march(3),
      });
      await plantIdentityCheck(h, e.enrollmentId, { failed: i === 2, at: march(3) });
    }
    await plantReview(h, { ...done2, providerId: p, courseId: c1 }, { rating: 5, at: march(8) });
    await plantReview(h, { ...done4, providerId: p, courseId: c1 }, { rating: 4, at: march(9) });
    for (let i = 0; i < 7; i++)
      await plantEnrollment(h, { providerId: q, courseId: cq, redeemedAt: march(10 + i) });
    await h
      .caller('pmo')
      .pmo.cases.open({ subjectType: 'PROVIDER', subjectId: p, summary: 'Kasus terbuka untuk skor' });

    const rebuilt = await reports().rebuild({ from: '2026-03-01', to: '2026-04-30' });
    expect(rebuilt).toMatchObject({ from: '2026-03-01', to: '2026-04-30' });

    const page = await reports().providers({ from: '2026-03-01', to: '2026-04-01', providerId: p });
    expect(page.total).toBe(1);
    expect(page.asOf).not.toBeNull();
    expect(page.items[0]).toEqual({
      providerId: p,
      providerName: 'Lembaga Skor',
      courseId: null,
      courseTitle: null,
      vouchersSold: 5,
      vouchersRedeemed: 4,
      completed: 3,
      notCompleted: 1,
      completionRate: 0.75,
      medianDaysToComplete: 4,
      attendanceConfirmationRate: 5 / 6,
      identityCheckFailureRate: 1 / 3,
      ratingAverage: 4.5,
      ratingCount: 2,
      refunds: 1,
      refundAmount: 750_000,
      openCases: 1,
    });

    const trend = await reports().providerTrend({
      providerId: p,
      from: '2026-03-01',
      to: '2026-05-01',
      interval: 'month',
    });
    expect(trend.points).toEqual([
      {
        period: '2026-03-01',
        vouchersSold: 5,
        vouchersRedeemed: 4,
        completed: 3,
        notCompleted: 1,
        completionRate: 0.75,
        ratingAverage: 4.5,
      },
      {
        period: '2026-04-01',
        vouchersSold: 1,
        vouchersRedeemed: 1,
        completed: 1,
        notCompleted: 0,
        completionRate: 1,
        ratingAverage: null,
      },
    ]);

    // The provider's own figures: the same scorecard, by course, and the trend, without open cases.
    const as = (org: string) =>
      h.session(null, {
        authorization: `Bearer ${
          h.tokens.issue({
            organisationId: org,
            role: 'provider',
            clientId: 'cli_01jw0000000000000000000zz9',
            scopes: ['catalog:read', 'catalog:write', 'vouchers:redeem', 'reports:write'],
          }).token
        }`,
      }).api.provider.reports;
    const own = await as(p).figures({ from: '2026-03-01', to: '2026-04-01', interval: 'month' });
    const { openCases: _, ...pmoView } = page.items[0] ?? { openCases: 0 };
    expect(own.total).toEqual(pmoView);
    expect(own.total).not.toHaveProperty('openCases');
    expect(own.courses.map((c) => [c.courseId, c.vouchersSold, c.completed])).toEqual(
      expect.arrayContaining([
        [c1, 3, 2],
        [c2, 2, 1],
      ]),
    );
    expect(own.courses).toHaveLength(2);
    expect(own.asOf).not.toBeNull();
    const ownTrend = await as(p).figures({ from: '2026-03-01', to: '2026-05-01', interval: 'month' });
    expect(ownTrend.trend.points).toEqual(trend.points);
    // Another provider sees its own figures only; a platform none.
    const theirs = await as(q).figures({ from: '2026-03-01', to: '2026-04-01' });
    expect(theirs.total?.providerId).toBe(q);
    expect(theirs.courses.every((c) => c.providerId === q)).toBe(true);
    expect(
      codeOf(
        await h
          .caller('platformA')
          .provider.reports.figures({ from: '2026-03-01', to: '2026-04-01' })
          .catch((e: unknown) => e),
      ),
    ).toBe('FORBIDDEN_ROLE');
    expect(
      codeOf(
        await as(p)
          .figures({ from: '2026-04-01', to: '2026-03-01' })
          .catch((e: unknown) => e),
      ),
    ).toBe('VALIDATION_FAILED');

    // Per course, filtered by mode; sorted and paged across providers.
    const byCourse = await reports().courses({
      from: '2026-03-01',
      to: '2026-04-01',
      providerId: p,
      mode: 'SELF_PACED',
    });
    expect(byCourse.items.map((c) => [c.courseId, c.completed, c.medianDaysToComplete])).toEqual([
      [c1, 2, 2],
    ]);
    const sorted = await reports().providers({
      from: '2026-03-01',
      to: '2026-04-01',
      sort: 'vouchersSold',
      order: 'desc',
      limit: 1,
      minVouchersSold: 5,
    });
    expect(sorted.items[0]?.providerId).toBe(q);
    const second = await reports().providers({
      from: '2026-03-01',
      to: '2026-04-01',
      sort: 'vouchersSold',
      order: 'desc',
      limit: 1,
      minVouchersSold: 5,
      cursor: sorted.nextCursor ?? undefined,
    });
    expect(second.items[0]?.providerId).toBe(p);
    expect(second.total).toBe(sorted.total);

    const platforms = await reports().platforms({ from: '2026-03-01', to: '2026-04-01' });
    const a = platforms.items.find((x) => x.platformId === h.orgs.platformA.organisationId);
    expect(a).toMatchObject({
      sales: 12,
      salesAmount: 11 * 1_000_000 + 750_000,
      refunds: 1,
      refundAmount: 750_000,
    });

    expect(
      codeOf(
        await reports()
          .providers({ from: '2026-04-01', to: '2026-03-01' })
          .catch((e) => e),
      ),
    ).toBe('VALIDATION_FAILED');
    expect(
      codeOf(
        await h
          .caller('providerA')
          .pmo.reports.providers({ from: '2026-03-01', to: '2026-04-01' })
          .catch((e) => e),
      ),
    ).toBe('FORBIDDEN_ROLE');
  });

  it('statistics: in full for the PMO; in public every cell under 10 people is withheld, and one more to protect it', async () => {
    const p = await plantProvider(h);
    const course = await plantCourse(h, p, { mode: 'LURING', category: 'food-processing' });
    const at = new Date(Date.now() - 3 * DAY);
    const plant = async (regencyCode: string, n: number, completedFrom: number, gender: 'M' | 'F') => {
      for (let i = 0; i < n; i++)
        await plantEnrollment(h, {
          providerId: p,
          courseId: course,
          redeemedAt: at,
          regencyCode,
          gender,
          ...(i >= completedFrom ? { completedAt: new Date(at.getTime() + DAY) } : {}),
        });
    };
    await plant('94.01', 25, 13, 'F'); // Nabire: 25 participants, 12 completed
    await plant('94.05', 15, 99, 'M'); // Puncak: 15, none completed
    await plant('94.04', 3, 99, 'M'); // Mimika: 3 — a small cell

    const full = await h.caller('pmo').pmo.statistics({ dimension: 'regency', provinceCode: '94' });
    expect(full.suppressedBelow).toBe(0);
    expect(full.rows.map((r) => [r.key, r.label, r.participants, r.completions])).toEqual([
      ['94.01', 'KABUPATEN NABIRE', 25, 12],
      ['94.04', 'KABUPATEN MIMIKA', 3, 0],
      ['94.05', 'KABUPATEN PUNCAK', 15, 0],
    ]);
    expect(full.totals).toMatchObject({ participants: 43, completions: 12 });

    const open = await h.caller(null).public.statistics({ dimension: 'regency', provinceCode: '94' });
    expect(open.suppressedBelow).toBe(10);
    expect(open.rows.map((r) => [r.key, r.participants, r.completions])).toEqual([
      ['94.01', 25, 12],
      ['94.04', null, 0], // 3 people: withheld
      ['94.05', null, 0], // withheld too, or 43 − 25 − 15 would give Mimika away
    ]);
    expect(open.totals).toMatchObject({ participants: 43, completions: 12 });
    const body = JSON.stringify(open);
    expect(body).not.toMatch(/par_|Peserta|nik/i);

    const gender = await h.caller(null).public.statistics({ dimension: 'gender', provinceCode: '94' });
    expect(gender.rows.map((r) => [r.label, r.participants])).toEqual([
      ['Perempuan', 25],
      ['Laki-laki', 18],
    ]);
    const byMode = await h.caller('pmo').pmo.statistics({ dimension: 'mode', provinceCode: '94' });
    expect(byMode.rows).toEqual([
      expect.objectContaining({ key: 'LURING', label: 'Luring', participants: 43, completions: 12 }),
    ]);
    const none = await h.caller(null).public.statistics({
      dimension: 'province',
      provinceCode: '94',
      to: new Date(at.getTime() - DAY).toISOString(),
    });
    expect(none.rows).toEqual([]);
  });

  it('reports read whole months from the month level and the other days from the day level: any period adds up', async () => {
    const p = await plantProvider(h, 'Lembaga Bulanan');
    const c1 = await plantCourse(h, p, { mode: 'SELF_PACED' });
    const c2 = await plantCourse(h, p, { mode: 'WEBINAR' });
    // Redemptions from 18 February to 14 April (10:00 WIB), each completed 1–4 days later, some
    // across the end of a month.
    const planted: Array<{ redeemed: Date; completed: Date; days: number; course: string }> = [];
    for (const [i, d] of [-10, -3, 1, 5, 15, 28, 31, 33, 40, 45].entries()) {
      const days = 1 + (i % 4);
      const course = i % 2 ? c2 : c1;
      const redeemed = march(d);
      const completed = new Date(redeemed.getTime() + days * DAY + 3_600_000);
      await plantEnrollment(h, {
        providerId: p,
        courseId: course,
        redeemedAt: redeemed,
        completedAt: completed,
      });
      planted.push({ redeemed, completed, days, course });
    }
    await reports().rebuild({ from: '2026-02-01', to: '2026-04-30' });
    const drift = await monthLevelDrift(h.db);
    for (const [table, d] of Object.entries(drift))
      expect({ table, drift: d.drift }).toEqual({ table, drift: 0 });
    expect(drift.report_monthly?.rows).toBeGreaterThanOrEqual(5);

    const wib = (day: string) => new Date(Date.parse(`${day}T00:00:00+07:00`));
    const one = async (from: string, to: string) =>
      (await reports().providers({ from, to, providerId: p })).items[0];
    // 20 February to 10 April: a partial month, a whole one, a partial one; and its three parts.
    const whole = await one('2026-02-20', '2026-04-10');
    const parts = [
      await one('2026-02-20', '2026-03-01'),
      await one('2026-03-01', '2026-04-01'),
      await one('2026-04-01', '2026-04-10'),
    ];
    const inPeriod = (t: Date) => t >= wib('2026-02-20') && t < wib('2026-04-10');
    const redeemedIn = planted.filter((x) => inPeriod(x.redeemed));
    const completedIn = planted.filter((x) => inPeriod(x.completed));
    expect(whole?.vouchersRedeemed).toBe(redeemedIn.length);
    expect(whole?.vouchersSold).toBe(redeemedIn.length);
    expect(whole?.completed).toBe(completedIn.length);
    for (const k of ['vouchersSold', 'vouchersRedeemed', 'completed'] as const)
      expect(parts.reduce((s, x) => s + (x?.[k] ?? 0), 0)).toBe(whole?.[k]);
    // The median (the lower one, as the report defines it) of the completions in the period.
    const sorted = completedIn.map((x) => x.days).sort((a, b) => a - b);
    expect(whole?.medianDaysToComplete).toBe(sorted[Math.ceil(sorted.length / 2) - 1]);
    const perCourse = await reports().courses({ from: '2026-02-20', to: '2026-04-10', providerId: p });
    expect(perCourse.items.reduce((s, x) => s + x.completed, 0)).toBe(completedIn.length);
    const c1Days = completedIn
      .filter((x) => x.course === c1)
      .map((x) => x.days)
      .sort((a, b) => a - b);
    expect(perCourse.items.find((x) => x.courseId === c1)?.medianDaysToComplete).toBe(
      c1Days[Math.ceil(c1Days.length / 2) - 1],
    );

    // What is read where: a changed month row changes a whole month's answer only; a changed
    // provider histogram changes the provider's median, not a course's; a rebuild restores both.
    await h.db.execute(
      sql`update report_monthly set sold = sold + 100 where course_id = ${c1} and month = '2026-03-01'`,
    );
    await h.db.execute(
      sql`insert into report_provider_completion_monthly (month, provider_id, days, n) values ('2026-03-01', ${p}, 99, 1000)`,
    );
    expect((await one('2026-03-01', '2026-04-01'))?.vouchersSold).toBe((parts[1]?.vouchersSold ?? 0) + 100);
    expect((await one('2026-03-01', '2026-04-01'))?.medianDaysToComplete).toBe(99);
    expect((await one('2026-03-02', '2026-04-01'))?.vouchersSold).toBe(
      planted.filter((x) => x.redeemed >= wib('2026-03-02') && x.redeemed < wib('2026-04-01')).length,
    );
    expect(
      (await reports().courses({ from: '2026-03-01', to: '2026-04-01', providerId: p, courseId: c1 }))
        .items[0]?.medianDaysToComplete,
    ).toBeLessThan(99);
    await reports().rebuild({ from: '2026-03-10', to: '2026-03-10' });
    expect(await one('2026-02-20', '2026-04-10')).toEqual(whole);
    expect(Object.values(await monthLevelDrift(h.db)).every((d) => d.drift === 0)).toBe(true);

    // The per-minute job keeps the month level equal to its days.
    await plantEnrollment(h, { providerId: p, courseId: c2, redeemedAt: new Date(Date.now() - 3_600_000) });
    await refreshRecentRollups(h.db, new Date());
    expect(Object.values(await monthLevelDrift(h.db)).every((d) => d.drift === 0)).toBe(true);
  });

  it('the schedule’s rollup job catches up every day since its last run, not only yesterday', async () => {
    const p = await plantProvider(h, 'Lembaga Libur Panjang');
    const c = await plantCourse(h, p);
    // The job ran on 1 April at 09:00 WIB; a sale at 10:00; the gateways then stopped for four days.
    const ran = new Date(Date.UTC(2026, 3, 1, 2));
    expect(await refreshRecentRollups(h.db, ran)).toEqual({ from: '2026-03-31', to: '2026-04-01' });
    await plantEnrollment(h, {
      providerId: p,
      courseId: c,
      issuedAt: new Date(Date.UTC(2026, 3, 1, 3)),
      redeemedAt: new Date(Date.UTC(2026, 3, 1, 4)),
    });
    // Back on 5 April: the first run rebuilds 1 to 5 April, and the sale is counted.
    expect(await refreshRecentRollups(h.db, new Date(Date.UTC(2026, 3, 5, 2)))).toEqual({
      from: '2026-04-01',
      to: '2026-04-05',
    });
    const row = (
      await h.caller('pmo').pmo.reports.providers({ from: '2026-04-01', to: '2026-04-02' })
    ).items.find((r) => r.providerId === p);
    expect(row).toMatchObject({ vouchersSold: 1, vouchersRedeemed: 1 });
    // The next minute's run is back to yesterday and today.
    expect(await refreshRecentRollups(h.db, new Date(Date.UTC(2026, 3, 5, 2, 1)))).toEqual({
      from: '2026-04-04',
      to: '2026-04-05',
    });
  });
});
