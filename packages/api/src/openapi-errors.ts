import { ERROR_CATALOG, ERROR_CODES, type TErrorCode, type TScope } from '@latih/contracts';
import { EXPORTS } from './exports';
import type { ApiMeta } from './meta';
import { OPERATION_ERROR_CODES } from './operation-errors.generated';
import { appRouter } from './router';

/**
 * What the generator (trpc-to-openapi) does not know, declared on its document in one place: the
 * real error body and, per operation, the statuses and codes it can answer with; Idempotency-Key on
 * every mutation; the response headers (X-Request-Id, RateLimit-*, Retry-After, ETag and 304,
 * Idempotent-Replayed); the OAuth scopes and each operation's required scope, and the console's
 * session cookie where a PMO caller may use it (with X-CSRF-Token on changes); the token endpoint's
 * OAuth error shape; the CSV exports' errors.
 *
 * Codes per operation = those every operation of its kind answers (below) + the domain codes in
 * reach of its resolver (operation-errors.generated.ts, derived from the source and kept current by
 * a test). The e2e harness validates every response against the served document, so an operation
 * answering a code it does not declare fails a test.
 */

type Json = Record<string, unknown>;
type Doc = {
  paths: Record<string, Record<string, Json>>;
  components?: { schemas?: Record<string, unknown>; securitySchemes?: Record<string, Json> } & Json;
};

/** Every request may meet these, before or after its procedure runs. */
const EVERY: TErrorCode[] = [
  'VALIDATION_FAILED',
  'MALFORMED_REQUEST',
  'HEADERS_TOO_LARGE',
  'RATE_LIMITED',
  'INTERNAL_ERROR',
  'SERVICE_UNAVAILABLE',
];
/** A request with a body (POST, PUT, PATCH): what the edge refuses before any rule runs. */
const WITH_BODY: TErrorCode[] = [
  'MALFORMED_JSON',
  'NESTING_TOO_DEEP',
  'BODY_UNREADABLE',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
];
/** Operations that need a token (or, for PMO staff in the console, a session). */
const PROTECTED: TErrorCode[] = [
  'TOKEN_MISSING',
  'TOKEN_EXPIRED',
  'TOKEN_INVALID',
  'SESSION_INVALID',
  'FORBIDDEN_ROLE',
];
/** Protected mutations: idempotency keys, and the console session's CSRF token. */
const PROTECTED_MUTATION: TErrorCode[] = [
  'CSRF_INVALID',
  'IDEMPOTENCY_KEY_INVALID',
  'IDEMPOTENCY_IN_PROGRESS',
  'IDEMPOTENCY_KEY_REUSED',
];

const SCOPE_DESCRIPTIONS: Record<TScope, string> = {
  'catalog:read': 'Read courses and runs: your own (provider), the published catalog (platform)',
  'catalog:write': 'Create, edit, submit and import courses and runs (provider)',
  'vouchers:redeem': 'Check and redeem vouchers (provider)',
  'orders:write': 'Checkouts, vouchers and reviews (platform)',
  'reports:write': 'Attendance, assignments, post-tests, completions and certificates (provider)',
  'pmo:read': 'Read everything the program office oversees',
  'pmo:write': 'Curate, onboard, pay, decide cases (program office)',
};

const STATUS_DESCRIPTIONS: Record<number, string> = {
  400: 'The request is not valid',
  401: 'No valid credentials',
  403: 'Not allowed for this caller',
  404: 'Not found',
  409: 'Conflicts with the current state',
  413: 'Body too large',
  415: 'Unsupported body encoding or media type',
  422: 'Refused by a business rule',
  429: 'Too many requests',
  431: 'Request headers too large',
  500: 'Unexpected failure (quote the requestId)',
  503: 'Not available right now: retry',
};

const ref = (kind: 'schemas' | 'headers' | 'parameters', name: string) => ({
  $ref: `#/components/${kind}/${name}`,
});

/** The error body every JSON answer of the gateway carries (TErrorBody, errorBody in app.ts). */
export const ERROR_SCHEMA = {
  type: 'object',
  description:
    'The body of every error the gateway answers (over tRPC, as `data`). `code` is stable; see /docs/errors.',
  required: ['code', 'message', 'requestId', 'retryable'],
  properties: {
    code: { type: 'string', enum: [...ERROR_CODES], description: 'Stable error code (docs/errors.md)' },
    message: { type: 'string', description: 'For people; may change' },
    field: { type: 'string', description: 'Dotted path of the offending input field, when there is one' },
    requestId: { type: 'string', description: 'The X-Request-Id of the request: quote it' },
    retryable: { type: 'boolean', description: 'Whether retrying with the same Idempotency-Key may succeed' },
    docUrl: { type: 'string', description: "The code's page in the error reference" },
  },
  additionalProperties: false,
};

/** RFC 6749 §5.2, as the token endpoint answers (edge refusals there carry the Error fields too). */
export const OAUTH_ERROR_SCHEMA = {
  type: 'object',
  required: ['error', 'error_description', 'requestId'],
  properties: {
    error: {
      type: 'string',
      enum: [
        'invalid_request',
        'invalid_client',
        'invalid_grant',
        'unauthorized_client',
        'unsupported_grant_type',
        'invalid_scope',
        'rate_limited',
        'temporarily_unavailable',
      ],
    },
    error_description: { type: 'string' },
    requestId: { type: 'string' },
    ...(ERROR_SCHEMA.properties as Json),
  },
  additionalProperties: false,
};

const HEADERS = {
  'X-Request-Id': {
    description: 'The request id (yours when sane, else generated); also in the error body and the log',
    required: true,
    schema: { type: 'string' },
  },
  'RateLimit-Limit': {
    description: 'Requests allowed in the current window of the most restrictive limit that counted this one',
    schema: { type: 'integer' },
  },
  'RateLimit-Remaining': { description: 'Requests left in that window', schema: { type: 'integer' } },
  'RateLimit-Reset': { description: 'Seconds until that window ends', schema: { type: 'integer' } },
  'RateLimit-Policy': {
    description: 'Every limit that counted the request (draft-ietf-httpapi-ratelimit-headers-06)',
    schema: { type: 'string' },
  },
  'Retry-After': {
    description:
      'Seconds to wait before retrying: always with RATE_LIMITED, SERVICE_UNAVAILABLE and IDEMPOTENCY_IN_PROGRESS',
    schema: { type: 'integer' },
  },
  ETag: {
    description: 'Send it back as If-None-Match: 304 when nothing changed',
    required: true,
    schema: { type: 'string' },
  },
  'Latih-Next-Cursor': {
    description:
      "The page's nextCursor, so that the next page can be asked for before this one is parsed (the catalog change feed)",
    required: true,
    schema: { type: 'string' },
  },
  'Latih-Has-More': {
    description: "The page's hasMore (the catalog change feed)",
    required: true,
    schema: { type: 'string', enum: ['true', 'false'] },
  },
  'Idempotent-Replayed': {
    description: 'true: the stored answer to an earlier request with the same Idempotency-Key',
    schema: { type: 'string', const: 'true' },
  },
  'WWW-Authenticate': { description: 'Basic realm="latih"', schema: { type: 'string' } },
};

const PARAMETERS = {
  IdempotencyKey: {
    in: 'header',
    name: 'Idempotency-Key',
    required: false,
    description:
      'Any 1 to 255 printable ASCII characters (a UUID): a retry with the same key and body gets the first answer, never a second effect. Kept 24 hours per client.',
    schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]+$' },
  },
  CsrfToken: {
    in: 'header',
    name: 'X-CSRF-Token',
    required: false,
    description:
      'With the console session cookie only (not with a token): the csrfToken its sign-in answered; every change needs it (CSRF_INVALID without)',
    schema: { type: 'string' },
  },
  IfNoneMatch: {
    in: 'header',
    name: 'If-None-Match',
    required: false,
    description: 'An ETag from an earlier answer: 304 without a body when it still matches',
    schema: { type: 'string' },
  },
};

const COMMON_HEADERS = {
  'X-Request-Id': ref('headers', 'X-Request-Id'),
  'RateLimit-Limit': ref('headers', 'RateLimit-Limit'),
  'RateLimit-Remaining': ref('headers', 'RateLimit-Remaining'),
  'RateLimit-Reset': ref('headers', 'RateLimit-Reset'),
  'RateLimit-Policy': ref('headers', 'RateLimit-Policy'),
};

type OperationKind = { protect: boolean; mutation: boolean; body: boolean; scope?: TScope | undefined };

/** The codes an operation of this kind can answer, with its own domain codes. */
export function errorCodesFor(kind: OperationKind, own: readonly TErrorCode[]): TErrorCode[] {
  const codes = new Set<TErrorCode>([...EVERY, ...own]);
  if (kind.body) for (const c of WITH_BODY) codes.add(c);
  if (kind.protect) for (const c of PROTECTED) codes.add(c);
  if (kind.protect && kind.scope) codes.add('SCOPE_MISSING');
  if (kind.protect && kind.mutation) for (const c of PROTECTED_MUTATION) codes.add(c);
  return ERROR_CODES.filter((c) => codes.has(c));
}

/** One response per status, each restricting the Error body's code to the codes of that status. */
function errorResponses(codes: TErrorCode[], opts: { replayable: boolean }): Record<string, Json> {
  const byStatus = new Map<number, TErrorCode[]>();
  for (const c of codes) {
    const s = ERROR_CATALOG[c].status;
    byStatus.set(s, [...(byStatus.get(s) ?? []), c]);
  }
  const out: Record<string, Json> = {};
  for (const [status, list] of [...byStatus].sort((a, b) => a[0] - b[0])) {
    const retryAfter = status === 429 || status === 503 || list.includes('IDEMPOTENCY_IN_PROGRESS');
    out[String(status)] = {
      description: `${STATUS_DESCRIPTIONS[status] ?? 'Error'}: ${list.join(', ')}`,
      headers: {
        ...COMMON_HEADERS,
        ...(retryAfter
          ? {
              'Retry-After': ref('headers', 'Retry-After'),
            }
          : {}),
        ...(opts.replayable && status < 500
          ? { 'Idempotent-Replayed': ref('headers', 'Idempotent-Replayed') }
          : {}),
      },
      content: {
        'application/json': {
          schema: { allOf: [ref('schemas', 'Error'), { properties: { code: { enum: list } } }] },
        },
      },
    };
  }
  return out;
}

type Proc = { _def: { meta?: ApiMeta; type: string } };
const procedures = (appRouter as unknown as { _def: { procedures: Record<string, Proc> } })._def.procedures;

/** Adds to the generated document what it cannot know (see the top of this file). */
export function declareErrorsAndHeaders(doc: Doc): void {
  doc.components ??= {};
  const components = doc.components;
  components.schemas ??= {};
  const schemas = components.schemas;
  for (const name of Object.keys(schemas)) if (name.startsWith('error.')) delete schemas[name];
  schemas.Error = ERROR_SCHEMA;
  schemas.OAuthError = OAUTH_ERROR_SCHEMA;
  components.headers = HEADERS;
  components.parameters = PARAMETERS;
  const auth = components.securitySchemes?.Authorization as
    | { flows: { clientCredentials: { scopes: Record<string, string> } } }
    | undefined;
  if (auth) auth.flows.clientCredentials.scopes = { ...SCOPE_DESCRIPTIONS };
  components.securitySchemes = { ...components.securitySchemes, ConsoleSession: CONSOLE_SESSION };

  for (const [name, proc] of Object.entries(procedures)) {
    const meta = proc._def.meta;
    const api = meta?.openapi;
    if (!api) continue;
    const op = doc.paths[api.path]?.[api.method.toLowerCase()];
    if (!op) throw new Error(`${name}: ${api.method} ${api.path} is not in the document`);
    const own = OPERATION_ERROR_CODES[name];
    if (!own)
      throw new Error(`${name}: not in operation-errors.generated.ts (npm run docs:operation-errors)`);
    const kind: OperationKind = {
      protect: api.protect === true,
      mutation: proc._def.type === 'mutation',
      body: api.method !== 'GET' && api.method !== 'DELETE',
      scope: meta?.scope,
    };
    decorate(op, kind, errorCodesFor(kind, own), api.method === 'GET', api.path);
  }

  for (const [name, def] of Object.entries(EXPORTS)) {
    const path =
      def.audience === 'pmo'
        ? `/pmo/exports/${name}.csv`
        : `/${name}.csv`.replace(/^\/(public|provider)\//, '/$1/exports/');
    const op = doc.paths[path]?.get;
    if (!op) throw new Error(`export ${name}: ${path} is not in the document`);
    // The procedure the export pages through, named in its summary: its codes and scope are the export's.
    const procName = /\(([a-zA-Z.]+)\)/.exec(def.summary)?.[1];
    const meta = procName ? procedures[procName]?._def.meta : undefined;
    const kind: OperationKind = {
      protect: def.audience !== 'public',
      mutation: false,
      body: false,
      scope: meta?.scope,
    };
    decorate(
      op,
      kind,
      errorCodesFor(kind, procName ? (OPERATION_ERROR_CODES[procName] ?? []) : []),
      false,
      path,
    );
  }

  // The credential documents (a certificate's issuer and achievement): public, NOT_FOUND as JSON or,
  // for a browser, as a page.
  for (const path of ['/public/organisations/{id}', '/public/courses/{id}']) {
    const op = doc.paths[path]?.get;
    if (!op) throw new Error(`${path} is not in the document`);
    decorate(
      op,
      { protect: false, mutation: false, body: false },
      errorCodesFor({ protect: false, mutation: false, body: false }, ['NOT_FOUND']),
      false,
      path,
    );
    const notFound = (op.responses as Record<string, { content: Json }>)['404'];
    if (notFound) notFound.content['text/html'] = { schema: { type: 'string' } };
  }

  const token = doc.paths['/oauth/token']?.post;
  if (token) declareTokenEndpoint(token);
}

/**
 * The console's sign-in (POST /console/api/session, for PMO staff) sets this cookie; the gateway takes
 * it in place of a token on every operation a PMO client may call, the staff member's role limiting
 * which changes they may make (FORBIDDEN_ROLE).
 */
const CONSOLE_SESSION = {
  type: 'apiKey',
  in: 'cookie',
  name: 'latih_console_session',
  description:
    "Staff signed in to the console (POST /console/api/session), the PMO's on /pmo/* and the shared operations, a provider's on /provider/*: httpOnly, SameSite=Strict. Taken only when no Authorization header is sent; every change also needs the X-CSRF-Token header, and the staff member's role limits which changes they may make and, for provider staff, what they may read (FORBIDDEN_ROLE). Integrations use OAuth.",
};

/**
 * Operations a console session may make: PMO staff every protected one but the partners' own,
 * provider staff the providers' (platforms have no console).
 */
const sessionMayCall = (path: string) => !/^\/platform\//.test(path);

function decorate(
  op: Json,
  kind: OperationKind,
  codes: TErrorCode[],
  conditional: boolean,
  path: string,
): void {
  const session = kind.protect && sessionMayCall(path);
  const responses = (op.responses ?? {}) as Record<string, Json>;
  const success: Record<string, Json> = {};
  for (const [status, r] of Object.entries(responses)) {
    if (!status.startsWith('2')) continue;
    success[status] = {
      ...r,
      headers: {
        ...COMMON_HEADERS,
        ...(conditional ? { ETag: ref('headers', 'ETag') } : {}),
        // Written by the gateway's own route for this page (docs/adr/0009).
        ...(path === '/platform/catalog/changes'
          ? {
              'Latih-Next-Cursor': ref('headers', 'Latih-Next-Cursor'),
              'Latih-Has-More': ref('headers', 'Latih-Has-More'),
            }
          : {}),
        ...(kind.protect && kind.mutation
          ? { 'Idempotent-Replayed': ref('headers', 'Idempotent-Replayed') }
          : {}),
      },
    };
  }
  op.responses = {
    ...success,
    ...(conditional
      ? {
          '304': {
            description: 'Not modified: the If-None-Match ETag still matches',
            headers: { ...COMMON_HEADERS, ETag: ref('headers', 'ETag') },
          },
        }
      : {}),
    ...errorResponses(codes, { replayable: kind.protect && kind.mutation }),
  };
  const parameters = ((op.parameters as Json[] | undefined) ?? []).slice();
  if (kind.protect && kind.mutation) parameters.push(ref('parameters', 'IdempotencyKey'));
  if (session && kind.mutation) parameters.push(ref('parameters', 'CsrfToken'));
  if (conditional) parameters.push(ref('parameters', 'IfNoneMatch'));
  if (parameters.length > 0) op.parameters = parameters;
  if (kind.protect)
    op.security = [
      { Authorization: kind.scope ? [kind.scope] : [] },
      ...(session ? [{ ConsoleSession: [] }] : []),
    ];
  else delete op.security;
}

function declareTokenEndpoint(op: Json): void {
  const responses = op.responses as Record<string, Json>;
  const oauth = (description: string, statusHeaders: Json = {}) => ({
    description,
    headers: { ...COMMON_HEADERS, ...statusHeaders },
    content: { 'application/json': { schema: ref('schemas', 'OAuthError') } },
  });
  const either = (description: string, statusHeaders: Json = {}) => ({
    description,
    headers: { ...COMMON_HEADERS, ...statusHeaders },
    content: {
      'application/json': { schema: { anyOf: [ref('schemas', 'OAuthError'), ref('schemas', 'Error')] } },
    },
  });
  op.responses = {
    '200': { ...responses['200'], headers: COMMON_HEADERS },
    '400': oauth(
      'invalid_request, unsupported_grant_type, invalid_scope or unauthorized_client (a request the edge refuses carries the Error fields too)',
    ),
    '401': oauth('invalid_client', { 'WWW-Authenticate': ref('headers', 'WWW-Authenticate') }),
    '413': either('PAYLOAD_TOO_LARGE'),
    '415': either('UNSUPPORTED_MEDIA_TYPE'),
    '429': oauth('rate_limited: too many token requests, or too many failed ones', {
      'Retry-After': ref('headers', 'Retry-After'),
    }),
    '431': either('HEADERS_TOO_LARGE'),
    '500': either('INTERNAL_ERROR'),
    '503': either('temporarily_unavailable: the database went away', {
      'Retry-After': ref('headers', 'Retry-After'),
    }),
  };
}
