import { describe, expect, it } from 'vitest';
import { publishedCourse } from '../support/catalog-fixtures';
import { engines } from '../support/db';
import { codeOf, type Harness, useHarness } from '../support/harness';
import { plantEnrollment } from '../support/oversight-fixtures';

/*
 * platform.recommendations.forParticipant on planted histories (the method: core's
 * marketplace/recommendations.ts and docs/guides/recommendations.md). The codes are fictional SKKNI
 * standards (Q.99xxxx) and KBJI groups (98xx), so nothing else in the catalog shares them.
 */

const at = new Date('2026-06-01T03:00:00Z');

async function course(h: Harness, title: string, competencyCodes: string[], occupationCodes: string[]) {
  const { course } = await publishedCourse(h, 'providerA', { title, competencyCodes, occupationCodes });
  return course.id;
}

describe.each(engines())('recommendations on %s', (engine) => {
  const h = useHarness(engine);

  it('recommends what builds on a participant’s completed courses, explained, and their occupations', async () => {
    const provider = h.orgs.providerA.organisationId;
    const platformA = h.orgs.platformA.organisationId;
    const platformB = h.orgs.platformB.organisationId;
    // What the participant completed through platform A, and one course they are taking now.
    const basics = await course(
      h,
      'Pemasaran Digital Dasar',
      ['Q.990101.001.01', 'Q.990101.002.01'],
      ['9831'],
    );
    const chips = await course(h, 'Keripik Pisang', ['Q.990202.001.01'], ['9852.01']);
    const taking = await course(
      h,
      'Pemasaran Digital Lanjut (sedang diikuti)',
      ['Q.990101.009.01'],
      ['9831'],
    );
    // Through platform B: not platform A's to see, nor to draw from.
    const elsewhere = await course(h, 'Kursus di platform lain', ['Q.990303.001.01'], ['9873']);
    // The catalog.
    const advanced = await course(h, 'Iklan Berbayar', ['Q.990101.003.01', 'Q.990101.004.01'], ['9831.02']);
    const nothingNew = await course(h, 'Pengulangan', ['Q.990101.001.01'], ['9831']);
    const packaging = await course(h, 'Kemasan Produk', ['Q.990202.002.01'], ['9899']);
    const sameJob = await course(h, 'Pengolahan Pangan Lain', ['Q.990404.001.01'], ['9852']);
    const unrelated = await course(h, 'Tidak Terkait', ['Q.990505.001.01'], ['9811']);
    const fromElsewhere = await course(h, 'Lanjutan platform lain', ['Q.990303.002.01'], ['9873']);
    const withdrawn = await course(h, 'Ditarik', ['Q.990101.005.01'], ['9831']);
    await h.caller('providerA').provider.courses.withdraw({ id: withdrawn });

    const first = await plantEnrollment(h, {
      providerId: provider,
      courseId: basics,
      redeemedAt: at,
      completedAt: at,
      platformId: platformA,
    });
    const person = first.participantId;
    const vouchers: Record<string, string> = {};
    for (const [courseId, completed, platformId] of [
      [chips, true, platformA],
      [taking, false, platformA],
      [elsewhere, true, platformB],
    ] as const)
      vouchers[courseId] = (
        await plantEnrollment(h, {
          providerId: provider,
          courseId,
          redeemedAt: at,
          ...(completed ? { completedAt: at } : {}),
          platformId,
          participantId: person,
        })
      ).voucherId;
    // Any voucher platform A sold the participant names them; platform B names them by its own.
    const voucherA = vouchers[taking] ?? '';
    const voucherB = vouchers[elsewhere] ?? '';

    const answer = await h
      .caller('platformA')
      .platform.recommendations.forParticipant({ voucherId: voucherA });
    expect(answer.completed).toEqual(
      [
        { courseId: basics, title: 'Pemasaran Digital Dasar' },
        { courseId: chips, title: 'Keripik Pisang' },
      ].sort((x, y) => (x.courseId < y.courseId ? -1 : 1)),
    );
    // The same answer whichever of its vouchers platform A names the participant by.
    expect(
      await h.caller('platformA').platform.recommendations.forParticipant({ voucherId: first.voucherId }),
    ).toEqual(answer);
    expect(answer.courses).toEqual([
      {
        courseId: advanced,
        title: 'Iklan Berbayar',
        // 2 new units of a standard studied (Q.990101) + 2 for the shared unit group 9831.
        score: 4,
        newCompetencyCodes: ['Q.990101.003.01', 'Q.990101.004.01'],
        reasons: [
          { kind: 'OCCUPATION', code: '9831', completedCourseIds: [basics], newCompetencyCodes: [] },
          {
            kind: 'COMPETENCY_STANDARD',
            code: 'Q.990101',
            completedCourseIds: [basics],
            newCompetencyCodes: ['Q.990101.003.01', 'Q.990101.004.01'],
          },
        ],
      },
      {
        courseId: sameJob,
        title: 'Pengolahan Pangan Lain',
        score: 2,
        newCompetencyCodes: ['Q.990404.001.01'],
        reasons: [{ kind: 'OCCUPATION', code: '9852', completedCourseIds: [chips], newCompetencyCodes: [] }],
      },
      {
        courseId: packaging,
        title: 'Kemasan Produk',
        score: 1,
        newCompetencyCodes: ['Q.990202.002.01'],
        reasons: [
          {
            kind: 'COMPETENCY_STANDARD',
            code: 'Q.990202',
            completedCourseIds: [chips],
            newCompetencyCodes: ['Q.990202.002.01'],
          },
        ],
      },
    ]);
    const shown = answer.courses.map((c) => c.courseId);
    for (const id of [nothingNew, unrelated, fromElsewhere, withdrawn, taking, basics, chips])
      expect(shown).not.toContain(id);
    expect(answer.occupations).toEqual([
      { code: '9831', kind: 'TRAINED_FOR', courseIds: [basics] },
      { code: '9852.01', kind: 'TRAINED_FOR', courseIds: [chips] },
      { code: '9831.02', kind: 'NEXT_COURSE', courseIds: [advanced] },
      { code: '9852', kind: 'NEXT_COURSE', courseIds: [sameJob] },
      { code: '9899', kind: 'NEXT_COURSE', courseIds: [packaging] },
    ]);

    // The limit keeps the best.
    const one = await h
      .caller('platformA')
      .platform.recommendations.forParticipant({ voucherId: voucherA, limit: 1 });
    expect(one.courses.map((c) => c.courseId)).toEqual([advanced]);

    // Platform B draws only from what was bought through it.
    const b = await h.caller('platformB').platform.recommendations.forParticipant({ voucherId: voucherB });
    expect(b.completed).toEqual([{ courseId: elsewhere, title: 'Kursus di platform lain' }]);
    expect(b.courses.map((c) => c.courseId)).toEqual([fromElsewhere]);
    expect(b.occupations).toEqual([{ code: '9873', kind: 'TRAINED_FOR', courseIds: [elsewhere] }]);
  });

  it('answers NOT_FOUND for a voucher the platform did not sell, and only to platforms', async () => {
    const provider = h.orgs.providerA.organisationId;
    const courseId = await course(h, 'Hanya di platform B', ['Q.990606.001.01'], ['9861']);
    const planted = await plantEnrollment(h, {
      providerId: provider,
      courseId,
      redeemedAt: at,
      completedAt: at,
      platformId: h.orgs.platformB.organisationId,
    });
    const refused = (p: Promise<unknown>) =>
      p.then(
        () => null,
        (e: unknown) => codeOf(e),
      );
    const recommendations = (who: 'platformA' | 'platformB' | 'providerA', voucherId: string) =>
      h.caller(who).platform.recommendations.forParticipant({ voucherId });
    // Platform B's voucher, asked by platform A: as unknown as a voucher that does not exist.
    expect(await refused(recommendations('platformA', planted.voucherId))).toBe('NOT_FOUND');
    expect(await refused(recommendations('platformA', 'vch_01jw0000000000000000000000'))).toBe('NOT_FOUND');
    expect(await refused(recommendations('platformA', 'not-a-voucher'))).toBe('VALIDATION_FAILED');
    expect(await refused(recommendations('providerA', planted.voucherId))).toBe('FORBIDDEN_ROLE');
    // Nothing on sale builds on it: the basis, and nothing recommended.
    const b = await recommendations('platformB', planted.voucherId);
    expect(b.completed.map((c) => c.courseId)).toEqual([courseId]);
    expect(b.courses).toEqual([]);
  });
});
