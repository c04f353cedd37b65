import { AppError } from '@latih/contracts';
import { IDEMPOTENCY_LOCK_MS, IdempotencyInProgressError, requestHash, runIdempotent } from '@latih/core';
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  type Db,
  deleteExpiredIdempotencyKeys,
  IDEMPOTENCY_DELETE_BATCH,
  releaseIdempotencyKey,
  schema,
} from '@latih/db';
import { and, eq, sql } from 'drizzle-orm';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { engines, postgresAvailable } from '../support/db';
import { codeOf, type Harness, sampleCourse, useHarness } from '../support/harness';
import { onSale, participants } from '../support/marketplace-fixtures';

const countCourses = async (h: Harness, title: string) =>
  (await h.db.select().from(schema.courses).where(eq(schema.courses.title, title))).length;

const MINUTE = 60_000;
const keyRow = async (h: Harness, key: string) =>
  (await h.db.select().from(schema.idempotencyKeys).where(eq(schema.idempotencyKeys.key, key)))[0];

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** What a promise ended with, without throwing: `{ ok, value }` or `{ ok: false, error }`. */
const settle = <T>(p: Promise<T>) =>
  p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );

/** Rows of a raw query (both drivers answer `{ rows }`). */
const rowsOf = async <T>(db: Db, query: ReturnType<typeof sql>) =>
  ((await db.execute(query)) as unknown as { rows: T[] }).rows;

const appCode = (err: unknown) => (err instanceof AppError ? err.code : String(err));

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

  it('a domain refusal is stored and replayed (Idempotent-Replayed: true); the retry does not run again', async () => {
    await h.caller('providerA').provider.courses.create({ ...sampleCourse, externalId: 'IDEM-EXT' });
    const input = { ...sampleCourse, externalId: 'IDEM-EXT', title: 'Refused twice' };
    const s1 = h.session('providerA', { idempotencyKey: 'key-refusal' });
    const e1 = await s1.api.provider.courses.create(input).catch((e) => e);
    expect(codeOf(e1)).toBe('EXTERNAL_ID_TAKEN');
    expect(s1.headers.get('idempotent-replayed')).toBeUndefined();
    const [row] = await h.db
      .select()
      .from(schema.idempotencyKeys)
      .where(and(eq(schema.idempotencyKeys.key, 'key-refusal')));
    expect(row).toMatchObject({ status: 'COMPLETED', responseStatus: 409 });
    const s2 = h.session('providerA', { idempotencyKey: 'key-refusal' });
    const e2 = await s2.api.provider.courses.create(input).catch((e) => e);
    expect(codeOf(e2)).toBe('EXTERNAL_ID_TAKEN');
    expect((e2 as Error).message).toBe((e1 as Error).message);
    expect(s2.headers.get('idempotent-replayed')).toBe('true');
    expect(await countCourses(h, 'Refused twice')).toBe(0);
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

  it('a key just claimed by another attempt answers IDEMPOTENCY_IN_PROGRESS (retryable, Retry-After: 1)', async () => {
    const input = { ...sampleCourse, title: 'In flight' };
    // The state a concurrent first attempt leaves between its claim and its transaction (a running
    // attempt's transaction holds the row: tested on PostgreSQL below).
    await h.db.insert(schema.idempotencyKeys).values({
      clientId: h.orgs.providerA.clientId,
      key: 'key-busy',
      procedure: 'provider.courses.create',
      requestHash: requestHash('provider.courses.create', input),
      status: 'IN_PROGRESS',
      attempt: 'another-attempt',
      createdAt: new Date(Date.now() - 1000),
      lockedUntil: new Date(Date.now() + IDEMPOTENCY_LOCK_MS - 1000),
      expiresAt: new Date(Date.now() + 86_400_000),
    });
    const s = h.session('providerA', { idempotencyKey: 'key-busy' });
    const err = await s.api.provider.courses.create(input).catch((e: unknown) => e);
    expect(codeOf(err)).toBe('IDEMPOTENCY_IN_PROGRESS');
    expect(s.headers.get('retry-after')).toBe('1');
    expect(await countCourses(h, 'In flight')).toBe(0);
  });

  it('a key whose attempt died answers Retry-After: the seconds until its lock expires, then the retry runs', async () => {
    const input = { ...sampleCourse, title: 'Crashed a minute ago' };
    const t0 = Date.now();
    // Claimed 80 s ago by an attempt that no transaction holds any more: it died (the process, its
    // connection). Nothing can happen before its lock expires, 40 s from now.
    await h.db.insert(schema.idempotencyKeys).values({
      clientId: h.orgs.providerA.clientId,
      key: 'key-crashed',
      procedure: 'provider.courses.create',
      requestHash: requestHash('provider.courses.create', input),
      status: 'IN_PROGRESS',
      attempt: 'a-dead-attempt',
      createdAt: new Date(t0 - 80_000),
      lockedUntil: new Date(t0 - 80_000 + IDEMPOTENCY_LOCK_MS),
      expiresAt: new Date(t0 + 86_400_000),
    });
    try {
      h.clock.set(new Date(t0));
      const s = h.session('providerA', { idempotencyKey: 'key-crashed' });
      const err = await s.api.provider.courses.create(input).catch((e: unknown) => e);
      expect(codeOf(err)).toBe('IDEMPOTENCY_IN_PROGRESS');
      expect(s.headers.get('retry-after')).toBe('40');
      expect(await countCourses(h, 'Crashed a minute ago')).toBe(0);
      // Coming back when told: the key is taken over and the request runs once.
      h.clock.set(new Date(t0 + 40_000 + 1));
      const course = await h
        .caller('providerA', { idempotencyKey: 'key-crashed' })
        .provider.courses.create(input);
      expect(course.title).toBe('Crashed a minute ago');
      expect(await countCourses(h, 'Crashed a minute ago')).toBe(1);
    } finally {
      h.clock.reset();
    }
  });

  it("claims compare times with the caller's clock, not the database's (a sandbox clock runs ahead)", async () => {
    const ahead = Date.now() + 2 * 86_400_000;
    const input = { ...sampleCourse, title: 'Two days ahead' };
    // An attempt claimed the key at program time `ahead`, then died.
    await h.db.insert(schema.idempotencyKeys).values({
      clientId: h.orgs.providerA.clientId,
      key: 'key-ahead',
      procedure: 'provider.courses.create',
      requestHash: requestHash('provider.courses.create', input),
      status: 'IN_PROGRESS',
      attempt: 'a-dead-attempt',
      createdAt: new Date(ahead),
      lockedUntil: new Date(ahead + IDEMPOTENCY_LOCK_MS),
      expiresAt: new Date(ahead + 86_400_000),
    });
    // A key answered yesterday in real time has expired by program time.
    const old = { ...sampleCourse, title: 'Answered long ago' };
    const first = await h
      .caller('providerA', { idempotencyKey: 'key-yesterday' })
      .provider.courses.create(old);
    try {
      h.clock.set(new Date(ahead + IDEMPOTENCY_LOCK_MS + 1000));
      const course = await h
        .caller('providerA', { idempotencyKey: 'key-ahead' })
        .provider.courses.create(input);
      expect(course.title).toBe('Two days ahead');
      const again = await h
        .caller('providerA', { idempotencyKey: 'key-yesterday' })
        .provider.courses.create(old);
      expect(again.id).not.toBe(first.id);
      expect(await keyRow(h, 'key-yesterday')).toMatchObject({
        createdAt: new Date(ahead + IDEMPOTENCY_LOCK_MS + 1000),
      });
    } finally {
      h.clock.reset();
    }
  });

  it('only the attempt that owns a key (its fencing token) may complete or release it', async () => {
    const clientId = h.orgs.providerA.clientId;
    const t0 = Date.now();
    const claimAt = (at: number) =>
      claimIdempotencyKey(h.db, {
        clientId,
        key: 'key-fenced',
        procedure: 'test.fence',
        requestHash: 'hash-1',
        now: new Date(at),
        lockedUntil: new Date(at + IDEMPOTENCY_LOCK_MS),
        expiresAt: new Date(at + 86_400_000),
      });
    const a = await claimAt(t0);
    if (!a.claimed) throw new Error('the first claim must succeed');
    expect(await keyRow(h, 'key-fenced')).toMatchObject({ attempt: a.attempt, status: 'IN_PROGRESS' });
    expect(await claimAt(t0 + 1000)).toMatchObject({ claimed: false, existing: { attempt: a.attempt } });
    // A's lock passes: a retry takes the key over with a token of its own.
    const b = await claimAt(t0 + IDEMPOTENCY_LOCK_MS + 1000);
    if (!b.claimed) throw new Error('the takeover must succeed');
    expect(b.attempt).not.toBe(a.attempt);
    const late = { clientId, key: 'key-fenced', attempt: a.attempt };
    expect(
      await completeIdempotencyKey(h.db, { ...late, responseStatus: 409, responseBody: { code: 'X' } }),
    ).toBe(false);
    expect(await releaseIdempotencyKey(h.db, late)).toBe(false);
    expect(await keyRow(h, 'key-fenced')).toMatchObject({ attempt: b.attempt, status: 'IN_PROGRESS' });
    const owner = { clientId, key: 'key-fenced', attempt: b.attempt };
    expect(
      await completeIdempotencyKey(h.db, { ...owner, responseStatus: 200, responseBody: { ok: 'B' } }),
    ).toBe(true);
    // Completed once: not even the owner completes it again.
    expect(
      await completeIdempotencyKey(h.db, { ...owner, responseStatus: 200, responseBody: { ok: 'B2' } }),
    ).toBe(false);
    expect(await keyRow(h, 'key-fenced')).toMatchObject({
      status: 'COMPLETED',
      responseStatus: 200,
      responseBody: { ok: 'B' },
    });
  });

  it('expired keys are deleted in bounded batches (oldest first), live ones kept', async () => {
    // Half a day ahead: no key of the other tests (kept 24 hours) has expired yet.
    const now = Date.now() + 12 * 3_600_000;
    const n = 2 * IDEMPOTENCY_DELETE_BATCH + 7;
    await h.db.execute(sql`
      insert into idempotency_keys (client_id, key, procedure, request_hash, status, locked_until, expires_at)
      select 'cli_batch', 'expired-' || i, 'test', 'h', 'COMPLETED', ${new Date(now - 86_400_000)},
             ${new Date(now - 1000)}::timestamptz - make_interval(secs => i)
      from generate_series(1, ${n}) as i`);
    await h.db.execute(sql`
      insert into idempotency_keys (client_id, key, procedure, request_hash, status, locked_until, expires_at)
      select 'cli_batch', 'live-' || i, 'test', 'h', 'COMPLETED', ${new Date(now)}, ${new Date(now + 1000)}
      from generate_series(1, 3) as i`);
    const counts = [await deleteExpiredIdempotencyKeys(h.db, new Date(now))];
    expect(await keyRow(h, `expired-${n}`)).toBeUndefined();
    expect(await keyRow(h, 'expired-1')).toBeDefined();
    for (let i = 0; i < 3; i++) counts.push(await deleteExpiredIdempotencyKeys(h.db, new Date(now)));
    expect(counts).toEqual([IDEMPOTENCY_DELETE_BATCH, IDEMPOTENCY_DELETE_BATCH, 7, 0]);
    const left = await h.db
      .select({ key: schema.idempotencyKeys.key })
      .from(schema.idempotencyKeys)
      .where(eq(schema.idempotencyKeys.clientId, 'cli_batch'));
    expect(left.map((r) => r.key).sort()).toEqual(['live-1', 'live-2', 'live-3']);
  });

  it('a key held by an attempt that died (lock expired) is taken over by the retry', async () => {
    const input = { ...sampleCourse, title: 'Died midway' };
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

  /**
   * The database handle of a first attempt, paused where a real attempt can stall: before its
   * transaction (waiting for a pooled connection, a GC pause) or after it (between the rollback of
   * a refusal or failure and storing or releasing the key). Every query is real.
   */
  function stalling(db: Db, where: 'before-transaction' | 'after-transaction') {
    const reached = deferred();
    const resume = deferred();
    const handle = new Proxy(db, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target) as unknown;
        if (prop !== 'transaction') return typeof value === 'function' ? value.bind(target) : value;
        return async (...args: Parameters<Db['transaction']>) => {
          if (where === 'before-transaction') {
            reached.resolve();
            await resume.promise;
          }
          try {
            return await target.transaction(...args);
          } finally {
            if (where === 'after-transaction') {
              reached.resolve();
              await resume.promise;
            }
          }
        };
      },
    });
    return { db: handle, reached: reached.promise, resume: () => resume.resolve() };
  }

  /** An effect in the attempt's transaction, answered with a code shown once (as a voucher's). */
  async function effect(tx: Db, key: string, label: string) {
    await tx.execute(sql`insert into test_effects (key, label) values (${key}, ${label})`);
    return { code: `VCH-${label}-${Math.random().toString(36).slice(2, 10)}` };
  }
  const effects = async (key: string) =>
    (
      await rowsOf<{ label: string }>(
        h.db,
        sql`select label from test_effects where key = ${key} order by label`,
      )
    ).map((r) => r.label);
  const mustNotRun = async (): Promise<{ code: string }> => {
    throw new Error('a replay must not run');
  };

  const T0 = Date.now();
  /** The first attempt started three minutes ago: by now its two-minute lock has passed. */
  const LATE = () => T0 - 3 * MINUTE;
  const attempt = (key: string, o: Partial<Parameters<typeof runIdempotent<{ code: string }>>[0]>) =>
    runIdempotent<{ code: string }>({
      db: h.db,
      clientId: h.orgs.platformA.clientId,
      key,
      procedure: 'test.purchase',
      input: { key },
      now: () => Date.now(),
      run: mustNotRun,
      ...o,
    });

  /**
   * An attempt that does its effect, then waits inside its transaction until `finish()`: `started`
   * resolves once the effect is written, `settled` with the attempt's outcome.
   */
  function heldAttempt(
    key: string,
    label: string,
    o: Partial<Parameters<typeof runIdempotent<{ code: string }>>[0]> = {},
  ) {
    const started = deferred();
    const finish = deferred();
    const settled = settle(
      attempt(key, {
        ...o,
        run: async (tx) => {
          const r = await effect(tx, key, label);
          started.resolve();
          await finish.promise;
          return r;
        },
      }),
    );
    return { started: started.promise, finish: () => finish.resolve(), settled };
  }

  beforeAll(async () => {
    await h.db.execute(sql`create table test_effects (key text not null, label text not null)`);
  });

  it('a running first attempt keeps its key past the lock time: the retry answers IN_PROGRESS (Retry-After 1), then replays its answer', async () => {
    const key = 'fence-live';
    const firstAttempt = heldAttempt(key, 'first', { now: LATE });
    await firstAttempt.started;
    const retry = await settle(attempt(key, { run: (tx) => effect(tx, key, 'retry') }));
    expect(retry.ok).toBe(false);
    const err = retry.ok ? undefined : retry.error;
    expect(appCode(err)).toBe('IDEMPOTENCY_IN_PROGRESS');
    expect(err instanceof IdempotencyInProgressError && err.retryAfterSeconds).toBe(1);
    firstAttempt.finish();
    const done = await firstAttempt.settled;
    if (!done.ok) throw done.error;
    expect(done.value.replayed).toBe(false);
    const replay = await attempt(key, {});
    expect(replay).toEqual({ result: done.value.result, replayed: true });
    expect(await effects(key)).toEqual(['first']);
  });

  it('a first attempt that stalls before its transaction is fenced out after a takeover: it runs nothing and answers IN_PROGRESS', async () => {
    const key = 'fence-before';
    const stall = stalling(h.db, 'before-transaction');
    let firstRan = false;
    const first = settle(
      attempt(key, {
        db: stall.db,
        now: LATE,
        run: async (tx) => {
          firstRan = true;
          return effect(tx, key, 'first');
        },
      }),
    );
    await stall.reached;
    const owner = await attempt(key, { run: (tx) => effect(tx, key, 'owner') });
    expect(owner.replayed).toBe(false);
    stall.resume();
    const late = await first;
    expect(late.ok ? 'succeeded' : appCode(late.error)).toBe('IDEMPOTENCY_IN_PROGRESS');
    expect(firstRan).toBe(false);
    expect(await effects(key)).toEqual(['owner']);
    expect(await attempt(key, {})).toEqual({ result: owner.result, replayed: true });
  });

  it("a late first attempt's refusal never overwrites the answer of the attempt that took its key over", async () => {
    const key = 'fence-refusal';
    const stall = stalling(h.db, 'after-transaction');
    const first = settle(
      attempt(key, {
        db: stall.db,
        now: LATE,
        run: async (tx) => {
          await effect(tx, key, 'first');
          // The retry got there first (a seat, a course bought once): a refusal, rolled back.
          throw new AppError('COURSE_ALREADY_PURCHASED', { field: 'courseId' });
        },
      }),
    );
    await stall.reached;
    const owner = await attempt(key, { run: (tx) => effect(tx, key, 'owner') });
    stall.resume();
    const late = await first;
    expect(late.ok ? 'succeeded' : appCode(late.error)).toBe('IDEMPOTENCY_IN_PROGRESS');
    expect(await keyRow(h, key)).toMatchObject({ status: 'COMPLETED', responseStatus: 200 });
    // The code shown once can be shown again.
    const replay = await attempt(key, {});
    expect(replay.result.code).toBe(owner.result.code);
    expect(await effects(key)).toEqual(['owner']);
  });

  it('a late first attempt that failed does not release the key of the attempt that took it over', async () => {
    const key = 'fence-release';
    const stall = stalling(h.db, 'after-transaction');
    const first = settle(
      attempt(key, {
        db: stall.db,
        now: LATE,
        run: async () => {
          throw new Error('connection reset');
        },
      }),
    );
    await stall.reached;
    const ownerAttempt = heldAttempt(key, 'owner');
    await ownerAttempt.started;
    stall.resume();
    const late = await first;
    expect(late.ok ? 'succeeded' : String(late.error)).toContain('connection reset');
    ownerAttempt.finish();
    const done = await ownerAttempt.settled;
    if (!done.ok) throw done.error;
    expect(await attempt(key, {})).toEqual({ result: done.value.result, replayed: true });
    expect(await effects(key)).toEqual(['owner']);
  });

  it("16 concurrent attempts with one key, half with a clock past the others' lock: one effect, one answer", async () => {
    const key = 'fence-race';
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        settle(
          attempt(key, { now: i % 2 === 0 ? LATE : () => Date.now(), run: (tx) => effect(tx, key, `a${i}`) }),
        ),
      ),
    );
    const ok = results.flatMap((r) => (r.ok ? [r.value.result.code] : []));
    const refused = results.flatMap((r) => (r.ok ? [] : [appCode(r.error)]));
    expect(ok.length).toBeGreaterThan(0);
    expect(new Set(ok).size).toBe(1);
    expect(new Set(refused)).toEqual(new Set(refused.length ? ['IDEMPOTENCY_IN_PROGRESS'] : []));
    expect(await effects(key)).toHaveLength(1);
    expect((await attempt(key, {})).result.code).toBe(ok[0]);
  });

  /** Until `n` backends of this database wait on a lock, or `p` has settled. */
  async function untilWaitingOrSettled(n: number, p: Promise<unknown>) {
    let settled = false;
    void p.finally(() => {
      settled = true;
    });
    for (;;) {
      const [waiting] = await rowsOf<{ n: number }>(
        h.db,
        sql`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
      );
      if (settled || Number(waiting?.n) >= n) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it('issue 15, break 5: a retry after the lock while the purchase still runs gets IN_PROGRESS, and the voucher code replays', async () => {
    const [buyer] = await participants(h, 1);
    const { course, run } = await onSale(h, { capacity: 5 });
    const checkout = await h
      .caller('platformA')
      .platform.checkout.create({ cardNumber: buyer?.cardNumber ?? '', courseId: course.id, runId: run.id });
    const input = { id: checkout.id, code: h.otp.read(checkout.id) ?? '' };
    // Hold the first attempt inside its transaction: another connection locks the checkout.
    const blocker = new pg.Client({ connectionString: h.database.url });
    await blocker.connect();
    try {
      await blocker.query('begin');
      await blocker.query('select 1 from checkouts where id = $1 for update', [checkout.id]);
      // The first attempt started three minutes ago (program time): its lock has passed.
      h.clock.set(new Date(Date.now() - 3 * MINUTE));
      const first = settle(
        h.caller('platformA', { idempotencyKey: 'confirm-slow' }).platform.checkout.confirm(input),
      );
      await untilWaitingOrSettled(1, first);
      h.clock.reset();
      const s = h.session('platformA', { idempotencyKey: 'confirm-slow' });
      const retry = settle(s.api.platform.checkout.confirm(input));
      await untilWaitingOrSettled(2, retry);
      await blocker.query('commit');
      const [a, b] = await Promise.all([first, retry]);
      if (!a.ok) throw a.error;
      expect(b.ok ? 'succeeded' : codeOf(b.error)).toBe('IDEMPOTENCY_IN_PROGRESS');
      expect(s.headers.get('retry-after')).toBe('1');
      const again = h.session('platformA', { idempotencyKey: 'confirm-slow' });
      const replay = await again.api.platform.checkout.confirm(input);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(replay.code).toBe(a.value.code);
      expect(replay.voucher.id).toBe(a.value.voucher.id);
      const vouchers = await h.db
        .select()
        .from(schema.vouchers)
        .where(eq(schema.vouchers.participantId, buyer?.id ?? ''));
      expect(vouchers).toHaveLength(1);
    } finally {
      h.clock.reset();
      await blocker.end();
    }
  });

  it('12 concurrent confirms with one key: one voucher, every success the same code', async () => {
    const [buyer] = await participants(h, 1);
    const { course, run } = await onSale(h, { capacity: 5 });
    const checkout = await h
      .caller('platformA')
      .platform.checkout.create({ cardNumber: buyer?.cardNumber ?? '', courseId: course.id, runId: run.id });
    const input = { id: checkout.id, code: h.otp.read(checkout.id) ?? '' };
    const results = await Promise.all(
      Array.from({ length: 12 }, () =>
        settle(h.caller('platformA', { idempotencyKey: 'confirm-race' }).platform.checkout.confirm(input)),
      ),
    );
    const codes = results.flatMap((r) => (r.ok ? [r.value.code] : []));
    const refused = results.flatMap((r) => (r.ok ? [] : [codeOf(r.error)]));
    expect(codes.length).toBeGreaterThan(0);
    expect(new Set(codes).size).toBe(1);
    expect(refused.every((c) => c === 'IDEMPOTENCY_IN_PROGRESS')).toBe(true);
    const vouchers = await h.db
      .select()
      .from(schema.vouchers)
      .where(eq(schema.vouchers.participantId, buyer?.id ?? ''));
    expect(vouchers).toHaveLength(1);
    const replay = await h
      .caller('platformA', { idempotencyKey: 'confirm-race' })
      .platform.checkout.confirm(input);
    expect(replay.code).toBe(codes[0]);
  });

  it('the expiry sweep skips a key whose attempt is running, and never waits for it', async () => {
    const key = 'sweep-live';
    const firstAttempt = heldAttempt(key, 'first');
    await firstAttempt.started;
    // Two days later by the program's clock, the running attempt's key has expired too.
    const deleted = await deleteExpiredIdempotencyKeys(h.db, new Date(Date.now() + 2 * 86_400_000));
    expect(deleted).toBeGreaterThan(0);
    expect(await keyRow(h, key)).toMatchObject({ status: 'IN_PROGRESS' });
    firstAttempt.finish();
    const done = await firstAttempt.settled;
    if (!done.ok) throw done.error;
    expect(await attempt(key, {})).toEqual({ result: done.value.result, replayed: true });
  });
});
