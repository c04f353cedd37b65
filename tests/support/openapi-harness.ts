/**
 * Setup file of the e2e project: every response a test receives through global `fetch` (the SDK's
 * REST calls, the tests' own, through haproxy too) from a Latih gateway on this machine is
 * validated against the OpenAPI document: its status must be declared for the operation, and its
 * JSON body (success and error alike) must match the declared schema; an answer with an
 * undocumented status, code or field fails the test that received it.
 *
 * The document is the one the gateway serves (`GET /v1/openapi.json`), built here by the same
 * function (buildOpenApiDocument) so that the harness adds no request of its own (rate-limit tests
 * count them); tests/e2e/openapi.test.ts proves the served document is this one. It is compiled
 * once per worker. Skipped, explicitly: /trpc (tRPC is not described by the OpenAPI document), the
 * gateway's routes outside /v1 (SKIPPED_ROUTES), /v1/openapi.json itself, unknown /v1 routes
 * answering 404/405, and CSV bodies (streamed: the status and media type are checked, not the
 * rows). Requests made with node:http or raw sockets (hostile-input tests) are not seen.
 */
import { appendFileSync } from 'node:fs';
import { buildOpenApiDocument } from '@latih/api';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { afterAll, inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A file each worker appends its counts to; the global teardown prints the sum. */
    openApiCountsFile: string;
  }
}

/** Gateway routes the OpenAPI document does not describe, by design. */
export const SKIPPED_ROUTES: { prefix: string; why: string }[] = [
  { prefix: '/trpc', why: 'tRPC: described by the SDK types, not by the OpenAPI document' },
  { prefix: '/v1/openapi.json', why: 'the document itself' },
  { prefix: '/healthz', why: 'operations' },
  { prefix: '/readyz', why: 'operations' },
  { prefix: '/metrics', why: 'operations (Prometheus text)' },
  { prefix: '/docs', why: 'HTML reference' },
  { prefix: '/console', why: 'the console and its session API' },
  { prefix: '/dev/otp', why: 'development-only OTP inbox' },
  { prefix: '/payments/webhook', why: "the payment provider's webhook" },
  { prefix: '/.well-known', why: 'JWKS' },
  { prefix: '/identity-check', why: 'HTML page for participants' },
  { prefix: '/certificates', why: 'public HTML/JSON-LD pages' },
];

type Operation = {
  path: string;
  method: string;
  match: RegExp;
  /** Per status: the schema of each JSON media type (application/json, application/ld+json). */
  statuses: Map<string, { schemas: Record<string, unknown>; media: string[]; requiredHeaders: string[] }>;
};

type DocResponse = {
  content?: Record<string, { schema?: unknown }>;
  headers?: Record<string, { $ref?: string; required?: boolean }>;
};
type Doc = {
  paths: Record<string, Record<string, { responses: Record<string, DocResponse> }>>;
  components: { schemas: Record<string, unknown>; headers: Record<string, { required?: boolean }> };
};

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;
type Compiled = {
  operations: Operation[];
  /** Compiled on first use: a test file meets a few operations, and compiling all costs ~15 s. */
  validator: (op: Operation, status: string, media: string) => ValidateFunction | undefined;
};
let compiled: Compiled | undefined;

/** The media types whose bodies are validated against their schema. */
const JSON_MEDIA = ['application/json', 'application/ld+json'];

function compile(): Compiled {
  const doc = buildOpenApiDocument({ baseUrl: '/v1', version: 'harness' }) as unknown as Doc;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ $id: 'latih:openapi', components: doc.components }, 'latih:openapi');
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    const match = new RegExp(`^/v1${path.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '[^/]+')}$`);
    for (const [method, op] of Object.entries(methods)) {
      const statuses: Operation['statuses'] = new Map();
      for (const [status, r] of Object.entries(op.responses)) {
        const requiredHeaders = Object.entries(r.headers ?? {})
          .filter(([, h]) =>
            h.$ref ? doc.components.headers[h.$ref.split('/').pop() ?? '']?.required : h.required,
          )
          .map(([name]) => name);
        statuses.set(status, {
          schemas: Object.fromEntries(
            Object.entries(r.content ?? {})
              .filter(([media, c]) => JSON_MEDIA.includes(media) && c.schema)
              .map(([media, c]) => [media, c.schema]),
          ),
          media: Object.keys(r.content ?? {}),
          requiredHeaders,
        });
      }
      operations.push({ path, method, match, statuses });
    }
  }
  // Exact paths before templated ones (/provider/courses/import before /provider/courses/{id}).
  operations.sort((a, b) => a.path.split('{').length - b.path.split('{').length);
  const validators = new Map<string, ValidateFunction | undefined>();
  const validator = (op: Operation, status: string, media: string) => {
    const key = `${op.method} ${op.path} ${status} ${media}`;
    if (!validators.has(key)) {
      const schema = op.statuses.get(status)?.schemas[media];
      // $refs point into the document: resolve them against the components registered above.
      validators.set(
        key,
        schema
          ? ajv.compile(
              JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"latih:openapi#/components/')),
            )
          : undefined,
      );
    }
    return validators.get(key);
  };
  return { operations, validator };
}

export const counts = { validated: 0, skipped: {} as Record<string, number> };
const skip = (why: string) => {
  counts.skipped[why] = (counts.skipped[why] ?? 0) + 1;
};

const LOCAL = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Whether the answer came from a Latih gateway: the headers its first middleware sets on every answer. */
function fromGateway(res: Response): boolean {
  return (
    res.headers.has('x-request-id') &&
    res.headers.get('x-frame-options') === 'DENY' &&
    res.headers.get('referrer-policy') === 'no-referrer'
  );
}

/** The problems of one response, or null when it matches the document (or is not in its scope). */
export async function check(method: string, url: URL, res: Response): Promise<string | null> {
  if (!LOCAL.has(url.hostname) || !fromGateway(res)) return null;
  const path = url.pathname;
  const skipped = SKIPPED_ROUTES.find(
    (r) => path === r.prefix || path.startsWith(`${r.prefix}/`) || path.startsWith(`${r.prefix}?`),
  );
  if (skipped) {
    skip(skipped.prefix);
    return null;
  }
  if (!path.startsWith('/v1/')) {
    skip('outside /v1');
    return null;
  }
  compiled ??= compile();
  const m = method.toLowerCase();
  const op = compiled.operations.find((o) => o.method === m && o.match.test(path));
  if (!op) {
    if (res.status === 404 || res.status === 405) {
      skip('unknown /v1 route (404/405)');
      return null;
    }
    return `${method} ${path} answered ${res.status} but the document has no such operation`;
  }
  counts.validated++;
  const declared = op.statuses.get(String(res.status)) ?? op.statuses.get('default');
  if (!declared) {
    return `${method} ${op.path} answered ${res.status}, which the document does not declare (declared: ${[...op.statuses.keys()].join(', ')})`;
  }
  const missing = declared.requiredHeaders.filter((h) => !res.headers.has(h));
  if (missing.length > 0) return `${method} ${op.path} ${res.status}: no ${missing.join(', ')} header`;
  if (res.status === 304 || res.status === 204) return null;
  const type = (res.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
  if (!declared.media.includes(type)) {
    return `${method} ${op.path} ${res.status}: Content-Type ${type || '(none)'} is not declared (${declared.media.join(', ')})`;
  }
  // CSV (streamed) and HTML pages: the type is checked, not the text.
  if (!JSON_MEDIA.includes(type)) return null;
  const validate = compiled.validator(
    op,
    declared === op.statuses.get(String(res.status)) ? String(res.status) : 'default',
    type,
  );
  if (!validate) return null;
  const text = await res.clone().text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return `${method} ${op.path} ${res.status}: the body is not JSON`;
  }
  if (validate(body)) return null;
  const errors = (validate.errors ?? [])
    .slice(0, 5)
    .map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`)
    .join('; ');
  return `${method} ${op.path} ${res.status} does not match the document: ${errors}\n  body: ${text.slice(0, 500)}`;
}

const realFetch = globalThis.fetch;
export const mismatches: string[] = [];

globalThis.fetch = async function validatedFetch(input: string | URL | Request, init?: RequestInit) {
  const res = await realFetch(input, init);
  const url = new URL(input instanceof Request ? input.url : String(input));
  const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
  const problem = await check(method, url, res);
  if (problem) {
    mismatches.push(problem);
    throw new Error(`OpenAPI harness: ${problem}`);
  }
  return res;
} as typeof fetch;

afterAll(() => {
  const file = inject('openApiCountsFile');
  if (file) appendFileSync(file, `${JSON.stringify(counts)}\n`);
});
