import { createHash } from 'node:crypto';
import { AppError, isErrorCode } from '@latih/contracts';
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  type Db,
  holdIdempotencyKey,
  type IdempotencyRecord,
  releaseIdempotencyKey,
} from '@latih/db';
import { canonicalJson } from './canonical-json';
import type { Sealer } from './sealing';

/** Keys are kept at least this long (Stripe keeps 24 h). */
export const IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60 * 1000;
/**
 * A first attempt that has not finished by then, and whose transaction no longer holds its key (it
 * died with its connection, or never got as far), is presumed dead: a retry may take the key over.
 * An attempt whose transaction is alive keeps its key however long it runs (see `runIdempotent`).
 */
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
 * An unlocked IN_PROGRESS key younger than this is presumed to be between its attempt's claim and
 * that attempt's transaction (normally milliseconds); an older one, to belong to an attempt that
 * died. See `inProgress` for what this changes in `Retry-After`.
 */
export const IDEMPOTENCY_QUIET_MS = 5_000;

/**
 * A refusal that the same request may not meet later: the seconds after which a retry can get
 * somewhere (the errors middleware sends them as `Retry-After`). Never stored under an idempotency
 * key: a retry with the same key after `Retry-After` runs again instead of replaying the refusal.
 */
export class RetryLaterError extends AppError {
  constructor(
    code: ConstructorParameters<typeof AppError>[0],
    readonly retryAfterSeconds: number,
    opts: ConstructorParameters<typeof AppError>[1] = {},
  ) {
    super(code, opts);
  }
}

/**
 * For a limit of so many per sliding window: the seconds until the oldest counted request leaves
 * the window (it counts while at most `windowMs` old), the first whole second after that.
 */
export function secondsUntilWindowFrees(oldest: Date | null, windowMs: number, now: Date): number {
  const frees = (oldest ?? now).getTime() + windowMs;
  return Math.max(1, Math.floor((frees - now.getTime()) / 1000) + 1);
}

/** IDEMPOTENCY_IN_PROGRESS with the seconds after which a retry can get somewhere. */
export class IdempotencyInProgressError extends RetryLaterError {
  constructor(retryAfterSeconds: number) {
    super('IDEMPOTENCY_IN_PROGRESS', retryAfterSeconds);
  }
}

/** Stored refusals rethrown by a replay: the transport marks them `Idempotent-Replayed: true`. */
const replayedRefusals = new WeakSet<object>();
export function isReplayedRefusal(err: unknown): boolean {
  return typeof err === 'object' && err !== null && replayedRefusals.has(err);
}

/**
 * This attempt lost its key to another (a takeover after its lock passed): it must not answer for
 * it. The client's retry gets the owner's answer (or IN_PROGRESS while the owner runs).
 */
class FencedOutError extends IdempotencyInProgressError {
  constructor() {
    super(1);
  }
}

/**
 * Stripe's idempotency semantics around one mutation:
 * - a new key runs `run` in a transaction that also stores the response, so the effect and the
 *   record of it commit together (a crash cannot leave an effect without its replay);
 * - the same key and request replays the stored response, success or domain error;
 * - the same key with another request → IDEMPOTENCY_KEY_REUSED;
 * - the same key while the first attempt runs → IDEMPOTENCY_IN_PROGRESS (retryable).
 * Unexpected failures and input validation errors release the key: nothing was written, so a
 * retry must be allowed to run.
 *
 * Fencing: every claim writes a new random token into the key's row, and completing or releasing
 * the key succeeds only while the row still carries this attempt's token. An attempt that finds
 * itself fenced out (a retry took the key over after IDEMPOTENCY_LOCK_MS) rolls its effects back
 * and answers IDEMPOTENCY_IN_PROGRESS, so that the client's retry replays the owner's answer: a late
 * attempt can never overwrite a stored answer (a voucher code is shown once).
 *
 * Holding: the attempt's transaction starts by locking its key's row (`holdIdempotencyKey`) and
 * keeps it locked until it commits or rolls back, and a claim never takes over a locked row. So a
 * takeover cannot even start while the first attempt's transaction is alive, however long it runs
 * (or however far a sandbox test clock jumps meanwhile): only one attempt ever runs, and the lock
 * time only decides when the key of an attempt that died (its transaction gone with its connection)
 * may be taken over. Without the hold, both attempts would run and the loser's effects would be
 * rolled back by the fence; with it, the loser does not run at all, so even side effects outside
 * the database (a call to the payment provider) are not repeated behind a live attempt. The fence still guards the
 * instants the row is not held: between the claim and the transaction's first statement (a wait
 * for a pooled connection), and after a rollback, when a refusal is stored or the key released.
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
    now: new Date(now),
    lockedUntil: new Date(now + IDEMPOTENCY_LOCK_MS),
    expiresAt: new Date(now + IDEMPOTENCY_RETENTION_MS),
  });
  if (!claim.claimed) {
    return { result: replay<T>(claim.existing, claim.held, hash, now, opts.sealer), replayed: true };
  }
  const mine = { ...ref, attempt: claim.attempt };
  const store = (value: unknown) => (opts.sealer ? { sealed: opts.sealer.seal(value) } : value);
  const complete = async (db: Db, responseStatus: number, responseBody: unknown) => {
    // Kept 24 h from the answer, read on the clock as it is now: an answer that moved the sandbox
    // clock (sandbox.clock.advance) must outlive the move, or a retry of it would move it again.
    const expiresAt = new Date((opts.now ?? Date.now)() + IDEMPOTENCY_RETENTION_MS);
    if (!(await completeIdempotencyKey(db, { ...mine, responseStatus, responseBody, expiresAt })))
      throw new FencedOutError();
  };

  try {
    let refusal: AppError | undefined;
    const result = await opts.db.transaction(async (tx) => {
      if (!(await holdIdempotencyKey(tx, mine))) throw new FencedOutError();
      try {
        const value = await opts.run(tx);
        await complete(tx, 200, store(value ?? null));
        return value;
      } catch (err) {
        // A refusal whose effects must persist: commit them with the stored refusal, then throw.
        if (!(err instanceof AppError && err.commit)) throw err;
        refusal = err;
        await complete(tx, err.status, storedError(err));
        return undefined as T;
      }
    });
    if (refusal) throw refusal;
    return { result, replayed: false };
  } catch (err) {
    if (err instanceof AppError && err.commit) throw err;
    // Fenced out: the transaction rolled back; the key and its answer belong to another attempt.
    if (err instanceof FencedOutError) throw err;
    if (err instanceof AppError && err.status < 500 && !(err instanceof RetryLaterError)) {
      const body: StoredError = {
        code: err.code,
        message: err.message,
        ...(err.field ? { field: err.field } : {}),
      };
      // Stored after the rollback, so fenced like any completion: a late refusal never overwrites.
      await complete(opts.db, err.status, body);
    } else {
      await releaseIdempotencyKey(opts.db, mine).catch(() => undefined);
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

function replay<T>(
  existing: IdempotencyRecord | undefined,
  held: boolean,
  hash: string,
  now: number,
  sealer: Sealer | undefined,
): T {
  if (!existing) {
    // Deleted between our insert and our read (expiry sweep): the client may simply retry.
    throw new IdempotencyInProgressError(1);
  }
  if (existing.requestHash !== hash)
    throw new AppError('IDEMPOTENCY_KEY_REUSED', { field: 'Idempotency-Key' });
  if (existing.status === 'IN_PROGRESS') throw inProgress(existing, held, now);
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
  const refusal = new AppError(code, {
    message: stored.message,
    ...(stored.field ? { field: stored.field } : {}),
  });
  replayedRefusals.add(refusal);
  throw refusal;
}

/**
 * How long to tell the client to wait. A key whose row a transaction holds belongs to an attempt
 * that is running: it usually ends within the second (1 s). So does a key claimed moments ago and
 * not yet held (its attempt is starting). A key unheld for longer belongs to an attempt that died:
 * nothing changes before its lock expires, so that is when to come back (at most
 * IDEMPOTENCY_LOCK_MS); the retry then takes the key over and runs.
 */
function inProgress(existing: IdempotencyRecord, held: boolean, now: number): IdempotencyInProgressError {
  const quiet = now - existing.createdAt.getTime() >= IDEMPOTENCY_QUIET_MS;
  if (held || !quiet) return new IdempotencyInProgressError(1);
  return new IdempotencyInProgressError(
    Math.max(1, Math.ceil((existing.lockedUntil.getTime() - now) / 1000)),
  );
}
