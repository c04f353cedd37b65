import { AppError, ZConfirmBalanceCheckInputSchema, ZStartBalanceCheckInputSchema } from '@latih/contracts';
import {
  type Db,
  findBalanceCheckForUpdate,
  findParticipant,
  findParticipantByCard,
  insertBalanceCheck,
  recentBalanceChecks,
  updateBalanceCheck,
} from '@latih/db';
import type { z } from 'zod';
import { type Actor, actorRef, requirePlatform } from '../auth/actor';
import { recordChange } from '../changes';
import { notFound } from '../courses';
import { RetryLaterError, secondsUntilWindowFrees, withCommittedRefusals } from '../idempotency';
import { newId } from '../ids';
import { hashNik } from '../participants/nik';
import { generateOtp, hashOtp, OTP_MAX_ATTEMPTS, OTP_TTL_MS, type OtpChannel, otpMatches } from './otp';

const HOUR_MS = 3_600_000;

/** At most this many checks of one card per hour, by all platforms together. */
export const BALANCE_CHECKS_PER_HOUR = 3;

type Call<I> = { db: Db; actor: Actor; requestId: string | null; input: I; now?: Date; nikKey: Buffer };

/**
 * A platform asks what a participant has left before a checkout. The participant's one-time code
 * is the consent; every well-formed card number gets the same answer (a check id), so the call
 * cannot tell a platform which card numbers are participants'. Throttled per card, known or not.
 */
export async function startBalanceCheck(
  opts: Call<z.input<typeof ZStartBalanceCheckInputSchema>> & { otp: OtpChannel | null },
) {
  requirePlatform(opts.actor);
  const input = ZStartBalanceCheckInputSchema.parse(opts.input);
  const now = opts.now ?? new Date();
  if (!opts.otp) throw new AppError('OTP_CHANNEL_UNAVAILABLE');
  const otp = opts.otp;
  const cardHash = hashNik(opts.nikKey, `card:${input.cardNumber}`);
  return opts.db.transaction(async (tx) => {
    const recent = await recentBalanceChecks(tx, cardHash, new Date(now.getTime() - HOUR_MS));
    if (recent.count >= BALANCE_CHECKS_PER_HOUR) {
      throw new RetryLaterError(
        'BALANCE_CHECKS_TOO_MANY',
        secondsUntilWindowFrees(recent.oldest, HOUR_MS, now),
        { field: 'cardNumber' },
      );
    }
    const participant = await findParticipantByCard(tx, input.cardNumber);
    const id = newId('balanceCheck', now.getTime());
    const code = generateOtp();
    const expiresAt = new Date(now.getTime() + OTP_TTL_MS);
    await insertBalanceCheck(tx, {
      id,
      platformId: opts.actor.organisationId,
      cardHash,
      participantId: participant?.id ?? null,
      otpHash: hashOtp(id, code),
      otpExpiresAt: expiresAt,
      status: 'PENDING',
      createdAt: now,
    });
    await recordChange(tx, {
      actor: actorRef(opts.actor, opts.requestId),
      action: 'balance_check.started',
      entityType: 'balance_check',
      entityId: id,
      fromState: null,
      toState: 'PENDING',
      auditData: { cardNumberLast4: input.cardNumber.slice(-4) },
    });
    // Only a participant gets a code; the caller's answer is the same either way.
    if (participant)
      await otp.send({
        checkoutId: id,
        participantId: participant.id,
        code,
        courseTitle: '',
        price: 0,
        purpose: 'BALANCE_CHECK',
      });
    return { id, expiresAt: expiresAt.toISOString() };
  });
}

/** The participant's code: their balance and purchase deadline, once. Wrong codes count; the fifth locks. */
export async function confirmBalanceCheck(opts: Call<z.input<typeof ZConfirmBalanceCheckInputSchema>>) {
  requirePlatform(opts.actor);
  const input = ZConfirmBalanceCheckInputSchema.parse(opts.input);
  const now = opts.now ?? new Date();
  return withCommittedRefusals(opts.db, async (tx) => {
    const check = await findBalanceCheckForUpdate(tx, input.id, opts.actor.organisationId);
    if (!check) throw notFound(input.id, 'id');
    if (check.status === 'CONFIRMED')
      throw new AppError('INVALID_STATE', {
        message: 'This balance check was already answered.',
        field: 'id',
      });
    if (check.status === 'LOCKED') throw new AppError('OTP_LOCKED');
    if (check.status === 'EXPIRED' || check.otpExpiresAt < now) {
      if (check.status !== 'EXPIRED') await updateBalanceCheck(tx, check.id, { status: 'EXPIRED' });
      throw new AppError('OTP_EXPIRED', { commit: true });
    }
    // A card that is no participant's has no code that matches: it answers as a wrong code does.
    if (!check.participantId || !otpMatches(check.id, input.code, check.otpHash)) {
      const attempts = check.attempts + 1;
      const locked = attempts >= OTP_MAX_ATTEMPTS;
      await updateBalanceCheck(tx, check.id, { attempts, ...(locked ? { status: 'LOCKED' as const } : {}) });
      throw new AppError(locked ? 'OTP_LOCKED' : 'OTP_INVALID', {
        message: locked ? undefined : `Wrong code: ${OTP_MAX_ATTEMPTS - attempts} attempts left.`,
        field: 'code',
        commit: true,
      });
    }
    const participant = await findParticipant(tx, check.participantId);
    if (!participant) throw notFound(input.id, 'id');
    await updateBalanceCheck(tx, check.id, { status: 'CONFIRMED', confirmedAt: now });
    await recordChange(tx, {
      actor: actorRef(opts.actor, opts.requestId),
      action: 'balance_check.confirmed',
      entityType: 'balance_check',
      entityId: check.id,
      fromState: 'PENDING',
      toState: 'CONFIRMED',
      auditData: { participantId: participant.id },
    });
    return {
      cardNumberLast4: participant.cardNumber.slice(-4),
      balance: participant.balance,
      purchaseDeadline: participant.purchaseDeadline.toISOString(),
      canBuy:
        participant.status === 'ACTIVE' &&
        (participant.registryStatus === 'VERIFIED' || participant.registryStatus === 'OVERRIDDEN') &&
        participant.purchaseDeadline >= now &&
        participant.balance > 0,
    };
  });
}
