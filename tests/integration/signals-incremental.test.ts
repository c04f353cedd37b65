import {
  createScheduler,
  hashPhone,
  type ProgramClock,
  runSignalDetection,
  SCHEDULE,
  type Scheduler,
} from '@latih/core';
import { execRows, listJobRuns, schema } from '@latih/db';
import { and, eq, sql } from 'drizzle-orm';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { engines, type TestDatabase } from '../support/db';
import type { Harness } from '../support/harness';
import { useHarness } from '../support/harness';
import {
  minutes,
  plantAttendance,
  plantCourse,
  plantEnrollment,
  plantProvider,
} from '../support/oversight-fixtures';

/*
 * The hourly pass (signals.detect) re-evaluates only what changed since the previous pass. Each
 * test checks it against the full pass: a full pass run at the same instant right after it must
 * find nothing to change, signals, figures, evidence, implicated enrollments and lastSeenAt alike.
 *
 * The passes of a file share one database, so they share one program time that only moves
 * forward (`later()`), as the job's does: a pass never runs before the previous one.
 */

const HOUR = 3_600_000;
const DAY = 86_400_000;
let clock = Math.floor(Date.now() / HOUR) * HOUR;
const later = (ms = HOUR) => {
  clock += ms;
  return new Date(clock);
};

const hourly = (h: Harness, now: Date) => runSignalDetection({ db: h.db, now, incremental: true });

/** Every stored signal with whom it implicates, as the PMO reads them. */
async function stored(h: Harness) {
  return execRows(
    h.db,
    sql`select s.id, s.type, s.key, s.subject_type, s.subject_id, s.provider_id, s.score, s.summary, s.scoring,
          s.evidence, s.evidence_total, s.implicated_enrollments, s.implicated_participants, s.status,
          s.first_seen_at, s.last_seen_at,
          (select coalesce(jsonb_agg(jsonb_build_array(ss.position, ss.enrollment_id, ss.participant_id,
             ss.course_id, ss.provider_id) order by ss.position), '[]'::jsonb)
           from signal_subjects ss where ss.signal_id = s.id) as subjects
        from signals s order by s.type, s.key`,
  );
}

/** A full pass at the same instant finds what the incremental pass left: nothing to change. */
async function expectSameAsFullPass(h: Harness, now: Date) {
  const incremental = await stored(h);
  const full = await runSignalDetection({ db: h.db, now });
  expect(full.mode).toBe('FULL');
  expect(await stored(h)).toEqual(incremental);
}

async function signalOf(h: Harness, type: string, key: string) {
  const [row] = await h.db
    .select()
    .from(schema.signals)
    .where(and(eq(schema.signals.type, type), eq(schema.signals.key, key)));
  return row;
}

/** `n` participants of a provider whose attendance one phone confirmed, around `at`. */
async function ring(
  h: Harness,
  o: { providerId: string; courseId: string; deviceId: string; at: Date; n: number },
) {
  const out = [];
  for (let i = 0; i < o.n; i++) {
    const e = await plantEnrollment(h, {
      providerId: o.providerId,
      courseId: o.courseId,
      redeemedAt: minutes(o.at, -120),
    });
    await plantAttendance(h, e.enrollmentId, {
      deviceId: o.deviceId,
      method: 'FACE_MATCH',
      at: minutes(o.at, -60 + i),
    });
    out.push(e);
  }
  return out;
}

const total = (keys: Record<string, number>) => Object.values(keys).reduce((a, b) => a + b, 0);

const running: Scheduler[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

describe.each(engines())('the incremental detection pass on %s', (engine) => {
  const h = useHarness(engine);

  it('a ring planted across two hourly passes, then growing, is what a full pass finds; with nothing new, nothing is re-evaluated', async () => {
    await h.db.delete(schema.signalDetectionState);
    const providerId = await plantProvider(h, 'Lembaga Bertahap');
    const courseId = await plantCourse(h, providerId);
    const other = await plantCourse(h, providerId);
    const t0 = later();
    await ring(h, { providerId, courseId, deviceId: 'hp-bertahap', at: t0, n: 3 });
    // A pattern no later pass touches: found by the first pass, seen again by the others.
    for (let i = 0; i < 3; i++)
      await plantEnrollment(h, {
        providerId,
        courseId: other,
        redeemedAt: minutes(t0, -300),
        completedAt: minutes(t0, -200 + i),
        status: 'COMPLETED',
        assignmentHash: 'sha256:salinan-bertahap',
      });

    const first = await hourly(h, t0);
    expect(first.mode).toBe('FULL'); // no previous pass
    const dup = `${providerId}:sha256:salinan-bertahap`;
    expect(await signalOf(h, 'DUPLICATE_ASSIGNMENT', dup)).toMatchObject({ lastSeenAt: t0 });
    expect(await signalOf(h, 'SHARED_DEVICE', `${providerId}:hp-bertahap`)).toBeUndefined(); // 3 < 5

    // Three more on the same phone after the first pass: the ring is six only across the two.
    const t1 = later();
    await ring(h, { providerId, courseId, deviceId: 'hp-bertahap', at: t1, n: 3 });
    const second = await hourly(h, t1);
    expect(second.mode).toBe('INCREMENTAL');
    expect(second.keys.device).toBe(1);
    expect(second.keys.duplicate).toBe(0);
    expect(second.found.SHARED_DEVICE).toBe(1);
    expect(second.found.DUPLICATE_ASSIGNMENT).toBeUndefined(); // not re-evaluated…
    expect(await signalOf(h, 'DUPLICATE_ASSIGNMENT', dup)).toMatchObject({ lastSeenAt: t1 }); // …but seen
    expect(await signalOf(h, 'SHARED_DEVICE', `${providerId}:hp-bertahap`)).toMatchObject({
      score: 50,
      evidenceTotal: 6,
      implicatedEnrollments: 6,
      firstSeenAt: t1,
    });
    await expectSameAsFullPass(h, t1);

    // It grows: two more.
    const t2 = later();
    await ring(h, { providerId, courseId, deviceId: 'hp-bertahap', at: t2, n: 2 });
    const third = await hourly(h, t2);
    expect(third).toMatchObject({ mode: 'INCREMENTAL', created: 0, updated: 1 });
    expect(await signalOf(h, 'SHARED_DEVICE', `${providerId}:hp-bertahap`)).toMatchObject({
      score: 70,
      evidenceTotal: 8,
      implicatedEnrollments: 8,
      firstSeenAt: t1,
      lastSeenAt: t2,
    });
    await expectSameAsFullPass(h, t2);

    // Nothing written since: nothing read, nothing re-evaluated, every standing signal seen again.
    const t3 = later();
    const quiet = await hourly(h, t3);
    expect(quiet).toMatchObject({ mode: 'INCREMENTAL', rows: 0, created: 0, updated: 0 });
    expect(total(quiet.keys)).toBe(0);
    expect(quiet.seen).toBeGreaterThanOrEqual(2);
    expect(await signalOf(h, 'SHARED_DEVICE', `${providerId}:hp-bertahap`)).toMatchObject({ lastSeenAt: t3 });
    await expectSameAsFullPass(h, t3);
  });

  it('a row that leaves a ring (attendance re-recorded on another phone) shrinks its signal, as a full pass does', async () => {
    const providerId = await plantProvider(h, 'Lembaga Pindah');
    const courseId = await plantCourse(h, providerId);
    const t0 = later();
    const [moved] = await ring(h, { providerId, courseId, deviceId: 'hp-pindah', at: t0, n: 6 });
    await hourly(h, t0);
    expect(await signalOf(h, 'SHARED_DEVICE', `${providerId}:hp-pindah`)).toMatchObject({ evidenceTotal: 6 });

    await h.db
      .update(schema.attendance)
      .set({ deviceId: 'hp-lain' })
      .where(eq(schema.attendance.enrollmentId, moved?.enrollmentId ?? ''));
    const t1 = later();
    const pass = await hourly(h, t1);
    expect(pass.mode).toBe('INCREMENTAL');
    // The row now names only hp-lain; hp-pindah is re-evaluated because its signal implicates it.
    expect(await signalOf(h, 'SHARED_DEVICE', `${providerId}:hp-pindah`)).toMatchObject({
      score: 40,
      evidenceTotal: 5,
      implicatedEnrollments: 5,
      lastSeenAt: t1,
    });
    await expectSameAsFullPass(h, t1);
  });

  it('rows leaving the 30-day window are re-evaluated: a ring that ages out is no longer seen, one that loses two shrinks', async () => {
    const providerId = await plantProvider(h, 'Lembaga Lama');
    const courseId = await plantCourse(h, providerId);
    const t0 = later();
    // Recorded 30 days minus 30 minutes before this pass: the next pass's window no longer holds them.
    const edge = new Date(t0.getTime() - 30 * DAY + 30 * 60_000);
    await ring(h, { providerId, courseId, deviceId: 'hp-tua', at: minutes(edge, 60), n: 5 });
    await ring(h, { providerId, courseId, deviceId: 'hp-sebagian', at: minutes(edge, 60), n: 2 });
    await ring(h, { providerId, courseId, deviceId: 'hp-sebagian', at: minutes(t0, -60), n: 5 });
    await hourly(h, t0);
    expect(await signalOf(h, 'SHARED_DEVICE', `${providerId}:hp-tua`)).toMatchObject({ lastSeenAt: t0 });
    expect(await signalOf(h, 'SHARED_DEVICE', `${providerId}:hp-sebagian`)).toMatchObject({
      evidenceTotal: 7,
    });

    const t1 = later();
    const pass = await hourly(h, t1);
    expect(pass.mode).toBe('INCREMENTAL');
    expect(pass.keys.device).toBeGreaterThanOrEqual(2);
    expect(await signalOf(h, 'SHARED_DEVICE', `${providerId}:hp-tua`)).toMatchObject({ lastSeenAt: t0 });
    expect(await signalOf(h, 'SHARED_DEVICE', `${providerId}:hp-sebagian`)).toMatchObject({
      evidenceTotal: 5,
      lastSeenAt: t1,
    });
    await expectSameAsFullPass(h, t1);
  });

  it('a share rule (LATE_REPORTING): honest records leaving the window tip a provider over, as a full pass finds; a provider whose bounds cannot reach the rule is not re-evaluated', async () => {
    const tipped = await plantProvider(h, 'Lembaga Terlambat Ketik');
    const honest = await plantProvider(h, 'Lembaga Tepat Waktu');
    const t0 = later();
    const edge = new Date(t0.getTime() - 30 * DAY + 30 * 60_000);
    const records = async (
      providerId: string,
      o: { n: number; at: Date; lateHours: number; from?: number },
    ) => {
      const e = await plantEnrollment(h, {
        providerId,
        courseId: await plantCourse(h, providerId),
        redeemedAt: minutes(o.at, -60 * 24 * 5),
      });
      for (let i = 0; i < o.n; i++)
        await plantAttendance(h, e.enrollmentId, {
          sequence: (o.from ?? 0) + i + 1,
          method: 'VENUE_QR',
          at: minutes(o.at, i),
          occurredAt: minutes(o.at, i - o.lateHours * 60),
        });
      return e;
    };
    // 20 records typed two days late, 25 on time but about to leave the window: 44 % late.
    await records(tipped, { n: 20, at: minutes(t0, -120), lateHours: 48 });
    await records(tipped, { n: 25, at: edge, lateHours: 1 });
    const honestOne = await records(honest, { n: 30, at: minutes(t0, -120), lateHours: 1 });
    await hourly(h, t0);
    expect(await signalOf(h, 'LATE_REPORTING', tipped)).toBeUndefined();

    await plantAttendance(h, honestOne.enrollmentId, {
      sequence: 31,
      method: 'VENUE_QR',
      at: minutes(t0, 10),
    });
    const t1 = later();
    const pass = await hourly(h, t1);
    expect(pass.mode).toBe('INCREMENTAL');
    // The on-time ones left: 20 of 20 late.
    expect(await signalOf(h, 'LATE_REPORTING', tipped)).toMatchObject({
      score: 100,
      evidenceTotal: 20,
      lastSeenAt: t1,
    });
    // The honest provider changed, but at most 0 late of at least 30 cannot reach half: skipped,
    // its bounds widened rather than recounted.
    const bounds = await h.db
      .select()
      .from(schema.signalKeyBounds)
      .where(eq(schema.signalKeyBounds.type, 'LATE_REPORTING'));
    expect(bounds.find((b) => b.key === honest)).toMatchObject({ nLo: 30, nHi: 31, hitsHi: 0 });
    expect(bounds.find((b) => b.key === tipped)).toMatchObject({ nLo: 20, nHi: 20, hitsHi: 20 });
    await expectSameAsFullPass(h, t1);
  });

  it('UNIFORM_REDEMPTION_DELAY planted across two passes is found as a full pass finds it; a provider whose delays are far apart is not re-evaluated', async () => {
    const scripted = await plantProvider(h, 'Lembaga Skrip');
    const spread = await plantProvider(h, 'Lembaga Wajar');
    const course = await plantCourse(h, scripted);
    const other = await plantCourse(h, spread);
    const buy = async (providerId: string, courseId: string, at: Date, delaySeconds: number) =>
      plantEnrollment(h, {
        providerId,
        courseId,
        redeemedAt: at,
        issuedAt: new Date(at.getTime() - delaySeconds * 1000),
      });
    const t0 = later();
    for (let i = 0; i < 6; i++) await buy(scripted, course, minutes(t0, -100 + i * 7), 300 + i);
    await hourly(h, t0);
    expect(await signalOf(h, 'UNIFORM_REDEMPTION_DELAY', scripted)).toBeUndefined();

    const t1 = later();
    for (let i = 0; i < 6; i++) await buy(scripted, course, minutes(t1, -100 + i * 7), 302 + i);
    for (let i = 0; i < 6; i++) await buy(spread, other, minutes(t1, -100 + i * 7), 300 + i * 7_200);
    const pass = await hourly(h, t1);
    expect(pass.mode).toBe('INCREMENTAL');
    expect(pass.keys.uniform).toBe(1); // the spread provider changed too, but no spike can be near its delays
    expect(await signalOf(h, 'UNIFORM_REDEMPTION_DELAY', scripted)).toMatchObject({
      evidenceTotal: 12,
      firstSeenAt: t1,
    });
    await expectSameAsFullPass(h, t1);
  });

  it('SHARED_PHONE planted across two passes is found as a full pass finds it; a family phone is re-evaluated and stays quiet', async () => {
    const provider = await plantProvider(h, 'Lembaga Nomor');
    const course = await plantCourse(h, provider);
    const onPhone = (at: Date, phone: string, i: number) =>
      plantEnrollment(h, {
        providerId: provider,
        courseId: course,
        redeemedAt: minutes(at, -100 + i),
        phone,
      });
    const t0 = later();
    for (let i = 0; i < 3; i++) await onPhone(t0, '081311110001', i);
    await hourly(h, t0);
    const key = hashPhone(h.services.nikHashKey, '081311110001');
    expect(await signalOf(h, 'SHARED_PHONE', key)).toBeUndefined();

    const t1 = later();
    for (let i = 0; i < 2; i++) await onPhone(t1, '081311110001', i);
    for (let i = 0; i < 3; i++) await onPhone(t1, '081322220002', 10 + i);
    const pass = await hourly(h, t1);
    expect(pass.mode).toBe('INCREMENTAL');
    expect(pass.keys.phone).toBe(2);
    expect(await signalOf(h, 'SHARED_PHONE', key)).toMatchObject({ evidenceTotal: 5, firstSeenAt: t1 });
    await expectSameAsFullPass(h, t1);
  });

  it('other rules, or a pass over another window, make the next hourly pass a full one', async () => {
    await hourly(h, later());
    await h.db.update(schema.signalDetectionState).set({ rules: 'before-a-rule-change' });
    const quiet = await plantProvider(h, 'Lembaga Baru');
    expect((await hourly(h, later())).mode).toBe('FULL');
    // A full pass knows every provider's figures, 0 for one without rows: its first ones are
    // weighed against those bounds rather than making the next pass re-read its month.
    const bounds = await h.db
      .select()
      .from(schema.signalKeyBounds)
      .where(eq(schema.signalKeyBounds.key, quiet));
    expect(bounds.map((b) => [b.type, b.nLo, b.nHi, b.hitsHi]).sort()).toEqual([
      ['IDENTITY_CHECK_FAILURES', 0, 0, 0],
      ['LATE_REPORTING', 0, 0, 0],
    ]);
    expect((await hourly(h, later())).mode).toBe('INCREMENTAL');
    await h.caller('pmo').pmo.signals.detect({ since: new Date(clock - DAY).toISOString() });
    expect(await h.db.select().from(schema.signalDetectionState)).toEqual([]);
    expect((await hourly(h, later())).mode).toBe('FULL');
  });

  // Two connections at once: PGlite has one, so the test exists for PostgreSQL only.
  if (engine === 'postgres')
    it('a transaction that began before a pass and commits after it is read by the next pass', async () => {
      const providerId = await plantProvider(h, 'Lembaga Terlambat');
      const courseId = await plantCourse(h, providerId);
      const t0 = later();
      const people = [];
      for (let i = 0; i < 6; i++)
        people.push(await plantEnrollment(h, { providerId, courseId, redeemedAt: minutes(t0, -120) }));
      await hourly(h, t0);
      const url = (h as unknown as { database: TestDatabase }).database.url;
      const slow = new pg.Client({ connectionString: url });
      await slow.connect();
      try {
        await slow.query('begin');
        for (const [i, p] of people.entries())
          await slow.query(
            `insert into attendance (enrollment_id, sequence, status, method, device_id, recorded_at)
             values ($1, 1, 'CONFIRMED', 'FACE_MATCH', 'hp-terlambat', $2)`,
            [p.enrollmentId, minutes(t0, -30 + i)],
          );
        // The pass runs while that transaction is open: it cannot see its rows…
        const during = await hourly(h, later());
        expect(during.mode).toBe('INCREMENTAL');
        expect(await signalOf(h, 'SHARED_DEVICE', `${providerId}:hp-terlambat`)).toBeUndefined();
        await slow.query('commit');
      } finally {
        await slow.end();
      }
      // …and what that pass saw is its snapshot, where the open one is running: the next
      // pass reads the rows, though their transaction began before the pass before.
      const t2 = later();
      const after = await hourly(h, t2);
      expect(after.keys.device).toBeGreaterThanOrEqual(1);
      expect(await signalOf(h, 'SHARED_DEVICE', `${providerId}:hp-terlambat`)).toMatchObject({
        evidenceTotal: 6,
        firstSeenAt: t2,
      });
      await expectSameAsFullPass(h, t2);
    });

  it('the running schedule detects incrementally: after its first pass, a ring planted meanwhile is found by an incremental pass', async () => {
    await h.db.delete(schema.signalDetectionState);
    const providerId = await plantProvider(h, 'Lembaga Terjadwal');
    const courseId = await plantCourse(h, providerId);
    const start = later();
    const at = () => new Date(start.getTime() + (Date.now() - started));
    const started = Date.now();
    const clockOf: ProgramClock = { kind: 'system', now: () => at().getTime(), refresh: async () => {} };
    const s = createScheduler({
      tickMs: 20,
      pollMs: 50,
      db: h.db,
      clock: clockOf,
      jobs: SCHEDULE,
      deps: { db: h.db, payments: null } as never,
      log: { info: () => undefined, warn: () => undefined },
      only: ['signals.detect'],
      intervals: { 'signals.detect': 50 },
    });
    running.push(s);
    await s.start();
    const runs = async () => (await listJobRuns(h.db, ['signals.detect']))[0];
    await eventually(async () => ((await runs())?.runs ?? 0) >= 1, 'the first pass');
    await ring(h, { providerId, courseId, deviceId: 'hp-terjadwal', at: start, n: 6 });
    // A pass may run while the ring is being written: a later one finds all six.
    await eventually(
      async () => (await signalOf(h, 'SHARED_DEVICE', `${providerId}:hp-terjadwal`))?.evidenceTotal === 6,
      'the ring to be found',
    );
    await s.stop();
    const [state] = await h.db.select().from(schema.signalDetectionState);
    expect(state?.mode).toBe('INCREMENTAL');
    const last = await runs();
    expect(last?.lastSummary).toMatchObject({ incremental: 1 });
    expect(last?.failures).toBe(0);
    // What the schedule's last pass stored is what a full pass at its instant stores.
    if (!state) throw new Error('no pass recorded');
    clock = Math.max(clock, at().getTime());
    await expectSameAsFullPass(h, state.at);
  });
});

async function eventually(check: () => Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}
