import type { TCourse } from './courses';
import type { TAttendanceMethod, TAttendanceStatus } from './delivery';
import type { TVoucher, TVoucherCloseReason } from './marketplace';
import type { TPayoutAccount, TSettlement } from './payouts';
import type { TRun } from './runs';
import type { TSurvey } from './surveys';

/** Event types written to the outbox (the list is in values.ts, so that the SDK publishes it). */
export { EVENT_TYPES } from './values';

import type { EVENT_TYPES } from './values';
export type TEventType = (typeof EVENT_TYPES)[number];

type CourseData = { course: TCourse };
type RunRef = { runId: string; courseId: string };
type VoucherData = { voucher: TVoucher };
/** The price went back to the participant's balance; they may buy again until `purchaseDeadline`. */
type Refund = { amount: number; purchaseDeadline: string };

/** What each event type carries in `data`. Additive changes only: fields are never removed. */
export type TEventDataMap = {
  'course.created': CourseData;
  'course.updated': CourseData;
  'course.submitted': CourseData;
  'course.approved': CourseData;
  'course.rejected': CourseData;
  'course.published': CourseData;
  'course.suspended': CourseData;
  'course.reinstated': CourseData;
  'course.withdrawn': CourseData;
  'course.revision_submitted': CourseData;
  'course.revision_rejected': CourseData;
  'run.created': { run: TRun };
  'run.updated': { run: TRun };
  'run.opened': { run: TRun };
  'run.full': RunRef;
  'run.reopened': RunRef;
  'run.started': RunRef;
  'run.finished': RunRef;
  /** seatsTaken: the seats sold when it was cancelled; every one of them is refunded. */
  'run.cancelled': RunRef & {
    reason: string;
    seatsTaken: number;
    vouchersCancelled?: number;
    enrollmentsWithdrawn?: number;
  };
  'voucher.issued': VoucherData;
  /**
   * reason: PLATFORM_CANCELLED (the platform's cancel) or RUN_CANCELLED (its run was cancelled,
   * `run.reason` says why; a voucher already redeemed is cancelled too). Absent on events written
   * before these fields existed.
   */
  'voucher.cancelled': VoucherData & {
    reason?: TVoucherCloseReason;
    run?: { id: string; reason: string };
    refund?: Refund & {
      /** The purchase window was extended (the scheme's refundGraceDays) so the refund can be spent. */
      extended: boolean;
    };
  };
  'voucher.expired': VoucherData;
  'voucher.redeemed': VoucherData & { enrollmentId: string };
  'attendance.recorded': {
    enrollmentId: string;
    sequence: number;
    status: TAttendanceStatus;
    method: TAttendanceMethod;
    identityCheckId?: string;
    reason?: string;
  };
  'enrollment.completed': { enrollmentId: string; voucherId: string; courseId: string };
  'enrollment.not_completed': { enrollmentId: string; voucherId: string; courseId: string };
  'certificate.issued': { certificateId: string; number: string; enrollmentId: string; courseId: string };
  'certificate.revoked': { certificateId: string; number: string; enrollmentId: string; reason: string };
  'review.submitted': { reviewId: string; courseId: string; rating: number; enrollmentId: string };
  'webhook_endpoint.disabled': { endpointId: string; url: string; reason: string };
  'payout_account.updated': { payoutAccount: TPayoutAccount };
  'settlement.created': { settlement: TSettlement };
  'settlement.in_transit': { settlement: TSettlement };
  'settlement.paid': { settlement: TSettlement };
  'settlement.failed': { settlement: TSettlement };
  'organisation.suspended': { organisationId: string; reason: string };
  'organisation.reinstated': { organisationId: string; reason: string };
  'evidence_request.created': { evidenceRequestId: string; caseId: string; question: string; dueAt: string };
  'control_case.decided': {
    caseId: string;
    subjectType: string;
    subjectId: string;
    outcome: string;
    reason: string;
    /** A decision over a selection: the answer per enrollment (what it changed is in the case). */
    items: { enrollmentId: string; result: 'APPLIED' | 'REFUSED'; code: string | null }[];
  };
  'enrollment.completion_voided': {
    enrollmentId: string;
    voucherId: string;
    courseId: string;
    reason: string;
  };
  /** To the provider: an enrollment ended without an outcome (its run was cancelled; nobody is paid for it). */
  'enrollment.withdrawn': {
    enrollmentId: string;
    voucherId: string;
    courseId: string;
    runId: string | null;
    reason: 'RUN_CANCELLED';
    runCancellationReason: string;
  };
  /** To every active platform: a survey its participants may be asked (platform.surveys.open lists it in its window). */
  'survey.published': { survey: TSurvey };
  /** To every active platform: the PMO closed a survey before its window ended; answers are refused from now. */
  'survey.closed': { survey: TSurvey };
  /**
   * To the platform: a participant opted in to an alumni community through it (`voucherId`, the
   * voucher it named them by). Also `captain_*` go to the platform they joined through.
   */
  'community.member_joined': CommunityMembership;
  /**
   * To the platform the participant left through, and to the one they joined through if another
   * (each with its own voucher); `wasCaptain`: their leadership ended with it.
   */
  'community.member_left': CommunityMembership & { wasCaptain: boolean };
  'community.captain_appointed': CommunityMembership;
  'community.captain_removed': CommunityMembership;
};

type CommunityMembership = {
  communityId: string;
  regionCode: string;
  participantId: string;
  voucherId: string;
};

// Every event type has its data shape, and nothing else does.
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const _everyTypeHasData: Exact<keyof TEventDataMap, TEventType> = true;
void _everyTypeHasData;
