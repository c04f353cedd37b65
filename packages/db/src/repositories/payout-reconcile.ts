import { inArray, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../client';
import { execRows } from '../client';
import { incentives, settlements } from '../schema';
import type { IncentiveRow, SettlementRow } from './payouts';

/**
 * Payouts worth reading back from the payment provider because they may have changed without a
 * webhook reaching us: those we still hold in flight (IN_TRANSIT, or PENDING with a provider
 * payout id), and those PAID recently (a bank may return a paid payout days later), in both cases
 * unchanged here since `staleBefore`. Settlements and incentives together, ordered by id (their
 * prefixes differ, so ids are unique across both), so a caller can sweep them in slices.
 */
export type ReadBackWindow = {
  /** Unchanged here since this time. */
  staleBefore: Date;
  /** PAID ones: paid at or after this time. */
  paidSince: Date;
};

// PAID rows always have paid_at (applyPayout sets it); the partial indexes of migration 0015 serve
// both halves, so a read-back never scans every payout ever made.
const candidates = (w: ReadBackWindow): SQL => {
  const stale = sql`${w.staleBefore.toISOString()}::timestamptz`;
  const paid = sql`${w.paidSince.toISOString()}::timestamptz`;
  return sql`
    select id from settlements
      where provider_payout_id is not null and updated_at <= ${stale}
        and (status in ('PENDING', 'IN_TRANSIT') or (status = 'PAID' and paid_at >= ${paid}))
    union all
    select id from incentives
      where provider_payout_id is not null and updated_at <= ${stale}
        and (status in ('ELIGIBLE', 'DISBURSING') or (status = 'PAID' and paid_at >= ${paid}))`;
};

/** How many are due; with `afterId`, how many of them come after it (what a sweep has left). */
export async function countPayoutsToReadBack(db: Db, w: ReadBackWindow, afterId?: string): Promise<number> {
  const [row] = await execRows<{ n: number | string }>(
    db,
    sql`select count(*) as n from (${candidates(w)}) c ${afterId !== undefined ? sql`where c.id > ${afterId}` : sql``}`,
  );
  return Number(row?.n ?? 0);
}

/** Ids of payouts to read back, in id order, after `afterId` (exclusive) when given. */
export async function payoutIdsToReadBack(
  db: Db,
  w: ReadBackWindow,
  opts: { afterId?: string; limit: number },
): Promise<string[]> {
  const rows = await execRows<{ id: string }>(
    db,
    sql`select c.id from (${candidates(w)}) c
        ${opts.afterId !== undefined ? sql`where c.id > ${opts.afterId}` : sql``}
        order by c.id
        limit ${opts.limit}`,
  );
  return rows.map((r) => r.id);
}

export type PayoutRowOf =
  | { kind: 'settlement'; row: SettlementRow }
  | { kind: 'incentive'; row: IncentiveRow };

/** The settlement and incentive rows of these ids, in the order given (ids no longer found are left out). */
export async function payoutRowsByIds(db: Db, ids: string[]): Promise<PayoutRowOf[]> {
  if (ids.length === 0) return [];
  const s = await db.select().from(settlements).where(inArray(settlements.id, ids));
  const i = await db.select().from(incentives).where(inArray(incentives.id, ids));
  const byId = new Map<string, PayoutRowOf>([
    ...s.map((row) => [row.id, { kind: 'settlement' as const, row }] as const),
    ...i.map((row) => [row.id, { kind: 'incentive' as const, row }] as const),
  ]);
  return ids.flatMap((id) => {
    const found = byId.get(id);
    return found ? [found] : [];
  });
}
