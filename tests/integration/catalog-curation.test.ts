import type { TCreateCourseInput } from '@latih/contracts';
import { schema } from '@latih/db';
import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { bandung, fullCourse, publishedCourse, sessions } from '../support/catalog-fixtures';
import { engines } from '../support/db';
import { codeOf, useHarness } from '../support/harness';

describe.each(engines())('curation and the platform catalog on %s', (engine) => {
  const h = useHarness(engine);

  it('the queue lists courses in review oldest first, filtered by provider, mode, category and age', async () => {
    const a = h.caller('providerA').provider;
    const b = h.caller('providerB').provider;
    const submit = async (p: typeof a, over: Partial<TCreateCourseInput>) => {
      const c = await p.courses.create({ ...fullCourse, ...over });
      if (c.mode !== 'SELF_PACED')
        await p.runs.create({
          courseId: c.id,
          capacity: 10,
          sessions: sessions(4, 4, { mode: c.mode === 'WEBINAR' ? 'ONLINE' : 'LURING' }),
        });
      return p.courses.submit({ id: c.id });
    };
    const first = await submit(a, { title: 'Antrian satu' });
    const second = await submit(b, { title: 'Antrian dua', mode: 'WEBINAR', category: 'digital-marketing' });
    // Make the first one wait three days.
    await h.db
      .update(schema.courses)
      .set({ submittedAt: sql`now() - interval '72 hours'` })
      .where(eq(schema.courses.id, first.id));

    const pmo = h.caller('pmo').pmo.curation;
    const all = await pmo.queue();
    const ids = all.items.map((i) => i.courseId);
    expect(ids.indexOf(first.id)).toBeLessThan(ids.indexOf(second.id));
    expect(all.items.find((i) => i.courseId === first.id)).toMatchObject({
      kind: 'NEW_COURSE',
      providerName: 'Provider A',
      waitingHours: expect.any(Number),
    });
    expect(all.items.find((i) => i.courseId === first.id)?.waitingHours).toBeGreaterThanOrEqual(71.9);

    expect(
      (await pmo.queue({ providerId: h.orgs.providerB.organisationId })).items.map((i) => i.courseId),
    ).toEqual([second.id]);
    expect((await pmo.queue({ mode: 'WEBINAR' })).items.map((i) => i.courseId)).toEqual([second.id]);
    expect((await pmo.queue({ category: 'digital-marketing' })).items.map((i) => i.courseId)).toEqual([
      second.id,
    ]);
    expect((await pmo.queue({ minAgeHours: 48 })).items.map((i) => i.courseId)).toEqual([first.id]);

    const page1 = await pmo.queue({ limit: 1 });
    const page2 = await pmo.queue({ limit: 1, cursor: page1.nextCursor ?? undefined });
    expect([...page1.items, ...page2.items].map((i) => i.courseId)).toEqual([first.id, second.id]);
  });

  it('shows an indicator checklist beside the course, computed on the content under review', async () => {
    const p = h.caller('providerA').provider;
    const weak = await p.courses.create({
      ...fullCourse,
      title: 'Checklist lemah',
      learningOutcomes: ['Hanya satu capaian'],
      competencyCodes: [],
      occupationCodes: [],
      certificateTemplate: null,
    });
    await p.runs.create({
      courseId: weak.id,
      capacity: 10,
      sessions: sessions(4, 4, { venue: { ...bandung, accessibility: '' } }),
    });
    // A look-alike of an existing course (same title, mode and hours).
    await p.courses.create({ ...fullCourse, title: 'checklist LEMAH', externalId: 'twin' });
    await p.courses.submit({ id: weak.id });
    const review = await h.caller('pmo').pmo.curation.get({ id: weak.id });
    const ind = Object.fromEntries(review.indicators.map((i) => [i.code, i.ok]));
    expect(review.underReview).toBe('COURSE');
    expect(review.runs).toHaveLength(1);
    expect(ind).toMatchObject({
      SCHEME_HOURS: true,
      SCHEME_PRICE: true,
      SCHEME_MODE: true,
      OUTCOMES_PRESENT: false,
      COMPETENCIES_PRESENT: false,
      CERTIFICATE_TEMPLATE_SET: false,
      RUNS_SCHEDULED: true,
      SESSION_HOURS_MATCH: true,
      VENUES_COMPLETE: false,
      PRICE_PER_HOUR_REASONABLE: true,
      NO_DUPLICATE: false,
    });
    expect(review.indicators.find((i) => i.code === 'NO_DUPLICATE')?.detail).toMatch(/crs_/);
    // The provider sees the same checklist for its own course, computed the same way; another
    // provider does not see the course at all.
    const own = await p.courses.indicators({ id: weak.id });
    expect(own).toEqual({ content: 'COURSE', indicators: review.indicators });
    await expect(h.caller('providerB').provider.courses.indicators({ id: weak.id })).rejects.toSatisfy(
      (e) => codeOf(e) === 'NOT_FOUND',
    );

    const good = await publishedCourse(h, 'providerB');
    const goodReview = await h.caller('pmo').pmo.curation.get({ id: good.course.id });
    expect(goodReview.underReview).toBe('NONE');
    expect(goodReview.indicators.every((i) => i.ok)).toBe(true);

    // 2 hours for Rp1.000.000 in the 2020 scheme: allowed, but Rp500.000 an hour is flagged.
    const pricey = await p.courses.create({
      ...fullCourse,
      schemeId: 'PRAKERJA_2020',
      mode: 'WEBINAR',
      hours: 2,
      price: 1_000_000,
      title: 'Mahal per jam',
    });
    const r = await h.caller('pmo').pmo.curation.get({ id: pricey.id });
    expect(r.indicators.find((i) => i.code === 'PRICE_PER_HOUR_REASONABLE')).toMatchObject({ ok: false });
    expect(r.indicators.find((i) => i.code === 'RUNS_SCHEDULED')).toMatchObject({ ok: false });
    // A draft not yet submitted: the provider reads what the reviewer would see before it asks.
    expect((await p.courses.indicators({ id: pricey.id })).indicators).toEqual(r.indicators);
  });

  it('the platform catalog shows published courses with their runs on sale, seat availability and no meeting links', async () => {
    const { course, run } = await publishedCourse(h, 'providerA', { title: 'Katalog luring Bandung' });
    const platform = h.caller('platformA').platform.catalog;
    // Published but no run open yet: listed, with no runs.
    expect((await platform.get({ id: course.id })).runs).toEqual([]);
    await h.caller('providerA').provider.runs.open({ id: run.id });
    const shown = await platform.get({ id: course.id });
    expect(shown).toMatchObject({
      id: course.id,
      provider: { id: h.orgs.providerA.organisationId, name: 'Provider A' },
      mode: 'LURING',
      hours: 16,
      timeRequired: 'PT16H',
      price: 1_500_000,
      currency: 'IDR',
      rating: { average: null, count: 0 },
    });
    expect(shown.runs[0]).toMatchObject({
      id: run.id,
      status: 'OPEN',
      capacity: 20,
      seatsAvailable: 20,
      availability: 'AVAILABLE',
      regencyCodes: ['32.73'],
    });
    expect(shown.runs[0]?.sessions[0]?.venue).toMatchObject({
      regencyName: 'KOTA BANDUNG',
      provinceName: 'JAWA BARAT',
    });

    for (const [taken, availability] of [
      [16, 'LIMITED'],
      [20, 'FULL'],
    ] as const) {
      await h.db
        .update(schema.runs)
        .set({ seatsTaken: taken, status: taken === 20 ? 'FULL' : 'OPEN' })
        .where(eq(schema.runs.id, run.id));
      expect((await platform.get({ id: course.id })).runs[0]).toMatchObject({
        availability,
        seatsAvailable: 20 - taken,
      });
    }

    // Webinar meeting links never reach the catalog, in any field.
    const w = h.caller('providerB').provider;
    const webinar = await w.courses.create({
      ...fullCourse,
      mode: 'WEBINAR',
      title: 'Webinar dengan tautan rahasia',
    });
    const wr = await w.runs.create({
      courseId: webinar.id,
      capacity: 50,
      sessions: sessions(4, 4, { mode: 'ONLINE' }),
    });
    expect(wr.sessions[0]?.meetingUrl).toBe('https://meet.example.id/kelas-123'); // the provider sees it
    await w.courses.submit({ id: webinar.id });
    await h.caller('pmo').pmo.curation.approve({ id: webinar.id });
    await w.runs.open({ id: wr.id });
    const list = await platform.list({ limit: 100 });
    expect(JSON.stringify(list)).not.toContain('meet.example.id');
    expect(list.items.map((c) => c.id)).toEqual(expect.arrayContaining([course.id, webinar.id]));

    expect((await platform.list({ provinceCode: '32', limit: 100 })).items.map((c) => c.id)).toContain(
      course.id,
    );
    expect((await platform.list({ provinceCode: '73', limit: 100 })).items.map((c) => c.id)).not.toContain(
      course.id,
    );
    expect(
      (await platform.list({ mode: 'WEBINAR', limit: 100 })).items.every((c) => c.mode === 'WEBINAR'),
    ).toBe(true);
  });

  it('a cancelled or merely scheduled run is not on sale', async () => {
    const { course, run } = await publishedCourse(h, 'providerB', { title: 'Run dibatalkan' });
    const platform = h.caller('platformA').platform.catalog;
    await h.caller('providerB').provider.runs.open({ id: run.id });
    await h.caller('providerB').provider.runs.cancel({ id: run.id, reason: 'Peserta terlalu sedikit' });
    expect((await platform.get({ id: course.id })).runs).toEqual([]);
    await expect(platform.get({ id: 'crs_01jw0000000000000000000000' })).rejects.toSatisfy(
      (e) => codeOf(e) === 'NOT_FOUND',
    );
  });
});
