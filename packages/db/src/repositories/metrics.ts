import { count, inArray, isNull, min, sql } from 'drizzle-orm';
import type { Db } from '../client';
import { events, incentives, jobInstances, settlements, webhookDeliveries } from '../schema';

/**
 * Read-only counts for /metrics, computed at scrape time. Each reads only the rows of a small,
 * bounded set through a partial or leading-column index (never a large table from end to end):
 * what is waiting to be delivered, payouts not yet settled, the live schedulers.
 */

export type WebhookBacklog = {
  /** PENDING deliveries (not yet delivered, not given up). */
  pending: number;
  /** Among them, those whose next attempt is due at `now` (program time). */
  due: number;
  /** Program time the longest-waiting due delivery became due, or null when none is due. */
  oldestDueAt: Date | null;
  /** Program time the oldest PENDING delivery was made (its event fanned out), or null. */
  oldestPendingAt: Date | null;
  /** Events not yet fanned out to the endpoints that want them. */
  unpublished: number;
  /** Seconds since the oldest of those was written (database time), 0 when there is none. */
  oldestUnpublishedAgeSeconds: number;
};

/**
 * The webhook backlog. PENDING deliveries are read through `webhook_deliveries_due_idx` (partial,
 * `status = 'PENDING'`), unpublished events through `events_unpublished_idx` (partial,
 * `published_at is null`): the cost follows the backlog, not the size of either table.
 */
export async function webhookBacklog(db: Db, now: Date): Promise<WebhookBacklog> {
  const at = now.toISOString();
  const [d] = await db
    .select({
      pending: count(),
      due: sql`count(*) filter (where ${webhookDeliveries.nextAttemptAt} <= ${at}::timestamptz)`.mapWith(
        Number,
      ),
      oldest: min(webhookDeliveries.createdAt),
      oldestDue:
        sql`min(${webhookDeliveries.nextAttemptAt}) filter (where ${webhookDeliveries.nextAttemptAt} <= ${at}::timestamptz)`.mapWith(
          webhookDeliveries.nextAttemptAt,
        ),
    })
    .from(webhookDeliveries)
    .where(sql`${webhookDeliveries.status} = 'PENDING'`);
  const [e] = await db
    .select({
      unpublished: count(),
      ageSeconds:
        sql`coalesce(extract(epoch from clock_timestamp() - min(${events.createdAt})), 0)::float8`.mapWith(
          Number,
        ),
    })
    .from(events)
    .where(isNull(events.publishedAt));
  return {
    pending: d?.pending ?? 0,
    due: d?.due ?? 0,
    oldestDueAt: d?.oldestDue ? new Date(d.oldestDue) : null,
    oldestPendingAt: d?.oldest ? new Date(d.oldest) : null,
    unpublished: e?.unpublished ?? 0,
    oldestUnpublishedAgeSeconds: Math.max(0, e?.ageSeconds ?? 0),
  };
}

/** The payout statuses that are not final: money owed and not yet paid, or sent back. */
export const OPEN_SETTLEMENT_STATUSES = ['PENDING', 'IN_TRANSIT', 'FAILED'] as const;
export const OPEN_INCENTIVE_STATUSES = ['ELIGIBLE', 'DISBURSING', 'FAILED'] as const;

export type OpenPayouts = {
  kind: 'settlement' | 'incentive';
  status: string;
  count: number;
  /** Whole rupiah. */
  amount: number;
}[];

/**
 * Settlements and incentives that are not PAID (nor, for incentives, still WAITING), by status,
 * with their amounts. PAID (and WAITING) rows grow for the life of the program, so they are not
 * counted here. Incentives read `incentives_status_idx` (status, id). Settlements have no index on
 * status yet, so this reads the table whole (one row per organisation and batch day: 77 ms at
 * 300 000 rows on the CI machine, 0.1 ms with an index on (status, id) like the incentives' one).
 */
export async function openPayouts(db: Db): Promise<OpenPayouts> {
  const s = await db
    .select({
      status: settlements.status,
      count: count(),
      amount: sql`coalesce(sum(${settlements.amount}), 0)`.mapWith(Number),
    })
    .from(settlements)
    .where(inArray(settlements.status, [...OPEN_SETTLEMENT_STATUSES]))
    .groupBy(settlements.status);
  const i = await db
    .select({
      status: incentives.status,
      count: count(),
      amount: sql`coalesce(sum(${incentives.amount}), 0)`.mapWith(Number),
    })
    .from(incentives)
    .where(inArray(incentives.status, [...OPEN_INCENTIVE_STATUSES]))
    .groupBy(incentives.status);
  const of = <T extends { status: string; count: number; amount: number }>(
    kind: 'settlement' | 'incentive',
    statuses: readonly string[],
    rows: T[],
  ) =>
    statuses.map((status) => {
      const r = rows.find((x) => x.status === status);
      return { kind, status, count: r?.count ?? 0, amount: r?.amount ?? 0 };
    });
  return [...of('settlement', OPEN_SETTLEMENT_STATUSES, s), ...of('incentive', OPEN_INCENTIVE_STATUSES, i)];
}

/**
 * The schedulers heard from within `withinMs` (database time), and how many of them run each job.
 * Read-only (liveJobInstances also prunes old rows; a scrape must not write).
 */
export async function liveSchedulers(
  db: Db,
  withinMs: number,
): Promise<{ total: number; byJob: Map<string, number> }> {
  const live = await db
    .select({ jobs: jobInstances.jobs })
    .from(jobInstances)
    .where(sql`${jobInstances.seenAt} > clock_timestamp() - make_interval(secs => ${withinMs / 1000})`);
  const byJob = new Map<string, number>();
  for (const r of live) for (const j of new Set(r.jobs)) byJob.set(j, (byJob.get(j) ?? 0) + 1);
  return { total: live.length, byJob };
}
