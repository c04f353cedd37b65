import { and, eq, lt, or, sql } from 'drizzle-orm';
import type { Db } from '../client';
import { idempotencyKeys } from '../schema';

export type IdempotencyRecord = typeof idempotencyKeys.$inferSelect;

/**
 * Claims (client, key) for a new attempt. Succeeds when the key is new, when its record has
 * expired, or when an earlier attempt with the same request died holding it (lockedUntil passed).
 * Returns the existing record otherwise, for the caller to replay or refuse.
 */
export async function claimIdempotencyKey(
  db: Db,
  v: {
    clientId: string;
    key: string;
    procedure: string;
    requestHash: string;
    lockedUntil: Date;
    expiresAt: Date;
  },
): Promise<{ claimed: true } | { claimed: false; existing: IdempotencyRecord | undefined }> {
  const t = idempotencyKeys;
  const rows = await db
    .insert(t)
    .values({ ...v, status: 'IN_PROGRESS' })
    .onConflictDoUpdate({
      target: [t.clientId, t.key],
      set: {
        procedure: v.procedure,
        requestHash: v.requestHash,
        status: 'IN_PROGRESS',
        lockedUntil: v.lockedUntil,
        expiresAt: v.expiresAt,
        createdAt: sql`now()`,
        responseStatus: null,
        responseBody: null,
      },
      setWhere: or(
        lt(t.expiresAt, sql`now()`),
        and(eq(t.status, 'IN_PROGRESS'), lt(t.lockedUntil, sql`now()`), eq(t.requestHash, v.requestHash)),
      ),
    })
    .returning({ key: t.key });
  if (rows.length > 0) return { claimed: true };
  const [existing] = await db
    .select()
    .from(t)
    .where(and(eq(t.clientId, v.clientId), eq(t.key, v.key)))
    .limit(1);
  return { claimed: false, existing };
}

export async function completeIdempotencyKey(
  db: Db,
  v: { clientId: string; key: string; responseStatus: number; responseBody: unknown },
): Promise<void> {
  await db
    .update(idempotencyKeys)
    .set({ status: 'COMPLETED', responseStatus: v.responseStatus, responseBody: v.responseBody })
    .where(and(eq(idempotencyKeys.clientId, v.clientId), eq(idempotencyKeys.key, v.key)));
}

/** Frees a key whose attempt failed without effect, so that a retry runs again. */
export async function releaseIdempotencyKey(db: Db, v: { clientId: string; key: string }): Promise<void> {
  await db
    .delete(idempotencyKeys)
    .where(
      and(
        eq(idempotencyKeys.clientId, v.clientId),
        eq(idempotencyKeys.key, v.key),
        eq(idempotencyKeys.status, 'IN_PROGRESS'),
      ),
    );
}

export async function deleteExpiredIdempotencyKeys(db: Db, now: Date): Promise<number> {
  const rows = await db
    .delete(idempotencyKeys)
    .where(lt(idempotencyKeys.expiresAt, now))
    .returning({ key: idempotencyKeys.key });
  return rows.length;
}
