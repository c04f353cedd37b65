import { sql } from 'drizzle-orm';
import { type Db, execPreparedRows, execRows } from '../client';
import type { VoucherRow } from './marketplace';

/**
 * The redemption path, written for few round trips: one lookup (voucher, participant's name and
 * scheme, the run's start) and one statement that redeems a whole set of vouchers. These two are
 * the SQL that `npm run bench` measures against pgbench; keep bench/run.ts in step with them.
 */

export type RedeemCandidate = VoucherRow & {
  participantName: string;
  participantSchemeId: string;
  runStartsAt: Date | null;
  /** A suspended provider's redemptions are refused. */
  providerStatus: string;
};

type CandidateRecord = {
  id: string;
  code_hash: string;
  code_last4: string;
  participant_id: string;
  platform_id: string;
  provider_id: string;
  course_id: string;
  run_id: string | null;
  checkout_id: string;
  price: number | string;
  status: VoucherRow['status'];
  expires_at: Date | string;
  issued_at: Date | string;
  redeemed_at: Date | string | null;
  closed_at: Date | string | null;
  close_reason: string | null;
  settlement_held_at: Date | string | null;
  test: boolean;
  participant_name: string;
  participant_scheme_id: string;
  run_starts_at: Date | string | null;
  provider_status: string;
};

const date = (v: Date | string): Date => (v instanceof Date ? v : new Date(v));
const dateOrNull = (v: Date | string | null): Date | null => (v === null ? null : date(v));

function toCandidate(r: CandidateRecord): RedeemCandidate {
  return {
    id: r.id,
    codeHash: r.code_hash,
    codeLast4: r.code_last4,
    participantId: r.participant_id,
    platformId: r.platform_id,
    providerId: r.provider_id,
    courseId: r.course_id,
    runId: r.run_id,
    checkoutId: r.checkout_id,
    price: Number(r.price),
    status: r.status,
    expiresAt: date(r.expires_at),
    issuedAt: date(r.issued_at),
    redeemedAt: dateOrNull(r.redeemed_at),
    closedAt: dateOrNull(r.closed_at),
    closeReason: r.close_reason,
    settlementHeldAt: dateOrNull(r.settlement_held_at),
    test: r.test,
    participantName: r.participant_name,
    participantSchemeId: r.participant_scheme_id,
    runStartsAt: dateOrNull(r.run_starts_at),
    providerStatus: r.provider_status,
  };
}

/**
 * A list as one text parameter (drizzle's template would spread an array into a tuple, and the two
 * drivers serialise arrays differently). Only for tokens that cannot hold a comma: hashes and ids.
 */
function commaList(values: string[]): string {
  for (const v of values) if (!/^[A-Za-z0-9_-]+$/.test(v)) throw new Error(`not a plain token: ${v}`);
  return values.join(',');
}

const CANDIDATE_COLUMNS = sql.raw(`v.id, v.code_hash, v.code_last4, v.participant_id, v.platform_id,
  v.provider_id, v.course_id, v.run_id, v.checkout_id, v.price, v.status, v.expires_at, v.issued_at,
  v.redeemed_at, v.closed_at, v.close_reason, v.settlement_held_at, v.test, p.name as participant_name, p.scheme_id as participant_scheme_id,
  r.starts_at as run_starts_at, po.status as provider_status`);
const CANDIDATE_FROM = sql.raw(`vouchers v join participants p on p.id = v.participant_id
  join organisations po on po.id = v.provider_id left join runs r on r.id = v.run_id`);

/** Vouchers by code hash, with what redemption needs to decide: one statement for 1 or 100 codes. */
export async function findRedeemCandidates(db: Db, codeHashes: string[]): Promise<RedeemCandidate[]> {
  if (codeHashes.length === 0) return [];
  const rows =
    codeHashes.length === 1
      ? await execRows<CandidateRecord>(
          db,
          sql`select ${CANDIDATE_COLUMNS} from ${CANDIDATE_FROM} where v.code_hash = ${codeHashes[0]}`,
        )
      : await execRows<CandidateRecord>(
          db,
          sql`select ${CANDIDATE_COLUMNS} from ${CANDIDATE_FROM}
            where v.code_hash = any(string_to_array(${commaList(codeHashes)}, ','))`,
        );
  return rows.map(toCandidate);
}

/** An ISO-8601 UTC string with milliseconds, as `Date.toISOString()` writes it. */
const iso = (col: string) => `to_char(${col} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** The voucher as the API shows it (toVoucher), built in SQL from an updated row `u`. */
const VOUCHER_JSON = sql.raw(`jsonb_build_object('id', u.id, 'codeLast4', u.code_last4, 'status', u.status,
  'participantId', u.participant_id, 'courseId', u.course_id, 'runId', u.run_id, 'providerId', u.provider_id,
  'price', u.price, 'expiresAt', ${iso('u.expires_at')}, 'issuedAt', ${iso('u.issued_at')},
  'closedAt', ${iso('u.closed_at')}, 'closeReason', u.close_reason)`);

/**
 * The common case in one round trip: a self-paced voucher, redeemed by its provider for its course
 * before its deadline. Looks the code up and, when every condition holds and the voucher is still
 * ISSUED, redeems it with its enrollment, audit row and event, all in one statement. Answers the
 * voucher as found (undefined when no voucher has this code) and whether it was redeemed; when it
 * was not, the caller decides why from the voucher, exactly as for any other voucher.
 */
export async function tryRedeemSelfPaced(
  db: Db,
  p: {
    codeHash: string;
    providerId: string;
    courseId: string;
    at: Date;
    enrollmentId: string;
    auditId: string;
    eventId: string;
    actorClientId: string;
    requestId: string | null;
    /** The participant's address as the provider saw it (fraud signals), if given. */
    ip: string | null;
    /** The device the code was entered on (fraud signals), if given. */
    deviceId: string | null;
  },
): Promise<{ candidate: RedeemCandidate | undefined; redeemed: boolean }> {
  const at = p.at.toISOString();
  // Prepared: the statement is long (five CTEs) and runs once per redemption, so parsing and
  // planning it on every call was a measurable share of PostgreSQL's CPU per redemption.
  const rows = await execPreparedRows<CandidateRecord & { redeemed: boolean }>(
    db,
    'latih_redeem_self_paced',
    sql`with c as (
        select ${CANDIDATE_COLUMNS} from ${CANDIDATE_FROM} where v.code_hash = ${p.codeHash}
      ), upd as (
        update vouchers t set status = 'REDEEMED', redeemed_at = ${at}::timestamptz
        from c where t.id = c.id and t.status = 'ISSUED' and c.run_id is null
          and c.provider_id = ${p.providerId} and c.course_id = ${p.courseId}
          and c.provider_status = 'ACTIVE' and ${at}::timestamptz <= c.expires_at
        returning t.*
      ), enr as (
        insert into enrollments (id, voucher_id, participant_id, provider_id, course_id, run_id, status, redeemed_at, redeemed_ip, redeemed_device_id)
        select ${p.enrollmentId}, u.id, u.participant_id, u.provider_id, u.course_id, u.run_id, 'IN_TRAINING', ${at}::timestamptz, ${p.ip}, ${p.deviceId}
        from upd u
        returning voucher_id
      ), aud as (
        insert into audit_log (id, actor_organisation_id, actor_client_id, action, entity_type, entity_id,
          from_state, to_state, request_id, data)
        select ${p.auditId}, ${p.providerId}, ${p.actorClientId}, 'voucher.redeemed', 'voucher', u.id,
          'ISSUED', 'REDEEMED', ${p.requestId}, jsonb_build_object('enrollmentId', ${p.enrollmentId}::text)
        from upd u
      ), evt as (
        insert into events (id, type, organisation_id, entity_type, entity_id, data, request_id)
        select ${p.eventId}, 'voucher.redeemed', u.platform_id, 'voucher', u.id,
          jsonb_build_object('voucher', ${VOUCHER_JSON}, 'enrollmentId', ${p.enrollmentId}::text), ${p.requestId}
        from upd u
      )
      select c.*, exists (select 1 from enr) as redeemed from c`,
  );
  const row = rows[0];
  return { candidate: row ? toCandidate(row) : undefined, redeemed: row?.redeemed === true };
}

export type RedeemItem = {
  voucherId: string;
  enrollmentId: string;
  auditId: string;
  eventId: string;
  /** The `voucher.redeemed` event's payload. */
  eventData: Record<string, unknown>;
  auditData: Record<string, unknown>;
};

/**
 * ISSUED → REDEEMED for every listed voucher still ISSUED, with its enrollment, audit row and
 * `voucher.redeemed` event, in one statement (so atomically, with or without a transaction around
 * it). The conditional update is what makes redemption exactly once: a voucher a concurrent redeem
 * or cancel got to first is simply not in the answer. Returns the ids of the vouchers redeemed.
 */
export async function redeemVoucherSet(
  db: Db,
  items: RedeemItem[],
  common: {
    at: Date;
    actorOrganisationId: string;
    actorClientId: string;
    requestId: string | null;
    ip: string | null;
    deviceId: string | null;
  },
): Promise<Set<string>> {
  if (items.length === 0) return new Set();
  const input = JSON.stringify(
    items.map((i) => ({
      voucher_id: i.voucherId,
      enrollment_id: i.enrollmentId,
      audit_id: i.auditId,
      event_id: i.eventId,
      event_data: i.eventData,
      audit_data: i.auditData,
    })),
  );
  const at = common.at.toISOString();
  const rows = await execRows<{ voucher_id: string }>(
    db,
    sql`with input as (
        select * from jsonb_to_recordset(${input}::jsonb)
          as i(voucher_id text, enrollment_id text, audit_id text, event_id text, event_data jsonb, audit_data jsonb)
      ), upd as (
        update vouchers v set status = 'REDEEMED', redeemed_at = ${at}::timestamptz
        from input i where v.id = i.voucher_id and v.status = 'ISSUED'
          and exists (select 1 from organisations o where o.id = v.provider_id and o.status = 'ACTIVE')
        returning v.id, v.participant_id, v.provider_id, v.course_id, v.run_id, v.platform_id
      ), enr as (
        insert into enrollments (id, voucher_id, participant_id, provider_id, course_id, run_id, status, redeemed_at, redeemed_ip, redeemed_device_id)
        select i.enrollment_id, u.id, u.participant_id, u.provider_id, u.course_id, u.run_id, 'IN_TRAINING', ${at}::timestamptz, ${common.ip}, ${common.deviceId}
        from upd u join input i on i.voucher_id = u.id
        returning voucher_id
      ), aud as (
        insert into audit_log (id, actor_organisation_id, actor_client_id, action, entity_type, entity_id,
          from_state, to_state, request_id, data)
        select i.audit_id, ${common.actorOrganisationId}, ${common.actorClientId}, 'voucher.redeemed',
          'voucher', u.id, 'ISSUED', 'REDEEMED', ${common.requestId}, i.audit_data
        from upd u join input i on i.voucher_id = u.id
      ), evt as (
        insert into events (id, type, organisation_id, entity_type, entity_id, data, request_id)
        select i.event_id, 'voucher.redeemed', u.platform_id, 'voucher', u.id, i.event_data, ${common.requestId}
        from upd u join input i on i.voucher_id = u.id
        order by i.event_id
      )
      select voucher_id from enr`,
  );
  return new Set(rows.map((r) => r.voucher_id));
}

/** Current statuses, to explain a voucher a concurrent request took first. */
export async function voucherStatuses(db: Db, ids: string[]): Promise<Map<string, VoucherRow['status']>> {
  if (ids.length === 0) return new Map();
  const rows = await execRows<{ id: string; status: VoucherRow['status'] }>(
    db,
    sql`select id, status from vouchers where id = any(string_to_array(${commaList(ids)}, ','))`,
  );
  return new Map(rows.map((r) => [r.id, r.status]));
}
