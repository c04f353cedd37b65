import { createHash, randomBytes } from 'node:crypto';
import {
  AppError,
  IDENTITY_FAILURE_REASONS,
  ZRedirectUriInputSchema,
  ZVerificationLinkInputSchema,
} from '@latih/contracts';
import {
  addRedirectUri,
  type Db,
  findCourseRow,
  findEnrollment,
  findEnrollmentById,
  findIdentityCheck,
  findParticipant,
  insertIdentityCheck,
  isRedirectUriRegistered,
  listRedirectUris,
  removeRedirectUri,
  sessionCount,
  upsertAttendance,
  useIdentityCheck,
} from '@latih/db';
import type { z } from 'zod';
import { type Actor, actorRef, requireProvider } from '../auth/actor';
import { recordChange } from '../changes';
import { notFound } from '../courses';
import { maskName } from '../credentials/certificates';
import { newId } from '../ids';
import { assertSessionOpened } from './training';

/** A hand-off link lives this long; the participant is normally at their screen when it is made. */
export const IDENTITY_CHECK_TTL_MINUTES = 15;

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Registered redirect URIs: absolute https (http only for local development), no fragment. */
export function validateRedirectUri(uri: string): string {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new AppError('REDIRECT_URI_INVALID', { message: 'Not an absolute URL.', field: 'uri' });
  }
  const local = LOCAL_HOSTS.has(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && local))
    throw new AppError('REDIRECT_URI_INVALID', {
      message: 'Use https (http is accepted only for localhost).',
      field: 'uri',
    });
  if (url.hash || uri.includes('#'))
    throw new AppError('REDIRECT_URI_INVALID', { message: 'A redirect URI has no #fragment.', field: 'uri' });
  if (url.username || url.password)
    throw new AppError('REDIRECT_URI_INVALID', {
      message: 'A redirect URI has no credentials.',
      field: 'uri',
    });
  return uri;
}

export async function registerRedirectUri(opts: {
  db: Db;
  actor: Actor;
  requestId: string | null;
  input: z.input<typeof ZRedirectUriInputSchema>;
}) {
  requireProvider(opts.actor);
  const uri = validateRedirectUri(ZRedirectUriInputSchema.parse(opts.input).uri);
  return opts.db.transaction(async (tx) => {
    const row = await addRedirectUri(tx, opts.actor.organisationId, uri);
    await recordChange(tx, {
      actor: actorRef(opts.actor, opts.requestId),
      action: 'redirect_uri.registered',
      entityType: 'organisation',
      entityId: opts.actor.organisationId,
      fromState: null,
      toState: null,
      auditData: { uri },
    });
    return { uri: row.uri, createdAt: row.createdAt.toISOString() };
  });
}

export async function unregisterRedirectUri(opts: {
  db: Db;
  actor: Actor;
  requestId: string | null;
  input: z.input<typeof ZRedirectUriInputSchema>;
}) {
  requireProvider(opts.actor);
  const { uri } = ZRedirectUriInputSchema.parse(opts.input);
  return opts.db.transaction(async (tx) => {
    const removed = await removeRedirectUri(tx, opts.actor.organisationId, uri);
    if (!removed) throw new AppError('REDIRECT_URI_NOT_REGISTERED', { field: 'uri' });
    await recordChange(tx, {
      actor: actorRef(opts.actor, opts.requestId),
      action: 'redirect_uri.removed',
      entityType: 'organisation',
      entityId: opts.actor.organisationId,
      fromState: null,
      toState: null,
      auditData: { uri },
    });
    return { removed: true as const };
  });
}

export async function redirectUrisOf(opts: { db: Db; actor: Actor }) {
  requireProvider(opts.actor);
  const rows = await listRedirectUris(opts.db, opts.actor.organisationId);
  return { items: rows.map((r) => ({ uri: r.uri, createdAt: r.createdAt.toISOString() })) };
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/**
 * A single-use, expiring link to the gateway's identity-check page for one session of an
 * enrollment. The participant's answer is recorded as FACE_MATCH attendance and the participant
 * is sent back to `redirectUri`, which must exactly match one the provider registered.
 */
export async function createVerificationLink(opts: {
  db: Db;
  actor: Actor;
  requestId: string | null;
  input: z.input<typeof ZVerificationLinkInputSchema>;
  baseUrl: string;
  now?: Date;
}) {
  requireProvider(opts.actor);
  const input = ZVerificationLinkInputSchema.parse(opts.input);
  const now = opts.now ?? new Date();
  return opts.db.transaction(async (tx) => {
    const e = await findEnrollment(tx, input.enrollmentId, opts.actor.organisationId);
    if (!e) throw notFound(input.enrollmentId, 'enrollmentId');
    if (e.status !== 'IN_TRAINING')
      throw new AppError('INVALID_STATE', {
        message: `The enrollment is ${e.status}.`,
        field: 'enrollmentId',
      });
    const sessions = e.runId ? await sessionCount(tx, e.runId) : 0;
    if (input.sequence > sessions)
      throw new AppError('VALIDATION_FAILED', {
        message: `The run has ${sessions} sessions.`,
        field: 'sequence',
      });
    if (!(await isRedirectUriRegistered(tx, opts.actor.organisationId, input.redirectUri)))
      throw new AppError('REDIRECT_URI_NOT_REGISTERED', { field: 'redirectUri' });
    // A link for a session that has not opened would confirm attendance before the class.
    await assertSessionOpened(tx, e, input.sequence, now);
    const token = randomBytes(32).toString('base64url');
    const id = newId('identityCheck');
    const expiresAt = new Date(now.getTime() + IDENTITY_CHECK_TTL_MINUTES * 60_000);
    await insertIdentityCheck(tx, {
      id,
      tokenHash: hashToken(token),
      enrollmentId: e.id,
      sequence: input.sequence,
      redirectUri: input.redirectUri,
      state: input.state,
      expiresAt,
      createdAt: now,
    });
    await recordChange(tx, {
      actor: actorRef(opts.actor, opts.requestId),
      action: 'identity_check.created',
      entityType: 'enrollment',
      entityId: e.id,
      fromState: null,
      toState: null,
      auditData: { identityCheckId: id, sequence: input.sequence, redirectUri: input.redirectUri },
    });
    return { url: `${opts.baseUrl}/identity-check/${token}`, expiresAt: expiresAt.toISOString() };
  });
}

export type IdentityCheckPage =
  | { kind: 'UNKNOWN' }
  | { kind: 'USED' | 'EXPIRED'; returnUrl: string | null }
  | {
      kind: 'PENDING';
      participantName: string;
      courseTitle: string;
      sequence: number;
      expiresAt: Date;
    };

function returnUrl(
  check: { redirectUri: string; state: string; enrollmentId: string; sequence: number },
  result: string,
  reason?: string | null,
): string {
  const url = new URL(check.redirectUri);
  url.searchParams.set('state', check.state);
  url.searchParams.set('result', result);
  url.searchParams.set('enrollment_id', check.enrollmentId);
  url.searchParams.set('sequence', String(check.sequence));
  if (reason) url.searchParams.set('reason', reason);
  return url.toString();
}

/** What the page shows for a token; nothing about the participant unless the link is live. */
export async function identityCheckPage(db: Db, token: string, now: Date): Promise<IdentityCheckPage> {
  const check = await findIdentityCheck(db, hashToken(token));
  if (!check) return { kind: 'UNKNOWN' };
  if (check.usedAt) return { kind: 'USED', returnUrl: null };
  if (check.expiresAt <= now) return { kind: 'EXPIRED', returnUrl: returnUrl(check, 'EXPIRED') };
  const enrollment = await enrollmentOf(db, check.enrollmentId);
  const [participant, course] = await Promise.all([
    findParticipant(db, enrollment.participantId),
    findCourseRow(db, enrollment.courseId, { kind: 'all' }),
  ]);
  return {
    kind: 'PENDING',
    participantName: maskName(participant?.name ?? ''),
    courseTitle: course?.title ?? '',
    sequence: check.sequence,
    expiresAt: check.expiresAt,
  };
}

async function enrollmentOf(db: Db, id: string, opts: { forUpdate?: boolean } = {}) {
  const row = await findEnrollmentById(db, id, opts);
  if (!row) throw new AppError('INTERNAL_ERROR');
  return row;
}

export type IdentityCheckAnswer = {
  decision: 'CONFIRMED' | 'FAILED';
  reason: string | null;
  ip: string | null;
};

/**
 * The participant's answer: records FACE_MATCH attendance (CONFIRMED, or REJECTED with the reason),
 * uses the link up, and says where to send the participant. Single use even under double submits.
 */
export async function answerIdentityCheck(
  db: Db,
  token: string,
  answer: IdentityCheckAnswer,
  now: Date,
): Promise<{ kind: 'UNKNOWN' } | { kind: 'USED' } | { kind: 'REDIRECT'; location: string }> {
  if (
    answer.decision === 'FAILED' &&
    !(IDENTITY_FAILURE_REASONS as readonly string[]).includes(answer.reason ?? '')
  )
    throw new AppError('VALIDATION_FAILED', { message: 'Choose a reason.', field: 'reason' });
  return db.transaction(async (tx) => {
    const check = await findIdentityCheck(tx, hashToken(token), { forUpdate: true });
    if (!check) return { kind: 'UNKNOWN' as const };
    if (check.usedAt) return { kind: 'USED' as const };
    if (check.expiresAt <= now) return { kind: 'REDIRECT' as const, location: returnUrl(check, 'EXPIRED') };
    // Locked as the provider's own attendance writes lock it (enrollment, then attendance): without
    // it the two deadlocked on the attendance row and the foreign key's share lock.
    const enrollment = await enrollmentOf(tx, check.enrollmentId, { forUpdate: true });
    const reason = answer.decision === 'FAILED' ? answer.reason : null;
    if (!(await useIdentityCheck(tx, check.id, { result: answer.decision, reason, ip: answer.ip, at: now })))
      return { kind: 'USED' as const };
    if (enrollment.status !== 'IN_TRAINING')
      return { kind: 'REDIRECT' as const, location: returnUrl(check, 'UNAVAILABLE') };
    const status = answer.decision === 'CONFIRMED' ? 'CONFIRMED' : 'REJECTED';
    await upsertAttendance(tx, {
      enrollmentId: enrollment.id,
      sequence: check.sequence,
      status,
      method: 'FACE_MATCH',
      deviceId: null,
      ip: answer.ip,
      voidReason: reason,
      recordedAt: now,
    });
    await recordChange(tx, {
      actor: { organisationId: null, clientId: null, requestId: null },
      action: 'attendance.recorded',
      entityType: 'enrollment',
      entityId: enrollment.id,
      fromState: null,
      toState: status,
      auditData: {
        sequence: check.sequence,
        method: 'FACE_MATCH',
        identityCheckId: check.id,
        reason,
        ip: answer.ip,
      },
      event: {
        type: 'attendance.recorded',
        organisationId: enrollment.providerId,
        data: {
          enrollmentId: enrollment.id,
          sequence: check.sequence,
          status,
          method: 'FACE_MATCH',
          identityCheckId: check.id,
          ...(reason ? { reason } : {}),
        },
      },
    });
    return { kind: 'REDIRECT' as const, location: returnUrl(check, answer.decision, reason) };
  });
}
