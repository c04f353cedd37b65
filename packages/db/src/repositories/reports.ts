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
 * WIB day something happened, and their month level (report_monthly, report_completion_monthly,
 * report_provider_completion_monthly: the sums of a month's day rows) for the whole months of a
 * period. Rebuilding a range of days is one transaction that replaces those days from the source
 * tables and recomputes their months, so a report never sees half a day.
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

const monthOf = (day: string) => `${day.slice(0, 7)}-01`;
function nextMonth(month: string): string {
  const y = Number(month.slice(0, 4));
  const m = Number(month.slice(5, 7));
  return m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, '0')}-01`;
}

/**
 * Rows of a rollup for WIB days [fromDay, toDay): the whole months inside it from the month level,
 * the days of the partial months at either end from the day level. `cols` names the columns
 * (`$date` is the row's day, or its month's first day); `where` narrows both levels.
 */
function rollupRows(
  fromDay: string,
  toDay: string,
  tables: { monthly: string; daily: string },
  cols: string,
  where: SQL = sql`true`,
): SQL {
  const firstMonth = fromDay.endsWith('-01') ? fromDay : nextMonth(monthOf(fromDay));
  const endMonth = monthOf(toDay);
  const parts: SQL[] = [];
  let days: Array<[string, string]> = [[fromDay, toDay]];
  if (firstMonth < endMonth) {
    parts.push(sql`select ${sql.raw(cols.replaceAll('$date', 'month'))} from ${sql.raw(tables.monthly)}
      where month >= ${firstMonth}::date and month < ${endMonth}::date and ${where}`);
    days = [
      [fromDay, firstMonth],
      [endMonth, toDay],
    ];
  }
  const ranges = days
    .filter(([a, b]) => a < b)
    .map(([a, b]) => sql`(day >= ${a}::date and day < ${b}::date)`);
  if (ranges.length || !parts.length)
    parts.push(sql`select ${sql.raw(cols.replaceAll('$date', 'day'))} from ${sql.raw(tables.daily)}
      where (${ranges.length ? sql.join(ranges, sql` or `) : sql`false`}) and ${where}`);
  return sql.join(parts, sql` union all `);
}

/**
 * Recomputes the month level of the report rollups for the months of WIB days `fromDay` to
 * `toDay`, from their day rows (inside the rebuild's transaction, after the days).
 */
async function rebuildReportMonths(tx: Db, fromDay: string, toDay: string): Promise<void> {
  const first = monthOf(fromDay);
  const last = monthOf(toDay);
  const end = nextMonth(last);
  const days = sql`day >= ${first}::date and day < ${end}::date`;
  for (const table of ['report_monthly', 'report_completion_monthly', 'report_provider_completion_monthly'])
    await tx.execute(sql`delete from ${sql.raw(table)} where month between ${first}::date and ${last}::date`);
  await tx.execute(sql`
    insert into report_monthly (month, course_id, provider_id, sold, redeemed, completed, not_completed,
      attendance_total, attendance_confirmed, identity_checks, identity_checks_failed, rating_sum, rating_count,
      refunds, refund_amount)
    select date_trunc('month', day)::date, course_id, min(provider_id), sum(sold), sum(redeemed), sum(completed),
      sum(not_completed), sum(attendance_total), sum(attendance_confirmed), sum(identity_checks),
      sum(identity_checks_failed), sum(rating_sum), sum(rating_count), sum(refunds), sum(refund_amount)
    from report_daily where ${days} group by 1, 2`);
  await tx.execute(sql`
    insert into report_completion_monthly (month, course_id, provider_id, days, n)
    select date_trunc('month', day)::date, course_id, min(provider_id), days, sum(n)
    from report_completion_days where ${days} group by 1, 2, 4`);
  await tx.execute(sql`
    insert into report_provider_completion_monthly (month, provider_id, days, n)
    select date_trunc('month', day)::date, provider_id, days, sum(n)
    from report_completion_days where ${days} group by 1, 2, 3`);
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
    await rebuildReportMonths(tx as unknown as Db, fromDay, toDay);
    await rebuildStatisticsDays(tx as unknown as Db, fromDay, toDay);
    await extendStatisticsCoverage(tx as unknown as Db, fromDay, toDay, now);
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

const REPORT_COLS = `course_id, provider_id, sold, redeemed, completed, not_completed, attendance_total,
  attendance_confirmed, identity_checks, identity_checks_failed, rating_sum, rating_count, refunds, refund_amount`;

/**
 * Scorecards per provider or per course for WIB days [fromDay, toDay), sorted, filtered, paged by
 * offset. Every provider's median days comes from the per-provider histogram (no course filter
 * applies at that level).
 */
export async function scorecards(
  db: Db,
  level: 'provider' | 'course',
  input: (TProviderReportInput | TCourseReportInput) & { fromDay: string; toDay: string; offset: number },
) {
  const key = sql.raw(level === 'provider' ? 'd.provider_id' : 'd.course_id');
  const where: SQL[] = [sql`true`];
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
          from (${rollupRows(input.fromDay, input.toDay, { monthly: 'report_monthly', daily: 'report_daily' }, REPORT_COLS)}) d
            ${courseJoin} where ${cond} group by 1
        ), h as (
          select ${key} as key_id, d.days, sum(d.n) as n
          from (${
            level === 'provider'
              ? rollupRows(
                  input.fromDay,
                  input.toDay,
                  { monthly: 'report_provider_completion_monthly', daily: 'report_completion_days' },
                  'provider_id, days, n',
                )
              : rollupRows(
                  input.fromDay,
                  input.toDay,
                  { monthly: 'report_completion_monthly', daily: 'report_completion_days' },
                  'course_id, provider_id, days, n',
                )
          }) d ${courseJoin} where ${cond} group by 1, 2
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

/*
 * Statistics: per key of one dimension, from the statistics rollups for the whole WIB days they
 * cover and from the source tables for the rest of the period (its partial first and last days, and
 * the days since the last rebuild). Both sides count the same way, so the parts add up:
 *
 * - participants: by their own attributes, on the day they registered; for mode and category, on the
 *   day they started their first course of that mode or category (so each is counted once per key);
 * - completions, valid certificates: on the day of the completion or the issue;
 * - incentives paid: participants on the day of their first paid incentive (per key, for mode and
 *   category), and the rupiah of every paid instalment on its day: the incentive after training
 *   (kind COMPLETION) only, survey incentives are not counted here;
 * - ageBand: the age the participant reaches in the current year (WIB).
 */

type StatStore = 'regency' | 'gender' | 'birthYear' | 'cohort' | 'mode' | 'category';
const STAT_STORES: StatStore[] = ['regency', 'gender', 'birthYear', 'cohort', 'mode', 'category'];

const STORE_OF: Record<TStatisticDimension, StatStore> = {
  province: 'regency',
  regency: 'regency',
  month: 'regency',
  gender: 'gender',
  ageBand: 'birthYear',
  cohort: 'cohort',
  mode: 'mode',
  category: 'category',
};

/** The stored key of each stored dimension, over participants p and courses c. */
const STORE_KEY: Record<StatStore, string> = {
  regency: 'p.regency_code',
  gender: 'p.gender',
  birthYear: `extract(year from p.birth_date)::int::text`,
  cohort: 'p.cohort::text',
  mode: 'c.mode',
  category: 'c.category',
};

/** What a dimension reports, from a stored row (day, area, key). */
function outKey(dim: TStatisticDimension): string {
  switch (dim) {
    case 'province':
      return 'left(g.area, 2)';
    case 'regency':
      return 'g.area';
    case 'month':
      return `to_char(g.day, 'YYYY-MM')`;
    case 'ageBand':
      return `case when y.age < 25 then '18-24' when y.age < 35 then '25-34' when y.age < 45 then '35-44'
        when y.age < 55 then '45-54' else '55+' end`;
    default:
      return 'g.key';
  }
}

/**
 * Rows (dimension, day, area, key, measures) of the stored dimensions `stores` for what happened in
 * [start, end), grouped by WIB day, from the source tables; `where` narrows the participants (a
 * province). One pass: every fact of the window (a registration, a course started, a completion, a
 * valid certificate, a paid incentive) is joined to its participant and course once, and grouped
 * by every stored dimension at once (grouping sets). A course started counts its participant for a
 * mode (category) only if it is their first of that mode (category); a paid incentive counts its
 * participant only if it is their first paid (first for a course of that mode or category).
 */
function statisticsGrain(
  stores: StatStore[],
  start: SQL,
  end: SQL,
  where: SQL,
  /** The window starts before anyone registered: every earlier row is inside it (see below). */
  fromTheStart = false,
): SQL {
  const within = (c: string) => sql`${sql.raw(c)} >= ${start} and ${sql.raw(c)} < ${end}`;
  const earlierStart = (col: string) =>
    sql.raw(`not exists (select 1 from enrollments e2 join courses c2 on c2.id = e2.course_id
      where e2.participant_id = e.participant_id and c2.${col} = c.${col}
        and (e2.redeemed_at < e.redeemed_at or (e2.redeemed_at = e.redeemed_at and e2.id < e.id)))`);
  const earlierPaid = (col: string | null) =>
    sql.raw(
      col
        ? `c.${col} is not null and not exists (select 1 from incentives i2 join enrollments e2 on e2.id = i2.enrollment_id
          join courses c2 on c2.id = e2.course_id
          where i2.participant_id = i.participant_id and i2.status = 'PAID' and i2.kind = 'COMPLETION' and c2.${col} = c.${col}
            and (i2.paid_at < i.paid_at or (i2.paid_at = i.paid_at and i2.id < i.id)))`
        : `not exists (select 1 from incentives i2 where i2.participant_id = i.participant_id and i2.status = 'PAID' and i2.kind = 'COMPLETION'
            and (i2.paid_at < i.paid_at or (i2.paid_at = i.paid_at and i2.id < i.id)))`,
    );
  const needCourse = stores.some((x) => x === 'mode' || x === 'category');
  const needStart = needCourse;
  // Facts: participant, instant, course, and what they count (0/1 flags; amount in rupiah).
  // Whether a course started (an incentive paid) is the participant's first of its kind: looked up
  // per row (an index probe into their earlier rows) for a window of days; for a window from the
  // start (a full rebuild), every earlier row is inside it, so one sort of the window answers it.
  const first = (partition: string, order: string) =>
    sql.raw(`(row_number() over (partition by ${partition} order by ${order}) = 1)::int`);
  const paid = fromTheStart
    ? sql`select i.participant_id, i.paid_at, e.course_id, 0, 0, 0, 0, 0,
        ${first('i.participant_id', 'i.paid_at, i.id')},
        case when c.mode is null then 0 else ${first('i.participant_id, c.mode', 'i.paid_at, i.id')} end,
        case when c.category is null then 0 else ${first('i.participant_id, c.category', 'i.paid_at, i.id')} end, i.amount
      from incentives i left join enrollments e on e.id = i.enrollment_id left join courses c on c.id = e.course_id
      where i.status = 'PAID' and i.kind = 'COMPLETION' and ${within('i.paid_at')}`
    : sql`select i.participant_id, i.paid_at, e.course_id, 0, 0, 0, 0, 0,
        (${earlierPaid(null)})::int, ${needCourse ? sql`(${earlierPaid('mode')})::int` : sql`0`},
        ${needCourse ? sql`(${earlierPaid('category')})::int` : sql`0`}, i.amount
      from incentives i left join enrollments e on e.id = i.enrollment_id left join courses c on c.id = e.course_id
      where i.status = 'PAID' and i.kind = 'COMPLETION' and ${within('i.paid_at')}`;
  const facts: SQL[] = [
    sql`select p0.id as pid, p0.created_at as at, null::text as course_id, 1 as reg, 0 as st_mode, 0 as st_cat,
        0 as co, 0 as ce, 0 as ip_all, 0 as ip_mode, 0 as ip_cat, 0::bigint as ia
      from participants p0 where ${within('p0.created_at')}`,
    sql`select e.participant_id, e.completed_at, e.course_id, 0, 0, 0, 1, 0, 0, 0, 0, 0::bigint
      from enrollments e where e.status = 'COMPLETED' and ${within('e.completed_at')}`,
    sql`select ce.participant_id, ce.issued_at, ce.course_id, 0, 0, 0, 0, 1, 0, 0, 0, 0::bigint
      from certificates ce where ce.status = 'VALID' and ${within('ce.issued_at')}`,
    paid,
  ];
  if (needStart)
    facts.push(
      fromTheStart
        ? sql`select e.participant_id, e.redeemed_at, e.course_id, 0,
            ${first('e.participant_id, c.mode', 'e.redeemed_at, e.id')}, ${first('e.participant_id, c.category', 'e.redeemed_at, e.id')},
            0, 0, 0, 0, 0, 0::bigint
          from enrollments e join courses c on c.id = e.course_id where ${within('e.redeemed_at')}`
        : sql`select e.participant_id, e.redeemed_at, e.course_id, 0, (${earlierStart('mode')})::int,
            (${earlierStart('category')})::int, 0, 0, 0, 0, 0, 0::bigint
          from enrollments e join courses c on c.id = e.course_id where ${within('e.redeemed_at')}`,
    );
  const sets = stores.map((x) =>
    x === 'regency' ? '(day, p.regency_code)' : `(day, left(p.regency_code, 2), ${STORE_KEY[x]})`,
  );
  // grouping(x) = 0 in the set that groups by x: it tells the sets apart.
  const g = (x: StatStore) => `grouping(${STORE_KEY[x]}) = 0`;
  const storeOf = `case ${stores.map((x) => `when ${g(x)} then '${x}'`).join(' ')} end`;
  const keys = stores.filter((x) => x !== 'regency').map((x) => STORE_KEY[x]);
  const keyOf = keys.length > 1 ? `coalesce(${keys.join(', ')})` : (keys[0] ?? 'null::text');
  const pick = (mode: string, cat: string, other: string) => {
    const when = [
      ...(stores.includes('mode') ? [`when ${g('mode')} then ${mode}`] : []),
      ...(stores.includes('category') ? [`when ${g('category')} then ${cat}`] : []),
    ];
    return when.length ? `case ${when.join(' ')} else ${other} end` : other;
  };
  return sql`select dimension, day, area, coalesce(key, '') as key,
      participants, completions, certificates, incentives_paid, incentives_amount
    from (
      select ${sql.raw(storeOf)} as dimension, day,
        ${sql.raw(stores.includes('regency') ? `case when ${g('regency')} then min(p.regency_code) else left(min(p.regency_code), 2) end` : 'left(min(p.regency_code), 2)')} as area,
        ${sql.raw(keyOf)} as key,
        ${sql.raw(pick('sum(f.st_mode)', 'sum(f.st_cat)', 'sum(f.reg)'))} as participants,
        sum(f.co) as completions, sum(f.ce) as certificates,
        ${sql.raw(pick('sum(f.ip_mode)', 'sum(f.ip_cat)', 'sum(f.ip_all)'))} as incentives_paid,
        sum(f.ia) as incentives_amount
      from (
        select ${dayOf('f0.at')} as day, f0.* from (${sql.join(facts, sql` union all `)}) f0
      ) f
      join participants p on p.id = f.pid ${where}
      left join courses c on c.id = f.course_id
      group by grouping sets (${sql.raw(sets.join(', '))})
    ) g
    where not (dimension in ('mode', 'category') and key is null)
      and participants + completions + certificates + incentives_paid + incentives_amount > 0`;
}

/**
 * Rebuilds the statistics rollups of WIB days `fromDay` to `toDay`, then their months from the day
 * rows (inside the caller's transaction).
 */
export async function rebuildStatisticsDays(tx: Db, fromDay: string, toDay: string): Promise<void> {
  const { start, end } = bounds(fromDay, toDay);
  // Nobody registered before fromDay: the rebuild starts at the beginning (see statisticsGrain).
  const [before] = await execRows<{ any: boolean }>(
    tx,
    sql`select exists (select 1 from participants where created_at < ${start}) as any`,
  );
  await tx.execute(sql`delete from statistics_daily where day between ${fromDay}::date and ${toDay}::date`);
  await tx.execute(sql`
    insert into statistics_daily (dimension, day, area, key, participants, completions, certificates,
      incentives_paid, incentives_amount)
    ${statisticsGrain(STAT_STORES, start, end, sql``, !before?.any)}`);
  const first = monthOf(fromDay);
  const last = monthOf(toDay);
  await tx.execute(sql`delete from statistics_monthly where month between ${first}::date and ${last}::date`);
  await tx.execute(sql`
    insert into statistics_monthly (dimension, month, area, key, participants, completions, certificates,
      incentives_paid, incentives_amount)
    select dimension, date_trunc('month', day)::date, area, key, sum(participants), sum(completions),
      sum(certificates), sum(incentives_paid), sum(incentives_amount)
    from statistics_daily where day >= ${first}::date and day < ${nextMonth(last)}::date
    group by 1, 2, 3, 4`);
}

/**
 * The WIB days the statistics rollups cover completely (rebuilt after the day ended), or null. A
 * rebuild of [fromDay, toDay] at `now` adds its complete days to the range when they touch it.
 */
export async function statisticsCoverage(db: Db): Promise<{ from: string; to: string } | null> {
  const [row] = await execRows<{ from: string; to: string }>(
    db,
    sql`select to_char(from_day, 'YYYY-MM-DD') as "from", to_char(to_day, 'YYYY-MM-DD') as "to"
        from report_refreshes where id = 'statistics'`,
  );
  return row ?? null;
}

const addDays = (day: string, n: number) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
const wibDate = (t: Date) => new Date(t.getTime() + 7 * 3_600_000).toISOString().slice(0, 10);
const wibStart = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) - 7 * 3_600_000);

async function extendStatisticsCoverage(tx: Db, fromDay: string, toDay: string, now: Date) {
  const complete = [toDay, addDays(wibDate(now), -1)].sort()[0] as string;
  if (complete < fromDay) return;
  const cur = await statisticsCoverage(tx);
  let next = { from: fromDay, to: complete };
  if (cur) {
    const touches = fromDay <= addDays(cur.to, 1) && complete >= addDays(cur.from, -1);
    if (!touches) return;
    next = {
      from: [cur.from, fromDay].sort()[0] as string,
      to: [cur.to, complete].sort()[1] as string,
    };
  }
  await tx.execute(sql`
    insert into report_refreshes (id, from_day, to_day, refreshed_at)
    values ('statistics', ${next.from}::date, ${next.to}::date, ${now.toISOString()}::timestamptz)
    on conflict (id) do update set from_day = excluded.from_day, to_day = excluded.to_day,
      refreshed_at = excluded.refreshed_at`);
}

/**
 * Rebuilds the statistics rollups alone for WIB days `fromDay` to `toDay` (the job's backfill of
 * days older than its coverage), under the rollups' lock, and extends the coverage.
 */
export async function rebuildStatistics(db: Db, fromDay: string, toDay: string, now: Date): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('latih:report-rollups'))`);
    await rebuildStatisticsDays(tx, fromDay, toDay);
    await extendStatisticsCoverage(tx, fromDay, toDay, now);
  });
}

/** The day the first participant registered (WIB), or null: where statistics backfill stops. */
export async function firstRegistrationDay(db: Db): Promise<string | null> {
  const [row] = await execRows<{ day: string | null }>(
    db,
    sql`select to_char(${dayOf('created_at')}, 'YYYY-MM-DD') as day from participants order by created_at limit 1`,
  );
  return row?.day ?? null;
}

export type StatisticsRecord = {
  key: string;
  participants: number | string;
  completions: number | string;
  certificates: number | string;
  incentives_paid: number | string;
  incentives_amount: number | string;
};

/**
 * Per key of the dimension, the measures over [from, to): the whole WIB days the rollups cover from
 * statistics_monthly (whole months) and statistics_daily (the other days), the rest (at most the partial days at either end and the days since the last
 * rebuild, unless the rollups were never built) from the source tables. `now` dates the age bands.
 */
export async function statistics(
  db: Db,
  input: TStatisticsInput,
  now: Date = new Date(),
): Promise<StatisticsRecord[]> {
  const dim = input.dimension;
  const store = STORE_OF[dim];
  const from = input.from ? new Date(input.from) : null;
  const to = input.to ? new Date(input.to) : null;
  const cover = await statisticsCoverage(db);
  // The rollups' part: whole WIB days inside [from, to) and inside the coverage.
  let days: { first: string; last: string } | null = null;
  if (cover) {
    const firstWhole = from
      ? wibStart(wibDate(from)).getTime() === from.getTime()
        ? wibDate(from)
        : addDays(wibDate(from), 1)
      : cover.from;
    const lastWhole = to ? addDays(wibDate(to), -1) : cover.to;
    const first = [firstWhole, cover.from].sort()[1] as string;
    const last = [lastWhole, cover.to].sort()[0] as string;
    if (first <= last) days = { first, last };
  }
  const ts = (d: Date | null, fallback: string) =>
    d ? sql`${d.toISOString()}::timestamptz` : sql.raw(`'${fallback}'::timestamptz`);
  const province = input.provinceCode ?? null;
  const where = province ? sql`and p.regency_code like ${`${province}.%`}` : sql``;
  const parts: SQL[] = [];
  if (days) {
    const area = province
      ? store === 'regency'
        ? sql`and area like ${`${province}.%`}`
        : sql`and area = ${province}`
      : sql``;
    parts.push(
      rollupRows(
        days.first,
        addDays(days.last, 1),
        { monthly: 'statistics_monthly', daily: 'statistics_daily' },
        'dimension, $date as day, area, key, participants, completions, certificates, incentives_paid, incentives_amount',
        sql`dimension = ${store} ${area}`,
      ),
    );
    const before = wibStart(days.first);
    if (!from || from < before)
      parts.push(statisticsGrain([store], ts(from, '-infinity'), ts(before, ''), where));
    const after = wibStart(addDays(days.last, 1));
    if (!to || to > after) parts.push(statisticsGrain([store], ts(after, ''), ts(to, 'infinity'), where));
  } else {
    parts.push(statisticsGrain([store], ts(from, '-infinity'), ts(to, 'infinity'), where));
  }
  const year = Number(wibDate(now).slice(0, 4));
  const ageJoin =
    dim === 'ageBand'
      ? sql.raw(`cross join lateral (select ${year} - nullif(g.key, 'unknown')::int as age) y`)
      : sql``;
  const rows = await execRows<StatisticsRecord & { key: string | null }>(
    db,
    sql`select ${sql.raw(outKey(dim))} as key, sum(g.participants) as participants, sum(g.completions) as completions,
          sum(g.certificates) as certificates, sum(g.incentives_paid) as incentives_paid,
          coalesce(sum(g.incentives_amount), 0) as incentives_amount
        from (${sql.join(parts, sql` union all `)}) g ${ageJoin}
        group by 1`,
  );
  return rows
    .map((r) => ({
      key: r.key ?? 'unknown',
      participants: Number(r.participants),
      completions: Number(r.completions),
      certificates: Number(r.certificates),
      incentives_paid: Number(r.incentives_paid),
      incentives_amount: Number(r.incentives_amount),
    }))
    .sort((a, b) => a.key.localeCompare(b.key));
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
