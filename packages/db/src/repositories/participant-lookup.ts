import { type SQL, sql } from 'drizzle-orm';
import { type Db, execRows } from '../client';
import { decodeCursor, encodeCursor } from './cursor';
import { toVoucher, type VoucherRow } from './marketplace';
import { PROGRESS_COLUMNS, type ProgressRecord, progressOf } from './rosters';

/** The program office's participant lookup: search, and everything that names one participant. */

const date = (v: string | Date) => (v instanceof Date ? v : new Date(v));

export async function searchParticipants(
  db: Db,
  input: {
    cardNumber?: string | undefined;
    nikHash?: string | undefined;
    namePrefix?: string | undefined;
    regencyCode?: string | undefined;
    limit: number;
    cursor?: string | undefined;
  },
) {
  const filters: SQL[] = [];
  if (input.cardNumber) filters.push(sql`card_number = ${input.cardNumber}`);
  if (input.nikHash) filters.push(sql`nik_hash = ${input.nikHash}`);
  if (input.namePrefix) {
    // LIKE's own wildcards in a name are matched literally.
    const escaped = input.namePrefix.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`);
    filters.push(sql`lower(name) like ${`${escaped}%`}`);
  }
  if (input.regencyCode) filters.push(sql`regency_code = ${input.regencyCode}`);
  if (input.cursor) filters.push(sql`id > ${decodeCursor(input.cursor)}`);
  const rows = await execRows<{
    id: string;
    name: string;
    card_number: string;
    nik_last4: string;
    regency_code: string;
    cohort: number;
    status: 'ACTIVE' | 'INACTIVE';
    registry_status: 'VERIFIED' | 'PENDING' | 'BLOCKED' | 'OVERRIDDEN';
    balance: number | string;
  }>(
    db,
    sql`select id, name, card_number, nik_last4, regency_code, cohort, status, registry_status, balance from participants
        where ${sql.join(filters, sql` and `)} order by id limit ${input.limit + 1}`,
  );
  const more = rows.length > input.limit;
  const page = more ? rows.slice(0, input.limit) : rows;
  return {
    items: page.map((r) => ({
      id: r.id,
      name: r.name,
      cardNumber: r.card_number,
      nikLast4: r.nik_last4,
      regencyCode: r.regency_code,
      cohort: r.cohort,
      status: r.status,
      registryStatus: r.registry_status,
      balance: Number(r.balance),
    })),
    nextCursor: more && page.at(-1) ? encodeCursor(page.at(-1)?.id ?? '') : null,
  };
}

export async function vouchersOfParticipant(db: Db, participantId: string) {
  const rows = await execRows<Record<string, unknown>>(
    db,
    sql`select id, code_hash as "codeHash", code_last4 as "codeLast4", participant_id as "participantId",
          platform_id as "platformId", provider_id as "providerId", course_id as "courseId", run_id as "runId",
          checkout_id as "checkoutId", price, status, expires_at as "expiresAt", issued_at as "issuedAt",
          redeemed_at as "redeemedAt", closed_at as "closedAt", close_reason as "closeReason",
          settlement_held_at as "settlementHeldAt", test
        from vouchers where participant_id = ${participantId} order by id`,
  );
  return rows.map((r) => {
    const d = (k: string) => (r[k] === null || r[k] === undefined ? null : date(r[k] as string | Date));
    return toVoucher({
      ...(r as unknown as VoucherRow),
      price: Number(r.price),
      expiresAt: d('expiresAt') ?? new Date(0),
      issuedAt: d('issuedAt') ?? new Date(0),
      redeemedAt: d('redeemedAt'),
      closedAt: d('closedAt'),
      settlementHeldAt: d('settlementHeldAt'),
    });
  });
}

export async function enrollmentsOfParticipant(db: Db, participantId: string) {
  const rows = await execRows<
    ProgressRecord & {
      id: string;
      course_id: string;
      course_title: string;
      provider_id: string;
      provider_name: string;
      run_id: string | null;
    }
  >(
    db,
    sql`select e.id, e.course_id, c.title as course_title, e.provider_id, o.name as provider_name, e.run_id,
          ${PROGRESS_COLUMNS}
        from vouchers v
        join enrollments e on e.voucher_id = v.id
        join courses c on c.id = e.course_id
        join organisations o on o.id = e.provider_id
        where v.participant_id = ${participantId}
        order by e.id`,
  );
  return rows.map((r) => ({
    id: r.id,
    courseId: r.course_id,
    courseTitle: r.course_title,
    providerId: r.provider_id,
    providerName: r.provider_name,
    runId: r.run_id,
    ...progressOf(r),
  }));
}

export async function signalsNamingParticipant(db: Db, participantId: string) {
  const rows = await execRows<{
    id: string;
    type: string;
    status: 'OPEN' | 'CASE_OPENED' | 'DISMISSED';
    score: number;
    summary: string;
    last_seen_at: string | Date;
  }>(
    db,
    sql`select s.id, s.type, s.status, s.score, s.summary, s.last_seen_at from signals s
        where s.id in (select ss.signal_id from signal_subjects ss where ss.participant_id = ${participantId})
        order by s.last_seen_at desc, s.id`,
  );
  return rows.map((r) => ({ ...r, lastSeenAt: date(r.last_seen_at) }));
}

/** Cases about one of the participant's enrollments, as their subject or in their selection. */
export async function casesNamingParticipant(db: Db, participantId: string) {
  const rows = await execRows<{
    id: string;
    status: 'OPEN' | 'AWAITING_EVIDENCE' | 'DECIDED';
    summary: string;
    subject_type: 'ENROLLMENT' | 'COURSE' | 'PROVIDER';
    subject_id: string;
    created_at: string | Date;
  }>(
    db,
    sql`with mine as (
          select e.id from vouchers v join enrollments e on e.voucher_id = v.id where v.participant_id = ${participantId}
        )
        select c.id, c.status, c.summary, c.subject_type, c.subject_id, c.created_at from control_cases c
        where (c.subject_type = 'ENROLLMENT' and c.subject_id in (select id from mine))
           or c.id in (select ce.case_id from case_enrollments ce where ce.enrollment_id in (select id from mine))
        order by c.created_at desc, c.id`,
  );
  return rows.map((r) => ({ ...r, createdAt: date(r.created_at) }));
}
