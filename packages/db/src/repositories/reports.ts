import type {
  TCourseReportInput,
  TPlatformReportInput,
  TProviderReportInput,
  TStatisticDimension,
  TStatisticsInput,
} from '@latih/contracts';
import { type SQL, sql } from 'drizzle-orm';
import { type Db, execRows } from '../client';

/*
 * Reports read daily rollups (report_daily, report_completion_days, platform_daily), keyed by the
 * WIB day something happened. Rebuilding a range of days is one transaction that replaces those
 * days from the source tables, so a report never sees half a day.
 */

const TZ = sql.raw(`'Asia/Jakarta'`);
const dayOf = (col: string) => sql.raw(`(${col} at time zone 'Asia/Jakarta')::date`);

/** [start, end) instants of WIB days `fromDay` to `toDay` inclusive. */
function bounds(fromDay: string, toDay: string) {
  return {
    start: sql`(${fromDay}::date::timestamp at time zone ${TZ})`,
    end: sql`((${toDay}::date + 1)::timestamp at time zone ${TZ})`,
  };
}

/**
 * Rebuilds the rollups of WIB days `fromDay` to `toDay`. `mark` names a second bookkeeping row for
 * the caller ('recent': the scheduled job's own, so that it knows where to catch up from).
 */
export async function rebuildRollups(
  db: Db,
  fromDay: string,
  toDay: string,
  now: Date,
  mark?: 'recent',
): Promise<void> {
  const { start, end } = bounds(fromDay, toDay);
  const inRange = (col: string) => sql`${sql.raw(col)} >= ${start} and ${sql.raw(col)} < ${end}`;
  await db.transaction(async (tx) => {
    // One rebuild at a time: two would delete and insert the same days.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('latih:report-rollups'))`);
    await tx.execute(sql`delete from report_daily where day between ${fromDay}::date and ${toDay}::date`);
    await tx.execute(
      sql`delete from report_completion_days where day between ${fromDay}::date and ${toDay}::date`,
    );
    await tx.execute(sql`delete from platform_daily where day between ${fromDay}::date and ${toDay}::date`);
    await tx.execute(sql`
      insert into report_daily (day, course_id, provider_id, sold, redeemed, completed, not_completed,
        attendance_total, attendance_confirmed, identity_checks, identity_checks_failed, rating_sum, rating_count,
        refunds, refund_amount)
      select day, course_id, min(provider_id), sum(sold), sum(redeemed), sum(completed), sum(not_completed),
        sum(att), sum(att_ok), sum(idc), sum(idc_failed), sum(rating_sum), sum(rating_count), sum(refunds), sum(refund_amount)
      from (
        select ${dayOf('v.issued_at')} as day, v.course_id, v.provider_id, count(*) as sold, 0 as redeemed,
          0 as completed, 0 as not_completed, 0 as att, 0 as att_ok, 0 as idc, 0 as idc_failed, 0 as rating_sum,
          0 as rating_count, 0 as refunds, 0::bigint as refund_amount
        from vouchers v where ${inRange('v.issued_at')} group by 1, 2, 3
        union all
        select ${dayOf('e.redeemed_at')}, e.course_id, e.provider_id, 0, count(*), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
        from enrollments e where ${inRange('e.redeemed_at')} group by 1, 2, 3
        union all
        select ${dayOf('e.completed_at')}, e.course_id, e.provider_id, 0, 0,
          count(*) filter (where e.status = 'COMPLETED'), count(*) filter (where e.status = 'NOT_COMPLETED'),
          0, 0, 0, 0, 0, 0, 0, 0
        from enrollments e where e.status in ('COMPLETED', 'NOT_COMPLETED') and ${inRange('e.completed_at')}
        group by 1, 2, 3
        union all
        select ${dayOf('a.recorded_at')}, e.course_id, e.provider_id, 0, 0, 0, 0,
          count(*), count(*) filter (where a.status = 'CONFIRMED'), 0, 0, 0, 0, 0, 0
        from attendance a join enrollments e on e.id = a.enrollment_id where ${inRange('a.recorded_at')}
        group by 1, 2, 3
        union all
        select ${dayOf('ic.used_at')}, e.course_id, e.provider_id, 0, 0, 0, 0, 0, 0,
          count(*), count(*) filter (where ic.result = 'FAILED'), 0, 0, 0, 0
        from identity_checks ic join enrollments e on e.id = ic.enrollment_id
        where ic.result is not null and ${inRange('ic.used_at')} group by 1, 2, 3
        union all
        select ${dayOf('r.created_at')}, r.course_id, r.provider_id, 0, 0, 0, 0, 0, 0, 0, 0,
          sum(r.rating), count(*), 0, 0
        from reviews r where ${inRange('r.created_at')} group by 1, 2, 3
        union all
        select ${dayOf('v.closed_at')}, v.course_id, v.provider_id, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
          count(*), sum(v.price)
        from vouchers v where v.status = 'CANCELLED' and ${inRange('v.closed_at')} group by 1, 2, 3
      ) x
      group by day, course_id`);
    await tx.execute(sql`
      insert into report_completion_days (day, course_id, provider_id, days, n)
      select ${dayOf('e.completed_at')}, e.course_id, min(e.provider_id),
        floor(extract(epoch from (e.completed_at - e.redeemed_at)) / 86400)::int, count(*)
      from enrollments e where e.status = 'COMPLETED' and ${inRange('e.completed_at')}
      group by 1, 2, 4`);
    await tx.execute(sql`
      insert into platform_daily (day, platform_id, sales, sales_amount, refunds, refund_amount, commission)
      select day, platform_id, sum(sales), sum(sales_amount), sum(refunds), sum(refund_amount), sum(commission)
      from (
        select ${dayOf('v.issued_at')} as day, v.platform_id, count(*) as sales, sum(v.price) as sales_amount,
          0 as refunds, 0::bigint as refund_amount, 0::bigint as commission
        from vouchers v where ${inRange('v.issued_at')} group by 1, 2
        union all
        select ${dayOf('v.closed_at')}, v.platform_id, 0, 0, count(*), sum(v.price), 0
        from vouchers v where v.status = 'CANCELLED' and ${inRange('v.closed_at')} group by 1, 2
        union all
        select ${dayOf('i.created_at')}, i.organisation_id, 0, 0, 0, 0, sum(i.amount)
        from settlement_items i where i.role = 'PLATFORM' and ${inRange('i.created_at')} group by 1, 2
      ) x
      group by day, platform_id`);
    await tx.execute(sql`
      insert into report_refreshes (id, from_day, to_day, refreshed_at)
      values ('last', ${fromDay}::date, ${toDay}::date, ${now.toISOString()}::timestamptz)
      on conflict (id) do update set from_day = excluded.from_day, to_day = excluded.to_day,
        refreshed_at = excluded.refreshed_at`);
    if (mark)
      await tx.execute(sql`
        insert into report_refreshes (id, from_day, to_day, refreshed_at)
        values (${mark}, ${fromDay}::date, ${toDay}::date, ${now.toISOString()}::timestamptz)
        on conflict (id) do update set from_day = excluded.from_day, to_day = excluded.to_day,
          refreshed_at = excluded.refreshed_at`);
  });
}

/** When the scheduled job last rebuilt the recent days (null: never, on this database). */
export async function lastRecentRollup(db: Db): Promise<Date | null> {
  const [row] = await execRows<{ refreshed_at: Date | string }>(
    db,
    sql`select refreshed_at from report_refreshes where id = 'recent'`,
  );
  return row ? new Date(row.refreshed_at) : null;
}

export async function lastRollupRefresh(db: Db): Promise<Date | null> {
  const [row] = await execRows<{ refreshed_at: Date | string }>(
    db,
    sql`select refreshed_at from report_refreshes where id = 'last'`,
  );
  return row ? new Date(row.refreshed_at) : null;
}

/** The earliest and latest days anything happened, to rebuild everything. */
export async function activitySpan(db: Db): Promise<{ from: string; to: string } | null> {
  const [row] = await execRows<{ from: string | null; to: string | null }>(
    db,
    sql`select to_char(min(${dayOf('issued_at')}), 'YYYY-MM-DD') as "from",
          to_char(greatest(max(${dayOf('issued_at')}), (now() at time zone 'Asia/Jakarta')::date), 'YYYY-MM-DD') as "to"
        from vouchers`,
  );
  return row?.from && row.to ? { from: row.from, to: row.to } : null;
}

type ScorecardRecord = {
  key_id: string;
  provider_id: string;
  provider_name: string;
  course_id: string | null;
  course_title: string | null;
  sold: number | string;
  redeemed: number | string;
  completed: number | string;
  not_completed: number | string;
  median_days: number | string | null;
  att_total: number | string;
  att_ok: number | string;
  idc: number | string;
  idc_failed: number | string;
  rating_sum: number | string;
  rating_count: number | string;
  refunds: number | string;
  refund_amount: number | string;
  open_cases: number | string;
  total: number | string;
};

const SORT_SQL: Record<string, string> = {
  vouchersSold: 'sold',
  vouchersRedeemed: 'redeemed',
  completed: 'completed',
  completionRate: 'completed::float / nullif(completed + not_completed, 0)',
  medianDaysToComplete: 'median_days',
  attendanceConfirmationRate: 'att_ok::float / nullif(att_total, 0)',
  identityCheckFailureRate: 'idc_failed::float / nullif(idc, 0)',
  ratingAverage: 'rating_sum::float / nullif(rating_count, 0)',
  refunds: 'refunds',
  openCases: 'open_cases',
  name: 'lower(name_sort)',
};

/** Scorecards per provider or per course for WIB days [fromDay, toDay), sorted, filtered, paged by offset. */
export async function scorecards(
  db: Db,
  level: 'provider' | 'course',
  input: (TProviderReportInput | TCourseReportInput) & { fromDay: string; toDay: string; offset: number },
) {
  const key = sql.raw(level === 'provider' ? 'd.provider_id' : 'd.course_id');
  const where: SQL[] = [sql`d.day >= ${input.fromDay}::date and d.day < ${input.toDay}::date`];
  if (input.providerId) where.push(sql`d.provider_id = ${input.providerId}`);
  const course = level === 'course' ? (input as TCourseReportInput) : undefined;
  if (course?.courseId) where.push(sql`d.course_id = ${course.courseId}`);
  const needsCourse = Boolean(course?.mode || course?.category);
  if (course?.mode) where.push(sql`c.mode = ${course.mode}`);
  if (course?.category) where.push(sql`c.category = ${course.category}`);
  const courseJoin = needsCourse ? sql`join courses c on c.id = d.course_id` : sql``;
  const cond = sql.join(where, sql` and `);
  const outer: SQL[] = [sql`true`];
  if ('status' in input && input.status) outer.push(sql`o.status = ${input.status}`);
  if (input.minVouchersSold !== undefined) outer.push(sql`a.sold >= ${input.minVouchersSold}`);
  const sortExpr = sql.raw(SORT_SQL[input.sort] ?? 'sold');
  const order = sql.raw(input.order === 'asc' ? 'asc nulls last' : 'desc nulls last');
  const rows = await execRows<ScorecardRecord>(
    db,
    sql`with a as (
          select ${key} as key_id, min(d.provider_id) as provider_id, sum(d.sold) as sold,
            sum(d.redeemed) as redeemed, sum(d.completed) as completed, sum(d.not_completed) as not_completed,
            sum(d.attendance_total) as att_total, sum(d.attendance_confirmed) as att_ok,
            sum(d.identity_checks) as idc, sum(d.identity_checks_failed) as idc_failed,
            sum(d.rating_sum) as rating_sum, sum(d.rating_count) as rating_count,
            sum(d.refunds) as refunds, sum(d.refund_amount) as refund_amount
          from report_daily d ${courseJoin} where ${cond} group by 1
        ), h as (
          select ${key} as key_id, d.days, sum(d.n) as n
          from report_completion_days d ${courseJoin} where ${cond} group by 1, 2
        ), m as (
          select key_id, min(days) filter (where cum * 2 >= total) as median_days
          from (select key_id, days, sum(n) over (partition by key_id order by days) as cum,
                  sum(n) over (partition by key_id) as total from h) x
          group by key_id
        ), oc as (
          select ${sql.raw(level === 'provider' ? 'provider_id' : "case when subject_type = 'COURSE' then subject_id end")} as key_id,
            count(*) as open_cases
          from control_cases where status <> 'DECIDED' group by 1
        ), r as (
          select a.*, m.median_days, coalesce(oc.open_cases, 0) as open_cases, o.name as provider_name,
            ${level === 'course' ? sql`cc.id as course_id, cc.title as course_title, cc.title as name_sort` : sql`null as course_id, null as course_title, o.name as name_sort`}
          from a join organisations o on o.id = a.provider_id
          ${level === 'course' ? sql`join courses cc on cc.id = a.key_id` : sql``}
          left join m on m.key_id = a.key_id left join oc on oc.key_id = a.key_id
          where ${sql.join(outer, sql` and `)}
        )
        select r.*, count(*) over () as total from r
        order by ${sortExpr} ${order}, key_id
        limit ${input.limit} offset ${input.offset}`,
  );
  return rows;
}

export async function platformReport(
  db: Db,
  input: TPlatformReportInput & { fromDay: string; toDay: string; offset: number },
) {
  const sorts: Record<string, string> = {
    sales: 'sales',
    salesAmount: 'sales_amount',
    refunds: 'refunds',
    refundAmount: 'refund_amount',
    commission: 'commission',
    name: 'lower(name)',
  };
  const order = sql.raw(input.order === 'asc' ? 'asc nulls last' : 'desc nulls last');
  return execRows<{
    platform_id: string;
    name: string;
    sales: number | string;
    sales_amount: number | string;
    refunds: number | string;
    refund_amount: number | string;
    commission: number | string;
    total: number | string;
  }>(
    db,
    sql`with a as (
          select platform_id, sum(sales) as sales, sum(sales_amount) as sales_amount, sum(refunds) as refunds,
            sum(refund_amount) as refund_amount, sum(commission) as commission
          from platform_daily
          where day >= ${input.fromDay}::date and day < ${input.toDay}::date
            ${input.platformId ? sql`and platform_id = ${input.platformId}` : sql``}
          group by platform_id
        )
        select a.*, o.name, count(*) over () as total from a join organisations o on o.id = a.platform_id
        order by ${sql.raw(sorts[input.sort] ?? 'sales_amount')} ${order}, a.platform_id
        limit ${input.limit} offset ${input.offset}`,
  );
}

/* Statistics: straight from the source tables, grouped by one dimension. */

const DIMENSION_SQL: Record<TStatisticDimension, string> = {
  province: 'left(p.regency_code, 2)',
  regency: 'p.regency_code',
  gender: 'p.gender',
  ageBand: `case when age < 25 then '18-24' when age < 35 then '25-34' when age < 45 then '35-44'
    when age < 55 then '45-54' else '55+' end`,
  cohort: 'p.cohort::text',
  mode: 'c.mode',
  category: 'c.category',
  month: `to_char(at at time zone 'Asia/Jakarta', 'YYYY-MM')`,
};

export type StatisticsRecord = {
  key: string;
  participants: number | string;
  completions: number | string;
  certificates: number | string;
  incentives_paid: number | string;
  incentives_amount: number | string;
};

/**
 * Per key of the dimension: participants (by their own attributes; for mode, category and month,
 * those who started a course of it, or in it), completions, valid certificates and incentives
 * paid (participants and rupiah) in the period.
 */
export async function statistics(db: Db, input: TStatisticsInput): Promise<StatisticsRecord[]> {
  const dim = input.dimension;
  const key = sql.raw(DIMENSION_SQL[dim]);
  const byCourse = dim === 'mode' || dim === 'category';
  const from = input.from ? sql`${input.from}::timestamptz` : sql`'-infinity'::timestamptz`;
  const to = input.to ? sql`${input.to}::timestamptz` : sql`'infinity'::timestamptz`;
  const province = input.provinceCode ? sql`and p.regency_code like ${`${input.provinceCode}.%`}` : sql``;
  const age = sql.raw(`extract(year from age(now(), p.birth_date::timestamp))`);
  // Each measure: the participant, the instant that dates it, and (for course dimensions) the course.
  // Participants by their own attributes are counted once each; through enrollments (course
  // dimensions), distinct.
  const participantsSrc = byCourse
    ? sql`select e.participant_id as pid, e.redeemed_at as at, e.course_id from enrollments e`
    : sql`select p0.id as pid, p0.created_at as at, null::text as course_id from participants p0`;
  const ageJoin = dim === 'ageBand' ? sql`cross join lateral (select ${age} as age) ag` : sql``;
  const measure = (name: string, src: SQL, extra: SQL = sql`count(distinct x.pid)`) => sql`
    select ${key} as key, ${sql.raw(`'${name}'`)} as measure, ${extra} as value
    from (${src}) x join participants p on p.id = x.pid
    ${byCourse ? sql`join courses c on c.id = x.course_id` : sql``}
    ${ageJoin}
    where x.at >= ${from} and x.at < ${to} ${province}
    group by 1`;
  const rows = await execRows<{ key: string | null; measure: string; value: number | string }>(
    db,
    sql`${measure('participants', participantsSrc, byCourse ? sql`count(distinct x.pid)` : sql`count(*)`)}
      union all
      ${measure(
        'completions',
        sql`select e.participant_id as pid, e.completed_at as at, e.course_id from enrollments e where e.status = 'COMPLETED'`,
        sql`count(*)`,
      )}
      union all
      ${measure(
        'certificates',
        sql`select ce.participant_id as pid, ce.issued_at as at, ce.course_id from certificates ce where ce.status = 'VALID'`,
        sql`count(*)`,
      )}
      union all
      ${measure(
        'incentives_paid',
        sql`select i.participant_id as pid, i.paid_at as at, e.course_id from incentives i
            left join enrollments e on e.id = i.enrollment_id where i.status = 'PAID'`,
      )}
      union all
      ${measure(
        'incentives_amount',
        sql`select i.participant_id as pid, i.paid_at as at, e.course_id, i.amount from incentives i
            left join enrollments e on e.id = i.enrollment_id where i.status = 'PAID'`,
        sql`coalesce(sum(x.amount), 0)`,
      )}`,
  );
  const byKey = new Map<string, StatisticsRecord>();
  for (const r of rows) {
    const k = r.key ?? 'unknown';
    const rec = byKey.get(k) ?? {
      key: k,
      participants: 0,
      completions: 0,
      certificates: 0,
      incentives_paid: 0,
      incentives_amount: 0,
    };
    (rec as Record<string, unknown>)[r.measure] = Number(r.value);
    byKey.set(k, rec);
  }
  return [...byKey.values()].sort((a, b) => a.key.localeCompare(b.key));
}

/** One provider's figures per day, week or month (WIB) over [fromDay, toDay), from the rollups. */
export async function providerTrend(
  db: Db,
  input: { providerId: string; fromDay: string; toDay: string; interval: 'day' | 'week' | 'month' },
) {
  const unit = sql.raw(`'${input.interval}'`);
  return execRows<{
    period: string;
    sold: number | string;
    redeemed: number | string;
    completed: number | string;
    not_completed: number | string;
    rating_sum: number | string;
    rating_count: number | string;
  }>(
    db,
    sql`select to_char(date_trunc(${unit}, day), 'YYYY-MM-DD') as period, sum(sold) as sold, sum(redeemed) as redeemed,
          sum(completed) as completed, sum(not_completed) as not_completed, sum(rating_sum) as rating_sum,
          sum(rating_count) as rating_count
        from report_daily
        where provider_id = ${input.providerId} and day >= ${input.fromDay}::date and day < ${input.toDay}::date
        group by 1 order by 1`,
  );
}
