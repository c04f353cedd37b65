import { z } from 'zod';
import { ZTimestampSchema } from './common';
import { idSchema } from './ids';

export const ATTENDANCE_STATUSES = ['CONFIRMED', 'UNCONFIRMED', 'REJECTED', 'VOIDED'] as const;
/**
 * FACE_MATCH: the program's identity check (the hand-off to the gateway's page), never recorded by a
 * provider. PROVIDER_FACE_CHECK: a face check the provider ran itself. The others: the provider's.
 */
export const ATTENDANCE_METHODS = [
  'FACE_MATCH',
  'PROVIDER_FACE_CHECK',
  'VENUE_QR',
  'ONLINE_PRESENCE',
  'MANUAL',
] as const;
export type TAttendanceStatus = (typeof ATTENDANCE_STATUSES)[number];
export type TAttendanceMethod = (typeof ATTENDANCE_METHODS)[number];

/**
 * When the activity happened, if not now: attendance taken on paper and entered after class, a
 * post-test taken offline. Never in the future, never before the session (or the enrollment)
 * began, at most the scheme's `reporting.maxLateHours` ago: OCCURRED_AT_OUT_OF_RANGE otherwise.
 * The gateway keeps it beside the time it received the record; late entries are visible to the
 * program's fraud signals.
 */
const ZOccurredAtSchema = ZTimestampSchema.optional().meta({
  description:
    "When it happened, if not now (paper attendance entered after class): not in the future, not before the session opens or the enrollment began, at most the scheme's reporting.maxLateHours ago",
});

export const ZAttendanceInputSchema = z
  .object({
    enrollmentId: idSchema('enrollment'),
    sequence: z.number().int().min(1).max(200),
    status: z.enum(ATTENDANCE_STATUSES),
    method: z.enum(ATTENDANCE_METHODS).meta({
      description:
        "Your own check: PROVIDER_FACE_CHECK, VENUE_QR, ONLINE_PRESENCE or MANUAL. FACE_MATCH comes only from the program's identity check (verificationLink): ATTENDANCE_METHOD_RESERVED here",
    }),
    deviceId: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .meta({ description: 'The device that confirmed it (fraud signals use it)' }),
    ip: z.union([z.ipv4(), z.ipv6()]).optional(),
    voidReason: z.string().trim().min(5).max(1000).optional().meta({ description: 'Required with VOIDED' }),
    occurredAt: ZOccurredAtSchema,
  })
  .refine((a) => a.status !== 'VOIDED' || a.voidReason, {
    message: 'VOIDED needs a voidReason',
    path: ['voidReason'],
  });
export type TAttendanceInput = z.input<typeof ZAttendanceInputSchema>;

export const ZAttendanceSchema = z
  .object({
    enrollmentId: z.string(),
    sequence: z.number().int(),
    status: z.enum(ATTENDANCE_STATUSES),
    method: z.enum(ATTENDANCE_METHODS),
    occurredAt: ZTimestampSchema.meta({
      description: 'When it happened, as the provider said (else when it was recorded)',
    }),
    recordedAt: ZTimestampSchema.meta({ description: 'When the gateway received it' }),
  })
  .meta({ id: 'Attendance' });

export const ZBulkAttendanceInputSchema = z.object({
  items: z
    .array(z.unknown())
    .min(1)
    .max(1000)
    .meta({ description: 'Up to 1 000 attendance records, each validated on its own' }),
});

const ZItemErrorSchema = z
  .object({ code: z.string(), message: z.string(), field: z.string().optional() })
  .nullable();

export const ZBulkAttendanceResultSchema = z.object({
  summary: z.object({ recorded: z.number().int(), refused: z.number().int() }),
  results: z.array(
    z.object({ index: z.number().int(), status: z.enum(['RECORDED', 'REFUSED']), error: ZItemErrorSchema }),
  ),
});

export const ZAssignmentScopeSchema = z.enum(['TPM', 'UK']);

export const ZSubmitAssignmentInputSchema = z.object({
  enrollmentId: idSchema('enrollment'),
  url: z.url({ protocol: /^https$/, message: 'An https URL' }).max(1000),
  contentHash: z
    .string()
    .regex(/^sha256:[0-9a-f]{64}$/, { message: 'sha256:<64 hex digits> of the submitted content' }),
  feedback: z
    .string()
    .trim()
    .max(5000)
    .optional()
    .meta({ description: "The provider's feedback to the participant" }),
  occurredAt: ZOccurredAtSchema,
  scope: ZAssignmentScopeSchema.default('TPM').meta({
    description: 'TPM: a practical task (sequence 1–998); UK: the skills demonstration (sequence 999)',
  }),
  sequence: z
    .number()
    .int()
    .min(1)
    .max(999)
    .optional()
    .meta({ description: 'Which task: default 1 for TPM, 999 for UK' }),
});

export const ZReviewAssignmentInputSchema = z.object({
  enrollmentId: idSchema('enrollment'),
  scope: ZAssignmentScopeSchema.default('TPM'),
  sequence: z
    .number()
    .int()
    .min(1)
    .max(999)
    .optional()
    .meta({ description: 'Default 1 for TPM, 999 for UK' }),
  verdict: z.enum(['ACCEPTED', 'FAILED']).default('ACCEPTED'),
  notes: z
    .string()
    .trim()
    .min(1)
    .max(5000)
    .meta({ description: "The provider's feedback to the participant" }),
  url: z
    .url({ protocol: /^https$/, message: 'An https URL' })
    .max(1000)
    .optional()
    .meta({ description: 'A file with the feedback' }),
});

export const ZAssignmentSubmissionSchema = z
  .object({
    enrollmentId: z.string(),
    scope: ZAssignmentScopeSchema,
    sequence: z.number().int(),
    url: z.string(),
    contentHash: z.string().nullable(),
    status: z.enum(['SUBMITTED', 'ACCEPTED', 'FAILED']),
    submittedAt: ZTimestampSchema,
    feedback: z
      .object({ notes: z.string(), url: z.string().nullable(), reviewedAt: ZTimestampSchema })
      .nullable(),
  })
  .meta({ id: 'AssignmentSubmission' });

export const ZPostTestInputSchema = z.object({
  enrollmentId: idSchema('enrollment'),
  score: z.number().int().min(0).max(100),
  occurredAt: ZOccurredAtSchema,
});

export const ZEnrollmentProgressSchema = z
  .object({
    enrollmentId: z.string(),
    status: z.enum(['IN_TRAINING', 'COMPLETED', 'NOT_COMPLETED', 'WITHDRAWN']),
    sessions: z.number().int(),
    sessionsConfirmed: z.number().int(),
    attendancePercent: z.number(),
    assignmentSubmitted: z.boolean(),
    postTestScore: z.number().int().nullable(),
    missing: z.array(z.enum(['ATTENDANCE_INCOMPLETE', 'ASSIGNMENT_MISSING', 'POST_TEST_FAILED'])),
    completedAt: ZTimestampSchema.nullable(),
    certificateNumber: z
      .string()
      .nullable()
      .meta({ description: 'The certificate issued on completion; see provider.certificates.get' }),
  })
  .meta({ id: 'EnrollmentProgress' });
export type TEnrollmentProgress = z.infer<typeof ZEnrollmentProgressSchema>;

export const ZCompletionInputSchema = z.object({
  enrollmentId: idSchema('enrollment'),
  outcome: z.enum(['COMPLETED', 'NOT_COMPLETED']),
});

export const ZBulkCompletionInputSchema = z.object({
  items: z.array(z.unknown()).min(1).max(1000),
});

export const ZBulkCompletionResultSchema = z.object({
  summary: z.object({
    completed: z.number().int(),
    notCompleted: z.number().int(),
    refused: z.number().int(),
  }),
  results: z.array(
    z.object({
      index: z.number().int(),
      status: z.enum(['COMPLETED', 'NOT_COMPLETED', 'REFUSED']),
      error: ZItemErrorSchema,
    }),
  ),
});
export type TAssignmentSubmission = z.infer<typeof ZAssignmentSubmissionSchema>;
