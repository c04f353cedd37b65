import { describe, expect, it } from 'vitest';
import { bandung, fullCourse, future, makassar, sessions } from '../support/catalog-fixtures';
import { engines } from '../support/db';
import { codeOf, useHarness } from '../support/harness';

/** The error code and field a call is refused with. */
async function refusal(p: Promise<unknown>) {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  return { code: codeOf(err), field: (err as { cause?: { field?: string } } | undefined)?.cause?.field };
}

describe.each(engines())('catalog rules on %s', (engine) => {
  const h = useHarness(engine);

  it('a course keeps every field of the model, under the current scheme by default', async () => {
    const course = await h.caller('providerA').provider.courses.create(fullCourse);
    expect(course).toMatchObject({
      ...fullCourse,
      schemeId: 'PRAKERJA_2023',
      status: 'DRAFT',
      version: 1,
      rejection: null,
      pendingRevision: null,
    });
  });

  it('refuses what the scheme does not allow, naming the field', async () => {
    const p = h.caller('providerA').provider.courses;
    expect(await refusal(p.create({ ...fullCourse, hours: 12 }))).toEqual({
      code: 'SCHEME_MIN_HOURS',
      field: 'hours',
    });
    expect(await refusal(p.create({ ...fullCourse, price: 3_500_001 }))).toEqual({
      code: 'SCHEME_PRICE_ABOVE_BALANCE',
      field: 'price',
    });
    expect(await refusal(p.create({ ...fullCourse, mode: 'SELF_PACED' }))).toEqual({
      code: 'SCHEME_MODE_NOT_ALLOWED',
      field: 'mode',
    });
    // The 2020–2022 scheme: Rp1.000.000 balance, self-paced and webinar only, no minimum hours.
    const old = { ...fullCourse, schemeId: 'PRAKERJA_2020' };
    expect(await refusal(p.create({ ...old, mode: 'SELF_PACED', price: 1_000_001 }))).toEqual({
      code: 'SCHEME_PRICE_ABOVE_BALANCE',
      field: 'price',
    });
    expect(await refusal(p.create({ ...old, price: 900_000 }))).toEqual({
      code: 'SCHEME_MODE_NOT_ALLOWED',
      field: 'mode',
    });
    await expect(p.create({ ...old, mode: 'SELF_PACED', hours: 2, price: 900_000 })).resolves.toMatchObject({
      schemeId: 'PRAKERJA_2020',
    });
    expect(await refusal(p.create({ ...fullCourse, schemeId: 'NO_SUCH' }))).toEqual({
      code: 'SCHEME_UNKNOWN',
      field: 'schemeId',
    });
  });

  it('refuses malformed fields with VALIDATION_FAILED and the field path', async () => {
    const p = h.caller('providerA').provider.courses;
    expect(await refusal(p.create({ ...fullCourse, category: 'cooking' as never }))).toEqual({
      code: 'VALIDATION_FAILED',
      field: 'category',
    });
    expect(await refusal(p.create({ ...fullCourse, competencyCodes: ['SKKNI-1'] }))).toEqual({
      code: 'VALIDATION_FAILED',
      field: 'competencyCodes.0',
    });
    expect(await refusal(p.create({ ...fullCourse, occupationCodes: ['12'] }))).toEqual({
      code: 'VALIDATION_FAILED',
      field: 'occupationCodes.0',
    });
    expect(
      await refusal(
        p.create({
          ...fullCourse,
          completionRule: { ...fullCourse.completionRule, minAttendancePercent: 101 },
        }),
      ),
    ).toEqual({ code: 'VALIDATION_FAILED', field: 'completionRule.minAttendancePercent' });
  });

  it('checks every session rule of a run', async () => {
    const provider = h.caller('providerA').provider;
    const luring = await provider.courses.create({ ...fullCourse, title: 'Kursus luring untuk aturan sesi' });
    const run = (s: ReturnType<typeof sessions>, courseId = luring.id) =>
      refusal(provider.runs.create({ courseId, capacity: 20, sessions: s }));
    const base = sessions(4, 4);

    const past = sessions(4, 4, { startDay: -10 });
    expect(await run(past)).toEqual({ code: 'SESSION_IN_PAST', field: 'sessions.0.startsAt' });
    const backwards = base.map((s, i) => (i === 1 ? { ...s, endsAt: s.startsAt } : s));
    expect(await run(backwards)).toEqual({ code: 'SESSION_TIMES_INVALID', field: 'sessions.1.endsAt' });
    const overlapping = base.map((s, i) =>
      i === 2 ? { ...s, startsAt: base[1]?.startsAt ?? '', endsAt: base[1]?.endsAt ?? '' } : s,
    );
    expect(await run(overlapping)).toEqual({ code: 'SESSIONS_OVERLAP', field: 'sessions.2.startsAt' });
    expect(await run(base.map((s) => ({ ...s, sequence: s.sequence + 1 })))).toEqual({
      code: 'SESSION_SEQUENCE_INVALID',
      field: 'sessions',
    });
    expect(await run(sessions(3, 4))).toEqual({ code: 'SESSION_HOURS_MISMATCH', field: 'sessions' });
    expect(await run(sessions(4, 4, { venue: null }))).toEqual({
      code: 'VENUE_REQUIRED',
      field: 'sessions.0.venue',
    });
    expect(await run(sessions(4, 4, { venue: { ...bandung, regencyCode: '32.99' } }))).toEqual({
      code: 'REGENCY_UNKNOWN',
      field: 'sessions.0.venue.regencyCode',
    });
    // Makassar keeps WITA (Asia/Makassar), not WIB.
    expect(await run(sessions(4, 4, { venue: makassar }))).toEqual({
      code: 'TIME_ZONE_MISMATCH',
      field: 'sessions.0.timeZone',
    });
    await expect(
      provider.runs.create({
        courseId: luring.id,
        capacity: 20,
        sessions: sessions(4, 4, { venue: makassar, timeZone: 'Asia/Makassar' }),
      }),
    ).resolves.toMatchObject({ status: 'SCHEDULED' });
    expect(await run(sessions(4, 4, { mode: 'ONLINE' }))).toEqual({
      code: 'SESSION_MODE_INVALID',
      field: 'sessions.0.mode',
    });
    expect(await refusal(provider.runs.create({ courseId: luring.id, capacity: 0, sessions: base }))).toEqual(
      {
        code: 'VALIDATION_FAILED',
        field: 'capacity',
      },
    );

    const webinar = await provider.courses.create({
      ...fullCourse,
      mode: 'WEBINAR',
      title: 'Webinar untuk aturan sesi',
    });
    const onlineWithVenue = sessions(4, 4, { mode: 'ONLINE' }).map((s) => ({ ...s, venue: bandung }));
    expect(await run(onlineWithVenue, webinar.id)).toEqual({
      code: 'SESSION_MODE_INVALID',
      field: 'sessions.0.venue',
    });

    const hybrid = await provider.courses.create({
      ...fullCourse,
      mode: 'HYBRID',
      title: 'Hybrid untuk aturan sesi',
    });
    const noMode = base.map(({ mode: _m, ...s }) => s);
    expect(await run(noMode, hybrid.id)).toEqual({ code: 'SESSION_MODE_INVALID', field: 'sessions.0.mode' });
    expect(await run(sessions(4, 4, { mode: 'ONLINE' }), hybrid.id)).toEqual({
      code: 'SESSION_MODE_INVALID',
      field: 'sessions',
    });
    const mixed = base.map((s, i) =>
      i < 2 ? s : { ...sessions(4, 4, { mode: 'ONLINE' })[i], sequence: s.sequence },
    );
    const hybridRun = await provider.runs.create({
      courseId: hybrid.id,
      capacity: 20,
      sessions: mixed as typeof base,
    });
    expect(hybridRun.sessions.map((s) => s.mode)).toEqual(['LURING', 'LURING', 'ONLINE', 'ONLINE']);

    const selfPaced = await provider.courses.create({
      ...fullCourse,
      schemeId: 'PRAKERJA_2020',
      mode: 'SELF_PACED',
      price: 500_000,
      title: 'Mandiri tanpa jadwal',
    });
    expect(await run(base, selfPaced.id)).toEqual({ code: 'RUNS_NOT_ALLOWED', field: 'courseId' });
  });

  it('a venue carries its official regency and province names; the session keeps its time zone', async () => {
    const provider = h.caller('providerB').provider;
    const c = await provider.courses.create({ ...fullCourse, title: 'Kelas Makassar' });
    const r = await provider.runs.create({
      courseId: c.id,
      capacity: 15,
      sessions: sessions(2, 8, { venue: makassar, timeZone: 'Asia/Makassar' }),
    });
    expect(r.sessions[0]).toMatchObject({
      timeZone: 'Asia/Makassar',
      venue: {
        regencyCode: '73.71',
        regencyName: 'KOTA MAKASSAR',
        provinceCode: '73',
        provinceName: 'SULAWESI SELATAN',
      },
    });
    expect(r.sessions[0]?.startsAt).toBe(future(30, 1).toISOString());
  });
});
