import { hashPhone } from '@latih/core';
import { schema } from '@latih/db';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { engines } from '../support/db';
import { codeOf, type Harness, useHarness } from '../support/harness';
import { onSale, participants } from '../support/marketplace-fixtures';
import {
  minutes,
  plantAttendance,
  plantCourse,
  plantEnrollment,
  plantIdentityCheck,
  plantProvider,
  plantReview,
  plantRun,
} from '../support/oversight-fixtures';

const HOUR = 3_600_000;
const DAY = 86_400_000;
const base = () => new Date(Math.floor((Date.now() - 2 * DAY) / HOUR) * HOUR);
/** 00:00 UTC three days ago: 07:00 WIB of the same day; 17:00 UTC is the next WIB day's midnight. */
const utcMidnight = () => new Date(Math.floor((Date.now() - 3 * DAY) / DAY) * DAY);

/** A provider with the pattern planted, and one with its honest look-alike. */
async function pair(h: Harness) {
  const planted = await plantProvider(h, 'Lembaga Mencurigakan');
  const clean = await plantProvider(h, 'Lembaga Jujur');
  return {
    planted,
    clean,
    plantedCourse: await plantCourse(h, planted),
    cleanCourse: await plantCourse(h, clean),
  };
}

async function detect(h: Harness) {
  return h.caller('pmo').pmo.signals.detect({});
}
async function signalsOf(h: Harness, providerId: string) {
  return (await h.caller('pmo').pmo.signals.list({ providerId, limit: 100 })).items;
}

describe.each(engines())('fraud signals on %s', (engine) => {
  const h = useHarness(engine);

  it('SHARED_DEVICE: one phone confirming six participants; not a venue kiosk, not four on one phone', async () => {
    const p = await pair(h);
    const t = base();
    for (let i = 0; i < 6; i++) {
      const e = await plantEnrollment(h, { providerId: p.planted, courseId: p.plantedCourse, redeemedAt: t });
      await plantAttendance(h, e.enrollmentId, {
        deviceId: 'hp-andi-01',
        method: 'FACE_MATCH',
        at: minutes(t, 60 + i),
      });
    }
    for (let i = 0; i < 30; i++) {
      const e = await plantEnrollment(h, { providerId: p.clean, courseId: p.cleanCourse, redeemedAt: t });
      await plantAttendance(h, e.enrollmentId, {
        deviceId: 'gerbang-bandung',
        method: 'VENUE_QR',
        at: minutes(t, 60 + i),
      });
      if (i < 4)
        await plantAttendance(h, e.enrollmentId, {
          sequence: 2,
          deviceId: 'hp-keluarga',
          method: 'FACE_MATCH',
          at: minutes(t, 200 + i),
        });
    }
    const run = await detect(h);
    expect(run.found.SHARED_DEVICE).toBeGreaterThanOrEqual(1);
    const [s, ...more] = await signalsOf(h, p.planted);
    expect(more).toEqual([]);
    expect(s).toMatchObject({
      type: 'SHARED_DEVICE',
      subjectType: 'PROVIDER',
      subjectId: p.planted,
      score: 50,
      status: 'OPEN',
    });
    expect(s?.summary).toContain('6 different participants');
    expect(s?.evidence).toHaveLength(6);
    expect(s).toMatchObject({ evidenceTotal: 6, evidenceTruncated: false });
    expect(s?.evidence[0]).toMatchObject({ method: 'FACE_MATCH', sequence: 1 });
    expect(s?.scoring).toContain('+10');
    expect(await signalsOf(h, p.clean)).toEqual([]);
  });

  it('SHARED_IP: twelve participants online from one address in a day; not the same over twelve days, not a venue network', async () => {
    const p = await pair(h);
    const t = base();
    for (let i = 0; i < 12; i++) {
      const e = await plantEnrollment(h, { providerId: p.planted, courseId: p.plantedCourse, redeemedAt: t });
      await plantAttendance(h, e.enrollmentId, {
        ip: '198.51.100.7',
        method: 'ONLINE_PRESENCE',
        at: minutes(t, 30 + i),
      });
    }
    for (let i = 0; i < 12; i++) {
      const e = await plantEnrollment(h, { providerId: p.clean, courseId: p.cleanCourse, redeemedAt: t });
      const day = new Date(t.getTime() - i * 86_400_000);
      await plantAttendance(h, e.enrollmentId, { ip: '198.51.100.8', method: 'ONLINE_PRESENCE', at: day });
      await plantAttendance(h, e.enrollmentId, {
        sequence: 2,
        ip: '10.9.9.9',
        method: 'VENUE_QR',
        at: minutes(t, 5),
      });
    }
    await detect(h);
    const [s, ...more] = await signalsOf(h, p.planted);
    expect(more).toEqual([]);
    expect(s).toMatchObject({ type: 'SHARED_IP', score: 40 });
    expect(s?.evidence).toHaveLength(12);
    expect(await signalsOf(h, p.clean)).toEqual([]);
  });

  it('SHARED_IP counts WIB days: twelve from one address between 00:00 and 24:00 WIB across two UTC days; not twelve across WIB midnight within one UTC day', async () => {
    const p = await pair(h);
    const d = utcMidnight();
    // Planted: 6 at 17:30 UTC (00:30 WIB the next day) and 6 at 16:30 UTC the day after (23:30 WIB): one WIB day.
    for (let i = 0; i < 12; i++) {
      const e = await plantEnrollment(h, { providerId: p.planted, courseId: p.plantedCourse, redeemedAt: d });
      const at = i < 6 ? minutes(d, 17 * 60 + 30 + i) : minutes(d, 24 * 60 + 16 * 60 + 30 + i);
      await plantAttendance(h, e.enrollmentId, { ip: '198.51.100.9', method: 'ONLINE_PRESENCE', at });
    }
    // Look-alike: 6 at 16:30 UTC (23:30 WIB) and 6 at 17:30 UTC (00:30 WIB the next day): two WIB days of 6.
    for (let i = 0; i < 12; i++) {
      const e = await plantEnrollment(h, { providerId: p.clean, courseId: p.cleanCourse, redeemedAt: d });
      const at = i < 6 ? minutes(d, 16 * 60 + 30 + i) : minutes(d, 17 * 60 + 30 + i);
      await plantAttendance(h, e.enrollmentId, { ip: '198.51.100.10', method: 'ONLINE_PRESENCE', at });
    }
    await detect(h);
    const wibDay = new Date(d.getTime() + DAY).toISOString().slice(0, 10);
    const [s, ...more] = await signalsOf(h, p.planted);
    expect(more).toEqual([]);
    expect(s).toMatchObject({ type: 'SHARED_IP', score: 40 });
    expect(s?.summary).toContain(`12 different participants on ${wibDay} (WIB)`);
    expect(s?.evidence).toHaveLength(12);
    expect(await signalsOf(h, p.clean)).toEqual([]);
  });

  it('COMPLETION_TOO_FAST: a 15-hour course completed in 3 hours; not one completed in 16', async () => {
    const p = await pair(h);
    const t = base();
    const fast = await plantEnrollment(h, {
      providerId: p.planted,
      courseId: p.plantedCourse,
      redeemedAt: t,
      completedAt: new Date(t.getTime() + 3 * HOUR),
    });
    await plantEnrollment(h, {
      providerId: p.clean,
      courseId: p.cleanCourse,
      redeemedAt: t,
      completedAt: new Date(t.getTime() + 16 * HOUR),
    });
    await plantEnrollment(h, {
      providerId: p.clean,
      courseId: p.cleanCourse,
      redeemedAt: t,
      completedAt: new Date(t.getTime() + 15 * HOUR),
    });
    await detect(h);
    const [s] = await signalsOf(h, p.planted);
    expect(s).toMatchObject({
      type: 'COMPLETION_TOO_FAST',
      subjectType: 'COURSE',
      subjectId: p.plantedCourse,
    });
    // 60 × (1 − 3/15) + 10 × 1 = 58
    expect(s?.score).toBe(58);
    expect(s?.evidence).toEqual([
      expect.objectContaining({ enrollmentId: fast.enrollmentId, minutesTaken: 180 }),
    ]);
    expect(await signalsOf(h, p.clean)).toEqual([]);
  });

  it('COMPLETION_TOO_FAST: a completion before the class ended is the most suspicious, whatever the hours; not one after the class', async () => {
    const p = await pair(h);
    const t = base();
    const luring = await plantCourse(h, p.planted, { mode: 'LURING' });
    const cleanLuring = await plantCourse(h, p.clean, { mode: 'LURING' });
    // A class of two weeks; the completion comes 40 hours after redemption (267 % of 15 hours), ten days before its end.
    const run = await plantRun(h, {
      providerId: p.planted,
      courseId: luring,
      startsAt: t,
      endsAt: new Date(t.getTime() + 14 * DAY),
    });
    const early = await plantEnrollment(h, {
      providerId: p.planted,
      courseId: luring,
      runId: run,
      redeemedAt: t,
      completedAt: new Date(t.getTime() + 40 * HOUR),
    });
    // Look-alike: a one-day class of the same hours, completed an hour after it ended.
    const done = await plantRun(h, {
      providerId: p.clean,
      courseId: cleanLuring,
      startsAt: new Date(t.getTime() - 20 * HOUR),
      endsAt: new Date(t.getTime() - 4 * HOUR),
    });
    await plantEnrollment(h, {
      providerId: p.clean,
      courseId: cleanLuring,
      runId: done,
      redeemedAt: new Date(t.getTime() - 20 * HOUR),
      completedAt: new Date(t.getTime() - 3 * HOUR),
    });
    await detect(h);
    const [s, ...more] = await signalsOf(h, p.planted);
    expect(more).toEqual([]);
    expect(s).toMatchObject({ type: 'COMPLETION_TOO_FAST', subjectId: luring });
    // A completion before the class ended counts as the fastest there is: 60 × (1 − 0) + 10 × 1.
    expect(s?.score).toBe(70);
    expect(s?.summary).not.toContain('%');
    expect(s?.summary).toContain('1 completion(s) reported before the class had ended');
    expect(s?.summary).toContain('the earliest 296 hours before its end');
    expect(s?.evidence).toEqual([
      expect.objectContaining({
        enrollmentId: early.enrollmentId,
        minutesTaken: 2400,
        beforeRunEnded: true,
        minutesBeforeRunEnd: 296 * 60,
      }),
    ]);
    expect(await signalsOf(h, p.clean)).toEqual([]);
  });

  it('COMPLETION_TOO_FAST: too fast and before the class ended in one course, each said', async () => {
    const p = await pair(h);
    const t = base();
    const luring = await plantCourse(h, p.planted, { mode: 'LURING' });
    // The run ended 4 hours after it started: a completion at 3 hours is both too soon and before its end.
    const short = await plantRun(h, {
      providerId: p.planted,
      courseId: luring,
      startsAt: t,
      endsAt: new Date(t.getTime() + 4 * HOUR),
    });
    const both = await plantEnrollment(h, {
      providerId: p.planted,
      courseId: luring,
      runId: short,
      redeemedAt: t,
      completedAt: new Date(t.getTime() + 3 * HOUR),
    });
    // Another after the run ended but sooner than 15 hours after redemption.
    const soon = await plantEnrollment(h, {
      providerId: p.planted,
      courseId: luring,
      runId: short,
      redeemedAt: t,
      completedAt: new Date(t.getTime() + 6 * HOUR),
    });
    await detect(h);
    const [s] = await signalsOf(h, p.planted);
    // 60 (before the end counts as 0) + 10 × 2.
    expect(s?.score).toBe(80);
    expect(s?.summary).toBe(
      "2 completion(s) reported too soon: 1 before the class had ended (the earliest 60 minutes before its end); 2 sooner than the course's 15 hours allow (the fastest after 20 % of them).",
    );
    expect(s?.evidence).toEqual([
      expect.objectContaining({
        enrollmentId: both.enrollmentId,
        beforeRunEnded: true,
        minutesBeforeRunEnd: 60,
      }),
      expect.objectContaining({
        enrollmentId: soon.enrollmentId,
        beforeRunEnded: false,
        minutesBeforeRunEnd: null,
      }),
    ]);
  });

  it('DUPLICATE_ASSIGNMENT: one file handed in for three participants; not three different files', async () => {
    const p = await pair(h);
    const t = base();
    const same = `sha256:${'ab'.repeat(32)}`;
    for (let i = 0; i < 3; i++)
      await plantEnrollment(h, {
        providerId: p.planted,
        courseId: p.plantedCourse,
        redeemedAt: t,
        assignmentHash: same,
      });
    for (let i = 0; i < 3; i++)
      await plantEnrollment(h, {
        providerId: p.clean,
        courseId: p.cleanCourse,
        redeemedAt: t,
        assignmentHash: `sha256:${String(i).repeat(64)}`,
      });
    await detect(h);
    const [s] = await signalsOf(h, p.planted);
    expect(s).toMatchObject({ type: 'DUPLICATE_ASSIGNMENT', score: 65 });
    expect(s?.evidence).toHaveLength(3);
    expect(await signalsOf(h, p.clean)).toEqual([]);
  });

  it('REDEMPTION_BURST: twelve redemptions from one IP in eight minutes; not spread over hours, not from twelve IPs', async () => {
    const p = await pair(h);
    const t = base();
    for (let i = 0; i < 12; i++)
      await plantEnrollment(h, {
        providerId: p.planted,
        courseId: p.plantedCourse,
        redeemedAt: minutes(t, i * 0.7),
        redeemedIp: '203.0.113.5',
      });
    // An honest look-alike: the same count, one address, a quarter of an hour apart (an office's NAT)…
    for (let i = 0; i < 12; i++)
      await plantEnrollment(h, {
        providerId: p.clean,
        courseId: p.cleanCourse,
        redeemedAt: minutes(t, i * 15),
        redeemedIp: '203.0.113.6',
      });
    // …and a class starting: many at once, each from their own phone.
    for (let i = 0; i < 12; i++)
      await plantEnrollment(h, {
        providerId: p.clean,
        courseId: p.cleanCourse,
        redeemedAt: minutes(t, i * 0.5),
        redeemedIp: `192.0.2.${i + 1}`,
      });
    await detect(h);
    const [s, ...more] = await signalsOf(h, p.planted);
    expect(more).toEqual([]);
    expect(s).toMatchObject({ type: 'REDEMPTION_BURST', score: 48 });
    expect(s?.summary).toBe(
      `12 vouchers were redeemed from IP address 203.0.113.5 within 10 minutes from ${t.toISOString()}.`,
    );
    expect(s?.evidence).toHaveLength(12);
    expect(await signalsOf(h, p.clean)).toEqual([]);
  });

  it('PERFECT_RATING_BURST: eleven five-star reviews in forty minutes; not over a week, not a mixed hour', async () => {
    const p = await pair(h);
    const t = base();
    for (let i = 0; i < 11; i++) {
      const e = await plantEnrollment(h, {
        providerId: p.planted,
        courseId: p.plantedCourse,
        redeemedAt: new Date(t.getTime() - 40 * HOUR),
        completedAt: new Date(t.getTime() - 20 * HOUR),
      });
      await plantReview(
        h,
        { ...e, providerId: p.planted, courseId: p.plantedCourse },
        { rating: 5, at: minutes(t, i * 4) },
      );
    }
    for (let i = 0; i < 11; i++) {
      const e = await plantEnrollment(h, {
        providerId: p.clean,
        courseId: p.cleanCourse,
        redeemedAt: new Date(t.getTime() - 40 * HOUR),
        completedAt: new Date(t.getTime() - 20 * HOUR),
      });
      await plantReview(
        h,
        { ...e, providerId: p.clean, courseId: p.cleanCourse },
        { rating: 5, at: new Date(t.getTime() - i * 15 * HOUR) },
      );
    }
    for (let i = 0; i < 12; i++) {
      const e = await plantEnrollment(h, {
        providerId: p.clean,
        courseId: p.cleanCourse,
        redeemedAt: new Date(t.getTime() - 40 * HOUR),
        completedAt: new Date(t.getTime() - 20 * HOUR),
      });
      await plantReview(
        h,
        { ...e, providerId: p.clean, courseId: p.cleanCourse },
        { rating: i % 2 === 0 ? 5 : 4, at: minutes(t, 100 + i * 2) },
      );
    }
    await detect(h);
    const [s] = await signalsOf(h, p.planted);
    expect(s).toMatchObject({
      type: 'PERFECT_RATING_BURST',
      subjectType: 'COURSE',
      subjectId: p.plantedCourse,
      // All eleven in the same words: 20 + 60 × 11/11 + 5 × (11 − 10).
      score: 85,
    });
    expect(s?.evidence).toHaveLength(11);
    expect(s?.evidence.every((r) => r.suspicious === true && r.sameTextAs === 10)).toBe(true);
    expect(await signalsOf(h, p.clean)).toEqual([]);
  });

  it('PERFECT_RATING_BURST: a planted burst with honest five-star reviews in the same hour; the honest ones are marked as such and come last', async () => {
    const p = await pair(h);
    const t = base();
    const luring = await plantCourse(h, p.planted, { mode: 'LURING' });
    const run = await plantRun(h, {
      providerId: p.planted,
      courseId: luring,
      startsAt: new Date(t.getTime() - 30 * HOUR),
      endsAt: new Date(t.getTime() - 10 * HOUR),
    });
    const of = (e: Awaited<ReturnType<typeof plantEnrollment>>) => ({
      ...e,
      providerId: p.planted,
      courseId: luring,
    });
    // Honest: each attended (confirmed) from their own phone, completed the day before, wrote their own words.
    const honest = [];
    for (let i = 0; i < 3; i++) {
      const e = await plantEnrollment(h, {
        providerId: p.planted,
        courseId: luring,
        runId: run,
        redeemedAt: new Date(t.getTime() - 30 * HOUR),
        completedAt: new Date(t.getTime() - 9 * HOUR),
      });
      honest.push(e);
      await plantAttendance(h, e.enrollmentId, {
        deviceId: `hp-peserta-${i}`,
        ip: `192.0.2.${50 + i}`,
        method: 'ONLINE_PRESENCE',
        at: new Date(t.getTime() - 29 * HOUR),
      });
      await plantReview(h, of(e), {
        rating: 5,
        at: minutes(t, 5 + i * 20),
        text:
          [
            'Materinya jelas, praktik langsung di kelas.',
            'Instruktur sabar menjawab pertanyaan.',
            'Sangat bermanfaat untuk usaha saya',
          ][i] ?? '',
      });
    }
    // Planted: ten completed in one batch, reviewed minutes later with the same words; four of them
    // "attended" from one phone, the others have no confirmed session at all.
    const planted = [];
    for (let i = 0; i < 10; i++) {
      const e = await plantEnrollment(h, {
        providerId: p.planted,
        courseId: luring,
        runId: run,
        redeemedAt: new Date(t.getTime() - 30 * HOUR),
        completedAt: minutes(t, i * 4),
      });
      planted.push(e);
      if (i < 4)
        await plantAttendance(h, e.enrollmentId, {
          deviceId: 'hp-joki-01',
          method: 'ONLINE_PRESENCE',
          at: new Date(t.getTime() - 29 * HOUR),
        });
      else
        await plantAttendance(h, e.enrollmentId, {
          status: 'UNCONFIRMED',
          method: 'ONLINE_PRESENCE',
          at: new Date(t.getTime() - 29 * HOUR),
        });
      await plantReview(h, of(e), { rating: 5, at: minutes(t, i * 4 + 2), text: 'Mantap, sangat bagus!' });
    }
    await detect(h);
    const s = (await signalsOf(h, p.planted)).find((x) => x.type === 'PERFECT_RATING_BURST');
    expect(s).toMatchObject({ subjectId: luring, evidenceTotal: 13, evidenceTruncated: false });
    expect(s?.summary).toContain('13 five-star reviews of the course within 60 minutes');
    expect(s?.summary).toContain('10 of them show signs of being planted');
    // 20 + 60 × 10/13 + 5 × 0 (10 marked reviews, the minimum) = 66.
    expect(s?.score).toBe(66);
    const rows = s?.evidence ?? [];
    expect(rows).toHaveLength(13);
    // The ten planted first (most suspicious first), the three honest last, marked as such.
    expect(new Set(rows.slice(0, 10).map((r) => r.enrollmentId))).toEqual(
      new Set(planted.map((e) => e.enrollmentId)),
    );
    for (const r of rows.slice(0, 10)) {
      expect(r).toMatchObject({ suspicious: true, sameTextAs: 9, minutesAfterCompletion: 2 });
      expect(r.markers).toEqual(expect.arrayContaining(['DUPLICATE_TEXT', 'REVIEWED_AT_COMPLETION']));
    }
    expect(rows.slice(0, 4).map((r) => r.markers)).toEqual(
      Array(4).fill(expect.arrayContaining(['SHARED_DEVICE'])),
    );
    expect(rows.slice(0, 4).map((r) => r.sharesDeviceWith)).toEqual([3, 3, 3, 3]);
    for (const r of rows.slice(4, 10)) {
      expect(r.markers).toEqual(expect.arrayContaining(['NO_CONFIRMED_ATTENDANCE']));
      expect(r.confirmedSessions).toBe(0);
    }
    expect(rows.slice(10)).toEqual(
      honest.map((e) =>
        expect.objectContaining({
          enrollmentId: e.enrollmentId,
          suspicious: false,
          suspicion: 0,
          markers: [],
          confirmedSessions: 1,
          sharesDeviceWith: 0,
          sharesIpWith: 0,
          sameTextAs: 0,
        }),
      ),
    );
    const scores = rows.map((r) => Number(r.suspicion));
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  it('PERFECT_RATING_BURST: a class reviewing together right after it ends fires at the floor with no review marked', async () => {
    const p = await pair(h);
    const t = base();
    const luring = await plantCourse(h, p.clean, { mode: 'LURING' });
    const run = await plantRun(h, {
      providerId: p.clean,
      courseId: luring,
      startsAt: new Date(t.getTime() - 20 * HOUR),
      endsAt: new Date(t.getTime() - 2 * HOUR),
    });
    for (let i = 0; i < 12; i++) {
      const e = await plantEnrollment(h, {
        providerId: p.clean,
        courseId: luring,
        runId: run,
        redeemedAt: new Date(t.getTime() - 20 * HOUR),
        completedAt: new Date(t.getTime() - 2 * HOUR),
      });
      // At the venue: its own QR device and network, shared by design.
      await plantAttendance(h, e.enrollmentId, {
        deviceId: 'gerbang-lampung',
        ip: '10.1.1.1',
        method: 'VENUE_QR',
        at: new Date(t.getTime() - 19 * HOUR),
      });
      await plantReview(
        h,
        { ...e, providerId: p.clean, courseId: luring },
        { rating: 5, at: minutes(t, i * 3), text: `Kelas yang bagus, terima kasih (${i})` },
      );
    }
    await detect(h);
    const [s, ...more] = await signalsOf(h, p.clean);
    expect(more).toEqual([]);
    expect(s).toMatchObject({ type: 'PERFECT_RATING_BURST', score: 20 });
    expect(s?.summary).toContain('none of them shows signs of being planted');
    expect(s?.evidence.every((r) => r.suspicious === false && (r.markers as string[]).length === 0)).toBe(
      true,
    );
  });

  it('evidence says when it was cut short and how much there was: 120 attendance rows on one phone, 100 listed', async () => {
    const p = await pair(h);
    const t = base();
    for (let i = 0; i < 6; i++) {
      const e = await plantEnrollment(h, { providerId: p.planted, courseId: p.plantedCourse, redeemedAt: t });
      for (let k = 1; k <= 20; k++)
        await plantAttendance(h, e.enrollmentId, {
          sequence: k,
          deviceId: 'hp-ring-07',
          method: 'ONLINE_PRESENCE',
          at: minutes(t, k * 60 + i),
        });
    }
    await detect(h);
    const [s] = await signalsOf(h, p.planted);
    expect(s).toMatchObject({ type: 'SHARED_DEVICE', evidenceTotal: 120, evidenceTruncated: true });
    expect(s?.evidence).toHaveLength(100);
    // The same through get, and every other signal says it too.
    expect(await h.caller('pmo').pmo.signals.get({ id: s?.id ?? '' })).toMatchObject({
      evidenceTotal: 120,
      evidenceTruncated: true,
    });
    const all = (await h.caller('pmo').pmo.signals.list({ limit: 100 })).items;
    expect(all.length).toBeGreaterThan(1);
    for (const x of all) {
      expect(x.evidenceTotal).toBeGreaterThanOrEqual(x.evidence.length);
      expect(x.evidenceTruncated).toBe(x.evidenceTotal > x.evidence.length);
      expect(x.implicatedEnrollments).toBeGreaterThan(0);
    }
  });

  it('each signal names every enrollment and participant it implicates, beyond the 100 evidence rows, refreshed when detected again', async () => {
    const p = await pair(h);
    const t = base();
    const ring: string[] = [];
    // A ring of 25 on one phone, five sessions each: 125 rows, the last five enrollments only after row 100.
    for (let i = 0; i < 25; i++) {
      const e = await plantEnrollment(h, { providerId: p.planted, courseId: p.plantedCourse, redeemedAt: t });
      ring.push(e.enrollmentId);
      for (let k = 1; k <= 5; k++)
        await plantAttendance(h, e.enrollmentId, {
          sequence: k,
          deviceId: 'hp-cincin-25',
          method: 'ONLINE_PRESENCE',
          at: minutes(t, 60 + i * 10 + k),
        });
    }
    await detect(h);
    const [s] = await signalsOf(h, p.planted);
    expect(s).toMatchObject({
      type: 'SHARED_DEVICE',
      evidenceTotal: 125,
      implicatedEnrollments: 25,
      implicatedParticipants: 25,
    });
    expect(new Set(s?.evidence.map((r) => r.enrollmentId)).size).toBe(20);
    const pmo = h.caller('pmo');
    const listed: Array<{
      enrollmentId: string | null;
      participantId: string;
      courseId: string | null;
      providerId: string | null;
    }> = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await pmo.pmo.signals.implicated({
        id: s?.id ?? '',
        limit: 10,
        ...(cursor ? { cursor } : {}),
      });
      listed.push(...page.items);
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(listed.map((r) => r.enrollmentId)).toEqual(ring);
    for (const r of listed) expect(r).toMatchObject({ courseId: p.plantedCourse, providerId: p.planted });
    expect(new Set(listed.map((r) => r.participantId)).size).toBe(25);

    // One more joins the ring: the next pass names 26, each once.
    const late = await plantEnrollment(h, {
      providerId: p.planted,
      courseId: p.plantedCourse,
      redeemedAt: t,
    });
    await plantAttendance(h, late.enrollmentId, {
      deviceId: 'hp-cincin-25',
      method: 'ONLINE_PRESENCE',
      at: minutes(t, 400),
    });
    await detect(h);
    expect(await pmo.pmo.signals.get({ id: s?.id ?? '' })).toMatchObject({ implicatedEnrollments: 26 });
    const again = await pmo.pmo.signals.implicated({ id: s?.id ?? '', limit: 100 });
    expect(again.items.map((r) => r.enrollmentId)).toEqual([...ring, late.enrollmentId]);
    expect(
      codeOf(
        await pmo.pmo.signals.implicated({ id: 'sig_01jw0000000000000000000000', limit: 5 }).catch((e) => e),
      ),
    ).toBe('SIGNAL_NOT_FOUND');
  });

  it('IDENTITY_CHECK_FAILURES: half of twelve checks failing; not one in five', async () => {
    const p = await pair(h);
    const t = base();
    for (let i = 0; i < 12; i++) {
      const e = await plantEnrollment(h, { providerId: p.planted, courseId: p.plantedCourse, redeemedAt: t });
      await plantIdentityCheck(h, e.enrollmentId, { failed: i % 2 === 0, at: minutes(t, i) });
    }
    for (let i = 0; i < 20; i++) {
      const e = await plantEnrollment(h, { providerId: p.clean, courseId: p.cleanCourse, redeemedAt: t });
      await plantIdentityCheck(h, e.enrollmentId, { failed: i % 5 === 0, at: minutes(t, i) });
    }
    await detect(h);
    const [s] = await signalsOf(h, p.planted);
    expect(s).toMatchObject({ type: 'IDENTITY_CHECK_FAILURES', score: 50 });
    expect(s?.summary).toBe('6 of 12 identity checks failed (50 %).');
    expect(s?.evidence).toHaveLength(6);
    expect(await signalsOf(h, p.clean)).toEqual([]);
  });

  it('LATE_REPORTING: most attendance entered two days after it happened; not a register typed in the next morning, nor a few late ones', async () => {
    const p = await pair(h);
    const t = base();
    // Planted: 24 participants' attendance, 18 of it entered 50 hours after the class.
    for (let i = 0; i < 24; i++) {
      const e = await plantEnrollment(h, { providerId: p.planted, courseId: p.plantedCourse, redeemedAt: t });
      const occurredAt = minutes(t, 60 + i);
      await plantAttendance(h, e.enrollmentId, {
        method: 'VENUE_QR',
        occurredAt,
        at: i < 18 ? new Date(occurredAt.getTime() + 50 * HOUR) : occurredAt,
      });
    }
    // Honest: a paper register typed in the next morning (16 hours), and 3 of 30 entered late.
    for (let i = 0; i < 30; i++) {
      const e = await plantEnrollment(h, { providerId: p.clean, courseId: p.cleanCourse, redeemedAt: t });
      const occurredAt = minutes(t, 60 + i);
      const late = i < 3 ? 30 * HOUR : i < 20 ? 16 * HOUR : 0;
      await plantAttendance(h, e.enrollmentId, {
        method: 'VENUE_QR',
        occurredAt,
        at: new Date(occurredAt.getTime() + late),
      });
    }
    await detect(h);
    const [s] = await signalsOf(h, p.planted);
    expect(s).toMatchObject({
      type: 'LATE_REPORTING',
      score: 75,
      evidenceTotal: 18,
      evidenceTruncated: false,
    });
    expect(s?.summary).toBe(
      '18 of 24 attendance records were entered more than 24 hours after they happened (75 %), the latest 50 hours after.',
    );
    expect(s?.evidence[0]).toMatchObject({ hoursLate: 50, sequence: 1 });
    expect(await signalsOf(h, p.clean)).toEqual([]);
  });

  it('UNIFORM_REDEMPTION_DELAY: twelve vouchers each redeemed five minutes and a few seconds after purchase; not a luring class redeeming at the door at once, nor people redeeming a minute or a few after buying', async () => {
    const p = await pair(h);
    const t = base();
    // Planted: bought over three days, each redeemed 300 to 305.5 seconds after its purchase.
    const planted: string[] = [];
    for (let i = 0; i < 12; i++) {
      const issuedAt = new Date(t.getTime() - (i * 6 + 1) * HOUR - i * 47_000);
      const e = await plantEnrollment(h, {
        providerId: p.planted,
        courseId: p.plantedCourse,
        issuedAt,
        redeemedAt: new Date(issuedAt.getTime() + 300_000 + i * 500),
      });
      planted.push(e.enrollmentId);
    }
    // Honest: a luring class of 15 redeeming at the door at the same second, bought on different
    // days; and 15 people redeeming 40 seconds to 9 minutes after buying.
    const luring = await plantCourse(h, p.clean, { mode: 'LURING' });
    for (let i = 0; i < 15; i++)
      await plantEnrollment(h, {
        providerId: p.clean,
        courseId: luring,
        issuedAt: new Date(t.getTime() - (i + 1) * DAY - i * 13 * 60_000),
        redeemedAt: t,
      });
    for (let i = 0; i < 15; i++) {
      const issuedAt = new Date(t.getTime() - i * 2 * HOUR);
      await plantEnrollment(h, {
        providerId: p.clean,
        courseId: p.cleanCourse,
        issuedAt,
        redeemedAt: new Date(issuedAt.getTime() + 40_000 + i * 37_000),
      });
    }
    await detect(h);
    const [s, ...more] = await signalsOf(h, p.planted);
    expect(more).toEqual([]);
    expect(s).toMatchObject({
      type: 'UNIFORM_REDEMPTION_DELAY',
      subjectType: 'PROVIDER',
      subjectId: p.planted,
      score: 70,
      evidenceTotal: 12,
      evidenceTruncated: false,
    });
    expect(s?.summary).toContain('12 vouchers were redeemed 300 to 306 seconds after their purchase');
    expect(new Set(s?.evidence.map((r) => r.enrollmentId))).toEqual(new Set(planted));
    expect(s?.evidence[0]).toMatchObject({ secondsToRedeem: expect.any(Number) });
    expect(Object.keys(s?.evidence[0] ?? {}).sort()).toEqual(
      [
        'courseId',
        'enrollmentId',
        'issuedAt',
        'participantId',
        'platformId',
        'redeemedAt',
        'secondsToRedeem',
      ].sort(),
    );
    expect(await signalsOf(h, p.clean)).toEqual([]);
  });

  it('SHARED_PAYOUT_ACCOUNT: four participants paid into one e-wallet, three into one bank account under different names; not a couple sharing one, nor accounts that only look alike masked', async () => {
    const p = await pair(h);
    const t = base();
    const pmo = h.caller('pmo').pmo.participants;
    const enrol = (providerId: string, courseId: string, i: number) =>
      plantEnrollment(h, { providerId, courseId, redeemedAt: minutes(t, i) });
    const wallet: string[] = [];
    for (let i = 0; i < 4; i++) {
      const e = await enrol(p.planted, p.plantedCourse, i);
      wallet.push(e.participantId);
      await pmo.setPayoutAccount({
        participantId: e.participantId,
        destination: { kind: 'ewallet', provider: 'gopay', phone: '081355501234' },
      });
    }
    const bank: string[] = [];
    for (let i = 0; i < 3; i++) {
      const e = await enrol(p.planted, p.plantedCourse, 10 + i);
      bank.push(e.participantId);
      await pmo.setPayoutAccount({
        participantId: e.participantId,
        destination: {
          kind: 'bank',
          bankCode: '009',
          accountNumber: '0123456789',
          holderName: `Pemilik ${i}`,
        },
      });
    }
    // Honest: a couple on one account; and three different accounts with the same last four digits.
    for (let i = 0; i < 2; i++) {
      const e = await enrol(p.clean, p.cleanCourse, i);
      await pmo.setPayoutAccount({
        participantId: e.participantId,
        destination: {
          kind: 'bank',
          bankCode: '014',
          accountNumber: '5550001111',
          holderName: 'Budi dan Sari',
        },
      });
    }
    for (let i = 0; i < 3; i++) {
      const e = await enrol(p.clean, p.cleanCourse, 10 + i);
      await pmo.setPayoutAccount({
        participantId: e.participantId,
        destination: { kind: 'ewallet', provider: 'ovo', phone: `08129${i}007777` },
      });
    }
    const run = await detect(h);
    expect(run.found.SHARED_PAYOUT_ACCOUNT).toBe(2);
    const found = (await signalsOf(h, p.planted)).sort((a, b) => a.score - b.score);
    expect(found.map((s) => [s.type, s.subjectType, s.score, s.evidenceTotal])).toEqual([
      ['SHARED_PAYOUT_ACCOUNT', 'ENROLLMENT', 50, 3],
      ['SHARED_PAYOUT_ACCOUNT', 'ENROLLMENT', 65, 4],
    ]);
    const [b, w] = found;
    expect(w?.summary).toBe(
      'The incentives of 4 different participants are paid into one e-wallet (GOPAY ••••1234).',
    );
    expect(b?.summary).toContain(
      '3 different participants are paid into one bank account (BANK 009 ••••6789)',
    );
    expect(new Set(w?.evidence.map((r) => r.participantId))).toEqual(new Set(wallet));
    expect(new Set(b?.evidence.map((r) => r.participantId))).toEqual(new Set(bank));
    expect(w?.evidence[0]).toMatchObject({ kind: 'EWALLET', label: 'GOPAY ••••1234', providerId: p.planted });
    // Masked labels only: never the full number or phone.
    const text = JSON.stringify(found);
    expect(text).not.toContain('0123456789');
    expect(text).not.toContain('081355501234');
    expect(await signalsOf(h, p.clean)).toEqual([]);
  });

  it('SHARED_PHONE: five participants registered with one mobile number; not a family of three on one phone, nor five on five numbers', async () => {
    const p = await pair(h);
    const t = base();
    // The import keeps the number only as its keyed hash and last four digits.
    const imported = await h.caller('pmo').pmo.participants.import({
      cohort: 91,
      items: [
        {
          nik: '3273011708950777',
          cardNumber: '7999000000000777',
          name: 'Peserta Bernomor',
          gender: 'M',
          birthDate: '1995-08-17',
          regencyCode: '32.73',
          phone: '081377700123',
        },
      ],
    });
    const importedId = imported.results[0]?.participantId ?? '';
    const [row] = await h.db.select().from(schema.participants).where(eq(schema.participants.id, importedId));
    expect(row).toMatchObject({
      phoneHash: hashPhone(h.services.nikHashKey, '081377700123'),
      phoneLast4: '0123',
    });
    expect(JSON.stringify(row)).not.toContain('81377700123');
    expect(
      (
        await h.caller('pmo').pmo.participants.import({
          cohort: 91,
          items: [
            {
              nik: '3273011708950778',
              cardNumber: '7999000000000778',
              name: 'Peserta Salah Nomor',
              gender: 'M',
              birthDate: '1995-08-17',
              regencyCode: '32.73',
              phone: '+62 813-7770',
            },
          ],
        })
      ).results[0],
    ).toMatchObject({ status: 'ERROR', error: { code: 'VALIDATION_FAILED', field: 'phone' } });

    const trader: string[] = [];
    for (let i = 0; i < 5; i++)
      trader.push(
        (
          await plantEnrollment(h, {
            providerId: p.planted,
            courseId: p.plantedCourse,
            redeemedAt: minutes(t, 3 * i),
            phone: '081299990001',
          })
        ).participantId,
      );
    // Honest: a family of three on the mother's phone; five neighbours on five numbers.
    for (let i = 0; i < 3; i++)
      await plantEnrollment(h, {
        providerId: p.clean,
        courseId: p.cleanCourse,
        redeemedAt: minutes(t, i),
        phone: '081288880002',
      });
    for (let i = 0; i < 5; i++)
      await plantEnrollment(h, {
        providerId: p.clean,
        courseId: p.cleanCourse,
        redeemedAt: minutes(t, 10 + i),
        phone: `0812777700${i}1`,
      });
    const run = await detect(h);
    expect(run.found.SHARED_PHONE).toBe(1);
    const [signal] = (await signalsOf(h, p.planted)).filter((s) => s.type === 'SHARED_PHONE');
    expect(signal).toMatchObject({ subjectType: 'ENROLLMENT', score: 60, evidenceTotal: 5 });
    expect(signal?.summary).toBe(
      '5 different participants registered with one mobile number (••••0001), with 5 enrollment(s) between them.',
    );
    expect(new Set(signal?.evidence.map((r) => r.participantId))).toEqual(new Set(trader));
    expect(JSON.stringify(signal)).not.toContain('81299990001');
    expect(await signalsOf(h, p.clean)).toEqual([]);
  });

  it('SHARED_CHECKOUT_DEVICE: one phone buying for six participants, one session for five on as many devices; not a family phone buying for three', async () => {
    const people = await participants(h, 14);
    const { course, run } = await onSale(h, { capacity: 50 });
    const checkout = h.caller('platformA').platform.checkout;
    const create = (i: number, deviceId: string, sessionId: string) =>
      checkout.create({
        cardNumber: people[i]?.cardNumber ?? '',
        courseId: course.id,
        runId: run.id,
        deviceId,
        sessionId,
      });
    let redeemed = '';
    for (let i = 0; i < 6; i++) {
      const c = await create(i, 'hp-joki-77', `sesi-joki-${i}`);
      if (i >= 4) continue;
      const bought = await checkout.confirm({ id: c.id, code: h.otp.read(c.id) ?? '' });
      // The first one is already in training: the signal is about that enrollment.
      if (i === 0) {
        const startsAt = (await h.caller('providerA').provider.runs.get({ id: run.id })).sessions[0]
          ?.startsAt;
        h.clock.set(new Date(new Date(startsAt ?? 0).getTime() - 10 * 60_000));
        try {
          redeemed = (
            await h
              .caller('providerA')
              .provider.vouchers.redeem({ code: bought.code, courseId: course.id, runId: run.id })
          ).id;
        } finally {
          h.clock.reset();
        }
      }
    }
    for (let i = 6; i < 11; i++) await create(i, `perangkat-${i}`, 'sesi-joki');
    // Honest: a family's phone, one sign-in, buying for three of them.
    for (let i = 11; i < 14; i++) await create(i, 'hp-keluarga', 'sesi-keluarga');
    const run2 = await detect(h);
    expect(run2.found.SHARED_CHECKOUT_DEVICE).toBe(2);
    const found = (
      await h.caller('pmo').pmo.signals.list({ type: 'SHARED_CHECKOUT_DEVICE', limit: 100 })
    ).items.sort((a, b) => a.score - b.score);
    expect(found.map((s) => [s.subjectType, s.subjectId, s.score, s.evidenceTotal])).toEqual([
      ['ENROLLMENT', redeemed, 50, 6],
      ['COURSE', course.id, 60, 5],
    ]);
    const [device, session] = found;
    expect(device?.summary).toContain('Device hp-joki-77 of platform');
    expect(device?.summary).toContain('for 6 different participants (6 checkouts)');
    expect(session?.summary).toContain('Session sesi-joki of platform');
    expect(new Set(device?.evidence.map((r) => r.participantId))).toEqual(
      new Set(people.slice(0, 6).map((p) => p.id)),
    );
    expect(device?.evidence.map((r) => r.status)).toEqual([
      ...Array(4).fill('CONFIRMED'),
      'PENDING',
      'PENDING',
    ]);
    expect(device?.evidence[0]).toMatchObject({ enrollmentId: redeemed, providerId: device?.providerId });
    const text = JSON.stringify(found);
    for (const p of people) expect(text).not.toContain(p.cardNumber);
    expect(text).not.toContain('hp-keluarga');
  });

  it('running again refreshes a signal in place, keeps a dismissal, and old activity falls out of the window', async () => {
    const p = await pair(h);
    const t = base();
    const es = [];
    for (let i = 0; i < 5; i++) {
      const e = await plantEnrollment(h, { providerId: p.planted, courseId: p.plantedCourse, redeemedAt: t });
      es.push(e);
      await plantAttendance(h, e.enrollmentId, { deviceId: 'tablet-9', at: minutes(t, i) });
    }
    await detect(h);
    const [first] = await signalsOf(h, p.planted);
    expect(first?.score).toBe(40);
    const e6 = await plantEnrollment(h, { providerId: p.planted, courseId: p.plantedCourse, redeemedAt: t });
    await plantAttendance(h, e6.enrollmentId, { deviceId: 'tablet-9', at: minutes(t, 9) });
    const again = await detect(h);
    expect(again.updated).toBeGreaterThanOrEqual(1);
    const [second, ...none] = await signalsOf(h, p.planted);
    expect(none).toEqual([]);
    expect(second).toMatchObject({ id: first?.id, score: 50, firstSeenAt: first?.firstSeenAt });

    const dismissed = await h
      .caller('pmo')
      .pmo.signals.dismiss({ id: second?.id ?? '', reason: 'Tablet milik pendamping disabilitas' });
    expect(dismissed.status).toBe('DISMISSED');
    await detect(h);
    expect((await h.caller('pmo').pmo.signals.get({ id: second?.id ?? '' })).status).toBe('DISMISSED');
    expect(
      codeOf(
        await h
          .caller('pmo')
          .pmo.signals.dismiss({ id: second?.id ?? '', reason: 'Lagi lagi' })
          .catch((e) => e),
      ),
    ).toBe('INVALID_STATE');
    // Looking only at the last day, the pattern (two days old) is not found.
    const recent = await h
      .caller('pmo')
      .pmo.signals.detect({ since: new Date(Date.now() - 86_400_000).toISOString() });
    expect(recent.found.SHARED_DEVICE ?? 0).toBe(0);
  });
});
