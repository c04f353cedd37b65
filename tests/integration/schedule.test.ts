import {
  advanceTestClock,
  createScheduler,
  createSealer,
  getTestClock,
  type JobDefinition,
  type JobDeps,
  type ProgramClock,
  SCHEDULE,
  type Scheduler,
  TestClock,
} from '@latih/core';
import { claimJobLease, type Database, type Db, listJobRuns, schema } from '@latih/db';
import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { engines, freshDatabase, postgresAvailable, type TestDatabase } from '../support/db';
import { codeOf, TEST_NIK_KEY, useHarness } from '../support/harness';
import { buy, onSale, participants } from '../support/marketplace-fixtures';

const quiet = { info: () => undefined, warn: () => undefined };
const testActor = { role: 'pmo', organisationId: null, clientId: 'test', scopes: [] } as never;

/** Polls until `check` is true (the schedule works on its own time); fails after `ms`. */
async function eventually(check: () => Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const running: Scheduler[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

function start<D>(opts: Parameters<typeof createScheduler<D>>[0]): Promise<Scheduler> {
  const s = createScheduler({ tickMs: 20, pollMs: 50, ...opts });
  running.push(s);
  return s.start().then(() => s);
}

const systemNow = (now: () => number): ProgramClock => ({ kind: 'system', now, refresh: async () => {} });

function jobDeps(db: Db): JobDeps {
  return {
    db,
    payments: null,
    webhookSealer: createSealer(TEST_NIK_KEY, 'webhook-secrets'),
    payoutSealer: createSealer(TEST_NIK_KEY, 'payout-destinations'),
  };
}

describe.each(engines())('the schedule on %s', (engine) => {
  const h = useHarness(engine);

  it('expires a voucher past its window by itself: no request calls it, the running schedule does', async () => {
    const [p] = await participants(h, 1);
    const { course, run } = await onSale(h, { capacity: 5 });
    if (!p) throw new Error('no participant');
    const bought = await buy(h, p.cardNumber, course.id, run.id);
    const seatsBefore = (await h.caller('providerA').provider.runs.get({ id: run.id })).seatsTaken;
    expect(seatsBefore).toBe(1);
    // The program's time passes the voucher's redemption window.
    h.clock.set(new Date(Date.parse(bought.voucher.expiresAt) + 60_000));
    await start({
      db: h.db,
      clock: systemNow(h.services.now),
      jobs: SCHEDULE,
      deps: jobDeps(h.db),
      log: quiet,
      only: ['vouchers.expire', 'balances.expire'],
      intervals: { 'vouchers.expire': 50, 'balances.expire': 50 },
    });
    await eventually(
      async () =>
        (await h.caller('platformA').platform.vouchers.get({ id: bought.voucher.id })).status === 'EXPIRED',
      'the voucher to expire',
    );
    expect((await h.caller('providerA').provider.runs.get({ id: run.id })).seatsTaken).toBe(0);
    // The price went back to the balance (and, the purchase window having closed too by then, the
    // balance back to the program's fund: the same job returns both, in that order).
    const ledger = await h.db
      .select({ kind: schema.ledgerTransactions.kind, reference: schema.ledgerTransactions.reference })
      .from(schema.ledgerTransactions)
      .where(eq(schema.ledgerTransactions.kind, 'VOUCHER_EXPIRY'));
    expect(ledger).toEqual([{ kind: 'VOUCHER_EXPIRY', reference: bought.voucher.id }]);
    const [participant] = await h.db
      .select({ deadline: schema.participants.purchaseDeadline })
      .from(schema.participants)
      .where(eq(schema.participants.id, p.id));
    const windowClosed = (participant?.deadline.getTime() ?? 0) < h.services.now();
    await eventually(async () => {
      const [row] = await h.db
        .select({ balance: schema.participants.balance })
        .from(schema.participants)
        .where(eq(schema.participants.id, p.id));
      return row?.balance === (windowClosed ? 0 : 3_500_000);
    }, 'the balance to settle');
    await eventually(
      async () => ((await listJobRuns(h.db, ['vouchers.expire']))[0]?.runs ?? 0) >= 1,
      'the run to be recorded',
    );
    expect((await listJobRuns(h.db, ['vouchers.expire']))[0]?.lastFailure).toBeNull();
    h.clock.reset();
  });

  it('records failures with their message, keeps running, and reruns at once a job that says it is busy', async () => {
    let calls = 0;
    let busyLeft = 3;
    const jobs: JobDefinition<null>[] = [
      {
        name: 'test.flaky',
        everyMs: 40,
        mode: 'every-instance',
        once: 'test',
        description: 'fails on its first call',
        run: async () => {
          calls++;
          if (calls === 1) throw new Error('the first call fails');
          return { summary: { calls } };
        },
      },
      {
        name: 'test.busy',
        everyMs: 3_600_000,
        mode: 'one-at-a-time',
        once: 'test',
        description: 'busy three times, then done',
        run: async () => (busyLeft-- > 0 ? { busy: true, summary: { left: busyLeft } } : {}),
      },
    ];
    const s = await start({ db: h.db, clock: systemNow(Date.now), jobs, deps: null, log: quiet });
    // A run is recorded just after its function returns: wait for the records, not the calls.
    await eventually(async () => {
      const st = await s.status();
      return (
        (st.find((j) => j.name === 'test.flaky')?.runs ?? 0) >= 3 &&
        busyLeft < 0 &&
        (st.find((j) => j.name === 'test.busy')?.runs ?? 0) >= 4
      );
    }, 'the jobs to run');
    const status = await s.status();
    const flaky = status.find((j) => j.name === 'test.flaky');
    expect(flaky).toMatchObject({ failures: 1, runsHere: true, mode: 'every-instance' });
    expect(flaky?.lastFailure).toContain('the first call fails');
    expect(flaky?.runs).toBeGreaterThanOrEqual(3);
    expect(flaky?.lastSummary?.calls).toBeGreaterThanOrEqual(2);
    // Busy: four runs in a row although its interval is an hour.
    const busy = status.find((j) => j.name === 'test.busy');
    expect(busy?.runs).toBe(4);
    expect(busy?.failures).toBe(0);
  });

  it('a job off on this instance (interval 0, or not in `only`) never runs here but is listed', async () => {
    let ran = 0;
    const job = (name: string): JobDefinition<null> => ({
      name,
      everyMs: 20,
      mode: 'every-instance',
      once: 'test',
      description: name,
      run: async () => {
        ran++;
        return {};
      },
    });
    const s = await start({
      db: h.db,
      clock: systemNow(Date.now),
      jobs: [job('test.off'), job('test.other')],
      deps: null,
      log: quiet,
      intervals: { 'test.off': 0 },
      only: ['test.off'],
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(ran).toBe(0);
    expect(s.jobNames).toEqual([]);
    expect((await s.status()).map((j) => [j.name, j.runsHere])).toEqual([
      ['test.off', false],
      ['test.other', false],
    ]);
  });

  it('sandbox.clock: disabled without a test clock; forward only; audited; every job runs once at the new time, then READY', async () => {
    await expect(h.caller('providerA').sandbox.clock.get()).rejects.toSatisfy(
      (e) => codeOf(e) === 'TEST_CLOCK_DISABLED',
    );
    const clock = new TestClock(h.db);
    const realNow = h.services.now;
    // As the gateway wires it: the program's time is the test clock's.
    h.services.clock = clock;
    h.services.now = () => clock.now();
    const seen: { name: string; at: number }[] = [];
    const record =
      (name: string): JobDefinition<null>['run'] =>
      async ({ now }) => {
        seen.push({ name, at: now.getTime() });
        return {};
      };
    const jobs: JobDefinition<null>[] = [
      {
        name: 'test.first',
        everyMs: 3_600_000,
        mode: 'every-instance',
        once: 't',
        description: 't',
        run: record('test.first'),
      },
      {
        name: 'test.second',
        everyMs: 3_600_000,
        mode: 'one-at-a-time',
        once: 't',
        description: 't',
        run: record('test.second'),
      },
    ];
    await start({ db: h.db, clock, jobs, deps: null, log: quiet });

    const before = await h.caller('platformA').sandbox.clock.get();
    expect(before.status).toBe('READY');
    await expect(
      h.caller('platformA').sandbox.clock.advance({ to: new Date(Date.now() - 1000).toISOString() }),
    ).rejects.toSatisfy((e) => codeOf(e) === 'TEST_CLOCK_BACKWARDS');
    await expect(h.caller('platformA').sandbox.clock.advance({ seconds: -5 })).rejects.toSatisfy(
      (e) => codeOf(e) === 'TEST_CLOCK_BACKWARDS',
    );
    await expect(h.caller('platformA').sandbox.clock.advance({})).rejects.toSatisfy(
      (e) => codeOf(e) === 'VALIDATION_FAILED',
    );
    await expect(h.caller('platformA').sandbox.clock.advance({ seconds: 401 * 86_400 })).rejects.toSatisfy(
      (e) => codeOf(e) === 'VALIDATION_FAILED',
    );

    const target = Date.now() + 3 * 86_400_000;
    const advanced = await h
      .caller('platformA')
      .sandbox.clock.advance({ to: new Date(target).toISOString() });
    expect(advanced.status).toBe('ADVANCING');
    expect(Date.parse(advanced.now)).toBeGreaterThanOrEqual(target);
    expect(advanced.offsetSeconds).toBeGreaterThanOrEqual(3 * 86_400 - 2);
    await eventually(
      async () => (await h.caller('providerA').sandbox.clock.get()).status === 'READY',
      'the clock to be READY',
    );
    for (const name of ['test.first', 'test.second'])
      expect(
        seen.some((s) => s.name === name && s.at >= target),
        `${name} ran at the new time`,
      ).toBe(true);
    // The program's time is what procedures read now.
    expect(h.services.now()).toBeGreaterThanOrEqual(target);
    const audit = await h.db
      .select()
      .from(schema.auditLog)
      .where(eq(schema.auditLog.action, 'sandbox.clock_advanced'));
    expect(audit).toHaveLength(1);
    expect(audit[0]?.actorOrganisationId).toBe(h.orgs.platformA.organisationId);
    // It never goes back, even when an older value is applied.
    clock.apply(null);
    expect(clock.now()).toBeGreaterThanOrEqual(target);
    h.services.clock = undefined;
    h.services.now = realNow;
  });
});

describe.runIf(postgresAvailable())('the schedule across instances on PostgreSQL', () => {
  let db: TestDatabase | undefined;
  let other: Database | undefined;
  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.stop()));
    await other?.close();
    other = undefined;
    await db?.drop();
    db = undefined;
  });

  /** A second connection pool to the same database: a second gateway. */
  async function twoPools() {
    db = await freshDatabase('postgres', { poolSize: 4 });
    const { openPostgres } = await import('@latih/db');
    const second = await openPostgres(db.url ?? '', { max: 4 });
    other = second;
    return [db.db, second.db] as const;
  }

  it('a one-at-a-time job never runs on two instances at once, and waits its interval between runs', async () => {
    const [a, b] = await twoPools();
    const runs: { who: string; start: number; end: number }[] = [];
    let active = 0;
    let maxActive = 0;
    const job: JobDefinition<{ who: string }> = {
      name: 'test.exclusive',
      everyMs: 150,
      mode: 'one-at-a-time',
      once: 'lease',
      description: 'records its runs',
      run: async ({ deps }) => {
        active++;
        maxActive = Math.max(maxActive, active);
        const start = Date.now();
        await new Promise((r) => setTimeout(r, 30));
        active--;
        runs.push({ who: deps.who, start, end: Date.now() });
        return {};
      },
    };
    await start({
      db: a,
      clock: systemNow(Date.now),
      jobs: [job],
      deps: { who: 'A' },
      log: quiet,
      instanceId: 'A',
    });
    await start({
      db: b,
      clock: systemNow(Date.now),
      jobs: [job],
      deps: { who: 'B' },
      log: quiet,
      instanceId: 'B',
    });
    await eventually(async () => runs.length >= 6, 'six runs');
    await Promise.all(running.splice(0).map((s) => s.stop()));
    expect(maxActive).toBe(1);
    runs.sort((x, y) => x.start - y.start);
    for (let i = 1; i < runs.length; i++) {
      const prev = runs[i - 1];
      const cur = runs[i];
      if (!prev || !cur) continue;
      // The next run is due an interval after the previous one finished (database time; a little slack).
      expect(
        cur.start - prev.end,
        `run ${i} came ${cur.start - prev.end} ms after run ${i - 1}`,
      ).toBeGreaterThanOrEqual(150 - 25);
    }
    const [row] = await listJobRuns(a, ['test.exclusive']);
    expect(row?.runs).toBe(runs.length);
  });

  it('an interval made shorter applies at once: the next run is not the one the old interval scheduled', async () => {
    const [db] = await twoPools();
    const runs: number[] = [];
    const job = (everyMs: number): JobDefinition<unknown> => ({
      name: 'test.shortened',
      everyMs,
      mode: 'one-at-a-time',
      once: 'lease',
      description: 'records its runs',
      run: async () => {
        runs.push(Date.now());
        return {};
      },
    });
    // Hourly: one run, and the next is due in an hour.
    const hourly = await start({
      db,
      clock: systemNow(Date.now),
      jobs: [job(3_600_000)],
      deps: {},
      log: quiet,
      instanceId: 'hourly',
    });
    await eventually(async () => runs.length === 1, 'the first run');
    await hourly.stop();
    const [row] = await listJobRuns(db, ['test.shortened']);
    expect(row?.nextRunAt?.getTime()).toBeGreaterThan(Date.now() + 3_000_000);
    // Restarted with 200 ms (JOB_INTERVALS=test.shortened=200): it runs again within moments.
    await start({
      db,
      clock: systemNow(Date.now),
      jobs: [job(200)],
      deps: {},
      log: quiet,
      instanceId: 'shortened',
    });
    await eventually(async () => runs.length >= 3, 'runs at the new interval', 5_000);
  });

  it('an every-instance job runs on both; work claimed row by row is never done twice (vouchers.expire racing on two instances)', async () => {
    const [a, b] = await twoPools();
    const seen = new Set<string>();
    const job: JobDefinition<{ who: string }> = {
      name: 'test.everywhere',
      everyMs: 30,
      mode: 'every-instance',
      once: 'claims',
      description: 'records who ran it',
      run: async ({ deps }) => {
        seen.add(deps.who);
        return {};
      },
    };
    await start({ db: a, clock: systemNow(Date.now), jobs: [job], deps: { who: 'A' }, log: quiet });
    await start({ db: b, clock: systemNow(Date.now), jobs: [job], deps: { who: 'B' }, log: quiet });
    await eventually(async () => seen.size === 2, 'both instances to run it');
    expect([...seen].sort()).toEqual(['A', 'B']);
  });

  it('a lease held by an instance that died is taken over once it ends, not before', async () => {
    const [a] = await twoPools();
    await a.insert(schema.jobRuns).values({ name: 'test.orphan' }).onConflictDoNothing();
    const claimedAt = Date.now();
    expect(
      await claimJobLease(a, {
        name: 'test.orphan',
        owner: 'dead-gateway',
        leaseMs: 600,
        clockAt: new Date(),
        generation: 0,
      }),
    ).toBe(true);
    let firstRun = 0;
    const job: JobDefinition<null> = {
      name: 'test.orphan',
      everyMs: 50,
      mode: 'one-at-a-time',
      once: 'lease',
      description: 'taken over',
      run: async () => {
        firstRun ||= Date.now();
        return {};
      },
    };
    const alive = await start({
      db: a,
      clock: systemNow(Date.now),
      jobs: [job],
      deps: null,
      log: quiet,
      instanceId: 'alive',
    });
    await eventually(async () => firstRun > 0, 'the takeover');
    expect(firstRun - claimedAt).toBeGreaterThanOrEqual(600 - 25);
    // Stopped (its run in flight finished): the job runs every 50 ms, so a read while it runs
    // again would see the lease held, rightly (this failed once in CI for that reason).
    await alive.stop();
    const [row] = await listJobRuns(a, ['test.orphan']);
    expect(row?.lastInstance).toBe('alive');
    expect(row?.leaseOwner).toBeNull();
  });

  it('after an advance a one-at-a-time job runs once at the new time, whichever instance runs it, and the clock both share turns READY', async () => {
    const [a, b] = await twoPools();
    const ca = new TestClock(a);
    const cb = new TestClock(b);
    // The program time of every run. A regular tick of an instance that has not yet seen the
    // advance may run the job once more at the old time (it was made due by the advance): that is
    // a run before the advance, not a second one after it.
    const ranAt: number[] = [];
    const job: JobDefinition<null> = {
      name: 'test.noop',
      everyMs: 3_600_000,
      mode: 'one-at-a-time',
      once: 'lease',
      description: 'noop',
      run: async ({ now }) => {
        ranAt.push(now.getTime());
        return {};
      },
    };
    await start({ db: a, clock: ca, jobs: [job], deps: null, log: quiet, instanceId: 'A' });
    await start({ db: b, clock: cb, jobs: [job], deps: null, log: quiet, instanceId: 'B' });
    const runs = async () => (await listJobRuns(a, ['test.noop']))[0]?.runs ?? 0;
    await eventually(async () => (await runs()) === 1, 'the first run');
    for (let round = 1; round <= 3; round++) {
      await advanceTestClock({
        db: a,
        clock: ca,
        actor: testActor,
        requestId: null,
        input: { seconds: 3600 },
      });
      const advancedTo = ca.now() - 1_000;
      await eventually(async () => {
        await cb.refresh();
        return cb.state?.status === 'READY' && cb.generation === round;
      }, `round ${round} to be READY`);
      // Once at the new time: the instance that ran it there spares the other its catch-up.
      await eventually(
        async () => ranAt.filter((t) => t >= advancedTo).length >= 1,
        `round ${round}: a run at the new time`,
      );
      await new Promise((r) => setTimeout(r, 300));
      expect(ranAt.filter((t) => t >= advancedTo)).toHaveLength(1);
      expect(await runs()).toBe(ranAt.length);
    }
    // Both instances read the same program time.
    await ca.refresh();
    expect(Math.abs(ca.now() - cb.now())).toBeLessThan(1_000);
    expect(cb.now() - Date.now()).toBeGreaterThanOrEqual(3 * 3_600_000 - 2_000);
  });

  it('READY waits for every live scheduler: a worker running other jobs holds it until its own have run at the new time', async () => {
    const [a, b] = await twoPools();
    const ca = new TestClock(a);
    const cb = new TestClock(b);
    let release: () => void = () => undefined;
    let slowRuns = 0;
    const job = (name: string, run: JobDefinition<null>['run']): JobDefinition<null> => ({
      name,
      everyMs: 3_600_000,
      mode: 'every-instance',
      once: 'claims',
      description: name,
      run,
    });
    // A runs only the quick job, B only the slow one (as a gateway and a worker split with JOBS=…).
    await start({ db: a, clock: ca, jobs: [job('test.quick', async () => ({}))], deps: null, log: quiet });
    await start({
      db: b,
      clock: cb,
      jobs: [
        job('test.slow', async () => {
          // Its first run is the one after the advance (its interval is an hour): it hangs until released.
          slowRuns++;
          if (slowRuns === 1) await new Promise<void>((r) => (release = r));
          return {};
        }),
      ],
      deps: null,
      log: quiet,
    });
    const seen = await advanceTestClock({
      db: a,
      clock: ca,
      actor: testActor,
      requestId: null,
      input: { seconds: 60 },
    });
    expect(seen).toMatchObject({ status: 'ADVANCING', schedulers: 2 });
    // (The quick one may already have run by the time the answer is made.)
    expect(seen.pendingJobs).toContain('test.slow');
    // The quick job has run at the new time; the slow one is still running there: not READY yet.
    await eventually(async () => {
      const v = await getTestClock({ db: a, clock: ca });
      return v.pendingJobs.length === 1 && v.pendingJobs[0] === 'test.slow';
    }, 'the quick job to catch up');
    await new Promise((r) => setTimeout(r, 300));
    expect((await getTestClock({ db: a, clock: ca })).status).toBe('ADVANCING');
    release();
    await eventually(async () => (await getTestClock({ db: a, clock: ca })).status === 'READY', 'READY');
    expect((await getTestClock({ db: a, clock: ca })).pendingJobs).toEqual([]);
  });

  it('READY waits for a one-at-a-time job still running at the new time on another instance (its start alone is not enough)', async () => {
    const [a, b] = await twoPools();
    const ca = new TestClock(a);
    const cb = new TestClock(b);
    let release: () => void = () => undefined;
    let started = 0;
    let finished = 0;
    const job: JobDefinition<null> = {
      name: 'test.batch',
      everyMs: 3_600_000,
      mode: 'one-at-a-time',
      once: 'lease',
      description: 'a batch that takes a while at the new time',
      run: async ({ now }) => {
        if (now.getTime() > Date.now() + 30_000) {
          started++;
          await new Promise<void>((r) => (release = r));
          finished++;
        }
        return {};
      },
    };
    await start({ db: a, clock: ca, jobs: [job], deps: null, log: quiet, instanceId: 'A' });
    await start({ db: b, clock: cb, jobs: [job], deps: null, log: quiet, instanceId: 'B' });
    await eventually(
      async () => ((await listJobRuns(a, ['test.batch']))[0]?.runs ?? 0) >= 1,
      'the first run',
    );
    await advanceTestClock({ db: a, clock: ca, actor: testActor, requestId: null, input: { seconds: 3600 } });
    // One instance runs it at the new time; the other skips it (already started there) and has
    // nothing else to do, yet the clock must not say READY while the batch is still running.
    await eventually(async () => started === 1, 'the run at the new time to start');
    await new Promise((r) => setTimeout(r, 500));
    const during = await getTestClock({ db: a, clock: ca }).finally(() => setTimeout(() => release(), 100));
    expect(during.status).toBe('ADVANCING');
    expect(during.pendingJobs).toEqual(['test.batch']);
    await eventually(async () => (await getTestClock({ db: a, clock: ca })).status === 'READY', 'READY');
    expect(finished).toBe(1);
    expect(started).toBe(1);
  });

  it('with no scheduler running, an advance stays ADVANCING and says so', async () => {
    const [a] = await twoPools();
    const ca = new TestClock(a);
    const v = await advanceTestClock({
      db: a,
      clock: ca,
      actor: testActor,
      requestId: null,
      input: { seconds: 60 },
    });
    expect(v).toMatchObject({ status: 'ADVANCING', schedulers: 0, pendingJobs: [] });
  });
});
