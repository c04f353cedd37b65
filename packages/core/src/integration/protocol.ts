import { randomBytes } from 'node:crypto';
import { AppError, ERROR_CATALOG, type TErrorCode } from '@latih/contracts';
import {
  attendanceStatusOf,
  type Db,
  findAssignmentSubmission,
  findRunSession,
  type RedeemCodeView,
  redeemCodeView,
  resetTestRedemption,
} from '@latih/db';
import { z } from 'zod';
import { type Actor, actorRef } from '../auth/actor';
import { recordChange } from '../changes';
import { createVerificationLink } from '../delivery/identity-check';
import { redeemVoucher } from '../delivery/redeem';
import { assignmentKey, recordAssignmentSubmission, reviewAssignment } from '../delivery/training';
import { hashVoucherCode, normalizeVoucherCode } from '../vouchers/code';

/**
 * The program's provider integration protocol (docs/guides/prakerja-compatible.md), mapped onto
 * Latih's own domain functions: a code committed here is redeemed by `redeemVoucher`, a face check
 * is `createVerificationLink`, a task is `recordAssignmentSubmission` / `reviewAssignment`.
 * Nothing here decides a rule of its own; it translates names, numbers and the envelope.
 */

export type ProtocolAnswer = { status: number; body: Record<string, unknown> };

export type ProtocolCall = {
  db: Db;
  actor: Actor;
  requestId: string;
  /** The program's time (a sandbox's test clock, if any). */
  now: Date;
  /** Where the identity-check page is served. */
  baseUrl: string;
  /** Test codes and their reset exist only in a sandbox (never in production). */
  sandbox: boolean;
  body: unknown;
};

/** The redeem code's state as an integer (no public source lists them: documented in the guide). */
export const REDEEM_STATUS: Record<string, number> = {
  ISSUED: 0,
  REDEEMED: 1,
  COMPLETED: 2,
  NOT_COMPLETED: 3,
  CANCELLED: 4,
  EXPIRED: 5,
};
/** A session's attendance: 1 attended and verified, 2 refused (e.g. a failed face check), 3 voided. */
const ATTENDANCE_STATUS: Record<string, number> = { CONFIRMED: 1, REJECTED: 2, VOIDED: 3, UNCONFIRMED: 0 };
export const COURSE_TYPE: Record<string, { type: number; label: string; method: string }> = {
  SELF_PACED: { type: 1, label: 'Daring mandiri (video)', method: 'daring' },
  WEBINAR: { type: 2, label: 'Webinar', method: 'daring' },
  LURING: { type: 3, label: 'Luring', method: 'luring' },
  HYBRID: { type: 4, label: 'Campuran (hybrid)', method: 'campuran' },
};
const SUBMISSION_STATUS: Record<string, number> = { SUBMITTED: 1, ACCEPTED: 2, FAILED: 3 };
const ZONE_NAME: Record<string, string> = {
  'Asia/Jakarta': 'WIB',
  'Asia/Pontianak': 'WIB',
  'Asia/Makassar': 'WITA',
  'Asia/Jayapura': 'WIT',
};
export const POST_TEST_SEQUENCE = 999;

const protocolCode = z.string().trim().min(1).max(64);
const protocolSequence = z.coerce.number().int().min(1).max(999);
const protocolScope = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['tpm', 'uk']));
const protocolUrlFile = z.url({ protocol: /^https$/, message: 'An https URL' }).max(1000);

const PROTOCOL_INPUTS = {
  status: z.object({ redeem_code: protocolCode, sequence: protocolSequence.default(1) }),
  commit: z.object({ redeem_code: protocolCode }),
  reset: z.object({ redeem_code: protocolCode }),
  urlGenerate: z.object({
    redeem_code: protocolCode,
    sequence: protocolSequence.default(1),
    redirect_uri: z.string().min(1).max(2000),
    email: z.string().max(320).optional(),
  }),
  submission: z.object({
    redeem_code: protocolCode,
    scope: protocolScope,
    sequence: protocolSequence,
    url_file: protocolUrlFile,
  }),
  feedback: z.object({
    redeem_code: protocolCode,
    scope: protocolScope,
    sequence: protocolSequence,
    notes: z.string().trim().min(1).max(5000),
    url_file: protocolUrlFile.optional(),
    /** Latih's extension: 3 records the task as failed; absent or 2, accepted. */
    status: z.union([z.literal(2), z.literal(3)]).optional(),
  }),
  submissionStatus: z.object({ redeem_code: protocolCode, scope: protocolScope, sequence: protocolSequence }),
};

export class ProtocolError extends Error {
  constructor(
    readonly code: TErrorCode,
    message?: string,
    readonly data?: unknown,
  ) {
    super(message ?? ERROR_CATALOG[code].message);
  }
}

export function protocolOk(data: unknown, message = 'Success'): ProtocolAnswer {
  return { status: 200, body: { success: true, message, data } };
}

/** Every refusal: `{success: false, code: "ERR_<Latih's code>", message}` with Latih's HTTP status. */
export function protocolFailure(err: unknown, requestId: string): ProtocolAnswer {
  let code: TErrorCode = 'INTERNAL_ERROR';
  let message: string = ERROR_CATALOG.INTERNAL_ERROR.message;
  let data: unknown;
  if (err instanceof ProtocolError) {
    code = err.code;
    message = err.message;
    data = err.data;
  } else if (err instanceof AppError) {
    code = err.code;
    message = err.message;
  } else if (err instanceof z.ZodError) {
    code = 'VALIDATION_FAILED';
    const issue = err.issues[0];
    message = issue
      ? `${issue.path.map(String).join('.') || 'body'}: ${issue.message}`
      : 'The body is not valid.';
  } else throw err;
  return {
    status: ERROR_CATALOG[code].status,
    body: {
      success: false,
      code: `ERR_${code}`,
      message,
      ...(data === undefined ? {} : { data }),
      request_id: requestId,
    },
  };
}

function protocolCodeHash(code: string): string {
  const canonical = normalizeVoucherCode(code);
  if (!canonical) throw new ProtocolError('CODE_MALFORMED');
  return hashVoucherCode(canonical);
}

/** The code, its provider checked: another provider learns only that it is not theirs. */
async function protocolViewOf(db: Db, actor: Actor, code: string): Promise<RedeemCodeView> {
  const view = await redeemCodeView(db, protocolCodeHash(code));
  if (!view) throw new ProtocolError('VOUCHER_NOT_FOUND');
  if (view.providerId !== actor.organisationId) throw new ProtocolError('VOUCHER_OTHER_PROVIDER');
  return view;
}

function protocolWallClock(d: Date, zone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(d);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}`;
}

/** `2026-12-01 09:00 - 2026-12-05 12:00 WIB`: first session's start to last session's end, in the run's zone. */
export function scheduleStartEnd(view: RedeemCodeView): string | null {
  if (!view.firstSessionStartsAt || !view.lastSessionEndsAt || !view.timeZone) return null;
  const zone = view.timeZone;
  return `${protocolWallClock(view.firstSessionStartsAt, zone)} - ${protocolWallClock(view.lastSessionEndsAt, zone)} ${ZONE_NAME[zone] ?? zone}`;
}

async function protocolStatusData(db: Db, view: RedeemCodeView, code: string, seq: number) {
  let attendance = 0;
  let online = view.courseMode !== 'LURING';
  if (seq === POST_TEST_SEQUENCE) {
    attendance = view.postTestScore === null ? 0 : 1;
  } else if (view.enrollmentId) {
    const s = await attendanceStatusOf(db, view.enrollmentId, seq);
    attendance = s ? (ATTENDANCE_STATUS[s] ?? 0) : 0;
  }
  if (seq !== POST_TEST_SEQUENCE && view.runId) {
    const session = await findRunSession(db, view.runId, seq);
    if (session) online = session.mode === 'ONLINE';
  }
  const type = COURSE_TYPE[view.courseMode] ?? { type: 0, label: view.courseMode, method: '' };
  return {
    redeem_code: code,
    course_code: view.courseId,
    invoice_code: view.checkoutId,
    schedule_code: view.runId,
    status: REDEEM_STATUS[view.status] ?? -1,
    attendance_status: attendance,
    redeem_at: view.redeemedAt?.toISOString() ?? null,
    dp_platform: view.platformName,
    schedule_start_end: scheduleStartEnd(view),
    course_type: type.type,
    course_type_label: type.label,
    course_learning_method: type.method,
    is_online_attendance: online,
    sequence: seq,
  };
}

function protocolEnrollmentOf(view: RedeemCodeView): string {
  if (!view.enrollmentId)
    throw new ProtocolError('INVALID_STATE', 'The redeem code has not been committed yet.');
  return view.enrollmentId;
}

async function protocolStatus(c: ProtocolCall) {
  const input = PROTOCOL_INPUTS.status.parse(c.body);
  const view = await protocolViewOf(c.db, c.actor, input.redeem_code);
  return protocolOk(await protocolStatusData(c.db, view, input.redeem_code, input.sequence));
}

/**
 * Declares the code used: `redeemVoucher` for the code's own course and run, the same call the SDK
 * makes (without an address: see below). A second commit is refused with ERR_VOUCHER_ALREADY_REDEEMED and the code's data, so a
 * client that retried after a lost answer can see the code is its own and when it was redeemed.
 */
async function protocolCommit(c: ProtocolCall) {
  const input = PROTOCOL_INPUTS.commit.parse(c.body);
  const view = await protocolViewOf(c.db, c.actor, input.redeem_code);
  try {
    await redeemVoucher({
      db: c.db,
      actor: c.actor,
      requestId: c.requestId,
      input: {
        code: normalizeVoucherCode(input.redeem_code) ?? input.redeem_code,
        courseId: view.courseId,
        ...(view.runId ? { runId: view.runId } : {}),
        // No `ip`: the request comes from the provider's server, not the participant's device, and
        // the protocol carries no participant address. Recording the server's would put every
        // redemption of the provider behind one address (a false SHARED_IP signal).
      },
      now: c.now,
    });
  } catch (err) {
    if (err instanceof AppError && err.code === 'VOUCHER_ALREADY_REDEEMED') {
      const now = await protocolViewOf(c.db, c.actor, input.redeem_code);
      throw new ProtocolError(
        err.code,
        err.message,
        await protocolStatusData(c.db, now, input.redeem_code, 1),
      );
    }
    throw err;
  }
  const after = await protocolViewOf(c.db, c.actor, input.redeem_code);
  return protocolOk(await protocolStatusData(c.db, after, input.redeem_code, 1));
}

/** Sandbox only: a test code's redemption undone while nothing but training records hang on it. */
async function protocolReset(c: ProtocolCall) {
  if (!c.sandbox) throw new ProtocolError('SANDBOX_DISABLED');
  const input = PROTOCOL_INPUTS.reset.parse(c.body);
  const view = await protocolViewOf(c.db, c.actor, input.redeem_code);
  if (!view.test) throw new ProtocolError('NOT_A_TEST_CODE');
  if (view.status !== 'ISSUED') {
    if (view.status !== 'REDEEMED' || view.enrollmentStatus !== 'IN_TRAINING' || !view.enrollmentId)
      throw new ProtocolError('NOT_A_TEST_CODE');
    const enrollmentId = view.enrollmentId;
    const done = await c.db.transaction(async (tx) => {
      if (!(await resetTestRedemption(tx, view.voucherId, enrollmentId))) return false;
      await recordChange(tx, {
        actor: actorRef(c.actor, c.requestId),
        action: 'voucher.reset',
        entityType: 'voucher',
        entityId: view.voucherId,
        fromState: 'REDEEMED',
        toState: 'ISSUED',
        auditData: { enrollmentId, sandbox: true },
      });
      return true;
    });
    if (!done) throw new ProtocolError('NOT_A_TEST_CODE');
  }
  const after = await protocolViewOf(c.db, c.actor, input.redeem_code);
  return protocolOk(await protocolStatusData(c.db, after, input.redeem_code, 1));
}

/**
 * The participant's face-check page for one session (`createVerificationLink`); the provider then
 * calls `status` with the same sequence. `state` is generated here (the protocol's clients do not
 * send one); `email` is not kept (Latih knows its participants; DESIGN §6).
 */
async function protocolUrlGenerate(c: ProtocolCall) {
  const input = PROTOCOL_INPUTS.urlGenerate.parse(c.body);
  const view = await protocolViewOf(c.db, c.actor, input.redeem_code);
  if (input.sequence === POST_TEST_SEQUENCE)
    throw new ProtocolError(
      'VALIDATION_FAILED',
      "sequence: 999 (the post-test) has no face check in Latih: report the post-test's result instead.",
    );
  const state = randomBytes(16).toString('base64url');
  const link = await createVerificationLink({
    db: c.db,
    actor: c.actor,
    requestId: c.requestId,
    input: {
      enrollmentId: protocolEnrollmentOf(view),
      sequence: input.sequence,
      redirectUri: input.redirect_uri,
      state,
    },
    baseUrl: c.baseUrl,
    now: c.now,
  });
  const type = COURSE_TYPE[view.courseMode] ?? { type: 0, label: view.courseMode, method: '' };
  return protocolOk({
    url: link.url,
    state,
    expires_at: link.expiresAt,
    course: { type: type.type, learning_method: type.method },
  });
}

function protocolSubmissionData(
  code: string,
  row: { scope: string; sequence: number; status: string; url: string; enrollmentId: string },
) {
  const scopeName = row.scope.toLowerCase();
  return {
    id: `${row.enrollmentId}-${scopeName}-${row.sequence}`,
    redeem_code: code,
    scope: scopeName,
    sequence: row.sequence,
    status: SUBMISSION_STATUS[row.status] ?? 0,
    url_file: row.url,
  };
}

function protocolKeyOf(input: { scope: 'tpm' | 'uk'; sequence: number }) {
  try {
    return assignmentKey(input.scope === 'uk' ? 'UK' : 'TPM', input.sequence);
  } catch (err) {
    if (err instanceof AppError) throw new ProtocolError(err.code, err.message);
    throw err;
  }
}

async function protocolSubmission(c: ProtocolCall) {
  const input = PROTOCOL_INPUTS.submission.parse(c.body);
  const key = protocolKeyOf(input);
  const view = await protocolViewOf(c.db, c.actor, input.redeem_code);
  const enrollmentId = protocolEnrollmentOf(view);
  const { submission: row } = await c.db.transaction((tx) =>
    recordAssignmentSubmission(
      tx,
      { actor: c.actor, requestId: c.requestId, now: c.now },
      { enrollmentId, url: input.url_file, contentHash: null, key },
    ),
  );
  return protocolOk(protocolSubmissionData(input.redeem_code, row));
}

async function protocolFeedback(c: ProtocolCall) {
  const input = PROTOCOL_INPUTS.feedback.parse(c.body);
  const key = protocolKeyOf(input);
  const view = await protocolViewOf(c.db, c.actor, input.redeem_code);
  const reviewed = await reviewAssignment({
    db: c.db,
    actor: c.actor,
    requestId: c.requestId,
    input: {
      enrollmentId: protocolEnrollmentOf(view),
      scope: key.scope,
      sequence: key.sequence,
      verdict: input.status === 3 ? 'FAILED' : 'ACCEPTED',
      notes: input.notes,
      ...(input.url_file ? { url: input.url_file } : {}),
    },
    now: c.now,
  });
  return protocolOk({
    ...protocolSubmissionData(input.redeem_code, reviewed),
    url_file: reviewed.feedback?.url ?? null,
    notes: reviewed.feedback?.notes ?? input.notes,
  });
}

async function protocolSubmissionStatus(c: ProtocolCall) {
  const input = PROTOCOL_INPUTS.submissionStatus.parse(c.body);
  const key = protocolKeyOf(input);
  const view = await protocolViewOf(c.db, c.actor, input.redeem_code);
  const row = view.enrollmentId
    ? await findAssignmentSubmission(c.db, { enrollmentId: view.enrollmentId, ...key })
    : undefined;
  const common = { redeem_code: input.redeem_code, scope: input.scope, sequence: key.sequence };
  const reviewed = row?.reviewedAt ? row : undefined;
  return protocolOk({
    assignment: {
      ...common,
      status: row ? (SUBMISSION_STATUS[row.status] ?? 0) : 0,
      url_file: row?.url ?? null,
    },
    feedback: {
      ...common,
      status: reviewed ? (SUBMISSION_STATUS[reviewed.status] ?? 0) : 0,
      notes: reviewed?.feedbackNotes ?? null,
      url_file: reviewed?.feedbackUrl ?? null,
    },
  });
}

/** The operations, by their path under /api/v1/integration/. */
export const PROTOCOL_OPERATIONS: Record<string, (c: ProtocolCall) => Promise<ProtocolAnswer>> = {
  'payment/redeem-code/status': protocolStatus,
  'payment/redeem-code/commit': protocolCommit,
  'payment/redeem-code/reset': protocolReset,
  'oauth/url-generate': protocolUrlGenerate,
  'tpm/submission': protocolSubmission,
  'tpm/feedback/submission': protocolFeedback,
  'tpm/submission/status': protocolSubmissionStatus,
};
