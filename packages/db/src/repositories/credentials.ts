import { and, asc, between, eq, gt, gte, inArray, isNull, sql } from 'drizzle-orm';
import type { Db } from '../client';
import { execRows } from '../client';
import {
  certificateKeys,
  certificates,
  courses,
  enrollments,
  identityChecks,
  organisations,
  passportConsents,
  redirectUris,
  reviews,
  vouchers,
} from '../schema';

export type CertificateRow = typeof certificates.$inferSelect;
export type IdentityCheckRow = typeof identityChecks.$inferSelect;

// ── Redirect URIs ──

export async function addRedirectUri(db: Db, organisationId: string, uri: string) {
  const [row] = await db
    .insert(redirectUris)
    .values({ organisationId, uri })
    .onConflictDoUpdate({ target: [redirectUris.organisationId, redirectUris.uri], set: { uri } })
    .returning();
  if (!row) throw new Error('redirect uri insert returned no row');
  return row;
}

export async function removeRedirectUri(db: Db, organisationId: string, uri: string): Promise<boolean> {
  const rows = await db
    .delete(redirectUris)
    .where(and(eq(redirectUris.organisationId, organisationId), eq(redirectUris.uri, uri)))
    .returning();
  return rows.length > 0;
}

export async function listRedirectUris(db: Db, organisationId: string) {
  return db
    .select()
    .from(redirectUris)
    .where(eq(redirectUris.organisationId, organisationId))
    .orderBy(redirectUris.uri);
}

export async function isRedirectUriRegistered(db: Db, organisationId: string, uri: string) {
  const [row] = await db
    .select({ uri: redirectUris.uri })
    .from(redirectUris)
    .where(and(eq(redirectUris.organisationId, organisationId), eq(redirectUris.uri, uri)))
    .limit(1);
  return row !== undefined;
}

// ── Identity checks ──

export async function insertIdentityCheck(db: Db, values: typeof identityChecks.$inferInsert) {
  await db.insert(identityChecks).values(values);
}

/** The check behind a token, locked; whether used or expired is the caller's to judge. */
export async function findIdentityCheck(db: Db, tokenHash: string, opts: { forUpdate?: boolean } = {}) {
  const q = db.select().from(identityChecks).where(eq(identityChecks.tokenHash, tokenHash)).limit(1);
  const [row] = opts.forUpdate ? await q.for('update') : await q;
  return row;
}

/** Marks the check used; false when another request used it first (single use under races). */
export async function useIdentityCheck(
  db: Db,
  id: string,
  values: { result: 'CONFIRMED' | 'FAILED'; reason: string | null; ip: string | null; at: Date },
): Promise<boolean> {
  const rows = await db
    .update(identityChecks)
    .set({ usedAt: values.at, result: values.result, reason: values.reason, ip: values.ip })
    .where(
      and(eq(identityChecks.id, id), isNull(identityChecks.usedAt), gt(identityChecks.expiresAt, values.at)),
    )
    .returning({ id: identityChecks.id });
  return rows.length > 0;
}

// ── Certificates ──

export async function rememberCertificateKey(db: Db, kid: string, publicJwk: Record<string, string>) {
  await db.insert(certificateKeys).values({ kid, publicJwk }).onConflictDoNothing();
}

export async function certificatePublicKeys(db: Db) {
  return db.select().from(certificateKeys).orderBy(certificateKeys.createdAt);
}

export async function insertCertificate(db: Db, values: typeof certificates.$inferInsert) {
  const [row] = await db.insert(certificates).values(values).returning();
  if (!row) throw new Error('certificate insert returned no row');
  return row;
}

export async function findCertificate(
  db: Db,
  by: { number: string } | { enrollmentId: string },
  opts: { providerId?: string; forUpdate?: boolean } = {},
) {
  const where = [
    'number' in by ? eq(certificates.number, by.number) : eq(certificates.enrollmentId, by.enrollmentId),
  ];
  if (opts.providerId) where.push(eq(certificates.providerId, opts.providerId));
  const q = db
    .select()
    .from(certificates)
    .where(and(...where))
    .limit(1);
  const [row] = opts.forUpdate ? await q.for('update') : await q;
  return row;
}

export async function certificateNumberOf(db: Db, enrollmentId: string): Promise<string | null> {
  const [row] = await db
    .select({ number: certificates.number })
    .from(certificates)
    .where(eq(certificates.enrollmentId, enrollmentId))
    .limit(1);
  return row?.number ?? null;
}

export async function revokeCertificateRow(
  db: Db,
  id: string,
  values: { reason: string; by: string; at: Date },
) {
  const [row] = await db
    .update(certificates)
    .set({ status: 'REVOKED', revokedAt: values.at, revokedReason: values.reason, revokedBy: values.by })
    .where(and(eq(certificates.id, id), eq(certificates.status, 'VALID')))
    .returning();
  return row;
}

/** What the public verification shows: the certificate with its course and provider. */
export async function certificateForVerification(db: Db, number: string) {
  const [row] = await db
    .select({
      certificate: certificates,
      courseTitle: courses.title,
      durationMinutes: courses.durationMinutes,
      providerName: organisations.name,
    })
    .from(certificates)
    .innerJoin(courses, eq(courses.id, certificates.courseId))
    .innerJoin(organisations, eq(organisations.id, certificates.providerId))
    .where(eq(certificates.number, number))
    .limit(1);
  return row;
}

// ── Status lists and passports ──

/** The next status-list index, taken before the certificate that carries it is signed. */
export async function nextCertificateStatusIndex(db: Db): Promise<number> {
  const [row] = await execRows<{ n: string | number }>(
    db,
    sql`select nextval('certificate_status_index_seq') as n`,
  );
  if (!row) throw new Error('nextval returned no row');
  return Number(row.n);
}

/**
 * What one status list says: whether any certificate has an index in [from, to] (a list nobody was
 * given is not served), and the indexes in it that are revoked.
 */
export async function statusListEntries(db: Db, from: number, to: number) {
  const [any] = await db
    .select({ index: certificates.statusIndex })
    .from(certificates)
    .where(between(certificates.statusIndex, from, to))
    .limit(1);
  if (!any) return null;
  const revoked = await db
    .select({ index: certificates.statusIndex })
    .from(certificates)
    .where(and(between(certificates.statusIndex, from, to), eq(certificates.status, 'REVOKED')))
    .orderBy(asc(certificates.statusIndex));
  return { revoked: revoked.map((r) => r.index) };
}

export type PassportConsentRow = typeof passportConsents.$inferSelect;

/** The participant a voucher of this platform's was sold to; undefined when it is not its voucher. */
export async function participantOfSoldVoucher(db: Db, voucherId: string, platformId: string) {
  const [row] = await db
    .select({ participantId: vouchers.participantId })
    .from(vouchers)
    .where(and(eq(vouchers.id, voucherId), eq(vouchers.platformId, platformId)))
    .limit(1);
  return row?.participantId;
}

export async function insertPassportConsent(db: Db, values: typeof passportConsents.$inferInsert) {
  await db.insert(passportConsents).values(values);
}

/**
 * Consents asked of a participant since `since`, by all platforms (the throttle), and when the
 * oldest of them was asked (it leaves the window first: the throttle's Retry-After).
 */
export async function recentPassportConsents(
  db: Db,
  participantId: string,
  since: Date,
): Promise<{ count: number; oldest: Date | null }> {
  const rows = await db
    .select({ createdAt: passportConsents.createdAt })
    .from(passportConsents)
    .where(and(eq(passportConsents.participantId, participantId), gte(passportConsents.createdAt, since)))
    .orderBy(asc(passportConsents.createdAt));
  return { count: rows.length, oldest: rows[0]?.createdAt ?? null };
}

/** The platform's own consent, locked; another platform's is not found. */
export async function findPassportConsentForUpdate(db: Db, id: string, platformId: string) {
  const [row] = await db
    .select()
    .from(passportConsents)
    .where(and(eq(passportConsents.id, id), eq(passportConsents.platformId, platformId)))
    .limit(1)
    .for('update');
  return row;
}

export async function updatePassportConsent(
  db: Db,
  id: string,
  values: Partial<Pick<PassportConsentRow, 'attempts' | 'status' | 'usedAt'>>,
) {
  await db.update(passportConsents).set(values).where(eq(passportConsents.id, id));
}

/** Every certificate of a participant, oldest first (a passport with their consent). */
export async function participantCertificates(db: Db, participantId: string) {
  return db
    .select()
    .from(certificates)
    .where(eq(certificates.participantId, participantId))
    .orderBy(asc(certificates.issuedAt), asc(certificates.id));
}

/**
 * The certificates a platform may gather into a passport for the participant its voucher was sold
 * to: those of trainings on vouchers this platform sold them, oldest first. Null when the voucher is
 * not this platform's (a platform sees only its own records).
 */
export async function passportCertificates(db: Db, voucherId: string, platformId: string) {
  const participantId = await participantOfSoldVoucher(db, voucherId, platformId);
  if (!participantId) return null;
  const sold = db
    .select({ id: enrollments.id })
    .from(enrollments)
    .innerJoin(vouchers, eq(vouchers.id, enrollments.voucherId))
    .where(and(eq(vouchers.participantId, participantId), eq(vouchers.platformId, platformId)));
  const rows = await db
    .select()
    .from(certificates)
    .where(and(eq(certificates.participantId, participantId), inArray(certificates.enrollmentId, sold)))
    .orderBy(asc(certificates.issuedAt), asc(certificates.id));
  return { participantId, certificates: rows };
}

// ── Reviews ──

/** Inserts the review; undefined when the enrollment already has one (the unique index decides). */
export async function insertReview(db: Db, values: typeof reviews.$inferInsert) {
  const [row] = await db.insert(reviews).values(values).onConflictDoNothing().returning();
  return row;
}

/** Adds one rating to the course's and the provider's aggregates, in the review's transaction. */
export async function addRating(db: Db, courseId: string, providerId: string, rating: number) {
  await db
    .update(courses)
    .set({
      ratingSum: sql`${courses.ratingSum} + ${rating}`,
      ratingCount: sql`${courses.ratingCount} + 1`,
    })
    .where(eq(courses.id, courseId));
  await db
    .update(organisations)
    .set({
      ratingSum: sql`${organisations.ratingSum} + ${rating}`,
      ratingCount: sql`${organisations.ratingCount} + 1`,
    })
    .where(eq(organisations.id, providerId));
}
