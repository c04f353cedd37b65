import type { AppRouter } from '@latih/api/router';
import type { TClientErrorCode, TErrorCode } from '@latih/contracts';
import { TRPCClientError } from '@trpc/client';

/**
 * Every code the gateway may answer with, plus two of the client's own: NETWORK_ERROR when no
 * answer came at all, CLIENT_AUTH_FAILED when the token endpoint refused the client id/secret.
 */
export type LatihErrorCode = TErrorCode | TClientErrorCode;

type ErrorData = {
  code?: string;
  httpStatus?: number;
  field?: string;
  requestId?: string;
  retryable?: boolean;
  docUrl?: string;
};

/**
 * The one error type the SDK throws. `code` is stable and documented in the error catalog, one page
 * per code at `docUrl` on the gateway (`/docs/errors/<CODE>`); `retryable` says whether repeating
 * the same call (with the same idempotency key) may succeed. `requestId` is the gateway's request id
 * (the token endpoint's when the client's credentials were refused): quote it when you report one.
 */
export class LatihError extends TRPCClientError<AppRouter> {
  readonly code: LatihErrorCode;
  readonly status: number | undefined;
  readonly field: string | undefined;
  readonly requestId: string | undefined;
  readonly retryable: boolean;
  /** The code's page on the gateway, a path such as `/docs/errors/NOT_FOUND`. */
  readonly docUrl: string;

  constructor(source: TRPCClientError<AppRouter>) {
    super(source.message, {
      cause: source.cause ?? source,
      result: source.shape ? { error: source.shape } : undefined,
    } as never);
    // TRPCClientError resets the prototype to its own; restore ours so instanceof works.
    Object.setPrototypeOf(this, new.target.prototype);
    this.name = 'LatihError';
    const data = (source.data ?? undefined) as ErrorData | undefined;
    const auth = findAuthError(source);
    this.code = (data?.code as LatihErrorCode | undefined) ?? (auth ? 'CLIENT_AUTH_FAILED' : 'NETWORK_ERROR');
    this.status = data?.httpStatus ?? auth?.status;
    this.field = data?.field;
    this.requestId = data?.requestId ?? auth?.requestId;
    this.retryable = data?.retryable ?? this.code === 'NETWORK_ERROR';
    this.docUrl = data?.docUrl ?? `/docs/errors/${this.code}`;
  }
}

export function isLatihError(err: unknown): err is LatihError {
  return err instanceof LatihError;
}

/**
 * Thrown when the token endpoint refuses the client: `error` is RFC 6749 §5.2's code
 * (`invalid_client`, `invalid_scope`, `unauthorized_client`, `rate_limited`, …), `requestId` the
 * endpoint's. A call reaches you as a LatihError with code CLIENT_AUTH_FAILED and this as its cause.
 */
export class LatihAuthError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
    readonly status: number,
    readonly requestId?: string,
  ) {
    super(`${error}: ${description}`);
    this.name = 'LatihAuthError';
  }
}

function findAuthError(err: unknown): LatihAuthError | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof LatihAuthError) return e;
  }
  return undefined;
}
