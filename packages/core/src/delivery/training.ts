import {
  AppError,
  type TAssignmentSubmission,
  type TCompletionRule,
  type TEnrollmentProgress,
  type TErrorCode,
  ZAttendanceInputSchema,
  ZBulkAttendanceInputSchema,
  ZBulkCompletionInputSchema,
  ZCompletionInputSchema,
  ZPostTestInputSchema,
  ZReviewAssignmentInputSchema,
  ZSubmitAssignmentInputSchema,
} from '@latih/contracts';
import {
  type AssignmentSubmissionRow,
  certificateNumberOf,
  closeRedeemedVoucher,
  confirmedSessions,
  type Db,
  type EnrollmentRow,
  findAssignmentSubmission,
  findCourseRow,
  findEnrollment,
  findRunSession,
  reviewAssignmentSubmission,
  sessionCount,
  updateEnrollment,
  upsertAssignmentSubmission,
  upsertAttendance,
} from '@latih/db';
import type { z } from 'zod';
import { type Actor, actorRef, requireProvider } from '../auth/actor';
import { resolveScheme } from '../catalog/rules';
import { recordChange } from '../changes';
import { notFound } from '../courses';
import { issueCertificate } from '../credentials/certificates';
import type { CredentialSigner } from '../credentials/proof';

type Call<I> = { db: Db; actor: Actor; requestId: string | null; input: I; now?: Date };
/** Completion issues the certificate, so it needs the key that signs it. */
type CompletionCall<I> = Call<I> & { signer: CredentialSigner };

async function enrollmentInTraining(tx: Db, actor: Actor, id: string): Promise<EnrollmentRow> {
  // Another provider's enrollment answers like a missing one.
  const e = await findEnrollment(tx, id, actor.organisationId, { forUpdate: true });
  if (!e) throw notFound(id, 'enrollmentId');
  if (e.status !== 'IN_TRAINING')
    throw new AppError('INVALID_STATE', { message: `The enrollment is ${e.status}.`, field: 'enrollmentId' });
  return e;
}

function itemError(err: unknown) {
  if (err instanceof AppError)
    return { code: err.code, message: err.message, ...(err.field ? { field: err.field } : {}) };
  const issue = (err as { issues?: { path: PropertyKey[]; message: string }[] }).issues?.[0];
  if (issue) {
    const field = issue.path.map(String).join('.');
    return { code: 'VALIDATION_FAILED', message: `${field}: ${issue.message}`, field };
  }
  throw err;
}

/**
 * Refuses a session that has not opened yet (the scheme's `sessionOpensMinutesBefore` before it
 * starts): nobody can have attended it, or be sent to its identity check.
 */
export async function assertSessionOpened(
  tx: Db,
  e: { courseId: string; runId: string | null },
  sequence: number,
  now: Date,
): Promise<void> {
  const session = e.runId ? await findRunSession(tx, e.runId, sequence) : undefined;
  if (!session) return;
  const course = await findCourseRow(tx, e.courseId, { kind: 'all' });
  if (!course) throw notFound(e.courseId);
  const { reporting } = (await resolveScheme(tx, course.schemeId, now)).rules;
  const opens = new Date(session.startsAt.getTime() - reporting.sessionOpensMinutesBefore * 60_000);
  if (now.getTime() < opens.getTime())
    throw new AppError('OCCURRED_AT_OUT_OF_RANGE', {
      field: 'sequence',
      message: `Session ${sequence} opens at ${opens.toISOString()} (${reporting.sessionOpensMinutesBefore} minutes before it starts): its attendance cannot be recorded before.`,
    });
}

/**
 * When the provider says the activity happened (now, unless it says otherwise), held to the
 * course's scheme: never in the future, an attendance not before its session opens and anything
 * else not before the enrollment began, at most `reporting.maxLateHours` ago.
 */
async function reportedOccurrence(
  tx: Db,
  e: EnrollmentRow,
  given: string | undefined,
  now: Date,
  session?: { startsAt: Date },
): Promise<Date> {
  if (given === undefined) return now;
  const at = new Date(given);
  const course = await findCourseRow(tx, e.courseId, { kind: 'all' });
  if (!course) throw notFound(e.courseId);
  const { reporting } = (await resolveScheme(tx, course.schemeId, now)).rules;
  const out = (message: string) => new AppError('OCCURRED_AT_OUT_OF_RANGE', { message, field: 'occurredAt' });
  if (at.getTime() > now.getTime()) throw out(`${given} is in the future (it is ${now.toISOString()}).`);
  const earliest = session
    ? new Date(session.startsAt.getTime() - reporting.sessionOpensMinutesBefore * 60_000)
    : e.redeemedAt;
  if (at.getTime() < earliest.getTime())
    throw out(
      session
        ? `${given} is before the session opens (${earliest.toISOString()}, ${reporting.sessionOpensMinutesBefore} minutes before it starts).`
        : `${given} is before the enrollment began (${earliest.toISOString()}).`,
    );
  if (now.getTime() - at.getTime() > reporting.maxLateHours * 3_600_000)
    throw out(
      `${given} is more than ${reporting.maxLateHours} hours ago: the scheme accepts records at most that late.`,
    );
  return at;
}

async function recordOne(tx: Db, opts: Call<unknown>, raw: unknown, now: Date) {
  const input = ZAttendanceInputSchema.parse(raw);
  const e = await enrollmentInTraining(tx, opts.actor, input.enrollmentId);
  const sessions = e.runId ? await sessionCount(tx, e.runId) : 0;
  if (input.sequence > sessions) {
    throw new AppError('VALIDATION_FAILED', {
      message: `The run has ${sessions} sessions.`,
      field: 'sequence',
    });
  }
  // Only the identity-check hand-off records FACE_MATCH, and what it recorded stays.
  if (input.method === 'FACE_MATCH') throw new AppError('ATTENDANCE_METHOD_RESERVED', { field: 'method' });
  // Recorded now (no occurredAt): the session must have opened; a register saved a day early would
  // confirm, and get paid for, a class that has not taken place. With occurredAt,
  // reportedOccurrence bounds it the same way.
  if (input.occurredAt === undefined) await assertSessionOpened(tx, e, input.sequence, now);
  const session =
    input.occurredAt !== undefined && e.runId ? await findRunSession(tx, e.runId, input.sequence) : undefined;
  const happened = await reportedOccurrence(tx, e, input.occurredAt, now, session);
  const row = await upsertAttendance(
    tx,
    {
      enrollmentId: e.id,
      sequence: input.sequence,
      status: input.status,
      method: input.method,
      deviceId: input.deviceId ?? null,
      ip: input.ip ?? null,
      voidReason: input.voidReason ?? null,
      occurredAt: happened,
      recordedAt: now,
    },
    { unlessIdentityChecked: true },
  );
  if (!row) throw new AppError('ATTENDANCE_IDENTITY_CHECKED', { field: 'sequence' });
  await recordChange(tx, {
    actor: actorRef(opts.actor, opts.requestId),
    action: 'attendance.recorded',
    entityType: 'enrollment',
    entityId: e.id,
    fromState: null,
    toState: input.status,
    auditData: {
      sequence: input.sequence,
      method: input.method,
      deviceId: input.deviceId ?? null,
      ip: input.ip ?? null,
      occurredAt: happened.toISOString(),
    },
    event: {
      type: 'attendance.recorded',
      organisationId: opts.actor.organisationId,
      data: { enrollmentId: e.id, sequence: input.sequence, status: input.status, method: input.method },
    },
  });
  return {
    enrollmentId: row.enrollmentId,
    sequence: row.sequence,
    status: row.status,
    method: row.method,
    occurredAt: (row.occurredAt ?? row.recordedAt).toISOString(),
    recordedAt: row.recordedAt.toISOString(),
  };
}

export async function recordAttendance(opts: Call<z.input<typeof ZAttendanceInputSchema>>) {
  requireProvider(opts.actor);
  const now = opts.now ?? new Date();
  return opts.db.transaction((tx) => recordOne(tx, opts, opts.input, now));
}

export async function recordAttendanceBulk(opts: Call<z.input<typeof ZBulkAttendanceInputSchema>>) {
  requireProvider(opts.actor);
  const input = ZBulkAttendanceInputSchema.parse(opts.input);
  const now = opts.now ?? new Date();
  return opts.db.transaction(async (tx) => {
    const results = [];
    for (const [index, raw] of input.items.entries()) {
      try {
        await tx.transaction((sp) => recordOne(sp, opts, raw, now));
        results.push({ index, status: 'RECORDED' as const, error: null });
      } catch (err) {
        results.push({ index, status: 'REFUSED' as const, error: itemError(err) });
      }
    }
    const recorded = results.filter((r) => r.status === 'RECORDED').length;
    return { summary: { recorded, refused: results.length - recorded }, results };
  });
}

export type AssignmentKey = { scope: 'TPM' | 'UK'; sequence: number };

/** TPM tasks are numbered 1–998, the UK skills demonstration is 999 (the program's numbering). */
export function assignmentKey(scope: 'TPM' | 'UK', sequence: number | undefined): AssignmentKey {
  const seq = sequence ?? (scope === 'UK' ? 999 : 1);
  if (scope === 'UK' ? seq !== 999 : seq > 998)
    throw new AppError('VALIDATION_FAILED', {
      message:
        scope === 'UK'
          ? 'The skills demonstration (UK) is sequence 999.'
          : 'A practical task (TPM) is sequence 1–998.',
      field: 'sequence',
    });
  return { scope, sequence: seq };
}

/**
 * One task submitted (or resubmitted: its review starts over): kept per scope and sequence, and as
 * the enrollment's latest submission, which the completion rule reads. Both the API and the
 * program's integration protocol record submissions here.
 */
export async function recordAssignmentSubmission(
  tx: Db,
  opts: { actor: Actor; requestId: string | null; now: Date },
  input: {
    enrollmentId: string;
    url: string;
    contentHash: string | null;
    feedback?: string | undefined;
    occurredAt?: string | undefined;
    key: AssignmentKey;
  },
) {
  const e = await enrollmentInTraining(tx, opts.actor, input.enrollmentId);
  const happened = await reportedOccurrence(tx, e, input.occurredAt, opts.now);
  await updateEnrollment(tx, e.id, {
    assignmentUrl: input.url,
    assignmentHash: input.contentHash,
    assignmentSubmittedAt: happened,
    assignmentRecordedAt: opts.now,
    assignmentFeedback: input.feedback ?? e.assignmentFeedback,
  });
  const row = await upsertAssignmentSubmission(tx, {
    enrollmentId: e.id,
    scope: input.key.scope,
    sequence: input.key.sequence,
    url: input.url,
    contentHash: input.contentHash,
    status: 'SUBMITTED',
    submittedAt: happened,
    recordedAt: opts.now,
  });
  await recordChange(tx, {
    actor: actorRef(opts.actor, opts.requestId),
    action: 'assignment.submitted',
    entityType: 'enrollment',
    entityId: e.id,
    fromState: null,
    toState: null,
    auditData: {
      scope: input.key.scope,
      sequence: input.key.sequence,
      contentHash: input.contentHash,
      occurredAt: happened.toISOString(),
    },
  });
  return { enrollment: e, submission: row };
}

export async function submitAssignment(opts: Call<z.input<typeof ZSubmitAssignmentInputSchema>>) {
  requireProvider(opts.actor);
  const input = ZSubmitAssignmentInputSchema.parse(opts.input);
  const now = opts.now ?? new Date();
  const key = assignmentKey(input.scope, input.sequence);
  return opts.db.transaction(async (tx) => {
    const { enrollment } = await recordAssignmentSubmission(
      tx,
      { actor: opts.actor, requestId: opts.requestId, now },
      {
        enrollmentId: input.enrollmentId,
        url: input.url,
        contentHash: input.contentHash,
        feedback: input.feedback,
        occurredAt: input.occurredAt,
        key,
      },
    );
    return progressOf(tx, await enrollmentInTraining(tx, opts.actor, enrollment.id));
  });
}

export function toAssignmentSubmission(r: AssignmentSubmissionRow): TAssignmentSubmission {
  return {
    enrollmentId: r.enrollmentId,
    scope: r.scope,
    sequence: r.sequence,
    url: r.url,
    contentHash: r.contentHash,
    status: r.status,
    submittedAt: r.submittedAt.toISOString(),
    feedback:
      r.reviewedAt && r.feedbackNotes !== null
        ? { notes: r.feedbackNotes, url: r.feedbackUrl, reviewedAt: r.reviewedAt.toISOString() }
        : null,
  };
}

/**
 * The provider's feedback on a submitted task, with its verdict: ACCEPTED or FAILED. Feedback may be
 * given again (a corrected note), until the participant resubmits, which starts the review over.
 */
export async function reviewAssignment(opts: Call<z.input<typeof ZReviewAssignmentInputSchema>>) {
  requireProvider(opts.actor);
  const input = ZReviewAssignmentInputSchema.parse(opts.input);
  const now = opts.now ?? new Date();
  const key = assignmentKey(input.scope, input.sequence);
  return opts.db.transaction(async (tx) => {
    const e = await enrollmentInTraining(tx, opts.actor, input.enrollmentId);
    const found = await findAssignmentSubmission(tx, { enrollmentId: e.id, ...key }, { forUpdate: true });
    if (!found) throw new AppError('ASSIGNMENT_NOT_SUBMITTED', { field: 'sequence' });
    const row = await reviewAssignmentSubmission(
      tx,
      { enrollmentId: e.id, ...key },
      { status: input.verdict, feedbackNotes: input.notes, feedbackUrl: input.url ?? null, reviewedAt: now },
    );
    await updateEnrollment(tx, e.id, { assignmentFeedback: input.notes });
    await recordChange(tx, {
      actor: actorRef(opts.actor, opts.requestId),
      action: 'assignment.reviewed',
      entityType: 'enrollment',
      entityId: e.id,
      fromState: found.status,
      toState: input.verdict,
      auditData: { scope: key.scope, sequence: key.sequence },
    });
    return toAssignmentSubmission(row);
  });
}

export async function recordPostTest(opts: Call<z.input<typeof ZPostTestInputSchema>>) {
  requireProvider(opts.actor);
  const input = ZPostTestInputSchema.parse(opts.input);
  const now = opts.now ?? new Date();
  return opts.db.transaction(async (tx) => {
    const e = await enrollmentInTraining(tx, opts.actor, input.enrollmentId);
    const happened = await reportedOccurrence(tx, e, input.occurredAt, now);
    const updated = await updateEnrollment(tx, e.id, {
      postTestScore: input.score,
      postTestTakenAt: happened,
      postTestRecordedAt: now,
    });
    await recordChange(tx, {
      actor: actorRef(opts.actor, opts.requestId),
      action: 'post_test.recorded',
      entityType: 'enrollment',
      entityId: e.id,
      fromState: null,
      toState: null,
      auditData: { score: input.score, occurredAt: happened.toISOString() },
    });
    return progressOf(tx, updated);
  });
}

/**
 * The course's completion rule against what was recorded: the attendance percentage and what is
 * still missing, in the order completion refuses them. The one place the rule is read (completion,
 * progress, rosters).
 */
export function completionGaps(
  rule: TCompletionRule,
  got: {
    sessions: number;
    confirmed: number;
    assignmentSubmittedAt: Date | null;
    postTestScore: number | null;
  },
): { percent: number; missing: TEnrollmentProgress['missing'] } {
  const percent = got.sessions === 0 ? 100 : Math.round((got.confirmed / got.sessions) * 1000) / 10;
  const missing: TEnrollmentProgress['missing'] = [];
  if (got.sessions > 0 && percent < rule.minAttendancePercent) missing.push('ATTENDANCE_INCOMPLETE');
  if (rule.assignmentRequired && !got.assignmentSubmittedAt) missing.push('ASSIGNMENT_MISSING');
  if (
    rule.postTestPassScore !== null &&
    (got.postTestScore === null || got.postTestScore < rule.postTestPassScore)
  )
    missing.push('POST_TEST_FAILED');
  return { percent, missing };
}

/** Where an enrollment stands against its course's completion rule, and what is still missing. */
export async function progressOf(db: Db, e: EnrollmentRow): Promise<TEnrollmentProgress> {
  const course = await findCourseRow(db, e.courseId, { kind: 'all' });
  if (!course) throw notFound(e.courseId);
  const sessions = e.runId ? await sessionCount(db, e.runId) : 0;
  const confirmed = await confirmedSessions(db, e.id);
  const { percent, missing } = completionGaps(course.completionRule, {
    sessions,
    confirmed,
    assignmentSubmittedAt: e.assignmentSubmittedAt,
    postTestScore: e.postTestScore,
  });
  return {
    enrollmentId: e.id,
    status: e.status,
    sessions,
    sessionsConfirmed: confirmed,
    attendancePercent: percent,
    assignmentSubmitted: e.assignmentSubmittedAt !== null,
    postTestScore: e.postTestScore,
    missing,
    completedAt: e.completedAt?.toISOString() ?? null,
    certificateNumber: e.status === 'COMPLETED' ? await certificateNumberOf(db, e.id) : null,
  };
}

async function reportOne(tx: Db, opts: CompletionCall<unknown>, raw: unknown, now: Date) {
  const input = ZCompletionInputSchema.parse(raw);
  const e = await enrollmentInTraining(tx, opts.actor, input.enrollmentId);
  const progress = await progressOf(tx, e);
  const [missing] = progress.missing;
  if (input.outcome === 'COMPLETED' && missing) {
    // The first unmet part of the rule; the message lists them all.
    throw new AppError(missing as TErrorCode, {
      message: `Still missing: ${progress.missing.join(', ')}.`,
      field: 'outcome',
    });
  }
  const updated = await updateEnrollment(tx, e.id, { status: input.outcome, completedAt: now });
  await closeRedeemedVoucher(tx, e.voucherId, input.outcome, now);
  const type = input.outcome === 'COMPLETED' ? 'enrollment.completed' : 'enrollment.not_completed';
  await recordChange(tx, {
    actor: actorRef(opts.actor, opts.requestId),
    action: type,
    entityType: 'enrollment',
    entityId: e.id,
    fromState: 'IN_TRAINING',
    toState: input.outcome,
    event: {
      type,
      organisationId: opts.actor.organisationId,
      data: { enrollmentId: e.id, voucherId: e.voucherId, courseId: e.courseId },
    },
  });
  if (input.outcome === 'COMPLETED') {
    await issueCertificate(tx, {
      enrollment: updated,
      signer: opts.signer,
      actor: opts.actor,
      requestId: opts.requestId,
      now,
    });
  }
  return progressOf(tx, updated);
}

/** The provider reports the outcome; COMPLETED only when the course's completion rule is met. */
export async function reportCompletion(opts: CompletionCall<z.input<typeof ZCompletionInputSchema>>) {
  requireProvider(opts.actor);
  const now = opts.now ?? new Date();
  return opts.db.transaction((tx) => reportOne(tx, opts, opts.input, now));
}

export async function reportCompletionBulk(opts: CompletionCall<z.input<typeof ZBulkCompletionInputSchema>>) {
  requireProvider(opts.actor);
  const input = ZBulkCompletionInputSchema.parse(opts.input);
  const now = opts.now ?? new Date();
  return opts.db.transaction(async (tx) => {
    const results: {
      index: number;
      status: 'COMPLETED' | 'NOT_COMPLETED' | 'REFUSED';
      error: ReturnType<typeof itemError> | null;
    }[] = [];
    for (const [index, raw] of input.items.entries()) {
      try {
        const p = await tx.transaction((sp) => reportOne(sp, opts, raw, now));
        results.push({
          index,
          status: p.status === 'COMPLETED' ? ('COMPLETED' as const) : ('NOT_COMPLETED' as const),
          error: null,
        });
      } catch (err) {
        results.push({ index, status: 'REFUSED' as const, error: itemError(err) });
      }
    }
    const count = (s: string) => results.filter((r) => r.status === s).length;
    return {
      summary: {
        completed: count('COMPLETED'),
        notCompleted: count('NOT_COMPLETED'),
        refused: count('REFUSED'),
      },
      results,
    };
  });
}
