import { randomBytes } from 'node:crypto';
import {
  AppError,
  type TProviderStaffMember,
  type TProviderStaffRole,
  type ZAddProviderStaffInputSchema,
} from '@latih/contracts';
import {
  type Db,
  disableStaffUserRow,
  findStaffByEmail,
  findStaffOfOrganisation,
  listStaffOfOrganisation,
  lockActiveAdmins,
  revokeAllStaffSessions,
  type StaffUserRow,
  setStaffPassword,
  setStaffRole,
} from '@latih/db';
import type { z } from 'zod';
import { type Actor, actorRef } from '../auth/actor';
import { recordChange } from '../changes';
import { createStaffUser, hashPassword } from './staff';

/*
 * A provider's own console accounts, managed by the provider's admin in the console. Only a
 * console session of an admin of that provider may: an API client's token never (a leaked client
 * secret must not mint itself accounts). Passwords are generated (144 random bits) and shown once;
 * an organisation always keeps one active admin.
 */

type Call<I> = { db: Db; actor: Actor; requestId: string | null; input: I; now: Date };

/** The caller is an admin of a provider, signed in to the console. */
export function requireProviderConsoleAdmin(actor: Actor): void {
  if (actor.role !== 'provider' || actor.staffRole !== 'admin')
    throw new AppError('CONSOLE_SESSION_REQUIRED');
}

const staffPassword = () => randomBytes(18).toString('base64url');

function toMember(r: StaffUserRow, now: Date): TProviderStaffMember {
  return {
    id: r.id,
    email: r.email,
    name: r.name,
    role: r.role === 'reviewer' ? 'instructor' : r.role,
    status: r.disabledAt ? 'DISABLED' : r.lockedUntil && r.lockedUntil > now ? 'LOCKED' : 'ACTIVE',
    createdAt: r.createdAt.toISOString(),
    disabledAt: r.disabledAt?.toISOString() ?? null,
  };
}

async function memberFor(tx: Db, actor: Actor, id: string): Promise<StaffUserRow> {
  const row = await findStaffOfOrganisation(tx, actor.organisationId, id);
  if (!row) throw new AppError('STAFF_NOT_FOUND', { field: 'id' });
  return row;
}

/** Refuses a change that would leave the organisation without an active admin. */
function keepOneAdmin(admins: string[], target: StaffUserRow): void {
  if (target.role === 'admin' && !target.disabledAt && admins.length <= 1 && admins.includes(target.id))
    throw new AppError('LAST_ADMIN');
}

export async function listProviderStaff(opts: { db: Db; actor: Actor; now: Date }) {
  requireProviderConsoleAdmin(opts.actor);
  const rows = await listStaffOfOrganisation(opts.db, opts.actor.organisationId);
  return { items: rows.map((r) => toMember(r, opts.now)) };
}

export async function addProviderStaff(opts: Call<z.infer<typeof ZAddProviderStaffInputSchema>>) {
  requireProviderConsoleAdmin(opts.actor);
  if (await findStaffByEmail(opts.db, opts.input.email))
    throw new AppError('STAFF_EMAIL_TAKEN', { field: 'email' });
  const password = staffPassword();
  return opts.db.transaction(async (tx) => {
    const { user, created } = await createStaffUser(tx, {
      organisationId: opts.actor.organisationId,
      email: opts.input.email,
      name: opts.input.name,
      role: opts.input.role,
      password,
    });
    // Two admins adding the same e-mail at once: the unique index lets one in.
    if (!created) throw new AppError('STAFF_EMAIL_TAKEN', { field: 'email' });
    await recordChange(tx, {
      actor: actorRef(opts.actor, opts.requestId),
      action: 'staff.created',
      entityType: 'staff_user',
      entityId: user.id,
      fromState: null,
      toState: 'ACTIVE',
      auditData: { email: user.email, role: user.role },
    });
    const row = await memberFor(tx, opts.actor, user.id);
    return { member: toMember(row, opts.now), password };
  });
}

export async function setProviderStaffRole(opts: Call<{ id: string; role: TProviderStaffRole }>) {
  requireProviderConsoleAdmin(opts.actor);
  return opts.db.transaction(async (tx) => {
    // The admins first, always in the same order: two admins demoting each other at once then
    // serialize (the second sees one admin left) instead of deadlocking on each other's rows.
    const admins = await lockActiveAdmins(tx, opts.actor.organisationId);
    const target = await memberFor(tx, opts.actor, opts.input.id);
    if (target.disabledAt)
      throw new AppError('INVALID_STATE', { message: 'This account is disabled; add a new one instead.' });
    if (target.role === opts.input.role) return toMember(target, opts.now);
    if (opts.input.role !== 'admin') keepOneAdmin(admins, target);
    const row = await setStaffRole(tx, target.id, opts.input.role);
    await recordChange(tx, {
      actor: actorRef(opts.actor, opts.requestId),
      action: 'staff.role_changed',
      entityType: 'staff_user',
      entityId: target.id,
      fromState: target.role,
      toState: opts.input.role,
    });
    if (!row) throw new AppError('STAFF_NOT_FOUND', { field: 'id' });
    return toMember(row, opts.now);
  });
}

/** A new password, shown once; the lockout is cleared and every session of the account ends. */
export async function resetProviderStaffPassword(opts: Call<{ id: string }>) {
  requireProviderConsoleAdmin(opts.actor);
  const password = staffPassword();
  const hash = await hashPassword(password);
  return opts.db.transaction(async (tx) => {
    const target = await memberFor(tx, opts.actor, opts.input.id);
    if (target.disabledAt) throw new AppError('INVALID_STATE', { message: 'This account is disabled.' });
    await setStaffPassword(tx, target.id, hash);
    const sessionsEnded = await revokeAllStaffSessions(tx, target.id, opts.now);
    await recordChange(tx, {
      actor: actorRef(opts.actor, opts.requestId),
      action: 'staff.password_reset',
      entityType: 'staff_user',
      entityId: target.id,
      fromState: null,
      toState: null,
      auditData: { sessionsEnded },
    });
    const row = await memberFor(tx, opts.actor, target.id);
    return { member: toMember(row, opts.now), password };
  });
}

/** The account can no longer sign in, and its live sessions end now. */
export async function disableProviderStaff(opts: Call<{ id: string }>) {
  requireProviderConsoleAdmin(opts.actor);
  return opts.db.transaction(async (tx) => {
    const admins = await lockActiveAdmins(tx, opts.actor.organisationId);
    const target = await memberFor(tx, opts.actor, opts.input.id);
    if (target.disabledAt) return toMember(target, opts.now);
    keepOneAdmin(admins, target);
    await disableStaffUserRow(tx, target.id, opts.now);
    const sessionsEnded = await revokeAllStaffSessions(tx, target.id, opts.now);
    await recordChange(tx, {
      actor: actorRef(opts.actor, opts.requestId),
      action: 'staff.disabled',
      entityType: 'staff_user',
      entityId: target.id,
      fromState: 'ACTIVE',
      toState: 'DISABLED',
      auditData: { sessionsEnded },
    });
    const row = await memberFor(tx, opts.actor, target.id);
    return toMember(row, opts.now);
  });
}
