import { createHash, createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import {
  AppError,
  DEFAULT_SCOPES,
  STAFF_LOCKOUT_MINUTES,
  STAFF_MAX_FAILED_SIGN_INS,
  STAFF_SESSION_HOURS,
  staffPermissions,
  type TStaffAudience,
  type TStaffRole,
  type TStaffSession,
  type TStaffUser,
} from '@latih/contracts';
import {
  type Db,
  findLiveStaffSession,
  findOrganisationKind,
  findStaffByEmail,
  findStaffById,
  insertStaffSession,
  insertStaffUser,
  recordFailedSignIn,
  resetFailedSignIns,
  revokeStaffSession,
  type StaffUserRow,
} from '@latih/db';
import type { Actor } from '../auth/actor';
import { recordChange } from '../changes';
import { newId } from '../ids';

/*
 * Console sign-in for staff (the PMO's and providers'). Passwords are hashed with scrypt (N=2^15, r=8, p=1: about 32 MiB
 * and a tenth of a second per try); sessions are random 256-bit tokens in an httpOnly cookie,
 * stored as their SHA-256; the CSRF token is an HMAC of the session token, so it needs no storage
 * and cannot be computed without the cookie.
 */

const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const KEY_LENGTH = 32;

function scryptAsync(password: string, salt: Buffer, N: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, { N, r, p, maxmem: SCRYPT.maxmem }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/** `scrypt$N$r$p$salt$hash` (base64url), so parameters can be raised later per account. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, SCRYPT.N, SCRYPT.r, SCRYPT.p);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), key.toString('base64url')].join(
    '$',
  );
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !n || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await scryptAsync(password, Buffer.from(salt, 'base64url'), Number(n), Number(r), Number(p));
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** Spent on unknown e-mails too, so that timing does not tell which accounts exist. */
let dummyHash: Promise<string> | undefined;

const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');

export function csrfTokenFor(sessionToken: string): string {
  return createHmac('sha256', sessionToken).update('latih-console-csrf').digest('base64url');
}

export function csrfMatches(sessionToken: string, header: string | null | undefined): boolean {
  if (!header) return false;
  const a = Buffer.from(csrfTokenFor(sessionToken));
  const b = Buffer.from(header);
  return a.length === b.length && timingSafeEqual(a, b);
}

function toUser(r: StaffUserRow): TStaffUser {
  return { id: r.id, email: r.email, name: r.name, role: r.role };
}

export async function createStaffUser(
  db: Db,
  opts: {
    organisationId: string;
    email: string;
    name: string;
    role: TStaffRole;
    password: string;
    id?: string;
  },
): Promise<{ user: TStaffUser; created: boolean }> {
  const row = await insertStaffUser(db, {
    id: opts.id ?? newId('staff'),
    organisationId: opts.organisationId,
    email: opts.email.toLowerCase(),
    name: opts.name,
    role: opts.role,
    passwordHash: await hashPassword(opts.password),
  });
  if (row) return { user: toUser(row), created: true };
  const existing = await findStaffByEmail(db, opts.email);
  if (!existing) throw new Error(`staff ${opts.email} vanished during insert`);
  return { user: toUser(existing), created: false };
}

/** The console an organisation's staff use: the PMO's, or a provider's; platforms have none. */
function audienceOf(kind: string | undefined): TStaffAudience | null {
  return kind === 'PMO' ? 'pmo' : kind === 'PROVIDER' ? 'provider' : null;
}

/** What the console may see of a session: who, which organisation, what the role may do. */
function sessionView(
  user: StaffUserRow,
  organisation: { id: string; name: string },
  audience: TStaffAudience,
  token: string,
  expiresAt: Date,
): TStaffSession {
  const p = staffPermissions(audience, user.role);
  return {
    user: toUser(user),
    audience,
    organisation: { id: organisation.id, name: organisation.name },
    writes: [...p.writes],
    readsDenied: [...p.readsDenied],
    csrfToken: csrfTokenFor(token),
    expiresAt: expiresAt.toISOString(),
  };
}

const staffRef = (u: { id: string; organisationId: string }, requestId: string | null) => ({
  organisationId: u.organisationId,
  clientId: u.id,
  requestId,
});

/** Signs in: the session token (for the cookie only) and what the console may see of the session. */
export async function signInStaff(opts: {
  db: Db;
  email: string;
  password: string;
  now: Date;
  requestId: string | null;
  ip?: string | null;
  userAgent?: string | null;
}): Promise<{ token: string; session: TStaffSession }> {
  const user = await findStaffByEmail(opts.db, opts.email);
  const organisation = user ? await findOrganisationKind(opts.db, user.organisationId) : undefined;
  const audience = audienceOf(organisation?.kind);
  if (!user || user.disabledAt || !organisation || !audience) {
    dummyHash ??= hashPassword('not a password');
    await verifyPassword(opts.password, await dummyHash);
    throw new AppError('STAFF_SIGN_IN_FAILED');
  }
  if (user.lockedUntil && user.lockedUntil > opts.now) throw lockedError(user.lockedUntil, opts.now);
  if (!(await verifyPassword(opts.password, user.passwordHash))) {
    const lockUntil = new Date(opts.now.getTime() + STAFF_LOCKOUT_MINUTES * 60_000);
    await opts.db.transaction(async (tx) => {
      const r = await recordFailedSignIn(tx, user.id, STAFF_MAX_FAILED_SIGN_INS, lockUntil);
      const locked = r?.lockedUntil !== null && r?.lockedUntil !== undefined && r.lockedUntil > opts.now;
      await recordChange(tx, {
        actor: staffRef(user, opts.requestId),
        action: locked ? 'staff.locked' : 'staff.sign_in_failed',
        entityType: 'staff_user',
        entityId: user.id,
        fromState: null,
        toState: locked ? 'LOCKED' : null,
        auditData: { ip: opts.ip ?? null },
      });
    });
    // The attempt that locks the account still answers "wrong password"; the next ones, "locked".
    throw new AppError('STAFF_SIGN_IN_FAILED');
  }
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(opts.now.getTime() + STAFF_SESSION_HOURS * 3_600_000);
  await opts.db.transaction(async (tx) => {
    await resetFailedSignIns(tx, user.id);
    await insertStaffSession(tx, {
      tokenHash: sha256(token),
      staffId: user.id,
      createdAt: opts.now,
      expiresAt,
      ip: opts.ip ?? null,
      userAgent: opts.userAgent?.slice(0, 300) ?? null,
    });
    await recordChange(tx, {
      actor: staffRef(user, opts.requestId),
      action: 'staff.signed_in',
      entityType: 'staff_user',
      entityId: user.id,
      fromState: null,
      toState: null,
      auditData: { ip: opts.ip ?? null },
    });
  });
  return { token, session: sessionView(user, organisation, audience, token, expiresAt) };
}

function lockedError(until: Date, now: Date): AppError {
  const minutes = Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 60_000));
  return new AppError('STAFF_LOCKED', {
    message: `Too many wrong passwords: this account is locked for ${minutes} more minute(s).`,
  });
}

/** The live session behind a cookie token, with the actor its requests act as; null if none. */
export async function staffSession(opts: { db: Db; token: string; now: Date }) {
  const row = await findLiveStaffSession(opts.db, sha256(opts.token), opts.now);
  const audience = audienceOf(row?.organisation.kind);
  if (!row || !audience) return null;
  const actor: Actor & { staffRole: TStaffRole } = {
    organisationId: row.user.organisationId,
    role: audience,
    clientId: row.user.id,
    scopes: [...DEFAULT_SCOPES[audience]],
    staffRole: row.user.role,
  };
  return {
    actor,
    session: sessionView(row.user, row.organisation, audience, opts.token, row.session.expiresAt),
  };
}

export async function signOutStaff(opts: { db: Db; token: string; now: Date; requestId: string | null }) {
  await opts.db.transaction(async (tx) => {
    const revoked = await revokeStaffSession(tx, sha256(opts.token), opts.now);
    if (!revoked) return;
    const live = await findStaffById(tx, revoked.staffId);
    await recordChange(tx, {
      actor: {
        organisationId: live?.organisationId ?? null,
        clientId: revoked.staffId,
        requestId: opts.requestId,
      },
      action: 'staff.signed_out',
      entityType: 'staff_user',
      entityId: revoked.staffId,
      fromState: null,
      toState: null,
    });
  });
}

/** Demo staff, one per role (development only: the password is public, in the README). */
export const DEMO_STAFF_PASSWORD = 'latih-demo-staff';
export const DEMO_STAFF = [
  { email: 'admin@latih.test', name: 'Admin Demo', role: 'admin' },
  { email: 'reviewer@latih.test', name: 'Peninjau Demo', role: 'reviewer' },
  { email: 'finance@latih.test', name: 'Keuangan Demo', role: 'finance' },
] as const;

/** The demo provider's console staff (provider-a, Lembaga Pelatihan Nusantara Cakap), one per role. */
export const DEMO_PROVIDER_STAFF_ORGANISATION = 'org_01jw00000000000000000000a1';
export const DEMO_PROVIDER_STAFF = [
  { email: 'admin@cakap.latih.test', name: 'Sari Admin Cakap', role: 'admin' },
  { email: 'instruktur@cakap.latih.test', name: 'Budi Instruktur', role: 'instructor' },
  { email: 'keuangan@cakap.latih.test', name: 'Wati Keuangan', role: 'finance' },
] as const;

export async function seedDemoStaff(db: Db, pmoOrganisationId: string): Promise<number> {
  let created = 0;
  const all = [
    ...DEMO_STAFF.map((s) => ({ ...s, organisationId: pmoOrganisationId })),
    ...DEMO_PROVIDER_STAFF.map((s) => ({ ...s, organisationId: DEMO_PROVIDER_STAFF_ORGANISATION })),
  ];
  for (const s of all) {
    if (await findStaffByEmail(db, s.email)) continue;
    const r = await createStaffUser(db, { ...s, password: DEMO_STAFF_PASSWORD });
    if (r.created) created++;
  }
  return created;
}
