import { TestClock } from '@latih/core';
import { schema } from '@latih/db';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { engines } from '../support/db';
import { codeOf, useHarness } from '../support/harness';

/** Fails (instead of hanging the file) when a call never answers. */
function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
    }),
  ]);
}

/*
 * Every SDK mutation carries an Idempotency-Key, and so do the guides' curl examples, so moving the
 * sandbox clock runs inside the idempotency transaction. It used to read the clock through the
 * clock's own database handle in there: on PGlite (npm start) that deadlocked the database for good.
 */
describe.each(engines())('sandbox.clock.advance with an Idempotency-Key on %s', (engine) => {
  const h = useHarness(engine);

  it('answers, replays with the same key, refuses going back, and leaves the database answering', async () => {
    const clock = new TestClock(h.db);
    h.services.clock = clock;
    h.services.now = () => clock.now();

    const first = h.session('platformA', { idempotencyKey: 'advance-an-hour' });
    const moved = await within(10_000, 'advance', first.api.sandbox.clock.advance({ seconds: 3_600 }));
    expect(moved.status).toBe('ADVANCING');
    expect(moved.offsetSeconds).toBeGreaterThanOrEqual(3_600 - 2);

    const again = h.session('platformA', { idempotencyKey: 'advance-an-hour' });
    expect(await within(10_000, 'replay', again.api.sandbox.clock.advance({ seconds: 3_600 }))).toEqual(
      moved,
    );
    expect(again.headers.get('idempotent-replayed')).toBe('true');

    const back = h.session('providerA', { idempotencyKey: 'advance-back' });
    await expect(
      within(10_000, 'advance back', back.api.sandbox.clock.advance({ to: new Date().toISOString() })),
    ).rejects.toSatisfy((e) => codeOf(e) === 'TEST_CLOCK_BACKWARDS');

    // Moved once, audited once, and the database still answers.
    const audit = await within(
      10_000,
      'a query after the advance',
      h.db.select().from(schema.auditLog).where(eq(schema.auditLog.action, 'sandbox.clock_advanced')),
    );
    expect(audit).toHaveLength(1);
    const read = await within(10_000, 'get', h.caller('pmo').sandbox.clock.get());
    expect(read.offsetSeconds).toBe(moved.offsetSeconds);
  });

  it('an advance past the keys’ 24 hours, retried with its key, replays instead of moving the clock again', async () => {
    const clock = new TestClock(h.db);
    h.services.clock = clock;
    h.services.now = () => clock.now();
    const before = (await h.caller('pmo').sandbox.clock.get()).offsetSeconds;
    const first = h.session('platformA', { idempotencyKey: 'advance-two-days' });
    const moved = await within(10_000, 'advance', first.api.sandbox.clock.advance({ seconds: 2 * 86_400 }));
    expect(moved.offsetSeconds - before).toBeGreaterThanOrEqual(2 * 86_400 - 2);
    // The answer is kept 24 h from the clock's new time, so the retry finds it.
    const retry = h.session('platformA', { idempotencyKey: 'advance-two-days' });
    expect(await within(10_000, 'retry', retry.api.sandbox.clock.advance({ seconds: 2 * 86_400 }))).toEqual(
      moved,
    );
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect((await h.caller('pmo').sandbox.clock.get()).offsetSeconds).toBe(moved.offsetSeconds);
  });
});
