import { advanceRuns } from '@latih/core';
import { schema } from '@latih/db';
import { asc, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { fullCourse, future, publishedCourse, sessions } from '../support/catalog-fixtures';
import { engines } from '../support/db';
import { codeOf, useHarness } from '../support/harness';

const code = (p: Promise<unknown>) =>
  p.then(
    () => 'OK',
    (e: unknown) => codeOf(e),
  );

describe.each(engines())('course and run lifecycle on %s', (engine) => {
  const h = useHarness(engine);

  const eventsOf = async (entityId: string) =>
    (
      await h.db
        .select()
        .from(schema.events)
        .where(eq(schema.events.entityId, entityId))
        .orderBy(asc(schema.events.seq))
    ).map((e) => e.type);
  const auditOf = async (entityId: string) =>
    (await h.db.select().from(schema.auditLog).where(eq(schema.auditLog.entityId, entityId))).map(
      (a) => `${a.action}:${a.fromState ?? '-'}>${a.toState ?? '-'}`,
    );

  it('DRAFT → IN_REVIEW → PUBLISHED, each step audited and evented; forbidden steps refused', async () => {
    const p = h.caller('providerA').provider;
    const pmo = h.caller('pmo').pmo.curation;
    const c = await p.courses.create({ ...fullCourse, title: 'Alur lengkap', learningOutcomes: [] });

    expect(await code(p.courses.submit({ id: c.id }))).toBe('COURSE_INCOMPLETE'); // no outcomes
    await p.courses.update({ id: c.id, learningOutcomes: ['Menggoreng keripik dengan aman'] });
    const noRuns = await p.courses.submit({ id: c.id }).catch((e: unknown) => e);
    expect(codeOf(noRuns)).toBe('COURSE_INCOMPLETE');
    expect((noRuns as { cause: { field: string } }).cause.field).toBe('runs');

    const run = await p.runs.create({ courseId: c.id, capacity: 10, sessions: sessions(4, 4) });
    expect(await code(pmo.approve({ id: c.id }))).toBe('INVALID_STATE'); // nothing in review
    expect(await code(p.runs.open({ id: run.id }))).toBe('INVALID_STATE'); // course not on sale

    const submitted = await p.courses.submit({ id: c.id });
    expect(submitted).toMatchObject({ status: 'IN_REVIEW', submittedAt: expect.any(String) });
    expect(await code(p.courses.submit({ id: c.id }))).toBe('INVALID_STATE');
    expect(await code(p.courses.update({ id: c.id, summary: 'Ringkasan baru yang cukup panjang' }))).toBe(
      'INVALID_STATE',
    );
    expect(await code(p.courses.withdraw({ id: c.id }))).toBe('INVALID_STATE');
    expect(await code(pmo.suspend({ id: c.id, reason: 'not yet published' }))).toBe('INVALID_STATE');

    const published = await pmo.approve({ id: c.id, note: 'Lengkap' });
    expect(published).toMatchObject({ status: 'PUBLISHED', publishedAt: expect.any(String) });
    expect(await code(pmo.approve({ id: c.id }))).toBe('INVALID_STATE');

    const opened = await p.runs.open({ id: run.id });
    expect(opened.status).toBe('OPEN');
    expect(await code(p.runs.open({ id: run.id }))).toBe('INVALID_STATE');

    expect(await eventsOf(c.id)).toEqual([
      'course.created',
      'course.updated',
      'course.submitted',
      'course.approved',
      'course.published',
    ]);
    expect(await auditOf(c.id)).toEqual(
      expect.arrayContaining(['course.submitted:DRAFT>IN_REVIEW', 'course.approved:IN_REVIEW>PUBLISHED']),
    );
    expect(await eventsOf(run.id)).toEqual(['run.created', 'run.opened']);
  });

  it('IN_REVIEW → REJECTED with reasons → DRAFT on edit → resubmitted', async () => {
    const p = h.caller('providerA').provider;
    const c = await p.courses.create({ ...fullCourse, title: 'Akan ditolak dulu' });
    await p.runs.create({ courseId: c.id, capacity: 10, sessions: sessions(4, 4) });
    await p.courses.submit({ id: c.id });
    // A code named twice is kept once.
    const rejected = await h.caller('pmo').pmo.curation.reject({
      id: c.id,
      reasons: ['OUTCOMES_MISSING', 'QUALITY', 'OUTCOMES_MISSING'],
      note: 'Capaian pembelajaran kurang spesifik',
    });
    expect(rejected).toMatchObject({
      status: 'REJECTED',
      rejection: { reasons: ['OUTCOMES_MISSING', 'QUALITY'], note: 'Capaian pembelajaran kurang spesifik' },
    });
    // The provider sees the reasons on its own read.
    expect((await p.courses.get({ id: c.id })).rejection?.reasons).toEqual(['OUTCOMES_MISSING', 'QUALITY']);
    expect(await code(p.courses.submit({ id: c.id }))).toBe('INVALID_STATE'); // edit first
    expect(
      await code(h.caller('pmo').pmo.curation.reject({ id: c.id, reasons: ['OTHER'], note: 'again please' })),
    ).toBe('INVALID_STATE');
    const edited = await p.courses.update({
      id: c.id,
      learningOutcomes: [...fullCourse.learningOutcomes, 'Menyusun rencana usaha'],
    });
    expect(edited).toMatchObject({ status: 'DRAFT', rejection: null, version: 2 });
    expect((await p.courses.submit({ id: c.id })).status).toBe('IN_REVIEW');
    expect(await eventsOf(c.id)).toContain('course.rejected');
  });

  it("withdrawing a course with a pending edit rejects the edit, dated by the program's clock", async () => {
    const { course } = await publishedCourse(h);
    const p = h.caller('providerA').provider;
    await p.courses.update({ id: course.id, price: course.price + 100_000 });
    const at = new Date(Date.now() + 3 * 86_400_000); // a sandbox clock moved three days on
    h.clock.set(at);
    try {
      // A caller of its own: its token is issued at that time.
      const later = h.caller('providerA').provider;
      expect((await later.courses.withdraw({ id: course.id })).status).toBe('WITHDRAWN');
    } finally {
      h.clock.reset();
    }
    const [revision] = await h.db
      .select()
      .from(schema.courseRevisions)
      .where(eq(schema.courseRevisions.courseId, course.id));
    expect(revision).toMatchObject({
      status: 'REJECTED',
      rejection: { reasons: ['OTHER'], note: 'Withdrawn by the provider', at: at.toISOString() },
    });
  });

  it('PUBLISHED ↔ SUSPENDED by the PMO with reasons; WITHDRAWN by the provider is final', async () => {
    const { course } = await publishedCourse(h);
    const pmo = h.caller('pmo').pmo.curation;
    const p = h.caller('providerA').provider;
    const suspended = await pmo.suspend({ id: course.id, reason: 'Laporan peserta tentang kelas fiktif' });
    expect(suspended).toMatchObject({
      status: 'SUSPENDED',
      suspension: { reason: 'Laporan peserta tentang kelas fiktif' },
    });
    expect(await code(pmo.suspend({ id: course.id, reason: 'twice over' }))).toBe('INVALID_STATE');
    expect(await code(p.courses.withdraw({ id: course.id }))).toBe('INVALID_STATE'); // no escaping a suspension
    await expect(h.caller('platformA').platform.catalog.get({ id: course.id })).rejects.toSatisfy(
      (e) => codeOf(e) === 'NOT_FOUND',
    );
    const back = await pmo.reinstate({ id: course.id, reason: 'Klarifikasi diterima' });
    expect(back).toMatchObject({ status: 'PUBLISHED', suspension: null });
    expect(await code(pmo.reinstate({ id: course.id, reason: 'already published' }))).toBe('INVALID_STATE');

    const withdrawn = await p.courses.withdraw({ id: course.id });
    expect(withdrawn.status).toBe('WITHDRAWN');
    expect(await code(p.courses.update({ id: course.id, price: 1_000_000 }))).toBe('INVALID_STATE');
    expect(await code(p.courses.submit({ id: course.id }))).toBe('INVALID_STATE');
    expect(await code(pmo.reinstate({ id: course.id, reason: 'cannot come back' }))).toBe('INVALID_STATE');
    expect(await eventsOf(course.id)).toEqual(
      expect.arrayContaining(['course.suspended', 'course.reinstated', 'course.withdrawn']),
    );
  });

  it('runs: FULL ↔ OPEN follows capacity and seats; the clock moves OPEN → RUNNING → FINISHED; cancel with a reason', async () => {
    const { run } = await publishedCourse(h);
    const p = h.caller('providerA').provider.runs;
    await p.open({ id: run.id });
    // Seats are sold by the marketplace; here they are set directly.
    await h.db.update(schema.runs).set({ seatsTaken: 8 }).where(eq(schema.runs.id, run.id));
    expect(await code(p.update({ id: run.id, capacity: 7 }))).toBe('CAPACITY_BELOW_SEATS_TAKEN');
    expect(await code(p.update({ id: run.id, sessions: sessions(4, 4, { startDay: 40 }) }))).toBe(
      'INVALID_STATE',
    );
    expect((await p.update({ id: run.id, capacity: 8 })).status).toBe('FULL');
    expect((await p.update({ id: run.id, capacity: 12 })).status).toBe('OPEN');
    expect(await eventsOf(run.id)).toEqual([
      'run.created',
      'run.opened',
      'run.updated',
      'run.full',
      'run.updated',
      'run.reopened',
    ]);

    expect(await advanceRuns({ db: h.db, now: future(29) })).toBe(0);
    expect(await advanceRuns({ db: h.db, now: future(30, 2) })).toBeGreaterThanOrEqual(1); // other tests' runs too
    expect((await p.get({ id: run.id })).status).toBe('RUNNING');
    expect(await code(p.update({ id: run.id, capacity: 30 }))).toBe('INVALID_STATE');
    expect(await advanceRuns({ db: h.db, now: future(34) })).toBeGreaterThanOrEqual(1);
    expect((await p.get({ id: run.id })).status).toBe('FINISHED');
    expect(await code(p.cancel({ id: run.id, reason: 'terlambat dibatalkan' }))).toBe('INVALID_STATE');
    expect(await eventsOf(run.id)).toEqual(expect.arrayContaining(['run.started', 'run.finished']));
  });

  it('cancelling a run records the reason and writes run.cancelled with the seats to refund', async () => {
    const { run } = await publishedCourse(h);
    const p = h.caller('providerA').provider.runs;
    await p.open({ id: run.id });
    await h.db.update(schema.runs).set({ seatsTaken: 3 }).where(eq(schema.runs.id, run.id));
    const cancelled = await p.cancel({ id: run.id, reason: 'Instruktur berhalangan' });
    expect(cancelled).toMatchObject({
      status: 'CANCELLED',
      cancellation: { reason: 'Instruktur berhalangan' },
    });
    const [event] = await h.db.select().from(schema.events).where(eq(schema.events.type, 'run.cancelled'));
    expect(event?.data).toMatchObject({ runId: run.id, reason: 'Instruktur berhalangan', seatsTaken: 3 });
    expect(await code(p.cancel({ id: run.id, reason: 'sekali lagi' }))).toBe('INVALID_STATE');
    expect(await code(p.update({ id: run.id, capacity: 40 }))).toBe('INVALID_STATE');
    // The PMO may cancel any provider's run.
    const other = await publishedCourse(h, 'providerB');
    await expect(
      h.caller('pmo').pmo.runs.cancel({ id: other.run.id, reason: 'Venue tidak layak' }),
    ).resolves.toMatchObject({
      status: 'CANCELLED',
    });
  });

  it('an edit of a published course is a revision: the published version stays on sale until approval swaps it in', async () => {
    const { course } = await publishedCourse(h);
    const p = h.caller('providerA').provider.courses;
    const platform = h.caller('platformA').platform.catalog;
    const pmo = h.caller('pmo').pmo.curation;

    const edited = await p.update({
      id: course.id,
      price: 1_750_000,
      summary: 'Versi baru dengan modul pemasaran daring',
    });
    expect(edited).toMatchObject({ status: 'PUBLISHED', price: 1_500_000, version: 1 });
    expect(edited.pendingRevision).toMatchObject({ status: 'DRAFT', content: { price: 1_750_000 } });
    expect(await platform.get({ id: course.id })).toMatchObject({ price: 1_500_000, version: 1 });

    await p.submit({ id: course.id });
    const queue = await pmo.queue({ providerId: h.orgs.providerA.organisationId });
    expect(queue.items.find((i) => i.courseId === course.id)).toMatchObject({ kind: 'REVISION' });
    expect(await code(p.update({ id: course.id, price: 1_800_000 }))).toBe('INVALID_STATE'); // edit in review

    const rejected = await pmo.reject({
      id: course.id,
      reasons: ['PRICE_UNREASONABLE'],
      note: 'Kenaikan harga tanpa alasan',
    });
    expect(rejected).toMatchObject({
      status: 'PUBLISHED',
      price: 1_500_000,
      pendingRevision: { status: 'REJECTED' },
    });
    expect(await platform.get({ id: course.id })).toMatchObject({ price: 1_500_000 });

    await p.update({ id: course.id, price: 1_600_000 }); // back to a draft revision
    await p.submit({ id: course.id });
    const review = await pmo.get({ id: course.id });
    expect(review.underReview).toBe('REVISION');
    expect(await platform.get({ id: course.id })).toMatchObject({ price: 1_500_000 });

    const approved = await pmo.approve({ id: course.id });
    expect(approved).toMatchObject({
      status: 'PUBLISHED',
      price: 1_600_000,
      summary: 'Versi baru dengan modul pemasaran daring',
      version: 2,
      pendingRevision: null,
    });
    expect(await platform.get({ id: course.id })).toMatchObject({ price: 1_600_000, version: 2 });
    expect(await eventsOf(course.id)).toEqual(
      expect.arrayContaining(['course.revision_submitted', 'course.revision_rejected', 'course.updated']),
    );
  });

  it('hours or mode cannot drift from a course’s active runs', async () => {
    const p = h.caller('providerA').provider;
    const c = await p.courses.create({ ...fullCourse, title: 'Jam tetap' });
    await p.runs.create({ courseId: c.id, capacity: 10, sessions: sessions(4, 4) });
    const err = await p.courses.update({ id: c.id, hours: 20 }).catch((e: unknown) => e);
    expect(codeOf(err)).toBe('INVALID_STATE');
    expect((err as { cause: { field: string } }).cause.field).toBe('hours');
  });

  it('tenant isolation: another provider gets NOT_FOUND for every course and run action', async () => {
    const { course, run } = await publishedCourse(h, 'providerA');
    const b = h.caller('providerB').provider;
    // Thunks: each call starts only when awaited (no rejection waits unobserved).
    for (const attempt of [
      () => b.courses.get({ id: course.id }),
      () => b.courses.update({ id: course.id, price: 1 }),
      () => b.courses.submit({ id: course.id }),
      () => b.courses.withdraw({ id: course.id }),
      () => b.runs.get({ id: run.id }),
      () => b.runs.update({ id: run.id, capacity: 99 }),
      () => b.runs.open({ id: run.id }),
      () => b.runs.cancel({ id: run.id, reason: 'sabotage attempt' }),
      () => b.runs.create({ courseId: course.id, capacity: 5, sessions: sessions(4, 4) }),
    ]) {
      expect(await code(attempt())).toBe('NOT_FOUND');
    }
    expect((await b.runs.list()).items.map((r) => r.id)).not.toContain(run.id);
    expect((await h.caller('providerA').provider.runs.get({ id: run.id })).status).toBe('SCHEDULED');
  });

  it('roles: platforms and providers cannot curate; platforms cannot schedule', async () => {
    const { course } = await publishedCourse(h);
    expect(
      await code(h.caller('providerA').pmo.curation.suspend({ id: course.id, reason: 'self-suspend' })),
    ).toBe('FORBIDDEN_ROLE');
    expect(await code(h.caller('platformA').pmo.curation.queue())).toBe('FORBIDDEN_ROLE');
    expect(
      await code(
        h
          .caller('platformA')
          .provider.runs.create({ courseId: course.id, capacity: 1, sessions: sessions(4, 4) }),
      ),
    ).toBe('FORBIDDEN_ROLE');
  });
});
