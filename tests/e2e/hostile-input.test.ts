import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { appRouter } from '@latih/api';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/db';
import { startTestGateway } from '../support/gateway';
import {
  type Doc,
  deepJson,
  type HostileRequest,
  inputVariants,
  judge,
  type Operation,
  operationsOf,
  resolver,
  restRequests,
  seededRandom,
  trpcRequests,
} from '../support/hostile';

/**
 * Every operation of the OpenAPI document, over REST (its paths and methods) and tRPC (GET ?input=
 * for queries, POST for mutations, batches), with generated hostile input: wrong types, missing
 * fields, NUL characters and lone surrogates, deep nesting, oversized and falsely encoded bodies,
 * unsupported media types, injection strings (SQL, path traversal, header injection, prototype
 * keys), each with a token of the role the operation needs. Every answer must be a documented
 * refusal (a 4xx with the error body of docs/errors.md; a read may answer 200), every table's rows
 * and content must be unchanged across each operation's batch, and Object.prototype untouched.
 * The few inputs the procedure's own schema takes (an injection string in a free-text field) run
 * after the check and may succeed. Seeded (FUZZ_SEED picks other cases; FUZZ_REPORT=file writes
 * every failure) and bounded: about 2 700 requests per engine.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20_240_616);

type Send = { status: number; headers: Headers; text: string };

function send(base: string, agent: Agent, r: HostileRequest): Promise<Send> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const body = r.body === undefined ? undefined : typeof r.body === 'string' ? Buffer.from(r.body) : r.body;
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        method: r.method,
        path: r.url,
        agent,
        headers: { ...r.headers, ...(body ? { 'content-length': String(body.length) } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const headers = new Headers();
          for (const [k, v] of Object.entries(res.headers)) {
            if (Array.isArray(v)) for (const x of v) headers.append(k, x);
            else if (v !== undefined) headers.set(k, v);
          }
          resolve({ status: res.statusCode ?? 0, headers, text: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

type Gateway = Awaited<ReturnType<typeof startTestGateway>>;

type Parser = { safeParse: (v: unknown) => { success: boolean } };
const procedures = (
  appRouter as unknown as {
    _def: { procedures: Record<string, { _def: { type: string; inputs: Parser[] } }> };
  }
)._def.procedures;

/** Whether the procedure's own input schema takes this input (then it may legitimately succeed). */
function validFor(op: Operation, input: unknown): boolean {
  if (!op.procedure || input === undefined) return false;
  const inputs = procedures[op.procedure]?._def.inputs ?? [];
  return inputs.length > 0 && inputs.every((p) => p.safeParse(input).success);
}

/** Row count and a content hash of every table, in one query. */
async function snapshot(gw: Gateway): Promise<Map<string, string>> {
  const db = gw.database.db;
  const tables = (
    (await db.execute(
      sql`select tablename from pg_tables where schemaname = 'public' order by 1`,
    )) as unknown as {
      rows: { tablename: string }[];
    }
  ).rows.map((r) => r.tablename);
  const query = tables
    .map(
      (t) =>
        `select '${t}' as t, count(*)::text as n, md5(coalesce(string_agg(x::text, chr(10) order by x::text), '')) as h from "${t}" x`,
    )
    .join(' union all ');
  const rows = (
    (await db.execute(sql.raw(query))) as unknown as { rows: { t: string; n: string; h: string }[] }
  ).rows;
  return new Map(rows.map((r) => [r.t, `${r.n}:${r.h}`]));
}

function changed(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...after].filter(([t, v]) => before.get(t) !== v).map(([t, v]) => `${t} ${before.get(t)} → ${v}`);
}

function roleOf(op: Operation): 'provider-a' | 'platform-a' | 'pmo' | null {
  if (!op.secured) return null;
  const first = op.path.split('/')[1];
  if (first === 'platform') return 'platform-a';
  if (first === 'pmo') return 'pmo';
  return 'provider-a';
}

describe.each(engines())('hostile input on %s', (engine) => {
  let gw: Gateway;
  let ops: Operation[];
  let doc: Doc;
  const tokens = new Map<string, string>();
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });

  beforeAll(async () => {
    // No scheduled job runs here: any row that changes was written by a request.
    gw = await startTestGateway({ sandbox: { runJobs: false }, engine });
    for (const key of ['provider-a', 'platform-a', 'pmo'] as const) tokens.set(key, await gw.token(key));
    doc = (await (await fetch(`${gw.url}/v1/openapi.json`)).json()) as Doc;
    ops = operationsOf(doc, (p) => (procedures[p]?._def.type as 'query' | 'mutation' | undefined) ?? null);
  });
  afterAll(async () => {
    agent.destroy();
    await gw?.close();
  });

  it('refuses every hostile request to every operation with a documented 4xx, and writes nothing', async () => {
    const resolve = resolver(doc);
    const rnd = seededRandom(SEED);
    const failures: string[] = [];
    const counts = {
      operations: 0,
      procedures: 0,
      requests: 0,
      rest: 0,
      trpc: 0,
      fiveHundreds: 0,
      validAnswered5xx: 0,
      answered2xx: 0,
      schemaValid: 0,
    };
    const timing = { snapshots: 0, requests: 0 };
    let last: Map<string, string> | null = null;
    for (const op of ops) {
      counts.operations++;
      if (op.procedure) counts.procedures++;
      const role = roleOf(op);
      const auth: Record<string, string> = role ? { authorization: `Bearer ${tokens.get(role)}` } : {};
      const variants = inputVariants(op, resolve, rnd);
      const all = [
        ...restRequests(op, variants, auth, rnd).map((r) => ({ r, t: 'rest' as const })),
        ...trpcRequests(op, variants, auth, rnd).map((r) => ({ r, t: 'trpc' as const })),
      ].map((x) => ({ ...x, valid: op.procedureType === 'mutation' && validFor(op, x.r.input) }));
      // Everything that must be refused first, between two snapshots; then the few odd inputs the
      // procedure's schema takes (an injection string in a free-text field), which may write.
      const refused = all.filter((x) => !x.valid);
      const takenByTheSchema = all.filter((x) => x.valid);
      counts.schemaValid += takenByTheSchema.length;
      const run = async ({ r, t, valid }: (typeof all)[number]) => {
        counts.requests++;
        counts[t]++;
        const res = await send(gw.url, agent, r);
        if (res.status >= 500 && !valid) counts.fiveHundreds++;
        if (res.status >= 500 && valid) counts.validAnswered5xx++;
        if (res.status === 500) {
          const id = res.headers.get('x-request-id');
          if (!gw.lines.some((l) => (l.level as number) >= 50 && l.requestId === id))
            failures.push(
              `${t} ${op.operationId} [${r.name}]: ${res.status} without an error log line for ${id}`,
            );
        }
        if (res.status < 300) counts.answered2xx++;
        const problem = judge(op, t, res.status, res.headers, res.text, valid);
        if (problem)
          failures.push(`${t} ${op.operationId} [${r.name}] ${r.method} ${r.url.slice(0, 120)}: ${problem}`);
      };
      let t0 = performance.now();
      const before = last ?? (await snapshot(gw));
      timing.snapshots += performance.now() - t0;
      t0 = performance.now();
      for (const x of refused) await run(x);
      timing.requests += performance.now() - t0;
      t0 = performance.now();
      const after = await snapshot(gw);
      timing.snapshots += performance.now() - t0;
      const diff = changed(before, after);
      if (diff.length) failures.push(`${op.operationId}: rows changed: ${diff.join('; ')}`);
      for (const x of takenByTheSchema) await run(x);
      last = takenByTheSchema.length ? null : after;
      if (
        ({} as Record<string, unknown>).polluted !== undefined ||
        ({} as Record<string, unknown>).isAdmin !== undefined
      )
        failures.push(`${op.operationId}: Object.prototype was polluted`);
    }
    console.info(`hostile input on ${engine}: ${JSON.stringify(counts)} ${JSON.stringify(timing)}`);
    if (failures.length) {
      const byKind = new Map<string, number>();
      for (const f of failures) {
        const kind = f.replace(
          /^(\S+) \S+ (\[[^\]]*\]).*?: (\d{3}|accepted|rows changed|not JSON|tRPC|status|unknown code|requestId|retryable|set-cookie).*$/s,
          '$1 $2 $3',
        );
        byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
      }
      console.info([...byKind].map(([k, n]) => `${n}\t${k}`).join('\n'));
    }
    if (process.env.FUZZ_REPORT)
      (await import('node:fs')).writeFileSync(process.env.FUZZ_REPORT, failures.join('\n'));
    expect(failures.slice(0, 60)).toEqual([]);
    expect(counts.operations).toBe(Object.values(doc.paths).reduce((n, m) => n + Object.keys(m).length, 0));
    expect(counts.procedures).toBe(Object.keys(procedures).length); // every procedure over tRPC too
  }, 240_000);

  /** A raw HTTP/1.1 exchange: for what fetch and node:http refuse to send (NUL in a header, 20 KB URLs). */
  function raw(text: string): Promise<{ status: number; head: string; body: string }> {
    const u = new URL(gw.url);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(u.port), u.hostname, () => socket.end(text));
      const chunks: Buffer[] = [];
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('error', reject);
      socket.on('close', () => {
        const all = Buffer.concat(chunks).toString('utf8');
        const [head = '', body = ''] = all.split('\r\n\r\n');
        resolve({ status: Number(head.split(' ')[1]), head, body });
      });
    });
  }

  it('refuses hostile input on the routes outside the document too: token form and Basic, console sign-in, session cookie, payments webhook, CSV exports, identity-check pages, the HTTP parser', async () => {
    const before = await snapshot(gw);
    const linesBefore = gw.lines.length;
    const pmo = { authorization: `Bearer ${tokens.get('pmo')}` };
    const json = { 'content-type': 'application/json' };
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const post = (path: string, headers: Record<string, string>, body: string | Uint8Array) =>
      send(gw.url, agent, { name: path, method: 'POST', url: path, headers, body });
    const get = (path: string, headers: Record<string, string> = {}) =>
      send(gw.url, agent, { name: path, method: 'GET', url: path, headers });
    const body = (r: Send) => JSON.parse(r.text) as Record<string, unknown>;
    const refusal = (r: Send) => {
      const b = body(r);
      return {
        status: r.status,
        code: b.code,
        field: b.field,
        requestId: b.requestId === r.headers.get('x-request-id'),
      };
    };

    // The token endpoint: a form and JSON; its refusals carry OAuth's fields and ours.
    const tokenNul = await post(
      '/v1/oauth/token',
      form,
      'grant_type=client_credentials&client_id=cli%00&client_secret=x',
    );
    expect(refusal(tokenNul)).toEqual({
      status: 400,
      code: 'VALIDATION_FAILED',
      field: 'client_id',
      requestId: true,
    });
    expect(body(tokenNul)).toMatchObject({ error: 'invalid_request', retryable: false });
    expect(
      refusal(
        await post(
          '/v1/oauth/token',
          json,
          JSON.stringify({ grant_type: 'client_credentials', client_id: '\u0000' }),
        ),
      ),
    ).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', field: 'client_id' });
    expect(
      refusal(
        await post(
          '/v1/oauth/token',
          { ...json, 'content-encoding': 'gzip' },
          '{"grant_type":"client_credentials"}',
        ),
      ),
    ).toMatchObject({ status: 400, code: 'BODY_UNREADABLE' });
    expect(refusal(await post('/v1/oauth/token', { 'content-type': 'text/xml' }, '<a/>'))).toMatchObject({
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    });
    // HTTP Basic, where the id and secret are percent-decoded: a NUL or a broken escape is a wrong client.
    for (const credentials of ['cli%00x:secret', 'cli_x:%E0%A4%A']) {
      const basic = await post(
        '/v1/oauth/token',
        { ...form, authorization: `Basic ${Buffer.from(credentials).toString('base64')}` },
        'grant_type=client_credentials',
      );
      expect([basic.status, body(basic).error]).toEqual([401, 'invalid_client']);
    }

    // Console sign-in (JSON) and the session cookie.
    const signIn = await post(
      '/console/api/session',
      json,
      JSON.stringify({ email: 'a\u0000@latih.test', password: 'x' }),
    );
    expect(refusal(signIn)).toEqual({
      status: 400,
      code: 'VALIDATION_FAILED',
      field: 'email',
      requestId: true,
    });
    expect(
      refusal(await post('/console/api/session', json, `{"email":${deepJson(100)},"password":"x"}`)),
    ).toMatchObject({ status: 400, code: 'NESTING_TOO_DEEP', field: 'email' });
    // A cookie that is not valid percent-encoding is no cookie at all; one holding a NUL, no session.
    for (const [cookie, code] of [
      ['latih_console_session=%E0%A4%A', 'TOKEN_MISSING'],
      ['latih_console_session=%00', 'SESSION_INVALID'],
    ] as const) {
      expect(refusal(await get('/console/api/session', { cookie }))).toMatchObject({
        status: 401,
        code: 'SESSION_INVALID',
      });
      const trpc = await get('/trpc/auth.whoami', { cookie });
      expect([
        trpc.status,
        (body(trpc).error as { data: { code: string; requestId: string } }).data,
      ]).toMatchObject([401, { code, requestId: trpc.headers.get('x-request-id') }]);
    }

    // The payment provider's webhook reads its body raw: a false encoding is still refused, not a 500.
    expect(
      refusal(
        await post('/payments/webhook', { ...json, 'content-encoding': 'gzip' }, '{"type":"payout.paid"}'),
      ),
    ).toMatchObject({ status: 400, code: 'BODY_UNREADABLE' });

    // CSV exports read their filters from the query.
    const csv = await get('/v1/pmo/exports/audit.csv?action=%00', pmo);
    expect(refusal(csv)).toEqual({
      status: 400,
      code: 'VALIDATION_FAILED',
      field: 'action',
      requestId: true,
    });
    const injected = await get(`/v1/pmo/exports/audit.csv?action=${encodeURIComponent("' OR 1=1 --")}`, pmo);
    expect([injected.status, injected.text.split('\n').filter(Boolean).length]).toEqual([200, 1]); // the header row only

    // The identity-check pages (a participant's browser): NUL in the link, and in the form.
    expect(refusal(await get('/identity-check/abc%00def'))).toMatchObject({
      status: 400,
      code: 'VALIDATION_FAILED',
    });
    const page = await post('/identity-check/abc', form, 'decision=FAILED&reason=x%00');
    expect(page.status).toBe(400);
    expect(refusal(await post('/identity-check/abc', json, '{}'))).toMatchObject({
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    });
    expect(refusal(await get('/verify/CERT%00'))).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });

    // What Node's HTTP parser refuses never reaches Express: answered with our body all the same.
    const nulHeader = await raw(`GET /v1/auth/whoami HTTP/1.1\r\nHost: x\r\nUser-Agent: a\u0000b\r\n\r\n`);
    expect([nulHeader.status, JSON.parse(nulHeader.body).code]).toEqual([400, 'MALFORMED_REQUEST']);
    const longRest = await raw(
      `GET /v1/platform/catalog/courses?category=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
    );
    expect([longRest.status, JSON.parse(longRest.body).code]).toEqual([431, 'HEADERS_TOO_LARGE']);
    expect(longRest.head).toMatch(/x-request-id: req_/i);
    const longTrpc = await raw(
      `GET /trpc/auth.whoami,events.list?batch=1&input=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
    );
    expect(longTrpc.status).toBe(431);
    expect(JSON.parse(longTrpc.body)).toMatchObject([
      { error: { data: { code: 'HEADERS_TOO_LARGE', httpStatus: 431, path: 'auth.whoami' } } },
      { error: { data: { code: 'HEADERS_TOO_LARGE', path: 'events.list' } } },
    ]);

    expect(changed(before, await snapshot(gw))).toEqual([]);
    expect(gw.lines.slice(linesBefore).filter((l) => (l.level as number) >= 50)).toEqual([]);
  });
});
