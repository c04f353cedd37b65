import { advanceSandboxClock, createLatihClient, isLatihError, LatihClockTimeoutError } from '@latih/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway } from '../support/gateway';

type Gateway = Awaited<ReturnType<typeof startTestGateway>>;
const pmoOf = (gw: Gateway) =>
  createLatihClient({
    baseUrl: gw.url,
    clientId: gw.demo.pmo.clientId,
    clientSecret: gw.demo.pmo.clientSecret,
  });
const codeOf = (err: unknown) => (isLatihError(err) ? err.code : String(err));

describe('advanceSandboxClock, against a sandbox whose schedule runs', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startTestGateway({ sandbox: {} });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('resolves READY once every job ran at the new time; `to` takes a Date; backwards is a LatihError', async () => {
    const latih = pmoOf(gw);
    const start = Date.parse((await latih.sandbox.clock.get.query()).now);
    const ready = await advanceSandboxClock(latih, { seconds: 3_600 }, { pollIntervalMs: 100 });
    expect(ready.status).toBe('READY');
    expect(Date.parse(ready.now) - start).toBeGreaterThanOrEqual(3_600_000);
    // Before it resolved, every job this gateway runs had run at the new time (what /readyz shows).
    const readiness = (await (await fetch(`${gw.url}/readyz`)).json()) as {
      jobs: { name: string; runsHere: boolean; lastClockAt: string | null }[];
    };
    const here = readiness.jobs.filter((j) => j.runsHere);
    expect(here.length).toBeGreaterThan(5);
    for (const job of here)
      expect(Date.parse(job.lastClockAt ?? ''), job.name).toBeGreaterThanOrEqual(start + 3_600_000);
    const target = new Date(Date.parse(ready.now) + 86_400_000);
    const later = await advanceSandboxClock(latih, { to: target }, { pollIntervalMs: 100 });
    expect(later.status).toBe('READY');
    expect(Date.parse(later.now)).toBeGreaterThanOrEqual(target.getTime());
    await expect(advanceSandboxClock(latih, { to: new Date() })).rejects.toSatisfy(
      (e) => codeOf(e) === 'TEST_CLOCK_BACKWARDS',
    );
  });

  it('an aborted signal rejects with its reason before anything moves', async () => {
    const latih = pmoOf(gw);
    const before = await latih.sandbox.clock.get.query();
    const stop = new AbortController();
    stop.abort(new Error('changed my mind'));
    await expect(advanceSandboxClock(latih, { seconds: 60 }, { signal: stop.signal })).rejects.toThrow(
      'changed my mind',
    );
    expect((await latih.sandbox.clock.get.query()).offsetSeconds).toBe(before.offsetSeconds);
  });
});

describe('advanceSandboxClock, against a sandbox where no process runs the schedule (JOBS=off, no worker)', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startTestGateway({ sandbox: { runJobs: false } });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('gives up after timeoutMs with LatihClockTimeoutError carrying the ADVANCING clock; the clock moved all the same', async () => {
    const latih = pmoOf(gw);
    const err = await advanceSandboxClock(
      latih,
      { seconds: 600 },
      { pollIntervalMs: 50, timeoutMs: 300 },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LatihClockTimeoutError);
    expect((err as LatihClockTimeoutError).clock.status).toBe('ADVANCING');
    expect((err as LatihClockTimeoutError).message).toMatch(/running the schedule/);
    const clock = await latih.sandbox.clock.get.query();
    expect(clock.status).toBe('ADVANCING');
    expect(clock.offsetSeconds).toBeGreaterThanOrEqual(599);
  });

  it('a signal aborted while waiting rejects with its reason', async () => {
    const latih = pmoOf(gw);
    const stop = new AbortController();
    const waiting = advanceSandboxClock(latih, { seconds: 60 }, { pollIntervalMs: 50, signal: stop.signal });
    setTimeout(() => stop.abort(new Error('shutting down')), 200);
    await expect(waiting).rejects.toThrow('shutting down');
  });
});

describe('advanceSandboxClock, against a gateway without a test clock (as in production)', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('is refused with TEST_CLOCK_DISABLED', async () => {
    await expect(advanceSandboxClock(pmoOf(gw), { seconds: 60 })).rejects.toSatisfy(
      (e) => codeOf(e) === 'TEST_CLOCK_DISABLED',
    );
  });
});
