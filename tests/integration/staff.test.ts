import { createStaffUser, hashPassword, signInStaff, staffSession, verifyPassword } from '@latih/core';
import { schema } from '@latih/db';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { engines } from '../support/db';
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
