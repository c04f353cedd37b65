import {
  AppError,
  type TCheckout,
  type TCreateCheckoutInput,
  ZConfirmCheckoutInputSchema,
  ZCreateCheckoutInputSchema,
} from '@latih/contracts';
import {
  activeVoucherFor,
  type CheckoutRow,
  type Db,
  debitBalance,
  findCheckoutForUpdate,
  findCourseRow,
  findOrganisation,
  findParticipant,
  findParticipantByCard,
  findRunRow,
  insertCheckout,
  insertVoucher,
  type ParticipantRow,
  participantAccount,
  postLedgerTransaction,
  type RunRow,
  takeSeat,
  toVoucher,
  updateCheckout,
} from '@latih/db';
import { type Actor, actorRef } from '../auth/actor';
import { resolveScheme } from '../catalog/rules';
import { recordChange } from '../changes';
import { isUniqueViolation, notFound } from '../courses';
import { withCommittedRefusals } from '../idempotency';
import { newId } from '../ids';
import { assertOrganisationActive } from '../oversight/onboarding';
import { generateVoucherCode, hashVoucherCode, normalizeVoucherCode } from '../vouchers/code';
import { generateOtp, hashOtp, OTP_MAX_ATTEMPTS, OTP_TTL_MS, type OtpChannel, otpMatches } from './otp';

/** Vouchers sold in escrow until they are paid out or refunded (the ledger's view of "sold"). */
export const VOUCHER_ESCROW = 'escrow:vouchers';
/** A self-paced voucher may be redeemed for this long after purchase. */
export const SELF_PACED_VOUCHER_DAYS = 30;

type Call<I> = { db: Db; actor: Actor; requestId: string | null; input: I; now?: Date };

function requirePlatform(actor: Actor): void {
  if (actor.role !== 'platform') throw new AppError('FORBIDDEN_ROLE');
}

function assertCanBuy(participant: ParticipantRow, now: Date): void {
  if (participant.status !== 'ACTIVE') throw new AppError('PARTICIPANT_NOT_ACTIVE', { field: 'cardNumber' });
  // The population-registry check: no verdict yet, or a mismatch the program has not resolved.
  if (participant.registryStatus === 'PENDING')
    throw new AppError('PARTICIPANT_REGISTRY_PENDING', { field: 'cardNumber' });
  if (participant.registryStatus === 'BLOCKED')
    throw new AppError('PARTICIPANT_REGISTRY_BLOCKED', { field: 'cardNumber' });
  if (participant.purchaseDeadline < now) {
    throw new AppError('PURCHASE_WINDOW_CLOSED', {
      message: `The purchase window closed on ${participant.purchaseDeadline.toISOString()}.`,
      field: 'cardNumber',
    });
  }
}

/**
 * What is on sale for this participant: the course (published, provider active, same scheme) and run.
 * A course never published (a draft, in review, rejected: another provider's business) and a run
 * never opened answer exactly like an unknown id, so that a platform cannot learn they exist. One
 * that was on sale and no longer is (suspended, withdrawn, its provider suspended; a run full,
 * cancelled or under way) answers why: platforms saw it in the catalog and its change feed.
 */
async function saleableOffer(
  db: Db,
  participant: ParticipantRow,
  courseId: string,
  runId: string | undefined | null,
) {
  const course = await findCourseRow(db, courseId, { kind: 'all' });
  if (!course || course.publishedAt === null) throw notFound(courseId, 'courseId');
  const provider = await findOrganisation(db, course.providerId);
  if (course.status !== 'PUBLISHED' || provider?.status !== 'ACTIVE') {
    throw new AppError('COURSE_NOT_ON_SALE', { field: 'courseId' });
  }
  if (course.schemeId !== participant.schemeId) {
    throw new AppError('COURSE_NOT_ON_SALE', {
      message: `The course is sold under ${course.schemeId}, not the participant's scheme.`,
      field: 'courseId',
    });
  }
  if (course.mode === 'SELF_PACED') {
    if (runId)
      throw new AppError('VALIDATION_FAILED', {
        message: 'Self-paced courses are bought without a run.',
        field: 'runId',
      });
    return { course, run: undefined };
  }
  if (!runId)
    throw new AppError('VALIDATION_FAILED', { message: 'Choose a run of this course.', field: 'runId' });
  const run = await findRunRow(db, runId, {});
  if (!run || run.courseId !== course.id || run.status === 'SCHEDULED') throw notFound(runId, 'runId');
  const closed = runClosedError(run);
  if (closed) throw closed;
  return { course, run };
}

/** Why a run sells no seat, or null if it is OPEN with a seat left. */
function runClosedError(run: Pick<RunRow, 'id' | 'status' | 'seatsTaken' | 'capacity' | 'cancellation'>) {
  if (run.status === 'CANCELLED')
    return new AppError('RUN_CANCELLED', {
      message: `The run was cancelled${run.cancellation ? ` (${run.cancellation.reason})` : ''}: nothing was charged.`,
      field: 'runId',
    });
  if (run.status === 'FULL' || (run.status === 'OPEN' && run.seatsTaken >= run.capacity))
    return new AppError('RUN_FULL', { field: 'runId' });
  if (run.status !== 'OPEN')
    return new AppError('COURSE_NOT_ON_SALE', { message: `The run is ${run.status}.`, field: 'runId' });
  return null;
}

function toCheckout(c: CheckoutRow, participant: Pick<ParticipantRow, 'name' | 'nikLast4'>): TCheckout {
  return {
    id: c.id,
    status: c.status,
    courseId: c.courseId,
    runId: c.runId,
    price: c.price,
    participant: { name: participant.name, nikLast4: participant.nikLast4 },
    otpExpiresAt: c.otpExpiresAt.toISOString(),
    attemptsLeft: Math.max(0, OTP_MAX_ATTEMPTS - c.attempts),
    voucherId: c.voucherId,
  };
}

/**
 * A platform asks to charge a participant's balance for a course (and run). Nothing is charged
 * yet: the participant receives a one-time code, and `confirmCheckout` with it does the purchase.
 */
export async function createCheckout(
  opts: Call<TCreateCheckoutInput> & { otp: OtpChannel | null },
): Promise<TCheckout> {
  requirePlatform(opts.actor);
  const input = ZCreateCheckoutInputSchema.parse(opts.input);
  const now = opts.now ?? new Date();
  if (!opts.otp) throw new AppError('OTP_CHANNEL_UNAVAILABLE');
  const otp = opts.otp;
  return opts.db.transaction(async (tx) => {
    await assertOrganisationActive(tx, opts.actor.organisationId);
    const participant = await findParticipantByCard(tx, input.cardNumber);
    if (!participant) throw notFound(input.cardNumber, 'cardNumber');
    assertCanBuy(participant, now);
    const { course, run } = await saleableOffer(tx, participant, input.courseId, input.runId);
    if (participant.balance < course.price) {
      throw new AppError('INSUFFICIENT_BALANCE', {
        message: `The balance is Rp${participant.balance.toLocaleString('id-ID')}; the course costs Rp${course.price.toLocaleString('id-ID')}.`,
        field: 'courseId',
      });
    }
    if (await activeVoucherFor(tx, participant.id, course.id))
      throw new AppError('COURSE_ALREADY_PURCHASED', { field: 'courseId' });
    const id = newId('checkout', now.getTime());
    const code = generateOtp();
    const row = await insertCheckout(tx, {
      id,
      platformId: opts.actor.organisationId,
      participantId: participant.id,
      courseId: course.id,
      runId: run?.id ?? null,
      price: course.price,
      status: 'PENDING',
      otpHash: hashOtp(id, code),
      otpExpiresAt: new Date(now.getTime() + OTP_TTL_MS),
      deviceId: input.deviceId ?? null,
      sessionId: input.sessionId ?? null,
    });
    await recordChange(tx, {
      actor: actorRef(opts.actor, opts.requestId),
      action: 'checkout.created',
      entityType: 'checkout',
      entityId: id,
      fromState: null,
      toState: 'PENDING',
      auditData: {
        participantId: participant.id,
        courseId: course.id,
        runId: run?.id ?? null,
        price: course.price,
      },
    });
    await otp.send({
      checkoutId: id,
      participantId: participant.id,
      code,
      courseTitle: course.title,
      price: course.price,
    });
    return toCheckout(row, participant);
  });
}

/**
 * The participant's code confirms the purchase: the balance is debited, a seat taken and the
 * voucher issued, all in one transaction, each step a conditional update that cannot overdraw or
 * oversell under concurrency. Wrong codes count (they persist even though the call fails); the
 * fifth locks the checkout; codes expire after 10 minutes.
 */
export async function confirmCheckout(opts: Call<{ id: string; code: string }>) {
  requirePlatform(opts.actor);
  const input = ZConfirmCheckoutInputSchema.parse(opts.input);
  const now = opts.now ?? new Date();
  await assertOrganisationActive(opts.db, opts.actor.organisationId);
  return withCommittedRefusals(opts.db, async (tx) => {
    const checkout = await findCheckoutForUpdate(tx, input.id, opts.actor.organisationId);
    if (!checkout) throw notFound(input.id);
    if (checkout.status === 'CONFIRMED')
      throw new AppError('INVALID_STATE', { message: 'This checkout is already confirmed.' });
    if (checkout.status === 'LOCKED') throw new AppError('OTP_LOCKED');
    if (checkout.status === 'EXPIRED' || checkout.otpExpiresAt < now) {
      if (checkout.status !== 'EXPIRED') await updateCheckout(tx, checkout.id, { status: 'EXPIRED' });
      throw new AppError('OTP_EXPIRED', { commit: true });
    }
    if (!otpMatches(checkout.id, input.code, checkout.otpHash)) {
      const attempts = checkout.attempts + 1;
      const locked = attempts >= OTP_MAX_ATTEMPTS;
      await updateCheckout(tx, checkout.id, { attempts, ...(locked ? { status: 'LOCKED' as const } : {}) });
      throw new AppError(locked ? 'OTP_LOCKED' : 'OTP_INVALID', {
        message: locked ? undefined : `Wrong code: ${OTP_MAX_ATTEMPTS - attempts} attempts left.`,
        field: 'code',
        commit: true,
      });
    }
    return purchase(tx, opts, checkout, now);
  });
}

async function purchase(tx: Db, opts: Call<unknown>, checkout: CheckoutRow, now: Date) {
  const seen = await findParticipant(tx, checkout.participantId);
  if (!seen) throw notFound(checkout.participantId);
  assertCanBuy(seen, now);
  const { course, run } = await saleableOffer(tx, seen, checkout.courseId, checkout.runId);
  if (seen.balance < checkout.price) throw new AppError('INSUFFICIENT_BALANCE', { field: 'courseId' });
  // The seat before the participant: the lock order of a run's cancellation (run, then the
  // participants it refunds), so that the two cannot deadlock.
  let becameFull = false;
  if (run) {
    const seat = await takeSeat(tx, run.id);
    // The conditional update found no seat to take: say why, from the run as it is now (a
    // cancellation that won the race, the last seat sold, or the run closed meanwhile).
    if (!seat) throw (await whyNoSeat(tx, run.id)) ?? new AppError('RUN_FULL', { field: 'runId' });
    becameFull = seat.status === 'FULL';
  }
  // Checked again under the lock: the window or the balance may have changed since.
  const participant = await lockParticipant(tx, checkout.participantId);
  assertCanBuy(participant, now);
  const debited = await debitBalance(tx, participant.id, checkout.price);
  if (!debited) throw new AppError('INSUFFICIENT_BALANCE', { field: 'courseId' });
  const scheme = await resolveScheme(tx, participant.schemeId, now);
  const expiresAt = run
    ? new Date(run.startsAt.getTime() + scheme.rules.redemptionWindow.afterMinutes * 60_000)
    : new Date(now.getTime() + SELF_PACED_VOUCHER_DAYS * 86_400_000);
  const code = generateVoucherCode();
  const canonical = normalizeVoucherCode(code) ?? '';
  const voucher = await insertVoucher(tx, {
    id: newId('voucher', now.getTime()),
    codeHash: hashVoucherCode(canonical),
    codeLast4: canonical.slice(-4),
    participantId: participant.id,
    platformId: checkout.platformId,
    providerId: course.providerId,
    courseId: course.id,
    runId: run?.id ?? null,
    checkoutId: checkout.id,
    price: checkout.price,
    status: 'ISSUED',
    expiresAt,
    issuedAt: now,
  }).catch((err: unknown) => {
    if (isUniqueViolation(err, 'vouchers_one_per_course_idx'))
      throw new AppError('COURSE_ALREADY_PURCHASED', { field: 'courseId' });
    throw err;
  });
  await postLedgerTransaction(tx, {
    id: newId('ledgerTransaction', now.getTime()),
    kind: 'PURCHASE',
    reference: voucher.id,
    entries: [
      { account: participantAccount(participant.id), amount: -checkout.price },
      { account: VOUCHER_ESCROW, amount: checkout.price },
    ],
  });
  await updateCheckout(tx, checkout.id, { status: 'CONFIRMED', voucherId: voucher.id, confirmedAt: now });
  const ref = actorRef(opts.actor, opts.requestId);
  const shown = toVoucher(voucher);
  await recordChange(tx, {
    actor: ref,
    action: 'voucher.issued',
    entityType: 'voucher',
    entityId: voucher.id,
    fromState: null,
    toState: 'ISSUED',
    event: { type: 'voucher.issued', organisationId: checkout.platformId, data: { voucher: shown } },
  });
  if (run && becameFull) {
    await recordChange(tx, {
      actor: ref,
      action: 'run.full',
      entityType: 'run',
      entityId: run.id,
      fromState: 'OPEN',
      toState: 'FULL',
      event: {
        type: 'run.full',
        organisationId: run.providerId,
        data: { runId: run.id, courseId: run.courseId },
      },
    });
  }
  return { voucher: shown, code, balanceLeft: debited.balance };
}

async function whyNoSeat(tx: Db, runId: string): Promise<AppError | null> {
  const run = await findRunRow(tx, runId, {});
  return run ? runClosedError(run) : notFound(runId, 'runId');
}

async function lockParticipant(tx: Db, participantId: string): Promise<ParticipantRow> {
  const p = await findParticipant(tx, participantId, { forUpdate: true });
  if (!p) throw notFound(participantId);
  return p;
}
