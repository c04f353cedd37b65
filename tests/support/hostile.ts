/**
 * Hostile input for the fuzz test (tests/e2e/hostile-input.test.ts): requests generated from the
 * OpenAPI document, over REST and tRPC, each meant to be refused. Seeded: the same seed gives the
 * same requests.
 */
import { gzipSync } from 'node:zlib';
import { ERROR_CATALOG, isErrorCode, RETRYABLE_ERROR_CODES } from '@latih/contracts';

/** mulberry32: small, seeded, good enough to pick cases. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type Schema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  const?: unknown;
  example?: unknown;
  examples?: unknown[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  minItems?: number;
  format?: string;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  additionalProperties?: boolean | Schema;
};

export type Parameter = {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema?: Schema;
};

export type Operation = {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  operationId: string;
  /** tRPC procedure path (operationId with dots), or null for REST-only operations. */
  procedure: string | null;
  procedureType: 'query' | 'mutation' | null;
  parameters: Parameter[];
  body: Schema | null;
  secured: boolean;
};

export type Doc = {
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components?: { schemas?: Record<string, Schema> };
};

export function operationsOf(
  doc: Doc,
  procedureType: (path: string) => 'query' | 'mutation' | null,
): Operation[] {
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, raw] of Object.entries(methods)) {
      const op = raw as {
        operationId: string;
        parameters?: Parameter[];
        requestBody?: { content?: Record<string, { schema?: Schema }> };
        security?: unknown[];
      };
      const procedure = op.operationId.replaceAll('-', '.');
      const type = procedureType(procedure);
      ops.push({
        method: method.toUpperCase() as Operation['method'],
        path,
        operationId: op.operationId,
        procedure: type ? procedure : null,
        procedureType: type,
        parameters: op.parameters ?? [],
        body: op.requestBody?.content?.['application/json']?.schema ?? null,
        secured: (op.security?.length ?? 0) > 0,
      });
    }
  }
  return ops;
}

export function resolver(doc: Doc) {
  const resolve = (s: Schema | undefined): Schema => {
    let cur = s ?? {};
    for (let i = 0; cur.$ref && i < 10; i++) {
      const name = cur.$ref.replace('#/components/schemas/', '');
      cur = { ...(doc.components?.schemas?.[name] ?? {}), ...withoutRef(cur) };
    }
    return cur;
  };
  return resolve;
}

function withoutRef(s: Schema): Schema {
  const { $ref: _ref, ...rest } = s;
  return rest;
}

/** A plausible value for a schema: examples and enums first, so that inputs look real. */
export function sample(schema: Schema | undefined, resolve: (s?: Schema) => Schema, depth = 0): Json {
  const s = resolve(schema);
  if (depth > 6) return null;
  if (s.const !== undefined) return s.const as Json;
  if (s.example !== undefined) return s.example as Json;
  if (s.examples?.[0] !== undefined) return s.examples[0] as Json;
  if (s.enum?.length) return s.enum[0] as Json;
  const alt = s.anyOf ?? s.oneOf;
  if (alt?.length) {
    const first = alt.find((a) => resolve(a).type !== 'null') ?? alt[0];
    return sample(first, resolve, depth + 1);
  }
  if (s.allOf?.length) {
    return Object.assign({}, ...s.allOf.map((a) => sample(a, resolve, depth + 1)));
  }
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  switch (type) {
    case 'object':
    case undefined: {
      if (!s.properties) return type === 'object' ? {} : 'x';
      const out: Record<string, Json> = {};
      for (const [k, v] of Object.entries(s.properties)) out[k] = sample(v, resolve, depth + 1);
      return out;
    }
    case 'array':
      return Array.from({ length: Math.max(1, s.minItems ?? 1) }, () => sample(s.items, resolve, depth + 1));
    case 'integer':
    case 'number':
      return s.minimum ?? 1;
    case 'boolean':
      return true;
    case 'string':
      if (s.format === 'date-time') return '2031-01-01T00:00:00.000Z';
      if (s.format === 'date') return '2031-01-01';
      if (s.format === 'uri') return 'https://example.org/x';
      if (s.format === 'email') return 'someone@example.org';
      return 'x'.repeat(Math.max(1, s.minLength ?? 1));
    default:
      return null;
  }
}

/** Apply `f` to every string (values only, at any depth). */
export function mapStrings(v: Json, f: (s: string, key: string) => Json, key = ''): Json {
  if (typeof v === 'string') return f(v, key);
  if (Array.isArray(v)) return v.map((x) => mapStrings(x, f, key));
  if (v && typeof v === 'object') {
    const out: Record<string, Json> = {};
    for (const [k, x] of Object.entries(v)) out[k] = mapStrings(x, f, k);
    return out;
  }
  return v;
}

function mapLeaves(v: Json, f: (leaf: Json) => Json): Json {
  if (Array.isArray(v)) return v.map((x) => mapLeaves(x, f));
  if (v && typeof v === 'object') {
    const out: Record<string, Json> = {};
    for (const [k, x] of Object.entries(v)) out[k] = mapLeaves(x, f);
    return out;
  }
  return f(v);
}

/** `{ a: { a: … } }` n levels deep, as JSON text (no recursion in building it). */
export function deepJson(levels: number, leaf = '1'): string {
  return '{"a":'.repeat(levels) + leaf + '}'.repeat(levels);
}
export function deepArrayJson(levels: number): string {
  return '['.repeat(levels) + ']'.repeat(levels);
}

export const INJECTIONS = [
  "' OR '1'='1' --",
  "'; DROP TABLE courses; --",
  '1; select pg_sleep(5)',
  '../../../../etc/passwd',
  '..%2f..%2f..%2fetc%2fpasswd',
  '\r\nSet-Cookie: injected=1',
  '%0d%0aX-Injected: 1',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the log4shell string, sent as is
  '${jndi:ldap://example.org/a}',
  '<script>alert(1)</script>',
  '%',
  '_\\',
  '\\',
  '\ud800',
  '\u202e\u0301',
  'constructor',
  '__proto__',
];

export type HostileRequest = {
  name: string;
  /**
   * The procedure's input this request carries, when it is a plain (if odd) input: the test asks the
   * procedure's own schema whether it is valid, and a valid one may legitimately succeed and write.
   * Absent: the request must be refused whatever the input (NUL, depth, encodings, media types).
   */
  input?: Json;
  method: string;
  /** Path and query, relative to the gateway's root. */
  url: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
};

const NUL = '\u0000';

/** Input-level variants: an input object (the procedure's input), each to be refused. */
export function inputVariants(op: Operation, resolve: (s?: Schema) => Schema, rnd: () => number) {
  const fields: Record<string, Schema> = {};
  for (const p of op.parameters) if (p.in !== 'header') fields[p.name] = p.schema ?? { type: 'string' };
  const body = op.body ? resolve(op.body) : null;
  for (const [k, v] of Object.entries(body?.properties ?? {})) fields[k] = v;
  const base = sample({ type: 'object', properties: fields }, resolve) as Record<string, Json>;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const wrong = (v: Json): Json =>
    typeof v === 'string'
      ? pick([12345, true, { x: 1 }, ['a']])
      : typeof v === 'number'
        ? pick(['abc', '1e999', [], false])
        : typeof v === 'boolean'
          ? pick(['maybe', 2])
          : v === null
            ? { x: 1 }
            : 'not-a-structure';
  const variants: { name: string; input: Json; rawText?: string; hostile?: boolean }[] = [
    { name: 'missing fields', input: {} },
    {
      name: 'wrong types',
      input: Object.fromEntries(Object.entries(base).map(([k, v]) => [k, wrong(v)])),
    },
    { name: 'NUL in every string', input: mapStrings(base, (s) => `${s}${NUL}x`), hostile: true },
    { name: 'NUL alone', input: mapStrings(base, () => NUL), hostile: true },
    { name: 'lone surrogate', input: mapStrings(base, (s) => `${s}\udc00`), hostile: true },
    {
      name: 'out-of-range numbers',
      input: mapLeaves(base, (l) =>
        typeof l === 'number' ? pick([1e308, -1, 2 ** 63, 0.5, -2147483649]) : l,
      ),
    },
    {
      name: 'injection strings',
      input: mapStrings(base, () => pick(INJECTIONS)),
    },
    {
      name: 'injection strings (2)',
      input: mapStrings(base, () => pick(INJECTIONS)),
    },
    {
      name: 'huge string',
      input: mapStrings(base, () => 'y'.repeat(20_000)),
    },
  ];
  // Prototype pollution keys, as JSON text (JSON.stringify would drop a real __proto__).
  const protoBase = JSON.stringify(base).slice(1, -1);
  variants.push({
    name: 'prototype pollution keys',
    input: null,
    hostile: true,
    rawText: `{${protoBase}${protoBase ? ',' : ''}"__proto__":{"polluted":"yes","isAdmin":true},"constructor":{"prototype":{"polluted":"yes"}}}`,
  });
  // Nested far past any sane limit, and just past 64.
  const firstKey = Object.keys(base)[0] ?? 'a';
  for (const levels of [65, 5000]) {
    const rest = JSON.stringify(
      Object.fromEntries(Object.entries(base).filter(([k]) => k !== firstKey)),
    ).slice(1, -1);
    variants.push({
      name: `nested ${levels} levels`,
      input: null,
      hostile: true,
      rawText: `{${rest}${rest ? ',' : ''}${JSON.stringify(firstKey)}:${deepJson(levels)}}`,
    });
  }
  variants.push({
    name: 'nested arrays 5000 levels',
    input: null,
    hostile: true,
    rawText: `{${JSON.stringify(firstKey)}:${deepArrayJson(5000)}}`,
  });
  return { base, variants };
}

/** encodeURIComponent, but a lone surrogate goes out as the (invalid) UTF-8 bytes a careless client sends. */
const LONE_SURROGATE = /([\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff])/;
function enc(s: string): string {
  return s
    .split(LONE_SURROGATE)
    .map((part, i) => (i % 2 === 1 ? '%ED%A0%80' : encodeURIComponent(part)))
    .join('');
}

function queryString(input: Record<string, Json>, exclude: Set<string>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(input)) {
    if (exclude.has(k)) continue;
    const s = typeof v === 'string' ? v : JSON.stringify(v);
    parts.push(`${enc(k)}=${enc(s)}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

function fillPath(path: string, input: Record<string, Json>): { path: string; used: Set<string> } {
  const used = new Set<string>();
  const filled = path.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    used.add(name);
    const v = input[name];
    return enc(typeof v === 'string' ? v : v === undefined ? 'missing' : JSON.stringify(v));
  });
  return { path: filled, used };
}

/** A variant with nothing hostile in it carries its input (see HostileRequest.input). */
function clean(v: { input: Json; hostile?: boolean }): { input?: Json } {
  return v.hostile ? {} : { input: v.input };
}

const acceptsBody = (m: string) => m === 'POST' || m === 'PUT' || m === 'PATCH';

/** REST requests for an operation: input variants serialised per the document, plus transport tricks. */
export function restRequests(
  op: Operation,
  variants: ReturnType<typeof inputVariants>,
  headers: Record<string, string>,
  rnd: () => number,
): HostileRequest[] {
  const out: HostileRequest[] = [];
  const json = { ...headers, 'content-type': 'application/json' };
  for (const v of variants.variants) {
    const input = (v.input ?? variants.base) as Record<string, Json>;
    const { path, used } = fillPath(op.path, input);
    const url = `/v1${path}`;
    if (acceptsBody(op.method)) {
      const body = Object.fromEntries(Object.entries(input).filter(([k]) => !used.has(k)));
      const text = v.rawText ?? JSON.stringify(body);
      out.push({ name: v.name, method: op.method, url, headers: json, body: text, ...clean(v) });
    } else {
      if (v.rawText) continue; // no body to nest in; the query has no depth
      out.push({
        name: v.name,
        method: op.method,
        url: url + queryString(input, used),
        headers,
        ...clean(v),
      });
    }
  }
  const { path } = fillPath(op.path, variants.base);
  const url = `/v1${path}`;
  if (acceptsBody(op.method)) {
    const body = JSON.stringify(Object.fromEntries(Object.entries(variants.base)));
    out.push(
      { name: 'false gzip', method: op.method, url, headers: { ...json, 'content-encoding': 'gzip' }, body },
      {
        name: 'false deflate',
        method: op.method,
        url,
        headers: { ...json, 'content-encoding': 'deflate' },
        body,
      },
      { name: 'false br', method: op.method, url, headers: { ...json, 'content-encoding': 'br' }, body },
      {
        name: 'unsupported encoding',
        method: op.method,
        url,
        headers: { ...json, 'content-encoding': 'compress' },
        body,
      },
      {
        name: 'gzip of NUL',
        method: op.method,
        url,
        headers: { ...json, 'content-encoding': 'gzip' },
        body: gzipSync(JSON.stringify(mapStrings(variants.base, () => NUL))),
      },
      {
        name: 'text/plain',
        method: op.method,
        url,
        headers: { ...headers, 'content-type': 'text/plain' },
        body,
      },
      {
        name: 'form body',
        method: op.method,
        url,
        headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'a=%00&__proto__[x]=1',
      },
      {
        name: 'multipart',
        method: op.method,
        url,
        headers: { ...headers, 'content-type': 'multipart/form-data; boundary=x' },
        body: '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n\u0000\r\n--x--\r\n',
      },
      {
        name: 'utf-16 charset',
        method: op.method,
        url,
        headers: { ...headers, 'content-type': 'application/json; charset=utf-16' },
        body,
      },
      {
        name: 'latin1 charset',
        method: op.method,
        url,
        headers: { ...headers, 'content-type': 'application/json; charset=iso-8859-1' },
        body,
      },
      { name: 'malformed JSON', method: op.method, url, headers: json, body: '{"a":' },
      { name: 'raw NUL byte', method: op.method, url, headers: json, body: `{"a":"${NUL}"}` },
      { name: 'JSON array', method: op.method, url, headers: json, body: '[1,2,3]' },
      { name: 'JSON string', method: op.method, url, headers: json, body: '"\\u0000"' },
      { name: 'over 1 MB', method: op.method, url, headers: json, body: `{"a":"${'z'.repeat(1_100_000)}"}` },
    );
  } else {
    const qs = queryString(variants.base, fillPath(op.path, variants.base).used);
    const sep = qs ? '&' : '?';
    out.push(
      { name: 'NUL raw in query', method: op.method, url: `${url}${qs}${sep}limit=%00`, headers },
      { name: 'bad percent-encoding', method: op.method, url: `${url}${qs}${sep}x=%E0%A4%A&y=%`, headers },
      {
        name: 'repeated parameters',
        method: op.method,
        url: `${url}${qs}${sep}limit=1&limit=2&cursor=a&cursor=b`,
        headers,
      },
      {
        name: 'proto in query',
        method: op.method,
        url: `${url}${qs}${sep}__proto__[polluted]=yes&constructor[prototype][polluted]=yes`,
        headers,
      },
      {
        name: 'body on GET',
        method: op.method,
        url: `${url}${qs}`,
        headers: { ...headers, 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body: '{"a":1}',
      },
    );
  }
  if (op.parameters.some((p) => p.in === 'path')) {
    const nulPath = op.path.replace(/\{[^}]+\}/g, '%00');
    const trav = op.path.replace(/\{[^}]+\}/g, '..%2F..%2Fetc%2Fpasswd');
    const badPct = op.path.replace(/\{[^}]+\}/g, '%E0%A4%A');
    out.push(
      {
        name: 'NUL path parameter',
        method: op.method,
        url: `/v1${nulPath}`,
        headers: acceptsBody(op.method) ? json : headers,
        ...(acceptsBody(op.method) ? { body: '{}' } : {}),
      },
      {
        name: 'traversal path parameter',
        method: op.method,
        url: `/v1${trav}`,
        headers: acceptsBody(op.method) ? json : headers,
        ...(acceptsBody(op.method) ? { body: '{}' } : {}),
      },
      {
        name: 'bad percent-encoding in path',
        method: op.method,
        url: `/v1${badPct}`,
        headers: acceptsBody(op.method) ? json : headers,
        ...(acceptsBody(op.method) ? { body: '{}' } : {}),
      },
    );
  }
  return bounded(out, rnd);
}

/**
 * Keep the run bounded: for every operation and transport the cases that broke before (NUL, depth
 * far past the limit, a false gzip) and the plain bad inputs; a seeded share of the others, so that
 * each of them still meets dozens of operations per run (another FUZZ_SEED, other operations).
 */
const ALWAYS =
  /^(NUL in every string|nested 5000 levels|false gzip|wrong types|missing fields|injection strings)$/;
export const SAMPLED_SHARE = 0.3;
function bounded(requests: HostileRequest[], rnd: () => number): HostileRequest[] {
  return requests.filter((r) => ALWAYS.test(r.name) || rnd() < SAMPLED_SHARE);
}

/** tRPC requests: GET ?input= for queries, POST body for mutations, and a batch. */
export function trpcRequests(
  op: Operation,
  variants: ReturnType<typeof inputVariants>,
  headers: Record<string, string>,
  rnd: () => number,
): HostileRequest[] {
  if (!op.procedure) return [];
  const out: HostileRequest[] = [];
  const url = `/trpc/${op.procedure}`;
  const json = { ...headers, 'content-type': 'application/json' };
  for (const v of variants.variants) {
    const text = v.rawText ?? JSON.stringify(v.input);
    if (op.procedureType === 'query') {
      out.push({ name: v.name, method: 'GET', url: `${url}?input=${enc(text)}`, headers, ...clean(v) });
    } else {
      out.push({ name: v.name, method: 'POST', url, headers: json, body: text, ...clean(v) });
    }
  }
  const base = JSON.stringify(variants.base);
  if (op.procedureType === 'query') {
    out.push(
      { name: 'malformed input', method: 'GET', url: `${url}?input=%7B%22a%22%3A`, headers },
      { name: 'NUL raw input', method: 'GET', url: `${url}?input=%00`, headers },
      {
        name: 'batch with NUL',
        method: 'GET',
        url: `/trpc/${op.procedure},${op.procedure}?batch=1&input=${enc(JSON.stringify({ 0: variants.base, 1: mapStrings(variants.base, () => NUL) }))}`,
        headers,
      },
      {
        name: 'batch nested',
        method: 'GET',
        url: `/trpc/${op.procedure},${op.procedure}?batch=1&input=${encodeURIComponent(`{"0":${deepJson(5000)}}`)}`,
        headers,
      },
    );
  } else {
    out.push(
      {
        name: 'false gzip',
        method: 'POST',
        url,
        headers: { ...json, 'content-encoding': 'gzip' },
        body: base,
      },
      {
        name: 'unsupported encoding',
        method: 'POST',
        url,
        headers: { ...json, 'content-encoding': 'x-custom' },
        body: base,
      },
      {
        name: 'text/plain',
        method: 'POST',
        url,
        headers: { ...headers, 'content-type': 'text/plain' },
        body: base,
      },
      { name: 'no content type', method: 'POST', url, headers, body: base },
      {
        name: 'multipart',
        method: 'POST',
        url,
        headers: { ...headers, 'content-type': 'multipart/form-data; boundary=x' },
        body: '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n\u0000\r\n--x--\r\n',
      },
      {
        name: 'octet-stream',
        method: 'POST',
        url,
        headers: { ...headers, 'content-type': 'application/octet-stream' },
        body: '\u0000\u0001',
      },
      { name: 'malformed JSON', method: 'POST', url, headers: json, body: '{"a":' },
      { name: 'over 1 MB', method: 'POST', url, headers: json, body: `{"a":"${'z'.repeat(1_100_000)}"}` },
      {
        name: 'batch with NUL',
        method: 'POST',
        url: `/trpc/${op.procedure},${op.procedure}?batch=1`,
        headers: json,
        body: JSON.stringify({ 0: mapStrings(variants.base, () => NUL), 1: {} }),
      },
      {
        name: 'batch nested',
        method: 'POST',
        url: `/trpc/${op.procedure},${op.procedure}?batch=1`,
        headers: json,
        body: `{"0":${deepJson(5000)},"1":{}}`,
      },
      { name: 'GET on a mutation with NUL', method: 'GET', url: `${url}?input=%22%5Cu0000%22`, headers },
    );
  }
  return bounded(out, rnd);
}

/** What went wrong with one answer, or null when it is a documented refusal (or a legitimate read). */
export function judge(
  op: Operation,
  transport: 'rest' | 'trpc',
  status: number,
  headers: Headers,
  text: string,
  /** The input is valid for the procedure's schema: it may succeed (and write). */
  valid = false,
): string | null {
  // A schema-valid input may meet a documented 503 (no payment provider on this gateway).
  const unavailable = /"code":"(PAYMENTS_UNAVAILABLE|SERVICE_UNAVAILABLE)"/.test(text);
  if (status >= 500 && !(valid && status === 503 && unavailable)) return `${status} ${text.slice(0, 300)}`;
  const setCookie = headers.get('set-cookie');
  if (setCookie) return `set-cookie on a refused request: ${setCookie}`;
  for (const [k] of headers) if (k.includes('injected')) return `injected header ${k}`;
  const read = transport === 'trpc' ? op.procedureType === 'query' : op.method === 'GET';
  if (status < 400) {
    // Reads may legitimately answer (a free-text filter with a quote in it); writes must refuse.
    if ((read || valid) && status < 300) return null;
    return `accepted: ${status} ${text.slice(0, 200)}`;
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return `not JSON: ${text.slice(0, 200)}`;
  }
  const requestId = headers.get('x-request-id');
  if (transport === 'trpc') {
    const items = Array.isArray(body) ? body : [body];
    for (const item of items) {
      const e = (item as { error?: { message?: unknown; data?: Record<string, unknown> } }).error;
      if (!e) continue; // a batch item may succeed (a read)
      const problem = errorBodyProblem(e.data ?? {}, requestId, e.message);
      if (problem) return `tRPC: ${problem}`;
      if (!Array.isArray(body) && e.data?.httpStatus !== status)
        return `tRPC: httpStatus ${String(e.data?.httpStatus)} vs ${status}`;
    }
    if (!items.some((i) => (i as { error?: unknown }).error)) return `no error in ${text.slice(0, 200)}`;
    return null;
  }
  const b = body as Record<string, unknown>;
  if (op.operationId === 'oauth-token' && typeof b.error === 'string') {
    return typeof b.error_description === 'string' && b.requestId === requestId
      ? null
      : `OAuth error shape: ${text}`;
  }
  const problem = errorBodyProblem(b, requestId, b.message);
  if (problem) return problem;
  if (ERROR_CATALOG[b.code as keyof typeof ERROR_CATALOG].status !== status)
    return `status ${status} for ${String(b.code)}`;
  return null;
}

function errorBodyProblem(
  b: Record<string, unknown>,
  requestId: string | null,
  message: unknown,
): string | null {
  if (!isErrorCode(b.code)) return `unknown code ${String(b.code)}`;
  if (typeof message !== 'string' || !message) return 'no message';
  if (typeof b.requestId !== 'string' || b.requestId !== requestId)
    return `requestId ${String(b.requestId)} vs ${requestId}`;
  if (typeof b.retryable !== 'boolean') return 'no retryable';
  if (b.retryable !== RETRYABLE_ERROR_CODES.has(b.code))
    return `retryable ${String(b.retryable)} for ${b.code}`;
  if (b.field !== undefined && typeof b.field !== 'string') return 'field not a string';
  return null;
}
