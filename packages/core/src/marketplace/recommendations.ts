import { AppError, type TRecommendations, type TRecommendationsInput } from '@latih/contracts';
import { type CourseCodes, coursesSharingCodes, type Db, recommendationBasis } from '@latih/db';
import type { Actor } from '../auth/actor';

/*
 * What next after training: the method (docs/guides/recommendations.md), in full.
 *
 * From the courses the participant completed (on vouchers this platform sold) we take their KBJI
 * occupation codes, as unit groups (the first four digits: 7512.01 → 7512), and the SKKNI standards
 * of their competency units (a unit's code up to its second dot: M.702090.001.01 → M.702090).
 * A course on sale is recommended when
 *   - it teaches at least one competency unit that no completed course taught, and
 *   - it prepares for one of those unit groups (OCCUPATION), or teaches units of one of those
 *     standards (COMPETENCY_STANDARD), or both.
 * Score: each new unit in a standard already studied counts 1, each shared unit group 2. Ties go to
 * the better-rated course (mean stars, unrated last), then to the course id. Courses the participant
 * already holds a voucher for (through this platform) are not recommended.
 * Occupations: every KBJI code of a completed course (TRAINED_FOR), then the codes of the
 * recommended courses that no completed course has (NEXT_COURSE), each with the courses behind it.
 * The participant is the one a voucher of the platform's was sold to: no card number or other
 * personal data travels in the request.
 */

/** The unit group of a KBJI code: its first four digits. */
export const unitGroupOf = (occupation: string) => occupation.slice(0, 4);

/** The SKKNI standard of a competency unit: its code up to the second dot. */
export function standardOf(unit: string): string {
  const [sector, standard] = unit.split('.');
  return `${sector ?? ''}.${standard ?? ''}`;
}

type Reason = TRecommendations['courses'][number]['reasons'][number];

function rating(c: CourseCodes): number {
  return c.ratingCount === 0 ? -1 : c.ratingSum / c.ratingCount;
}

/** The method above over a participant's completed courses and the candidate courses: pure. */
export function recommend(
  completed: CourseCodes[],
  candidates: CourseCodes[],
  limit: number,
): Omit<TRecommendations, 'completed'> {
  const held = new Set(completed.flatMap((c) => c.competencyCodes));
  const byGroup = new Map<string, string[]>();
  const byStandard = new Map<string, string[]>();
  for (const c of completed) {
    for (const g of new Set(c.occupationCodes.map(unitGroupOf)))
      byGroup.set(g, [...(byGroup.get(g) ?? []), c.courseId]);
    for (const s of new Set(c.competencyCodes.map(standardOf)))
      byStandard.set(s, [...(byStandard.get(s) ?? []), c.courseId]);
  }
  const scored = candidates.flatMap((c) => {
    const newUnits = c.competencyCodes.filter((u) => !held.has(u));
    if (newUnits.length === 0) return [];
    const reasons: Reason[] = [];
    let score = 0;
    for (const g of [...new Set(c.occupationCodes.map(unitGroupOf))].sort()) {
      const from = byGroup.get(g);
      if (!from) continue;
      reasons.push({ kind: 'OCCUPATION', code: g, completedCourseIds: from, newCompetencyCodes: [] });
      score += 2;
    }
    for (const s of [...new Set(c.competencyCodes.map(standardOf))].sort()) {
      const from = byStandard.get(s);
      if (!from) continue;
      const inStandard = newUnits.filter((u) => standardOf(u) === s);
      reasons.push({
        kind: 'COMPETENCY_STANDARD',
        code: s,
        completedCourseIds: from,
        newCompetencyCodes: inStandard,
      });
      score += inStandard.length;
    }
    if (reasons.length === 0) return [];
    return [{ course: c, score, newUnits, reasons }];
  });
  scored.sort(
    (a, b) =>
      b.score - a.score ||
      rating(b.course) - rating(a.course) ||
      (a.course.courseId < b.course.courseId ? -1 : 1),
  );
  const top = scored.slice(0, limit);

  const occupations: TRecommendations['occupations'] = [];
  const trained = new Map<string, string[]>();
  for (const c of completed)
    for (const o of new Set(c.occupationCodes)) trained.set(o, [...(trained.get(o) ?? []), c.courseId]);
  for (const [code, courseIds] of [...trained].sort(
    (a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1),
  ))
    occupations.push({ code, kind: 'TRAINED_FOR', courseIds });
  const next = new Map<string, string[]>();
  for (const t of top)
    for (const o of new Set(t.course.occupationCodes))
      if (!trained.has(o)) next.set(o, [...(next.get(o) ?? []), t.course.courseId]);
  for (const [code, courseIds] of next) occupations.push({ code, kind: 'NEXT_COURSE', courseIds });

  return {
    courses: top.map((t) => ({
      courseId: t.course.courseId,
      title: t.course.title,
      score: t.score,
      newCompetencyCodes: t.newUnits,
      reasons: t.reasons,
    })),
    occupations,
  };
}

/**
 * `platform.recommendations.forParticipant`: next courses and occupations for the participant a
 * voucher of this platform's was sold to, drawn only from what they completed on vouchers this
 * platform sold. A voucher that is not this platform's answers NOT_FOUND, as an unknown one does.
 */
export async function recommendationsFor(opts: {
  db: Db;
  actor: Actor;
  input: TRecommendationsInput;
}): Promise<TRecommendations> {
  if (opts.actor.role !== 'platform' || !opts.actor.organisationId) throw new AppError('FORBIDDEN_ROLE');
  const basis = await recommendationBasis(opts.db, opts.input.voucherId, opts.actor.organisationId);
  if (!basis)
    throw new AppError('NOT_FOUND', { message: 'No voucher you sold has this id.', field: 'voucherId' });
  const candidates = await coursesSharingCodes(opts.db, {
    unitGroups: [...new Set(basis.completed.flatMap((c) => c.occupationCodes.map(unitGroupOf)))],
    standards: [...new Set(basis.completed.flatMap((c) => c.competencyCodes.map(standardOf)))],
    excludeCourseIds: basis.held,
  });
  return {
    completed: basis.completed.map((c) => ({ courseId: c.courseId, title: c.title })),
    ...recommend(basis.completed, candidates, opts.input.limit),
  };
}
