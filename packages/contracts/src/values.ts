/*
 * The closed lists of values the API takes and returns, as plain arrays without zod, so that the
 * SDK can publish them at runtime (for filters, selects, exhaustive switches) without bundling the
 * schemas. The zod enums in the other contract modules are built from these.
 */

export const COURSE_MODES = ['SELF_PACED', 'WEBINAR', 'LURING', 'HYBRID'] as const;

export const REJECTION_REASONS = [
  'SCHEME_RULES',
  'OUTCOMES_MISSING',
  'SCHEDULE_INCOMPLETE',
  'VENUE_INCOMPLETE',
  'PRICE_UNREASONABLE',
  'DUPLICATE',
  'MISLEADING_CONTENT',
  'QUALITY',
  'OTHER',
] as const;

/**
 * What each rejection reason means, published with the codes (the OpenAPI document's description,
 * the SDK's REJECTION_REASON_MEANINGS) so that a provider's tools can say why in words. The note
 * says what to change; a reviewer chooses every code that describes the decision.
 */
export const REJECTION_REASON_MEANINGS = {
  SCHEME_RULES:
    'the course does not fit its scheme (hours, price, mode or anything else the scheme requires)',
  OUTCOMES_MISSING:
    'the learning outcomes (and the competencies they lead to) are missing, too few or not measurable',
  SCHEDULE_INCOMPLETE: "no class is scheduled, or the sessions do not deliver the course's hours",
  VENUE_INCOMPLETE: 'a venue lacks what participants need to know (accessibility, address)',
  PRICE_UNREASONABLE: 'the price is out of proportion to the hours and content',
  DUPLICATE: 'the same course is already in the catalog',
  MISLEADING_CONTENT: 'the title, summary or description promise what the course does not deliver',
  QUALITY:
    "the content or its assessment is below the program's standard (e.g. no certificate, a weak completion rule)",
  OTHER: 'anything else: the note says what',
} as const satisfies Record<(typeof REJECTION_REASONS)[number], string>;

export const ORGANISATION_KINDS = ['PMO', 'PROVIDER', 'PLATFORM'] as const;
export const ORGANISATION_STATUSES = ['APPLIED', 'ACTIVE', 'SUSPENDED', 'REJECTED'] as const;

/** Due diligence before an organisation goes ACTIVE; every item of its kind must be checked. */
export const CHECKLIST_ITEMS = {
  PROVIDER: [
    'LEGAL_ENTITY_VERIFIED',
    'TAX_ID_VERIFIED',
    'TRAINING_LICENCE_VERIFIED',
    'DATA_PROTECTION_AGREEMENT_SIGNED',
    'INTEGRATION_TESTED',
  ],
  PLATFORM: [
    'LEGAL_ENTITY_VERIFIED',
    'TAX_ID_VERIFIED',
    'ELECTRONIC_SYSTEM_REGISTRATION_VERIFIED',
    'DATA_PROTECTION_AGREEMENT_SIGNED',
    'INTEGRATION_TESTED',
  ],
} as const;

export const SIGNAL_TYPES = [
  'SHARED_DEVICE',
  'SHARED_IP',
  'COMPLETION_TOO_FAST',
  'DUPLICATE_ASSIGNMENT',
  'REDEMPTION_BURST',
  'PERFECT_RATING_BURST',
  'IDENTITY_CHECK_FAILURES',
  'LATE_REPORTING',
  'UNIFORM_REDEMPTION_DELAY',
  'SHARED_PAYOUT_ACCOUNT',
  'SHARED_CHECKOUT_DEVICE',
  'SHARED_PHONE',
] as const;
export const SIGNAL_STATUSES = ['OPEN', 'CASE_OPENED', 'DISMISSED'] as const;
export const CASE_STATUSES = ['OPEN', 'AWAITING_EVIDENCE', 'DECIDED'] as const;
export const CASE_OUTCOMES = [
  'NO_ACTION',
  'WARNING',
  'VOID_COMPLETION',
  'REVOKE_CERTIFICATE',
  'SUSPEND_COURSE',
  'SUSPEND_PROVIDER',
  'HOLD_INCENTIVE',
  'REVERSE_INCENTIVE',
  'RELEASE_INCENTIVE',
  'HOLD_SETTLEMENT_LINES',
  'RELEASE_SETTLEMENT_LINES',
] as const;

export const SETTLEMENT_STATUSES = ['PENDING', 'IN_TRANSIT', 'PAID', 'FAILED'] as const;
/** HELD: a case decision stopped it before payment (until released); CANCELLED: it will not be paid. */
export const INCENTIVE_STATUSES = [
  'WAITING',
  'ELIGIBLE',
  'DISBURSING',
  'PAID',
  'FAILED',
  'HELD',
  'CANCELLED',
] as const;
/** COMPLETION: the incentive after the first completed training; SURVEY: one per survey answered, up to the scheme's times. */
export const INCENTIVE_KINDS = ['COMPLETION', 'SURVEY'] as const;
export const WEBHOOK_DELIVERY_STATUSES = ['PENDING', 'SUCCEEDED', 'FAILED'] as const;

export const STATISTIC_DIMENSIONS = [
  'province',
  'regency',
  'gender',
  'ageBand',
  'cohort',
  'mode',
  'category',
  'month',
] as const;

/** Event types written to the outbox. Partners subscribe to these names; never rename one. */
export const EVENT_TYPES = [
  'course.created',
  'course.updated',
  'course.submitted',
  'course.approved',
  'course.rejected',
  'course.published',
  'course.suspended',
  'course.reinstated',
  'course.withdrawn',
  'course.revision_submitted',
  'course.revision_rejected',
  'run.created',
  'run.updated',
  'run.opened',
  'run.full',
  'run.reopened',
  'run.started',
  'run.finished',
  'run.cancelled',
  'voucher.issued',
  'voucher.cancelled',
  'voucher.expired',
  'voucher.redeemed',
  'attendance.recorded',
  'enrollment.completed',
  'enrollment.not_completed',
  'certificate.issued',
  'certificate.revoked',
  'review.submitted',
  'webhook_endpoint.disabled',
  'payout_account.updated',
  'settlement.created',
  'settlement.in_transit',
  'settlement.paid',
  'settlement.failed',
  'organisation.suspended',
  'organisation.reinstated',
  'evidence_request.created',
  'control_case.decided',
  'enrollment.completion_voided',
  'enrollment.withdrawn',
  'survey.published',
  'survey.closed',
  'community.member_joined',
  'community.member_left',
  'community.captain_appointed',
  'community.captain_removed',
] as const;

/** The roles of a provider's console staff (admin, instructor, finance). */
export const PROVIDER_STAFF_ROLES = ['admin', 'instructor', 'finance'] as const;
