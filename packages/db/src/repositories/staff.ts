import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import { type Db, execRows } from '../client';
import { organisations, staffSessions, staffUsers } from '../schema';

export type StaffUserRow = typeof staffUsers.$inferSelect;

export async function insertStaffUser(db: Db, values: typeof staffUsers.$inferInsert) {
  const [row] = await db.insert(staffUsers).values(values).onConflictDoNothing().returning();
  return row;
}

export async function findStaffById(db: Db, id: string) {
  const [row] = await db.select().from(staffUsers).where(eq(staffUsers.id, id)).limit(1);
  return row;
}

export async function findStaffByEmail(db: Db, email: string) {
  const [row] = await db.select().from(staffUsers).where(eq(staffUsers.email, email.toLowerCase())).limit(1);
  return row;
}

/**
 * One wrong password, counted atomically (concurrent attempts each count): at `max` in a row the
 * account is locked until `lockUntil` and the count starts again.
 */
export async function recordFailedSignIn(db: Db, id: string, max: number, lockUntil: Date) {
  const [row] = await execRows<{ failed_sign_ins: number; locked_until: Date | string | null }>(
    db,
    sql`update staff_users set
          failed_sign_ins = case when failed_sign_ins + 1 >= ${max} then 0 else failed_sign_ins + 1 end,
          locked_until = case when failed_sign_ins + 1 >= ${max} then ${lockUntil.toISOString()}::timestamptz
                              else locked_until end
        where id = ${id}
        returning failed_sign_ins, locked_until`,
  );
  return row ? { lockedUntil: row.locked_until ? new Date(row.locked_until) : null } : undefined;
}

export async function resetFailedSignIns(db: Db, id: string) {
  await db.update(staffUsers).set({ failedSignIns: 0, lockedUntil: null }).where(eq(staffUsers.id, id));
}

export async function insertStaffSession(db: Db, values: typeof staffSessions.$inferInsert) {
  await db.insert(staffSessions).values(values);
}

/** A live session's user: not revoked, not expired, account not disabled. */
export async function findLiveStaffSession(db: Db, tokenHash: string, now: Date) {
  const [row] = await db
    .select({
      session: staffSessions,
      user: staffUsers,
      organisation: { id: organisations.id, name: organisations.name, kind: organisations.kind },
    })
    .from(staffSessions)
    .innerJoin(staffUsers, eq(staffUsers.id, staffSessions.staffId))
    .innerJoin(organisations, eq(organisations.id, staffUsers.organisationId))
    .where(
      and(
        eq(staffSessions.tokenHash, tokenHash),
        isNull(staffSessions.revokedAt),
        sql`${staffSessions.expiresAt} > ${now.toISOString()}::timestamptz`,
        isNull(staffUsers.disabledAt),
      ),
    )
    .limit(1);
  return row;
}

export async function revokeStaffSession(db: Db, tokenHash: string, at: Date) {
  const rows = await db
    .update(staffSessions)
    .set({ revokedAt: at })
    .where(and(eq(staffSessions.tokenHash, tokenHash), isNull(staffSessions.revokedAt)))
    .returning({ staffId: staffSessions.staffId });
  return rows[0];
}

/** A new password (hash) for an account: the lockout is cleared with it. */
export async function setStaffPassword(db: Db, id: string, passwordHash: string) {
  await db
    .update(staffUsers)
    .set({ passwordHash, failedSignIns: 0, lockedUntil: null })
    .where(eq(staffUsers.id, id));
}

export async function disableStaffUserRow(db: Db, id: string, at: Date) {
  await db.update(staffUsers).set({ disabledAt: at }).where(eq(staffUsers.id, id));
}

/** Ends every live session of an account (after a password reset or when it is disabled). */
export async function revokeAllStaffSessions(db: Db, staffId: string, at: Date): Promise<number> {
  const rows = await db
    .update(staffSessions)
    .set({ revokedAt: at })
    .where(and(eq(staffSessions.staffId, staffId), isNull(staffSessions.revokedAt)))
    .returning({ staffId: staffSessions.staffId });
  return rows.length;
}

export async function findPmoOrganisationId(db: Db): Promise<string | undefined> {
  const [row] = await execRows<{ id: string }>(
    db,
    sql`select id from organisations where kind = 'PMO' order by created_at limit 1`,
  );
  return row?.id;
}

/** An organisation's staff accounts, disabled ones included, oldest first. */
export async function listStaffOfOrganisation(db: Db, organisationId: string) {
  return db
    .select()
    .from(staffUsers)
    .where(eq(staffUsers.organisationId, organisationId))
    .orderBy(asc(staffUsers.createdAt), asc(staffUsers.id));
}

/** A staff row of this organisation, locked for the change that follows (undefined: not theirs). */
export async function findStaffOfOrganisation(db: Db, organisationId: string, id: string) {
  const [row] = await db
    .select()
    .from(staffUsers)
    .where(and(eq(staffUsers.id, id), eq(staffUsers.organisationId, organisationId)))
    .for('update')
    .limit(1);
  return row;
}

/**
 * The organisation's active admins, locked: two admins demoting each other at once serialize here,
 * so the organisation never ends with none.
 */
export async function lockActiveAdmins(db: Db, organisationId: string): Promise<string[]> {
  const rows = await db
    .select({ id: staffUsers.id })
    .from(staffUsers)
    .where(
      and(
        eq(staffUsers.organisationId, organisationId),
        eq(staffUsers.role, 'admin'),
        isNull(staffUsers.disabledAt),
      ),
    )
    .orderBy(asc(staffUsers.id))
    .for('update');
  return rows.map((r) => r.id);
}

export async function setStaffRole(db: Db, id: string, role: StaffUserRow['role']) {
  const [row] = await db.update(staffUsers).set({ role }).where(eq(staffUsers.id, id)).returning();
  return row;
}

/** The organisation's kind and name (for the console session and staff checks). */
export async function findOrganisationKind(db: Db, id: string) {
  const [row] = await db
    .select({ id: organisations.id, kind: organisations.kind, name: organisations.name })
    .from(organisations)
    .where(eq(organisations.id, id))
    .limit(1);
  return row;
}
