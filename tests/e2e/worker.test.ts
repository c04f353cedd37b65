import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_ORGANISATIONS } from '@latih/core';
import { createLatihClient } from '@latih/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, postgresAvailable, type TestDatabase } from '../support/db';
import { freePort, type RunningProcess, startTsProcess, until, waitForHttp } from '../support/processes';

type Ready = {
  jobs: { name: string; runsHere: boolean; runs: number; lastInstance: string | null }[];
};

/**
 * Operators who separate web and workers: the gateway with JOBS=off runs no job, `npm run worker`
 * runs the schedule, and what the jobs do still happens (here: the sandbox clock's catch-up and a
 * voucher's expiry).
 */
describe.runIf(postgresAvailable())('npm run worker: the schedule in its own process', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'latih-worker-'));
  let db: TestDatabase;
  let gateway: RunningProcess;
  let worker: RunningProcess;
  let url = '';
  let workerUrl = '';

  beforeAll(async () => {
    db = await freshDatabase('postgres');
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const common = { NODE_ENV: 'development', DATABASE_URL: db.url, DATA_DIR: dataDir, LOG_LEVEL: 'info' };
    gateway = startTsProcess('gateway (JOBS=off)', 'apps/gateway/src/main.ts', {
      ...common,
      PORT: String(port),
      JOBS: 'off',
    });
    await waitForHttp(gateway, `${url}/readyz`);
    const workerPort = await freePort();
    workerUrl = `http://127.0.0.1:${workerPort}`;
    worker = startTsProcess('worker', 'apps/gateway/src/worker.ts', {
      ...common,
      WORKER_PORT: String(workerPort),
      JOB_INTERVALS: 'webhooks.deliver=200',
    });
    await waitForHttp(worker, `${workerUrl}/readyz`);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([gateway?.stop(), worker?.stop()]);
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const demo = (key: string) => {
    const o = DEMO_ORGANISATIONS.find((d) => d.key === key);
    return createLatihClient({
      baseUrl: url,
      clientId: o?.clientId ?? '',
      clientSecret: o?.clientSecret ?? '',
    });
  };

  it('the gateway runs no job; the worker runs them all but the money jobs (no payment provider here)', async () => {
    const g = (await (await fetch(`${url}/readyz`)).json()) as Ready;
    expect(g.jobs.filter((j) => j.runsHere)).toEqual([]);
    const w = (await (await fetch(`${workerUrl}/readyz`)).json()) as Ready;
    const here = w.jobs.filter((j) => j.runsHere).map((j) => j.name);
    expect(here).toContain('vouchers.expire');
    expect(here).toContain('webhooks.deliver');
    expect(here).not.toContain('payouts.pay');
    expect(worker.lines.join('\n')).toContain('PAYMENTS_BASE_URL is not set: the money jobs');
  });

  it('a clock advance through the gateway is caught up by the worker, and a voucher past its window expires', async () => {
    const platform = demo('platform-a').platform;
    const webinar = (await platform.catalog.list.query({ mode: 'WEBINAR' })).items[0];
    const run = webinar?.runs[0];
    if (!webinar || !run) throw new Error('the demo webinar is not on sale');
    const checkout = await platform.checkout.create.mutate({
      cardNumber: '5101000000000002',
      courseId: webinar.id,
      runId: run.id,
    });
    const { code } = (await (await fetch(`${url}/dev/otp/${checkout.id}`)).json()) as { code: string };
    const { voucher } = await platform.checkout.confirm.mutate({ id: checkout.id, code });

    const pmo = demo('pmo');
    await pmo.sandbox.clock.advance.mutate({
      to: new Date(Date.parse(voucher.expiresAt) + 60_000).toISOString(),
    });
    await until(
      async () => (await pmo.sandbox.clock.get.query()).status === 'READY',
      'the worker to catch up',
    );
    expect((await platform.vouchers.get.query({ id: voucher.id })).status).toBe('EXPIRED');
    const w = (await (await fetch(`${workerUrl}/readyz`)).json()) as Ready;
    const expiry = w.jobs.find((j) => j.name === 'vouchers.expire');
    expect(expiry?.runs).toBeGreaterThan(0);
    // Every run was the worker's: the gateway's instance never appears.
    const instances = new Set(w.jobs.map((j) => j.lastInstance).filter((i) => i !== null));
    expect(instances.size).toBe(1);
  });

  it('stops on SIGTERM after its running jobs, with exit code 0', async () => {
    expect(await worker.stop()).toBe(0);
    expect(worker.logs().some((l) => l.msg === 'stopped' && l.service === 'latih-worker')).toBe(true);
  });

  it('refuses to start without PostgreSQL, or with no job to run', async () => {
    const noDb = startTsProcess('worker without DATABASE_URL', 'apps/gateway/src/worker.ts', {
      NODE_ENV: 'development',
      DATABASE_URL: undefined,
      DATA_DIR: dataDir,
    });
    expect(await noDb.exited).toBe(1);
    expect(noDb.lines.join('\n')).toMatch(/DATABASE_URL: is required by npm run worker/);
    const noJobs = startTsProcess('worker with JOBS=off', 'apps/gateway/src/worker.ts', {
      NODE_ENV: 'development',
      DATABASE_URL: db.url,
      DATA_DIR: dataDir,
      JOBS: 'off',
    });
    expect(await noJobs.exited).toBe(1);
    expect(noJobs.lines.join('\n')).toMatch(/JOBS="off": a worker with no jobs has nothing to do/);
    // Without the gateways' NIK key it could not open webhook secrets: it must not make its own.
    const emptyDir = mkdtempSync(join(tmpdir(), 'latih-worker-nokey-'));
    const noKey = startTsProcess('worker without the key', 'apps/gateway/src/worker.ts', {
      NODE_ENV: 'development',
      DATABASE_URL: db.url,
      DATA_DIR: emptyDir,
      NIK_HASH_KEY: undefined,
    });
    expect(await noKey.exited).toBe(1);
    expect(noKey.lines.join('\n')).toMatch(/NIK_HASH_KEY: is required by npm run worker/);
    rmSync(emptyDir, { recursive: true, force: true });
    // A health port already taken: one clear line, before any job runs.
    const taken = startTsProcess('worker on a taken port', 'apps/gateway/src/worker.ts', {
      NODE_ENV: 'development',
      DATABASE_URL: db.url,
      DATA_DIR: dataDir,
      WORKER_PORT: new URL(url).port,
    });
    expect(await taken.exited).toBe(1);
    expect(taken.lines.join('\n')).toMatch(/WORKER_PORT \d+ is already in use/);
    expect(taken.lines.join('\n')).not.toMatch(/running the schedule/);
    // Four processes started one after another, each compiling the worker with tsx.
  }, 90_000);
});
