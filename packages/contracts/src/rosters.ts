import { z } from 'zod';
import { pageOf, ZTimestampSchema } from './common';
import { ATTENDANCE_METHODS, ATTENDANCE_STATUSES, ZAssignmentSubmissionSchema } from './delivery';
import { idSchema } from './ids';

/** A provider's classes: who is in them and what each still needs (provider.enrollments.*). */

export const ENROLLMENT_STATUSES = ['IN_TRAINING', 'COMPLETED', 'NOT_COMPLETED', 'WITHDRAWN'] as const;
export const ZMissingSchema = z.enum(['ATTENDANCE_INCOMPLETE', 'ASSIGNMENT_MISSING', 'POST_TEST_FAILED']);

export const ZListEnrollmentsInputSchema = z.object({
  runId: idSchema('run').optional(),
  courseId: idSchema('course').optional(),
  status: z.enum(ENROLLMENT_STATUSES).optional(),
  session: z.coerce
    .number<number>()
    .int()
    .min(1)
    .max(200)
    .optional()
    .meta({ description: "With a run: each row carries that session's attendance (a class register)" }),
  limit: z.coerce.number<number>().int().min(1).max(100).default(50),
  cursor: z.string().min(1).max(200).optional(),
});

const ZSessionMarkSchema = z.object({
  sequence: z.number().int(),
  status: z.enum(ATTENDANCE_STATUSES).nullable().meta({ description: 'null: nothing recorded yet' }),
  method: z.enum(ATTENDANCE_METHODS).nullable(),
});

export const ZRosterEntrySchema = z
  .object({
    enrollmentId: idSchema('enrollment'),
    voucherId: idSchema('voucher'),
    participant: z.object({ id: idSchema('participant'), name: z.string() }),
    courseId: idSchema('course'),
    runId: idSchema('run').nullable(),
    status: z.enum(ENROLLMENT_STATUSES),
    redeemedAt: ZTimestampSchema,
    completedAt: ZTimestampSchema.nullable(),
    sessions: z.number().int(),
    sessionsConfirmed: z.number().int(),
    attendancePercent: z.number(),
    missing: z.array(ZMissingSchema).meta({
      description: "What the course's completion rule still needs (empty: completion can be reported)",
    }),
    session: ZSessionMarkSchema.nullable().meta({ description: 'The asked session (`session`), else null' }),
  })
  .meta({ id: 'RosterEntry' });
export type TRosterEntry = z.infer<typeof ZRosterEntrySchema>;
export const ZRosterPageSchema = pageOf(ZRosterEntrySchema);

export const ZEnrollmentIdInputSchema = z.object({ id: idSchema('enrollment') });

export const ZEnrollmentDetailSchema = z
  .object({
    enrollmentId: idSchema('enrollment'),
    voucherId: idSchema('voucher'),
    participant: z.object({
      id: idSchema('participant'),
      name: z.string(),
      nikLast4: z
        .string()
        .meta({ description: "The NIK's last four digits (the rest never leaves the gateway)" }),
    }),
    course: z.object({ id: idSchema('course'), title: z.string() }),
    runId: idSchema('run').nullable(),
    status: z.enum(ENROLLMENT_STATUSES),
    redeemedAt: ZTimestampSchema,
    completedAt: ZTimestampSchema.nullable(),
    endReason: z.string().nullable(),
    attendance: z.array(
      ZSessionMarkSchema.extend({
        startsAt: ZTimestampSchema,
        mode: z.enum(['ONLINE', 'LURING']),
        occurredAt: ZTimestampSchema.nullable(),
        recordedAt: ZTimestampSchema.nullable(),
      }),
    ),
    assignments: z.array(ZAssignmentSubmissionSchema),
    postTest: z.object({ score: z.number().int(), takenAt: ZTimestampSchema.nullable() }).nullable(),
    completionRule: z.object({
      minAttendancePercent: z.number(),
      assignmentRequired: z.boolean(),
      postTestPassScore: z.number().int().nullable(),
    }),
    attendancePercent: z.number(),
    missing: z.array(ZMissingSchema),
    certificate: z
      .object({ number: z.string(), status: z.enum(['VALID', 'REVOKED']), issuedAt: ZTimestampSchema })
      .nullable(),
  })
  .meta({ id: 'EnrollmentDetail' });
export type TEnrollmentDetail = z.infer<typeof ZEnrollmentDetailSchema>;
