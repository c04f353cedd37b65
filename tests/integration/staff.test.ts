import {
  createStaffUser,
  hashPassword,
  runStaffCommand,
  signInStaff,
  staffSession,
  verifyPassword,
} from '@latih/core';
import { schema } from '@latih/db';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { engines, freshDatabase } from '../support/db';
import { useHarness } from '../support/harness';

describe('staff passwords', () => {
  it('are scrypt hashes with their parameters and a fresh salt; only the right password verifies', async () => {
    const a = await hashPassword('kata-sandi-rahasia');
    const b = await hashPassword('kata-sandi-rahasia');
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('kata-sandi-rahasia', a)).toBe(true);
    expect(await verifyPassword('kata-sandi-rahasiA', a)).toBe(false);
    expect(await verifyPassword('x', 'bcrypt$whatever')).toBe(false);
  });
});

describe.each(engines())('staff sessions on %s', (engine) => {
  const h = useHarness(engine, { poolSize: 12 });

  it('ten wrong passwords at once are each counted: the account ends locked, and every try is audited', async () => {
    const { user } = await createStaffUser(h.db, {
      organisationId: h.orgs.pmo.organisationId,
      email: `race-${engine}@latih.test`,
      name: 'Uji Balapan',
      role: 'finance',
      password: 'benar-sekali',
    });
    const tries = await Promise.allSettled(
      Array.from({ length: 10 }, () =>
        signInStaff({ db: h.db, email: user.email, password: 'salah', now: new Date(), requestId: null }),
      ),
    );
    expect(tries.every((t) => t.status === 'rejected')).toBe(true);
    const audit = await h.db.select().from(schema.auditLog).where(eq(schema.auditLog.entityId, user.id));
    expect(audit).toHaveLength(10);
    expect(audit.filter((a) => a.action === 'staff.locked').length).toBeGreaterThanOrEqual(1);
    const refused = await signInStaff({
      db: h.db,
      email: user.email,
      password: 'benar-sekali',
      now: new Date(),
      requestId: null,
    }).catch((e: unknown) => e);
    expect((refused as { code?: string }).code).toBe('STAFF_LOCKED');
    // After the lock ends, the right password works and starts a session.
    const later = new Date(Date.now() + 16 * 60_000);
    const ok = await signInStaff({
      db: h.db,
      email: user.email,
      password: 'benar-sekali',
      now: later,
      requestId: null,
    });
    const live = await staffSession({ db: h.db, token: ok.token, now: later });
    expect(live?.actor).toMatchObject({ role: 'pmo', staffRole: 'finance', clientId: user.id });
    expect(
      await staffSession({ db: h.db, token: ok.token, now: new Date(later.getTime() + 13 * 3_600_000) }),
    ).toBeNull();
    const [row] = await h.db
      .select()
      .from(schema.staffSessions)
      .where(eq(schema.staffSessions.staffId, user.id));
    expect(row?.tokenHash).not.toBe(ok.token); // only the digest is stored
  });
});

describe.each(engines())('staff accounts from the operator shell on %s', (engine) => {
  const h = useHarness(engine);
  const now = () => new Date();
  const signIn = (email: string, password: string) =>
    signInStaff({ db: h.db, email, password, now: now(), requestId: null });

  it('adds an account with a generated password shown once, resets it (ending sessions), disables it', async () => {
    const email = `operator-${engine}@latih.test`;
    const added = await runStaffCommand(
      h.db,
      ['add', '--email', email, '--name', 'Siti Rahma', '--role', 'reviewer'],
      now(),
    );
    const password = added[1]?.split(': ').pop() ?? '';
    expect(added[0]).toMatch(new RegExp(`^added ${email} \\(reviewer\\), stf_`));
    expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    const first = await signIn(email, password);
    expect(first.session.user).toMatchObject({ email, name: 'Siti Rahma', role: 'reviewer' });
    const [row] = await h.db.select().from(schema.staffUsers).where(eq(schema.staffUsers.email, email));
    expect(row?.passwordHash.startsWith('scrypt$')).toBe(true);
    expect(row?.passwordHash).not.toContain(password);

    // A second add of the same e-mail is refused, and nothing changes.
    await expect(
      runStaffCommand(h.db, ['add', '--email', email, '--name', 'Lain', '--role', 'admin'], now()),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED', field: 'email' });

    // Reset: the old password and the live session stop working; the new one signs in.
    const reset = await runStaffCommand(h.db, ['reset-password', '--email', email], now());
    const newPassword = reset[0]?.split(': ').pop() ?? '';
    expect(reset[1]).toBe('sessions ended: 1');
    expect(await staffSession({ db: h.db, token: first.token, now: now() })).toBeNull();
    await expect(signIn(email, password)).rejects.toMatchObject({ code: 'STAFF_SIGN_IN_FAILED' });
    const second = await signIn(email, newPassword);

    // Disable: the session ends at once and sign-in answers like a wrong password.
    expect(await runStaffCommand(h.db, ['disable', '--email', email], now())).toEqual([
      `disabled ${email}; sessions ended: 1`,
    ]);
    expect(await staffSession({ db: h.db, token: second.token, now: now() })).toBeNull();
    await expect(signIn(email, newPassword)).rejects.toMatchObject({ code: 'STAFF_SIGN_IN_FAILED' });

    const audit = await h.db
      .select()
      .from(schema.auditLog)
      .where(eq(schema.auditLog.entityId, row?.id ?? ''));
    const actions = audit.map((a) => a.action);
    for (const a of ['staff.created', 'staff.password_reset', 'staff.disabled']) expect(actions).toContain(a);
    expect(JSON.stringify(audit)).not.toContain(password);
    expect(JSON.stringify(audit)).not.toContain(newPassword);
  });

  it('adds a provider’s first console admin with --organisation; its session acts as that provider', async () => {
    const email = `lembaga-${engine}@latih.test`;
    const providerId = h.orgs.providerA.organisationId;
    const added = await runStaffCommand(
      h.db,
      ['add', '--organisation', providerId, '--email', email, '--name', 'Admin Lembaga', '--role', 'admin'],
      now(),
    );
    const first = await signIn(email, added[1]?.split(': ').pop() ?? '');
    expect(first.session).toMatchObject({
      audience: 'provider',
      organisation: { id: providerId },
      user: { role: 'admin' },
      writes: ['provider.'],
    });
    const [row] = await h.db.select().from(schema.staffUsers).where(eq(schema.staffUsers.email, email));
    expect(row?.organisationId).toBe(providerId);
    // A provider has no reviewers; a platform has no console; an unknown organisation is refused.
    for (const argv of [
      ['add', '--organisation', providerId, '--email', 'r@latih.test', '--name', 'R', '--role', 'reviewer'],
      [
        'add',
        '--organisation',
        h.orgs.platformA.organisationId,
        '--email',
        'p@latih.test',
        '--name',
        'P',
        '--role',
        'admin',
      ],
      [
        'add',
        '--organisation',
        'org_01jw0000000000000000000zz9',
        '--email',
        'z@latih.test',
        '--name',
        'Z',
        '--role',
        'admin',
      ],
    ])
      await expect(runStaffCommand(h.db, argv, now())).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('refuses bad arguments with the usage, and writes nothing', async () => {
    const before = (await h.db.select().from(schema.staffUsers)).length;
    for (const argv of [
      [],
      ['add', '--email', 'x@latih.test', '--name', 'X', '--role', 'superuser'],
      ['add', '--email', 'bukan-surel', '--name', 'X', '--role', 'admin'],
      ['add', '--email', 'x@latih.test', '--role', 'admin'],
      ['add', '--email'],
      ['reset-password', '--email', 'nobody@latih.test'],
      ['drop-all'],
    ])
      await expect(runStaffCommand(h.db, argv, now())).rejects.toMatchObject({
        code: expect.stringMatching(/^(VALIDATION_FAILED|NOT_FOUND)$/),
      });
    expect((await h.db.select().from(schema.staffUsers)).length).toBe(before);
  });
});

describe.each(engines())('the first staff account on an empty database (%s)', (engine) => {
  it('creates the PMO organisation once, and later accounts join it', async () => {
    const database = await freshDatabase(engine);
    try {
      const db = database.db;
      expect(await db.select().from(schema.organisations)).toEqual([]);
      const first = await runStaffCommand(
        db,
        ['add', '--email', 'kepala@pmo.example', '--name', 'Kepala PMO', '--role', 'admin'],
        new Date(),
      );
      expect(first[0]).toMatch(
        /^created the PMO organisation org_[0-9a-hjkmnp-tv-z]{26} \(there was none\)$/,
      );
      const second = await runStaffCommand(
        db,
        ['add', '--email', 'staf@pmo.example', '--name', 'Staf PMO', '--role', 'reviewer'],
        new Date(),
      );
      expect(second[0]).toMatch(/^added staf@pmo.example \(reviewer\)/);
      const orgs = await db.select().from(schema.organisations);
      expect(orgs.map((o) => [o.kind, o.status, o.name])).toEqual([
        ['PMO', 'ACTIVE', 'Manajemen Pelaksana Program'],
      ]);
      const staff = await db.select().from(schema.staffUsers);
      expect(staff.map((u) => u.organisationId)).toEqual([orgs[0]?.id, orgs[0]?.id]);
    } finally {
      await database.drop();
    }
  });
});
