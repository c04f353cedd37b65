/**
 * The national-size data set the report benches run on, generated once per size into a template
 * database and reused (issue 21).
 *
 * `latih_bench_tpl_<N>` holds N participants registered over three years (in time order, as
 * production writes them), a voucher each, the enrollments with four attendance rows, reviews,
 * identity checks, certificates, incentives, the providers' settlement lines with weekly
 * settlements, and the outbox events of every redemption and completion. It is loaded with `COPY`
 * from this process (pg-copy-streams): Node writes the rows while PostgreSQL parses the previous
 * chunk, so both cores work. Secondary indexes are dropped before and built once after (row by row
 * into 10 M-row indexes took over half an hour per table); primary keys stay. Ids are ULIDs of the
 * instant each row was made (`ulidAt`), so rows arrive in nearly the order of their keys (each
 * primary key is filled near its right edge) and events and attendance fill their month's
 * partition, made before the load.
 *
 * A template is marked `is_template` and never written after generation: a bench clones it
 * (`create database … template …`, a file copy) and drops the clone at the end; where the disk has
 * no room for a clone, the bench works in the template itself and deletes what it added (see
 * bench/reports.ts). `GENERATOR` names the generator's version: a template made by another version is
 * generated again.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { openPostgres } from '@latih/db';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { log, psql, SERVER } from './common.js';

export const GENERATOR = 'national-3y-v2';
const ROOT = new URL('..', import.meta.url).pathname;
const DAY = 86_400_000;
const YEARS = 3;

export const PROVIDERS = 200;
export const PLATFORMS = 8;
export const COURSES = 2000;
export const orgId = (prefix: 'jp' | 'jq' | 'jr', n: number) =>
  `org_01${prefix}${String(n).padStart(22, '0')}`;
export const courseId = (n: number) => `crs_01jc${String(n).padStart(22, '0')}`;
const B32 = '0123456789abcdefghjkmnpqrstvwxyz';
/**
 * A ULID as the gateway makes them (lower-case Crockford base32): the 10 characters of instant
 * `ms`, then `n` in the 16 characters of the random part, so ids are unique per prefix, ordered by
 * time and land in their month's partition (events, attendance: migration 0035).
 */
export function ulidAt(prefix: string, ms: number, n: number): string {
  let t = ms;
  let time = '';
  for (let k = 0; k < 10; k++) {
    time = B32[t % 32] + time;
    t = Math.floor(t / 32);
  }
  let r = n;
  let rest = '';
  for (let k = 0; k < 16; k++) {
    rest = B32[r % 32] + rest;
    r = Math.floor(r / 32);
  }
  return `${prefix}_${time}${rest}`;
}
export const templateName = (n: number) => `latih_bench_tpl_${n}`;

/** A cheap, deterministic 32-bit hash of (i, salt). */
function h(i: number, salt: number): number {
  let x = Math.imul(i ^ Math.imul(salt, 0x9e3779b1), 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

const iso = (ms: number) => new Date(ms).toISOString();

function regencies(): string[] {
  const text = readFileSync(join(ROOT, 'packages/contracts/src/regions-data.ts'), 'utf8');
  return [...text.matchAll(/\['(\d{2}\.\d{2})',/g)].map((m) => m[1] as string);
}

export type Dataset = { template: string; n: number; loadSeconds: number; size: string; counts: string };

/** What a template's bench_meta says, or null when there is none for this generator and size. */
export function existingTemplate(n: number): Dataset | null {
  const name = templateName(n);
  const exists = psql('postgres', `select count(*) from pg_database where datname = '${name}'`) === '1';
  if (!exists) return null;
  try {
    const [gen, size, seconds, counts] = psql(
      name,
      `select generator || '|' || n || '|' || load_seconds || '|' || counts from bench_meta`,
    ).split('|');
    if (gen !== GENERATOR || size !== String(n)) return null;
    return {
      template: name,
      n,
      loadSeconds: Number(seconds),
      size: psql('postgres', `select pg_size_pretty(pg_database_size('${name}'))`),
      counts: counts ?? '',
    };
  } catch {
    return null;
  }
}

/**
 * The template for `n` participants: the existing one when it was made by this generator, else a
 * new one (built under a temporary name, renamed when complete, so a half-built one is never used).
 */
export async function ensureTemplate(n: number): Promise<Dataset> {
  const found = existingTemplate(n);
  if (found) {
    log(`reusing template ${found.template} (${found.size}, generated in ${found.loadSeconds.toFixed(0)} s)`);
    return found;
  }
  const name = templateName(n);
  const building = `${name}_building`;
  for (const db of [name, building]) {
    psql('postgres', `update pg_database set datistemplate = false where datname = '${db}'`);
    psql('postgres', `drop database if exists ${db} with (force)`);
  }
  psql('postgres', `create database ${building}`);
  const started = Date.now();
  const database = await openPostgres(`${SERVER}/${building}`, { max: 1 });
  await database.migrate();
  await database.close();
  await generate(`${SERVER}/${building}`, n);
  const loadSeconds = (Date.now() - started) / 1000;
  const counts = psql(
    building,
    `select (select count(*) from participants) || ' participants, ' || (select count(*) from enrollments) || ' enrollments, ' ||
      (select count(*) from attendance) || ' attendance rows, ' || (select count(*) from reviews) || ' reviews, ' ||
      (select count(*) from certificates) || ' certificates, ' || (select count(*) from settlement_items) || ' settlement lines, ' ||
      (select count(*) from events) || ' events'`,
  );
  psql(
    building,
    `create table bench_meta as select '${GENERATOR}'::text as generator, ${n}::bigint as n,
       ${loadSeconds}::numeric as load_seconds, '${counts}'::text as counts, now() as generated_at`,
  );
  psql('postgres', `alter database ${building} rename to ${name}`);
  psql('postgres', `alter database ${name} is_template true`);
  const size = psql('postgres', `select pg_size_pretty(pg_database_size('${name}'))`);
  log(`template ${name}: ${counts}; ${size}, generated in ${loadSeconds.toFixed(0)} s`);
  return { template: name, n, loadSeconds, size, counts };
}

/** Clones the template into `db` (dropped first): a file copy, no rows rewritten. */
export function cloneTemplate(template: string, db: string): number {
  psql('postgres', `drop database if exists ${db} with (force)`);
  const t = Date.now();
  psql('postgres', `create database ${db} template ${template}`);
  return (Date.now() - t) / 1000;
}

/** Removes a template (and any half-built one). */
export function dropTemplate(n: number): void {
  const name = templateName(n);
  for (const db of [name, `${name}_building`]) {
    psql('postgres', `update pg_database set datistemplate = false where datname = '${db}'`);
    psql('postgres', `drop database if exists ${db} with (force)`);
  }
}

/**
 * Streams rows into `table` with COPY (text format). `row(i)` returns one line's fields (null for
 * NULL) or undefined to skip i; rows are sent in chunks of 20 000.
 */
async function copy(
  client: pg.PoolClient,
  table: string,
  columns: string[],
  count: number,
  row: (i: number) => Array<string | number | null> | undefined,
): Promise<number> {
  let written = 0;
  function* chunks() {
    const CHUNK = 20_000;
    for (let start = 1; start <= count; start += CHUNK) {
      const lines: string[] = [];
      const end = Math.min(count, start + CHUNK - 1);
      for (let i = start; i <= end; i++) {
        const r = row(i);
        if (!r) continue;
        lines.push(r.map((v) => (v === null ? '\\N' : String(v))).join('\t'));
      }
      written += lines.length;
      if (lines.length) yield `${lines.join('\n')}\n`;
    }
  }
  const t = Date.now();
  await pipeline(
    Readable.from(chunks()),
    client.query(copyFrom(`copy ${table} (${columns.join(', ')}) from stdin`)),
  );
  log(`  ${table}: ${written.toLocaleString()} rows in ${((Date.now() - t) / 1000).toFixed(0)} s`);
  return written;
}

/**
 * The people and what happened to them. Participant i registers at start + i × span / n (in
 * order); buys a voucher (one course of 2 000, on one of 8 platforms) 1–7 days later; redeems it
 * a minute to a week after buying; 1 % of vouchers are cancelled before redemption; the course
 * ends 1–20 days after redemption: those ending after now are still in training, of the others 70 %
 * completed it and 30 % did not. Cohorts are registration waves of two weeks.
 */
export function person(i: number, n: number, now: number) {
  const start = now - YEARS * 365 * DAY;
  const span = YEARS * 365 * DAY - 30 * DAY;
  const registered = start + Math.floor((i / n) * span);
  const issued = registered + DAY + (h(i, 1) % (6 * DAY));
  const redeemed = issued + 60_000 + (h(i, 2) % (7 * DAY - 60_000));
  const ends = redeemed + (1 + (h(i, 3) % 20)) * DAY;
  const status =
    i % 100 === 0 ? 'CANCELLED' : ends > now ? 'REDEEMED' : i % 10 < 7 ? 'COMPLETED' : 'NOT_COMPLETED';
  const course = 1 + (h(i, 4) % COURSES);
  return {
    registered,
    issued,
    redeemed,
    ends,
    status,
    course,
    provider: 1 + (course % PROVIDERS),
    platform: 1 + (h(i, 5) % PLATFORMS),
    cohort: 1 + Math.floor((registered - start) / (14 * DAY)),
  };
}

async function generate(url: string, n: number) {
  const now = Date.now();
  const regs = regencies();
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  const client = await pool.connect();
  try {
    const q = (s: string) => client.query(s);
    const BIG = [
      'participants',
      'vouchers',
      'enrollments',
      'attendance',
      'reviews',
      'identity_checks',
      'certificates',
      'incentives',
      'settlement_items',
      'settlements',
      'events',
    ];
    // A bulk load as a restore does it: foreign keys and triggers off for this session, secondary
    // indexes dropped and built once after.
    const { rows: indexes } = await client.query<{ indexname: string; indexdef: string }>(
      `select indexname, indexdef from pg_indexes where schemaname = 'public'
        and tablename = any($1) and indexname not in (select conname from pg_constraint)`,
      [BIG],
    );
    await q("set session_replication_role = replica; set maintenance_work_mem = '1GB'");
    for (const i of indexes) await q(`drop index ${i.indexname}`);
    // Every month of the three years gets its partition before the rows arrive (as the
    // partitions.maintain job makes them ahead in production), so no row lands in a default one.
    await q(`select latih_attach_month(t.tbl, t.key, t.prefix, m::date)
       from (values ('events', 'id', 'evt'), ('attendance', 'enrollment_id', 'enr')) t(tbl, key, prefix),
         generate_series(date_trunc('month', to_timestamp(${Math.floor((now - YEARS * 365 * DAY) / 1000)}) at time zone 'UTC'),
           date_trunc('month', to_timestamp(${Math.floor(now / 1000)}) at time zone 'UTC') + interval '1 month', interval '1 month') m`);
    log(`generating ${n.toLocaleString()} participants over ${YEARS} years with COPY`);
    await q(`insert into organisations (id, kind, name, status)
       select '${orgId('jr', 1)}', 'PMO', 'PMO', 'ACTIVE'
       union all select 'org_01jq' || lpad(n::text, 22, '0'), 'PLATFORM', 'Platform ' || n, 'ACTIVE' from generate_series(1, ${PLATFORMS}) n
       union all select 'org_01jp' || lpad(n::text, 22, '0'), 'PROVIDER', 'Lembaga ' || n, 'ACTIVE' from generate_series(1, ${PROVIDERS}) n`);
    await q(`insert into courses (id, provider_id, status, title, summary, description, category, mode, duration_minutes, price, language)
       select 'crs_01jc' || lpad(n::text, 22, '0'), 'org_01jp' || lpad((1 + n % ${PROVIDERS})::text, 22, '0'), 'PUBLISHED', 'Kursus ' || n, 's', 'd',
         (array['digital-marketing','languages','it-software','food-processing','management'])[1 + n % 5],
         (array['SELF_PACED','WEBINAR','LURING','HYBRID'])[1 + n % 4], 900 + (n % 5) * 60, 500000 + (n % 7) * 250000, 'id'
       from generate_series(1, ${COURSES}) n`);
    const price = (course: number) => 500_000 + (course % 7) * 250_000;
    const p = (i: number) => person(i, n, now);

    await copy(
      client,
      'participants',
      [
        'id',
        'nik_hash',
        'nik_last4',
        'card_number',
        'name',
        'gender',
        'birth_date',
        'regency_code',
        'cohort',
        'scheme_id',
        'status',
        'balance',
        'purchase_deadline',
        'created_at',
      ],
      n,
      (i) => {
        const x = p(i);
        const birth = iso(Date.UTC(1966, 0, 1) + (h(i, 6) % (41 * 365)) * DAY).slice(0, 10);
        return [
          ulidAt('par', x.registered, i),
          `nik${i}`,
          String(i % 10000).padStart(4, '0'),
          `9${String(i).padStart(15, '0')}`,
          `Peserta ${i}`,
          h(i, 7) % 2 ? 'F' : 'M',
          birth,
          regs[h(i, 8) % regs.length] ?? '32.73',
          x.cohort,
          'PRAKERJA_2023',
          'ACTIVE',
          0,
          iso(x.registered + 180 * DAY),
          iso(x.registered),
        ];
      },
    );
    await copy(
      client,
      'vouchers',
      [
        'id',
        'code_hash',
        'code_last4',
        'participant_id',
        'platform_id',
        'provider_id',
        'course_id',
        'checkout_id',
        'price',
        'status',
        'expires_at',
        'issued_at',
        'redeemed_at',
        'closed_at',
      ],
      n,
      (i) => {
        const x = p(i);
        const closed =
          x.status === 'CANCELLED' ? iso(x.issued + DAY) : x.status === 'REDEEMED' ? null : iso(x.ends);
        return [
          ulidAt('vch', x.issued, i),
          `code${i}`,
          'ABCD',
          ulidAt('par', x.registered, i),
          orgId('jq', x.platform),
          orgId('jp', x.provider),
          courseId(x.course),
          ulidAt('chk', x.issued, i),
          price(x.course),
          x.status,
          iso(x.issued + 30 * DAY),
          iso(x.issued),
          x.status === 'CANCELLED' ? null : iso(x.redeemed),
          closed,
        ];
      },
    );
    const enrolled = (i: number) => p(i).status !== 'CANCELLED';
    await copy(
      client,
      'enrollments',
      [
        'id',
        'voucher_id',
        'participant_id',
        'provider_id',
        'course_id',
        'status',
        'redeemed_at',
        'completed_at',
        'redeemed_ip',
        'assignment_hash',
        'assignment_submitted_at',
      ],
      n,
      (i) => {
        const x = p(i);
        if (x.status === 'CANCELLED') return undefined;
        const done = x.status === 'COMPLETED' || x.status === 'NOT_COMPLETED';
        return [
          ulidAt('enr', x.redeemed, i),
          ulidAt('vch', x.issued, i),
          ulidAt('par', x.registered, i),
          orgId('jp', x.provider),
          courseId(x.course),
          x.status === 'REDEEMED' ? 'IN_TRAINING' : x.status,
          iso(x.redeemed),
          done ? iso(x.ends) : null,
          `10.${Math.floor(x.redeemed / DAY) % 250}.${h(i, 9) % 250}.1`,
          x.status === 'COMPLETED' ? `hash${i}` : null,
          x.status === 'COMPLETED' ? iso(x.ends - 3_600_000) : null,
        ];
      },
    );
    // Four sessions each, four hours apart; the k-th row of the stream is enrollment ⌈k/4⌉'s.
    await copy(
      client,
      'attendance',
      ['enrollment_id', 'sequence', 'status', 'method', 'device_id', 'ip', 'occurred_at', 'recorded_at'],
      4 * n,
      (k) => {
        const i = Math.ceil(k / 4);
        const s = k - 4 * (i - 1);
        if (!enrolled(i)) return undefined;
        const x = p(i);
        const at = x.redeemed + s * 4 * 3_600_000;
        if (at > now) return undefined;
        return [
          ulidAt('enr', x.redeemed, i),
          s,
          (i + s) % 20 === 0 ? 'REJECTED' : 'CONFIRMED',
          ['FACE_MATCH', 'VENUE_QR', 'ONLINE_PRESENCE'][s % 3] ?? 'FACE_MATCH',
          `dev-${i}`,
          null,
          iso(at),
          iso(at),
        ];
      },
    );
    const completed = (i: number) => p(i).status === 'COMPLETED';
    await copy(
      client,
      'reviews',
      [
        'id',
        'enrollment_id',
        'voucher_id',
        'platform_id',
        'provider_id',
        'course_id',
        'rating',
        'text',
        'created_at',
      ],
      n,
      (i) => {
        if (!completed(i) || h(i, 10) % 7 >= 5) return undefined;
        const x = p(i);
        return [
          ulidAt('rev', x.ends + 3_600_000, i),
          ulidAt('enr', x.redeemed, i),
          ulidAt('vch', x.issued, i),
          orgId('jq', x.platform),
          orgId('jp', x.provider),
          courseId(x.course),
          1 + (h(i, 11) % 5),
          'ulasan',
          iso(x.ends + 3_600_000),
        ];
      },
    );
    await copy(
      client,
      'identity_checks',
      [
        'id',
        'token_hash',
        'enrollment_id',
        'sequence',
        'redirect_uri',
        'state',
        'expires_at',
        'used_at',
        'result',
        'created_at',
      ],
      n,
      (i) => {
        if (i % 5 !== 0 || !enrolled(i)) return undefined;
        const x = p(i);
        return [
          ulidAt('idc', x.redeemed, i),
          `t${i}`,
          ulidAt('enr', x.redeemed, i),
          1,
          'https://x.example/cb',
          's',
          iso(x.redeemed + 3_600_000),
          iso(x.redeemed + 600_000),
          i % 9 === 0 ? 'FAILED' : 'CONFIRMED',
          iso(x.redeemed),
        ];
      },
    );
    await copy(
      client,
      'certificates',
      [
        'id',
        'number',
        'enrollment_id',
        'provider_id',
        'course_id',
        'participant_id',
        'credential',
        'kid',
        'status',
        'issued_at',
      ],
      n,
      (i) => {
        if (!completed(i)) return undefined;
        const x = p(i);
        return [
          ulidAt('cer', x.ends + 60_000, i),
          `LTH-${i}`,
          ulidAt('enr', x.redeemed, i),
          orgId('jp', x.provider),
          courseId(x.course),
          ulidAt('par', x.registered, i),
          '{"bench":true}',
          'bench',
          i % 500 === 0 ? 'REVOKED' : 'VALID',
          iso(x.ends + 60_000),
        ];
      },
    );
    // The incentive after a completed course with its review: one instalment, paid three days later.
    await copy(
      client,
      'incentives',
      [
        'id',
        'participant_id',
        'scheme_id',
        'instalment',
        'instalments',
        'amount',
        'status',
        'missing',
        'enrollment_id',
        'due_at',
        'created_at',
        'updated_at',
        'paid_at',
      ],
      n,
      (i) => {
        if (!completed(i) || h(i, 10) % 7 >= 5) return undefined;
        const x = p(i);
        const paid = x.ends + 3 * DAY;
        const isPaid = paid <= now;
        return [
          ulidAt('inc', x.ends, i),
          ulidAt('par', x.registered, i),
          'PRAKERJA_2023',
          1,
          1,
          600_000,
          isPaid ? 'PAID' : 'ELIGIBLE',
          '[]',
          ulidAt('enr', x.redeemed, i),
          iso(x.ends + DAY),
          iso(x.ends),
          iso(isPaid ? paid : x.ends),
          isPaid ? iso(paid) : null,
        ];
      },
    );
    // The provider's line for each closed voucher (its price less the platform's 10 %), settled in
    // the provider's weekly settlement of the Monday after.
    const week = (ms: number) => Math.floor((ms + 3 * DAY) / (7 * DAY));
    const thisWeek = week(now);
    await copy(
      client,
      'settlement_items',
      [
        'id',
        'voucher_id',
        'role',
        'organisation_id',
        'course_id',
        'basis',
        'price',
        'commission',
        'amount',
        'payable_at',
        'settlement_id',
        'created_at',
      ],
      n,
      (i) => {
        const x = p(i);
        if (x.status !== 'COMPLETED' && x.status !== 'NOT_COMPLETED') return undefined;
        const pr = price(x.course);
        const w = week(x.ends);
        return [
          i,
          ulidAt('vch', x.issued, i),
          'PROVIDER',
          orgId('jp', x.provider),
          courseId(x.course),
          x.status,
          pr,
          pr / 10,
          pr - pr / 10,
          iso(x.ends),
          w < thisWeek ? `stl_${x.provider}_${w}` : null,
          iso(x.ends),
        ];
      },
    );
    await q(`select setval(pg_get_serial_sequence('settlement_items', 'id'), ${n})`);
    await q(`insert into settlements (id, organisation_id, role, batch_date, amount, item_count, status, created_at, updated_at, paid_at)
       select si.settlement_id, si.organisation_id, 'PROVIDER', max(si.payable_at)::date + 1, sum(si.amount), count(*), 'PAID',
         max(si.payable_at) + interval '1 day', max(si.payable_at) + interval '2 days', max(si.payable_at) + interval '2 days'
       from settlement_items si where si.settlement_id is not null group by si.settlement_id, si.organisation_id`);
    // The outbox: a redemption event per enrollment, then a completion event per closed one.
    let evt = 0;
    await copy(
      client,
      'events',
      ['id', 'type', 'organisation_id', 'entity_type', 'entity_id', 'data', 'created_at', 'published_at'],
      2 * n,
      (k) => {
        const i = k <= n ? k : k - n;
        const x = p(i);
        if (k <= n) {
          if (x.status === 'CANCELLED') return undefined;
          evt++;
          return [
            ulidAt('evt', x.redeemed, evt),
            'voucher.redeemed',
            orgId('jp', x.provider),
            'voucher',
            ulidAt('vch', x.issued, i),
            `{"voucherId":"${ulidAt('vch', x.issued, i)}"}`,
            iso(x.redeemed),
            iso(x.redeemed + 1000),
          ];
        }
        if (x.status !== 'COMPLETED' && x.status !== 'NOT_COMPLETED') return undefined;
        evt++;
        return [
          ulidAt('evt', x.ends, evt),
          x.status === 'COMPLETED' ? 'enrollment.completed' : 'enrollment.not_completed',
          orgId('jp', x.provider),
          'enrollment',
          ulidAt('enr', x.redeemed, i),
          `{"enrollmentId":"${ulidAt('enr', x.redeemed, i)}"}`,
          iso(x.ends),
          iso(x.ends + 1000),
        ];
      },
    );
    log(`building ${indexes.length} secondary indexes`);
    const built = Date.now();
    // A partitioned table's index reads back as `CREATE INDEX … ON ONLY <table>`, which would make
    // it on the parent alone (invalid, and on no partition): made as the migrations make it.
    for (const i of indexes) await q(i.indexdef.replace(' ON ONLY ', ' ON '));
    await q('set session_replication_role = origin');
    log(`indexes built in ${Math.round((Date.now() - built) / 1000)} s`);
    const vac = Date.now();
    await q('vacuum (freeze, analyze)');
    log(`vacuum (freeze, analyze) in ${Math.round((Date.now() - vac) / 1000)} s`);
  } finally {
    client.release();
    await pool.end();
  }
}

/** `node --import tsx bench/dataset.ts N [--drop]`: makes (or drops) the template for N participants. */
if (import.meta.url === `file://${process.argv[1]}`) {
  const n = Number(process.argv[2] ?? 1_000_000);
  if (process.argv.includes('--drop')) dropTemplate(n);
  else await ensureTemplate(n);
}
