import { schema } from '@latih/db';
import { and, eq, sql } from 'drizzle-orm';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { engines, postgresAvailable } from '../support/db';
import { codeOf, type Harness, sampleCourse, useHarness } from '../support/harness';

const countCourses = async (h: Harness, title: string) =>
  (await h.db.select().from(schema.courses).where(eq(schema.courses.title, title))).length;

describe.each(engines())('idempotency on %s', (engine) => {
  const h = useHarness(engine);

  it('the same key and body replays the first response without a second effect', async () => {
    const input = { ...sampleCourse, title: 'Replay me once' };
    const first = h.session('providerA', { idempotencyKey: 'key-replay' });
    const a = await first.api.provider.courses.create(input);
    expect(first.headers.get('idempotent-replayed')).toBeUndefined();
    const second = h.session('providerA', { idempotencyKey: 'key-replay' });
    const b = await second.api.provider.courses.create(input);
    expect(b).toEqual(a);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(await countCourses(h, 'Replay me once')).toBe(1);
    const events = await h.db.select().from(schema.events).where(eq(schema.events.entityId, a.id));
    expect(events).toHaveLength(1);
  });

  it('key order in the body does not matter: it is the same request', async () => {
    const input = { ...sampleCourse, title: 'Same in any order' };
    const reordered = Object.fromEntries(Object.entries(input).reverse()) as typeof input;
    const a = await h.caller('providerA', { idempotencyKey: 'key-order' }).provider.courses.create(input);
    const b = await h.caller('providerA', { idempotencyKey: 'key-order' }).provider.courses.create(reordered);
    expect(b.id).toBe(a.id);
  });

  it('the same key with another body is IDEMPOTENCY_KEY_REUSED and has no effect', async () => {
    await h
      .caller('providerA', { idempotencyKey: 'key-reuse' })
      .provider.courses.create({ ...sampleCourse, title: 'Body one' });
    const err = await h
      .caller('providerA', { idempotencyKey: 'key-reuse' })
      .provider.courses.create({ ...sampleCourse, title: 'Body two' })
      .catch((e: unknown) => e);
    expect(codeOf(err)).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await countCourses(h, 'Body two')).toBe(0);
  });

  it('keys are scoped per client: another client may use the same key', async () => {
    const input = { ...sampleCourse, title: 'Scoped key' };
    const a = await h.caller('providerA', { idempotencyKey: 'shared-key' }).provider.courses.create(input);
    const b = await h.caller('providerB', { idempotencyKey: 'shared-key' }).provider.courses.create(input);
    expect(b.id).not.toBe(a.id);
    expect(b.providerId).toBe(h.orgs.providerB.organisationId);
  });

  it('a domain refusal is stored and replayed; the retry does not run again', async () => {
    await h.caller('providerA').provider.courses.create({ ...sampleCourse, externalId: 'IDEM-EXT' });
    const input = { ...sampleCourse, externalId: 'IDEM-EXT', title: 'Refused twice' };
    const e1 = await h
      .caller('providerA', { idempotencyKey: 'key-refusal' })
      .provider.courses.create(input)
      .catch((e) => e);
    expect(codeOf(e1)).toBe('EXTERNAL_ID_TAKEN');
    const [row] = await h.db
      .select()
      .from(schema.idempotencyKeys)
      .where(and(eq(schema.idempotencyKeys.key, 'key-refusal')));
    expect(row).toMatchObject({ status: 'COMPLETED', responseStatus: 409 });
    const e2 = await h
      .caller('providerA', { idempotencyKey: 'key-refusal' })
      .provider.courses.create(input)
      .catch((e) => e);
    expect(codeOf(e2)).toBe('EXTERNAL_ID_TAKEN');
    expect((e2 as Error).message).toBe((e1 as Error).message);
  });

  it('a validation failure releases the key, so the corrected request may use it', async () => {
    const bad = await h
      .caller('providerA', { idempotencyKey: 'key-fix' })
      .provider.courses.create({ ...sampleCourse, price: -5 })
      .catch((e: unknown) => e);
    expect(codeOf(bad)).toBe('VALIDATION_FAILED');
    const rows = await h.db
      .select()
      .from(schema.idempotencyKeys)
      .where(eq(schema.idempotencyKeys.key, 'key-fix'));
    expect(rows).toHaveLength(0);
    await expect(
      h
        .caller('providerA', { idempotencyKey: 'key-fix' })
        .provider.courses.create({ ...sampleCourse, title: 'Fixed' }),
    ).resolves.toMatchObject({ title: 'Fixed' });
  });

  it('an unexpected failure releases the key and leaves no effect; the retry runs', async () => {
    await h.db.execute(sql`create function test_fail_once() returns trigger as $$
      begin raise exception 'transient'; end; $$ language plpgsql`);
    await h.db.execute(
      sql`create trigger test_fail_once before insert on events for each row execute function test_fail_once()`,
    );
    const input = { ...sampleCourse, title: 'Retried after a crash' };
    const err = await h
      .caller('providerA', { idempotencyKey: 'key-crash' })
      .provider.courses.create(input)
      .catch((e) => e);
    await h.db.execute(sql`drop trigger test_fail_once on events`);
    await h.db.execute(sql`drop function test_fail_once()`);
    expect(codeOf(err)).toBe('INTERNAL_ERROR');
    expect(await countCourses(h, 'Retried after a crash')).toBe(0);
    const ok = await h.caller('providerA', { idempotencyKey: 'key-crash' }).provider.courses.create(input);
    expect(ok.title).toBe('Retried after a crash');
    expect(await countCourses(h, 'Retried after a crash')).toBe(1);
  });

  it('a key still held by a live attempt answers IDEMPOTENCY_IN_PROGRESS (retryable, Retry-After)', async () => {
    const input = { ...sampleCourse, title: 'In flight' };
    // The state a concurrent first attempt leaves while it runs (the race itself is tested on PostgreSQL).
    const { requestHash } = await import('@latih/core');
    await h.db.insert(schema.idempotencyKeys).values({
      clientId: h.orgs.providerA.clientId,
      key: 'key-busy',
      procedure: 'provider.courses.create',
      requestHash: requestHash('provider.courses.create', input),
      status: 'IN_PROGRESS',
      lockedUntil: new Date(Date.now() + 60_000),
      expiresAt: new Date(Date.now() + 86_400_000),
    });
    const s = h.session('providerA', { idempotencyKey: 'key-busy' });
    const err = await s.api.provider.courses.create(input).catch((e: unknown) => e);
    expect(codeOf(err)).toBe('IDEMPOTENCY_IN_PROGRESS');
    expect(s.headers.get('retry-after')).toBe('1');
    expect(await countCourses(h, 'In flight')).toBe(0);
  });

  it('a key held by an attempt that died (lock expired) is taken over by the retry', async () => {
    const input = { ...sampleCourse, title: 'Died midway' };
    const { requestHash } = await import('@latih/core');
    await h.db.insert(schema.idempotencyKeys).values({
      clientId: h.orgs.providerA.clientId,
      key: 'key-dead',
      procedure: 'provider.courses.create',
      requestHash: requestHash('provider.courses.create', input),
      status: 'IN_PROGRESS',
      lockedUntil: new Date(Date.now() - 1000),
      expiresAt: new Date(Date.now() + 86_400_000),
    });
    const course = await h.caller('providerA', { idempotencyKey: 'key-dead' }).provider.courses.create(input);
    expect(course.title).toBe('Died midway');
    const again = await h.caller('providerA', { idempotencyKey: 'key-dead' }).provider.courses.create(input);
    expect(again.id).toBe(course.id);
  });

  it('keys are kept 24 hours; an expired key starts afresh', async () => {
    const input = { ...sampleCourse, title: 'Old key' };
    const a = await h.caller('providerA', { idempotencyKey: 'key-old' }).provider.courses.create(input);
    const [row] = await h.db
      .select()
      .from(schema.idempotencyKeys)
      .where(eq(schema.idempotencyKeys.key, 'key-old'));
    const kept = (row?.expiresAt.getTime() ?? 0) - (row?.createdAt.getTime() ?? 0);
    expect(kept).toBeGreaterThanOrEqual(24 * 3600 * 1000 - 5000);
    await h.db
      .update(schema.idempotencyKeys)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(schema.idempotencyKeys.key, 'key-old'));
    const b = await h.caller('providerA', { idempotencyKey: 'key-old' }).provider.courses.create(input);
    expect(b.id).not.toBe(a.id);
  });

  it('a malformed key is refused with IDEMPOTENCY_KEY_INVALID', async () => {
    const err = await h
      .caller('providerA', { idempotencyKey: 'x'.repeat(300) })
      .provider.courses.create(sampleCourse)
      .catch((e: unknown) => e);
    expect(codeOf(err)).toBe('IDEMPOTENCY_KEY_INVALID');
  });
});

describe.runIf(postgresAvailable())('idempotency races on real PostgreSQL', () => {
  const h = useHarness('postgres', { poolSize: 16 });

  it('20 concurrent requests with one key: one effect; every success is the same response', async () => {
    const input = { ...sampleCourse, title: 'Raced twenty times' };
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () =>
        h.caller('providerA', { idempotencyKey: 'race-key' }).provider.courses.create(input),
      ),
    );
    const ok = results.filter((r) => r.status === 'fulfilled').map((r) => r.value);
    const failed = results.filter((r) => r.status === 'rejected').map((r) => codeOf(r.reason));
    expect(ok.length).toBeGreaterThan(0);
    expect(new Set(ok.map((c) => c.id)).size).toBe(1);
    expect(failed.every((c) => c === 'IDEMPOTENCY_IN_PROGRESS')).toBe(true);
    expect(await countCourses(h, 'Raced twenty times')).toBe(1);
    const [n] = await h.db
      .select({ n: sql<number>`count(*)`.mapWith(Number) })
      .from(schema.events)
      .where(eq(schema.events.entityId, ok[0]?.id ?? ''));
    expect(n?.n).toBe(1);
  });

  it('a retry while the first attempt is still running gets 409 at once, then the replay', async () => {
    const input = { ...sampleCourse, title: 'Held by a lock' };
    // Hold the first attempt inside its transaction: another connection locks the courses table.
    const blocker = new pg.Client({ connectionString: h.database.url });
    await blocker.connect();
    await blocker.query('begin');
    await blocker.query('lock table courses in exclusive mode');
    const first = h.caller('providerA', { idempotencyKey: 'held-key' }).provider.courses.create(input);
    // Wait until the first attempt has claimed the key and is blocked on the insert.
    for (let i = 0; i < 100; i++) {
      const rows = await h.db
        .select()
        .from(schema.idempotencyKeys)
        .where(eq(schema.idempotencyKeys.key, 'held-key'));
      if (rows[0]?.status === 'IN_PROGRESS') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    // Were this call to wait for the lock holder, it would never return: we commit only after it.
    const second = await h
      .caller('providerA', { idempotencyKey: 'held-key' })
      .provider.courses.create(input)
      .catch((e: unknown) => e);
    expect(codeOf(second)).toBe('IDEMPOTENCY_IN_PROGRESS');
    await blocker.query('commit');
    await blocker.end();
    const created = await first;
    const replay = await h.caller('providerA', { idempotencyKey: 'held-key' }).provider.courses.create(input);
    expect(replay.id).toBe(created.id);
    expect(await countCourses(h, 'Held by a lock')).toBe(1);
  });
});
