import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ERROR_CATALOG } from '@latih/contracts';
import { DEMO_ORGANISATIONS, DevOtpChannel, fanOutEvents } from '@latih/core';
import { schema } from '@latih/db';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Gateway, startGateway, VERSION } from '../../apps/gateway/src/gateway';
import type { JobsConfig } from '../../apps/gateway/src/jobs-config';
import { FileKeyStore } from '../../apps/gateway/src/keystore';
import { createLogger } from '../../apps/gateway/src/logger';
import { createMetrics, type MetricsAccess } from '../../apps/gateway/src/metrics';
import { type EngineName, engines, freshDatabase, postgresAvailable, type TestDatabase } from '../support/db';
import { freePort, type RunningProcess, startTsProcess, waitForHttp } from '../support/processes';

const TOKEN = 'metrics-token-for-tests-0123456789abcdef';

/** One series' value in Prometheus' text format (labels matched exactly), or undefined. */
function value(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.trim()) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) got[String(l[1])] = String(l[2]);
    const want = Object.entries(labels);
    if (Object.keys(got).length === want.length && want.every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

/** Every label set a series is exposed with. */
function labelSets(text: string, name: string): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) got[String(l[1])] = String(l[2]);
    out.push(got);
  }
  return out;
}

/** otp.expire prunes the development inbox: this one fails, so the job fails every run. */
class BrokenInbox extends DevOtpChannel {
  override prune(): number {
    throw new Error('the inbox is broken');
  }
}

type Started = { gateway: Gateway; database: TestDatabase; close: () => Promise<void> };

async function start(o: {
  engine?: EngineName;
  metrics?: MetricsAccess & { cacheMs?: number };
  jobs?: JobsConfig;
  otp?: DevOtpChannel;
  now?: () => number;
}): Promise<Started> {
  const dir = mkdtempSync(join(tmpdir(), 'latih-metrics-'));
  const keys = FileKeyStore.open({ file: join(dir, 'signing-keys.json'), createIfMissing: true });
  const database = await freshDatabase(o.engine ?? 'pglite');
  const gateway = await startGateway({
    database,
    keys: keys.keys,
    issuer: (port) => `http://127.0.0.1:${port}`,
    logger: createLogger('silent'),
    host: '127.0.0.1',
    port: 0,
    seedDemo: true,
    nikHashKey: Buffer.alloc(32, 7),
    otp: o.otp ?? new DevOtpChannel(),
    allowLocalWebhooks: true,
    jobs: o.jobs ?? { run: false },
    ...(o.now ? { now: o.now } : {}),
    ...(o.metrics ? { metrics: o.metrics } : {}),
  });
  return {
    gateway,
    database,
    close: async () => {
      await gateway.close();
      keys.close();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const demo = (key: string) => {
  const o = DEMO_ORGANISATIONS.find((d) => d.key === key);
  if (!o) throw new Error(`no demo organisation ${key}`);
  return o;
};

async function tokenOf(url: string, key: string): Promise<string> {
  const o = demo(key);
  const res = await fetch(`${url}/v1/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      grant_type: 'client_credentials',
      client_id: o.clientId,
      client_secret: o.clientSecret,
    }),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

const scrape = async (url: string, token: string | null = TOKEN) => {
  const res = await fetch(`${url}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text(), res };
};

describe('/metrics: who may read it', () => {
  const started: Started[] = [];
  afterAll(async () => {
    await Promise.all(started.map((s) => s.close()));
  });

  it('with METRICS_TOKEN on the public port: refused without the token or with a wrong one, answered with it', async () => {
    const s = await start({ metrics: { token: TOKEN, port: undefined, host: '127.0.0.1', cacheMs: 0 } });
    started.push(s);
    const url = s.gateway.url;
    expect(s.gateway.metricsUrl).toBeNull();

    const missing = await scrape(url, null);
    expect(missing.status).toBe(401);
    expect(missing.res.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
    const body = JSON.parse(missing.text) as Record<string, unknown>;
    expect(body).toEqual({
      code: 'TOKEN_MISSING',
      message: expect.stringContaining('METRICS_TOKEN'),
      requestId: missing.res.headers.get('x-request-id'),
      retryable: false,
      docUrl: '/docs/errors/TOKEN_MISSING',
    });
    expect(missing.text).not.toContain('latih_');

    const wrong = await scrape(url, `${TOKEN.slice(0, -1)}x`);
    expect(wrong.status).toBe(401);
    expect((JSON.parse(wrong.text) as { code: string }).code).toBe('TOKEN_INVALID');
    const basic = await fetch(`${url}/metrics`, {
      headers: { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` },
    });
    expect(basic.status).toBe(401);

    const ok = await scrape(url);
    expect(ok.status).toBe(200);
    expect(ok.type).toContain('text/plain');
    expect(ok.res.headers.get('cache-control')).toBe('no-store');
    expect(value(ok.text, 'latih_build_info', { version: VERSION, role: 'gateway' })).toBe(1);
    expect(value(ok.text, 'latih_metrics_database_up')).toBe(1);
    // prom-client's process metrics
    expect(value(ok.text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(ok.text).toContain('# TYPE nodejs_eventloop_lag_seconds gauge');
    // The refused scrapes were counted, as any request.
    expect(
      value(ok.text, 'latih_http_requests_total', {
        procedure: '/metrics',
        method: 'GET',
        transport: 'other',
        status: '401',
      }),
    ).toBe(3);
  });

  it('with neither METRICS_TOKEN nor METRICS_PORT: /metrics is 404 ROUTE_NOT_FOUND, token or not', async () => {
    const s = await start({});
    started.push(s);
    for (const token of [null, TOKEN]) {
      const r = await scrape(s.gateway.url, token);
      expect(r.status).toBe(404);
      expect(JSON.parse(r.text)).toEqual({
        code: 'ROUTE_NOT_FOUND',
        message: expect.any(String),
        requestId: r.res.headers.get('x-request-id'),
        retryable: false,
        docUrl: '/docs/errors/ROUTE_NOT_FOUND',
      });
    }
  });

  it('with METRICS_PORT: answered on its own port only (with METRICS_TOKEN too, the token is required there)', async () => {
    const open = await start({ metrics: { token: undefined, port: 0, host: '127.0.0.1', cacheMs: 0 } });
    started.push(open);
    const metricsUrl = open.gateway.metricsUrl;
    if (!metricsUrl) throw new Error('no metrics port');
    expect(new URL(metricsUrl).port).not.toBe(new URL(open.gateway.url).port);
    expect((await scrape(open.gateway.url, null)).status).toBe(404);
    expect((await scrape(open.gateway.url, TOKEN)).status).toBe(404);
    const there = await scrape(metricsUrl, null);
    expect(there.status).toBe(200);
    expect(value(there.text, 'latih_build_info', { version: VERSION, role: 'gateway' })).toBe(1);
    const elsewhere = await fetch(`${metricsUrl}/v1/openapi.json`);
    expect(elsewhere.status).toBe(404);
    expect(((await elsewhere.json()) as { code: string }).code).toBe('ROUTE_NOT_FOUND');
    // The public port's requests are recorded; its 404 for /metrics is not a metrics route.
    expect(
      value((await scrape(metricsUrl, null)).text, 'latih_http_requests_total', {
        procedure: '(unmatched)',
        method: 'GET',
        transport: 'other',
        status: '404',
      }),
    ).toBe(2);

    const both = await start({ metrics: { token: TOKEN, port: 0, host: '127.0.0.1', cacheMs: 0 } });
    started.push(both);
    const bothUrl = both.gateway.metricsUrl ?? '';
    expect((await scrape(bothUrl, null)).status).toBe(401);
    expect((await scrape(bothUrl, 'nope')).status).toBe(401);
    expect((await scrape(bothUrl, TOKEN)).status).toBe(200);
    expect((await scrape(both.gateway.url, TOKEN)).status).toBe(404);
  });
});

describe.each(engines())('/metrics on %s: what it counts', (engine) => {
  let s: Started;
  let url = '';
  /** The program's time, held still: ages and due times are exact. */
  let programNow = Date.now();
  let runId = '';
  let courseId = '';
  let code = '';

  beforeAll(async () => {
    s = await start({
      engine,
      now: () => programNow,
      otp: new BrokenInbox(),
      // Only otp.expire runs here (every 5 min: never on its own during the test; runNow runs it).
      jobs: { run: true, only: ['otp.expire'] },
      metrics: { token: TOKEN, port: undefined, host: '127.0.0.1', cacheMs: 0 },
    });
    url = s.gateway.url;
    // Webhook endpoints for the two organisations the purchase and the redemption concern.
    const at = new Date(programNow);
    for (const key of ['platform-a', 'provider-a'])
      await s.database.db.insert(schema.webhookEndpoints).values({
        id: `whe_metrics_${key.replace('-', '_')}`,
        organisationId: demo(key).id,
        url: 'https://hooks.example.id/latih',
        eventTypes: ['*'],
        status: 'ENABLED',
        createdAt: at,
        updatedAt: at,
      });
  }, 60_000);
  afterAll(async () => {
    await s?.close();
  });

  const api = async (method: string, path: string, token: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('requests by procedure, method, transport and status; a REST route with an id is labelled by its procedure', async () => {
    const before = (await scrape(url)).text;
    const platform = await tokenOf(url, 'platform-a');
    const provider = await tokenOf(url, 'provider-a');

    // tRPC: the catalog (a GET with its input in the query string).
    const listed = await fetch(
      `${url}/trpc/platform.catalog.list?input=${encodeURIComponent(JSON.stringify({ mode: 'WEBINAR' }))}`,
      { headers: { authorization: `Bearer ${platform}` } },
    );
    expect(listed.status).toBe(200);
    const offer = (
      (await listed.json()) as {
        result: { data: { items: { id: string; runs: { id: string; startsAt: string }[] }[] } };
      }
    ).result.data.items[0];
    const run = offer?.runs[0];
    if (!offer || !run) throw new Error('the demo webinar is not on sale');
    courseId = offer.id;
    runId = run.id;

    // REST: a checkout, confirmed at /platform/checkouts/{id}/confirm.
    const checkout = await api('POST', '/v1/platform/checkouts', platform, {
      cardNumber: '5101000000000001',
      courseId,
      runId,
    });
    expect(checkout.status).toBe(200);
    const checkoutId = String(checkout.body.id);
    const otp = (await (await fetch(`${url}/dev/otp/${checkoutId}`)).json()) as { code: string };
    const confirmed = await api('POST', `/v1/platform/checkouts/${checkoutId}/confirm`, platform, {
      code: otp.code,
    });
    expect(confirmed.status).toBe(200);
    code = String(confirmed.body.code);

    // The provider redeems over REST once the run has started (program time), then again.
    programNow = Date.parse(run.startsAt) - 5 * 60_000;
    const redeemed = await api('POST', '/v1/provider/vouchers/redeem', provider, { code, courseId, runId });
    expect(redeemed.status).toBe(200);
    const again = await api('POST', '/v1/provider/vouchers/redeem', provider, { code, courseId, runId });
    expect(again.body.code).toBe('VOUCHER_ALREADY_REDEEMED');
    const got = await api('GET', `/v1/provider/runs/${runId}`, provider);
    expect(got.status).toBe(200);
    expect((await fetch(`${url}/v1/provider/runs/${runId}/no-such-thing`)).status).toBe(404);
    expect((await fetch(`${url}/trpc/no.such.procedure`)).status).toBe(404);
    expect((await fetch(`${url}/verify/LTH-NOPE-1234`)).status).toBe(404);

    const after = (await scrape(url)).text;
    const requests = (procedure: string, method: string, transport: string, status: string, text = after) =>
      value(text, 'latih_http_requests_total', { procedure, method, transport, status });
    expect(requests('provider.vouchers.redeem', 'POST', 'rest', '200', before)).toBeUndefined();
    expect(requests('provider.vouchers.redeem', 'POST', 'rest', '200')).toBe(1);
    const refused = String(ERROR_CATALOG.VOUCHER_ALREADY_REDEEMED.status);
    expect(requests('provider.vouchers.redeem', 'POST', 'rest', refused)).toBe(1);
    expect(requests('platform.checkout.confirm', 'POST', 'rest', '200')).toBe(1);
    expect(requests('provider.runs.get', 'GET', 'rest', '200')).toBe(1);
    expect(requests('platform.catalog.list', 'GET', 'trpc', '200')).toBe(1);
    expect(requests('/v1/oauth/token', 'POST', 'rest', '200')).toBe(2);
    expect(requests('/dev/otp/:checkoutId', 'GET', 'other', '200')).toBe(1);
    expect(requests('/verify/:number', 'GET', 'other', '404')).toBe(1);
    expect(requests('(unmatched)', 'GET', 'rest', '404')).toBe(1);
    expect(requests('(unknown)', 'GET', 'trpc', '404')).toBe(1);
    // Never the URL: no id, no code, no path with an id in any label.
    for (const secretish of [runId, checkoutId, code, otp.code, '/provider/runs/'])
      expect(after).not.toContain(secretish);

    const h = { procedure: 'provider.vouchers.redeem', method: 'POST', transport: 'rest', status: '200' };
    expect(value(after, 'latih_http_request_duration_seconds_count', h)).toBe(1);
    expect(value(after, 'latih_http_request_duration_seconds_bucket', { le: '+Inf', ...h })).toBe(1);
    expect(value(after, 'latih_http_request_duration_seconds_bucket', { le: '0.05', ...h })).toBeDefined();
    expect(value(after, 'latih_http_request_duration_seconds_sum', h)).toBeGreaterThan(0);

    // A client that goes away before the answer: status 499, still by procedure. With
    // `Expect: 100-continue` Node answers 100 once the request has reached the app; then it hangs up.
    const socket = connect(Number(new URL(url).port), '127.0.0.1');
    const continued = new Promise<void>((resolve) =>
      socket.on('data', (d) => {
        if (String(d).startsWith('HTTP/1.1 100')) resolve();
      }),
    );
    socket.write(
      'POST /v1/provider/vouchers/redeem HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n',
    );
    await continued;
    socket.destroy();
    const closed = {
      procedure: 'provider.vouchers.redeem',
      method: 'POST',
      transport: 'rest',
      status: '499',
    };
    let seen: number | undefined;
    for (let i = 0; i < 100 && seen === undefined; i++) {
      seen = value((await scrape(url)).text, 'latih_http_requests_total', closed);
      if (seen === undefined) await new Promise((r) => setTimeout(r, 50));
    }
    expect(seen).toBe(1);

    // A body refused before it is read (413) is the answer the client got, not a client gone.
    const big = await fetch(`${url}/v1/provider/vouchers/redeem`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${provider}` },
      body: JSON.stringify({ code: 'x'.repeat(2_000_000) }),
    });
    expect(big.status).toBe(413);
    expect(value((await scrape(url)).text, 'latih_http_requests_total', { ...closed, status: '413' })).toBe(
      1,
    );

    // Values move: a second request on the same route adds to the same series.
    await api('GET', `/v1/provider/runs/${runId}`, provider);
    expect(requests('provider.runs.get', 'GET', 'rest', '200', (await scrape(url)).text)).toBe(2);
  });

  it("each job's runs, failures, last run, duration, lag and live schedulers; a failing job counts its failures", async () => {
    const before = (await scrape(url)).text;
    expect(value(before, 'latih_job_failures_total', { job: 'otp.expire' })).toBe(0);
    expect(value(before, 'latih_job_last_start_timestamp_seconds', { job: 'otp.expire' })).toBeUndefined();
    expect(value(before, 'latih_job_interval_seconds', { job: 'otp.expire' })).toBe(300);
    expect(value(before, 'latih_schedulers_live')).toBe(1);
    expect(value(before, 'latih_job_live_schedulers', { job: 'otp.expire' })).toBe(1);
    expect(value(before, 'latih_job_live_schedulers', { job: 'vouchers.expire' })).toBe(0);
    // Every job of the schedule is listed.
    expect(labelSets(before, 'latih_job_runs_total').map((l) => l.job)).toContain('webhooks.deliver');

    const scheduler = s.gateway.scheduler;
    if (!scheduler) throw new Error('no scheduler');
    const first = await scheduler.runNow('otp.expire', { force: true });
    expect(first).toMatchObject({ ran: true, ok: false });
    const once = (await scrape(url)).text;
    expect(value(once, 'latih_job_failures_total', { job: 'otp.expire' })).toBe(1);
    expect(value(once, 'latih_job_runs_total', { job: 'otp.expire' })).toBe(1);
    const started = value(once, 'latih_job_last_start_timestamp_seconds', { job: 'otp.expire' }) ?? 0;
    expect(started).toBeGreaterThan(Date.parse('2025-01-01') / 1000);
    expect(
      value(once, 'latih_job_last_failure_timestamp_seconds', { job: 'otp.expire' }),
    ).toBeGreaterThanOrEqual(started);
    expect(value(once, 'latih_job_last_duration_seconds', { job: 'otp.expire' })).toBeGreaterThanOrEqual(0);
    expect(value(once, 'latih_job_lag_seconds', { job: 'otp.expire' })).toBe(0);
    expect(once).toContain('# TYPE latih_job_failures_total counter');

    await scheduler.runNow('otp.expire', { force: true });
    const twice = (await scrape(url)).text;
    expect(value(twice, 'latih_job_failures_total', { job: 'otp.expire' })).toBe(2);
    expect(value(twice, 'latih_job_runs_total', { job: 'otp.expire' })).toBe(2);
    expect(value(twice, 'latih_job_failures_total', { job: 'vouchers.expire' })).toBe(0);
  });

  it('the webhook backlog: events not yet fanned out, PENDING deliveries, those due now, the age of the oldest', async () => {
    const db = s.database.db;
    const count = async (where: ReturnType<typeof sql>) =>
      Number(
        (
          (await db.execute(sql`select count(*)::int as n from ${where}`)) as unknown as {
            rows: { n: number }[];
          }
        ).rows[0]?.n,
      );
    const unpublished = await count(sql`events where published_at is null`);
    expect(unpublished).toBeGreaterThan(0); // the purchase and redemption above
    const t0 = (await scrape(url)).text;
    expect(value(t0, 'latih_webhook_events_unpublished')).toBe(unpublished);
    expect(value(t0, 'latih_webhook_deliveries_pending')).toBe(0);
    expect(value(t0, 'latih_webhook_oldest_undelivered_age_seconds')).toBeGreaterThanOrEqual(0);

    // webhooks.deliver does not run here: fan the events out as its first step does.
    await fanOutEvents({ db, now: new Date(programNow) });
    const pending = await count(sql`webhook_deliveries where status = 'PENDING'`);
    expect(pending).toBeGreaterThanOrEqual(2);
    const t1 = (await scrape(url)).text;
    expect(value(t1, 'latih_webhook_events_unpublished')).toBe(0);
    expect(value(t1, 'latih_webhook_deliveries_pending')).toBe(pending);
    expect(value(t1, 'latih_webhook_deliveries_due')).toBe(pending);
    expect(value(t1, 'latih_webhook_oldest_undelivered_age_seconds')).toBe(0);
    expect(value(t1, 'latih_webhook_oldest_due_seconds')).toBe(0);

    // 90 s later (program time), one retry set for the next hour, one delivered.
    programNow += 90_000;
    const [a, b] = await db
      .select({ id: schema.webhookDeliveries.id })
      .from(schema.webhookDeliveries)
      .orderBy(schema.webhookDeliveries.id);
    if (!a || !b) throw new Error('two deliveries expected');
    await db
      .update(schema.webhookDeliveries)
      .set({ nextAttemptAt: new Date(programNow + 3_600_000) })
      .where(eq(schema.webhookDeliveries.id, a.id));
    await db
      .update(schema.webhookDeliveries)
      .set({ status: 'SUCCEEDED', deliveredAt: new Date(programNow) })
      .where(eq(schema.webhookDeliveries.id, b.id));
    const t2 = (await scrape(url)).text;
    expect(value(t2, 'latih_webhook_deliveries_pending')).toBe(pending - 1);
    expect(value(t2, 'latih_webhook_deliveries_due')).toBe(pending - 2);
    expect(value(t2, 'latih_webhook_oldest_undelivered_age_seconds')).toBe(90);
    expect(value(t2, 'latih_webhook_oldest_due_seconds')).toBe(90);

    // Nothing due any more (every PENDING one waits for a retry): behind by 0, still undelivered.
    await db
      .update(schema.webhookDeliveries)
      .set({ nextAttemptAt: new Date(programNow + 60_000) })
      .where(eq(schema.webhookDeliveries.status, 'PENDING'));
    const t3 = (await scrape(url)).text;
    expect(value(t3, 'latih_webhook_deliveries_due')).toBe(0);
    expect(value(t3, 'latih_webhook_oldest_due_seconds')).toBe(0);
    expect(value(t3, 'latih_webhook_oldest_undelivered_age_seconds')).toBe(90);
  });

  it('registry checks waiting for a verdict: how many, and how long the oldest has waited', async () => {
    const t0 = (await scrape(url)).text;
    expect(value(t0, 'latih_registry_checks_queued')).toBe(0);
    expect(value(t0, 'latih_registry_oldest_queued_age_seconds')).toBe(0);
    // The gateway's registry double does not answer about a NIK ending in 9994 at first: PENDING.
    const imported = await api('POST', '/v1/pmo/participants/import', await tokenOf(url, 'pmo'), {
      cohort: 4,
      items: [
        {
          nik: '3273010303909994',
          cardNumber: '7300000000009994',
          name: 'Antre Registri',
          gender: 'M',
          birthDate: '1990-03-03',
          regencyCode: '32.73',
        },
      ],
    });
    expect(imported.body.summary).toMatchObject({ created: 1, pending: 1 });
    programNow += 120_000;
    const t1 = (await scrape(url)).text;
    expect(value(t1, 'latih_registry_checks_queued')).toBe(1);
    expect(value(t1, 'latih_registry_oldest_queued_age_seconds')).toBe(120);
    programNow -= 120_000;
  });

  it('payouts not yet settled by kind and status, with their amounts (PAID is not counted)', async () => {
    const db = s.database.db;
    const t0 = (await scrape(url)).text;
    for (const status of ['PENDING', 'IN_TRANSIT', 'FAILED'])
      expect(value(t0, 'latih_payouts', { kind: 'settlement', status })).toBe(0);
    for (const status of ['ELIGIBLE', 'DISBURSING', 'FAILED'])
      expect(value(t0, 'latih_payouts', { kind: 'incentive', status })).toBe(0);

    const at = new Date(programNow);
    const org = demo('provider-a').id;
    const settlement = (
      day: string,
      status: 'PENDING' | 'IN_TRANSIT' | 'PAID' | 'FAILED',
      amount: number,
    ) => ({
      id: `stl_metrics_${day.replaceAll('-', '')}`,
      organisationId: org,
      role: 'PROVIDER' as const,
      batchDate: day,
      amount,
      itemCount: 1,
      status,
      createdAt: at,
      updatedAt: at,
    });
    await db
      .insert(schema.settlements)
      .values([
        settlement('2026-01-05', 'PENDING', 100_000),
        settlement('2026-01-06', 'PENDING', 50_000),
        settlement('2026-01-07', 'IN_TRANSIT', 70_000),
        settlement('2026-01-08', 'FAILED', 25_000),
        settlement('2026-01-09', 'PAID', 999_000),
      ]);
    const [participant] = await db.select({ id: schema.participants.id }).from(schema.participants).limit(1);
    if (!participant) throw new Error('no demo participant');
    const incentive = (instalment: number, status: 'ELIGIBLE' | 'PAID' | 'WAITING') => ({
      id: `inc_metrics_${instalment}`,
      participantId: participant.id,
      schemeId: 'scheme-test',
      instalment,
      instalments: 4,
      amount: 600_000,
      status,
      missing: [],
      createdAt: at,
      updatedAt: at,
    });
    await db
      .insert(schema.incentives)
      .values([incentive(1, 'PAID'), incentive(2, 'ELIGIBLE'), incentive(3, 'WAITING')]);

    const t1 = (await scrape(url)).text;
    expect(value(t1, 'latih_payouts', { kind: 'settlement', status: 'PENDING' })).toBe(2);
    expect(value(t1, 'latih_payouts_amount_rupiah', { kind: 'settlement', status: 'PENDING' })).toBe(150_000);
    expect(value(t1, 'latih_payouts', { kind: 'settlement', status: 'IN_TRANSIT' })).toBe(1);
    expect(value(t1, 'latih_payouts', { kind: 'settlement', status: 'FAILED' })).toBe(1);
    expect(value(t1, 'latih_payouts_amount_rupiah', { kind: 'settlement', status: 'FAILED' })).toBe(25_000);
    expect(value(t1, 'latih_payouts', { kind: 'incentive', status: 'ELIGIBLE' })).toBe(1);
    expect(value(t1, 'latih_payouts_amount_rupiah', { kind: 'incentive', status: 'ELIGIBLE' })).toBe(600_000);
    expect(value(t1, 'latih_payouts', { kind: 'incentive', status: 'DISBURSING' })).toBe(0);
    expect(labelSets(t1, 'latih_payouts').map((l) => l.status)).not.toContain('PAID');
    expect(labelSets(t1, 'latih_payouts').map((l) => l.status)).not.toContain('WAITING');
  });

  it(`the database pool (${engine === 'postgres' ? 'pg Pool' : 'none on PGlite'})`, async () => {
    const text = (await scrape(url)).text;
    if (engine === 'pglite') {
      expect(value(text, 'latih_db_pool_max_connections')).toBeUndefined();
      return;
    }
    expect(value(text, 'latih_db_pool_max_connections')).toBe(8);
    const open = value(text, 'latih_db_pool_open_connections') ?? 0;
    expect(open).toBeGreaterThanOrEqual(1);
    expect(open).toBeLessThanOrEqual(8);
    expect(value(text, 'latih_db_pool_idle_connections')).toBeLessThanOrEqual(open);
    expect(value(text, 'latih_db_pool_waiting_queries')).toBe(0);
  });

  it('scrape-time reads are cached for cacheMs; a failed read drops those series and says so', async () => {
    const db = s.database.db;
    const common = {
      role: 'gateway' as const,
      version: VERSION,
      http: false,
      db,
      now: () => programNow,
      jobs: async () => null,
    };
    const cached = createMetrics({ ...common, cacheMs: 3_600_000 });
    const fresh = createMetrics({ ...common, cacheMs: 0 });
    const pendingOf = async (m: typeof cached) =>
      value((await m.render()).body, 'latih_payouts', { kind: 'settlement', status: 'PENDING' });
    const was = await pendingOf(cached);
    expect(await pendingOf(fresh)).toBe(was);
    const at = new Date(programNow);
    await db.insert(schema.settlements).values({
      id: 'stl_metrics_cache',
      organisationId: demo('provider-b').id,
      role: 'PROVIDER',
      batchDate: '2026-02-01',
      amount: 1,
      itemCount: 1,
      status: 'PENDING',
      createdAt: at,
      updatedAt: at,
    });
    expect(await pendingOf(cached)).toBe(was);
    expect(await pendingOf(fresh)).toBe((was ?? 0) + 1);
    cached.close();
    fresh.close();

    const broken = createMetrics({
      ...common,
      cacheMs: 0,
      jobs: async () => {
        throw new Error('the database is gone');
      },
    });
    const text = (await broken.render()).body;
    expect(value(text, 'latih_metrics_database_up')).toBe(0);
    expect(text).not.toMatch(/^latih_job_/m);
    expect(text).not.toMatch(/^latih_payouts/m);
    expect(value(text, 'latih_build_info', { version: VERSION, role: 'gateway' })).toBe(1);
    broken.close();
  });
});

/** As operators run them: the gateway process (main.ts) with METRICS_PORT, the worker on WORKER_PORT. */
describe('/metrics in the gateway and worker processes', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'latih-metrics-proc-'));
  const procs: RunningProcess[] = [];
  let db: TestDatabase | undefined;
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('npm start with METRICS_PORT and METRICS_TOKEN: /metrics on its own port with the token, 404 on the public one', async () => {
    const [port, metricsPort] = [await freePort(), await freePort()];
    const gateway = startTsProcess('gateway', 'apps/gateway/src/main.ts', {
      NODE_ENV: 'development',
      PORT: String(port),
      DATA_DIR: join(dataDir, 'gateway'),
      JOBS: 'off',
      LOG_LEVEL: 'info',
      METRICS_PORT: String(metricsPort),
      METRICS_TOKEN: TOKEN,
    });
    procs.push(gateway);
    await waitForHttp(gateway, `http://127.0.0.1:${port}/readyz`);
    expect((await scrape(`http://127.0.0.1:${port}`)).status).toBe(404);
    expect((await scrape(`http://127.0.0.1:${metricsPort}`, null)).status).toBe(401);
    const ok = await scrape(`http://127.0.0.1:${metricsPort}`);
    expect(ok.status).toBe(200);
    expect(value(ok.text, 'latih_build_info', { version: VERSION, role: 'gateway' })).toBe(1);
    expect(
      value(ok.text, 'latih_http_requests_total', {
        procedure: '/readyz',
        method: 'GET',
        transport: 'other',
        status: '200',
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(gateway.logs().some((l) => l.msg === 'metrics listening')).toBe(true);
  }, 120_000);

  it.runIf(postgresAvailable())(
    'npm run worker with WORKER_PORT and METRICS_TOKEN: its jobs on /metrics, with the token only',
    async () => {
      db = await freshDatabase('postgres');
      const workerPort = await freePort();
      const worker = startTsProcess('worker', 'apps/gateway/src/worker.ts', {
        NODE_ENV: 'development',
        DATABASE_URL: db.url,
        DATA_DIR: join(dataDir, 'worker'),
        NIK_HASH_KEY: Buffer.alloc(32, 7).toString('base64'),
        LOG_LEVEL: 'info',
        WORKER_PORT: String(workerPort),
        METRICS_TOKEN: TOKEN,
        JOB_INTERVALS: 'webhooks.deliver=200',
      });
      procs.push(worker);
      const workerUrl = `http://127.0.0.1:${workerPort}`;
      await waitForHttp(worker, `${workerUrl}/readyz`);
      expect((await scrape(workerUrl, null)).status).toBe(401);
      const ok = await scrape(workerUrl);
      expect(ok.status).toBe(200);
      expect(value(ok.text, 'latih_build_info', { version: VERSION, role: 'worker' })).toBe(1);
      expect(value(ok.text, 'latih_schedulers_live')).toBe(1);
      expect(value(ok.text, 'latih_job_live_schedulers', { job: 'webhooks.deliver' })).toBe(1);
      expect(value(ok.text, 'latih_job_live_schedulers', { job: 'payouts.pay' })).toBe(0);
      expect(value(ok.text, 'latih_db_pool_max_connections')).toBe(8);
      expect(ok.text).not.toContain('latih_http_requests_total');
      expect(value(ok.text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    },
    120_000,
  );
});
