import { type Db, execRows } from '@latih/db';
import { sql } from 'drizzle-orm';

/** Each month-level rollup table with the day-level query it must equal (migration 0036). */
const LEVELS = [
  {
    monthly: 'report_monthly',
    cols: `month, course_id, provider_id, sold, redeemed, completed, not_completed, attendance_total,
      attendance_confirmed, identity_checks, identity_checks_failed, rating_sum, rating_count, refunds, refund_amount`,
    fromDays: `select date_trunc('month', day)::date, course_id, min(provider_id), sum(sold), sum(redeemed),
      sum(completed), sum(not_completed), sum(attendance_total), sum(attendance_confirmed), sum(identity_checks),
      sum(identity_checks_failed), sum(rating_sum), sum(rating_count), sum(refunds), sum(refund_amount)
      from report_daily group by 1, 2`,
  },
  {
    monthly: 'report_completion_monthly',
    cols: 'month, course_id, provider_id, days, n',
    fromDays: `select date_trunc('month', day)::date, course_id, min(provider_id), days, sum(n)
      from report_completion_days group by 1, 2, 4`,
  },
  {
    monthly: 'report_provider_completion_monthly',
    cols: 'month, provider_id, days, n',
    fromDays: `select date_trunc('month', day)::date, provider_id, days, sum(n)
      from report_completion_days group by 1, 2, 3`,
  },
  {
    monthly: 'statistics_monthly',
    cols: 'dimension, month, area, key, participants, completions, certificates, incentives_paid, incentives_amount',
    fromDays: `select dimension, date_trunc('month', day)::date, area, key, sum(participants), sum(completions),
      sum(certificates), sum(incentives_paid), sum(incentives_amount) from statistics_daily group by 1, 2, 3, 4`,
  },
];

/**
 * Rows in which each month-level rollup differs from the sum of its day rows, per table (both
 * directions of the difference), and how many month rows each holds.
 */
export async function monthLevelDrift(db: Db): Promise<Record<string, { drift: number; rows: number }>> {
  const out: Record<string, { drift: number; rows: number }> = {};
  for (const l of LEVELS) {
    const [r] = await execRows<{ drift: number | string; rows: number | string }>(
      db,
      sql.raw(`select (select count(*) from (
            (select ${l.cols} from ${l.monthly} except all ${l.fromDays})
            union all (${l.fromDays} except all select ${l.cols} from ${l.monthly})) d) as drift,
          (select count(*) from ${l.monthly}) as rows`),
    );
    out[l.monthly] = { drift: Number(r?.drift), rows: Number(r?.rows) };
  }
  return out;
}
