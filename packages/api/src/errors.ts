import { AppError, ERROR_CATALOG, RETRYABLE_ERROR_CODES, type TErrorCode } from '@latih/contracts';
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
  cause = undefined;
  return new AppError('INTERNAL_ERROR');
}

export type ErrorData = {
  code: TErrorCode;
  httpStatus: number;
  field?: string;
  requestId: string;
  retryable: boolean;
  path?: string;
};

export function errorData(app: AppError, requestId: string, path: string | undefined): ErrorData {
  return {
    code: app.code,
    httpStatus: app.status,
    ...(app.field ? { field: app.field } : {}),
    requestId,
    retryable: RETRYABLE_ERROR_CODES.has(app.code),
    ...(path ? { path } : {}),
  };
}
