import {
  type TEnrollmentDetail,
  type TRosterEntry,
  ZEnrollmentIdInputSchema,
  ZListEnrollmentsInputSchema,
} from '@latih/contracts';
import {
  assignmentSubmissionsOf,
  certificateOfEnrollment,
  type Db,
  findCourseRow,
  findEnrollment,
  findParticipant,
  listRoster,
  sessionMarks,
} from '@latih/db';
import type { z } from 'zod';
import { type Actor, requireProvider } from '../auth/actor';
import { notFound } from '../courses';
import { completionGaps, toAssignmentSubmission } from './training';

/**
 * A provider's class rosters (provider.enrollments.list): its own enrollments only, each with what
 * the course's completion rule still needs; with `session`, that session's register.
 */
export async function listEnrollments(opts: {
  db: Db;
  actor: Actor;
  input: z.input<typeof ZListEnrollmentsInputSchema>;
}): Promise<{ items: TRosterEntry[]; nextCursor: string | null }> {
  requireProvider(opts.actor);
  const input = ZListEnrollmentsInputSchema.parse(opts.input);
  const page = await listRoster(opts.db, opts.actor.organisationId, input);
  return {
    items: page.rows.map((r) => {
      const { percent, missing } = completionGaps(r.completionRule, {
        sessions: r.sessions,
        confirmed: r.sessionsConfirmed,
        assignmentSubmittedAt: r.assignmentSubmittedAt,
        postTestScore: r.postTestScore,
      });
      return {
        enrollmentId: r.enrollmentId,
        voucherId: r.voucherId,
        participant: { id: r.participantId, name: r.participantName },
        courseId: r.courseId,
        runId: r.runId,
        status: r.status,
        redeemedAt: r.redeemedAt.toISOString(),
        completedAt: r.completedAt?.toISOString() ?? null,
        sessions: r.sessions,
        sessionsConfirmed: r.sessionsConfirmed,
        attendancePercent: percent,
        missing: r.status === 'IN_TRAINING' ? missing : [],
        session:
          input.session === undefined
            ? null
            : {
                sequence: input.session,
                status: r.sessionStatus as NonNullable<TRosterEntry['session']>['status'],
                method: r.sessionMethod as NonNullable<TRosterEntry['session']>['method'],
              },
      };
    }),
    nextCursor: page.nextCursor,
  };
}

/** One enrollment of the provider's, whole: attendance per session, tasks, post-test, certificate. */
export async function getEnrollment(opts: {
  db: Db;
  actor: Actor;
  input: z.input<typeof ZEnrollmentIdInputSchema>;
}): Promise<TEnrollmentDetail> {
  requireProvider(opts.actor);
  const { id } = ZEnrollmentIdInputSchema.parse(opts.input);
  // Another provider's enrollment answers like a missing one.
  const e = await findEnrollment(opts.db, id, opts.actor.organisationId);
  if (!e) throw notFound(id);
  const [participant, course, marks, tasks, certificate] = await Promise.all([
    findParticipant(opts.db, e.participantId),
    findCourseRow(opts.db, e.courseId, { kind: 'all' }),
    sessionMarks(opts.db, e.id, e.runId),
    assignmentSubmissionsOf(opts.db, e.id),
    certificateOfEnrollment(opts.db, e.id),
  ]);
  if (!participant || !course) throw notFound(id);
  const { percent, missing } = completionGaps(course.completionRule, {
    sessions: marks.length,
    confirmed: marks.filter((m) => m.status === 'CONFIRMED').length,
    assignmentSubmittedAt: e.assignmentSubmittedAt,
    postTestScore: e.postTestScore,
  });
  type Mark = TEnrollmentDetail['attendance'][number];
  return {
    enrollmentId: e.id,
    voucherId: e.voucherId,
    participant: { id: participant.id, name: participant.name, nikLast4: participant.nikLast4 },
    course: { id: course.id, title: course.title },
    runId: e.runId,
    status: e.status,
    redeemedAt: e.redeemedAt.toISOString(),
    completedAt: e.completedAt?.toISOString() ?? null,
    endReason: e.endReason,
    attendance: marks.map((m) => ({
      sequence: m.sequence,
      startsAt: m.startsAt.toISOString(),
      mode: m.mode,
      status: m.status as Mark['status'],
      method: m.method as Mark['method'],
      occurredAt: m.occurredAt?.toISOString() ?? null,
      recordedAt: m.recordedAt?.toISOString() ?? null,
    })),
    assignments: tasks.map(toAssignmentSubmission),
    postTest:
      e.postTestScore === null
        ? null
        : { score: e.postTestScore, takenAt: e.postTestTakenAt?.toISOString() ?? null },
    completionRule: {
      minAttendancePercent: course.completionRule.minAttendancePercent,
      assignmentRequired: course.completionRule.assignmentRequired,
      postTestPassScore: course.completionRule.postTestPassScore,
    },
    attendancePercent: percent,
    missing: e.status === 'IN_TRAINING' ? missing : [],
    certificate: certificate
      ? {
          number: certificate.number,
          status: certificate.status,
          issuedAt: certificate.issuedAt.toISOString(),
        }
      : null,
  };
}
