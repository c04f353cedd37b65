import { sql } from 'drizzle-orm';
import { type Db, execRows } from '../client';
import { onlyOne } from './control';

/**
 * One registered mobile number behind many participants (SHARED_PHONE): the numbers of
 * participants redeeming a voucher since `since` (of those, only `only`: the keyed hashes an
 * incremental pass re-evaluates), with every participant registered under each. A group
 * counts when it has at least `threshold` participants. `enrollment_id` / `provider_id`: the
 * group's latest enrollment (null: none trained yet). Evidence: one row per participant, the most
 * recently active first, with its latest enrollment.
 */
export async function detectSharedPhones(db: Db, since: Date, threshold: number, only?: string[]) {
  const S = sql`${since.toISOString()}::timestamptz`;
  const rows = await execRows<{
    hash: string;
    n: number | string;
    enrollments: number | string;
    phone_last4: string | null;
    enrollment_id: string | null;
    provider_id: string | null;
    evidence: Record<string, unknown>[];
  }>(
    db,
    sql`with touched as (
          select distinct p.phone_hash from participants p
          where p.phone_hash is not null and ${onlyOne(sql`p.phone_hash`, only)}
            and exists (select 1 from enrollments e where e.participant_id = p.id and e.redeemed_at >= ${S})
        ), g as (
          select p.id as participant_id, p.phone_hash, p.phone_last4, p.nik_last4, p.created_at,
            le.id as enrollment_id, le.provider_id, le.course_id, le.redeemed_at, le.n as enrollments
          from participants p
          join touched t on t.phone_hash = p.phone_hash
          left join lateral (
            select e.id, e.provider_id, e.course_id, e.redeemed_at, count(*) over () as n from enrollments e
            where e.participant_id = p.id order by e.redeemed_at desc, e.id desc limit 1
          ) le on true
        )
        select phone_hash as hash, count(*) as n, coalesce(sum(enrollments), 0) as enrollments,
          min(phone_last4) as phone_last4,
          (array_agg(enrollment_id order by redeemed_at desc nulls last, enrollment_id desc))[1] as enrollment_id,
          (array_agg(provider_id order by redeemed_at desc nulls last, enrollment_id desc))[1] as provider_id,
          jsonb_agg(jsonb_build_object('participantId', participant_id, 'nikLast4', nik_last4,
            'phoneLast4', phone_last4, 'registeredAt', created_at, 'enrollmentId', enrollment_id,
            'providerId', provider_id, 'courseId', course_id, 'redeemedAt', redeemed_at)
            order by redeemed_at desc nulls last, participant_id) as evidence
        from g
        group by phone_hash
        having count(*) >= ${threshold}`,
  );
  return rows.map((r) => ({ ...r, n: Number(r.n), enrollments: Number(r.enrollments) }));
}
