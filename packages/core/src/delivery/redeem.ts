import {
  AppError,
  type TEnrollment,
  type TErrorCode,
  ZBulkRedeemInputSchema,
  ZRedeemVoucherInputSchema,
} from '@latih/contracts';
import {
  type Db,
  findRedeemCandidates,
  type RedeemCandidate,
  redeemVoucherSet,
  toVoucher,
  tryRedeemSelfPaced,
  type VoucherRow,
  voucherStatuses,
} from '@latih/db';
import type { z } from 'zod';
import { type Actor, actorRef, requireProvider } from '../auth/actor';
import { resolveScheme } from '../catalog/rules';
import { newId } from '../ids';
import { hashVoucherCode, normalizeVoucherCode } from '../vouchers/code';

type Window = { opensAt: Date | null; closesAt: Date };

/**
 * When a voucher may be redeemed: for a run, from `before` minutes before to `after` minutes after
 * its first session starts (the participant's scheme says how long); self-paced, until the voucher's
 * deadline.
 */
async function windowOfCandidate(db: Db, v: RedeemCandidate): Promise<Window> {
  if (!v.runId) return { opensAt: null, closesAt: v.expiresAt };
  if (!v.runStartsAt) throw new AppError('INTERNAL_ERROR');
  const rules = (await resolveScheme(db, v.participantSchemeId, v.runStartsAt)).rules.redemptionWindow;
  return {
    opensAt: new Date(v.runStartsAt.getTime() - rules.beforeMinutes * 60_000),
    closesAt: new Date(v.runStartsAt.getTime() + rules.afterMinutes * 60_000),
  };
}

/** The refusal redeem would give for this voucher now, or null. Order: who, what, state, time. */
function refusalFor(
  v: VoucherRow & { providerStatus?: string },
  actor: Actor,
  target: { courseId?: string; runId?: string | undefined },
  w: Window,
  now: Date,
): TErrorCode | null {
  if (v.providerId !== actor.organisationId) return 'VOUCHER_OTHER_PROVIDER';
  if (v.providerStatus !== undefined && v.providerStatus !== 'ACTIVE') return 'ORGANISATION_SUSPENDED';
  if (target.courseId && (v.courseId !== target.courseId || (target.runId && v.runId !== target.runId)))
    return 'VOUCHER_WRONG_COURSE';
  if (v.status === 'CANCELLED') return 'VOUCHER_CANCELLED';
  if (v.status === 'EXPIRED') return 'VOUCHER_EXPIRED';
  if (v.status !== 'ISSUED') return 'VOUCHER_ALREADY_REDEEMED';
  if (w.opensAt && now < w.opensAt) return 'REDEMPTION_WINDOW_NOT_OPEN';
  if (now > w.closesAt) return 'REDEMPTION_WINDOW_CLOSED';
  return null;
}

async function voucherByCode(db: Db, code: string): Promise<RedeemCandidate> {
  const canonical = normalizeVoucherCode(code);
  if (!canonical) throw new AppError('CODE_MALFORMED', { field: 'code' });
  const [v] = await findRedeemCandidates(db, [hashVoucherCode(canonical)]);
  if (!v) throw new AppError('VOUCHER_NOT_FOUND', { field: 'code' });
  return v;
}

/** What the voucher is and whether it could be redeemed now. Reads only: no side effect. */
export async function checkVoucher(opts: { db: Db; actor: Actor; input: { code: string }; now?: Date }) {
  requireProvider(opts.actor);
  const now = opts.now ?? new Date();
  const v = await voucherByCode(opts.db, opts.input.code);
  // Another provider learns only that the voucher is not theirs, nothing of it.
  if (v.providerId !== opts.actor.organisationId)
    throw new AppError('VOUCHER_OTHER_PROVIDER', { field: 'code' });
  const w = await windowOfCandidate(opts.db, v);
  const refusal = refusalFor(v, opts.actor, {}, w, now);
  return {
    voucher: toVoucher(v),
    redeemable: refusal === null,
    refusal,
    window: { opensAt: w.opensAt?.toISOString() ?? null, closesAt: w.closesAt.toISOString() },
  };
}

type Target = {
  courseId: string;
  runId?: string | undefined;
  ip?: string | undefined;
  deviceId?: string | undefined;
};

/**
 * Redeems a set of codes: one lookup, the refusals decided here, then one statement that redeems
 * every acceptable voucher still ISSUED (see redeemVoucherSet). Each code gets its own answer; a
 * voucher a concurrent redeem or cancel took first is refused with what happened to it.
 */
async function redeemCodes(
  db: Db,
  actor: Actor,
  requestId: string | null,
  codes: string[],
  target: Target,
  now: Date,
): Promise<Array<TEnrollment | AppError>> {
  // Each code's hash, once (undefined: malformed, caught by the check character without a lookup).
  const hashed = codes.map((c) => {
    const canonical = normalizeVoucherCode(c);
    return canonical === undefined ? undefined : hashVoucherCode(canonical);
  });
  let found: Map<string, RedeemCandidate>;
  const only = hashed.length === 1 ? hashed[0] : undefined;
  if (only && !target.runId) {
    // One self-paced code, the common case: one round trip when it can be redeemed.
    const enrollmentId = newId('enrollment', now.getTime());
    const { candidate, redeemed } = await tryRedeemSelfPaced(db, {
      codeHash: only,
      providerId: actor.organisationId,
      courseId: target.courseId,
      at: now,
      enrollmentId,
      auditId: newId('audit'),
      eventId: newId('event'),
      actorClientId: actor.clientId,
      requestId,
      ip: target.ip ?? null,
      deviceId: target.deviceId ?? null,
    });
    if (candidate && redeemed) return [toEnrollment(candidate, enrollmentId, now)];
    found = new Map(candidate ? [[candidate.codeHash, candidate]] : []);
  } else {
    const hashes = [...new Set(hashed.filter((h): h is string => h !== undefined))];
    found = new Map((await findRedeemCandidates(db, hashes)).map((v) => [v.codeHash, v]));
  }
  const windows = new Map<string, Window>();
  const seen = new Set<string>();
  const answers: Array<TEnrollment | AppError | RedeemCandidate> = [];
  for (const hash of hashed) {
    if (!hash) {
      answers.push(new AppError('CODE_MALFORMED', { field: 'code' }));
      continue;
    }
    const v = found.get(hash);
    if (!v) {
      answers.push(new AppError('VOUCHER_NOT_FOUND', { field: 'code' }));
      continue;
    }
    let w = windows.get(v.id);
    if (!w) {
      w = await windowOfCandidate(db, v);
      windows.set(v.id, w);
    }
    // The same code twice in one request: the first takes it.
    const refusal = seen.has(v.id) ? 'VOUCHER_ALREADY_REDEEMED' : refusalFor(v, actor, target, w, now);
    seen.add(v.id);
    answers.push(refusal ? new AppError(refusal, { field: 'code' }) : v);
  }
  const accepted = answers.filter((a): a is RedeemCandidate => !(a instanceof AppError) && 'codeHash' in a);
  const items = accepted.map((v) => {
    const enrollmentId = newId('enrollment', now.getTime());
    return {
      voucherId: v.id,
      enrollmentId,
      auditId: newId('audit'),
      eventId: newId('event'),
      auditData: { enrollmentId },
      eventData: {
        voucher: toVoucher({ ...v, status: 'REDEEMED', redeemedAt: now }),
        enrollmentId,
      },
    };
  });
  const ref = actorRef(actor, requestId);
  const redeemed = await redeemVoucherSet(db, items, {
    at: now,
    actorOrganisationId: actor.organisationId,
    actorClientId: actor.clientId,
    requestId: ref.requestId,
    ip: target.ip ?? null,
    deviceId: target.deviceId ?? null,
  });
  const lost = accepted.filter((v) => !redeemed.has(v.id)).map((v) => v.id);
  const statuses = await voucherStatuses(db, lost);
  const enrollmentOf = new Map(items.map((i) => [i.voucherId, i.enrollmentId]));
  return answers.map((a) => {
    if (a instanceof AppError || !('codeHash' in a)) return a;
    if (!redeemed.has(a.id)) {
      const now = statuses.get(a.id);
      // Still ISSUED yet not redeemed: the provider was suspended while this request ran.
      const code =
        now === 'CANCELLED'
          ? 'VOUCHER_CANCELLED'
          : now === 'ISSUED'
            ? 'ORGANISATION_SUSPENDED'
            : 'VOUCHER_ALREADY_REDEEMED';
      return new AppError(code, { field: 'code' });
    }
    return toEnrollment(a, enrollmentOf.get(a.id) ?? '', now);
  });
}

function toEnrollment(v: RedeemCandidate, enrollmentId: string, now: Date): TEnrollment {
  return {
    id: enrollmentId,
    voucherId: v.id,
    participant: { id: v.participantId, name: v.participantName },
    courseId: v.courseId,
    runId: v.runId,
    status: 'IN_TRAINING',
    redeemedAt: now.toISOString(),
  };
}

/** Turns the voucher into an enrollment, exactly once. */
export async function redeemVoucher(opts: {
  db: Db;
  actor: Actor;
  requestId: string | null;
  input: z.input<typeof ZRedeemVoucherInputSchema>;
  now?: Date;
}) {
  requireProvider(opts.actor);
  const input = ZRedeemVoucherInputSchema.parse(opts.input);
  const now = opts.now ?? new Date();
  const [answer] = await redeemCodes(opts.db, opts.actor, opts.requestId, [input.code], input, now);
  if (!answer) throw new AppError('INTERNAL_ERROR');
  if (answer instanceof AppError) throw answer;
  return answer;
}

/** A luring class at the door: up to 100 codes, each redeemed (or refused) on its own. */
export async function bulkRedeem(opts: {
  db: Db;
  actor: Actor;
  requestId: string | null;
  input: z.input<typeof ZBulkRedeemInputSchema>;
  now?: Date;
}) {
  requireProvider(opts.actor);
  const input = ZBulkRedeemInputSchema.parse(opts.input);
  const now = opts.now ?? new Date();
  const answers = await redeemCodes(opts.db, opts.actor, opts.requestId, input.codes, input, now);
  const results = answers.map((a, index) => {
    const codeLast4 = normalizeVoucherCode(input.codes[index] ?? '')?.slice(-4) ?? null;
    return a instanceof AppError
      ? {
          index,
          codeLast4,
          status: 'REFUSED' as const,
          enrollment: null,
          error: { code: a.code, message: a.message },
        }
      : { index, codeLast4, status: 'REDEEMED' as const, enrollment: a, error: null };
  });
  const redeemed = results.filter((r) => r.status === 'REDEEMED').length;
  return { summary: { redeemed, refused: results.length - redeemed }, results };
}
