import { execRows } from '@latih/db';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { engines } from '../support/db';
import { useHarness } from '../support/harness';

/**
 * The scale-out path (docs/operations.md, "Scale-out"): the tables about one participant would be
 * distributed by participant on a PostgreSQL-compatible distributed engine (e.g. Citus), where a
 * unique index must contain the distribution column or it becomes a check across every shard. This
 * test reads today's schema and fails when such a table gains a unique index without
 * `participant_id` that the document does not list with its plan, so the path stays open by design,
 * not by luck.
 */
const SHARDED = [
  'participants',
  'vouchers',
  'enrollments',
  'attendance',
  'identity_checks',
  'certificates',
  'reviews',
  'incentives',
  'checkouts',
  'assignment_submissions',
  'participant_payout_accounts',
  'balance_checks',
  'passport_consents',
];

/** Tables that would need `participant_id` added (today they reach it through an enrollment). */
const NEEDS_PARTICIPANT_COLUMN = ['attendance', 'identity_checks', 'reviews', 'assignment_submissions'];

/**
 * Unique indexes without the distribution column, each with where it is used and the plan (the
 * same list as docs/operations.md). `id` primary keys are ULIDs, unique by construction: on a
 * distributed engine they become (participant_id, id) and need no check across shards.
 */
const CROSS_SHARD_UNIQUE: Record<string, string> = {
  'participants.participants_pkey(id)': 'ULID; becomes (id) as the distribution column itself',
  'participants.participants_nik_hash_idx(nik_hash)':
    'import only (cold): a lookup table distributed by nik_hash',
  'participants.participants_card_number_idx(card_number)':
    'PMO lookup and balance checks (warm): a lookup table distributed by card number',
  'vouchers.vouchers_pkey(id)': 'ULID',
  'vouchers.vouchers_code_hash_idx(code_hash)':
    'REDEMPTION (hot): the one hot path; the code must name its shard (a lookup table by code_hash, or the shard in the code)',
  'vouchers.vouchers_checkout_idx(checkout_id)':
    'checkout (hot, same participant): becomes (participant_id, checkout_id)',
  'enrollments.enrollments_pkey(id)': 'ULID',
  'enrollments.enrollments_voucher_idx(voucher_id)':
    'redemption: becomes (participant_id, voucher_id), co-located',
  'attendance.attendance_enrollment_id_sequence_pk(enrollment_id,sequence)':
    'becomes (participant_id, enrollment_id, sequence)',
  'identity_checks.identity_checks_pkey(id)': 'ULID',
  'identity_checks.identity_checks_token_idx(token_hash)':
    "the participant's browser (warm): the token must name its shard, like a voucher code",
  'certificates.certificates_pkey(id)': 'ULID',
  'certificates.certificates_number_idx(number)':
    'public verification (warm, read-only): a lookup table by number',
  'certificates.certificates_enrollment_idx(enrollment_id)': 'becomes (participant_id, enrollment_id)',
  'reviews.reviews_pkey(id)': 'ULID',
  'reviews.reviews_enrollment_idx(enrollment_id)': 'becomes (participant_id, enrollment_id)',
  'incentives.incentives_pkey(id)': 'ULID',
  'checkouts.checkouts_pkey(id)': 'ULID',
  'assignment_submissions.assignment_submissions_enrollment_id_scope_sequence_pk(enrollment_id,scope,sequence)':
    'becomes (participant_id, enrollment_id, scope, sequence)',
  'balance_checks.balance_checks_pkey(id)': 'ULID',
  'passport_consents.passport_consents_pkey(id)': 'ULID',
};

describe.each(engines())('the schema keeps the path to sharding by participant open, on %s', (engine) => {
  const h = useHarness(engine);

  it('every unique index of a participant table without participant_id is one the scale-out plan lists', async () => {
    const rows = await execRows<{ name: string; has_pid: boolean; uniques: string | null }>(
      h.db,
      sql.raw(`with t(name) as (values ${SHARDED.map((n) => `('${n}')`).join(', ')})
        select t.name,
          exists (select 1 from information_schema.columns c
                  where c.table_schema = 'public' and c.table_name = t.name and c.column_name = 'participant_id') as has_pid,
          (select string_agg(i.relname || '(' || (
              select string_agg(a.attname, ',' order by k.ord)
              from unnest(x.indkey) with ordinality k(attnum, ord)
              join pg_attribute a on a.attrelid = x.indrelid and a.attnum = k.attnum) || ')', ' ' order by i.relname)
           from pg_index x join pg_class i on i.oid = x.indexrelid
           where x.indrelid = ('public.' || t.name)::regclass and x.indisunique) as uniques
        from t`),
    );
    expect(rows.map((r) => r.name).sort()).toEqual([...SHARDED].sort());
    expect(
      rows
        .filter((r) => !r.has_pid && r.name !== 'participants')
        .map((r) => r.name)
        .sort(),
    ).toEqual([...NEEDS_PARTICIPANT_COLUMN].sort());
    const crossShard = rows.flatMap((r) =>
      (r.uniques ?? '')
        .split(' ')
        .filter((u) => u && !/[(,]participant_id[,)]/.test(u))
        .map((u) => `${r.name}.${u}`),
    );
    expect(crossShard.sort()).toEqual(Object.keys(CROSS_SHARD_UNIQUE).sort());
  });
});
