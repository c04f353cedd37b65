import { randomBytes } from 'node:crypto';
import { and, eq, inArray, lt, or, sql } from 'drizzle-orm';
import type { Db } from '../client';
import { idempotencyKeys } from '../schema';

export type IdempotencyRecord = typeof idempotencyKeys.$inferSelect;

/** The attempt that claimed a key: only it may complete or release the key (a fencing token). */
export type IdempotencyAttempt = { clientId: string; key: string; attempt: string };

const t = idempotencyKeys;
const byKey = (v: { clientId: string; key: string }) => and(eq(t.clientId, v.clientId), eq(t.key, v.key));
const owned = (v: IdempotencyAttempt) => and(byKey(v), eq(t.attempt, v.attempt));

/**
 * The key's row, locked for the statement only if no other transaction holds it (a running
 * attempt holds its row FOR UPDATE, see `holdIdempotencyKey`; FOR KEY SHARE conflicts only with
 * that, so concurrent readers of the same key do not get in each other's way). Empty when the row
 * is held, or gone.
 */
function unheld(db: Db, v: { clientId: string; key: string }) {
  return db.select().from(t).where(byKey(v)).for('key share', { skipLocked: true });
}

/**
 * Claims (client, key) for a new attempt. Succeeds when the key is new, when its record has
 * expired, or when an earlier attempt with the same request died holding it (its lock passed and
 * no transaction holds its row). Every claim writes a new random fencing token into `attempt` and
 * returns it. Otherwise returns the existing record (for the caller to replay or refuse) and whether
 * a live transaction holds it (`held`: its attempt is running, as opposed to between its claim and its
 * transaction, or dead).
 *
 * Times are compared with `now`, the caller's clock, the same one that wrote `lockedUntil` and
 * `expiresAt` (never SQL `now()`: a sandbox test clock runs ahead of the database's).
 * Never waits for another transaction: a retry must hear IDEMPOTENCY_IN_PROGRESS at once.
 */
export async function claimIdempotencyKey(
  db: Db,
  v: {
    clientId: string;
    key: string;
    procedure: string;
    requestHash: string;
    now: Date;
    lockedUntil: Date;
    expiresAt: Date;
  },
): Promise<
  | { claimed: true; attempt: string }
  | { claimed: false; existing: IdempotencyRecord | undefined; held: boolean }
> {
  const attempt = randomBytes(16).toString('base64url');
  const fresh = {
    procedure: v.procedure,
    requestHash: v.requestHash,
    status: 'IN_PROGRESS' as const,
    lockedUntil: v.lockedUntil,
    expiresAt: v.expiresAt,
    attempt,
    createdAt: v.now,
    responseStatus: null,
    responseBody: null,
  };
  const inserted = await db
    .insert(t)
    .values({ clientId: v.clientId, key: v.key, ...fresh })
    .onConflictDoNothing()
    .returning({ key: t.key });
  if (inserted.length > 0) return { claimed: true, attempt };

  const [seen] = await unheld(db, v);
  if (!seen) {
    // Held by a running attempt (or deleted meanwhile by the expiry sweep: then undefined).
    const [existing] = await db.select().from(t).where(byKey(v)).limit(1);
    return { claimed: false, existing, held: existing !== undefined };
  }
  const expired = lt(t.expiresAt, v.now);
  const abandoned = and(
    eq(t.status, 'IN_PROGRESS'),
    lt(t.lockedUntil, v.now),
    eq(t.requestHash, v.requestHash),
  );
  const takeable = (r: IdempotencyRecord) =>
    r.expiresAt < v.now ||
    (r.status === 'IN_PROGRESS' && r.lockedUntil < v.now && r.requestHash === v.requestHash);
  if (!takeable(seen)) return { claimed: false, existing: seen, held: false };

  // Take it over: the conditions are checked again on the row as it is now, and a row that another
  // transaction holds meanwhile (a concurrent takeover, or its attempt starting) is skipped, not awaited.
  const taken = await db
    .update(t)
    .set(fresh)
    .where(
      and(
        byKey(v),
        or(expired, abandoned),
        inArray(t.key, db.select({ key: t.key }).from(t).where(byKey(v)).for('update', { skipLocked: true })),
      ),
    )
    .returning({ key: t.key });
  if (taken.length > 0) return { claimed: true, attempt };
  const [existing] = await db.select().from(t).where(byKey(v)).limit(1);
  // Someone else was taking it over at the same instant, or its attempt just started.
  return { claimed: false, existing, held: existing !== undefined };
}

/**
 * Called first inside the attempt's transaction: locks the key's row until that transaction ends,
 * if the row still carries this attempt's token. False when another attempt has taken the key over
 * (this one was too slow between its claim and its transaction): it must not run.
 *
 * The lock is what makes a running attempt safe from takeover however long it runs: a claim never
 * takes over a row another transaction holds (it skips it), and PostgreSQL drops the lock the moment
 * the attempt's transaction ends, committed, rolled back, or its connection gone with a crash.
 */
export async function holdIdempotencyKey(tx: Db, v: IdempotencyAttempt): Promise<boolean> {
  const rows = await tx
    .select({ key: t.key })
    .from(t)
    .where(and(owned(v), eq(t.status, 'IN_PROGRESS')))
    .for('update');
  return rows.length > 0;
}

/**
 * Stores the attempt's answer, only if the key still carries its token. False when another attempt
 * owns the key now: its answer (stored or to come) is the one a replay gives.
 */
export async function completeIdempotencyKey(
  db: Db,
  v: IdempotencyAttempt & { responseStatus: number; responseBody: unknown; expiresAt?: Date },
): Promise<boolean> {
  const rows = await db
    .update(t)
    .set({
      status: 'COMPLETED',
      responseStatus: v.responseStatus,
      responseBody: v.responseBody,
      ...(v.expiresAt ? { expiresAt: v.expiresAt } : {}),
    })
    .where(and(owned(v), eq(t.status, 'IN_PROGRESS')))
    .returning({ key: t.key });
  return rows.length > 0;
}

/**
 * Frees a key whose attempt failed without effect, so that a retry runs again; only the attempt
 * that owns the key may (a late attempt must not delete the key of the one that took it over).
 */
export async function releaseIdempotencyKey(db: Db, v: IdempotencyAttempt): Promise<boolean> {
  const rows = await db
    .delete(t)
    .where(and(owned(v), eq(t.status, 'IN_PROGRESS')))
    .returning({ key: t.key });
  return rows.length > 0;
}

/** At most this many keys go per `deleteExpiredIdempotencyKeys` call. */
export const IDEMPOTENCY_DELETE_BATCH = 5000;

/**
 * Deletes up to `limit` keys that expired before `now` (the caller's clock), oldest first, and
 * returns how many: a backlog goes in bounded statements (call again while it returns `limit`).
 * Rows a running attempt holds are skipped, never awaited.
 */
export async function deleteExpiredIdempotencyKeys(
  db: Db,
  now: Date,
  limit = IDEMPOTENCY_DELETE_BATCH,
): Promise<number> {
  const batch = db
    .select({ clientId: t.clientId, key: t.key })
    .from(t)
    .where(lt(t.expiresAt, now))
    .orderBy(t.expiresAt)
    .limit(limit)
    .for('update', { skipLocked: true });
  const rows = await db.delete(t).where(sql`(${t.clientId}, ${t.key}) in ${batch}`).returning({ key: t.key });
  return rows.length;
}
