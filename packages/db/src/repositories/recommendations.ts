import { sql } from 'drizzle-orm';
import type { Db } from '../client';
import { execRows } from '../client';

/** A course with the codes recommendations are drawn from. */
export type CourseCodes = {
  courseId: string;
  title: string;
  competencyCodes: string[];
  occupationCodes: string[];
  ratingSum: number;
  ratingCount: number;
};

type CodesRow = {
  course_id: string;
  title: string;
  competency_codes: string[] | null;
  occupation_codes: string[] | null;
  rating_sum: number | string;
  rating_count: number | string;
};

const toCodes = (r: CodesRow): CourseCodes => ({
  courseId: r.course_id,
  title: r.title,
  competencyCodes: r.competency_codes ?? [],
  occupationCodes: r.occupation_codes ?? [],
  ratingSum: Number(r.rating_sum),
  ratingCount: Number(r.rating_count),
});

/**
 * What a platform may base recommendations on for the participant its voucher was sold to: the
 * courses they completed on vouchers this platform sold, and every course they hold a voucher for
 * through it (not to be recommended again). Null when the voucher is no voucher of this platform's:
 * a platform sees only its own records.
 */
export async function recommendationBasis(db: Db, voucherId: string, platformId: string) {
  const rows = await execRows<CodesRow & { completed: boolean }>(
    db,
    sql`select c.id as course_id, c.title, c.competency_codes, c.occupation_codes, c.rating_sum,
               c.rating_count, bool_or(e.status = 'COMPLETED') as completed
          from vouchers asked
          join vouchers v on v.participant_id = asked.participant_id and v.platform_id = ${platformId}
          join courses c on c.id = v.course_id
          left join enrollments e on e.voucher_id = v.id
         where asked.id = ${voucherId} and asked.platform_id = ${platformId}
         group by c.id
         order by c.id`,
  );
  if (rows.length === 0) return null;
  return {
    completed: rows.filter((r) => r.completed === true).map(toCodes),
    held: rows.map((r) => r.course_id),
  };
}

/**
 * Courses on sale (published, their provider active) that share a KBJI unit group (the first four
 * digits) with `unitGroups` or an SKKNI standard (the code up to its second dot) with `standards`.
 * Lists go as one comma-joined text each: ids and codes never contain a comma (their schemas).
 */
export async function coursesSharingCodes(
  db: Db,
  opts: { unitGroups: string[]; standards: string[]; excludeCourseIds: string[] },
): Promise<CourseCodes[]> {
  if (opts.unitGroups.length === 0 && opts.standards.length === 0) return [];
  const rows = await execRows<CodesRow>(
    db,
    sql`select c.id as course_id, c.title, c.competency_codes, c.occupation_codes, c.rating_sum,
               c.rating_count
          from courses c
          join organisations o on o.id = c.provider_id and o.status = 'ACTIVE'
         where c.status = 'PUBLISHED'
           and not (c.id = any(string_to_array(${opts.excludeCourseIds.join(',')}, ',')))
           and (
             exists (select 1 from unnest(c.occupation_codes) oc
                      where left(oc, 4) = any(string_to_array(${opts.unitGroups.join(',')}, ',')))
             or exists (select 1 from unnest(c.competency_codes) cc
                         where split_part(cc, '.', 1) || '.' || split_part(cc, '.', 2)
                               = any(string_to_array(${opts.standards.join(',')}, ','))))
         order by c.id`,
  );
  return rows.map(toCodes);
}
