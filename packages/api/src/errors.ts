import {
  AppError,
  ERROR_CATALOG,
  errorDocUrl,
  RETRYABLE_ERROR_CODES,
  type TErrorCode,
} from '@latih/contracts';
import { TRPCError } from '@trpc/server';

type TRPCCode = TRPCError['code'];

const TRPC_CODE_BY_STATUS: Record<number, TRPCCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_SUPPORTED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE_CONTENT',
  429: 'TOO_MANY_REQUESTS',
  500: 'INTERNAL_SERVER_ERROR',
  503: 'SERVICE_UNAVAILABLE',
};

const APP_CODE_BY_TRPC_CODE: Partial<Record<TRPCCode, TErrorCode>> = {
  PARSE_ERROR: 'MALFORMED_JSON',
  NOT_FOUND: 'ROUTE_NOT_FOUND',
  METHOD_NOT_SUPPORTED: 'METHOD_NOT_SUPPORTED',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
};

/** The TRPCError that carries an AppError with the matching HTTP status. */
export function toTRPCError(err: AppError): TRPCError {
  return new TRPCError({
    code: TRPC_CODE_BY_STATUS[err.status] ?? 'INTERNAL_SERVER_ERROR',
    message: err.message,
    cause: err,
  });
}

type Issue = { path?: ReadonlyArray<PropertyKey | { key: PropertyKey }>; message: string };

function validationIssues(cause: unknown): Issue[] | undefined {
  if (cause && typeof cause === 'object' && 'issues' in cause && Array.isArray(cause.issues)) {
    return cause.issues as Issue[];
  }
  return undefined;
}

function issuePath(issue: Issue): string {
  return (issue.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p)).join('.');
}

/**
 * Every error leaving the API becomes one AppError: domain errors as thrown, input validation as
 * VALIDATION_FAILED with the first offending field, transport errors by their kind, and anything
 * else as INTERNAL_ERROR with a generic message (the real one goes to the log, never the client).
 */
export function toAppError(error: TRPCError): AppError {
  let cause: unknown = error.cause;
  if (cause instanceof AppError) return cause;
  if (cause instanceof TRPCError && cause.cause instanceof AppError) return cause.cause;
  const issues = validationIssues(cause);
  if (issues && (error.code === 'BAD_REQUEST' || error.code === 'INTERNAL_SERVER_ERROR')) {
    const first = issues[0];
    const field = first ? issuePath(first) : undefined;
    const message = first
      ? `${field ? `${field}: ` : ''}${first.message}`
      : ERROR_CATALOG.VALIDATION_FAILED.message;
    return new AppError('VALIDATION_FAILED', { message, ...(field ? { field } : {}) });
  }
  const mapped = APP_CODE_BY_TRPC_CODE[error.code];
  if (mapped) return new AppError(mapped, mapped === 'ROUTE_NOT_FOUND' ? {} : { message: error.message });
  if (error.code === 'BAD_REQUEST') return new AppError('VALIDATION_FAILED', { message: error.message });
  if (databaseUnavailable(cause)) return databaseUnavailableError();
  cause = undefined;
  return new AppError('INTERNAL_ERROR');
}

/** What a request answers while PostgreSQL cannot be reached: 503, retry shortly. */
export function databaseUnavailableError(): AppError {
  return new AppError('SERVICE_UNAVAILABLE', { message: 'The database is not reachable: retry shortly.' });
}

/** SQLSTATEs that mean the server went away or refuses work for now, not that the query was wrong. */
const UNAVAILABLE_SQLSTATES = new Set([
  '57P01', // admin_shutdown: the server is stopping (a restart, a failover's fast shutdown)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up or in recovery
  '53300', // too_many_connections
  '25006', // read_only_sql_transaction: a standby (a replica answering at the primary's address)
]);
const UNAVAILABLE_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
const UNAVAILABLE_MESSAGES = [
  /^Connection terminated/, // pg: the socket closed under a query or while connecting
  /^timeout exceeded when trying to connect/, // pg Pool: no connection within connectionTimeoutMillis
  /^Client has encountered a connection error and is not queryable/,
  /^Cannot use a pool after calling end/,
];

/**
 * Whether an error (or anything in its cause chain: drizzle wraps the driver's) says that the
 * database cannot be reached right now: a connection lost or refused, a server shutting down or
 * still in recovery, a standby at the primary's address. Such a request is not a bug: it answers
 * 503 SERVICE_UNAVAILABLE (retryable; nothing was written, or a retry with the same idempotency key
 * finds what was), and the gateway serves again by itself when the database is back.
 */
export function databaseUnavailable(error: unknown): boolean {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 8; depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string') {
      if (code.startsWith('08') || UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_ERRNOS.has(code))
        return true;
    }
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.some((m) => m.test(message))) return true;
    // AggregateError (a connect that tried IPv4 and IPv6) carries the real ones in `errors`.
    const nested = (e as { errors?: unknown }).errors;
    if (Array.isArray(nested) && nested.some((n) => databaseUnavailable(n))) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * SQLSTATEs a read replica answers where the primary would not: a query cancelled by a conflict with
 * the WAL it replays (40001 on a standby: "canceling statement due to conflict with recovery"), and
 * a table, column or function a migration made that it has not replayed yet.
 */
const REPLICA_SQLSTATES = new Set(['40001', '42P01', '42703', '42883']);

/**
 * Whether a read that failed on the read replica is to be answered by the primary instead: the
 * replica is unreachable or stopping (as `databaseUnavailable` says), refuses a write (25006: a
 * procedure routed there by mistake), or answers one of REPLICA_SQLSTATES.
 */
export function replicaCannotServe(error: unknown): boolean {
  if (databaseUnavailable(error)) return true;
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 8; depth++) {
    const { code } = e as { code?: unknown };
    if (typeof code === 'string' && REPLICA_SQLSTATES.has(code)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

export type ErrorData = {
  code: TErrorCode;
  httpStatus: number;
  field?: string;
  requestId: string;
  retryable: boolean;
  docUrl: string;
  path?: string;
};

export function errorData(app: AppError, requestId: string, path: string | undefined): ErrorData {
  return {
    code: app.code,
    httpStatus: app.status,
    ...(app.field ? { field: app.field } : {}),
    requestId,
    retryable: RETRYABLE_ERROR_CODES.has(app.code),
    docUrl: errorDocUrl(app.code),
    ...(path ? { path } : {}),
  };
}
