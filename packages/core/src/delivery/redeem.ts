import {
  AppError,
  type TEnrollment,
  type TErrorCode,
  ZBulkRedeemInputSchema,
  ZRedeemVoucherInputSchema,
} from '@latih/contracts';
import {
  type Db,
  findParticipant,
  findRunRow,
  findVoucherByCodeHash,
  insertEnrollment,
  markRedeemed,
  toVoucher,
  type VoucherRow,
} from '@latih/db';
import type { z } from 'zod';
import { type Actor, actorRef } from '../auth/actor';
import { resolveScheme } from '../catalog/rules';
import { recordChange } from '../changes';
import { newId } from '../ids';
import { hashVoucherCode, normalizeVoucherCode } from '../vouchers/code';

type Window = { opensAt: Date | null; closesAt: Date };

/**
 * When a voucher may be redeemed: for a run, from `before` minutes before to `after` minutes after
 * its first session starts (the participant's scheme says how long); self-paced, until the voucher's
 * deadline.
 */
async function windowOf(db: Db, v: VoucherRow): Promise<Window> {
  if (!v.runId) return { opensAt: null, closesAt: v.expiresAt };
  const run = await findRunRow(db, v.runId, {});
  const participant = await findParticipant(db, v.participantId);
  if (!run || !participant) throw new AppError('INTERNAL_ERROR');
  const rules = (await resolveScheme(db, participant.schemeId, run.startsAt)).rules.redemptionWindow;
  return {
    opensAt: new Date(run.startsAt.getTime() - rules.beforeMinutes * 60_000),
    closesAt: new Date(run.startsAt.getTime() + rules.afterMinutes * 60_000),
  };
}

/** The refusal redeem would give for this voucher now, or null. Order: who, what, state, time. */
function refusalFor(
  v: VoucherRow,
  actor: Actor,
  target: { courseId?: string; runId?: string | undefined },
  w: Window,
  now: Date,
): TErrorCode | null {
  if (v.providerId !== actor.organisationId) return 'VOUCHER_OTHER_PROVIDER';
  if (target.courseId && (v.courseId !== target.courseId || (target.runId && v.runId !== target.runId)))
    return 'VOUCHER_WRONG_COURSE';
  if (v.status === 'CANCELLED') return 'VOUCHER_CANCELLED';
  if (v.status === 'EXPIRED') return 'VOUCHER_EXPIRED';
  if (v.status !== 'ISSUED') return 'VOUCHER_ALREADY_REDEEMED';
  if (w.opensAt && now < w.opensAt) return 'REDEMPTION_WINDOW_NOT_OPEN';
  if (now > w.closesAt) return 'REDEMPTION_WINDOW_CLOSED';
  return null;
}

async function voucherByCode(db: Db, code: string, opts: { forUpdate?: boolean } = {}): Promise<VoucherRow> {
  const canonical = normalizeVoucherCode(code);
  if (!canonical) throw new AppError('CODE_MALFORMED', { field: 'code' });
  const v = await findVoucherByCodeHash(db, hashVoucherCode(canonical), opts);
  if (!v) throw new AppError('VOUCHER_NOT_FOUND', { field: 'code' });
  return v;
}

function requireProvider(actor: Actor): void {
  if (actor.role !== 'provider') throw new AppError('FORBIDDEN_ROLE');
}

/** What the voucher is and whether it could be redeemed now. Reads only: no side effect. */
export async function checkVoucher(opts: { db: Db; actor: Actor; input: { code: string }; now?: Date }) {
  requireProvider(opts.actor);
  const now = opts.now ?? new Date();
  const v = await voucherByCode(opts.db, opts.input.code);
  // Another provider learns only that the voucher is not theirs, nothing of it.
  if (v.providerId !== opts.actor.organisationId)
    throw new AppError('VOUCHER_OTHER_PROVIDER', { field: 'code' });
  const w = await windowOf(opts.db, v);
  const refusal = refusalFor(v, opts.actor, {}, w, now);
  return {
    voucher: toVoucher(v),
    redeemable: refusal === null,
    refusal,
    window: { opensAt: w.opensAt?.toISOString() ?? null, closesAt: w.closesAt.toISOString() },
  };
}

async function redeemOne(
  tx: Db,
  actor: Actor,
  requestId: string | null,
  input: { code: string; courseId: string; runId?: string | undefined },
  now: Date,
): Promise<TEnrollment> {
  const v = await voucherByCode(tx, input.code);
  const refusal = refusalFor(v, actor, input, await windowOf(tx, v), now);
  if (refusal) throw new AppError(refusal, { field: 'code' });
  // The conditional update is what makes it exactly once under any concurrency.
  const redeemed = await markRedeemed(tx, v.id, now);
  if (!redeemed) {
    const current = await voucherByCode(tx, input.code);
    throw new AppError(current.status === 'CANCELLED' ? 'VOUCHER_CANCELLED' : 'VOUCHER_ALREADY_REDEEMED', {
      field: 'code',
    });
  }
  const participant = await findParticipant(tx, v.participantId);
  const row = await insertEnrollment(tx, {
    id: newId('enrollment', now.getTime()),
    voucherId: v.id,
    participantId: v.participantId,
    providerId: v.providerId,
    courseId: v.courseId,
    runId: v.runId,
    status: 'IN_TRAINING',
    redeemedAt: now,
  });
  const ref = actorRef(actor, requestId);
  await recordChange(tx, {
    actor: ref,
    action: 'voucher.redeemed',
    entityType: 'voucher',
    entityId: v.id,
    fromState: 'ISSUED',
    toState: 'REDEEMED',
    auditData: { enrollmentId: row.id },
    event: {
      type: 'voucher.redeemed',
      organisationId: v.platformId,
      data: { voucher: toVoucher(redeemed), enrollmentId: row.id },
    },
  });
  return {
    id: row.id,
    voucherId: row.voucherId,
    participant: { id: row.participantId, name: participant?.name ?? '' },
    courseId: row.courseId,
    runId: row.runId,
    status: row.status,
    redeemedAt: row.redeemedAt.toISOString(),
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
  return opts.db.transaction((tx) => redeemOne(tx, opts.actor, opts.requestId, input, now));
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
  return opts.db.transaction(async (tx) => {
    const results = [];
    for (const [index, code] of input.codes.entries()) {
      const codeLast4 = normalizeVoucherCode(code)?.slice(-4) ?? null;
      try {
        const enrollment = await tx.transaction((sp) =>
          redeemOne(
            sp,
            opts.actor,
            opts.requestId,
            { code, courseId: input.courseId, runId: input.runId },
            now,
          ),
        );
        results.push({ index, codeLast4, status: 'REDEEMED' as const, enrollment, error: null });
      } catch (err) {
        if (!(err instanceof AppError) || err.status >= 500) throw err;
        results.push({
          index,
          codeLast4,
          status: 'REFUSED' as const,
          enrollment: null,
          error: { code: err.code, message: err.message },
        });
      }
    }
    const redeemed = results.filter((r) => r.status === 'REDEEMED').length;
    return { summary: { redeemed, refused: results.length - redeemed }, results };
  });
}
