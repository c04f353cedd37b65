import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_ORGANISATIONS } from '@latih/core';
import { execRows } from '@latih/db';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClusterServer, freshClusterAvailable, freshClusterDatabase } from '../support/fresh-cluster';
import { freePort, type RunningProcess, startTsProcess, until, waitForHttp } from '../support/processes';

/**
 * The database goes away under a running gateway (a failover, a restart) and comes back at the same
 * address: the gateway answers 503 SERVICE_UNAVAILABLE with Retry-After while it is gone (never a
 * 500, never a crash), /readyz takes it out of the balancer, and it serves again by itself when the
 * database is back, with no restart; a write retried with its idempotency key is done once.
 */
describe.runIf(freshClusterAvailable())('the database going away and coming back', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'latih-failover-'));
  const demo = Object.fromEntries(DEMO_ORGANISATIONS.map((o) => [o.key, o]));
  let db: Awaited<ReturnType<typeof freshClusterDatabase>>;
  let server: ClusterServer;
  let gw: RunningProcess;
  let url = '';

  beforeAll(async () => {
    db = await freshClusterDatabase({ poolSize: 2 });
    server = db.server;
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    gw = startTsProcess('gateway', 'apps/gateway/src/main.ts', {
      NODE_ENV: 'development',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: db.url,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      JOB_INTERVALS: 'webhooks.deliver=500',
      RATE_LIMITS: 'off',
    });
    await waitForHttp(gw, `${url}/readyz`);
  }, 120_000);

  afterAll(async () => {
    await gw?.stop();
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const token = async () => {
    const res = await fetch(`${url}/v1/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'client_credentials',
        client_id: demo['provider-a']?.clientId,
        client_secret: demo['provider-a']?.clientSecret,
      }),
    });
    return { status: res.status, res, body: (await res.json()) as Record<string, unknown> };
  };

  const createCourse = (bearer: string, key: string, title: string) =>
    fetch(`${url}/v1/provider/courses`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${bearer}`,
        'content-type': 'application/json',
        'idempotency-key': key,
      },
      body: JSON.stringify({
        title,
        summary: 'Kursus uji pemulihan basis data',
        category: 'digital-marketing',
        mode: 'WEBINAR',
        hours: 16,
        price: 1_000_000,
      }),
    });

  it('answers 503 with Retry-After while the database is gone, and serves again by itself when it is back', async () => {
    const t = await token();
    expect(t.status).toBe(200);
    const bearer = String(t.body.access_token);
    const list = () =>
      fetch(`${url}/v1/provider/courses?limit=5`, { headers: { authorization: `Bearer ${bearer}` } });
    expect((await list()).status).toBe(200);

    server.stop('fast');
    const title = `Pemulihan ${randomBytes(3).toString('hex')}`;
    const key = `failover-${randomBytes(6).toString('hex')}`;
    try {
      // A read, a write with its idempotency key, a token request, the tRPC transport, readiness.
      // The first may meet a kept-alive socket the gateway closed while the database stopped (its
      // idle timeout passed): the request never reached it, and is sent again, as a client would.
      for (const res of [
        await list().catch(() => list()),
        await createCourse(bearer, key, title),
        (await token()).res,
        await fetch(`${url}/trpc/provider.courses.list?input=${encodeURIComponent('{}')}`, {
          headers: { authorization: `Bearer ${bearer}` },
        }),
      ]) {
        expect(res.status, res.url).toBe(503);
        expect(res.headers.get('retry-after'), res.url).toBe('1');
      }
      const rest = (await (await list()).json()) as { code: string; retryable: boolean; requestId: string };
      expect(rest).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
      const oauth = await token();
      expect(oauth.body, JSON.stringify(oauth.body)).toMatchObject({ error: 'temporarily_unavailable' });
      expect((await fetch(`${url}/readyz`)).status).toBe(503);
      // Alive all the while: the orchestrator must not restart it for the database's sake.
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      // Every 503 is in the log with its request id and the cause, as a warning, not an error.
      const logged = gw
        .logs()
        .find((l) => l.requestId === rest.requestId && l.msg === 'database unavailable');
      expect(logged).toBeDefined();
      expect(gw.logs().filter((l) => l.msg === 'unhandled error')).toEqual([]);
    } finally {
      server.start();
    }

    // Back, with no restart: readiness, reads, and the write retried with the same key, done once.
    await until(async () => (await fetch(`${url}/readyz`)).status === 200, 'ready again', 30_000);
    await until(async () => (await list()).status === 200, 'reads again', 30_000);
    const retried = await createCourse(bearer, key, title);
    expect(retried.status).toBe(200);
    const again = await createCourse(bearer, key, title);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const [row] = await execRows<{ n: number }>(
      db.db,
      sql`select count(*)::int as n from courses where title = ${title}`,
    );
    expect(row?.n).toBe(1);
    expect((await token()).status).toBe(200);
    // The schedule went on: webhooks.deliver has run successfully since the database came back.
    const back = Date.now();
    await until(
      async () => {
        const ready = (await (await fetch(`${url}/readyz`)).json()) as {
          jobs?: { name: string; lastStartedAt: string | null; lastFailureAt: string | null }[];
        };
        const job = ready.jobs?.find((j) => j.name === 'webhooks.deliver');
        return !!job?.lastStartedAt && Date.parse(job.lastStartedAt) > back;
      },
      'webhooks.deliver to run again',
      30_000,
    );
    expect(gw.child.exitCode).toBeNull();
  }, 120_000);
});
