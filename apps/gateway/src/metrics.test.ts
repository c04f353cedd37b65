import type { Db, ReplicaStatus } from '@latih/db';
import type { Request } from 'express';
import { describe, expect, it } from 'vitest';
import { parseEnv } from './env';
import {
  CLIENT_CLOSED,
  createMetrics,
  METRIC_DOCS,
  metricsAuthorization,
  metricsEnabled,
  procedureLabeller,
} from './metrics';
import { PRODUCTION_ENV } from './production-env.fixture';

const TOKEN = 'metrics-token-for-tests-0123456789abcdef';

describe('METRICS_TOKEN, METRICS_PORT and METRICS_HOST', () => {
  it('off by default: no token, no port; METRICS_HOST defaults to loopback', () => {
    const c = parseEnv({});
    expect(c.metrics).toEqual({ token: undefined, port: undefined, host: '127.0.0.1' });
    expect(metricsEnabled(c.metrics)).toBe(false);
  });

  it('a token, a port of its own on a given host, or both', () => {
    expect(parseEnv({ METRICS_TOKEN: TOKEN }).metrics).toEqual({
      token: TOKEN,
      port: undefined,
      host: '127.0.0.1',
    });
    const own = parseEnv({ METRICS_PORT: '9464', METRICS_HOST: '10.0.0.5' }).metrics;
    expect(own).toEqual({ token: undefined, port: 9464, host: '10.0.0.5' });
    expect(metricsEnabled(own)).toBe(true);
    expect(parseEnv({ METRICS_PORT: '9464', METRICS_TOKEN: TOKEN }).metrics.token).toBe(TOKEN);
  });

  it('refuses a short or spaced token, a bad port, the gateway’s own port, and a host without a port', () => {
    expect(() => parseEnv({ METRICS_TOKEN: 'short' })).toThrow(
      /METRICS_TOKEN="\[redacted\]": must be 32 to 512/,
    );
    expect(() => parseEnv({ METRICS_TOKEN: `${TOKEN} x` })).toThrow(/METRICS_TOKEN=.*printable characters/);
    expect(() => parseEnv({ METRICS_PORT: 'ninety' })).toThrow(/METRICS_PORT="ninety"/);
    expect(() => parseEnv({ METRICS_PORT: '70000' })).toThrow(/METRICS_PORT="70000"/);
    expect(() => parseEnv({ PORT: '8080', METRICS_PORT: '8080' })).toThrow(
      /METRICS_PORT="8080": must differ from PORT/,
    );
    expect(() => parseEnv({ METRICS_PORT: '3000' })).toThrow(/METRICS_PORT="3000": must differ from PORT/);
    expect(() => parseEnv({ METRICS_HOST: '0.0.0.0' })).toThrow(
      /METRICS_HOST="0.0.0.0": is where METRICS_PORT listens/,
    );
  });

  it('production does not require metrics (without them nothing is exposed; main.ts warns)', () => {
    const production = PRODUCTION_ENV;
    let message = '';
    try {
      parseEnv(production);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).not.toMatch(/METRICS/);
  });
});

describe('the bearer token', () => {
  it('is required when set, compared whole', () => {
    expect(metricsAuthorization(TOKEN, undefined)).toBe('missing');
    expect(metricsAuthorization(TOKEN, '')).toBe('missing');
    expect(metricsAuthorization(TOKEN, `Basic ${TOKEN}`)).toBe('missing');
    expect(metricsAuthorization(TOKEN, 'Bearer ')).toBe('missing');
    expect(metricsAuthorization(TOKEN, `Bearer ${TOKEN}`)).toBe('ok');
    expect(metricsAuthorization(TOKEN, `bearer ${TOKEN}`)).toBe('ok');
    expect(metricsAuthorization(TOKEN, `Bearer ${TOKEN.slice(0, -1)}`)).toBe('invalid');
    expect(metricsAuthorization(TOKEN, `Bearer ${TOKEN}x`)).toBe('invalid');
    expect(metricsAuthorization(TOKEN, `Bearer ${TOKEN} ${TOKEN}`)).toBe('missing');
  });

  it('is not asked for where none is set (METRICS_PORT alone)', () => {
    expect(metricsAuthorization(undefined, undefined)).toBe('ok');
  });
});

describe('request labels: the procedure, never the URL', () => {
  const label = procedureLabeller();
  const req = (method: string, originalUrl: string, route?: unknown) =>
    ({ method, originalUrl, ...(route ? { route } : {}) }) as unknown as Request;

  it('a REST route is labelled by the tRPC procedure its OpenAPI meta names, ids and query left out', () => {
    expect(label(req('POST', '/v1/provider/vouchers/redeem'), '200')).toEqual({
      procedure: 'provider.vouchers.redeem',
      method: 'POST',
      transport: 'rest',
      status: '200',
    });
    expect(
      label(req('GET', '/v1/provider/runs/run_01JX0000000000000000000000?fields=all'), '200').procedure,
    ).toBe('provider.runs.get');
    expect(label(req('PATCH', '/v1/provider/runs/run_1'), '200').procedure).toBe('provider.runs.update');
    expect(label(req('POST', '/v1/provider/runs/run_1/cancel'), '200').procedure).toBe(
      'provider.runs.cancel',
    );
    expect(label(req('POST', '/v1/platform/checkouts/chk_1/confirm'), '422').procedure).toBe(
      'platform.checkout.confirm',
    );
    // A literal route is not taken for an id route of the same shape, and the reverse.
    expect(label(req('POST', '/v1/provider/courses/import'), '200').procedure).toBe(
      'provider.courses.import',
    );
    expect(label(req('GET', '/v1/provider/courses/crs_1'), '200').procedure).toBe('provider.courses.get');
    // As trpc-to-openapi matches: case-insensitive, a trailing slash ignored.
    expect(label(req('GET', '/v1/Provider/Runs/run_1/'), '200').procedure).toBe('provider.runs.get');
    // The wrong method, or a path no procedure has.
    expect(label(req('DELETE', '/v1/provider/vouchers/redeem'), '404').procedure).toBe('(unmatched)');
    expect(label(req('GET', '/v1/provider/runs/run_1/extra/segments'), '404').procedure).toBe('(unmatched)');
  });

  it('tRPC: the path is the procedure; a batch of several is (batch); an unknown path is (unknown)', () => {
    expect(label(req('POST', '/trpc/provider.vouchers.redeem'), '200')).toMatchObject({
      procedure: 'provider.vouchers.redeem',
      transport: 'trpc',
    });
    expect(label(req('GET', '/trpc/platform.catalog.list?batch=1&input=%7B%7D'), '200').procedure).toBe(
      'platform.catalog.list',
    );
    expect(label(req('GET', '/trpc/auth.whoami,platform.catalog.list?batch=1'), '200').procedure).toBe(
      '(batch)',
    );
    expect(label(req('GET', '/trpc/auth.whoami%2Cplatform.catalog.list?batch=1'), '200').procedure).toBe(
      '(batch)',
    );
    expect(label(req('GET', '/trpc/auth.whoami,run_123'), '404').procedure).toBe('(unknown)');
    expect(label(req('GET', '/trpc/run_01JX0000000000000000000000'), '404').procedure).toBe('(unknown)');
    expect(label(req('GET', '/trpc/%E0%A4%A'), '404').procedure).toBe('(unknown)');
  });

  it('other routes: the Express route pattern, a known CSV export by name, the console, else (unmatched)', () => {
    expect(label(req('GET', '/verify/LTH-1234', { path: '/verify/:number' }), '200')).toEqual({
      procedure: '/verify/:number',
      method: 'GET',
      transport: 'other',
      status: '200',
    });
    expect(label(req('POST', '/v1/oauth/token', { path: '/v1/oauth/token' }), '401')).toMatchObject({
      procedure: '/v1/oauth/token',
      transport: 'rest',
    });
    expect(
      label(req('GET', '/v1/pmo/exports/reports/providers.csv?from=x', { path: /exports/ }), '200').procedure,
    ).toBe('export:reports/providers');
    expect(
      label(req('GET', '/v1/pmo/exports/no-such-export.csv', { path: /exports/ }), '404').procedure,
    ).toBe('(unmatched)');
    expect(label(req('GET', '/console/assets/index-abc123.js'), '200').procedure).toBe('/console (static)');
    expect(label(req('GET', '/wp-admin/setup.php?id=1'), '404')).toEqual({
      procedure: '(unmatched)',
      method: 'GET',
      transport: 'other',
      status: '404',
    });
    // The program's integration protocol: by operation (also sent as //api/…), never by a made-up path.
    expect(label(req('POST', '//api/v1/integration/payment/redeem-code/commit'), '200').procedure).toBe(
      'integration:payment/redeem-code/commit',
    );
    expect(label(req('POST', '/api/v1/integration/no/such/thing-123'), '404').procedure).toBe('(unmatched)');
    expect(CLIENT_CLOSED).toBe('499');
  });
});

describe('METRIC_DOCS', () => {
  it('documents every latih_ series the gateway and the worker register, and nothing else', () => {
    const replica = (): ReplicaStatus => ({
      state: 'up',
      serving: true,
      lagMs: 12,
      maxLagMs: 2_000,
      standby: true,
      lastCheckAt: null,
      reason: null,
      reads: {
        replica: 3,
        primary: { starting: 0, lagging: 1, 'schema-behind': 0, down: 0, error: 0, 'not-found': 0 },
      },
    });
    const names = (http: boolean, pool: boolean, withReplica = http) =>
      createMetrics({
        role: http ? 'gateway' : 'worker',
        version: 'test',
        http,
        db: {} as Db,
        now: Date.now,
        jobs: async () => null,
        ...(pool ? { pool: () => ({ max: 1, total: 0, idle: 0, waiting: 0 }) } : {}),
        ...(withReplica ? { replica } : {}),
      })
        .registry.getMetricsAsArray()
        .map((m) => m.name)
        .filter((n) => n.startsWith('latih_'))
        .sort();
    const all = Object.keys(METRIC_DOCS).sort();
    expect(names(true, true)).toEqual(all);
    const docs = METRIC_DOCS as Record<
      string,
      { gatewayOnly?: boolean; postgresOnly?: boolean; replicaOnly?: boolean }
    >;
    expect(names(false, true)).toEqual(all.filter((n) => !docs[n]?.gatewayOnly));
    expect(names(true, false)).toEqual(all.filter((n) => !docs[n]?.postgresOnly));
    expect(names(true, true, false)).toEqual(all.filter((n) => !docs[n]?.replicaOnly));
  });

  it('shows where the reads meant for the replica went, and its lag', async () => {
    const metrics = createMetrics({
      role: 'gateway',
      version: 'test',
      http: true,
      db: {} as Db,
      now: Date.now,
      jobs: async () => null,
      replica: () => ({
        state: 'lagging',
        serving: false,
        lagMs: 4_500,
        maxLagMs: 2_000,
        standby: true,
        lastCheckAt: null,
        reason: '4500 ms behind',
        reads: {
          replica: 7,
          primary: { starting: 1, lagging: 2, 'schema-behind': 0, down: 3, error: 1, 'not-found': 0 },
        },
      }),
    });
    const text = (await metrics.registry.metrics()).split('\n');
    metrics.close();
    expect(text).toContain('latih_read_replica_serving 0');
    expect(text).toContain('latih_read_replica_lag_seconds 4.5');
    expect(text).toContain('latih_read_replica_reads_total{target="replica",reason=""} 7');
    expect(text).toContain('latih_read_replica_reads_total{target="primary",reason="down"} 3');
    expect(text).toContain('latih_read_replica_reads_total{target="primary",reason="error"} 1');
  });

  it('the replica lag is NaN, not 0, while the replica does not answer', async () => {
    const metrics = createMetrics({
      role: 'gateway',
      version: 'test',
      http: true,
      db: {} as Db,
      now: Date.now,
      jobs: async () => null,
      replica: () => ({
        state: 'down',
        serving: false,
        lagMs: null,
        maxLagMs: 2_000,
        standby: null,
        lastCheckAt: null,
        reason: 'unreachable: connect ECONNREFUSED 127.0.0.1:5441',
        reads: {
          replica: 0,
          primary: { starting: 0, lagging: 0, 'schema-behind': 0, down: 2, error: 0, 'not-found': 0 },
        },
      }),
    });
    const text = (await metrics.registry.metrics()).split('\n');
    metrics.close();
    expect(text).toContain('latih_read_replica_serving 0');
    // prom-client writes NaN as `Nan`, which Prometheus reads as NaN.
    expect(text).toContain('latih_read_replica_lag_seconds Nan');
  });
});
