import type { TVoucher } from '@latih/contracts';
import { and, desc, eq, gte, lt, sql } from 'drizzle-orm';
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
  };
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

export async function creditBalance(db: Db, participantId: string, amount: number) {
  const [row] = await db
    .update(participants)
    .set({ balance: sql`${participants.balance} + ${amount}` })
    .where(eq(participants.id, participantId))
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

/** Gives a seat back; a FULL run opens again. */
export async function releaseSeat(db: Db, runId: string) {
  const [row] = await db
    .update(runs)
    .set({
      seatsTaken: sql`greatest(${runs.seatsTaken} - 1, 0)`,
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
export async function closeIssuedVoucher(db: Db, id: string, status: 'CANCELLED' | 'EXPIRED', at: Date) {
  const [row] = await db
    .update(vouchers)
    .set({ status, closedAt: at })
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

export async function dueVouchers(db: Db, now: Date, limit = 500) {
  return db
    .select()
    .from(vouchers)
    .where(and(eq(vouchers.status, 'ISSUED'), lt(vouchers.expiresAt, now)))
    .limit(limit)
    .for('update', { skipLocked: true });
}

export async function dueBalances(db: Db, now: Date, limit = 500) {
  return db
    .select({ id: participants.id, balance: participants.balance })
    .from(participants)
    .where(and(lt(participants.purchaseDeadline, now), sql`${participants.balance} > 0`))
    .limit(limit)
    .for('update', { skipLocked: true });
}

export async function findVoucherByCodeHash(db: Db, codeHash: string, opts: { forUpdate?: boolean } = {}) {
  const q = db.select().from(vouchers).where(eq(vouchers.codeHash, codeHash)).limit(1);
  const [row] = opts.forUpdate ? await q.for('update') : await q;
  return row;
}

/** ISSUED → REDEEMED, exactly once: no row when it is not ISSUED any more (a concurrent redeem or cancel won). */
export async function markRedeemed(db: Db, id: string, at: Date) {
  const [row] = await db
    .update(vouchers)
    .set({ status: 'REDEEMED', redeemedAt: at })
    .where(and(eq(vouchers.id, id), eq(vouchers.status, 'ISSUED')))
    .returning();
  return row;
}

export async function insertEnrollment(db: Db, values: typeof enrollments.$inferInsert) {
  const [row] = await db.insert(enrollments).values(values).returning();
  if (!row) throw new Error('insert into enrollments returned no row');
  return row;
}
