import { AppError, staffPermissions, type TRole } from '@latih/contracts';
import {
  createSealer,
  csrfMatches,
  isReplayedRefusal,
  RetryLaterError,
  runIdempotent,
  type Sealer,
  staffSession,
} from '@latih/core';
import type { Db } from '@latih/db';
import { initTRPC, TRPCError } from '@trpc/server';
import { type AuthedContext, servicesOf } from './context';
import type { ApiContext } from './context-types';
import {
  databaseUnavailable,
  type ErrorData,
  errorData,
  replicaCannotServe,
  toAppError,
  toTRPCError,
} from './errors';
import type { ApiMeta } from './meta';

const t = initTRPC
  .context<ApiContext>()
  .meta<ApiMeta>()
  .create({
    // Plain JSON on the wire (no transformer): tRPC and REST bodies are the same.
    errorFormatter({ shape, error, ctx, path }) {
      const app = toAppError(error);
      const data: ErrorData = errorData(app, ctx?.requestId ?? 'unknown', path);
      // No stack, no internal message: the shape is built from the AppError alone.
      return { message: app.message, code: shape.code, data };
    },
  });

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/**
 * Outermost middleware: domain code throws AppError; here it becomes a TRPCError with the
 * matching HTTP status, and unexpected errors are logged with the request id.
 */
const errors = t.middleware(async ({ next, ctx, path }) => {
  const result = await next();
  if (result.ok) return result;
  const app = toAppError(result.error);
  if (app.code === 'INTERNAL_ERROR') {
    servicesOf(ctx).log.error(
      { err: result.error.cause ?? result.error, requestId: ctx.requestId, path },
      'unhandled error',
    );
  } else if (app.code === 'SERVICE_UNAVAILABLE' && databaseUnavailable(result.error)) {
    servicesOf(ctx).log.warn(
      { err: result.error.cause ?? result.error, requestId: ctx.requestId, path },
      'database unavailable',
    );
  }
  // An idempotency key held by an attempt that died is free only when its lock expires, a throttle
  // (PASSPORT_CONSENTS_TOO_MANY) only when its window moves on: such errors know when (core's
  // RetryLaterError); otherwise a second is the best guess.
  if (app instanceof RetryLaterError) ctx.setHeader('Retry-After', String(app.retryAfterSeconds));
  else if (app.code === 'IDEMPOTENCY_IN_PROGRESS' || app.code === 'SERVICE_UNAVAILABLE')
    ctx.setHeader('Retry-After', '1');
  throw toTRPCError(app);
});

/**
 * Where a query reads (ctx.db): the read replica for reads that may lag (`reads: 'replica'` in the
 * meta, or every query of a CSV export) while the replica serves, the primary otherwise. A read the
 * replica fails as an unusable replica fails (it went away, a conflict with recovery cancelled it, it
 * lacks a table a migration made) is answered by the primary instead: the partner never sees the
 * replica's trouble, and the replica serves again once its next check finds it usable. A NOT_FOUND
 * from the replica is asked again of the primary. Mutations, and everything else, read and write
 * the primary (inside a mutation, its transaction). See ADR 0008.
 */
const replicaReads = t.middleware(async ({ ctx, meta, type, next }) => {
  const services = servicesOf(ctx);
  const primary = (ctx as { db?: Db }).db ?? services.db;
  const replica = services.replica;
  if (!replica || type !== 'query' || (meta?.reads !== 'replica' && services.readsFromReplica !== true))
    return next({ ctx: { db: primary } });
  const db = replica.current();
  if (!db) return next({ ctx: { db: primary } });
  const result = await next({ ctx: { db } });
  if (result.ok) return result;
  // Not there yet? A record a webhook just announced may be a moment away on the replica: the
  // primary says for sure (a genuine NOT_FOUND costs one more indexed read).
  if (toAppError(result.error).code === 'NOT_FOUND') {
    replica.missed();
    return next({ ctx: { db: primary } });
  }
  if (!replicaCannotServe(result.error)) return result;
  replica.failed(result.error.cause ?? result.error);
  return next({ ctx: { db: primary } });
});

const baseProcedure = t.procedure.use(errors);

/** No token needed; ctx.db is where the procedure reads (the replica for `reads: 'replica'`). */
export const publicProcedure = baseProcedure.use(replicaReads);

/** One sealer per data key and purpose: stored idempotent responses, webhook secrets. */
const sealers = new WeakMap<Buffer, Map<string, Sealer>>();
export function sealerFor(secret: Buffer, purpose = 'idempotency-responses'): Sealer {
  let byPurpose = sealers.get(secret);
  if (!byPurpose) {
    byPurpose = new Map();
    sealers.set(secret, byPurpose);
  }
  let s = byPurpose.get(purpose);
  if (!s) {
    s = createSealer(secret, purpose);
    byPurpose.set(purpose, s);
  }
  return s;
}

const BEARER = /^Bearer ([A-Za-z0-9\-_.]+)$/;

const authenticated = t.middleware(async ({ ctx, next, type }) => {
  if (!ctx.authorization && ctx.sessionCookie) {
    // A PMO staff member in the console: the session cookie, and for changes its CSRF token.
    const services = servicesOf(ctx);
    const now = new Date(services.now());
    // Sessions live in real time: a sandbox clock moved ahead must not sign staff out.
    const found = await staffSession({ db: services.db, token: ctx.sessionCookie, now: new Date() });
    if (!found) throw new AppError('SESSION_INVALID');
    if (type === 'mutation' && !csrfMatches(ctx.sessionCookie, ctx.csrfToken))
      throw new AppError('CSRF_INVALID');
    return next({
      ctx: { actor: found.actor, db: services.db, now } satisfies Pick<AuthedContext, 'actor' | 'db' | 'now'>,
    });
  }
  if (!ctx.authorization) throw new AppError('TOKEN_MISSING');
  const match = BEARER.exec(ctx.authorization);
  if (!match?.[1])
    throw new AppError('TOKEN_INVALID', { message: 'Send the token as Authorization: Bearer <token>.' });
  const services = servicesOf(ctx);
  const actor = services.tokens.verify(match[1]);
  const authed: Pick<AuthedContext, 'actor' | 'db' | 'now'> = {
    actor,
    db: services.db,
    now: new Date(services.now()),
  };
  return next({ ctx: authed });
});

/**
 * Stripe-style idempotency for every mutation that carries an Idempotency-Key. The procedure runs
 * in the transaction that stores its response; a replay answers without running it again.
 */
const idempotent = t.middleware(async (opts) => {
  const { ctx, type, path, next, getRawInput } = opts;
  const key = ctx.idempotencyKey;
  if (type !== 'mutation' || key === null) return next();
  const authed = ctx as unknown as AuthedContext;
  const services = servicesOf(ctx);
  const { result, replayed } = await runIdempotent({
    db: services.db,
    clientId: authed.actor.clientId,
    key,
    procedure: path,
    input: await getRawInput(),
    now: services.now,
    sealer: sealerFor(services.nikHashKey),
    run: async (tx) => {
      const r = await next({ ctx: { db: tx } });
      if (r.ok) return r.data;
      // Unwrap so the idempotency layer can tell a domain refusal (stored) from a failure (released).
      throw r.error.cause instanceof AppError ? r.error.cause : r.error;
    },
  }).catch((err: unknown) => {
    // A stored refusal answered again is a replay too: say so, as for a replayed success.
    if (isReplayedRefusal(err)) ctx.setHeader('Idempotent-Replayed', 'true');
    throw err;
  });
  if (replayed) ctx.setHeader('Idempotent-Replayed', 'true');
  // A replay has no downstream result object: build the one tRPC expects from the stored data.
  return { ok: true, data: result, ctx } as unknown as Awaited<ReturnType<typeof next>>;
});

/** A token-bearing caller of the given role (any role when omitted), with idempotent mutations. */
function authedProcedure(role?: TRole) {
  return baseProcedure
    .use(authenticated)
    .use(({ ctx, next, meta, type, path }) => {
      if (role && ctx.actor.role !== role) {
        throw new AppError('FORBIDDEN_ROLE', { message: `Only ${role} clients may call this procedure.` });
      }
      const staffRole = ctx.actor.staffRole;
      if (staffRole && (ctx.actor.role === 'pmo' || ctx.actor.role === 'provider')) {
        // A console session: the staff member's role limits what they may change, and for
        // provider staff what they may read (the server decides; the console only hides).
        const may = staffPermissions(ctx.actor.role, staffRole);
        const denied =
          type === 'mutation'
            ? !may.writes.some((p) => path.startsWith(p))
            : may.readsDenied.some((p) => path.startsWith(p));
        if (denied)
          throw new AppError('FORBIDDEN_ROLE', {
            message: `Your staff role (${staffRole}) may not call ${path}.`,
          });
      }
      if (meta?.scope && !ctx.actor.scopes.includes(meta.scope)) {
        throw new AppError('SCOPE_MISSING', { message: `This procedure needs the ${meta.scope} scope.` });
      }
      return next();
    })
    .use(idempotent)
    .use(replicaReads);
}

export const anyRoleProcedure = authedProcedure();
export const providerProcedure = authedProcedure('provider');
export const platformProcedure = authedProcedure('platform');
export const pmoProcedure = authedProcedure('pmo');

export { TRPCError };
