import { schema } from '@latih/db';
import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { engines } from '../support/db';
import { codeOf, sampleCourse, useHarness } from '../support/harness';

describe.each(engines())('first slice on %s', (engine) => {
  const h = useHarness(engine);

  it('a provider creates a draft course and reads it back; audit row and outbox event are written', async () => {
    const session = h.session('providerA');
    const provider = session.api;
    const created = await provider.provider.courses.create(sampleCourse);
    expect(created).toMatchObject({
      status: 'DRAFT',
      providerId: h.orgs.providerA.organisationId,
      title: sampleCourse.title,
      hours: 16,
      price: 1_500_000,
      language: 'id',
      version: 1,
    });
    expect(created.id).toMatch(/^crs_[0-9a-z]{26}$/);
    expect(await provider.provider.courses.get({ id: created.id })).toEqual(created);

    const audit = await h.db.select().from(schema.auditLog).where(eq(schema.auditLog.entityId, created.id));
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      action: 'course.created',
      fromState: null,
      toState: 'DRAFT',
      actorOrganisationId: h.orgs.providerA.organisationId,
      actorClientId: h.orgs.providerA.clientId,
      requestId: session.requestId,
    });
    const events = await h.db.select().from(schema.events).where(eq(schema.events.entityId, created.id));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'course.created',
      organisationId: h.orgs.providerA.organisationId,
    });
    expect(events[0]?.id).toMatch(/^evt_/);
    expect((events[0]?.data as { course?: { id: string } } | undefined)?.course?.id).toBe(created.id);
  });

  it('another provider gets NOT_FOUND for it, and does not see it in its list', async () => {
    const course = await h
      .caller('providerA')
      .provider.courses.create({ ...sampleCourse, title: 'Fotografi untuk Pemula' });
    const other = h.caller('providerB');
    await expect(other.provider.courses.get({ id: course.id })).rejects.toSatisfy(
      (e) => codeOf(e) === 'NOT_FOUND',
    );
    const list = await other.provider.courses.list({ limit: 100 });
    expect(list.items.map((c) => c.id)).not.toContain(course.id);
  });

  it('a missing course answers exactly like another provider’s', async () => {
    const err = await h
      .caller('providerB')
      .provider.courses.get({ id: 'crs_01jw0000000000000000000000' })
      .catch((e: unknown) => e);
    expect(codeOf(err)).toBe('NOT_FOUND');
  });

  it('a platform cannot see drafts, neither by id nor in the catalog list', async () => {
    const course = await h
      .caller('providerA')
      .provider.courses.create({ ...sampleCourse, title: 'K3 Migas Dasar' });
    const platform = h.caller('platformA');
    await expect(platform.platform.catalog.get({ id: course.id })).rejects.toSatisfy(
      (e) => codeOf(e) === 'NOT_FOUND',
    );
    const page = await platform.platform.catalog.list();
    expect(page.items.map((c) => c.id)).not.toContain(course.id);
  });

  it('a platform cannot call provider procedures, nor a provider PMO ones', async () => {
    await expect(h.caller('platformA').provider.courses.list()).rejects.toSatisfy(
      (e) => codeOf(e) === 'FORBIDDEN_ROLE',
    );
    await expect(h.caller('providerA').pmo.organisations.list()).rejects.toSatisfy(
      (e) => codeOf(e) === 'FORBIDDEN_ROLE',
    );
  });

  it('a token without the needed scope is refused with SCOPE_MISSING', async () => {
    const readOnly = h.caller('providerA', { scopes: ['catalog:read'] });
    await expect(readOnly.provider.courses.create(sampleCourse)).rejects.toSatisfy(
      (e) => codeOf(e) === 'SCOPE_MISSING',
    );
  });

  it('the PMO lists organisations, filtered and paginated', async () => {
    const pmo = h.caller('pmo');
    const all = await pmo.pmo.organisations.list({ limit: 100 });
    const ids = all.items.map((o) => o.id);
    for (const o of Object.values(h.orgs)) expect(ids).toContain(o.organisationId);
    const providers = await pmo.pmo.organisations.list({ kind: 'PROVIDER' });
    expect(providers.items.every((o) => o.kind === 'PROVIDER')).toBe(true);
    expect(providers.items).toHaveLength(2);

    const first = await pmo.pmo.organisations.list({ limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).not.toBeNull();
    const second = await pmo.pmo.organisations.list({ limit: 2, cursor: first.nextCursor ?? undefined });
    expect(second.items).toHaveLength(2);
    const third = await pmo.pmo.organisations.list({ limit: 2, cursor: second.nextCursor ?? undefined });
    expect(third.items).toHaveLength(1); // five organisations: the PMO, two providers, two platforms
    expect(third.nextCursor).toBeNull();
    expect(new Set([...first.items, ...second.items, ...third.items].map((o) => o.id)).size).toBe(5);
  });

  it('lists paginate with cursors and filter by status and mode', async () => {
    const provider = h.caller('providerB');
    for (const mode of ['WEBINAR', 'WEBINAR', 'SELF_PACED'] as const) {
      // Self-paced courses belong to the 2020 scheme (balance Rp1.000.000).
      const scheme = mode === 'SELF_PACED' ? { schemeId: 'PRAKERJA_2020', price: 900_000 } : {};
      await provider.provider.courses.create({
        ...sampleCourse,
        mode,
        title: `Pemasaran Digital ${mode} ${Math.random()}`,
        ...scheme,
      });
    }
    const webinars = await provider.provider.courses.list({ mode: 'WEBINAR' });
    expect(webinars.items).toHaveLength(2);
    const p1 = await provider.provider.courses.list({ limit: 2, status: 'DRAFT' });
    const p2 = await provider.provider.courses.list({
      limit: 2,
      status: 'DRAFT',
      cursor: p1.nextCursor ?? undefined,
    });
    expect(p1.items.length + p2.items.length).toBe(3);
    await expect(provider.provider.courses.list({ cursor: 'not-a-cursor' })).rejects.toSatisfy(
      (e) => codeOf(e) === 'VALIDATION_FAILED',
    );
  });

  it('bad input is refused with VALIDATION_FAILED naming the field, and writes nothing', async () => {
    const before = await h.db.select({ n: sql<number>`count(*)`.mapWith(Number) }).from(schema.courses);
    const provider = h.caller('providerA');
    for (const [input, field] of [
      [{ ...sampleCourse, price: 1.5 }, 'price'],
      [{ ...sampleCourse, price: -1 }, 'price'],
      [{ ...sampleCourse, hours: 0.1 }, 'hours'],
      [{ ...sampleCourse, mode: 'ONSITE' }, 'mode'],
      [{ ...sampleCourse, title: 'x' }, 'title'],
    ] as const) {
      const err = await provider.provider.courses.create(input as never).catch((e: unknown) => e);
      expect(codeOf(err), JSON.stringify(input)).toBe('VALIDATION_FAILED');
      expect((err as { cause: { field?: string } }).cause.field).toBe(field);
    }
    const after = await h.db.select({ n: sql<number>`count(*)`.mapWith(Number) }).from(schema.courses);
    expect(after[0]?.n).toBe(before[0]?.n);
  });

  it('a duplicate externalId is refused and leaves nothing behind', async () => {
    const provider = h.caller('providerA');
    await provider.provider.courses.create({ ...sampleCourse, externalId: 'EXT-1' });
    const err = await provider.provider.courses
      .create({ ...sampleCourse, externalId: 'EXT-1' })
      .catch((e: unknown) => e);
    expect(codeOf(err)).toBe('EXTERNAL_ID_TAKEN');
    const rows = await h.db.select().from(schema.courses).where(eq(schema.courses.externalId, 'EXT-1'));
    expect(rows).toHaveLength(1);
    // The other provider may use the same external id: it is the provider's own key.
    await expect(
      h.caller('providerB').provider.courses.create({ ...sampleCourse, externalId: 'EXT-1' }),
    ).resolves.toBeDefined();
  });

  it('the course, its audit row and its event commit together: a failing event write leaves none of the three', async () => {
    const countAll = async () => {
      const [c] = await h.db.select({ n: sql<number>`count(*)`.mapWith(Number) }).from(schema.courses);
      const [a] = await h.db.select({ n: sql<number>`count(*)`.mapWith(Number) }).from(schema.auditLog);
      const [e] = await h.db.select({ n: sql<number>`count(*)`.mapWith(Number) }).from(schema.events);
      return [c?.n, a?.n, e?.n];
    };
    const before = await countAll();
    // Make the outbox insert fail, after the course and audit inserts have run in the transaction.
    await h.db.execute(sql`create function test_fail_event() returns trigger as $$
      begin raise exception 'outbox unavailable'; end; $$ language plpgsql`);
    await h.db.execute(
      sql`create trigger test_fail_event before insert on events for each row execute function test_fail_event()`,
    );
    try {
      const err = await h
        .caller('providerA')
        .provider.courses.create({ ...sampleCourse, title: 'Kursus yang tidak jadi' })
        .catch((e: unknown) => e);
      expect(codeOf(err)).toBe('INTERNAL_ERROR');
      // The client learns nothing of the cause; the log has it.
      expect((err as Error).message).not.toContain('outbox');
      expect(await countAll()).toEqual(before);
      const stray = await h.db
        .select()
        .from(schema.courses)
        .where(eq(schema.courses.title, 'Kursus yang tidak jadi'));
      expect(stray).toHaveLength(0);
    } finally {
      await h.db.execute(sql`drop trigger test_fail_event on events`);
      await h.db.execute(sql`drop function test_fail_event()`);
    }
  });

  it('the audit log is append-only: UPDATE, DELETE and TRUNCATE are refused by the database', async () => {
    await h.caller('providerA').provider.courses.create({ ...sampleCourse, title: 'Audit target' });
    const refused = (e: unknown) => /append-only/.test(String((e as { cause?: Error }).cause?.message));
    await expect(h.db.execute(sql`update audit_log set action = 'tampered'`)).rejects.toSatisfy(refused);
    await expect(h.db.execute(sql`delete from audit_log`)).rejects.toSatisfy(refused);
    await expect(h.db.execute(sql`truncate audit_log`)).rejects.toSatisfy(refused);
    const [row] = await h.db.select({ n: sql<number>`count(*)`.mapWith(Number) }).from(schema.auditLog);
    expect(row?.n).toBeGreaterThan(0);
  });

  it('int8 columns come back as numbers on this driver', async () => {
    const course = await h.caller('providerA').provider.courses.create({ ...sampleCourse, price: 3_500_000 });
    const [row] = await h.db.select().from(schema.courses).where(eq(schema.courses.id, course.id));
    expect(row?.price).toBe(3_500_000);
    const raw = (await h.db.execute(sql`select price, seq from courses, events limit 1`)) as unknown as {
      rows: { price: unknown; seq: unknown }[];
    };
    expect(typeof raw.rows[0]?.price).toBe('number');
    expect(typeof raw.rows[0]?.seq).toBe('number');
  });
});
