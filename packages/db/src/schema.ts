import type {
  TCaseDecisionItem,
  TCaseOutcome,
  TCertificateTemplate,
  TCompletionRule,
  TCourseContent,
  TOrganisationApplication,
  TRejection,
  TSchemeRules,
  TSurveyAudience,
  TSurveyQuestion,
} from '@latih/contracts';
import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  check,
  customType,
  date,
  index,
  integer,
  jsonb,
  pgSequence,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

export type TVenueRecord = {
  name: string;
  address: string;
  regencyCode: string;
  latitude: number;
  longitude: number;
  accessibility: string;
};

export type TChecklistMarkRecord = {
  checked: boolean;
  note: string | null;
  by: string | null;
  at: string | null;
};

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const organisations = pgTable(
  'organisations',
  {
    id: text('id').primaryKey(),
    kind: text('kind', { enum: ['PMO', 'PROVIDER', 'PLATFORM'] }).notNull(),
    name: text('name').notNull(),
    status: text('status', { enum: ['APPLIED', 'ACTIVE', 'SUSPENDED', 'REJECTED'] }).notNull(),
    /** Review aggregates, kept by the review that changes them (same transaction). */
    ratingSum: integer('rating_sum').notNull().default(0),
    ratingCount: integer('rating_count').notNull().default(0),
    /** What an applicant told the program about itself (null for organisations seeded directly). */
    application: jsonb('application').$type<TOrganisationApplication | null>(),
    /** Due-diligence marks by item. */
    checklist: jsonb('checklist').$type<Record<string, TChecklistMarkRecord>>().notNull().default({}),
    /** Why it was REJECTED or SUSPENDED (or last reinstated). */
    statusReason: jsonb('status_reason').$type<{ reasons: string[]; at: string } | null>(),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [index('organisations_kind_id_idx').on(t.kind, t.id)],
);

/** OAuth clients. The secret is stored as a SHA-256 digest only: it is 256 random bits, so a slow
 * hash adds nothing but latency on every token request. */
export const apiClients = pgTable(
  'api_clients',
  {
    id: text('id').primaryKey(),
    organisationId: text('organisation_id')
      .notNull()
      .references(() => organisations.id),
    secretHash: text('secret_hash').notNull(),
    secretLast4: text('secret_last4').notNull(),
    scopes: text('scopes').array().notNull(),
    status: text('status', { enum: ['ACTIVE', 'REVOKED'] }).notNull(),
    label: text('label').notNull().default(''),
    createdAt: ts('created_at').notNull().defaultNow(),
    /** A rotated-out client works until then. */
    expiresAt: ts('expires_at'),
    revokedAt: ts('revoked_at'),
  },
  (t) => [index('api_clients_org_idx').on(t.organisationId)],
);

/**
 * Append-only: a trigger in the migrations refuses UPDATE and DELETE (on every partition). Partitioned
 * by month of `id` (`aud_` + ULID) since 0035; see docs/adr/0007.
 */
export const auditLog = pgTable(
  'audit_log',
  {
    id: text('id').primaryKey(),
    occurredAt: ts('occurred_at').notNull().defaultNow(),
    actorOrganisationId: text('actor_organisation_id'),
    actorClientId: text('actor_client_id'),
    action: text('action').notNull(),
    entityType: text('entity_type').notNull(),
    entityId: text('entity_id').notNull(),
    fromState: text('from_state'),
    toState: text('to_state'),
    requestId: text('request_id'),
    data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [
    index('audit_log_entity_idx').on(t.entityType, t.entityId),
    index('audit_log_actor_idx').on(t.actorOrganisationId, t.occurredAt),
  ],
);

/** Stripe-style idempotency records, one per (client, key), kept at least 24 h. */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    clientId: text('client_id').notNull(),
    key: text('key').notNull(),
    procedure: text('procedure').notNull(),
    requestHash: text('request_hash').notNull(),
    status: text('status', { enum: ['IN_PROGRESS', 'COMPLETED'] }).notNull(),
    /** A crashed first attempt holds the key only until then; the next retry may take it over. */
    lockedUntil: ts('locked_until').notNull(),
    /**
     * The fencing token of the attempt that holds the key: a claim (or a takeover) writes a new one,
     * and only the attempt whose token is still here may complete or release the key. Null on rows
     * written before fencing existed.
     */
    attempt: text('attempt'),
    responseStatus: integer('response_status'),
    responseBody: jsonb('response_body'),
    createdAt: ts('created_at').notNull().defaultNow(),
    expiresAt: ts('expires_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.clientId, t.key] }),
    index('idempotency_keys_expires_idx').on(t.expiresAt),
  ],
);

/** The outbox: events written in the same transaction as the change they describe. */
/** PostgreSQL's 64-bit transaction id, read as text (compared in SQL only). */
const xid8 = customType<{ data: string }>({ dataType: () => 'xid8' });

/**
 * The transaction that last wrote what the fraud detectors read of the row: the default on insert,
 * and on update the trigger latih_touch_changed_xid (migration 0025; only when a column the
 * detectors read changes). The hourly pass re-evaluates the patterns of the rows written by
 * transactions the previous pass's snapshot did not see (see runSignalDetection). Null for rows
 * older than 0025.
 */
const changedXid = () => xid8('changed_xid').default(sql`pg_current_xact_id()`);

export const events = pgTable(
  'events',
  {
    /**
     * Commit order within the feed (with xid). Unique by construction: only the sequence's nextval
     * writes it. Not the primary key since 0035: the table is partitioned by month of `id` (a ULID),
     * and a partitioned table's unique keys must contain the partition key (docs/adr/0007).
     */
    seq: bigserial('seq', { mode: 'number' }).notNull(),
    /**
     * The writing transaction: readers page by (xid, seq) below their snapshot's xmin, so an event
     * whose transaction commits late can never land behind a poller's cursor (as catalog_changes).
     */
    xid: xid8('xid').notNull().default(sql`pg_current_xact_id()`),
    /** `evt_` + ULID: its time picks the month partition, so the primary key holds across them all. */
    id: text('id').primaryKey(),
    type: text('type').notNull(),
    organisationId: text('organisation_id'),
    entityType: text('entity_type').notNull(),
    entityId: text('entity_id').notNull(),
    data: jsonb('data').$type<Record<string, unknown>>().notNull(),
    requestId: text('request_id'),
    createdAt: ts('created_at').notNull().defaultNow(),
    publishedAt: ts('published_at'),
  },
  (t) => [
    index('events_seq_idx').on(t.seq),
    index('events_unpublished_idx').on(t.seq).where(sql`${t.publishedAt} is null`),
    index('events_org_idx').on(t.organisationId, t.seq),
    index('events_org_xid_idx').on(t.organisationId, t.xid, t.seq),
  ],
);

/** Where an organisation wants its events POSTed. */
export const webhookEndpoints = pgTable(
  'webhook_endpoints',
  {
    id: text('id').primaryKey(),
    organisationId: text('organisation_id')
      .notNull()
      .references(() => organisations.id),
    url: text('url').notNull(),
    description: text('description'),
    eventTypes: jsonb('event_types').$type<string[]>().notNull(),
    status: text('status', { enum: ['ENABLED', 'DISABLED'] }).notNull(),
    disabledReason: text('disabled_reason'),
    failingSince: ts('failing_since'),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [index('webhook_endpoints_org_idx').on(t.organisationId, t.status)],
);

/** Signing secrets, sealed at rest (they must be readable to sign). expiresAt null: the current one. */
export const webhookSecrets = pgTable(
  'webhook_secrets',
  {
    id: text('id').primaryKey(),
    endpointId: text('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
    sealed: text('sealed').notNull(),
    createdAt: ts('created_at').notNull(),
    expiresAt: ts('expires_at'),
  },
  (t) => [index('webhook_secrets_endpoint_idx').on(t.endpointId)],
);

/** One event for one endpoint, retried until it succeeds or is given up. */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: text('id').primaryKey(),
    endpointId: text('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
    eventId: text('event_id').notNull(),
    eventType: text('event_type').notNull(),
    status: text('status', { enum: ['PENDING', 'SUCCEEDED', 'FAILED'] }).notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: ts('next_attempt_at'),
    /** A worker holds the delivery while it sends; after this another may take it over. */
    lockedUntil: ts('locked_until'),
    lastAttemptAt: ts('last_attempt_at'),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    deliveredAt: ts('delivered_at'),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [
    uniqueIndex('webhook_deliveries_endpoint_event_idx').on(t.endpointId, t.eventId),
    index('webhook_deliveries_due_idx').on(t.nextAttemptAt).where(sql`${t.status} = 'PENDING'`),
    index('webhook_deliveries_endpoint_idx').on(t.endpointId, t.id),
  ],
);

/** The delivery log: every attempt, its answer and how long it took. */
export const webhookAttempts = pgTable(
  'webhook_attempts',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    deliveryId: text('delivery_id')
      .notNull()
      .references(() => webhookDeliveries.id, { onDelete: 'cascade' }),
    attemptedAt: ts('attempted_at').notNull(),
    statusCode: integer('status_code'),
    error: text('error'),
    durationMs: integer('duration_ms').notNull(),
  },
  (t) => [index('webhook_attempts_delivery_idx').on(t.deliveryId, t.id)],
);

/** Program rules as data, versioned: courses (and later participants) point to one. */
export const schemes = pgTable('schemes', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  validFrom: timestamp('valid_from', { withTimezone: true, mode: 'date' }).notNull(),
  rules: jsonb('rules').$type<TSchemeRules>().notNull(),
});

export const courses = pgTable(
  'courses',
  {
    id: text('id').primaryKey(),
    providerId: text('provider_id')
      .notNull()
      .references(() => organisations.id),
    externalId: text('external_id'),
    schemeId: text('scheme_id')
      .notNull()
      .default('PRAKERJA_2023')
      .references(() => schemes.id),
    status: text('status', {
      enum: ['DRAFT', 'IN_REVIEW', 'PUBLISHED', 'REJECTED', 'SUSPENDED', 'WITHDRAWN'],
    }).notNull(),
    title: text('title').notNull(),
    summary: text('summary').notNull(),
    description: text('description').notNull(),
    category: text('category').notNull(),
    mode: text('mode', { enum: ['SELF_PACED', 'WEBINAR', 'LURING', 'HYBRID'] }).notNull(),
    /** Minutes, so that quarter hours stay integers. */
    durationMinutes: integer('duration_minutes').notNull(),
    /** Whole rupiah. */
    price: bigint('price', { mode: 'number' }).notNull(),
    language: text('language').notNull(),
    competencyCodes: text('competency_codes').array().notNull().default(sql`'{}'`),
    occupationCodes: text('occupation_codes').array().notNull().default(sql`'{}'`),
    learningOutcomes: text('learning_outcomes').array().notNull().default(sql`'{}'`),
    completionRule: jsonb('completion_rule')
      .$type<TCompletionRule>()
      .notNull()
      .default(sql`'{"minAttendancePercent":100,"postTestPassScore":70,"assignmentRequired":true}'::jsonb`),
    certificateTemplate: jsonb('certificate_template').$type<TCertificateTemplate | null>(),
    version: integer('version').notNull().default(1),
    ratingSum: integer('rating_sum').notNull().default(0),
    ratingCount: integer('rating_count').notNull().default(0),
    rejection: jsonb('rejection').$type<TRejection | null>(),
    suspension: jsonb('suspension').$type<{ reason: string; at: string } | null>(),
    submittedAt: ts('submitted_at'),
    publishedAt: ts('published_at'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
    changedXid: changedXid(),
  },
  (t) => [
    index('courses_changed_xid_idx').on(t.changedXid).where(sql`${t.changedXid} is not null`),
    index('courses_provider_id_idx').on(t.providerId, t.id),
    uniqueIndex('courses_provider_external_idx').on(t.providerId, t.externalId),
    index('courses_status_idx').on(t.status, t.id),
  ],
);

/**
 * Edits of a published course, reviewed while the published version stays on sale; approval copies
 * the content into `courses` in one transaction. At most one open revision per course.
 */
export const courseRevisions = pgTable(
  'course_revisions',
  {
    id: text('id').primaryKey(),
    courseId: text('course_id')
      .notNull()
      .references(() => courses.id),
    status: text('status', { enum: ['DRAFT', 'IN_REVIEW', 'REJECTED', 'APPROVED'] }).notNull(),
    content: jsonb('content').$type<TCourseContent>().notNull(),
    rejection: jsonb('rejection').$type<TRejection | null>(),
    submittedAt: ts('submitted_at'),
    decidedAt: ts('decided_at'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('course_revisions_one_open_idx')
      .on(t.courseId)
      .where(sql`${t.status} in ('DRAFT', 'IN_REVIEW', 'REJECTED')`),
  ],
);

export const runs = pgTable(
  'runs',
  {
    id: text('id').primaryKey(),
    courseId: text('course_id')
      .notNull()
      .references(() => courses.id),
    providerId: text('provider_id')
      .notNull()
      .references(() => organisations.id),
    externalId: text('external_id'),
    status: text('status', {
      enum: ['SCHEDULED', 'OPEN', 'FULL', 'RUNNING', 'FINISHED', 'CANCELLED'],
    }).notNull(),
    capacity: integer('capacity').notNull(),
    seatsTaken: integer('seats_taken').notNull().default(0),
    startsAt: ts('starts_at').notNull(),
    endsAt: ts('ends_at').notNull(),
    cancellation: jsonb('cancellation').$type<{ reason: string; at: string } | null>(),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
    changedXid: changedXid(),
  },
  (t) => [
    index('runs_changed_xid_idx').on(t.changedXid).where(sql`${t.changedXid} is not null`),
    index('runs_course_idx').on(t.courseId, t.startsAt),
    index('runs_provider_idx').on(t.providerId, t.id),
    uniqueIndex('runs_provider_external_idx').on(t.providerId, t.externalId),
    index('runs_status_starts_idx').on(t.status, t.startsAt),
    check('runs_seats_within_capacity', sql`${t.seatsTaken} >= 0 and ${t.seatsTaken} <= ${t.capacity}`),
  ],
);

export const runSessions = pgTable(
  'run_sessions',
  {
    runId: text('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    sequence: integer('sequence').notNull(),
    mode: text('mode', { enum: ['ONLINE', 'LURING'] }).notNull(),
    startsAt: ts('starts_at').notNull(),
    endsAt: ts('ends_at').notNull(),
    timeZone: text('time_zone').notNull(),
    venue: jsonb('venue').$type<TVenueRecord | null>(),
    /** Kept back from the public catalog. */
    meetingUrl: text('meeting_url'),
    regencyCode: text('regency_code'),
  },
  (t) => [
    primaryKey({ columns: [t.runId, t.sequence] }),
    index('run_sessions_regency_idx').on(t.regencyCode),
  ],
);

/**
 * Each course as the catalog change feed serves it, rendered ahead of the feed by the
 * `catalog.render` job (docs/adr/0009): the feed splices `body` into its pages instead of building
 * and validating every course on every request. An entry is current for a change of its course
 * when `rendered_xmin` is above that change's transaction id (every transaction below a snapshot's
 * xmin had committed when it was read) and `view_version` is the running code's; otherwise the feed
 * renders the course itself.
 */
export const catalogEntries = pgTable('catalog_entries', {
  courseId: text('course_id').primaryKey(),
  /** CATALOG_VIEW_VERSION of the code that rendered it: a change to the view re-renders them all. */
  viewVersion: integer('view_version').notNull(),
  /** The xmin of the snapshot the course was read in. */
  renderedXmin: xid8('rendered_xmin').notNull(),
  /** UPSERT: on sale, `body` is its JSON; TOMBSTONE: was public, is not now; NONE: never public. */
  kind: text('kind', { enum: ['UPSERT', 'TOMBSTONE', 'NONE'] }).notNull(),
  body: text('body'),
  renderedAt: ts('rendered_at').notNull().defaultNow(),
});

/** How far `catalog.render` has read the catalog change feed, and for which view version. */
export const catalogRenderState = pgTable('catalog_render_state', {
  id: text('id').primaryKey(),
  viewVersion: integer('view_version').notNull(),
  xid: xid8('xid').notNull(),
  seq: bigint('seq', { mode: 'number' }).notNull(),
});

/** Participants: the NIK only as a keyed hash and its last four digits. */
export const participants = pgTable(
  'participants',
  {
    id: text('id').primaryKey(),
    nikHash: text('nik_hash').notNull(),
    nikLast4: text('nik_last4').notNull(),
    cardNumber: text('card_number').notNull(),
    name: text('name').notNull(),
    gender: text('gender', { enum: ['M', 'F'] }).notNull(),
    birthDate: date('birth_date', { mode: 'string' }).notNull(),
    regencyCode: text('regency_code').notNull(),
    cohort: integer('cohort').notNull(),
    schemeId: text('scheme_id')
      .notNull()
      .references(() => schemes.id),
    status: text('status', { enum: ['ACTIVE', 'INACTIVE'] }).notNull(),
    /** Kept equal to the participant's ledger account by every movement (checked by checkLedger). */
    balance: bigint('balance', { mode: 'number' }).notNull(),
    purchaseDeadline: ts('purchase_deadline').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    /** The registered mobile number's keyed hash (never the number) and last 4 digits; null: not given. */
    phoneHash: text('phone_hash'),
    phoneLast4: text('phone_last4'),
    /**
     * The population-registry check (registry_checks has each one): VERIFIED (NIK, name and birth
     * date match), PENDING (no verdict yet: the registry was unavailable; registry_queue retries),
     * BLOCKED (a mismatch: registry_reasons says which), OVERRIDDEN (the PMO let a blocked or
     * pending participant through, with a recorded reason). Only VERIFIED and OVERRIDDEN may buy.
     * Participants imported before the check existed are VERIFIED with registry_checked_at null.
     */
    registryStatus: text('registry_status', { enum: ['VERIFIED', 'PENDING', 'BLOCKED', 'OVERRIDDEN'] })
      .notNull()
      .default('VERIFIED'),
    registryReasons: text('registry_reasons').array().notNull().default(sql`'{}'::text[]`),
    registryCheckedAt: ts('registry_checked_at'),
    changedXid: changedXid(),
  },
  (t) => [
    uniqueIndex('participants_nik_hash_idx').on(t.nikHash),
    // The PMO's work list: blocked and pending participants.
    index('participants_registry_open_idx')
      .on(t.registryStatus, t.id)
      .where(sql`${t.registryStatus} in ('PENDING', 'BLOCKED')`),
    // SHARED_PHONE reads the participants behind one number, and the pass the recently written ones.
    index('participants_phone_hash_idx').on(t.phoneHash).where(sql`${t.phoneHash} is not null`),
    index('participants_changed_xid_idx').on(t.changedXid).where(sql`${t.changedXid} is not null`),
    uniqueIndex('participants_card_number_idx').on(t.cardNumber),
    index('participants_cohort_idx').on(t.cohort, t.id),
    // The PMO's lookup by name: a case-insensitive prefix, within a regency or not.
    index('participants_name_prefix_idx').using('btree', sql`lower(${t.name}) text_pattern_ops`),
    index('participants_regency_idx').on(t.regencyCode, t.id),
    // Statistics read registrations of the days their rollups do not cover.
    index('participants_created_idx').on(t.createdAt),
    check('participants_balance_non_negative', sql`${t.balance} >= 0`),
  ],
);

/** Double-entry ledger: every transaction's entries sum to zero; an account's balance is its sum. */
export const ledgerTransactions = pgTable('ledger_transactions', {
  id: text('id').primaryKey(),
  kind: text('kind').notNull(),
  reference: text('reference'),
  createdAt: ts('created_at').notNull().defaultNow(),
});

export const ledgerEntries = pgTable(
  'ledger_entries',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    transactionId: text('transaction_id')
      .notNull()
      .references(() => ledgerTransactions.id),
    account: text('account').notNull(),
    /** Whole rupiah; positive adds to the account. */
    amount: bigint('amount', { mode: 'number' }).notNull(),
  },
  (t) => [
    index('ledger_entries_account_idx').on(t.account),
    index('ledger_entries_tx_idx').on(t.transactionId),
  ],
);

/** A platform's request to charge a participant's balance, pending the participant's one-time code. */
export const checkouts = pgTable(
  'checkouts',
  {
    id: text('id').primaryKey(),
    platformId: text('platform_id')
      .notNull()
      .references(() => organisations.id),
    participantId: text('participant_id')
      .notNull()
      .references(() => participants.id),
    courseId: text('course_id')
      .notNull()
      .references(() => courses.id),
    runId: text('run_id').references(() => runs.id),
    price: bigint('price', { mode: 'number' }).notNull(),
    status: text('status', { enum: ['PENDING', 'CONFIRMED', 'EXPIRED', 'LOCKED'] }).notNull(),
    /** HMAC of the one-time code keyed by the checkout id: the code itself is never stored. */
    otpHash: text('otp_hash').notNull(),
    otpExpiresAt: ts('otp_expires_at').notNull(),
    attempts: integer('attempts').notNull().default(0),
    voucherId: text('voucher_id'),
    /** The platform's own device and session ids of the buyer (opaque, as the platform sent them). */
    deviceId: text('device_id'),
    sessionId: text('session_id'),
    createdAt: ts('created_at').notNull().defaultNow(),
    confirmedAt: ts('confirmed_at'),
    changedXid: changedXid(),
  },
  (t) => [
    index('checkouts_changed_xid_idx').on(t.changedXid).where(sql`${t.changedXid} is not null`),
    index('checkouts_platform_idx').on(t.platformId, t.id),
    // The fraud detectors read recent checkouts (many participants on one device or session).
    index('checkouts_created_brin').using('brin', t.createdAt),
    // otp.expire finds the codes past their life.
    index('checkouts_pending_idx').on(t.otpExpiresAt).where(sql`${t.status} = 'PENDING'`),
    // The detectors' incremental pass re-reads the checkouts of one device or session.
    index('checkouts_device_idx').on(t.platformId, t.deviceId).where(sql`${t.deviceId} is not null`),
    index('checkouts_session_idx').on(t.platformId, t.sessionId).where(sql`${t.sessionId} is not null`),
  ],
);

/** Vouchers: the code is a bearer secret, kept as a hash and its last 4 characters. */
export const vouchers = pgTable(
  'vouchers',
  {
    id: text('id').primaryKey(),
    codeHash: text('code_hash').notNull(),
    codeLast4: text('code_last4').notNull(),
    participantId: text('participant_id')
      .notNull()
      .references(() => participants.id),
    platformId: text('platform_id')
      .notNull()
      .references(() => organisations.id),
    providerId: text('provider_id')
      .notNull()
      .references(() => organisations.id),
    courseId: text('course_id')
      .notNull()
      .references(() => courses.id),
    runId: text('run_id').references(() => runs.id),
    checkoutId: text('checkout_id').notNull(),
    price: bigint('price', { mode: 'number' }).notNull(),
    status: text('status', {
      enum: ['ISSUED', 'REDEEMED', 'COMPLETED', 'NOT_COMPLETED', 'CANCELLED', 'EXPIRED'],
    }).notNull(),
    /** Issued by sandbox.testCodes.issue (outside production only): the protocol's reset may undo its redemption. */
    test: boolean('test').notNull().default(false),
    expiresAt: ts('expires_at').notNull(),
    issuedAt: ts('issued_at').notNull().defaultNow(),
    redeemedAt: ts('redeemed_at'),
    closedAt: ts('closed_at'),
    /** Why it was closed when that is not its own status: `RUN_CANCELLED`, `PLATFORM_CANCELLED`… */
    closeReason: text('close_reason'),
    /** A case's decision holds what its price pays the provider: its lines are accrued held. */
    settlementHeldAt: ts('settlement_held_at'),
  },
  (t) => [
    uniqueIndex('vouchers_code_hash_idx').on(t.codeHash),
    uniqueIndex('vouchers_checkout_idx').on(t.checkoutId),
    uniqueIndex('vouchers_one_per_course_idx')
      .on(t.participantId, t.courseId)
      .where(sql`${t.status} in ('ISSUED', 'REDEEMED', 'COMPLETED')`),
    index('vouchers_platform_idx').on(t.platformId, t.id),
    // The PMO's participant lookup: every voucher of one participant, whatever its status.
    index('vouchers_participant_idx').on(t.participantId),
    index('vouchers_expiry_idx').on(t.expiresAt).where(sql`${t.status} = 'ISSUED'`),
    // A run's cancellation finds what was sold for it without scanning every voucher.
    index('vouchers_run_idx')
      .on(t.runId)
      .where(sql`${t.status} in ('ISSUED', 'REDEEMED', 'COMPLETED', 'NOT_COMPLETED')`),
    // BRIN (block ranges): tiny and nearly free to keep on columns that grow with time; report
    // rollups and fraud detectors read recent days by them.
    index('vouchers_issued_brin').using('brin', t.issuedAt),
    // The detectors' incremental pass reads a provider's redemptions near one purchase-to-redemption
    // delay (UNIFORM_REDEMPTION_DELAY) before it re-reads the provider's month. issued_at is in it
    // so that the read is index-only: the planner needs an expression's own columns in the index.
    index('vouchers_provider_delay_idx')
      .on(
        t.providerId,
        sql`(extract(epoch from (${t.redeemedAt} - ${t.issuedAt})))`,
        t.redeemedAt,
        t.issuedAt,
      )
      .where(sql`${t.redeemedAt} is not null`),
    index('vouchers_closed_brin').using('brin', t.closedAt),
  ],
);

/** A redeemed voucher becomes an enrollment: the participant in training with the provider. */
export const enrollments = pgTable(
  'enrollments',
  {
    id: text('id').primaryKey(),
    voucherId: text('voucher_id')
      .notNull()
      .references(() => vouchers.id),
    participantId: text('participant_id')
      .notNull()
      .references(() => participants.id),
    providerId: text('provider_id')
      .notNull()
      .references(() => organisations.id),
    courseId: text('course_id')
      .notNull()
      .references(() => courses.id),
    runId: text('run_id').references(() => runs.id),
    status: text('status', { enum: ['IN_TRAINING', 'COMPLETED', 'NOT_COMPLETED', 'WITHDRAWN'] }).notNull(),
    redeemedAt: ts('redeemed_at').notNull(),
    redeemedIp: text('redeemed_ip'),
    /** The device the code was entered on, as the provider reported it (fraud signals). */
    redeemedDeviceId: text('redeemed_device_id'),
    assignmentUrl: text('assignment_url'),
    assignmentHash: text('assignment_hash'),
    /** When it was submitted (the provider's occurredAt, else when it was recorded). */
    assignmentSubmittedAt: ts('assignment_submitted_at'),
    /** When the gateway received it; null before 0019. */
    assignmentRecordedAt: ts('assignment_recorded_at'),
    assignmentFeedback: text('assignment_feedback'),
    postTestScore: integer('post_test_score'),
    /** When the post-test was taken (the provider's occurredAt, else when it was recorded), and received. */
    postTestTakenAt: ts('post_test_taken_at'),
    postTestRecordedAt: ts('post_test_recorded_at'),
    completedAt: ts('completed_at'),
    /** Why a WITHDRAWN enrollment ended, e.g. `RUN_CANCELLED`. */
    endReason: text('end_reason'),
    changedXid: changedXid(),
  },
  (t) => [
    index('enrollments_changed_xid_idx').on(t.changedXid).where(sql`${t.changedXid} is not null`),
    uniqueIndex('enrollments_voucher_idx').on(t.voucherId),
    index('enrollments_provider_idx').on(t.providerId, t.id),
    // Statistics count a participant once per mode or category: their earlier enrollments.
    index('enrollments_participant_idx').on(t.participantId, t.redeemedAt),
    index('enrollments_run_idx').on(t.runId),
    index('enrollments_redeemed_brin').using('brin', t.redeemedAt),
    index('enrollments_completed_brin').using('brin', t.completedAt),
    // The detectors' incremental pass re-reads one course's completions, one assignment, one address.
    index('enrollments_course_completed_idx').on(t.courseId, t.completedAt),
    index('enrollments_assignment_hash_idx').on(t.assignmentHash).where(sql`${t.assignmentHash} is not null`),
    index('enrollments_redeemed_ip_idx').on(t.redeemedIp).where(sql`${t.redeemedIp} is not null`),
    index('enrollments_assignment_submitted_brin').using('brin', t.assignmentSubmittedAt),
  ],
);

/**
 * Attendance per session of an enrollment; recording again replaces the record. Partitioned by month
 * of `enrollment_id` (`enr_` + ULID, the redemption's time) since 0035, so the primary key, and with
 * it the upsert, holds across partitions (docs/adr/0007).
 */
export const attendance = pgTable(
  'attendance',
  {
    enrollmentId: text('enrollment_id')
      .notNull()
      .references(() => enrollments.id),
    sequence: integer('sequence').notNull(),
    status: text('status', { enum: ['CONFIRMED', 'UNCONFIRMED', 'REJECTED', 'VOIDED'] }).notNull(),
    method: text('method', {
      enum: ['FACE_MATCH', 'PROVIDER_FACE_CHECK', 'VENUE_QR', 'ONLINE_PRESENCE', 'MANUAL'],
    }).notNull(),
    deviceId: text('device_id'),
    ip: text('ip'),
    voidReason: text('void_reason'),
    /** When the participant was there, as the provider said; null: when it was recorded (and before 0019). */
    occurredAt: ts('occurred_at'),
    recordedAt: ts('recorded_at').notNull(),
    changedXid: changedXid(),
  },
  (t) => [
    index('attendance_changed_xid_idx').on(t.changedXid).where(sql`${t.changedXid} is not null`),
    primaryKey({ columns: [t.enrollmentId, t.sequence] }),
    index('attendance_device_idx').on(t.deviceId),
    index('attendance_recorded_brin').using('brin', t.recordedAt),
    index('attendance_ip_idx').on(t.ip).where(sql`${t.ip} is not null`),
  ],
);

/** Where a provider may send participants back after the identity check: exact matches only. */
export const redirectUris = pgTable(
  'redirect_uris',
  {
    organisationId: text('organisation_id')
      .notNull()
      .references(() => organisations.id),
    uri: text('uri').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.organisationId, t.uri] })],
);

/**
 * A single-use identity-check link for one session of an enrollment. Only the token's SHA-256 is
 * stored; the participant's answer is kept with it.
 */
export const identityChecks = pgTable(
  'identity_checks',
  {
    id: text('id').primaryKey(),
    tokenHash: text('token_hash').notNull(),
    enrollmentId: text('enrollment_id')
      .notNull()
      .references(() => enrollments.id),
    sequence: integer('sequence').notNull(),
    redirectUri: text('redirect_uri').notNull(),
    state: text('state').notNull(),
    expiresAt: ts('expires_at').notNull(),
    usedAt: ts('used_at'),
    result: text('result', { enum: ['CONFIRMED', 'FAILED'] }),
    reason: text('reason'),
    ip: text('ip'),
    createdAt: ts('created_at').notNull().defaultNow(),
    changedXid: changedXid(),
  },
  (t) => [
    index('identity_checks_changed_xid_idx').on(t.changedXid).where(sql`${t.changedXid} is not null`),
    uniqueIndex('identity_checks_token_idx').on(t.tokenHash),
    index('identity_checks_enrollment_idx').on(t.enrollmentId),
    index('identity_checks_used_brin').using('brin', t.usedAt),
  ],
);

/** Public keys that ever signed a certificate: published in the JWKS for as long as we exist. */
export const certificateKeys = pgTable('certificate_keys', {
  kid: text('kid').primaryKey(),
  publicJwk: jsonb('public_jwk').$type<Record<string, string>>().notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
});

/**
 * Where each certificate's bit sits in the revocation status lists (W3C Bitstring Status List):
 * index i is bit i % 131 072 of list i / 131 072 + 1. Taken before signing (the index is in the
 * signed credential); existing certificates got theirs when the column was added.
 */
export const certificateStatusIndexSeq = pgSequence('certificate_status_index_seq', {
  startWith: 0,
  minValue: 0,
});

/** A completion certificate: the signed credential as issued, and whether it still stands. */
export const certificates = pgTable(
  'certificates',
  {
    id: text('id').primaryKey(),
    number: text('number').notNull(),
    enrollmentId: text('enrollment_id')
      .notNull()
      .references(() => enrollments.id),
    providerId: text('provider_id')
      .notNull()
      .references(() => organisations.id),
    courseId: text('course_id')
      .notNull()
      .references(() => courses.id),
    participantId: text('participant_id')
      .notNull()
      .references(() => participants.id),
    /** The Open Badges 3.0 credential with its proof, exactly as signed. */
    credential: jsonb('credential').$type<Record<string, unknown>>().notNull(),
    kid: text('kid').notNull(),
    status: text('status', { enum: ['VALID', 'REVOKED'] }).notNull(),
    issuedAt: ts('issued_at').notNull(),
    revokedAt: ts('revoked_at'),
    revokedReason: text('revoked_reason'),
    revokedBy: text('revoked_by'),
    /** Its bit in the revocation status lists (see certificateStatusIndexSeq). */
    statusIndex: bigint('status_index', { mode: 'number' })
      .notNull()
      .default(sql`nextval('certificate_status_index_seq')`),
  },
  (t) => [
    uniqueIndex('certificates_number_idx').on(t.number),
    // Unique by construction (one sequence); not a unique index, which a table distributed by
    // participant could not keep without a check across shards (docs/operations.md, Scale-out).
    index('certificates_status_index_idx').on(t.statusIndex),
    // A status list reads only the revoked bits of its range.
    index('certificates_revoked_status_idx').on(t.statusIndex).where(sql`${t.status} = 'REVOKED'`),
    uniqueIndex('certificates_enrollment_idx').on(t.enrollmentId),
    index('certificates_provider_idx').on(t.providerId, t.id),
    index('certificates_issued_brin').using('brin', t.issuedAt),
  ],
);

/** One review per completed enrollment, submitted by the platform that sold it. */
export const reviews = pgTable(
  'reviews',
  {
    id: text('id').primaryKey(),
    enrollmentId: text('enrollment_id')
      .notNull()
      .references(() => enrollments.id),
    voucherId: text('voucher_id')
      .notNull()
      .references(() => vouchers.id),
    platformId: text('platform_id')
      .notNull()
      .references(() => organisations.id),
    providerId: text('provider_id')
      .notNull()
      .references(() => organisations.id),
    courseId: text('course_id')
      .notNull()
      .references(() => courses.id),
    rating: integer('rating').notNull(),
    text: text('text').notNull(),
    createdAt: ts('created_at').notNull(),
    changedXid: changedXid(),
  },
  (t) => [
    index('reviews_changed_xid_idx').on(t.changedXid).where(sql`${t.changedXid} is not null`),
    uniqueIndex('reviews_enrollment_idx').on(t.enrollmentId),
    index('reviews_course_idx').on(t.courseId),
    index('reviews_created_brin').using('brin', t.createdAt),
    check('reviews_rating_range', sql`${t.rating} between 1 and 5`),
    index('reviews_course_five_idx').on(t.courseId, t.createdAt).where(sql`${t.rating} = 5`),
  ],
);

/**
 * An organisation's connected account at the payment provider, where its settlements go. The bank
 * or e-wallet details live at the provider; the gateway keeps the account id and a masked label.
 */
export const payoutAccounts = pgTable('payout_accounts', {
  organisationId: text('organisation_id')
    .primaryKey()
    .references(() => organisations.id),
  providerAccountId: text('provider_account_id').notNull(),
  destinationKind: text('destination_kind', { enum: ['BANK', 'EWALLET'] }),
  destinationLabel: text('destination_label'),
  status: text('status', { enum: ['PENDING', 'ENABLED', 'RESTRICTED'] }).notNull(),
  requirements: jsonb('requirements').$type<string[]>().notNull(),
  updatedAt: ts('updated_at').notNull(),
});

/**
 * Where a participant's incentive is paid: the destination sealed (personal data), a masked label,
 * and a keyed hash of the normalized destination, equal for the same account, so several
 * participants paid into one account can be found without opening any (null for accounts set
 * before it existed: filled when the account is next set).
 */
export const participantPayoutAccounts = pgTable(
  'participant_payout_accounts',
  {
    participantId: text('participant_id')
      .primaryKey()
      .references(() => participants.id),
    kind: text('kind', { enum: ['BANK', 'EWALLET'] }).notNull(),
    label: text('label').notNull(),
    sealedDestination: text('sealed_destination').notNull(),
    destinationHash: text('destination_hash'),
    updatedAt: ts('updated_at').notNull(),
    changedXid: changedXid(),
  },
  (t) => [
    index('participant_payout_accounts_changed_xid_idx')
      .on(t.changedXid)
      .where(sql`${t.changedXid} is not null`),
    index('participant_payout_accounts_destination_hash_idx')
      .on(t.destinationHash)
      .where(sql`${t.destinationHash} is not null`),
    index('participant_payout_accounts_updated_idx').on(t.updatedAt),
  ],
);

/** One settlement batch per business day (WIB): running the same day again finds this row. */
export const settlementBatches = pgTable('settlement_batches', {
  date: date('date', { mode: 'string' }).primaryKey(),
  cutoff: ts('cutoff').notNull(),
  settlementCount: integer('settlement_count').notNull(),
  itemCount: integer('item_count').notNull(),
  amount: bigint('amount', { mode: 'number' }).notNull(),
  createdAt: ts('created_at').notNull(),
});

/**
 * What each payable voucher's price became: the provider's share, the platform's commission, or
 * (a voucher the scheme does not pay for) the program's, returned to the fund. One row per
 * voucher and role, so accrual happens once. Settled rows point to their settlement.
 */
export const settlementItems = pgTable(
  'settlement_items',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    voucherId: text('voucher_id')
      .notNull()
      .references(() => vouchers.id),
    role: text('role', { enum: ['PROVIDER', 'PLATFORM', 'PROGRAM'] }).notNull(),
    /** null for the program's share. */
    organisationId: text('organisation_id').references(() => organisations.id),
    courseId: text('course_id').notNull(),
    /**
     * Negative lines undoing an earlier one, netted in the organisation's next settlement:
     * REVERSED (its run was cancelled), VOIDED (the completion it paid for was voided by a case).
     */
    basis: text('basis', {
      enum: ['REDEEMED', 'COMPLETED', 'NOT_COMPLETED', 'REVERSED', 'VOIDED'],
    }).notNull(),
    price: bigint('price', { mode: 'number' }).notNull(),
    commission: bigint('commission', { mode: 'number' }).notNull(),
    amount: bigint('amount', { mode: 'number' }).notNull(),
    payableAt: ts('payable_at').notNull(),
    settlementId: text('settlement_id'),
    /**
     * A negative line whose original was already settled: the organisation owes it, so it is booked
     * against `receivable:{organisationId}` rather than its payable account, and the settlement that
     * nets it clears the receivable.
     */
    receivable: boolean('receivable').notNull().default(false),
    /** Held by a case's decision: left out of settlements until released (or voided). */
    heldAt: ts('held_at'),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [
    // One accrual per voucher and role, and at most one reversal of it (a cancelled run's voucher
    // is never completed, so it is never both REVERSED and VOIDED).
    uniqueIndex('settlement_items_voucher_role_idx')
      .on(t.voucherId, t.role)
      .where(sql`${t.basis} not in ('REVERSED', 'VOIDED')`),
    uniqueIndex('settlement_items_voucher_role_reversal_idx')
      .on(t.voucherId, t.role)
      .where(sql`${t.basis} in ('REVERSED', 'VOIDED')`),
    index('settlement_items_settlement_idx').on(t.settlementId, t.id),
    index('settlement_items_unsettled_idx')
      .on(t.organisationId, t.payableAt)
      .where(sql`${t.settlementId} is null and ${t.role} <> 'PROGRAM'`),
    // The report rollups read a day's lines by created_at every minute (platform commission): a
    // BRIN range index, tiny and cheap to keep, as lines are written in time order. Without it the
    // per-minute refresh read every line ever written (0.7 s at 10 M participants).
    index('settlement_items_created_brin').using('brin', t.createdAt),
  ],
);

const payoutColumns = () => ({
  /** Raised by the PMO's retry of a FAILED payout: each attempt has its own idempotency keys. */
  attempt: integer('attempt').notNull().default(1),
  /** Passing errors within this attempt (for the backoff). */
  retries: integer('retries').notNull().default(0),
  nextAttemptAt: ts('next_attempt_at'),
  /** A worker holds the row while it talks to the payment provider; after this another may. */
  leaseUntil: ts('lease_until'),
  providerTransferId: text('provider_transfer_id'),
  providerPayoutId: text('provider_payout_id'),
  failureCode: text('failure_code'),
  failureMessage: text('failure_message'),
  /** The last retryable error (the row stays due and is tried again). */
  lastError: text('last_error'),
  createdAt: ts('created_at').notNull(),
  updatedAt: ts('updated_at').notNull(),
  paidAt: ts('paid_at'),
});

/** What the program pays one organisation for one batch. */
export const settlements = pgTable(
  'settlements',
  {
    id: text('id').primaryKey(),
    organisationId: text('organisation_id')
      .notNull()
      .references(() => organisations.id),
    role: text('role', { enum: ['PROVIDER', 'PLATFORM'] }).notNull(),
    batchDate: date('batch_date', { mode: 'string' }).notNull(),
    amount: bigint('amount', { mode: 'number' }).notNull(),
    itemCount: integer('item_count').notNull(),
    status: text('status', { enum: ['PENDING', 'IN_TRANSIT', 'PAID', 'FAILED'] }).notNull(),
    ...payoutColumns(),
  },
  (t) => [
    uniqueIndex('settlements_org_batch_idx').on(t.organisationId, t.batchDate),
    index('settlements_org_idx').on(t.organisationId, t.id),
    index('settlements_due_idx').on(t.nextAttemptAt).where(sql`${t.status} = 'PENDING'`),
    index('settlements_payout_idx').on(t.providerPayoutId),
    // payouts.reconcile: in flight and unchanged, or paid recently.
    index('settlements_in_flight_idx')
      .on(t.updatedAt)
      .where(sql`${t.providerPayoutId} is not null and ${t.status} in ('PENDING', 'IN_TRANSIT')`),
    index('settlements_paid_idx').on(t.paidAt).where(sql`${t.status} = 'PAID'`),
  ],
);

/** A participant's incentive, one row per instalment once eligible (one WAITING row before). */
export const incentives = pgTable(
  'incentives',
  {
    id: text('id').primaryKey(),
    participantId: text('participant_id')
      .notNull()
      .references(() => participants.id),
    schemeId: text('scheme_id').notNull(),
    /** COMPLETION (after the first completed training) or SURVEY (one per survey answered, up to the scheme's times). */
    kind: text('kind', { enum: ['COMPLETION', 'SURVEY'] })
      .notNull()
      .default('COMPLETION'),
    /** SURVEY: the survey whose answer earned it. */
    surveyId: text('survey_id'),
    /** Numbered per participant and kind: a completion's instalments 1…n, survey incentives 1…times. */
    instalment: integer('instalment').notNull(),
    instalments: integer('instalments').notNull(),
    amount: bigint('amount', { mode: 'number' }).notNull(),
    /** HELD and CANCELLED by a case's decision (held until released; cancelled for good). */
    status: text('status', {
      enum: ['WAITING', 'ELIGIBLE', 'DISBURSING', 'PAID', 'FAILED', 'HELD', 'CANCELLED'],
    }).notNull(),
    /** WAITING: what is still missing. */
    missing: jsonb('missing').$type<string[]>().notNull(),
    /** The completed enrollment (with its review) that made the participant eligible. */
    enrollmentId: text('enrollment_id'),
    dueAt: ts('due_at'),
    /** A PAID instalment a case's decision found undeserved: owed back, booked as a receivable. */
    recoveryDueAt: ts('recovery_due_at'),
    ...payoutColumns(),
  },
  (t) => [
    index('incentives_enrollment_idx').on(t.enrollmentId),
    // At most one row per number and kind: an instalment, or a survey incentive, is never paid twice.
    uniqueIndex('incentives_participant_kind_instalment_idx').on(t.participantId, t.kind, t.instalment),
    index('incentives_status_idx').on(t.status, t.id),
    index('incentives_due_idx').on(t.dueAt).where(sql`${t.status} = 'ELIGIBLE'`),
    index('incentives_payout_idx').on(t.providerPayoutId),
    index('incentives_in_flight_idx')
      .on(t.updatedAt)
      .where(sql`${t.providerPayoutId} is not null and ${t.status} in ('ELIGIBLE', 'DISBURSING')`),
    index('incentives_paid_idx').on(t.paidAt).where(sql`${t.status} = 'PAID'`),
  ],
);

/**
 * A survey the PMO defines for one scheme (docs/guides/surveys.md): closed questions, an audience
 * (cohort range; always participants with a completed training) and a window.
 */
export const surveys = pgTable(
  'surveys',
  {
    id: text('id').primaryKey(),
    schemeId: text('scheme_id')
      .notNull()
      .references(() => schemes.id),
    title: text('title').notNull(),
    questions: jsonb('questions').$type<TSurveyQuestion[]>().notNull(),
    audience: jsonb('audience').$type<TSurveyAudience>().notNull(),
    opensAt: ts('opens_at').notNull(),
    closesAt: ts('closes_at').notNull(),
    /** Closed by the PMO before its window ended. */
    closedAt: ts('closed_at'),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [index('surveys_scheme_idx').on(t.schemeId, t.closesAt)],
);

/**
 * One participant's answer to one survey (never shown per person outside the PMO's aggregate
 * results), with the time they consented, the platform it came through and the incentive it earned.
 */
export const surveyResponses = pgTable(
  'survey_responses',
  {
    id: text('id').primaryKey(),
    surveyId: text('survey_id')
      .notNull()
      .references(() => surveys.id),
    participantId: text('participant_id')
      .notNull()
      .references(() => participants.id),
    platformId: text('platform_id').notNull(),
    voucherId: text('voucher_id').notNull(),
    answers: jsonb('answers').$type<{ questionId: string; value: string }[]>().notNull(),
    consentAt: ts('consent_at').notNull(),
    incentiveId: text('incentive_id'),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [
    // A participant answers a survey once, whichever platform asks.
    uniqueIndex('survey_responses_survey_participant_idx').on(t.surveyId, t.participantId),
    index('survey_responses_participant_idx').on(t.participantId),
  ],
);

/** Webhooks received from the payment provider, once each (the provider may send one twice). */
export const paymentEvents = pgTable('payment_events', {
  id: text('id').primaryKey(),
  type: text('type').notNull(),
  payoutId: text('payout_id'),
  payoutStatus: text('payout_status'),
  amount: bigint('amount', { mode: 'number' }),
  /** What the event changed: `settlement stl_… IN_TRANSIT → PAID`, `unknown payout`, `no change`. */
  outcome: text('outcome').notNull(),
  receivedAt: ts('received_at').notNull(),
});

/**
 * A pattern worth a human look, found by a detector over recent activity. One row per pattern and
 * subject (type, key): running the detectors again refreshes it. Never a sanction by itself.
 */
export const signals = pgTable(
  'signals',
  {
    id: text('id').primaryKey(),
    type: text('type').notNull(),
    /** What makes it the same pattern on the next run, e.g. `{provider}:{device}`. */
    key: text('key').notNull(),
    subjectType: text('subject_type', { enum: ['ENROLLMENT', 'COURSE', 'PROVIDER'] }).notNull(),
    subjectId: text('subject_id').notNull(),
    providerId: text('provider_id'),
    score: integer('score').notNull(),
    summary: text('summary').notNull(),
    scoring: text('scoring').notNull(),
    evidence: jsonb('evidence').$type<Record<string, unknown>[]>().notNull(),
    /** How many evidence rows there were in all (`evidence` keeps the first 100); null before 0018. */
    evidenceTotal: integer('evidence_total'),
    /** How many enrollments and participants it implicates (rows of signal_subjects); null before 0022. */
    implicatedEnrollments: integer('implicated_enrollments'),
    implicatedParticipants: integer('implicated_participants'),
    status: text('status', { enum: ['OPEN', 'CASE_OPENED', 'DISMISSED'] }).notNull(),
    caseId: text('case_id'),
    dismissal: jsonb('dismissal').$type<{ reason: string; at: string } | null>(),
    firstSeenAt: ts('first_seen_at').notNull(),
    lastSeenAt: ts('last_seen_at').notNull(),
  },
  (t) => [
    uniqueIndex('signals_type_key_idx').on(t.type, t.key),
    index('signals_status_score_idx').on(t.status, t.score, t.id),
    index('signals_provider_idx').on(t.providerId, t.id),
  ],
);

/**
 * Whom a signal implicates: every enrollment (with its participant, course and provider) behind
 * it, complete where the evidence is cut at 100 rows, in the evidence's order (position). A
 * participant named without an enrollment (an account shared before any purchase) has a row
 * with enrollment_id null. Replaced whenever the signal is detected again.
 */
export const signalSubjects = pgTable(
  'signal_subjects',
  {
    signalId: text('signal_id')
      .notNull()
      .references(() => signals.id),
    position: integer('position').notNull(),
    enrollmentId: text('enrollment_id'),
    participantId: text('participant_id').notNull(),
    courseId: text('course_id'),
    providerId: text('provider_id'),
  },
  (t) => [
    primaryKey({ columns: [t.signalId, t.position] }),
    index('signal_subjects_enrollment_idx').on(t.enrollmentId),
    index('signal_subjects_participant_idx').on(t.participantId),
  ],
);

/**
 * Where the fraud detectors' last pass got to (one row, id 'default'): the next pass re-evaluates
 * only the patterns of rows written by transactions that pass's `snapshot` (pg_snapshot, taken
 * before its first read) could not see, those running then or begun since, so a row committed late
 * is never behind it, and of rows the window left since `since`. `rules`: the thresholds and
 * detector version it ran with; another one, or no row, makes the next pass a full one.
 */
export const signalDetectionState = pgTable('signal_detection_state', {
  id: text('id').primaryKey(),
  snapshot: text('snapshot').notNull(),
  at: ts('at').notNull(),
  since: ts('since').notNull(),
  rules: text('rules').notNull(),
  mode: text('mode', { enum: ['FULL', 'INCREMENTAL'] }).notNull(),
});

/**
 * For the detectors that fire on a share (LATE_REPORTING, IDENTITY_CHECK_FAILURES: a provider's
 * late or failed rows among all of its rows in the window), what a key may count now: exact after
 * the key was last evaluated, then widened by each hourly pass that skipped it by what changed
 * (its rows in the group at least n_lo, at most n_hi; hits at most hits_hi). A key without a
 * signal is re-evaluated only when those bounds allow the rule to hold; a full pass rewrites them.
 */
export const signalKeyBounds = pgTable(
  'signal_key_bounds',
  {
    type: text('type').notNull(),
    key: text('key').notNull(),
    nLo: integer('n_lo').notNull(),
    nHi: integer('n_hi').notNull(),
    hitsHi: integer('hits_hi').notNull(),
  },
  (t) => [primaryKey({ columns: [t.type, t.key] })],
);

/** The PMO's review of an enrollment, a course or a provider. Its steps are in the audit log. */
export const controlCases = pgTable(
  'control_cases',
  {
    id: text('id').primaryKey(),
    subjectType: text('subject_type', { enum: ['ENROLLMENT', 'COURSE', 'PROVIDER'] }).notNull(),
    subjectId: text('subject_id').notNull(),
    providerId: text('provider_id')
      .notNull()
      .references(() => organisations.id),
    signalId: text('signal_id'),
    summary: text('summary').notNull(),
    status: text('status', { enum: ['OPEN', 'AWAITING_EVIDENCE', 'DECIDED'] }).notNull(),
    decision: jsonb('decision').$type<{
      outcome: TCaseOutcome;
      reason: string;
      at: string;
      effects: string[];
      /** A decision over a selection: the answer per enrollment (absent before 0023). */
      items?: TCaseDecisionItem[];
    } | null>(),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [
    index('control_cases_provider_idx').on(t.providerId, t.status),
    index('control_cases_status_idx').on(t.status, t.id),
  ],
);

/**
 * The enrollments a case is about, fixed when it opens: a signal's implicated enrollments (copied,
 * so later detections do not change the case's scope) or the case's own enrollment.
 */
export const caseEnrollments = pgTable(
  'case_enrollments',
  {
    caseId: text('case_id')
      .notNull()
      .references(() => controlCases.id),
    enrollmentId: text('enrollment_id')
      .notNull()
      .references(() => enrollments.id),
    position: integer('position').notNull(),
    participantId: text('participant_id').notNull(),
    courseId: text('course_id').notNull(),
    providerId: text('provider_id').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.caseId, t.enrollmentId] }),
    index('case_enrollments_position_idx').on(t.caseId, t.position),
    index('case_enrollments_enrollment_idx').on(t.enrollmentId),
  ],
);

/** A question the PMO puts to a provider within a case; the provider answers through its API. */
export const evidenceRequests = pgTable(
  'evidence_requests',
  {
    id: text('id').primaryKey(),
    caseId: text('case_id')
      .notNull()
      .references(() => controlCases.id),
    providerId: text('provider_id')
      .notNull()
      .references(() => organisations.id),
    question: text('question').notNull(),
    dueAt: ts('due_at').notNull(),
    status: text('status', { enum: ['OPEN', 'ANSWERED'] }).notNull(),
    answer: text('answer'),
    attachments: jsonb('attachments')
      .$type<Array<{ url: string; sha256: string | null; description: string }>>()
      .notNull()
      .default([]),
    answeredAt: ts('answered_at'),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [
    index('evidence_requests_provider_idx').on(t.providerId, t.id),
    index('evidence_requests_case_idx').on(t.caseId),
  ],
);

/** What a report rollup counts, per day or per month (report_daily, report_monthly). */
const reportMeasures = () => ({
  sold: integer('sold').notNull(),
  redeemed: integer('redeemed').notNull(),
  completed: integer('completed').notNull(),
  notCompleted: integer('not_completed').notNull(),
  attendanceTotal: integer('attendance_total').notNull(),
  attendanceConfirmed: integer('attendance_confirmed').notNull(),
  identityChecks: integer('identity_checks').notNull(),
  identityChecksFailed: integer('identity_checks_failed').notNull(),
  ratingSum: integer('rating_sum').notNull(),
  ratingCount: integer('rating_count').notNull(),
  refunds: integer('refunds').notNull(),
  refundAmount: bigint('refund_amount', { mode: 'number' }).notNull(),
});

/** What a statistics rollup counts, per day or per month (statistics_daily, statistics_monthly). */
const statisticsMeasures = () => ({
  participants: integer('participants').notNull(),
  completions: integer('completions').notNull(),
  certificates: integer('certificates').notNull(),
  incentivesPaid: integer('incentives_paid').notNull(),
  incentivesAmount: bigint('incentives_amount', { mode: 'number' }).notNull(),
});

/**
 * Report rollups: per WIB day and course, what happened that day (sold, redeemed, closed, attended,
 * checked, reviewed, refunded). Rebuilt for recent days by the worker and for any range on demand;
 * reports sum them instead of scanning millions of rows.
 */
export const reportDaily = pgTable(
  'report_daily',
  {
    day: date('day', { mode: 'string' }).notNull(),
    courseId: text('course_id').notNull(),
    providerId: text('provider_id').notNull(),
    ...reportMeasures(),
  },
  (t) => [
    primaryKey({ columns: [t.day, t.courseId] }),
    index('report_daily_provider_idx').on(t.providerId, t.day),
  ],
);

/** How many completions took how many whole days, per WIB day and course: medians come from it. */
export const reportCompletionDays = pgTable(
  'report_completion_days',
  {
    day: date('day', { mode: 'string' }).notNull(),
    courseId: text('course_id').notNull(),
    providerId: text('provider_id').notNull(),
    days: integer('days').notNull(),
    n: integer('n').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.day, t.courseId, t.days] }),
    index('report_completion_days_provider_idx').on(t.providerId, t.day),
  ],
);

/** Per WIB day and platform: sales, refunds and commission accrued. */
export const platformDaily = pgTable(
  'platform_daily',
  {
    day: date('day', { mode: 'string' }).notNull(),
    platformId: text('platform_id').notNull(),
    sales: integer('sales').notNull(),
    salesAmount: bigint('sales_amount', { mode: 'number' }).notNull(),
    refunds: integer('refunds').notNull(),
    refundAmount: bigint('refund_amount', { mode: 'number' }).notNull(),
    commission: bigint('commission', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.day, t.platformId] })],
);

/**
 * Statistics rollups: per WIB day, area and key of a stored dimension, the measures of
 * `pmo.statistics` / `public.statistics`. `dimension` is `regency` (area: the regency; serves the
 * province, regency and month dimensions), or `gender`, `birthYear` (serves ageBand), `cohort`,
 * `mode`, `category` (area: the province). Rebuilt with the report rollups, for the same days; the
 * days they cover completely are kept in report_refreshes ('statistics'), and statistics read the
 * rest of a period from the source tables (see `statistics`).
 */
export const statisticsDaily = pgTable(
  'statistics_daily',
  {
    dimension: text('dimension', {
      enum: ['regency', 'gender', 'birthYear', 'cohort', 'mode', 'category'],
    }).notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    area: text('area').notNull(),
    key: text('key').notNull(),
    ...statisticsMeasures(),
  },
  (t) => [primaryKey({ columns: [t.dimension, t.day, t.area, t.key] })],
);

/*
 * The month level of the rollups (issue 21): per WIB month (its first day), the sums of the day
 * rows of that month, recomputed from them in the transaction that rebuilds any of its days. A
 * report or statistic reads the whole months of its period here, the days of its partial months
 * from the day rows, and partial days from the source tables: a year of every course is 24 000 rows
 * instead of 730 000, whatever the number of participants.
 */
export const reportMonthly = pgTable(
  'report_monthly',
  {
    month: date('month', { mode: 'string' }).notNull(),
    courseId: text('course_id').notNull(),
    providerId: text('provider_id').notNull(),
    ...reportMeasures(),
  },
  (t) => [
    primaryKey({ columns: [t.month, t.courseId] }),
    index('report_monthly_provider_idx').on(t.providerId, t.month),
  ],
);

/** report_completion_days per month and course. */
export const reportCompletionMonthly = pgTable(
  'report_completion_monthly',
  {
    month: date('month', { mode: 'string' }).notNull(),
    courseId: text('course_id').notNull(),
    providerId: text('provider_id').notNull(),
    days: integer('days').notNull(),
    n: integer('n').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.month, t.courseId, t.days] }),
    index('report_completion_monthly_provider_idx').on(t.providerId, t.month),
  ],
);

/** report_completion_days per month and provider (all its courses): every provider's median. */
export const reportProviderCompletionMonthly = pgTable(
  'report_provider_completion_monthly',
  {
    month: date('month', { mode: 'string' }).notNull(),
    providerId: text('provider_id').notNull(),
    days: integer('days').notNull(),
    n: integer('n').notNull(),
  },
  (t) => [primaryKey({ columns: [t.month, t.providerId, t.days] })],
);

/** statistics_daily per month. */
export const statisticsMonthly = pgTable(
  'statistics_monthly',
  {
    dimension: text('dimension', {
      enum: ['regency', 'gender', 'birthYear', 'cohort', 'mode', 'category'],
    }).notNull(),
    month: date('month', { mode: 'string' }).notNull(),
    area: text('area').notNull(),
    key: text('key').notNull(),
    ...statisticsMeasures(),
  },
  (t) => [primaryKey({ columns: [t.dimension, t.month, t.area, t.key] })],
);

/** When report rollups were last rebuilt, and up to which instant they are complete. */
export const reportRefreshes = pgTable('report_refreshes', {
  id: text('id').primaryKey(),
  fromDay: date('from_day', { mode: 'string' }).notNull(),
  toDay: date('to_day', { mode: 'string' }).notNull(),
  refreshedAt: ts('refreshed_at').notNull(),
});

/**
 * Staff who sign in to the console: the PMO's, or a provider's (the organisation's kind says
 * which console). The password only as a scrypt hash.
 */
export const staffUsers = pgTable(
  'staff_users',
  {
    id: text('id').primaryKey(),
    organisationId: text('organisation_id')
      .notNull()
      .references(() => organisations.id),
    /** Lower-cased. */
    email: text('email').notNull(),
    name: text('name').notNull(),
    /** PMO: reviewer, finance, admin. Provider: admin, instructor, finance. */
    role: text('role', { enum: ['reviewer', 'finance', 'admin', 'instructor'] }).notNull(),
    passwordHash: text('password_hash').notNull(),
    /** Wrong passwords in a row; reset by a right one or when a lock is set. */
    failedSignIns: integer('failed_sign_ins').notNull().default(0),
    lockedUntil: ts('locked_until'),
    disabledAt: ts('disabled_at'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('staff_users_email_idx').on(t.email),
    index('staff_users_organisation_idx').on(t.organisationId),
  ],
);

/** Console sessions: only the SHA-256 of the cookie's token is kept. */
export const staffSessions = pgTable(
  'staff_sessions',
  {
    tokenHash: text('token_hash').primaryKey(),
    staffId: text('staff_id')
      .notNull()
      .references(() => staffUsers.id),
    createdAt: ts('created_at').notNull(),
    expiresAt: ts('expires_at').notNull(),
    revokedAt: ts('revoked_at'),
    ip: text('ip'),
    userAgent: text('user_agent'),
  },
  (t) => [
    index('staff_sessions_staff_idx').on(t.staffId),
    // sessions.cleanup deletes the ended ones.
    index('staff_sessions_expires_idx').on(t.expiresAt),
  ],
);

/**
 * The schedule's bookkeeping, one row per job: when it last ran (on any instance), how long it
 * took, its last failure; and for jobs that run on one instance at a time, the lease that says
 * which instance holds it and when the next run is due. Leases use the database's real time, never
 * the sandbox clock, so moving the clock cannot break them.
 */
export const jobRuns = pgTable('job_runs', {
  name: text('name').primaryKey(),
  nextRunAt: ts('next_run_at'),
  leaseOwner: text('lease_owner'),
  leaseUntil: ts('lease_until'),
  lastStartedAt: ts('last_started_at'),
  lastFinishedAt: ts('last_finished_at'),
  lastDurationMs: integer('last_duration_ms'),
  lastInstance: text('last_instance'),
  /** What the last successful run did, e.g. `{ "expired": 3 }`. */
  lastSummary: jsonb('last_summary').$type<Record<string, number>>(),
  /** The program clock's time at the last start (differs from lastStartedAt under a test clock). */
  lastClockAt: ts('last_clock_at'),
  /** The sandbox clock's generation at the last start: a run at or after an advance has caught up with it. */
  lastGeneration: integer('last_generation').notNull().default(0),
  lastFailureAt: ts('last_failure_at'),
  lastFailure: text('last_failure'),
  runs: bigint('runs', { mode: 'number' }).notNull().default(0),
  failures: bigint('failures', { mode: 'number' }).notNull().default(0),
});

/**
 * Month partitions detached for archiving (`npm run partitions -- detach`), one row each: what was
 * in it and, for events, the last feed position it held. A feed cursor at or before that position
 * is answered with EVENTS_CURSOR_EXPIRED, never with a silent hole (docs/adr/0007).
 */
export const partitionArchive = pgTable(
  'partition_archive',
  {
    /** The detached table's name, e.g. `events_2024_01`. */
    partition: text('partition').primaryKey(),
    parentTable: text('parent_table').notNull(),
    /** The month it held (first day, UTC). */
    month: date('month', { mode: 'string' }).notNull(),
    rows: bigint('rows', { mode: 'number' }).notNull(),
    detachedAt: ts('detached_at').notNull(),
    /** events only: the greatest (xid, seq) it held. */
    feedXid: xid8('feed_xid'),
    feedSeq: bigint('feed_seq', { mode: 'number' }),
  },
  (t) => [index('partition_archive_parent_idx').on(t.parentTable, t.month)],
);

/**
 * The processes running the schedule now, and which jobs each runs: every scheduler says so every
 * few seconds (seen_at, database time) and removes its row when it stops. Whether a sandbox clock
 * advance has been caught up is judged against the jobs that live instances run.
 */
export const jobInstances = pgTable('job_instances', {
  id: text('id').primaryKey(),
  jobs: text('jobs').array().notNull(),
  host: text('host').notNull(),
  pid: integer('pid').notNull(),
  startedAt: ts('started_at').notNull(),
  seenAt: ts('seen_at').notNull(),
});

/**
 * The sandbox's test clock (outside production only): the program's time is the real time plus
 * `offsetMs`, which only ever grows. One row, shared by every gateway and worker on the database.
 */
export const testClock = pgTable('test_clock', {
  id: text('id').primaryKey(),
  offsetMs: bigint('offset_ms', { mode: 'number' }).notNull(),
  /** ADVANCING from an advance until every scheduled job has run once at the new time. */
  status: text('status', { enum: ['READY', 'ADVANCING'] }).notNull(),
  /** Real time of the last advance. */
  advancedAt: ts('advanced_at'),
  advancedBy: text('advanced_by'),
  generation: integer('generation').notNull().default(0),
});

/**
 * The program's provider integration protocol (HMAC-SHA1 signed, /api/v1/integration/*): one
 * client_code per provider, issued by the PMO.
 */
export const integrationClients = pgTable('integration_clients', {
  clientCode: text('client_code').primaryKey(),
  organisationId: text('organisation_id')
    .notNull()
    .unique()
    .references(() => organisations.id),
  createdAt: ts('created_at').notNull().defaultNow(),
});

/**
 * A client_code's sign keys. HMAC needs the key itself to verify, so it is sealed at rest
 * (AES-256-GCM), never hashed; a rotated-out key works until `expires_at`.
 */
export const integrationKeys = pgTable(
  'integration_keys',
  {
    id: text('id').primaryKey(),
    clientCode: text('client_code')
      .notNull()
      .references(() => integrationClients.clientCode),
    sealedKey: text('sealed_key').notNull(),
    keyLast4: text('key_last4').notNull(),
    status: text('status', { enum: ['ACTIVE', 'REVOKED'] }).notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    expiresAt: ts('expires_at'),
    revokedAt: ts('revoked_at'),
  },
  (t) => [index('integration_keys_client_idx').on(t.clientCode)],
);

/**
 * Practical tasks (TPM, sequence 1–998) and the skills demonstration (UK, 999) of an enrollment,
 * each with the provider's review. The enrollment's assignment columns keep the latest submission
 * (the completion rule reads them).
 */
export const assignmentSubmissions = pgTable(
  'assignment_submissions',
  {
    enrollmentId: text('enrollment_id')
      .notNull()
      .references(() => enrollments.id),
    scope: text('scope', { enum: ['TPM', 'UK'] }).notNull(),
    sequence: integer('sequence').notNull(),
    url: text('url').notNull(),
    contentHash: text('content_hash'),
    status: text('status', { enum: ['SUBMITTED', 'ACCEPTED', 'FAILED'] }).notNull(),
    submittedAt: ts('submitted_at').notNull(),
    recordedAt: ts('recorded_at').notNull(),
    feedbackNotes: text('feedback_notes'),
    feedbackUrl: text('feedback_url'),
    reviewedAt: ts('reviewed_at'),
  },
  (t) => [primaryKey({ columns: [t.enrollmentId, t.scope, t.sequence] })],
);

/**
 * A participant's consent, by one-time code, to a platform gathering ALL their certificates into a
 * skills passport (those of trainings bought through other platforms too). Single use.
 */
export const passportConsents = pgTable(
  'passport_consents',
  {
    id: text('id').primaryKey(),
    platformId: text('platform_id')
      .notNull()
      .references(() => organisations.id),
    participantId: text('participant_id')
      .notNull()
      .references(() => participants.id),
    otpHash: text('otp_hash').notNull(),
    otpExpiresAt: ts('otp_expires_at').notNull(),
    attempts: integer('attempts').notNull().default(0),
    status: text('status', { enum: ['PENDING', 'USED', 'LOCKED', 'EXPIRED'] }).notNull(),
    createdAt: ts('created_at').notNull(),
    usedAt: ts('used_at'),
  },
  (t) => [index('passport_consents_participant_idx').on(t.participantId, t.createdAt)],
);
/**
 * A platform asked a participant's remaining balance: answered only with the participant's
 * one-time code. A card number that is no participant's gets a row too (participant null), so the
 * answers cannot tell the two apart.
 */
export const balanceChecks = pgTable(
  'balance_checks',
  {
    id: text('id').primaryKey(),
    platformId: text('platform_id')
      .notNull()
      .references(() => organisations.id),
    /** SHA-256 of the card number: counts the checks of one card without keeping it. */
    cardHash: text('card_hash').notNull(),
    participantId: text('participant_id').references(() => participants.id),
    otpHash: text('otp_hash').notNull(),
    otpExpiresAt: ts('otp_expires_at').notNull(),
    attempts: integer('attempts').notNull().default(0),
    status: text('status', { enum: ['PENDING', 'CONFIRMED', 'LOCKED', 'EXPIRED'] }).notNull(),
    createdAt: ts('created_at').notNull(),
    confirmedAt: ts('confirmed_at'),
  },
  (t) => [index('balance_checks_card_idx').on(t.cardHash, t.createdAt)],
);

/**
 * Every population-registry check of a participant and every PMO decision on one: what the
 * program needs to show why someone is blocked or let through, and nothing of the registry's own
 * record (it answers match flags only). `reference` is the registry's id for the check.
 */
export const registryChecks = pgTable(
  'registry_checks',
  {
    id: text('id').primaryKey(),
    participantId: text('participant_id')
      .notNull()
      .references(() => participants.id),
    /** IMPORT, RECHECK (by the PMO), RETRY (the queue's job), OVERRIDE (a PMO decision, no call). */
    trigger: text('trigger', { enum: ['IMPORT', 'RECHECK', 'RETRY', 'OVERRIDE'] }).notNull(),
    /** VERIFIED, BLOCKED, UNAVAILABLE (no verdict: queued) or OVERRIDDEN. */
    outcome: text('outcome', { enum: ['VERIFIED', 'BLOCKED', 'UNAVAILABLE', 'OVERRIDDEN'] }).notNull(),
    reasons: text('reasons').array().notNull(),
    reference: text('reference'),
    /** The registry's error code when it gave no verdict; the PMO's reason for an override. */
    note: text('note'),
    actorOrganisationId: text('actor_organisation_id'),
    actorClientId: text('actor_client_id'),
    at: ts('at').notNull(),
  },
  (t) => [index('registry_checks_participant_idx').on(t.participantId, t.at)],
);

/**
 * Checks waiting for the registry (it was unavailable, or no registry is configured): the
 * person's NIK, name and birth date sealed (AES-GCM, a key of their own), since the NIK is kept
 * nowhere else in full; the row, and so the sealed NIK, is deleted as soon as a verdict comes.
 */
export const registryQueue = pgTable(
  'registry_queue',
  {
    participantId: text('participant_id')
      .primaryKey()
      .references(() => participants.id),
    sealed: text('sealed').notNull(),
    attempts: integer('attempts').notNull().default(0),
    /** When the job tries next; a claim moves it ahead by a lease, so a crashed try is retried. */
    nextAttemptAt: ts('next_attempt_at').notNull(),
    lastError: text('last_error'),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [index('registry_queue_due_idx').on(t.nextAttemptAt)],
);

/** An alumni community: one per province or regency/city, formed by the PMO (issue 22). */
export const communities = pgTable(
  'communities',
  {
    id: text('id').primaryKey(),
    /** A province (32) or a regency/city (32.73). */
    regionCode: text('region_code').notNull(),
    regionLevel: text('region_level', { enum: ['PROVINCE', 'REGENCY'] }).notNull(),
    provinceCode: text('province_code').notNull(),
    name: text('name').notNull(),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [
    uniqueIndex('communities_region_idx').on(t.regionCode),
    index('communities_province_idx').on(t.provinceCode, t.id),
  ],
);

/**
 * A participant's membership of a community: opted in through a platform (which named them by
 * `voucherId`, a voucher it sold), until they leave. A member may lead it (kapten) from
 * `captainSince`. Left memberships are kept (a second joining is a new row).
 */
export const communityMembers = pgTable(
  'community_members',
  {
    id: text('id').primaryKey(),
    communityId: text('community_id')
      .notNull()
      .references(() => communities.id),
    participantId: text('participant_id')
      .notNull()
      .references(() => participants.id),
    platformId: text('platform_id')
      .notNull()
      .references(() => organisations.id),
    voucherId: text('voucher_id')
      .notNull()
      .references(() => vouchers.id),
    /** The participant's opt-in, as the platform reported it. */
    consentedAt: ts('consented_at').notNull(),
    joinedAt: ts('joined_at').notNull(),
    captainSince: ts('captain_since'),
    leftAt: ts('left_at'),
    leftThrough: text('left_through').references(() => organisations.id),
  },
  (t) => [
    uniqueIndex('community_members_current_idx')
      .on(t.communityId, t.participantId)
      .where(sql`${t.leftAt} is null`),
    index('community_members_participant_idx').on(t.participantId),
    index('community_members_list_idx').on(t.communityId, t.id).where(sql`${t.leftAt} is null`),
  ],
);

/** What a community did: a Kumpul Jasa (the businesses helped and how), a meetup, a training. */
export const communityEvents = pgTable(
  'community_events',
  {
    id: text('id').primaryKey(),
    communityId: text('community_id')
      .notNull()
      .references(() => communities.id),
    kind: text('kind', { enum: ['KUMPUL_JASA', 'MEETUP', 'TRAINING'] }).notNull(),
    title: text('title').notNull(),
    /** The WIB day it was held. */
    heldOn: date('held_on', { mode: 'string' }).notNull(),
    place: text('place').notNull(),
    alumniTookPart: integer('alumni_took_part').notNull(),
    businesses: jsonb('businesses')
      .$type<{ name: string; sector: string; help: string[]; note?: string }[]>()
      .notNull(),
    note: text('note'),
    recordedAt: ts('recorded_at').notNull(),
  },
  (t) => [index('community_events_community_idx').on(t.communityId, t.heldOn, t.id)],
);
