import { createHash } from 'node:crypto';
import { AppError, isErrorCode } from '@latih/contracts';
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  type Db,
  type IdempotencyRecord,
  releaseIdempotencyKey,
} from '@latih/db';
import { canonicalJson } from './canonical-json';
import type { Sealer } from './sealing';

/** Keys are kept at least this long (Stripe keeps 24 h). */
export const IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60 * 1000;
/** A first attempt that has not finished by then is presumed dead; a retry may take the key over. */
export const IDEMPOTENCY_LOCK_MS = 2 * 60 * 1000;

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export function validateIdempotencyKey(key: string): void {
  if (!KEY_PATTERN.test(key)) throw new AppError('IDEMPOTENCY_KEY_INVALID', { field: 'Idempotency-Key' });
}

export function requestHash(procedure: string, input: unknown): string {
  return createHash('sha256')
    .update(`${procedure}\n${canonicalJson(input)}`)
    .digest('base64url');
}

type StoredError = { code: string; message: string; field?: string };

/**
 * Stripe's idempotency semantics around one mutation:
 * - a new key runs `run` in a transaction that also stores the response, so the effect and the
 *   record of it commit together (a crash cannot leave an effect without its replay);
 * - the same key and request replays the stored response, success or domain error;
 * - the same key with another request → IDEMPOTENCY_KEY_REUSED;
 * - the same key while the first attempt runs → IDEMPOTENCY_IN_PROGRESS (retryable).
 * Unexpected failures and input validation errors release the key: nothing was written, so a
 * retry must be allowed to run.
 */
export async function runIdempotent<T>(opts: {
  db: Db;
  clientId: string;
  key: string;
  procedure: string;
  input: unknown;
  run: (tx: Db) => Promise<T>;
  now?: () => number;
  /** Stored responses are sealed at rest (they may hold a voucher code shown once, or personal data). */
  sealer?: Sealer;
}): Promise<{ result: T; replayed: boolean }> {
  validateIdempotencyKey(opts.key);
  const now = (opts.now ?? Date.now)();
  const hash = requestHash(opts.procedure, opts.input);
  const ref = { clientId: opts.clientId, key: opts.key };
  const claim = await claimIdempotencyKey(opts.db, {
    ...ref,
    procedure: opts.procedure,
    requestHash: hash,
    lockedUntil: new Date(now + IDEMPOTENCY_LOCK_MS),
    expiresAt: new Date(now + IDEMPOTENCY_RETENTION_MS),
  });
  if (!claim.claimed) return { result: replay<T>(claim.existing, hash, opts.sealer), replayed: true };
  const store = (value: unknown) => (opts.sealer ? { sealed: opts.sealer.seal(value) } : value);

  try {
    let refusal: AppError | undefined;
    const result = await opts.db.transaction(async (tx) => {
      try {
        const value = await opts.run(tx);
        await completeIdempotencyKey(tx, { ...ref, responseStatus: 200, responseBody: store(value ?? null) });
        return value;
      } catch (err) {
        // A refusal whose effects must persist: commit them with the stored refusal, then throw.
        if (!(err instanceof AppError && err.commit)) throw err;
        refusal = err;
        await completeIdempotencyKey(tx, {
          ...ref,
          responseStatus: err.status,
          responseBody: storedError(err),
        });
        return undefined as T;
      }
    });
    if (refusal) throw refusal;
    return { result, replayed: false };
  } catch (err) {
    if (err instanceof AppError && err.commit) throw err;
    if (err instanceof AppError && err.status < 500 && err.code !== 'IDEMPOTENCY_IN_PROGRESS') {
      const body: StoredError = {
        code: err.code,
        message: err.message,
        ...(err.field ? { field: err.field } : {}),
      };
      await completeIdempotencyKey(opts.db, { ...ref, responseStatus: err.status, responseBody: body });
    } else {
      await releaseIdempotencyKey(opts.db, ref).catch(() => undefined);
    }
    throw err;
  }
}

function storedError(err: AppError): StoredError {
  return { code: err.code, message: err.message, ...(err.field ? { field: err.field } : {}) };
}

/**
 * A transaction that commits when `fn` throws an AppError marked `commit` (its effects must
 * persist), then rethrows it; any other error rolls back as usual.
 */
export async function withCommittedRefusals<T>(db: Db, fn: (tx: Db) => Promise<T>): Promise<T> {
  let refusal: AppError | undefined;
  const result = await db.transaction(async (tx) => {
    try {
      return await fn(tx);
    } catch (err) {
      if (!(err instanceof AppError && err.commit)) throw err;
      refusal = err;
      return undefined as T;
    }
  });
  if (refusal) throw refusal;
  return result;
}

function replay<T>(existing: IdempotencyRecord | undefined, hash: string, sealer: Sealer | undefined): T {
  if (!existing) {
    // Deleted between our insert and our read (expiry sweep): the client may simply retry.
    throw new AppError('IDEMPOTENCY_IN_PROGRESS');
  }
  if (existing.requestHash !== hash)
    throw new AppError('IDEMPOTENCY_KEY_REUSED', { field: 'Idempotency-Key' });
  if (existing.status === 'IN_PROGRESS') throw new AppError('IDEMPOTENCY_IN_PROGRESS');
  if (existing.responseStatus === 200) {
    const body = existing.responseBody as { sealed?: unknown } | null;
    if (body && typeof body === 'object' && typeof body.sealed === 'string') {
      if (!sealer) throw new AppError('INTERNAL_ERROR');
      return sealer.open(body.sealed) as T;
    }
    return existing.responseBody as T;
  }
  const stored = existing.responseBody as StoredError;
  const code = isErrorCode(stored.code) ? stored.code : 'INTERNAL_ERROR';
  throw new AppError(code, { message: stored.message, ...(stored.field ? { field: stored.field } : {}) });
}
