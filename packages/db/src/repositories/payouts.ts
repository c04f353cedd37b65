import { and, asc, desc, eq, gt, inArray, isNotNull, isNull, lt, sql } from 'drizzle-orm';
import type { Db } from '../client';
import { execRows } from '../client';
import {
  incentives,
  participantPayoutAccounts,
  paymentEvents,
  payoutAccounts,
  settlementBatches,
  settlementItems,
  settlements,
} from '../schema';

/** Ledger accounts of money on its way out (DESIGN §3): a payout sits in the one of its state. */
export const PAYOUTS_PENDING = 'payouts:pending';
export const PAYOUTS_IN_TRANSIT = 'payouts:in_transit';
export const PAYOUTS_PAID = 'payouts:paid';
export const PAYOUTS_FAILED = 'payouts:failed';
/** Incentives a case decision held before they were paid: out of the payout machine until released. */
export const PAYOUTS_HELD = 'payouts:held';
export const payableAccount = (organisationId: string) => `payable:${organisationId}`;
/**
 * What an organisation or a participant owes the program (money paid out that a case decision
 * found undeserved), as a negative balance like `program:fund`'s: recognising the debt moves the
 * amount back into the fund, and recovering it (netted in a settlement) brings this back to zero.
 */
export const receivableAccount = (partyId: string) => `receivable:${partyId}`;

export type PayoutAccountRow = typeof payoutAccounts.$inferSelect;
export type SettlementRow = typeof settlements.$inferSelect;
export type SettlementItemRow = typeof settlementItems.$inferSelect;
export type IncentiveRow = typeof incentives.$inferSelect;

export async function getPayoutAccount(db: Db, organisationId: string) {
  const [row] = await db
    .select()
    .from(payoutAccounts)
    .where(eq(payoutAccounts.organisationId, organisationId));
  return row ?? null;
}

export async function upsertPayoutAccount(db: Db, row: typeof payoutAccounts.$inferInsert) {
  const [saved] = await db
    .insert(payoutAccounts)
    .values(row)
    .onConflictDoUpdate({
      target: payoutAccounts.organisationId,
      set: {
        providerAccountId: row.providerAccountId,
        destinationKind: row.destinationKind ?? null,
        destinationLabel: row.destinationLabel ?? null,
        status: row.status,
        requirements: row.requirements,
        updatedAt: row.updatedAt,
      },
    })
    .returning();
  if (!saved) throw new Error('payout account upsert returned nothing');
  return saved;
}

export async function getParticipantPayoutAccount(db: Db, participantId: string) {
  const [row] = await db
    .select()
    .from(participantPayoutAccounts)
    .where(eq(participantPayoutAccounts.participantId, participantId));
  return row ?? null;
}

export async function upsertParticipantPayoutAccount(
  db: Db,
  row: typeof participantPayoutAccounts.$inferInsert,
) {
  const [saved] = await db
    .insert(participantPayoutAccounts)
    .values(row)
    .onConflictDoUpdate({
      target: participantPayoutAccounts.participantId,
      set: {
        kind: row.kind,
        label: row.label,
        sealedDestination: row.sealedDestination,
        destinationHash: row.destinationHash ?? null,
        updatedAt: row.updatedAt,
      },
    })
    .returning();
  if (!saved) throw new Error('participant payout account upsert returned nothing');
  return saved;
}

/** Serialises batch creation (one runner at a time, on any number of gateways). */
export async function lockSettlementBatches(db: Db): Promise<void> {
  await db.execute(sql`select pg_advisory_xact_lock(hashtext('latih:settlement-batch'))`);
}

/**
 * The same lock, shared: held by a run's cancellation, which may reverse what a batch accrues.
 * The batch reads payable vouchers without locking them, so the two must not overlap: a
 * cancellation waits for a running batch (and then sees its accruals, to reverse them), and a
 * batch waits for running cancellations (and then no longer sees their vouchers as payable).
 * Cancellations do not wait for each other.
 */
export async function lockSettlementBatchesShared(db: Db): Promise<void> {
  await db.execute(sql`select pg_advisory_xact_lock_shared(hashtext('latih:settlement-batch'))`);
}

export async function getSettlementBatch(db: Db, date: string) {
  const [row] = await db.select().from(settlementBatches).where(eq(settlementBatches.date, date));
  return row ?? null;
}

export async function insertSettlementBatch(db: Db, row: typeof settlementBatches.$inferInsert) {
  await db.insert(settlementBatches).values(row);
}

export type PayableVoucher = {
  voucherId: string;
  providerId: string;
  platformId: string;
  courseId: string;
  price: number;
  status: 'REDEEMED' | 'COMPLETED' | 'NOT_COMPLETED';
  payableOn: 'REDEEMED' | 'COMPLETED';
  commissionBps: number;
  /** When the scheme's event happened: redemption, or the voucher's close. */
  at: Date;
  /** A case decision holds what it pays: its lines are accrued held. */
  heldAt: Date | null;
};

/**
 * Vouchers whose price has not been divided yet and that the scheme makes payable (or forfeit)
 * before `cutoff`: on redemption, or once completed (NOT_COMPLETED ones return to the fund).
 */
export async function findPayableVouchers(db: Db, cutoff: Date, limit: number): Promise<PayableVoucher[]> {
  const at = cutoff.toISOString();
  const rows = await execRows<{
    id: string;
    provider_id: string;
    platform_id: string;
    course_id: string;
    price: number | string;
    status: PayableVoucher['status'];
    payable_on: PayableVoucher['payableOn'];
    bps: number | string;
    at: Date | string;
    settlement_held_at: Date | string | null;
  }>(
    db,
    sql`select v.id, v.provider_id, v.platform_id, v.course_id, v.price, v.status, v.settlement_held_at,
          s.rules->'settlement'->>'payableOn' as payable_on,
          (s.rules->'settlement'->>'platformCommissionBps')::int as bps,
          case when s.rules->'settlement'->>'payableOn' = 'REDEEMED' then v.redeemed_at else v.closed_at end as at
        from vouchers v
        join courses c on c.id = v.course_id
        join schemes s on s.id = c.scheme_id
        where v.status in ('REDEEMED', 'COMPLETED', 'NOT_COMPLETED')
          and not exists (select 1 from settlement_items i where i.voucher_id = v.id)
          and (
            (s.rules->'settlement'->>'payableOn' = 'REDEEMED' and v.redeemed_at < ${at}::timestamptz)
            or (s.rules->'settlement'->>'payableOn' = 'COMPLETED'
                and v.status in ('COMPLETED', 'NOT_COMPLETED') and v.closed_at < ${at}::timestamptz))
        order by v.id
        limit ${limit}`,
  );
  return rows.map((r) => ({
    voucherId: r.id,
    providerId: r.provider_id,
    platformId: r.platform_id,
    courseId: r.course_id,
    price: Number(r.price),
    status: r.status,
    payableOn: r.payable_on,
    commissionBps: Number(r.bps),
    at: new Date(r.at),
    heldAt: r.settlement_held_at === null ? null : new Date(r.settlement_held_at),
  }));
}

/** Inserts line items; a voucher's row that already exists is skipped (accrual happens once). */
export async function insertSettlementItems(db: Db, rows: (typeof settlementItems.$inferInsert)[]) {
  if (rows.length === 0) return [];
  return db
    .insert(settlementItems)
    .values(rows)
    .onConflictDoNothing()
    .returning({ voucherId: settlementItems.voucherId, role: settlementItems.role });
}

/** The accrual lines of these vouchers (not reversals), with the batch date if already settled. */
export async function accrualsOfVouchers(db: Db, voucherIds: string[]) {
  if (voucherIds.length === 0) return [];
  return db
    .select()
    .from(settlementItems)
    .where(
      and(
        inArray(settlementItems.voucherId, voucherIds),
        sql`${settlementItems.basis} not in ('REVERSED', 'VOIDED')`,
      ),
    )
    .orderBy(asc(settlementItems.id));
}

/** A voucher's accrued lines (not the negative ones), locked: a decision is about to undo or hold them. */
export async function accrualsOfVoucherForUpdate(db: Db, voucherId: string) {
  return db
    .select()
    .from(settlementItems)
    .where(
      and(
        eq(settlementItems.voucherId, voucherId),
        sql`${settlementItems.basis} not in ('REVERSED', 'VOIDED')`,
      ),
    )
    .orderBy(asc(settlementItems.id))
    .for('update');
}

/**
 * Holds (a date) or releases (null) what a voucher pays organisations: the voucher is marked, so a
 * later accrual is held too, and its unsettled lines are held now. Returns the lines changed.
 */
export async function setVoucherSettlementHold(
  db: Db,
  voucherId: string,
  heldAt: Date | null,
): Promise<{ marked: boolean; lines: number }> {
  const marked = await execRows<{ id: string }>(
    db,
    sql`update vouchers set settlement_held_at = ${heldAt?.toISOString() ?? null}::timestamptz
        where id = ${voucherId}
          and settlement_held_at is ${heldAt ? sql`null` : sql`not null`}
        returning id`,
  );
  const lines = await execRows<{ id: string }>(
    db,
    sql`update settlement_items set held_at = ${heldAt?.toISOString() ?? null}::timestamptz
        where voucher_id = ${voucherId} and settlement_id is null and role <> 'PROGRAM'
          and held_at is ${heldAt ? sql`null` : sql`not null`}
        returning id`,
  );
  return { marked: marked.length > 0, lines: lines.length };
}

/**
 * Per organisation, what is payable before the cutoff and in no settlement yet (lines held by a
 * case decision left out). An organisation whose lines net to zero or less (a REVERSED or VOIDED
 * line larger than what it earned since) gets no settlement: its lines wait, and are netted
 * against what it earns next. `receivable` is the (negative) part booked as a receivable.
 */
export async function unsettledTotals(db: Db, cutoff: Date) {
  const rows = await execRows<{
    organisation_id: string;
    role: 'PROVIDER' | 'PLATFORM';
    amount: string | number;
    receivable: string | number;
    n: string | number;
  }>(
    db,
    sql`select organisation_id, role, sum(amount) as amount,
          coalesce(sum(amount) filter (where receivable), 0) as receivable, count(*) as n
        from settlement_items
        where settlement_id is null and role <> 'PROGRAM' and held_at is null
          and payable_at < ${cutoff.toISOString()}::timestamptz
        group by organisation_id, role
        having sum(amount) > 0
        order by organisation_id`,
  );
  return rows.map((r) => ({
    organisationId: r.organisation_id,
    role: r.role,
    amount: Number(r.amount),
    receivable: Number(r.receivable),
    itemCount: Number(r.n),
  }));
}

export async function insertSettlement(db: Db, row: typeof settlements.$inferInsert) {
  const [saved] = await db.insert(settlements).values(row).returning();
  if (!saved) throw new Error('settlement insert returned nothing');
  return saved;
}

export async function assignSettlementItems(
  db: Db,
  opts: { settlementId: string; organisationId: string; cutoff: Date },
): Promise<number> {
  const rows = await db
    .update(settlementItems)
    .set({ settlementId: opts.settlementId })
    .where(
      and(
        eq(settlementItems.organisationId, opts.organisationId),
        isNull(settlementItems.settlementId),
        isNull(settlementItems.heldAt),
        sql`${settlementItems.role} <> 'PROGRAM'`,
        lt(settlementItems.payableAt, opts.cutoff),
      ),
    )
    .returning({ id: settlementItems.id });
  return rows.length;
}

export async function getSettlement(db: Db, id: string) {
  const [row] = await db.select().from(settlements).where(eq(settlements.id, id));
  return row ?? null;
}

export async function listSettlementsPage(
  db: Db,
  opts: {
    organisationId?: string | undefined;
    status?: SettlementRow['status'] | undefined;
    batchDate?: string | undefined;
    /** Newest first: rows with an id below this. */
    before?: string | undefined;
    limit: number;
  },
) {
  const where = [
    opts.organisationId ? eq(settlements.organisationId, opts.organisationId) : undefined,
    opts.status ? eq(settlements.status, opts.status) : undefined,
    opts.batchDate ? eq(settlements.batchDate, opts.batchDate) : undefined,
    opts.before ? lt(settlements.id, opts.before) : undefined,
  ].filter((w) => w !== undefined);
  return db
    .select()
    .from(settlements)
    .where(and(...where))
    .orderBy(desc(settlements.id))
    .limit(opts.limit + 1);
}

export async function listSettlementItemsPage(
  db: Db,
  opts: { settlementId: string; after?: number | undefined; limit: number },
) {
  return db
    .select()
    .from(settlementItems)
    .where(
      and(
        eq(settlementItems.settlementId, opts.settlementId),
        opts.after !== undefined ? gt(settlementItems.id, opts.after) : undefined,
      ),
    )
    .orderBy(asc(settlementItems.id))
    .limit(opts.limit + 1);
}

/**
 * Claims due payouts of one table for a worker: the rows' lease is set so that no other worker
 * takes them while this one talks to the payment provider; a crashed worker's lease lapses.
 * Settlements are due when PENDING; incentives when ELIGIBLE and their instalment's day has come.
 */
async function claimDue(
  db: Db,
  table: 'settlements' | 'incentives',
  now: Date,
  limit: number,
  leaseMs: number,
): Promise<string[]> {
  const until = new Date(now.getTime() + leaseMs).toISOString();
  const at = sql`${now.toISOString()}::timestamptz`;
  const due =
    table === 'settlements'
      ? // A suspended organisation's settlements are held: they stay PENDING until it is reinstated.
        sql`status = 'PENDING' and exists (select 1 from organisations o
            where o.id = organisation_id and o.status = 'ACTIVE')`
      : sql`status = 'ELIGIBLE' and due_at <= ${at}`;
  const rows = await execRows<{ id: string }>(
    db,
    sql`update ${sql.identifier(table)} set lease_until = ${until}::timestamptz
        where id in (
          select id from ${sql.identifier(table)}
          where ${due} and next_attempt_at <= ${at}
            and (lease_until is null or lease_until <= ${at})
          order by next_attempt_at
          limit ${limit}
          for update skip locked)
        returning id`,
  );
  return rows.map((r) => r.id);
}

export async function claimDueSettlements(db: Db, now: Date, limit: number, leaseMs: number) {
  const ids = await claimDue(db, 'settlements', now, limit, leaseMs);
  return ids.length === 0 ? [] : db.select().from(settlements).where(inArray(settlements.id, ids));
}

export async function claimDueIncentives(db: Db, now: Date, limit: number, leaseMs: number) {
  const ids = await claimDue(db, 'incentives', now, limit, leaseMs);
  return ids.length === 0 ? [] : db.select().from(incentives).where(inArray(incentives.id, ids));
}

/** Changes a settlement only if it is still in the state the caller saw (and, if given, attempt). */
export async function updateSettlementIf(
  db: Db,
  id: string,
  expect: { status: SettlementRow['status'] | SettlementRow['status'][]; attempt?: number },
  set: Partial<typeof settlements.$inferInsert>,
) {
  const statuses = Array.isArray(expect.status) ? expect.status : [expect.status];
  const [row] = await db
    .update(settlements)
    .set(set)
    .where(
      and(
        eq(settlements.id, id),
        inArray(settlements.status, statuses),
        expect.attempt !== undefined ? eq(settlements.attempt, expect.attempt) : undefined,
      ),
    )
    .returning();
  return row ?? null;
}

export async function updateIncentiveIf(
  db: Db,
  id: string,
  expect: { status: IncentiveRow['status'] | IncentiveRow['status'][]; attempt?: number },
  set: Partial<typeof incentives.$inferInsert>,
) {
  const statuses = Array.isArray(expect.status) ? expect.status : [expect.status];
  const [row] = await db
    .update(incentives)
    .set(set)
    .where(
      and(
        eq(incentives.id, id),
        inArray(incentives.status, statuses),
        expect.attempt !== undefined ? eq(incentives.attempt, expect.attempt) : undefined,
      ),
    )
    .returning();
  return row ?? null;
}

export async function findByPayoutId(db: Db, payoutId: string) {
  const [s] = await db.select().from(settlements).where(eq(settlements.providerPayoutId, payoutId));
  if (s) return { kind: 'settlement' as const, row: s };
  const [i] = await db.select().from(incentives).where(eq(incentives.providerPayoutId, payoutId));
  if (i) return { kind: 'incentive' as const, row: i };
  return null;
}

/** Records a provider webhook once; false when its id was seen before. */
export async function insertPaymentEvent(db: Db, row: typeof paymentEvents.$inferInsert): Promise<boolean> {
  const saved = await db
    .insert(paymentEvents)
    .values(row)
    .onConflictDoNothing()
    .returning({ id: paymentEvents.id });
  return saved.length > 0;
}

export async function paymentEventsSince(db: Db, since: Date) {
  return db.select().from(paymentEvents).where(gt(paymentEvents.receivedAt, since));
}

export async function payoutsSince(db: Db, since: Date) {
  const s = await db
    .select()
    .from(settlements)
    .where(and(gt(settlements.updatedAt, since), sql`${settlements.providerPayoutId} is not null`));
  const i = await db
    .select()
    .from(incentives)
    .where(and(gt(incentives.updatedAt, since), sql`${incentives.providerPayoutId} is not null`));
  return { settlements: s, incentives: i };
}

/* ---------- incentives ---------- */

export type IncentiveCandidate = {
  participantId: string;
  schemeId: string;
  active: boolean;
  amount: number;
  times: number;
  /** The first completed enrollment (by completion time), if any. */
  completedEnrollmentId: string | null;
  /** A completed enrollment that has a review (the first such). */
  reviewedEnrollmentId: string | null;
  hasPayoutAccount: boolean;
  /** The participant's current first instalment row, if any. */
  incentiveId: string | null;
  incentiveStatus: IncentiveRow['status'] | null;
};

const candidateSelect = sql`
  select p.id as participant_id, p.scheme_id, p.status = 'ACTIVE' as active,
    (s.rules->'incentive'->>'amount')::bigint as amount, (s.rules->'incentive'->>'times')::int as times,
    (select e.id from enrollments e where e.participant_id = p.id and e.status = 'COMPLETED'
      order by e.completed_at, e.id limit 1) as completed_enrollment_id,
    (select e.id from enrollments e join reviews r on r.enrollment_id = e.id
      where e.participant_id = p.id and e.status = 'COMPLETED' order by e.completed_at, e.id limit 1)
      as reviewed_enrollment_id,
    exists (select 1 from participant_payout_accounts a where a.participant_id = p.id) as has_payout_account,
    i.id as incentive_id, i.status as incentive_status
  from participants p
  join schemes s on s.id = p.scheme_id
  left join incentives i on i.participant_id = p.id and i.kind = 'COMPLETION' and i.instalment = 1`;

type CandidateRow = {
  participant_id: string;
  scheme_id: string;
  active: boolean;
  amount: number | string;
  times: number | string;
  completed_enrollment_id: string | null;
  reviewed_enrollment_id: string | null;
  has_payout_account: boolean;
  incentive_id: string | null;
  incentive_status: IncentiveRow['status'] | null;
};

function toCandidate(r: CandidateRow): IncentiveCandidate {
  return {
    participantId: r.participant_id,
    schemeId: r.scheme_id,
    active: r.active,
    amount: Number(r.amount),
    times: Number(r.times),
    completedEnrollmentId: r.completed_enrollment_id,
    reviewedEnrollmentId: r.reviewed_enrollment_id,
    hasPayoutAccount: r.has_payout_account,
    incentiveId: r.incentive_id,
    incentiveStatus: r.incentive_status,
  };
}

/**
 * Participants worth evaluating: those with a completed training and no incentive decided yet
 * (no row, or a WAITING one), after `afterId`, in id order. Or exactly the ones named.
 */
export async function incentiveCandidates(
  db: Db,
  opts: { participantIds?: string[]; afterId?: string; limit: number },
): Promise<IncentiveCandidate[]> {
  if (opts.participantIds) {
    if (opts.participantIds.length === 0) return [];
    const rows = await execRows<CandidateRow>(
      db,
      sql`${candidateSelect} where p.id in (${sql.join(
        opts.participantIds.map((id) => sql`${id}`),
        sql`, `,
      )})`,
    );
    return rows.map(toCandidate);
  }
  const rows = await execRows<CandidateRow>(
    db,
    sql`${candidateSelect}
        where (i.id is null or i.status = 'WAITING')
          and p.id > ${opts.afterId ?? ''}
          and exists (select 1 from enrollments e where e.participant_id = p.id and e.status = 'COMPLETED')
        order by p.id
        limit ${opts.limit}`,
  );
  return rows.map(toCandidate);
}

export async function insertIncentives(db: Db, rows: (typeof incentives.$inferInsert)[]) {
  if (rows.length === 0) return [];
  return db.insert(incentives).values(rows).onConflictDoNothing().returning();
}

export async function getIncentive(db: Db, id: string) {
  const [row] = await db.select().from(incentives).where(eq(incentives.id, id));
  return row ?? null;
}

/** The instalments an enrollment made eligible, locked: a decision is about to hold or reverse them. */
export async function incentivesOfEnrollmentForUpdate(db: Db, enrollmentId: string) {
  return db
    .select()
    .from(incentives)
    .where(eq(incentives.enrollmentId, enrollmentId))
    .orderBy(asc(incentives.instalment))
    .for('update');
}

export async function incentivesOfParticipant(db: Db, participantId: string) {
  return db
    .select()
    .from(incentives)
    .where(eq(incentives.participantId, participantId))
    .orderBy(asc(incentives.kind), asc(incentives.instalment));
}

export async function listIncentivesPage(
  db: Db,
  opts: {
    status?: IncentiveRow['status'] | undefined;
    participantId?: string | undefined;
    before?: string | undefined;
    limit: number;
  },
) {
  const where = [
    opts.status ? eq(incentives.status, opts.status) : undefined,
    opts.participantId ? eq(incentives.participantId, opts.participantId) : undefined,
    opts.before ? lt(incentives.id, opts.before) : undefined,
  ].filter((w) => w !== undefined);
  return db
    .select()
    .from(incentives)
    .where(and(...where))
    .orderBy(desc(incentives.id))
    .limit(opts.limit + 1);
}

/**
 * Settlements and incentives whose money is not where their state says: each must have exactly
 * its amount in `payouts:{state}` (ELIGIBLE counts as pending, DISBURSING as in transit) and
 * nothing left in any other payouts account. Empty when the books agree with the states.
 */
export async function payoutLedgerMismatches(db: Db): Promise<{ id: string; status: string }[]> {
  return execRows<{ id: string; status: string }>(
    db,
    sql`with s as (
          select id, amount, lower(status) as state from settlements
          union all
          select id, amount,
            case status when 'ELIGIBLE' then 'pending' when 'DISBURSING' then 'in_transit' else lower(status) end
          from incentives where status <> 'WAITING'),
        l as (
          select t.reference, e.account, sum(e.amount) as sum
          from ledger_entries e join ledger_transactions t on t.id = e.transaction_id
          where e.account like 'payouts:%'
          group by t.reference, e.account
          having sum(e.amount) <> 0)
        select s.id, s.state as status from s left join l on l.reference = s.id
        group by s.id, s.amount, s.state
        having case when s.state = 'cancelled' then count(l.account) <> 0
          else count(l.account) <> 1 or max(l.account) <> 'payouts:' || s.state or max(l.sum) <> s.amount end`,
  );
}

/**
 * Accounts whose balance differs from what the rows say it must be: an organisation's payable
 * account holds its unsettled lines, its receivable account its unsettled recovery lines; a
 * participant's receivable holds the paid incentives recorded for recovery and not since returned
 * by the bank and cancelled. Empty when the books agree with the settlement lines and incentives.
 */
export async function receivableLedgerMismatches(
  db: Db,
): Promise<{ account: string; ledger: number; expected: number }[]> {
  const rows = await execRows<{ account: string; ledger: string | number; expected: string | number }>(
    db,
    sql`with expected as (
          select 'payable:' || organisation_id as account, sum(amount) filter (where not receivable) as amount
          from settlement_items where settlement_id is null and organisation_id is not null
          group by organisation_id
          union all
          select 'receivable:' || organisation_id, sum(amount) filter (where receivable)
          from settlement_items where settlement_id is null and organisation_id is not null
          group by organisation_id
          union all
          select 'receivable:' || participant_id, -sum(amount)
          from incentives where recovery_due_at is not null and status <> 'CANCELLED'
          group by participant_id),
        ledger as (
          select account, sum(amount) as amount from ledger_entries
          where account like 'payable:%' or account like 'receivable:%'
          group by account)
        select coalesce(e.account, l.account) as account, coalesce(l.amount, 0) as ledger,
          coalesce(e.amount, 0) as expected
        from expected e full join ledger l on l.account = e.account
        where coalesce(l.amount, 0) <> coalesce(e.amount, 0)`,
  );
  return rows.map((r) => ({ account: r.account, ledger: Number(r.ledger), expected: Number(r.expected) }));
}

type CaseDecision = { id: string; decision: { outcome: string; reason: string; at: string } };
export type LineReasonRecord = {
  voucherId: string;
  runId: string | null;
  cancellation: { reason: string; at: string } | null;
  /** The latest decided case that voided the completion, and the latest that held the lines. */
  voided: CaseDecision | null;
  held: CaseDecision | null;
};

/**
 * Why lines of these vouchers were clawed back or held: the run's cancellation, and the latest
 * decided control case of each kind naming the voucher's enrollment (as its subject or in its
 * selection).
 */
export async function lineReasons(db: Db, voucherIds: string[]): Promise<Map<string, LineReasonRecord>> {
  if (voucherIds.length === 0) return new Map();
  const latest = (outcome: string) => sql`(
      select jsonb_build_object('id', cc.id, 'decision', cc.decision) from control_cases cc
      where cc.status = 'DECIDED' and e.id is not null and cc.decision->>'outcome' = ${outcome}
        and ((cc.subject_type = 'ENROLLMENT' and cc.subject_id = e.id)
          or cc.id in (select ce.case_id from case_enrollments ce where ce.enrollment_id = e.id))
      order by cc.decision->>'at' desc limit 1)`;
  const rows = await execRows<{
    voucher_id: string;
    run_id: string | null;
    cancellation: LineReasonRecord['cancellation'] | string | null;
    voided: CaseDecision | string | null;
    held: CaseDecision | string | null;
  }>(
    db,
    sql`select v.id as voucher_id, v.run_id, r.cancellation,
          ${latest('VOID_COMPLETION')} as voided, ${latest('HOLD_SETTLEMENT_LINES')} as held
        from vouchers v
        left join runs r on r.id = v.run_id
        left join enrollments e on e.voucher_id = v.id
        where v.id = any(string_to_array(${voucherIds.join(',')}, ','))`,
  );
  const json = <T>(v: T | string | null): T | null => (typeof v === 'string' ? (JSON.parse(v) as T) : v);
  return new Map(
    rows.map((r) => [
      r.voucher_id,
      {
        voucherId: r.voucher_id,
        runId: r.run_id,
        cancellation: json(r.cancellation),
        voided: json(r.voided),
        held: json(r.held),
      },
    ]),
  );
}

/** An organisation's lines held by a case decision and not yet settled. */
export async function heldLinesOf(db: Db, organisationId: string) {
  return db
    .select()
    .from(settlementItems)
    .where(
      and(
        eq(settlementItems.organisationId, organisationId),
        isNotNull(settlementItems.heldAt),
        isNull(settlementItems.settlementId),
      ),
    )
    .orderBy(asc(settlementItems.id))
    .limit(1000);
}
