import { execFile, spawnSync } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { SCHEDULE } from '@latih/core';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway } from '../support/gateway';

const execFileAsync = promisify(execFile);

const course = {
  title: 'K3 Migas: Keselamatan Kerja Dasar',
  summary: 'Keselamatan dan kesehatan kerja untuk pekerja minyak dan gas',
  category: 'occupational-safety',
  mode: 'HYBRID',
  hours: 20,
  price: 2_500_000,
};

describe('the gateway over HTTP', () => {
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  let providerToken: string;
  beforeAll(async () => {
    gw = await startTestGateway();
    providerToken = await gw.token('provider-a');
  });
  afterAll(async () => {
    await gw?.close();
  });

  const call = (path: string, init: RequestInit = {}) => fetch(`${gw.url}${path}`, init);
  const authed = (token = providerToken, extra: Record<string, string> = {}) => ({
    authorization: `Bearer ${token}`,
    'content-type': 'application/json',
    ...extra,
  });

  describe('POST /v1/oauth/token (RFC 6749 §4.4)', () => {
    const { clientId, clientSecret } = {
      clientId: 'cli_01jw00000000000000000000a1',
      clientSecret: 'lts_demo_provider_a_secret_do_not_use_in_production',
    };

    it('accepts a form body, a JSON body and HTTP Basic, and answers no-store', async () => {
      const form = await call('/v1/oauth/token', {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: clientId,
          client_secret: clientSecret,
        }),
      });
      expect(form.status).toBe(200);
      expect(form.headers.get('cache-control')).toBe('no-store');
      const body = (await form.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
      expect(String(body.scope).split(' ')).toContain('catalog:write');
      const header = jwt.decode(String(body.access_token), { complete: true })?.header;
      expect(header).toMatchObject({ alg: 'ES256' });
      expect(header?.kid).toMatch(/^key_/);

      const json = await call('/v1/oauth/token', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          grant_type: 'client_credentials',
          client_id: clientId,
          client_secret: clientSecret,
          scope: 'catalog:read',
        }),
      });
      expect(((await json.json()) as { scope: string }).scope).toBe('catalog:read');

      const basic = await call('/v1/oauth/token', {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'client_credentials' }),
      });
      expect(basic.status).toBe(200);
    });

    it('answers errors in RFC 6749 §5.2 shape', async () => {
      const cases: [Record<string, string>, number, string][] = [
        [
          { grant_type: 'client_credentials', client_id: clientId, client_secret: 'nope' },
          401,
          'invalid_client',
        ],
        [
          { grant_type: 'client_credentials', client_id: 'cli_unknown', client_secret: 'x' },
          401,
          'invalid_client',
        ],
        [{ grant_type: 'client_credentials' }, 401, 'invalid_client'],
        [{ grant_type: 'password', username: 'a', password: 'b' }, 400, 'unsupported_grant_type'],
        [{ client_id: clientId }, 400, 'invalid_request'],
        [
          {
            grant_type: 'client_credentials',
            client_id: clientId,
            client_secret: clientSecret,
            scope: 'pmo:write',
          },
          400,
          'invalid_scope',
        ],
      ];
      for (const [form, status, error] of cases) {
        const res = await call('/v1/oauth/token', { method: 'POST', body: new URLSearchParams(form) });
        expect(res.status, JSON.stringify(form)).toBe(status);
        const body = (await res.json()) as Record<string, unknown>;
        expect(body.error).toBe(error);
        expect(typeof body.error_description).toBe('string');
        if (status === 401) expect(res.headers.get('www-authenticate')).toMatch(/^Basic/);
      }
    });
  });

  it('publishes the public signing keys at /.well-known/jwks.json, and tokens verify against them', async () => {
    const res = await call('/.well-known/jwks.json');
    expect(res.headers.get('cache-control')).toContain('max-age=300');
    const { keys } = (await res.json()) as { keys: Record<string, string>[] };
    const kid = jwt.decode(providerToken, { complete: true })?.header.kid;
    const jwk = keys.find((k) => k.kid === kid);
    expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' });
    expect(jwk).not.toHaveProperty('d');
    const { createPublicKey } = await import('node:crypto');
    const pub = createPublicKey({ key: jwk as never, format: 'jwk' });
    expect(jwt.verify(providerToken, pub, { algorithms: ['ES256'], audience: 'latih-api' })).toMatchObject({
      role: 'provider',
    });
  });

  it('refuses missing, expired, forged, wrong-audience and alg:none tokens with 401 and a code', async () => {
    const stored = JSON.parse(readFileSync(gw.keyFile, 'utf8')) as {
      keys: { kid: string; privateJwk: object }[];
    };
    const key = stored.keys.at(-1);
    if (!key) throw new Error('no key');
    const priv = createPrivateKey({ key: key.privateJwk as never, format: 'jwk' });
    const claims = {
      org: gw.demo['provider-a'].id,
      role: 'provider',
      scope: 'catalog:read',
      sub: gw.demo['provider-a'].clientId,
    };
    const iss = gw.url;
    const sign = (over: jwt.SignOptions, k = priv) =>
      jwt.sign(claims, k, {
        algorithm: 'ES256',
        keyid: key.kid,
        issuer: iss,
        audience: 'latih-api',
        expiresIn: 60,
        ...over,
      });
    const expired = jwt.sign({ ...claims, exp: Math.floor(Date.now() / 1000) - 3600 }, priv, {
      algorithm: 'ES256',
      keyid: key.kid,
      issuer: iss,
      audience: 'latih-api',
    });
    const { generateKeyPairSync } = await import('node:crypto');
    const forged = sign({}, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const none = `${b64({ alg: 'none', kid: key.kid })}.${b64({ ...claims, iss, aud: 'latih-api', exp: Math.floor(Date.now() / 1000) + 60 })}.`;

    const cases: [string | null, string][] = [
      [null, 'TOKEN_MISSING'],
      [expired, 'TOKEN_EXPIRED'],
      [forged, 'TOKEN_INVALID'],
      [sign({ audience: 'another-api' }), 'TOKEN_INVALID'],
      [none, 'TOKEN_INVALID'],
      ['garbage', 'TOKEN_INVALID'],
    ];
    for (const [token, code] of cases) {
      const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
      const rest = await call('/v1/provider/courses', { headers });
      expect(rest.status, code).toBe(401);
      expect(((await rest.json()) as { code: string }).code).toBe(code);
      const trpc = await call('/trpc/provider.courses.list', { headers });
      expect(trpc.status).toBe(401);
      expect(((await trpc.json()) as { error: { data: { code: string } } }).error.data.code).toBe(code);
    }
    // The valid one passes, proving the cases above failed for their own reason.
    expect(
      (await call('/v1/provider/courses', { headers: { authorization: `Bearer ${sign({})}` } })).status,
    ).toBe(200);
  });

  it('serves the same procedure over REST and tRPC with identical bodies', async () => {
    const created = await call('/v1/provider/courses', {
      method: 'POST',
      headers: authed(),
      body: JSON.stringify(course),
    });
    expect(created.status).toBe(200);
    const c = (await created.json()) as { id: string };
    const rest = await (await call(`/v1/provider/courses/${c.id}`, { headers: authed() })).json();
    const input = encodeURIComponent(JSON.stringify({ id: c.id }));
    const trpc = (await (
      await call(`/trpc/provider.courses.get?input=${input}`, { headers: authed() })
    ).json()) as {
      result: { data: unknown };
    };
    expect(trpc.result.data).toEqual(rest);
    expect(rest).toEqual(c);
  });

  it('replays an idempotent REST mutation with Idempotent-Replayed, and refuses a changed body', async () => {
    const init = (body: object) => ({
      method: 'POST',
      headers: authed(providerToken, { 'idempotency-key': 'rest-key-1' }),
      body: JSON.stringify(body),
    });
    const a = await call('/v1/provider/courses', init({ ...course, title: 'Pemasaran Digital UMKM' }));
    const b = await call('/v1/provider/courses', init({ ...course, title: 'Pemasaran Digital UMKM' }));
    expect(b.headers.get('idempotent-replayed')).toBe('true');
    expect(await b.json()).toEqual(await a.json());
    const c = await call('/v1/provider/courses', init({ ...course, title: 'Something else' }));
    expect(c.status).toBe(422);
    expect(await c.json()).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', retryable: false });
  });

  it('every error body has code, message, requestId (and field for validation), never a stack', async () => {
    const res = await call('/v1/provider/courses', {
      method: 'POST',
      headers: authed(providerToken, { 'x-request-id': 'my-trace-123' }),
      body: JSON.stringify({ ...course, hours: -1 }),
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-request-id')).toBe('my-trace-123');
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual({
      code: 'VALIDATION_FAILED',
      message: expect.stringContaining('hours'),
      field: 'hours',
      requestId: 'my-trace-123',
      retryable: false,
      docUrl: '/docs/errors/VALIDATION_FAILED',
    });
    expect(JSON.stringify(body)).not.toMatch(/stack|at .*\.ts/);
  });

  it('malformed JSON → 400, body over 1 MB → 413, unknown route → 404, each with a code', async () => {
    const bad = await call('/v1/provider/courses', { method: 'POST', headers: authed(), body: '{"title":' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'MALFORMED_JSON' });

    const big = await call('/v1/provider/courses', {
      method: 'POST',
      headers: authed(),
      body: JSON.stringify({ ...course, description: 'x'.repeat(1_100_000) }),
    });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });

    for (const path of ['/v1/no/such/thing', '/nothing-here', '/trpc/no.such.procedure']) {
      const res = await call(path);
      expect(res.status, path).toBe(404);
      const body = (await res.json()) as { code?: string; error?: { data: { code: string } } };
      expect(body.code ?? body.error?.data.code, path).toBe('ROUTE_NOT_FOUND');
    }
  });

  it('generates a request id when none (or a bad one) is given, and logs it on a JSON line', async () => {
    const res = await call('/healthz', { headers: { 'x-request-id': 'bad id with spaces' } });
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(/^req_[0-9a-f]{32}$/);
    await new Promise((r) => setTimeout(r, 50));
    expect(gw.lines.find((l) => l.requestId === id)).toMatchObject({
      msg: 'request',
      status: 200,
      path: '/healthz',
    });
    expect(gw.lines.every((l) => typeof l.time === 'string' && typeof l.level === 'number')).toBe(true);
  });

  it('sets security headers', async () => {
    const res = await call('/healthz');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('serves health, readiness, the OpenAPI 3.1 document and a readable reference', async () => {
    expect(await (await call('/healthz')).json()).toEqual({ status: 'ok' });
    // Ready, with the operator's view of the schedule: every job of it, whether it runs here.
    const ready = (await (await call('/readyz')).json()) as {
      status: string;
      jobs: { name: string; runsHere: boolean; everyMs: number; lagMs: number | null }[];
    };
    expect(ready.status).toBe('ready');
    expect(ready.jobs.map((j) => j.name)).toEqual(SCHEDULE.map((j) => j.name));
    expect(ready.jobs.find((j) => j.name === 'webhooks.deliver')).toMatchObject({
      runsHere: true,
      everyMs: 100,
    });
    // No payment provider in this gateway: the money jobs do not run here.
    expect(ready.jobs.find((j) => j.name === 'payouts.pay')?.runsHere).toBe(false);

    const doc = (await (await call('/v1/openapi.json')).json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    expect(doc.openapi).toBe('3.1.0');
    for (const p of [
      '/oauth/token',
      '/provider/courses',
      '/provider/courses/{id}',
      '/platform/catalog/courses',
      '/pmo/organisations',
      '/auth/whoami',
    ]) {
      expect(doc.paths, p).toHaveProperty(p);
    }
    const html = await (await call('/docs')).text();
    expect(html).toContain('<!doctype html>');
    expect(html).toContain('/v1/provider/courses');
    expect(html).toContain('Create a draft course');
    const errors = await (await call('/docs/errors')).text();
    expect(errors).toContain('id="idempotency_key_reused"');
  });

  it('the public error catalog lists every code with its status', async () => {
    const res = (await (await call('/v1/public/error-codes')).json()) as {
      items: { code: string; status: number }[];
    };
    expect(res.items).toContainEqual(
      expect.objectContaining({ code: 'IDEMPOTENCY_IN_PROGRESS', status: 409 }),
    );
    // The SDK's own codes are listed with the rest, each with its page.
    expect(res.items).toContainEqual({
      code: 'CLIENT_AUTH_FAILED',
      status: 401,
      message: expect.any(String),
      retryable: false,
      docs: '/docs/errors/CLIENT_AUTH_FAILED',
      sdkOnly: true,
    });
    expect(res.items).toContainEqual(
      expect.objectContaining({ code: 'NETWORK_ERROR', status: null, retryable: true, sdkOnly: true }),
    );
  });

  it('every error body links the page of its code (docUrl), one HTML page per code', async () => {
    const missing = await call('/v1/provider/courses/crs_nope');
    const body = (await missing.json()) as { code: string; docUrl: string; requestId: string };
    expect(body.docUrl).toBe(`/docs/errors/${body.code}`);
    const page = await call(body.docUrl);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain(`<h1><code>${body.code}</code></h1>`);
    expect(html).toContain('<h2>What to do</h2>');
    // Over tRPC, the same field in the error's data.
    const rpc = (await (await call('/trpc/provider.courses.get?input=%7B%22id%22%3A1%7D')).json()) as {
      error: { data: { code: string; docUrl: string } };
    };
    expect(rpc.error.data.docUrl).toBe(`/docs/errors/${rpc.error.data.code}`);
    // The SDK's codes have pages too; an unknown code is a 404 in the usual body.
    expect((await call('/docs/errors/NETWORK_ERROR')).status).toBe(200);
    const unknown = await call('/docs/errors/NOT_A_CODE');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({
      code: 'ROUTE_NOT_FOUND',
      docUrl: '/docs/errors/ROUTE_NOT_FOUND',
    });
  });
});

describe('configuration at start', () => {
  it('a bad variable stops the gateway with one clear message and exit code 1', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'apps/gateway/src/main.ts'], {
      cwd: new URL('../..', import.meta.url).pathname,
      env: { ...process.env, PORT: 'eighty', DATA_DIR: '/tmp/latih-never-used' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('PORT="eighty"');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('the examples printed on start', () => {
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('the curl example creates a course', async () => {
    const { bannerText } = await import('../../apps/gateway/src/banner');
    const text = bannerText(gw.url);
    const lines = text.split('\n');
    const from = lines.findIndex((l) => l.startsWith('Try it with curl'));
    const to = lines.findIndex((l) => l.startsWith('Or with the SDK'));
    const script = lines.slice(from + 1, to).join('\n');
    // Async: the gateway under test runs in this process, so a blocking spawn would starve it.
    const out = await execFileAsync('bash', ['-euo', 'pipefail', '-c', script], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(JSON.parse(out.stdout)).toMatchObject({ status: 'DRAFT', title: 'Pengolahan Keripik Pisang' });
  });

  it('the SDK example creates a course', async () => {
    const { bannerText } = await import('../../apps/gateway/src/banner');
    const lines = bannerText(gw.url).split('\n');
    const from = lines.findIndex((l) => l.startsWith('Or with the SDK'));
    const code = `${lines.slice(from + 1).join('\n')}\nconsole.log(JSON.stringify(course));`;
    const out = await execFileAsync(process.execPath, ['--input-type=module', '-e', code], {
      cwd: new URL('../..', import.meta.url).pathname,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(JSON.parse(out.stdout)).toMatchObject({ status: 'DRAFT', mode: 'WEBINAR' });
  });
});

describe('the REST surface', () => {
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('surveys over REST: the PMO defines and reads results; a platform answer takes the survey id from the path, refusals are 4xx with a code', async () => {
    const as = async (who: 'pmo' | 'platform-a') => ({
      authorization: `Bearer ${await gw.token(who)}`,
      'content-type': 'application/json',
    });
    const now = Date.now();
    const created = await fetch(`${gw.url}/v1/pmo/surveys`, {
      method: 'POST',
      headers: await as('pmo'),
      body: JSON.stringify({
        schemeId: 'PRAKERJA_2023',
        title: 'Survei REST',
        questions: [{ id: 'q1', text: 'Puas?', kind: 'SCALE' }],
        opensAt: new Date(now - 60_000).toISOString(),
        closesAt: new Date(now + 86_400_000).toISOString(),
      }),
    });
    expect(created.status).toBe(200);
    const survey = (await created.json()) as { id: string; status: string };
    expect(survey.status).toBe('OPEN');
    const platform = await as('platform-a');
    const answer = (body: object) =>
      fetch(`${gw.url}/v1/platform/surveys/${survey.id}/answers`, {
        method: 'POST',
        headers: platform,
        body: JSON.stringify(body),
      });
    const unknownVoucher = 'vch_01jz8k6d3v7m2r5w9x4q1t0abc';
    const noConsent = await answer({
      voucherId: unknownVoucher,
      consent: false,
      answers: [{ questionId: 'q1', score: 4 }],
    });
    expect(noConsent.status).toBe(422);
    expect(await noConsent.json()).toMatchObject({ code: 'SURVEY_CONSENT_REQUIRED', field: 'consent' });
    const notYours = await answer({
      voucherId: unknownVoucher,
      consent: true,
      answers: [{ questionId: 'q1', score: 4 }],
    });
    expect(notYours.status).toBe(404);
    expect(await notYours.json()).toMatchObject({ code: 'NOT_FOUND', field: 'voucherId' });
    const open = await fetch(`${gw.url}/v1/platform/surveys?voucherId=${unknownVoucher}`, {
      headers: platform,
    });
    expect(open.status).toBe(404);
    const results = await fetch(`${gw.url}/v1/pmo/surveys/${survey.id}/results`, {
      headers: await as('pmo'),
    });
    expect(results.status).toBe(200);
    expect(await results.json()).toMatchObject({ surveyId: survey.id, responses: 0, suppressedBelow: 10 });
    const forbidden = await fetch(`${gw.url}/v1/pmo/surveys/${survey.id}/results`, { headers: platform });
    expect(forbidden.status).toBe(403);
  });

  it('PATCH takes the id from the path and only the fields sent', async () => {
    const token = await gw.token('provider-b');
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const created = (await (
      await fetch(`${gw.url}/v1/provider/courses`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          ...course,
          category: 'occupational-safety',
          mode: 'LURING',
          title: 'K3 Konstruksi Gedung',
        }),
      })
    ).json()) as { id: string; version: number };
    const res = await fetch(`${gw.url}/v1/provider/courses/${created.id}`, {
      method: 'PATCH',
      headers,
      body: JSON.stringify({ price: 2_000_000 }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      id: created.id,
      price: 2_000_000,
      title: 'K3 Konstruksi Gedung',
      version: 2,
    });
  });

  it('the OpenAPI document matches its snapshot: changing the public contract is a deliberate act', async () => {
    const doc = await (await fetch(`${gw.url}/v1/openapi.json`)).json();
    // Update with `npx vitest run --project e2e -u` after checking the change is additive.
    await expect(JSON.stringify(doc, null, 2)).toMatchFileSnapshot('./__snapshots__/openapi.v1.json');
  });
});
