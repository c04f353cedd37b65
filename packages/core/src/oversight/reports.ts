import {
  AppError,
  CATEGORIES,
  findProvince,
  findRegency,
  STATISTICS_MIN_CELL,
  type TCourseReportInput,
  type TPlatformReportInput,
  type TPlatformReportRow,
  type TProviderReportInput,
  type TScorecard,
  type TStatistics,
  type TStatisticsInput,
  type TStatisticsRow,
  ZOwnFiguresInputSchema,
} from '@latih/contracts';
import {
  activitySpan,
  type Db,
  decodeCursor,
  encodeCursor,
  firstRegistrationDay,
  lastRecentRollup,
  lastRollupRefresh,
  platformReport,
  providerTrend,
  rebuildRollups,
  rebuildStatistics,
  scorecards,
  statistics,
  statisticsCoverage,
} from '@latih/db';
import type { z } from 'zod';
import { type Actor, requirePmo, requireProvider } from '../auth/actor';

const WIB_MS = 7 * 3_600_000;

/** The WIB calendar day of an instant, as YYYY-MM-DD. */
export function wibDay(at: Date): string {
  return new Date(at.getTime() + WIB_MS).toISOString().slice(0, 10);
}

/**
 * What the schedule does every minute: rebuilds yesterday and today (WIB), and every day since the
 * job's last run. A gateway stopped over a long weekend, or a sandbox clock moved days ahead, would
 * otherwise leave the days in between as they were at the last run (sales after it never counted).
 */
export async function refreshRecentRollups(db: Db, now: Date): Promise<{ from: string; to: string }> {
  const yesterday = wibDay(new Date(now.getTime() - 86_400_000));
  // Since the job's own last run; on a database where it never ran, since any rebuild (a database
  // from before this bookkeeping), and on one never rebuilt at all, since the first activity.
  const last = (await lastRecentRollup(db)) ?? (await lastRollupRefresh(db));
  const first = last ? null : (await activitySpan(db))?.from;
  const since = last && last < now ? wibDay(last) : (first ?? yesterday);
  const [from = yesterday] = [since, yesterday].sort();
  const to = wibDay(now);
  await rebuildRollups(db, from, to, now, 'recent');
  await backfillStatistics(db, now);
  return { from, to };
}

/**
 * The statistics rollups' backfill, a week of older days per run, back to the first registration:
 * on a database whose report rollups were built before migration 0034 (the recent days' rebuild then
 * starts the statistics coverage at yesterday). Statistics are right meanwhile: they read the days not
 * yet covered from the source tables, only slower.
 */
async function backfillStatistics(db: Db, now: Date): Promise<void> {
  const cover = await statisticsCoverage(db);
  if (!cover) return;
  const first = await firstRegistrationDay(db);
  if (!first || first >= cover.from) return;
  const to = shiftDay(cover.from, -1);
  const [from = first] = [first, shiftDay(cover.from, -7)].sort().reverse();
  await rebuildStatistics(db, from, to, now);
}

const shiftDay = (day: string, n: number) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

export async function rebuildReports(opts: {
  db: Db;
  actor: Actor;
  input: { from?: string | undefined; to?: string | undefined };
  now?: Date;
}) {
  requirePmo(opts.actor);
  const now = opts.now ?? new Date();
  const span = opts.input.from && opts.input.to ? null : await activitySpan(opts.db);
  // From the first registration where it comes before the first sale: statistics count registrations.
  const registered = opts.input.from ? null : await firstRegistrationDay(opts.db);
  const [earliest] = [span?.from, registered].filter((d): d is string => Boolean(d)).sort();
  const from = opts.input.from ?? earliest ?? null;
  const to = opts.input.to ?? span?.to ?? wibDay(now);
  if (from && to) {
    if (from > to)
      throw new AppError('VALIDATION_FAILED', { field: 'from', message: '`from` is after `to`.' });
    await rebuildRollups(opts.db, from, to, now);
  }
  return { from, to: from ? to : null, rebuiltAt: now.toISOString() };
}

function offsetOf(cursor: string | undefined): number {
  if (!cursor) return 0;
  const n = Number(decodeCursor(cursor));
  if (!Number.isInteger(n) || n < 0)
    throw new AppError('VALIDATION_FAILED', {
      field: 'cursor',
      message: 'The cursor is not one this API returned.',
    });
  return n;
}

function checkPeriod(input: { from: string; to: string }) {
  if (input.from >= input.to)
    throw new AppError('VALIDATION_FAILED', {
      field: 'to',
      message: '`to` must be after `from` (it is exclusive).',
    });
}

const num = (v: number | string | null) => (v === null ? null : Number(v));
const ratio = (a: number | string, b: number | string) => (Number(b) === 0 ? null : Number(a) / Number(b));

async function scorecardPage(
  db: Db,
  level: 'provider' | 'course',
  input: TProviderReportInput | TCourseReportInput,
) {
  checkPeriod(input);
  const offset = offsetOf(input.cursor);
  const [rows, asOf] = await Promise.all([
    scorecards(db, level, { ...input, fromDay: input.from, toDay: input.to, offset }),
    lastRollupRefresh(db),
  ]);
  const total = rows[0] ? Number(rows[0].total) : 0;
  const items: TScorecard[] = rows.map((r) => ({
    providerId: r.provider_id,
    providerName: r.provider_name,
    courseId: r.course_id,
    courseTitle: r.course_title,
    vouchersSold: Number(r.sold),
    vouchersRedeemed: Number(r.redeemed),
    completed: Number(r.completed),
    notCompleted: Number(r.not_completed),
    completionRate: ratio(r.completed, Number(r.completed) + Number(r.not_completed)),
    medianDaysToComplete: num(r.median_days),
    attendanceConfirmationRate: ratio(r.att_ok, r.att_total),
    identityCheckFailureRate: ratio(r.idc_failed, r.idc),
    ratingAverage:
      Number(r.rating_count) === 0
        ? null
        : Math.round((Number(r.rating_sum) / Number(r.rating_count)) * 100) / 100,
    ratingCount: Number(r.rating_count),
    refunds: Number(r.refunds),
    refundAmount: Number(r.refund_amount),
    openCases: Number(r.open_cases),
  }));
  const next = offset + items.length;
  return {
    items,
    nextCursor: next < total ? encodeCursor(String(next)) : null,
    total,
    asOf: asOf?.toISOString() ?? null,
  };
}

export async function providerScorecards(opts: { db: Db; actor: Actor; input: TProviderReportInput }) {
  requirePmo(opts.actor);
  return scorecardPage(opts.db, 'provider', opts.input);
}

export async function courseScorecards(opts: { db: Db; actor: Actor; input: TCourseReportInput }) {
  requirePmo(opts.actor);
  return scorecardPage(opts.db, 'course', opts.input);
}

export async function platformScorecards(opts: { db: Db; actor: Actor; input: TPlatformReportInput }) {
  requirePmo(opts.actor);
  checkPeriod(opts.input);
  const offset = offsetOf(opts.input.cursor);
  const [rows, asOf] = await Promise.all([
    platformReport(opts.db, { ...opts.input, fromDay: opts.input.from, toDay: opts.input.to, offset }),
    lastRollupRefresh(opts.db),
  ]);
  const total = rows[0] ? Number(rows[0].total) : 0;
  const items: TPlatformReportRow[] = rows.map((r) => ({
    platformId: r.platform_id,
    platformName: r.name,
    sales: Number(r.sales),
    salesAmount: Number(r.sales_amount),
    refunds: Number(r.refunds),
    refundAmount: Number(r.refund_amount),
    commission: Number(r.commission),
  }));
  const next = offset + items.length;
  return {
    items,
    nextCursor: next < total ? encodeCursor(String(next)) : null,
    total,
    asOf: asOf?.toISOString() ?? null,
  };
}

const MODE_LABELS: Record<string, string> = {
  SELF_PACED: 'Daring mandiri',
  WEBINAR: 'Webinar',
  LURING: 'Luring',
  HYBRID: 'Bauran',
};

function labelOf(dimension: TStatisticsInput['dimension'], key: string): string {
  switch (dimension) {
    case 'province':
      return findProvince(key)?.name ?? key;
    case 'regency':
      return findRegency(key)?.name ?? key;
    case 'gender':
      return key === 'M' ? 'Laki-laki' : key === 'F' ? 'Perempuan' : key;
    case 'ageBand':
      return `${key} tahun`;
    case 'cohort':
      return `Gelombang ${key}`;
    case 'mode':
      return MODE_LABELS[key] ?? key;
    case 'category':
      return CATEGORIES.find((c) => c.code === key)?.id ?? key;
    case 'month':
      return key;
  }
}

type Counted = 'participants' | 'completions' | 'certificates' | 'incentivesPaid';
const COUNTED: Counted[] = ['participants', 'completions', 'certificates', 'incentivesPaid'];

/**
 * Primary suppression: a cell counting 1–9 people is withheld. Secondary: a column with exactly one
 * withheld cell also withholds its next smallest, so the total cannot give the first one away.
 * For any table of people counts (`columns`); a copy is returned.
 */
export function suppressColumns<R extends Record<K, number | null>, K extends string>(
  rows: R[],
  columns: readonly K[],
  min: number,
): R[] {
  const out = rows.map((r) => ({ ...r }));
  for (const col of columns) {
    const hidden = (v: number | null) => v !== null && v > 0 && v < min;
    let withheld = 0;
    for (const r of out) {
      if (hidden(r[col])) {
        (r as Record<K, number | null>)[col] = null;
        withheld++;
      }
    }
    if (withheld === 1) {
      const next = out
        .filter((r) => r[col] !== null && (r[col] ?? 0) > 0)
        .sort((a, b) => (a[col] ?? 0) - (b[col] ?? 0))[0];
      if (next) (next as Record<K, number | null>)[col] = null;
    }
  }
  return out;
}

/** suppressColumns over the statistics' counts; the incentive amount goes with its count. */
export function suppress(rows: TStatisticsRow[], min: number): TStatisticsRow[] {
  const out = suppressColumns(rows, COUNTED, min);
  for (const r of out) if (r.incentivesPaid === null) r.incentivesPaidAmount = null;
  return out;
}

async function statisticsOf(db: Db, input: TStatisticsInput, min: number, now: Date): Promise<TStatistics> {
  const records = await statistics(db, input, now);
  const full: TStatisticsRow[] = records.map((r) => ({
    key: r.key,
    label: labelOf(input.dimension, r.key),
    participants: Number(r.participants),
    completions: Number(r.completions),
    certificates: Number(r.certificates),
    incentivesPaid: Number(r.incentives_paid),
    incentivesPaidAmount: Number(r.incentives_amount),
  }));
  const sum = (k: Counted | 'incentivesPaidAmount') => full.reduce((s, r) => s + (r[k] ?? 0), 0);
  const totals = {
    participants: sum('participants'),
    completions: sum('completions'),
    certificates: sum('certificates'),
    incentivesPaid: sum('incentivesPaid'),
    incentivesPaidAmount: sum('incentivesPaidAmount'),
  };
  const [shown] = min > 0 ? [suppress(full, min)] : [full];
  const [shownTotals] =
    min > 0 ? suppress([{ key: '', label: '', ...totals }], min) : [{ key: '', label: '', ...totals }];
  return {
    dimension: input.dimension,
    provinceCode: input.provinceCode ?? null,
    from: input.from ?? null,
    to: input.to ?? null,
    suppressedBelow: min,
    rows: shown ?? [],
    totals: {
      participants: shownTotals?.participants ?? null,
      completions: shownTotals?.completions ?? null,
      certificates: shownTotals?.certificates ?? null,
      incentivesPaid: shownTotals?.incentivesPaid ?? null,
      incentivesPaidAmount: shownTotals?.incentivesPaidAmount ?? null,
    },
    generatedAt: now.toISOString(),
  };
}

/** In full, for the PMO. */
export async function pmoStatistics(opts: { db: Db; actor: Actor; input: TStatisticsInput; now?: Date }) {
  requirePmo(opts.actor);
  return statisticsOf(opts.db, opts.input, 0, opts.now ?? new Date());
}

/** For anyone: no personal data, cells under 10 people withheld. */
export async function publicStatistics(opts: { db: Db; input: TStatisticsInput; now?: Date }) {
  return statisticsOf(opts.db, opts.input, STATISTICS_MIN_CELL, opts.now ?? new Date());
}

/** One period of a provider's trend: the PMO's and the provider's own figures share it. */
function toTrendPoint(r: Awaited<ReturnType<typeof providerTrend>>[number]) {
  return {
    period: r.period,
    vouchersSold: Number(r.sold),
    vouchersRedeemed: Number(r.redeemed),
    completed: Number(r.completed),
    notCompleted: Number(r.not_completed),
    completionRate: ratio(r.completed, Number(r.completed) + Number(r.not_completed)),
    ratingAverage:
      Number(r.rating_count) === 0
        ? null
        : Math.round((Number(r.rating_sum) / Number(r.rating_count)) * 100) / 100,
  };
}

/** A provider's scorecard figures over time, for charts. */
export async function providerTrendOf(opts: {
  db: Db;
  actor: Actor;
  input: { providerId: string; from: string; to: string; interval: 'day' | 'week' | 'month' };
}) {
  requirePmo(opts.actor);
  checkPeriod(opts.input);
  const rows = await providerTrend(opts.db, {
    providerId: opts.input.providerId,
    fromDay: opts.input.from,
    toDay: opts.input.to,
    interval: opts.input.interval,
  });
  return {
    providerId: opts.input.providerId,
    interval: opts.input.interval,
    points: rows.map(toTrendPoint),
  };
}

/**
 * A provider's own figures: the scorecard the program office sees for it (open cases left out: an
 * investigation is not announced through a report), each of its courses, and the trend. The same
 * rollups and the same arithmetic as the PMO's reports, scoped to the caller.
 */
export async function ownFigures(opts: {
  db: Db;
  actor: Actor;
  input: z.input<typeof ZOwnFiguresInputSchema>;
}) {
  requireProvider(opts.actor);
  const input = ZOwnFiguresInputSchema.parse(opts.input);
  checkPeriod(input);
  const providerId = opts.actor.organisationId;
  const common = { from: input.from, to: input.to, order: 'desc' as const, sort: 'vouchersSold' as const };
  const [total, courses] = await Promise.all([
    scorecardPage(opts.db, 'provider', { ...common, providerId, limit: 1 }),
    scorecardPage(opts.db, 'course', { ...common, providerId, limit: 1000 }),
  ]);
  const trend = await providerTrend(opts.db, {
    providerId,
    fromDay: input.from,
    toDay: input.to,
    interval: input.interval,
  });
  const own = ({ openCases: _, ...rest }: TScorecard) => rest;
  const first = total.items[0];
  return {
    from: input.from,
    to: input.to,
    total: first ? own(first) : null,
    courses: courses.items.map(own),
    trend: {
      providerId,
      interval: input.interval,
      points: trend.map(toTrendPoint),
    },
    asOf: total.asOf,
  };
}
