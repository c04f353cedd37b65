import { type TVoucher, type TVoucherCloseReason, VOUCHER_CLOSE_REASONS } from '@latih/contracts';
import { and, asc, desc, eq, gte, inArray, lt, sql } from 'drizzle-orm';
import type { Db } from '../client';
import { checkouts, enrollments, participants, runs, vouchers } from '../schema';
import { decodeCursor, toPage } from './cursor';

export type CheckoutRow = typeof checkouts.$inferSelect;
export type VoucherRow = typeof vouchers.$inferSelect;

export function toVoucher(v: VoucherRow): TVoucher {
  return {
    id: v.id,
    codeLast4: v.codeLast4,
    status: v.status,
    participantId: v.participantId,
    courseId: v.courseId,
    runId: v.runId,
    providerId: v.providerId,
    price: v.price,
    expiresAt: v.expiresAt.toISOString(),
    issuedAt: v.issuedAt.toISOString(),
    closedAt: v.closedAt?.toISOString() ?? null,
    closeReason: closeReasonOf(v.closeReason),
  };
}

function closeReasonOf(value: string | null): TVoucherCloseReason | null {
  return (VOUCHER_CLOSE_REASONS as readonly string[]).includes(value ?? '')
    ? (value as TVoucherCloseReason)
    : null;
}

export async function insertCheckout(db: Db, values: typeof checkouts.$inferInsert): Promise<CheckoutRow> {
  const [row] = await db.insert(checkouts).values(values).returning();
  if (!row) throw new Error('insert into checkouts returned no row');
  return row;
}

export async function findCheckoutForUpdate(db: Db, id: string, platformId: string) {
  const [row] = await db
    .select()
    .from(checkouts)
    .where(and(eq(checkouts.id, id), eq(checkouts.platformId, platformId)))
    .limit(1)
    .for('update');
  return row;
}

export async function updateCheckout(db: Db, id: string, values: Partial<typeof checkouts.$inferInsert>) {
  const [row] = await db.update(checkouts).set(values).where(eq(checkouts.id, id)).returning();
  if (!row) throw new Error(`checkout ${id} vanished`);
  return row;
}

/** Debits atomically; no row when the balance does not cover it (never below zero). */
export async function debitBalance(db: Db, participantId: string, amount: number) {
  const [row] = await db
    .update(participants)
    .set({ balance: sql`${participants.balance} - ${amount}` })
    .where(and(eq(participants.id, participantId), gte(participants.balance, amount)))
    .returning({ balance: participants.balance });
  return row;
}

/** Takes a seat of an OPEN run atomically; no row when none is left (never oversold). */
export async function takeSeat(db: Db, runId: string) {
  const [row] = await db
    .update(runs)
    .set({
      seatsTaken: sql`${runs.seatsTaken} + 1`,
      status: sql`case when ${runs.seatsTaken} + 1 >= ${runs.capacity} then 'FULL' else 'OPEN' end`,
      updatedAt: sql`now()`,
    })
    .where(and(eq(runs.id, runId), eq(runs.status, 'OPEN'), lt(runs.seatsTaken, runs.capacity)))
    .returning({
      status: runs.status,
      seatsTaken: runs.seatsTaken,
      providerId: runs.providerId,
      courseId: runs.courseId,
    });
  return row;
}

/** Gives seats back (one unless told); a FULL run opens again. */
export async function releaseSeat(db: Db, runId: string, seats = 1) {
  const [row] = await db
    .update(runs)
    .set({
      seatsTaken: sql`greatest(${runs.seatsTaken} - ${seats}, 0)`,
      status: sql`case when ${runs.status} = 'FULL' then 'OPEN' else ${runs.status} end`,
      updatedAt: sql`now()`,
    })
    .where(eq(runs.id, runId))
    .returning({ status: runs.status, providerId: runs.providerId, courseId: runs.courseId });
  return row;
}

export async function insertVoucher(db: Db, values: typeof vouchers.$inferInsert): Promise<VoucherRow> {
  const [row] = await db.insert(vouchers).values(values).returning();
  if (!row) throw new Error('insert into vouchers returned no row');
  return row;
}

export async function activeVoucherFor(db: Db, participantId: string, courseId: string) {
  const [row] = await db
    .select({ id: vouchers.id })
    .from(vouchers)
    .where(
      and(
        eq(vouchers.participantId, participantId),
        eq(vouchers.courseId, courseId),
        sql`${vouchers.status} in ('ISSUED', 'REDEEMED', 'COMPLETED')`,
      ),
    )
    .limit(1);
  return row;
}

export async function findVoucher(
  db: Db,
  id: string,
  scope: { platformId?: string },
  opts: { forUpdate?: boolean } = {},
) {
  const q = db
    .select()
    .from(vouchers)
    .where(and(eq(vouchers.id, id), scope.platformId ? eq(vouchers.platformId, scope.platformId) : undefined))
    .limit(1);
  const [row] = opts.forUpdate ? await q.for('update') : await q;
  return row;
}

/** Closes an ISSUED voucher; no row when it is no longer ISSUED (a concurrent redeem won). */
export async function closeIssuedVoucher(
  db: Db,
  id: string,
  status: 'CANCELLED' | 'EXPIRED',
  at: Date,
  reason: TVoucherCloseReason | null = null,
) {
  const [row] = await db
    .update(vouchers)
    .set({ status, closedAt: at, closeReason: reason })
    .where(and(eq(vouchers.id, id), eq(vouchers.status, 'ISSUED')))
    .returning();
  return row;
}

export async function listVouchers(
  db: Db,
  input: { status?: VoucherRow['status'] | undefined; limit: number; cursor?: string | undefined },
  scope: { platformId: string },
) {
  const rows = await db
    .select()
    .from(vouchers)
    .where(
      and(
        eq(vouchers.platformId, scope.platformId),
        input.status ? eq(vouchers.status, input.status) : undefined,
        input.cursor ? lt(vouchers.id, decodeCursor(input.cursor)) : undefined,
      ),
    )
    .orderBy(desc(vouchers.id))
    .limit(input.limit + 1);
  return toPage(rows, input.limit, (r) => r.id, toVoucher);
}

/** ISSUED vouchers past their deadline, oldest first, claimed (rows another worker holds are skipped). */
export async function dueVouchers(db: Db, now: Date, limit = 500) {
  return db
    .select()
    .from(vouchers)
    .where(and(eq(vouchers.status, 'ISSUED'), lt(vouchers.expiresAt, now)))
    .orderBy(asc(vouchers.expiresAt))
    .limit(limit)
    .for('update', { skipLocked: true });
}

export async function dueBalances(db: Db, now: Date, limit = 500) {
  return db
    .select({ id: participants.id, balance: participants.balance })
    .from(participants)
    .where(and(lt(participants.purchaseDeadline, now), sql`${participants.balance} > 0`))
    .orderBy(asc(participants.id))
    .limit(limit)
    .for('update', { skipLocked: true });
}

/**
 * Locks the given runs without waiting: the ids of those locked (a run another transaction holds,
 * say one being cancelled, is left out). Used by work that already holds voucher rows, which must
 * never wait for a run: a run's cancellation locks the run first and its vouchers after.
 */
export async function lockRunsNoWait(db: Db, runIds: string[]): Promise<Set<string>> {
  if (runIds.length === 0) return new Set();
  const rows = await db
    .select({ id: runs.id })
    .from(runs)
    .where(inArray(runs.id, runIds))
    .orderBy(asc(runs.id))
    .for('no key update', { skipLocked: true });
  return new Set(rows.map((r) => r.id));
}

/* ---------- a run's cancellation ---------- */

/*
 * Lock order, shared by everything that changes these rows, so that no two of them can deadlock:
 * run → enrollments → vouchers → participants (each set in id order). Row locks are taken FOR NO
 * KEY UPDATE: they still exclude each other and every UPDATE, but not the key-share locks that
 * inserting a row with a foreign key takes (a redemption inserting its enrollment must not wait
 * for the run while holding its voucher).
 */

export type EnrollmentLockRow = typeof enrollments.$inferSelect;

/** The run's enrollments, locked (those that exist now; see lockEnrollmentsOfVouchers). */
export async function lockRunEnrollments(db: Db, runId: string): Promise<EnrollmentLockRow[]> {
  return db
    .select()
    .from(enrollments)
    .where(eq(enrollments.runId, runId))
    .orderBy(asc(enrollments.id))
    .for('no key update');
}

/** The enrollments of these vouchers, locked (redeemed after the run's enrollments were locked). */
export async function lockEnrollmentsOfVouchers(db: Db, voucherIds: string[]): Promise<EnrollmentLockRow[]> {
  if (voucherIds.length === 0) return [];
  return db
    .select()
    .from(enrollments)
    .where(inArray(enrollments.voucherId, voucherIds))
    .orderBy(asc(enrollments.id))
    .for('no key update');
}

/**
 * The run's vouchers that still hold a seat (ISSUED, REDEEMED, or with an outcome), locked. Called
 * after the run is locked: a confirmation that sold a seat has committed by then (taking the seat
 * updates the run row, so the two serialise) and its voucher is seen here; one that comes later
 * finds the run CANCELLED. A redemption or completion in flight is waited for, and its voucher seen
 * as it left it.
 */
export async function lockRunVouchers(db: Db, runId: string): Promise<VoucherRow[]> {
  return db
    .select()
    .from(vouchers)
    .where(
      and(
        eq(vouchers.runId, runId),
        inArray(vouchers.status, ['ISSUED', 'REDEEMED', 'COMPLETED', 'NOT_COMPLETED']),
      ),
    )
    .orderBy(asc(vouchers.id))
    .for('no key update');
}

/** ISSUED or REDEEMED → CANCELLED for the run's cancellation (the only way out of REDEEMED but an outcome). */
export async function cancelOpenVouchers(
  db: Db,
  ids: string[],
  at: Date,
  reason: TVoucherCloseReason,
): Promise<VoucherRow[]> {
  if (ids.length === 0) return [];
  return db
    .update(vouchers)
    .set({ status: 'CANCELLED', closedAt: at, closeReason: reason })
    .where(and(inArray(vouchers.id, ids), inArray(vouchers.status, ['ISSUED', 'REDEEMED'])))
    .returning();
}

/** IN_TRAINING → WITHDRAWN, with why. */
export async function withdrawEnrollments(db: Db, ids: string[], reason: string) {
  if (ids.length === 0) return [];
  return db
    .update(enrollments)
    .set({ status: 'WITHDRAWN', endReason: reason })
    .where(and(inArray(enrollments.id, ids), eq(enrollments.status, 'IN_TRAINING')))
    .returning();
}

/** Participants about to be refunded, locked in id order. */
export async function lockParticipantsForRefund(db: Db, ids: string[]) {
  if (ids.length === 0) return [];
  return db
    .select({
      id: participants.id,
      schemeId: participants.schemeId,
      purchaseDeadline: participants.purchaseDeadline,
    })
    .from(participants)
    .where(inArray(participants.id, [...new Set(ids)]))
    .orderBy(asc(participants.id))
    .for('no key update');
}

/** Credits a refund and, when given, moves the purchase deadline (to give the refund time to be spent). */
export async function refundParticipant(db: Db, id: string, amount: number, purchaseDeadline: Date | null) {
  const [row] = await db
    .update(participants)
    .set({
      balance: sql`${participants.balance} + ${amount}`,
      ...(purchaseDeadline ? { purchaseDeadline } : {}),
    })
    .where(eq(participants.id, id))
    .returning({ balance: participants.balance, purchaseDeadline: participants.purchaseDeadline });
  if (!row) throw new Error(`participant ${id} vanished during a refund`);
  return row;
}
