import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { toAppError } from '@latih/api';
import {
  AppError,
  errorBody as buildErrorBody,
  ERROR_CATALOG,
  type TErrorBody,
  type TErrorCode,
} from '@latih/contracts';
import type { TRPCError } from '@trpc/server';
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { Logger } from './logger';

/**
 * The gateway's edge: what no request may bring in, refused before any procedure, repository or
 * database sees it, with the documented error body (TErrorBody; over tRPC its `data`).
 *
 * - NUL characters (U+0000) and lone surrogates, anywhere: a body's keys and strings, a query value,
 *   a tRPC `input` parameter, a path segment. PostgreSQL stores neither (it refuses U+0000 in text
 *   and jsonb), so such text can never be valid: 400 VALIDATION_FAILED, `field` naming where.
 * - `__proto__` keys: no Latih input has one, and some code paths would treat it as the prototype.
 * - Nesting deeper than MAX_NESTING objects/arrays: 400 NESTING_TOO_DEEP.
 * - Bodies that are not what their headers say: a false `Content-Encoding` (gzip, deflate, br that
 *   is not) 400 BODY_UNREADABLE; an encoding or media type we do not take 415
 *   UNSUPPORTED_MEDIA_TYPE; over the size limit 413 PAYLOAD_TOO_LARGE; a request line and headers
 *   over Node's 16 KB 431 HEADERS_TOO_LARGE; a JSON body that is not an object on REST 400.
 *
 * The checks walk each value once, iteratively bounded by the depth limit, so a hostile body costs
 * no more than its size.
 */
export const MAX_NESTING = 64;

/** A refusal raised at the edge; rendered by `edgeErrors` for the transport the request used. */
export class EdgeRefusal extends Error {
  constructor(
    readonly code: TErrorCode,
    message?: string,
    readonly field?: string,
  ) {
    super(message ?? ERROR_CATALOG[code].message);
  }
}

/** Encodings body-parser decodes; anything else is refused before a byte is read. */
const ENCODINGS = new Set(['identity', 'gzip', 'deflate', 'br']);

/** Which media types a route takes in a body (POST, PUT, PATCH, DELETE). null: any (raw). */
function acceptedTypes(path: string): string[] | null {
  if (path === '/payments/webhook') return null;
  if (path === '/v1/oauth/token') return ['application/json', 'application/x-www-form-urlencoded'];
  if (path.startsWith('/identity-check/')) return ['application/x-www-form-urlencoded'];
  return ['application/json'];
}

type Problem = { code: TErrorCode; message: string; field?: string };

function fieldOf(path: readonly (string | number)[]): string | undefined {
  return path.length ? path.join('.') : undefined;
}

/**
 * The first problem in a parsed value: too deep, a NUL or lone surrogate in a key or string, a
 * `__proto__` key. `skip` drops leading path segments from `field` (the index of a tRPC batch).
 */
export function inspectValue(value: unknown, opts: { skip?: number; where?: string } = {}): Problem | null {
  const skip = opts.skip ?? 0;
  const where = opts.where ?? 'The input';
  const visit = (v: unknown, path: (string | number)[], depth: number): Problem | null => {
    if (typeof v === 'string') return textProblem(v, path.slice(skip), where);
    if (v === null || typeof v !== 'object') return null;
    if (depth >= MAX_NESTING) {
      return {
        code: 'NESTING_TOO_DEEP',
        message: `${where} nests objects or arrays more than ${MAX_NESTING} levels deep.`,
        ...withField(path.slice(skip, skip + 1)),
      };
    }
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const p = visit(v[i], [...path, i], depth + 1);
        if (p) return p;
      }
      return null;
    }
    for (const key of Object.keys(v)) {
      if (key === '__proto__')
        return {
          code: 'VALIDATION_FAILED',
          message: `${where} has a "__proto__" key: no Latih input has one.`,
          ...withField(path.slice(skip)),
        };
      const k = textProblem(key, path.slice(skip), `${where} has a key that`);
      if (k) return k;
      const p = visit((v as Record<string, unknown>)[key], [...path, key], depth + 1);
      if (p) return p;
    }
    return null;
  };
  return visit(value, [], 0);
}

function withField(path: (string | number)[]): { field?: string } {
  const field = fieldOf(path);
  return field ? { field } : {};
}

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function textProblem(s: string, path: (string | number)[], where: string): Problem | null {
  const field = fieldOf(path);
  const subject = field ?? where;
  if (s.includes('\u0000'))
    return {
      code: 'VALIDATION_FAILED',
      message: `${subject}: contains a NUL character (U+0000), which text may not hold.`,
      ...(field ? { field } : {}),
    };
  if (LONE_SURROGATE.test(s))
    return {
      code: 'VALIDATION_FAILED',
      message: `${subject}: is not well-formed Unicode (a lone surrogate).`,
      ...(field ? { field } : {}),
    };
  return null;
}

function safeDecode(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

function hasBody(req: Request): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const len = Number(req.headers['content-length']);
  return Number.isFinite(len) && len > 0;
}

function mediaType(req: Request): string | null {
  const raw = req.headers['content-type'];
  if (!raw) return null;
  return (raw.split(';', 1)[0] ?? '').trim().toLowerCase();
}

/** The URL, encoding and media type: checked before any body parser reads a byte. */
function requestProblem(req: Request): Problem | null {
  const url = req.originalUrl;
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  for (const segment of rawPath.split('/')) {
    const decoded = safeDecode(segment);
    if (decoded === null)
      return { code: 'VALIDATION_FAILED', message: 'The path is not valid percent-encoded UTF-8.' };
    if (decoded.includes('\u0000'))
      return {
        code: 'VALIDATION_FAILED',
        message: 'The path contains a NUL character (%00), which no id or name may hold.',
      };
  }
  if (q >= 0) {
    const params = new URLSearchParams(url.slice(q + 1));
    const trpcBatch = rawPath.startsWith('/trpc/') && params.get('batch') === '1';
    for (const [key, value] of params) {
      const k = textProblem(key, [], 'A query parameter name');
      if (k) return k;
      const v = textProblem(value, [key], 'A query value');
      if (v) return v;
      if (key === 'input' && rawPath.startsWith('/trpc/')) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(value);
        } catch {
          continue; // tRPC answers malformed input itself (MALFORMED_JSON)
        }
        const p = inspectValue(parsed, { skip: trpcBatch ? 1 : 0 });
        if (p) return p;
      }
    }
  }
  if (!hasBody(req)) return null;
  const encoding = String(req.headers['content-encoding'] ?? 'identity')
    .trim()
    .toLowerCase();
  if (!ENCODINGS.has(encoding))
    return {
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: `Content-Encoding "${encoding.slice(0, 40)}" is not supported: send the body uncompressed, or as gzip, deflate or br.`,
    };
  if (req.method === 'GET' || req.method === 'HEAD') return null; // its body is never read as input
  const accepted = acceptedTypes(req.path);
  const type = mediaType(req);
  if (accepted && (!type || !accepted.includes(type)))
    return {
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: `Send the body as ${accepted.join(' or ')}${type ? `, not ${type.slice(0, 60)}` : ' (Content-Type is missing)'}.`,
    };
  return null;
}

/** Mount before the body parsers: the URL, the encoding and the media type. */
export function refuseHostileRequests(): RequestHandler {
  return (req, _res, next) => {
    const p = requestProblem(req);
    next(p ? new EdgeRefusal(p.code, p.message, p.field) : undefined);
  };
}

/** Mount after the body parsers: the parsed body (JSON or form). */
export function refuseHostileBodies(): RequestHandler {
  return (req, _res, next) => {
    const body: unknown = req.body;
    if (body === undefined || Buffer.isBuffer(body)) return next();
    const trpcBatch = req.path.startsWith('/trpc/') && req.query.batch === '1';
    const p = inspectValue(body, { skip: trpcBatch ? 1 : 0, where: 'The body' });
    if (p) return next(new EdgeRefusal(p.code, p.message, p.field));
    // REST inputs are objects (path parameters are merged into them); an array would be spread.
    const json = mediaType(req) === 'application/json';
    if (
      json &&
      req.path.startsWith('/v1/') &&
      (typeof body !== 'object' || body === null || Array.isArray(body))
    )
      return next(new EdgeRefusal('VALIDATION_FAILED', 'The request body must be a JSON object.'));
    next();
  };
}

/** body-parser's errors (and zlib's, under them) as the catalog's codes. */
function parserRefusal(err: unknown): EdgeRefusal | null {
  if (err instanceof EdgeRefusal) return err;
  if (!err || typeof err !== 'object') return null;
  const e = err as { type?: string; status?: number; expose?: boolean };
  switch (e.type) {
    case 'entity.too.large':
      return new EdgeRefusal('PAYLOAD_TOO_LARGE');
    case 'entity.parse.failed':
      return new EdgeRefusal('MALFORMED_JSON');
    case 'encoding.unsupported':
      return new EdgeRefusal('UNSUPPORTED_MEDIA_TYPE', 'This Content-Encoding is not supported.');
    case 'charset.unsupported':
      return new EdgeRefusal('UNSUPPORTED_MEDIA_TYPE', 'Send the body in UTF-8.');
    case 'request.size.invalid':
    case 'request.aborted':
      return new EdgeRefusal('BODY_UNREADABLE', 'The body ended before its Content-Length.');
    case 'parameters.too.many':
      return new EdgeRefusal('PAYLOAD_TOO_LARGE', 'The form has too many fields.');
    default:
  }
  // Any other failure to read the body: body-parser raises it as an exposed 400 (zlib's error
  // underneath when the body is not what its Content-Encoding says).
  if (e.expose && e.status === 400) return new EdgeRefusal('BODY_UNREADABLE');
  if (e.expose && e.status === 413) return new EdgeRefusal('PAYLOAD_TOO_LARGE');
  if (e.expose && e.status === 415) return new EdgeRefusal('UNSUPPORTED_MEDIA_TYPE');
  return null;
}

function trpcPaths(req: Request): { paths: string[]; batch: boolean } {
  const path = req.path.slice('/trpc/'.length);
  const batch = req.query.batch === '1';
  return { paths: batch ? path.split(',') : [path], batch };
}

const TRPC_KEY_BY_STATUS: Record<number, keyof typeof TRPC_ERROR_CODES_BY_KEY> = {
  400: 'BAD_REQUEST',
  404: 'NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
};

function errorBody(
  r: { code: TErrorCode; message: string; field?: string | undefined },
  requestId: string,
): TErrorBody {
  return buildErrorBody({ ...r, requestId });
}

/** The refusal in the shape of the transport: tRPC's envelope (one per call of a batch), OAuth's, or ours. */
export function sendRefusal(req: Request, res: Response, r: EdgeRefusal): void {
  const requestId = res.locals.requestId as string;
  const status = ERROR_CATALOG[r.code].status;
  const body = errorBody(r, requestId);
  res.status(status);
  if (req.path.startsWith('/trpc/')) {
    const { paths, batch } = trpcPaths(req);
    const rpc = TRPC_ERROR_CODES_BY_KEY[TRPC_KEY_BY_STATUS[status] ?? 'BAD_REQUEST'];
    const one = (path: string) => ({
      error: {
        message: r.message,
        code: rpc,
        data: { ...body, httpStatus: status, ...(path ? { path } : {}) },
      },
    });
    res.json(batch ? paths.map(one) : one(paths[0] ?? ''));
    return;
  }
  if (req.path === '/v1/oauth/token') {
    // RFC 6749 §5.2 for OAuth clients, and our body for everyone else.
    res.json({ error: 'invalid_request', error_description: r.message, ...body });
    return;
  }
  res.json(body);
}

/** Mount before the last error handler: edge refusals and body-parser errors, each as a 4xx. */
export function edgeErrors(): ErrorRequestHandler {
  return (err, req, res, next) => {
    const r = parserRefusal(err);
    if (!r || res.headersSent) return next(err);
    sendRefusal(req, res, r);
  };
}

/**
 * tRPC formats errors raised before its context exists (a batch over its limit, a body it cannot
 * read) with requestId "unknown": put the request's id in, so every refusal can be quoted.
 */
export function trpcRequestIds(): RequestHandler {
  return (_req, res, next) => {
    const end = res.end.bind(res) as (...args: unknown[]) => Response;
    res.end = ((chunk?: unknown, ...rest: unknown[]) => {
      if (res.statusCode >= 400 && typeof chunk === 'string' && chunk.includes('"requestId":"unknown"')) {
        const id = JSON.stringify(res.locals.requestId as string);
        chunk = chunk.replaceAll('"requestId":"unknown"', `"requestId":${id}`);
        if (!res.headersSent) res.removeHeader('content-length');
      }
      return end(chunk, ...rest);
    }) as Response['end'];
    next();
  };
}

/**
 * Requests Node refuses before Express sees them (headers over 16 KB, an unparsable request line or
 * header): answered with our error body and a request id, and logged, instead of a bare status.
 */
export function answerClientErrors(server: Server, logger: Logger): void {
  server.on('clientError', (err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Socket) => {
    if (!socket.writable || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      socket.end('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n');
      return;
    }
    const requestId = `req_${randomUUID().replaceAll('-', '')}`;
    const code: TErrorCode = err.code === 'HPE_HEADER_OVERFLOW' ? 'HEADERS_TOO_LARGE' : 'MALFORMED_REQUEST';
    const status = ERROR_CATALOG[code].status;
    const refusal = errorBody({ code, message: ERROR_CATALOG[code].message }, requestId);
    // The start of the request line, when the parser kept it: a tRPC call gets tRPC's envelope.
    const target = /^[A-Z]+ (\/trpc\/[^?\s]*)(\?\S*)?/.exec(
      err.rawPacket?.subarray(0, 4096).toString('latin1') ?? '',
    );
    let body: unknown = refusal;
    if (target?.[1]) {
      const batch = /[?&]batch=1(&|$)/.test(target[2] ?? '');
      const path = target[1].slice('/trpc/'.length);
      const paths = batch ? path.split(',') : [path];
      const one = (path: string) => ({
        error: {
          message: refusal.message,
          code: TRPC_ERROR_CODES_BY_KEY.BAD_REQUEST,
          data: { ...refusal, httpStatus: status, ...(path ? { path } : {}) },
        },
      });
      body = batch ? paths.map(one) : one(paths[0] ?? '');
    }
    const text = JSON.stringify(body);
    logger.info({ requestId, status, reason: err.code }, 'request refused by the HTTP parser');
    socket.end(
      `HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
        'Content-Type: application/json\r\nConnection: close\r\n' +
        `X-Request-Id: ${requestId}\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
    );
  });
}

/**
 * tRPC's and trpc-to-openapi's `onError`: an error that becomes INTERNAL_ERROR outside the
 * procedures' own middleware (reading the input, creating the context) is logged here with its
 * request id; those inside were logged there already (their cause is the INTERNAL_ERROR AppError).
 */
export function logEscapedErrors(logger: Logger) {
  return (opts: { error: TRPCError; path?: string | undefined; req: unknown }): void => {
    const { error } = opts;
    if (error.cause instanceof AppError) return;
    if (toAppError(error).code !== 'INTERNAL_ERROR') return;
    const res = (opts.req as { res?: { locals?: { requestId?: string } } }).res;
    logger.error(
      { err: error.cause ?? error, requestId: res?.locals?.requestId, path: opts.path },
      'unhandled error',
    );
  };
}
