import { randomBytes } from 'node:crypto';
import {
  AppError,
  PMO_STAFF_ROLES,
  PROVIDER_STAFF_ROLES,
  type TStaffRole,
  type TStaffUser,
} from '@latih/contracts';
import {
  type Db,
  disableStaffUserRow,
  findOrganisationKind,
  findPmoOrganisationId,
  findStaffByEmail,
  insertOrganisation,
  revokeAllStaffSessions,
  setStaffPassword,
} from '@latih/db';
import { recordChange } from '../changes';
import { newId } from '../ids';
import { createStaffUser, hashPassword } from './staff';

/*
 * Staff accounts outside the demo seed: an operator adds, resets and disables them from a shell
 * on the gateway (`npm run staff`), never through the API, so that a stolen console session
 * cannot mint itself new accounts. New passwords are generated (144 random bits) and shown once.
 */

/** The actor for changes made from the operator's shell: the PMO, with no client. */
const operator = (organisationId: string) => ({
  organisationId,
  clientId: 'operator-shell',
  requestId: null,
});

const newPassword = () => randomBytes(18).toString('base64url');

/**
 * The PMO organisation staff belong to. A production database starts without one (the demo seed
 * never runs there), so the first account added creates it.
 */
async function pmoId(db: Db): Promise<{ id: string; created: boolean }> {
  const id = await findPmoOrganisationId(db);
  if (id) return { id, created: false };
  const { organisation } = await insertOrganisation(db, {
    id: newId('organisation'),
    kind: 'PMO',
    name: 'Manajemen Pelaksana Program',
    status: 'ACTIVE',
  });
  return { id: organisation.id, created: true };
}

async function existing(db: Db, email: string) {
  const row = await findStaffByEmail(db, email);
  if (!row) throw new AppError('NOT_FOUND', { field: 'email', message: `No staff account for ${email}.` });
  return row;
}

export async function addStaffUser(
  db: Db,
  opts: { email: string; name: string; role: TStaffRole; now: Date; organisationId?: string },
): Promise<{ user: TStaffUser; password: string; pmoCreated: string | null }> {
  // A provider's first console admin comes from here; the provider's admin adds the rest.
  const provider = opts.organisationId ? await findOrganisationKind(db, opts.organisationId) : undefined;
  if (opts.organisationId && provider?.kind !== 'PROVIDER')
    throw new AppError('VALIDATION_FAILED', {
      field: 'organisation',
      message: `${opts.organisationId} is not a provider (staff of the PMO are added without --organisation).`,
    });
  const roles: readonly string[] = provider ? PROVIDER_STAFF_ROLES : PMO_STAFF_ROLES;
  if (!roles.includes(opts.role))
    throw new AppError('VALIDATION_FAILED', {
      field: 'role',
      message: `--role is one of ${roles.join(', ')}.`,
    });
  if (await findStaffByEmail(db, opts.email))
    throw new AppError('VALIDATION_FAILED', {
      field: 'email',
      message: `${opts.email} already has an account (reset its password instead).`,
    });
  const password = newPassword();
  return db.transaction(async (tx) => {
    const pmo = provider ? { id: provider.id, created: false } : await pmoId(tx);
    const organisationId = pmo.id;
    const { user, created } = await createStaffUser(tx, {
      organisationId,
      email: opts.email,
      name: opts.name,
      role: opts.role,
      password,
    });
    if (!created)
      throw new AppError('VALIDATION_FAILED', {
        field: 'email',
        message: `${opts.email} already has an account.`,
      });
    await recordChange(tx, {
      actor: operator(organisationId),
      action: 'staff.created',
      entityType: 'staff_user',
      entityId: user.id,
      fromState: null,
      toState: 'ACTIVE',
      auditData: { email: user.email, role: user.role },
    });
    return { user, password, pmoCreated: pmo.created ? organisationId : null };
  });
}

/** A new password, shown once; the lockout is cleared and every session of the account ends. */
export async function resetStaffPassword(
  db: Db,
  opts: { email: string; now: Date },
): Promise<{ email: string; password: string; sessionsEnded: number }> {
  const row = await existing(db, opts.email);
  const password = newPassword();
  const hash = await hashPassword(password);
  const sessionsEnded = await db.transaction(async (tx) => {
    await setStaffPassword(tx, row.id, hash);
    const n = await revokeAllStaffSessions(tx, row.id, opts.now);
    await recordChange(tx, {
      actor: operator(row.organisationId),
      action: 'staff.password_reset',
      entityType: 'staff_user',
      entityId: row.id,
      fromState: null,
      toState: null,
      auditData: { sessionsEnded: n },
    });
    return n;
  });
  return { email: row.email, password, sessionsEnded };
}

/** The account can no longer sign in, and its live sessions end now. */
export async function disableStaffUser(
  db: Db,
  opts: { email: string; now: Date },
): Promise<{ email: string; sessionsEnded: number }> {
  const row = await existing(db, opts.email);
  const sessionsEnded = await db.transaction(async (tx) => {
    await disableStaffUserRow(tx, row.id, opts.now);
    const n = await revokeAllStaffSessions(tx, row.id, opts.now);
    await recordChange(tx, {
      actor: operator(row.organisationId),
      action: 'staff.disabled',
      entityType: 'staff_user',
      entityId: row.id,
      fromState: row.disabledAt ? 'DISABLED' : 'ACTIVE',
      toState: 'DISABLED',
      auditData: { sessionsEnded: n },
    });
    return n;
  });
  return { email: row.email, sessionsEnded };
}

export const STAFF_COMMAND_USAGE = `usage:
  npm run staff -- add --email <e-mail> --name "<name>" --role reviewer|finance|admin
  npm run staff -- add --organisation <provider org id> --email <e-mail> --name "<name>" --role admin|instructor|finance
  npm run staff -- reset-password --email <e-mail>
  npm run staff -- disable --email <e-mail>`;

/**
 * `npm run staff -- <command> --flag value …`: the lines to print. Bad arguments throw
 * AppError('VALIDATION_FAILED') with the usage, so the shell shows what to type.
 */
export async function runStaffCommand(db: Db, argv: string[], now: Date): Promise<string[]> {
  const [command, ...rest] = argv;
  const flags = new Map<string, string>();
  for (let i = 0; i < rest.length; i += 2) {
    const k = rest[i];
    const v = rest[i + 1];
    if (!k?.startsWith('--') || v === undefined)
      throw new AppError('VALIDATION_FAILED', {
        message: `Cannot read "${k ?? ''}".\n${STAFF_COMMAND_USAGE}`,
      });
    flags.set(k.slice(2), v);
  }
  const need = (k: string) => {
    const v = flags.get(k)?.trim();
    if (!v)
      throw new AppError('VALIDATION_FAILED', {
        field: k,
        message: `--${k} is missing.\n${STAFF_COMMAND_USAGE}`,
      });
    return v;
  };
  const email = () => {
    const e = need('email').toLowerCase();
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(e))
      throw new AppError('VALIDATION_FAILED', {
        field: 'email',
        message: `"${e}" is not an e-mail address.`,
      });
    return e;
  };
  if (command === 'add') {
    const organisationId = flags.get('organisation')?.trim();
    const r = await addStaffUser(db, {
      email: email(),
      name: need('name'),
      role: need('role') as TStaffRole,
      now,
      ...(organisationId ? { organisationId } : {}),
    });
    return [
      ...(r.pmoCreated ? [`created the PMO organisation ${r.pmoCreated} (there was none)`] : []),
      `added ${r.user.email} (${r.user.role}), ${r.user.id}`,
      `password (shown once; ask them to keep it in a password manager): ${r.password}`,
    ];
  }
  if (command === 'reset-password') {
    const r = await resetStaffPassword(db, { email: email(), now });
    return [`new password for ${r.email} (shown once): ${r.password}`, `sessions ended: ${r.sessionsEnded}`];
  }
  if (command === 'disable') {
    const r = await disableStaffUser(db, { email: email(), now });
    return [`disabled ${r.email}; sessions ended: ${r.sessionsEnded}`];
  }
  throw new AppError('VALIDATION_FAILED', { message: STAFF_COMMAND_USAGE });
}
