import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { DEMO_STAFF_PASSWORD } from '@latih/core';
import { createLatihClient, LatihError } from '@latih/sdk';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../apps/gateway/src/logger';
import {
  createRateLimits,
  DEFAULT_RATE_LIMITS,
  type RateLimitName,
  type RateLimitSettings,
  type RateLimits,
  rateLimitKeys,
} from '../../apps/gateway/src/rate-limits';
import { startTestGateway } from '../support/gateway';
import { freePort } from '../support/processes';

/**
 * Rate limits over HTTP, on both backends: memory (each gateway its own) and Redis (every gateway
 * on the same Redis and key prefix shares one budget). Redis is the one at REDIS_URL (CI exports
 * it) or 127.0.0.1:6379; without it the Redis half does not run, except in CI, where that fails.
 * Addresses are chosen with X-Forwarded-For, which the gateway takes from a loopback peer (the
 * default TRUST_PROXY).
 */
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const redisAvailable = await (async () => {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, retryStrategy: () => null, connectTimeout: 1_000 });
  probe.on('error', () => {});
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
})();
if (!redisAvailable && process.env.CI === 'true')
  throw new Error(`CI runs the rate limits on Redis too, but Redis does not answer at ${REDIS_URL}`);
const BACKENDS = redisAvailable ? (['memory', 'redis'] as const) : (['memory'] as const);
type Backend = (typeof BACKENDS)[number];

/** Every key of this run lives under its own prefix (deleted at the end). */
const RUN_PREFIX = `latih-test-${randomUUID().slice(0, 8)}:`;
const admin = redisAvailable ? new Redis(REDIS_URL) : null;

const open: { close: () => Promise<void> }[] = [];
afterAll(async () => {
  for (const o of open.reverse()) await o.close();
  if (admin) {
    const keys = await admin.keys(`${RUN_PREFIX}*`);
    if (keys.length > 0) await admin.del(...keys);
    admin.disconnect();
  }
});

function logSink() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { lines, logger: createLogger('info', sink) };
}

async function limitsFor(
  backend: Backend,
  overrides: Partial<RateLimitSettings>,
  o: { prefix?: string; redisUrl?: string } = {},
) {
  const log = logSink();
  const limits = await createRateLimits({
    settings: { ...DEFAULT_RATE_LIMITS, ...overrides },
    ...(backend === 'redis'
      ? {
          redis: {
            url: o.redisUrl ?? REDIS_URL,
            keyPrefix: o.prefix ?? `${RUN_PREFIX}${randomUUID().slice(0, 8)}:`,
          },
        }
      : {}),
    logger: log.logger,
    connectTimeoutMs: 2_000,
  });
  open.push(limits);
  return { limits, lines: log.lines };
}

async function gatewayWith(limits: RateLimits) {
  const gw = await startTestGateway({ rateLimits: limits });
  open.push(gw);
  return gw;
}
type Gw = Awaited<ReturnType<typeof gatewayWith>>;

const from = (ip: string) => ({ 'x-forwarded-for': ip });

function tokenRequest(gw: Gw, clientId: string, secret: string, ip: string) {
  return fetch(`${gw.url}/v1/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...from(ip) },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: secret,
    }),
  });
}

async function tokenFor(gw: Gw, key: keyof Gw['demo'], ip = '192.0.2.250'): Promise<string> {
  const o = gw.demo[key];
  const res = await tokenRequest(gw, o.clientId, o.clientSecret, ip);
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

function headersOf(res: Response) {
  return {
    limit: res.headers.get('ratelimit-limit'),
    remaining: res.headers.get('ratelimit-remaining'),
    reset: res.headers.get('ratelimit-reset'),
    policy: res.headers.get('ratelimit-policy'),
    retryAfter: res.headers.get('retry-after'),
  };
}

/** The window of a limit's key passes, on the limiter's own clock: Redis's TTL, or memory's Date. */
async function windowPasses(limits: RateLimits, name: RateLimitName, key: string): Promise<void> {
  const state = await limits.limiter(name).get(key);
  if (!state) return;
  if (limits.backend === 'redis') {
    const stored = limits.limiter(name).getKey(key);
    expect(await admin?.pttl(stored)).toBeGreaterThan(0);
    await admin?.pexpire(stored, 1);
    for (let i = 0; i < 100 && (await admin?.exists(stored)) === 1; i++)
      await new Promise((r) => setTimeout(r, 5));
    expect(await admin?.exists(stored)).toBe(0);
  } else {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + state.msBeforeNext + 1 });
  }
}

describe.each(BACKENDS)('rate limits (%s)', (backend) => {
  // One gateway for the API, public and sign-in tests (each uses clients and addresses of its own).
  let shared: Promise<Gw> | undefined;
  const sharedGateway = () =>
    (shared ??= limitsFor(backend, {
      api: { points: 10, seconds: 60 },
      public: { points: 3, seconds: 60 },
      signIn: { points: 3, seconds: 900 },
    }).then(({ limits }) => gatewayWith(limits)));

  it('a brute force on a client secret is stopped after 10 failures; then the right secret too, for that client and address, until the window passes', async () => {
    const { limits } = await limitsFor(backend, {
      token: { points: 1000, seconds: 60 },
      tokenFailures: { points: 10, seconds: 900 },
    });
    const gw = await gatewayWith(limits);
    const victim = gw.demo['platform-a'];
    const attacker = '198.51.100.66';

    // 30 wrong secrets at once: counted before they run, so parallel guesses cannot overrun it.
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) => tokenRequest(gw, victim.clientId, `lts_wrong_${i}`, attacker)),
    );
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 401)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(20);
    const refused = answers.find((r) => r.status === 429) as Response;
    expect(await refused.json()).toMatchObject({
      error: 'rate_limited',
      error_description: expect.stringMatching(/Too many failed token requests.*retry after \d+ s/),
      requestId: expect.stringMatching(/^req_/),
    });
    const h = headersOf(refused);
    expect(h).toMatchObject({ limit: '10', remaining: '0' });
    expect(Number(h.retryAfter)).toBeGreaterThan(850);
    expect(Number(h.retryAfter)).toBeLessThanOrEqual(900);
    expect(h.reset).toBe(h.retryAfter);
    expect(h.policy).toContain('10;w=900');
    // Every answer says where it stands, the 401s included.
    for (const r of answers) expect(r.headers.get('ratelimit-limit')).not.toBeNull();

    // The right secret now: refused as well, from that address.
    const right = await tokenRequest(gw, victim.clientId, victim.clientSecret, attacker);
    expect(right.status).toBe(429);
    // The limiter's own count says why: 31 failures counted (30 + this one) in a 900 s window.
    const key = rateLimitKeys.tokenFailure(victim.clientId, attacker);
    const state = await limits.limiter('tokenFailures').get(key);
    expect(state?.consumedPoints).toBe(31);
    expect(Math.ceil((state?.msBeforeNext ?? 0) / 1000)).toBeGreaterThanOrEqual(
      Number(right.headers.get('retry-after')) - 1,
    );
    expect(
      gw.lines.filter((l) => l.msg === 'rate limit reached' && l.limit === 'tokenFailures'),
    ).toHaveLength(1);

    // The partner itself, elsewhere, is not locked out by someone who knows its client id.
    expect((await tokenRequest(gw, victim.clientId, victim.clientSecret, '203.0.113.10')).status).toBe(200);

    // When the window has passed, the right secret works again from that address, and a success
    // gives its point back.
    await windowPasses(limits, 'tokenFailures', key);
    try {
      const after = await tokenRequest(gw, victim.clientId, victim.clientSecret, attacker);
      expect(after.status).toBe(200);
      expect(await after.json()).toMatchObject({ token_type: 'Bearer' });
      // The refund runs once the answer is sent.
      const failuresLeft = async () => (await limits.limiter('tokenFailures').get(key))?.consumedPoints ?? 0;
      for (let i = 0; i < 100 && (await failuresLeft()) !== 0; i++)
        await new Promise((r) => setTimeout(r, 20));
      expect(await failuresLeft()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('token requests are limited per client id and per address', async () => {
    const { limits } = await limitsFor(backend, { token: { points: 5, seconds: 60 } });
    const gw = await gatewayWith(limits);
    const a = gw.demo['provider-a'];
    const b = gw.demo['provider-b'];
    const first = await tokenRequest(gw, a.clientId, a.clientSecret, '203.0.113.1');
    expect(headersOf(first)).toMatchObject({ limit: '5', remaining: '4', policy: '5;w=60, 10;w=900' });
    for (let i = 0; i < 4; i++)
      expect((await tokenRequest(gw, a.clientId, a.clientSecret, '203.0.113.1')).status).toBe(200);
    // Client a from address 1: both spent.
    const sixth = await tokenRequest(gw, a.clientId, a.clientSecret, '203.0.113.1');
    expect(sixth.status).toBe(429);
    expect(await sixth.json()).toMatchObject({ error: 'rate_limited' });
    expect(Number(sixth.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another client from the same address: the address is spent.
    expect((await tokenRequest(gw, b.clientId, b.clientSecret, '203.0.113.1')).status).toBe(429);
    // Client a from another address: the client id is spent.
    expect((await tokenRequest(gw, a.clientId, a.clientSecret, '203.0.113.2')).status).toBe(429);
    // Client b from another address: neither.
    expect((await tokenRequest(gw, b.clientId, b.clientSecret, '203.0.113.2')).status).toBe(200);
    // HTTP Basic authentication names the client the same way.
    const basic = await fetch(`${gw.url}/v1/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${a.clientId}:${a.clientSecret}`).toString('base64')}`,
        ...from('203.0.113.3'),
      },
      body: 'grant_type=client_credentials',
    });
    expect(basic.status).toBe(429);
  });

  it('a client has one budget on REST and tRPC (a batch counts each call); another client and a bad token do not spend it', async () => {
    const gw = await sharedGateway();
    const token = await tokenFor(gw, 'platform-a');
    const auth = { authorization: `Bearer ${token}` };
    const rest = () => fetch(`${gw.url}/v1/auth/whoami`, { headers: auth });
    const trpc = (path = 'auth.whoami', query = '') =>
      fetch(`${gw.url}/trpc/${path}${query}`, { headers: auth });

    const remaining: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await rest();
      expect(r.status).toBe(200);
      remaining.push(r.headers.get('ratelimit-remaining') ?? '');
    }
    for (let i = 0; i < 3; i++) {
      const r = await trpc();
      expect(r.status).toBe(200);
      remaining.push(r.headers.get('ratelimit-remaining') ?? '');
    }
    const batch = await trpc('auth.whoami,auth.whoami', '?batch=1&input=%7B%7D');
    expect(batch.status).toBe(200);
    remaining.push(batch.headers.get('ratelimit-remaining') ?? '');
    expect(remaining).toEqual(['9', '8', '7', '6', '5', '4', '3', '1']);
    expect(headersOf(batch)).toMatchObject({ limit: '10', policy: '10;w=60' });

    // A token that does not verify is counted by address (public), not against the client.
    const forged = await fetch(`${gw.url}/v1/auth/whoami`, {
      headers: { authorization: `Bearer ${token.slice(0, -4)}AAAA`, ...from('192.0.2.9') },
    });
    expect(forged.status).toBe(401);
    expect(headersOf(forged)).toMatchObject({ limit: '3', remaining: '2' });

    expect((await rest()).status).toBe(200); // the 10th point
    const restRefused = await rest();
    expect(restRefused.status).toBe(429);
    expect(await restRefused.json()).toEqual({
      code: 'RATE_LIMITED',
      message: expect.stringMatching(/^Too many requests for this client: retry after \d+ s/),
      requestId: restRefused.headers.get('x-request-id'),
      retryable: true,
      docUrl: '/docs/errors/RATE_LIMITED',
    });
    expect(headersOf(restRefused)).toMatchObject({ limit: '10', remaining: '0' });
    expect(Number(restRefused.headers.get('retry-after'))).toBeGreaterThan(0);

    // tRPC answers in its own shape, single and batched.
    const trpcRefused = await trpc();
    expect(trpcRefused.status).toBe(429);
    expect(await trpcRefused.json()).toMatchObject({
      error: {
        code: -32029,
        data: { code: 'RATE_LIMITED', httpStatus: 429, retryable: true, path: 'auth.whoami' },
      },
    });
    const batchRefused = await trpc('auth.whoami,public.categories', '?batch=1&input=%7B%7D');
    expect(batchRefused.status).toBe(429);
    const batchBody = (await batchRefused.json()) as { error: { data: { code: string; path: string } } }[];
    expect(batchBody.map((b) => [b.error.data.code, b.error.data.path])).toEqual([
      ['RATE_LIMITED', 'auth.whoami'],
      ['RATE_LIMITED', 'public.categories'],
    ]);

    // The SDK (batched queries) reads it as a retryable LatihError.
    const sdk = createLatihClient({
      baseUrl: gw.url,
      clientId: gw.demo['platform-a'].clientId,
      clientSecret: gw.demo['platform-a'].clientSecret,
      fetch: (input, init) =>
        fetch(input, {
          ...init,
          headers: { ...Object.fromEntries(new Headers(init?.headers)), ...from('192.0.2.44') },
        }),
    });
    const [e1, e2] = await Promise.all([
      sdk.auth.whoami.query().catch((e: unknown) => e),
      sdk.public.categories.query().catch((e: unknown) => e),
    ]);
    for (const e of [e1, e2]) {
      expect(e).toBeInstanceOf(LatihError);
      expect(e).toMatchObject({ code: 'RATE_LIMITED', status: 429, retryable: true });
    }

    // Logged once, however many refusals followed.
    expect(gw.lines.filter((l) => l.msg === 'rate limit reached')).toMatchObject([
      { level: 40, limit: 'api', key: `client:${gw.demo['platform-a'].clientId}` },
    ]);

    // Another client of the same gateway still has its own budget.
    const other = await tokenFor(gw, 'platform-b');
    const ok = await fetch(`${gw.url}/v1/auth/whoami`, { headers: { authorization: `Bearer ${other}` } });
    expect(ok.status).toBe(200);
    expect(headersOf(ok)).toMatchObject({ limit: '10', remaining: '9' });
  });

  it('without a token, requests count per address; probes and the console files are not limited', async () => {
    const gw = await sharedGateway();
    const get = (path: string, ip: string) => fetch(`${gw.url}${path}`, { headers: from(ip) });
    for (let i = 0; i < 3; i++) expect((await get('/v1/public/categories', '198.51.100.5')).status).toBe(200);
    const refused = await get('/v1/public/categories', '198.51.100.5');
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { message: string }).message).toMatch(/from this address/);
    // Unknown routes and pages spend the same budget.
    expect((await get('/no/such/route', '198.51.100.5')).status).toBe(429);
    // An IPv6 client counts by its /64.
    for (let i = 0; i < 3; i++)
      expect((await get('/v1/public/regions', `2001:db8:5:6::${i + 1}`)).status).toBe(200);
    expect((await get('/v1/public/regions', '2001:db8:5:6:ffff::9')).status).toBe(429);
    expect((await get('/v1/public/regions', '2001:db8:5:7::1')).status).toBe(200);
    // Another address, the health probes: not limited.
    expect((await get('/v1/public/categories', '198.51.100.6')).status).toBe(200);
    for (let i = 0; i < 5; i++) {
      expect((await get('/healthz', '198.51.100.5')).status).toBe(200);
      expect((await get('/readyz', '198.51.100.5')).status).toBe(200);
    }
  });

  it('console sign-in is limited per address: failures count, successes are given back', async () => {
    const gw = await sharedGateway();
    const signIn = (email: string, password: string, ip: string) =>
      fetch(`${gw.url}/console/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...from(ip) },
        body: JSON.stringify({ email, password }),
      });
    // Successes do not spend it.
    for (let i = 0; i < 5; i++)
      expect((await signIn('admin@latih.test', DEMO_STAFF_PASSWORD, '198.51.100.20')).status).toBe(200);
    // One wrong password on each of three accounts (no account reaches its own lock of 5) …
    for (const email of ['reviewer@latih.test', 'finance@latih.test', 'admin@latih.test']) {
      const r = await signIn(email, 'guess', '198.51.100.21');
      expect(r.status).toBe(401);
      expect(((await r.json()) as { code: string }).code).toBe('STAFF_SIGN_IN_FAILED');
    }
    // … and the address is stopped: a fourth account, and the right password, are refused.
    const refused = await signIn('reviewer@latih.test', DEMO_STAFF_PASSWORD, '198.51.100.21');
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ code: 'RATE_LIMITED', retryable: true });
    expect(headersOf(refused)).toMatchObject({ limit: '3', remaining: '0', policy: '3;w=900' });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(850);
    // Another address signs in.
    expect((await signIn('reviewer@latih.test', DEMO_STAFF_PASSWORD, '198.51.100.22')).status).toBe(200);
  });
});

describe.each(BACKENDS)('two gateways (%s)', (backend) => {
  it(
    backend === 'redis'
      ? 'on the same Redis and prefix share one budget per client and per failed secret'
      : 'in memory each count on their own',
    async () => {
      const prefix = `${RUN_PREFIX}shared-${randomUUID().slice(0, 8)}:`;
      const settings = { api: { points: 10, seconds: 60 }, tokenFailures: { points: 4, seconds: 900 } };
      const [one, two] = await Promise.all([
        limitsFor(backend, settings, { prefix }),
        limitsFor(backend, settings, { prefix }),
      ]);
      const [gw1, gw2] = await Promise.all([gatewayWith(one.limits), gatewayWith(two.limits)]);
      // The same demo client on both (each gateway signs its own tokens).
      const t1 = await tokenFor(gw1, 'provider-a');
      const t2 = await tokenFor(gw2, 'provider-a');
      const call = (gw: Gw, t: string) =>
        fetch(`${gw.url}/v1/auth/whoami`, { headers: { authorization: `Bearer ${t}` } });
      for (let i = 0; i < 5; i++) expect((await call(gw1, t1)).status).toBe(200);
      const fifthOnTwo = await Promise.all(Array.from({ length: 5 }, () => call(gw2, t2)));
      expect(fifthOnTwo.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
      const remainingOnTwo = fifthOnTwo
        .map((r) => Number(r.headers.get('ratelimit-remaining')))
        .sort((a, b) => a - b);
      const next1 = await call(gw1, t1);
      const next2 = await call(gw2, t2);
      const wrong = (gw: Gw) =>
        tokenRequest(gw, gw.demo['provider-b'].clientId, 'lts_wrong', '198.51.100.99').then((r) => r.status);
      const failures = [
        await wrong(gw1),
        await wrong(gw1),
        await wrong(gw2),
        await wrong(gw2),
        await wrong(gw1),
      ];
      if (backend === 'redis') {
        expect(remainingOnTwo).toEqual([0, 1, 2, 3, 4]);
        expect([next1.status, next2.status]).toEqual([429, 429]);
        expect(failures).toEqual([401, 401, 401, 401, 429]);
      } else {
        expect(remainingOnTwo).toEqual([5, 6, 7, 8, 9]);
        expect([next1.status, next2.status]).toEqual([200, 200]);
        expect(failures).toEqual([401, 401, 401, 401, 401]);
      }
    },
  );
});

describe('Redis down', () => {
  it('a gateway whose Redis does not answer limits in its own memory, says so, and serves', async () => {
    const port = await freePort(); // nobody listens there
    const { limits, lines } = await limitsFor(
      'redis',
      { api: { points: 3, seconds: 60 }, tokenFailures: { points: 2, seconds: 900 } },
      { redisUrl: `redis://127.0.0.1:${port}` },
    );
    expect(limits.backend).toBe('redis');
    expect(limits.redisReady()).toBe(false);
    const gw = await gatewayWith(limits);
    const wrong = () => tokenRequest(gw, gw.demo.pmo.clientId, 'nope', '198.51.100.7').then((r) => r.status);
    expect([await wrong(), await wrong(), await wrong()]).toEqual([401, 401, 429]);
    const token = await tokenFor(gw, 'pmo');
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push(
        (await fetch(`${gw.url}/v1/auth/whoami`, { headers: { authorization: `Bearer ${token}` } })).status,
      );
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(
      lines.some(
        (l) => l.msg === "Redis does not answer: rate limits count in this gateway's memory until it is back",
      ),
    ).toBe(true);
    expect(
      lines.filter((l) => l.msg === 'rate limit counted in memory: Redis did not answer').map((l) => l.limit),
    ).toEqual(expect.arrayContaining(['token', 'tokenFailures', 'api']));
    expect(lines.some((l) => l.level === 50)).toBe(false); // no error: a fallback, not a failure
  });

  // With the Redis backend in this run (always in CI): a Redis server of the test's own, stopped
  // and started again.
  if (redisAvailable)
    it('Redis going away mid-run: the gateway keeps serving and limiting in memory, then shares again when it is back', async () => {
      const port = await freePort();
      const redisServer = execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim();
      const start = (): ChildProcess =>
        spawn(
          redisServer,
          [
            '--port',
            String(port),
            '--bind',
            '127.0.0.1',
            '--save',
            '',
            '--appendonly',
            'no',
            '--logfile',
            '',
          ],
          { stdio: 'ignore' },
        );
      let server = start();
      const url = `redis://127.0.0.1:${port}`;
      const direct = new Redis(url, { retryStrategy: () => 100 });
      direct.on('error', () => {});
      try {
        for (let i = 0; i < 100 && direct.status !== 'ready'; i++)
          await new Promise((r) => setTimeout(r, 50));
        const { limits, lines } = await limitsFor(
          'redis',
          { api: { points: 4, seconds: 60 } },
          { redisUrl: url, prefix: 'outage:' },
        );
        expect(limits.redisReady()).toBe(true);
        const gw = await gatewayWith(limits);
        const token = await tokenFor(gw, 'provider-b');
        const call = () =>
          fetch(`${gw.url}/v1/auth/whoami`, { headers: { authorization: `Bearer ${token}` } }).then(
            (r) => r.status,
          );
        const key = limits.limiter('api').getKey(rateLimitKeys.client(gw.demo['provider-b'].clientId));
        expect(await call()).toBe(200);
        expect(await direct.get(key)).toBe('1');

        server.kill('SIGKILL');
        await new Promise((r) => server.once('exit', r));
        for (let i = 0; i < 100 && limits.redisReady(); i++) await new Promise((r) => setTimeout(r, 20));
        // Served and still limited: memory counts from zero, 4 allowed, the 5th refused.
        expect([await call(), await call(), await call(), await call(), await call()]).toEqual([
          200, 200, 200, 200, 429,
        ]);
        expect(
          lines.some(
            (l) =>
              l.msg === "Redis does not answer: rate limits count in this gateway's memory until it is back",
          ),
        ).toBe(true);

        server = start();
        for (let i = 0; i < 200 && !limits.redisReady(); i++) await new Promise((r) => setTimeout(r, 50));
        expect(limits.redisReady()).toBe(true);
        expect(
          lines.some((l) => l.msg === 'Redis answers again: rate limits are shared across gateways again'),
        ).toBe(true);
        // Counting in Redis again (a fresh server: it starts from zero).
        for (let i = 0; i < 100 && direct.status !== 'ready'; i++)
          await new Promise((r) => setTimeout(r, 50));
        expect(await call()).toBe(200);
        expect(await direct.get(key)).toBe('1');
      } finally {
        direct.disconnect();
        server.kill('SIGKILL');
      }
    });
});
