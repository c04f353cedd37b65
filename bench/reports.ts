/**
 * `npm run bench:reports` (also the second half of `npm run bench`): PMO reports at national scale.
 *
 * 1. A fresh database `latih_bench_reports` on the local PostgreSQL, migrated.
 * 2. Rows inserted in time order, as production writes them (the BRIN indexes rely on it):
 *    200 providers, 2 000 courses, 1 000 000 participants across all regencies, 1 000 000 vouchers
 *    and enrollments over a year (70 % completed), 4 attendance rows each, 500 000 reviews,
 *    200 000 identity checks, 10 000 refunds — generated in SQL.
 * 3. Rebuilds the daily rollups for the year once (what `pmo.reports.rebuild` does), then times each
 *    report (median of 7 runs, after one warm-up) through the same functions the procedures call:
 *    one provider's scorecard for the year, all providers sorted by completion rate, one provider's
 *    courses, the platform report; the same provider scorecard straight from the source tables (what
 *    the rollups save); statistics by province.
 * 4. The fraud-signal detectors as the hourly job runs them: the first (full) pass over 30 days,
 *    then three times one hour of activity at the program's rate for this size and the
 *    incremental pass over it (see `detectors` below).
 * 5. Writes the tables to docs/benchmarks.md (the detectors: one block per size).
 *
 * Targets 127.0.0.1 only. Knobs: BENCH_ENROLLMENTS (default 1 000 000); BENCH_PARTS (`reports`,
 * `detectors`, default both); BENCH_REUSE=1 (keep the database generated for the same size);
 * BENCH_DB (default latih_bench_reports).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { appRouter, createCallerFactory, servicesHandle } from '@latih/api';
import { generateStoredKey, loadKeySet, rebuildReports, runSignalDetection, TokenService } from '@latih/core';
import { type Db, execRows, openPostgres, scorecards } from '@latih/db';

const ROOT = new URL('..', import.meta.url).pathname;
const SERVER = 'postgres://postgres@127.0.0.1:5432';
/** BENCH_DB: another database name, to keep two sizes side by side. */
const DB = process.env.BENCH_DB ?? 'latih_bench_reports';
const N = Number(process.env.BENCH_ENROLLMENTS ?? 1_000_000);
/** BENCH_PARTS: `reports`, `detectors` or both (default); 10 M runs only the detectors. */
const PARTS = (process.env.BENCH_PARTS ?? 'reports,detectors').split(',');
const HOUR = 3_600_000;
const PMO = `org_01jr${'1'.padStart(22, '0')}`;
const PROVIDER7 = `org_01jp${'7'.padStart(22, '0')}`;
const log = (msg: string) => console.log(`[bench:reports ${new Date().toISOString().slice(11, 19)}] ${msg}`);
const psql = (db: string, sql: string) =>
  execFileSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-d', db, '-qtAc', sql], {
    encoding: 'utf8',
  }).trim();

async function median(runs: number, f: () => Promise<unknown>): Promise<number> {
  await f();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await f();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? 0;
}

async function main() {
  log(
    `machine: ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB; ${N.toLocaleString()} enrollments`,
  );
  // BENCH_REUSE=1 keeps a database this script generated before for the same size (generating 10 M
  // takes the better part of an hour); its data is as generated plus the hours earlier runs added.
  const generatedFor = () => {
    try {
      return psql(DB, 'select n from bench_meta');
    } catch {
      return '';
    }
  };
  const reuse = process.env.BENCH_REUSE === '1' && generatedFor() === String(N);
  if (!reuse) {
    psql('postgres', `drop database if exists ${DB} with (force)`);
    psql('postgres', `create database ${DB}`);
  }
  const database = await openPostgres(`${SERVER}/${DB}`, { max: 4 });
  try {
    const t = performance.now();
    await database.migrate();
    const migrateMs = performance.now() - t;
    const client = database.db;
    const { sql } = await import('drizzle-orm');
    if (reuse)
      log(
        `reusing ${DB} (${N.toLocaleString()} enrollments); migrations took ${(migrateMs / 1000).toFixed(1)} s`,
      );
    else {
      // One connection: its session settings hold for every step.
      const loader = await openPostgres(`${SERVER}/${DB}`, { max: 1 });
      try {
        await generate(loader.db, sql);
      } finally {
        await loader.close();
      }
    }
    const counts = psql(
      DB,
      `select (select count(*) from enrollments) || ' enrollments, ' || (select count(*) from attendance) || ' attendance rows, ' ||
              (select count(*) from reviews) || ' reviews, ' || (select count(*) from identity_checks) || ' identity checks'`,
    );
    const loadSeconds = Number(psql(DB, 'select load_seconds from bench_meta'));
    const dbSize = psql(DB, `select pg_size_pretty(pg_database_size('${DB}'))`);
    log(`data: ${counts}, generated in ${loadSeconds.toFixed(0)} s; database ${dbSize}`);
    if (PARTS.includes('reports')) await reports(client, sql, { counts, loadSeconds });
    if (PARTS.includes('detectors')) await detectors(client, sql, { counts, loadSeconds, dbSize });
  } finally {
    await database.close();
  }
}

/** The PMO reports through their procedures (section bench:reports). */
async function reports(
  client: Db,
  sql: typeof import('drizzle-orm').sql,
  data: { counts: string; loadSeconds: number },
) {
  const { counts, loadSeconds } = data;
  const actor = {
    organisationId: PMO,
    role: 'pmo' as const,
    clientId: 'cli_bench',
    scopes: ['pmo:read' as const],
  };
  {
    let t = performance.now();
    await rebuildReports({ db: client, actor, input: {} });
    const rebuildMs = performance.now() - t;
    const rollupRows = psql(DB, 'select count(*) from report_daily');
    log(
      `rollups rebuilt for the year in ${(rebuildMs / 1000).toFixed(1)} s (${Number(rollupRows).toLocaleString()} day×course rows)`,
    );
    t = performance.now();
    const { refreshRecentRollups } = await import('@latih/core');
    await refreshRecentRollups(client, new Date());
    const recentMs = performance.now() - t;

    // Through the procedures, as the API serves them (in-process caller; no HTTP in the way).
    const keys = loadKeySet({ keys: [generateStoredKey(new Date(0), new Date(0))] });
    const tokens = new TokenService(() => keys, 'https://bench', Date.now);
    const token = tokens.issue({ ...actor, scopes: ['pmo:read'] }).token;
    const api = createCallerFactory(appRouter)({
      requestId: 'req_bench',
      authorization: `Bearer ${token}`,
      idempotencyKey: null,
      setHeader: () => undefined,
      services: servicesHandle({
        db: client,
        tokens,
        nikHashKey: Buffer.alloc(32),
        otp: null,
        now: Date.now,
        log: { error: () => undefined, warn: () => undefined },
      } as never),
    });
    const today = new Date().toISOString().slice(0, 10);
    const yearAgo = new Date(Date.now() - 366 * 86_400_000).toISOString().slice(0, 10);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const period = { from: yearAgo, to: tomorrow };
    const rows: Array<[string, number, string]> = [];
    const measure = async (name: string, f: () => Promise<unknown>, target = '< 1 s') => {
      const ms = await median(7, f);
      rows.push([name, ms, target]);
      log(`  ${name}: ${ms.toFixed(0)} ms`);
    };
    await measure('One provider’s scorecard, a year', () =>
      api.pmo.reports.providers({ ...period, providerId: PROVIDER7 } as never),
    );
    await measure('All 200 providers, sorted by completion rate, a year', () =>
      api.pmo.reports.providers({ ...period, sort: 'completionRate', order: 'asc', limit: 200 } as never),
    );
    await measure('One provider’s 10 courses, a year', () =>
      api.pmo.reports.courses({ ...period, providerId: PROVIDER7, sort: 'vouchersSold' } as never),
    );
    await measure('All 2 000 courses, a month, page of 50', () =>
      api.pmo.reports.courses({
        from: new Date(Date.now() - 31 * 86_400_000).toISOString().slice(0, 10),
        to: tomorrow,
      } as never),
    );
    await measure('Platform report, a year', () => api.pmo.reports.platforms({ ...period } as never));
    await measure(
      `Statistics by province (${N.toLocaleString()} participants)`,
      () => api.pmo.statistics({ dimension: 'province' } as never),
      '—',
    );
    await measure(
      'Statistics by age band, one province',
      () => api.pmo.statistics({ dimension: 'ageBand', provinceCode: '32' } as never),
      '—',
    );
    // What the rollups save: the same one-provider scorecard summed from the source tables.
    await measure(
      'Same provider scorecard from the source tables (no rollups)',
      () =>
        client.execute(
          sql.raw(`select count(*) filter (where v.issued_at >= now() - interval '1 year') as sold,
              (select count(*) from enrollments e where e.provider_id = '${PROVIDER7}' and e.redeemed_at >= now() - interval '1 year') as redeemed,
              (select count(*) filter (where status = 'COMPLETED') from enrollments e where e.provider_id = '${PROVIDER7}' and e.completed_at >= now() - interval '1 year') as completed,
              (select percentile_cont(0.5) within group (order by e.completed_at - e.redeemed_at) from enrollments e where e.provider_id = '${PROVIDER7}' and e.status = 'COMPLETED') as median,
              (select count(*) filter (where a.status = 'CONFIRMED')::float / count(*) from attendance a join enrollments e on e.id = a.enrollment_id where e.provider_id = '${PROVIDER7}') as att,
              (select avg(rating) from reviews r where r.provider_id = '${PROVIDER7}') as rating
            from vouchers v where v.provider_id = '${PROVIDER7}'`),
        ),
      '—',
    );
    void scorecards;

    const table = rows
      .map(
        ([name, ms, target]) =>
          `| ${name} | ${ms < 10 ? ms.toFixed(1) : ms.toFixed(0)} ms | ${target}${target === '< 1 s' ? (ms < 1000 ? ' ✔' : ' ✘') : ''} |`,
      )
      .join('\n');
    const section = `<!-- bench:reports:start -->
Measured ${today} by \`npm run bench:reports\` on ${cpus().length} cores / ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, PostgreSQL ${psql(DB, 'show server_version')} on the same machine; ${counts}, loaded in ${loadSeconds.toFixed(0)} s. Rollups for the whole year rebuilt in ${(rebuildMs / 1000).toFixed(1)} s into ${Number(rollupRows).toLocaleString()} day × course rows; the worker's per-minute refresh of yesterday and today took ${recentMs.toFixed(0)} ms. Each figure is the median of 7 calls through the procedure (in-process caller, pool of 4) after one warm-up.

| Report | Median | Target |
| --- | --- | --- |
${table}
<!-- bench:reports:end -->`;
    const docs = join(ROOT, 'docs/benchmarks.md');
    let text = readFileSync(docs, 'utf8');
    if (!text.includes('<!-- bench:reports:start -->'))
      text += '\n## PMO reports\n\n<!-- bench:reports:start -->\n<!-- bench:reports:end -->\n';
    text = text.replace(/<!-- bench:reports:start -->[\s\S]*<!-- bench:reports:end -->/, section);
    writeFileSync(docs, text);
    log(`wrote ${docs}`);
    console.log(`\n${table}`);
  }
}

/**
 * The fraud-signal detectors as the hourly job runs them (section bench:detectors, one block per
 * size): the first, full pass over 30 days; then, three times, one hour of the program's activity
 * at this size and the incremental pass over it; last, a pass with nothing new.
 */
async function detectors(
  client: Db,
  sql: typeof import('drizzle-orm').sql,
  data: { counts: string; loadSeconds: number; dbSize: string },
) {
  // A first pass: no signals, no previous pass (whatever an earlier run with BENCH_REUSE left).
  await client.execute(sql.raw('truncate signal_subjects, signals; delete from signal_detection_state'));
  const now0 = new Date(Math.floor(Date.now() / 1000) * 1000);
  const ms = (f: () => Promise<unknown>) => {
    const t = performance.now();
    return f().then(() => performance.now() - t);
  };
  const fullTimings: Record<string, number> = {};
  let full: Awaited<ReturnType<typeof runSignalDetection>> | undefined;
  const fullMs = await ms(async () => {
    full = await runSignalDetection({ db: client, now: now0, incremental: true, timings: fullTimings });
  });
  log(`first (full) pass: ${(fullMs / 1000).toFixed(1)} s, found ${JSON.stringify(full?.found)}`);
  log(`  per detector: ${fmtTimings(fullTimings)}`);

  const hours: Array<{
    ms: number;
    insertMs: number;
    written: string;
    rows: number;
    keys: number;
    timings: string;
  }> = [];
  for (let h = 1; h <= 3; h++) {
    const from = new Date(now0.getTime() + (h - 1) * HOUR);
    const to = new Date(now0.getTime() + h * HOUR);
    let written = '';
    const insertMs = await ms(async () => {
      written = await oneHour(client, sql, from, to, h);
    });
    const timings: Record<string, number> = {};
    let pass: Awaited<ReturnType<typeof runSignalDetection>> | undefined;
    const passMs = await ms(async () => {
      pass = await runSignalDetection({ db: client, now: to, incremental: true, timings });
    });
    if (pass?.mode !== 'INCREMENTAL') throw new Error(`hour ${h}: a ${pass?.mode} pass`);
    const keys = Object.values(pass.keys).reduce((a, b) => a + b, 0);
    hours.push({ ms: passMs, insertMs, written, rows: pass.rows ?? 0, keys, timings: fmtTimings(timings) });
    log(
      `hour ${h}: wrote ${written} in ${(insertMs / 1000).toFixed(1)} s; incremental pass ${(passMs / 1000).toFixed(2)} s, ` +
        `${pass.rows} changed or aged rows read, ${keys} keys re-evaluated ${JSON.stringify(pass.keys)}, ${pass.seen} seen`,
    );
    log(`  per detector: ${fmtTimings(timings)}`);
  }
  const quietTimings: Record<string, number> = {};
  const quietMs = await ms(() =>
    runSignalDetection({
      db: client,
      now: new Date(now0.getTime() + 3 * HOUR + 60_000),
      incremental: true,
      timings: quietTimings,
    }),
  );
  log(`a pass with nothing new: ${quietMs.toFixed(0)} ms`);
  const median = [...hours].sort((a, b) => a.ms - b.ms)[1] ?? hours[0];
  const sec = (x: number) => `${(x / 1000).toFixed(x < 10_000 ? 2 : 1)} s`;
  const today = new Date().toISOString().slice(0, 10);
  const foundText =
    Object.entries(full?.found ?? {})
      .map(([k, v]) => `${v} ${k}`)
      .join(', ') || 'nothing';
  const hourRows = hours
    .map(
      (x, i) =>
        `| Hourly incremental pass after hour ${i + 1} (${x.written}) | ${sec(x.ms)} ${x.ms < 10_000 ? '✔' : '✘'} | ${x.rows.toLocaleString()} changed or aged rows, ${x.keys.toLocaleString()} keys re-evaluated |`,
    )
    .join('\n');
  const block = `<!-- bench:detectors:${N}:start -->
**${N.toLocaleString()} enrollments** — measured ${today} on ${cpus().length} cores / ${Math.round(totalmem() / 2 ** 30)} GiB, PostgreSQL ${psql(DB, 'show server_version')}; ${data.counts}, generated in ${Math.round(data.loadSeconds)} s (${(data.loadSeconds / 60).toFixed(0)} min), database ${data.dbSize}.

| Pass | Time | What it read |
| --- | --- | --- |
| First pass (full, 30 days, every key) | ${sec(fullMs)} | found ${foundText} |
${hourRows}
| Hourly pass with nothing new | ${sec(quietMs)} | — |

Per detector, first pass: ${fmtTimings(fullTimings)}. Hourly pass (median hour, ${sec(median?.ms ?? 0)}): ${median?.timings}. Writing each hour's activity took ${hours.map((x) => sec(x.insertMs)).join(', ')}.
<!-- bench:detectors:${N}:end -->`;
  const docs = join(ROOT, 'docs/benchmarks.md');
  let text = readFileSync(docs, 'utf8');
  if (!text.includes('<!-- bench:detectors:start -->'))
    text += '\n## Fraud-signal detectors\n\n<!-- bench:detectors:start -->\n<!-- bench:detectors:end -->\n';
  const mine = new RegExp(`<!-- bench:detectors:${N}:start -->[\\s\\S]*?<!-- bench:detectors:${N}:end -->`);
  text = mine.test(text)
    ? text.replace(mine, () => block)
    : text.replace('<!-- bench:detectors:end -->', () => `${block}\n\n<!-- bench:detectors:end -->`);
  writeFileSync(docs, text);
  log(`wrote ${docs}`);
}

const fmtTimings = (t: Record<string, number>) =>
  Object.entries(t)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v < 10 ? v.toFixed(1) : v.toFixed(0)} ms`)
    .join(', ');

/**
 * One hour of the program at this size, as production writes it: N / 8 760 redemptions (new
 * participants, vouchers bought a minute to a week before), their attendance (4 each, recorded
 * within the hour), as many completions of enrollments redeemed 1 to 20 days before (70 % of the
 * hour's rate), a review for five sevenths of those, an identity check for a fifth of the new
 * enrollments. Ids carry the hour so runs with BENCH_REUSE add rather than collide.
 */
async function oneHour(client: Db, sql: typeof import('drizzle-orm').sql, from: Date, to: Date, h: number) {
  const k = Math.max(1, Math.round(N / 8760));
  const tag = `h${from.getTime()}_`;
  const f = from.toISOString();
  const at = (i: string) => `timestamptz '${f}' + (${i}) * interval '3600 seconds' / ${k}`;
  void h;
  const run = (q: string) => client.execute(sql.raw(q));
  await run(`insert into participants (id, nik_hash, nik_last4, card_number, name, gender, birth_date, regency_code, cohort,
      scheme_id, status, balance, purchase_deadline, created_at)
    select 'par_${tag}' || n, md5('nik${tag}' || n), lpad((n % 10000)::text, 4, '0'), '8' || lpad((n + ${from.getTime() % 1_000_000_000})::text, 15, '0'),
      'Peserta ' || n, case when n % 2 = 0 then 'F' else 'M' end, date '1980-01-01' + (n % 9000),
      (select regency_code from participants where id = 'par_1'), 1 + n % 60, 'PRAKERJA_2023', 'ACTIVE', 0,
      timestamptz '${f}' + interval '1 year', timestamptz '${f}' - interval '1 day'
    from generate_series(1, ${k}) n`);
  await run(`insert into vouchers (id, code_hash, code_last4, participant_id, platform_id, provider_id, course_id,
      checkout_id, price, status, expires_at, issued_at, redeemed_at)
    select 'vch_${tag}' || n, md5('code${tag}' || n), 'ABCD', 'par_${tag}' || n, 'org_01jq' || lpad((1 + n % 8)::text, 22, '0'),
      'org_01jp' || lpad((1 + (1 + n % 2000) % 200)::text, 22, '0'), 'crs_01jc' || lpad((1 + n % 2000)::text, 22, '0'),
      'chk_${tag}' || n, 1000000, 'REDEEMED', timestamptz '${f}' + interval '30 days',
      ${at('n')} - (60 + abs(hashtext('d${tag}' || n)) % 604800) * interval '1 second', ${at('n')}
    from generate_series(1, ${k}) n`);
  await run(`insert into enrollments (id, voucher_id, participant_id, provider_id, course_id, status, redeemed_at, redeemed_ip)
    select 'enr_' || substr(v.id, 5), v.id, v.participant_id, v.provider_id, v.course_id, 'IN_TRAINING', v.redeemed_at,
      '10.' || (v.redeemed_at::date - date '2020-01-01') % 250 || '.' || (abs(hashtext(v.id)) % 250) || '.1'
    from vouchers v where v.id like 'vch_${tag}%' order by v.redeemed_at`);
  await run(`insert into attendance (enrollment_id, sequence, status, method, device_id, ip, recorded_at)
    select e.id, s, case when (abs(hashtext(e.id)) + s) % 20 = 0 then 'REJECTED' else 'CONFIRMED' end,
      (array['FACE_MATCH','VENUE_QR','ONLINE_PRESENCE'])[1 + s % 3], 'dev-' || substr(e.id, 5), null,
      least(e.redeemed_at + s * interval '10 minutes', timestamptz '${to.toISOString()}' - interval '1 second')
    from enrollments e cross join generate_series(1, 4) s where e.id like 'enr_${tag}%'`);
  // Completions: enrollments still in training, redeemed 1 to 20 days before (the generated ones).
  const done = Math.round(k * 0.7);
  await run(`with c as (
      select e.id, e.voucher_id, row_number() over () as i from enrollments e
      where e.status = 'IN_TRAINING' and e.redeemed_at >= timestamptz '${f}' - interval '20 days'
        and e.redeemed_at < timestamptz '${f}' - interval '1 day'
      limit ${done}
    ), u as (
      update enrollments e set status = 'COMPLETED', completed_at = ${at('c.i')},
        assignment_hash = md5('h' || e.id), assignment_submitted_at = ${at('c.i')}
      from c where e.id = c.id returning e.id, e.voucher_id, e.provider_id, e.course_id, e.completed_at
    ), uv as (
      update vouchers v set status = 'COMPLETED', closed_at = u.completed_at from u where v.id = u.voucher_id returning v.id
    )
    insert into reviews (id, enrollment_id, voucher_id, platform_id, provider_id, course_id, rating, text, created_at)
    select 'rev_' || substr(u.id, 5), u.id, u.voucher_id, 'org_01jq' || lpad('1', 22, '0'), u.provider_id, u.course_id,
      1 + abs(hashtext(u.id)) % 5, 'ulasan', least(u.completed_at + interval '10 minutes', timestamptz '${to.toISOString()}' - interval '1 second')
    from u where abs(hashtext(u.id)) % 7 < 5 and (select count(*) from uv) >= 0
    on conflict do nothing`);
  await run(`insert into identity_checks (id, token_hash, enrollment_id, sequence, redirect_uri, state, expires_at, used_at, result, created_at)
    select 'idc_' || substr(e.id, 5), md5('t' || e.id), e.id, 1, 'https://x.example/cb', 's', e.redeemed_at + interval '1 hour',
      least(e.redeemed_at + interval '10 minutes', timestamptz '${to.toISOString()}' - interval '1 second'),
      case when abs(hashtext(e.id)) % 9 = 0 then 'FAILED' else 'CONFIRMED' end, e.redeemed_at
    from enrollments e where e.id like 'enr_${tag}%' and abs(hashtext(e.id)) % 5 = 0`);
  return `${k.toLocaleString()} redemptions, ${(4 * k).toLocaleString()} attendance rows, ${done.toLocaleString()} completions, ~${Math.round((done * 5) / 7).toLocaleString()} reviews, ~${Math.round(k / 5).toLocaleString()} identity checks`;
}

/** The national-scale dataset, in SQL, rows in time order as production writes them. */
async function generate(client: Db, sql: typeof import('drizzle-orm').sql) {
  const started = Date.now();
  // A bulk load, as a restore does it: foreign keys and triggers off for this session, secondary
  // indexes dropped and built once after (row by row into 10 M-row indexes took over half an hour
  // per table here). Primary keys stay.
  const BIG = ['participants', 'vouchers', 'enrollments', 'attendance', 'reviews', 'identity_checks'];
  const indexes = await execRows<{ indexname: string; indexdef: string }>(
    client,
    sql.raw(`select indexname, indexdef from pg_indexes where schemaname = 'public'
      and tablename in (${BIG.map((t) => `'${t}'`).join(', ')})
      and indexname not in (select conname from pg_constraint)`),
  );
  await client.execute(sql.raw("set session_replication_role = replica; set maintenance_work_mem = '1GB'"));
  for (const i of indexes) await client.execute(sql.raw(`drop index ${i.indexname}`));
  log('generating organisations, courses, participants');
  const sqlSteps = [
    `insert into organisations (id, kind, name, status)
       select 'org_01jr' || lpad('1', 22, '0'), 'PMO', 'PMO', 'ACTIVE'
       union all select 'org_01jq' || lpad(n::text, 22, '0'), 'PLATFORM', 'Platform ' || n, 'ACTIVE' from generate_series(1, 8) n
       union all select 'org_01jp' || lpad(n::text, 22, '0'), 'PROVIDER', 'Lembaga ' || n, 'ACTIVE' from generate_series(1, 200) n`,
    `insert into courses (id, provider_id, status, title, summary, description, category, mode, duration_minutes, price, language)
       select 'crs_01jc' || lpad(n::text, 22, '0'), 'org_01jp' || lpad((1 + n % 200)::text, 22, '0'), 'PUBLISHED', 'Kursus ' || n, 's', 'd',
         (array['digital-marketing','languages','it-software','food-processing','management'])[1 + n % 5],
         (array['SELF_PACED','WEBINAR','LURING','HYBRID'])[1 + n % 4], 900 + (n % 5) * 60, 500000 + (n % 7) * 250000, 'id'
       from generate_series(1, 2000) n`,
    `create temp table regs as select code, row_number() over () as i from (values ${regencySample()}) r(code)`,
    `insert into participants (id, nik_hash, nik_last4, card_number, name, gender, birth_date, regency_code, cohort,
         scheme_id, status, balance, purchase_deadline, created_at)
       select 'par_' || n, md5('nik' || n), lpad((n % 10000)::text, 4, '0'), '9' || lpad(n::text, 15, '0'), 'Peserta ' || n,
         case when n % 2 = 0 then 'F' else 'M' end, date '1970-01-01' + (n % 15000),
         (select code from regs where i = 1 + n % (select count(*) from regs)), 1 + n % 60, 'PRAKERJA_2023', 'ACTIVE', 0,
         now() + interval '1 year', now() - (n % 365) * interval '1 day'
       from generate_series(1, ${N}) n`,
  ];
  for (const s of sqlSteps) await client.execute(sql.raw(s));
  log('vouchers and enrollments');
  // Enrollment n: course 1 + n % 2000, redeemed on day n % 365 of the past year; 70 % completed
  // after 1–20 days, 10 % not completed, the rest in training; 1 % refunded instead. Bought between
  // a minute and a week before redemption, spread (hashed), as people do: a fixed delay would make
  // every provider a UNIFORM_REDEMPTION_DELAY and time that pathological case instead.
  // (Before 2026-11-29 every voucher was bought exactly 2 hours before its redemption.)
  await client.execute(
    sql.raw(`insert into vouchers (id, code_hash, code_last4, participant_id, platform_id, provider_id, course_id,
         checkout_id, price, status, expires_at, issued_at, redeemed_at, closed_at)
       select 'vch_' || n, md5('code' || n), 'ABCD', 'par_' || n, 'org_01jq' || lpad((1 + n % 8)::text, 22, '0'), 'org_01jp' || lpad((1 + (1 + n % 2000) % 200)::text, 22, '0'),
         'crs_01jc' || lpad((1 + n % 2000)::text, 22, '0'), 'chk_' || n, 1000000,
         case when n % 100 = 0 then 'CANCELLED' when n % 10 < 7 then 'COMPLETED' when n % 10 = 7 then 'NOT_COMPLETED' else 'REDEEMED' end,
         now() + interval '30 days', t - (60 + abs(hashtext('d' || n)) % 604800) * interval '1 second', case when n % 100 = 0 then null else t end,
         case when n % 100 = 0 then t when n % 10 <= 7 then t + (1 + n % 20) * interval '1 day' end
       from (select n, now() - interval '1 year' + (n % 365) * interval '1 day' + (n % 86400) * interval '1 second' as t
             from generate_series(1, ${N}) n) g
       order by t`),
  );
  await client.execute(
    sql.raw(`insert into enrollments (id, voucher_id, participant_id, provider_id, course_id, status, redeemed_at, completed_at,
         redeemed_ip, assignment_hash, assignment_submitted_at)
       select 'enr_' || substr(v.id, 5), v.id, v.participant_id, v.provider_id, v.course_id,
         case v.status when 'REDEEMED' then 'IN_TRAINING' else v.status end, v.redeemed_at, v.closed_at,
         '10.' || (v.redeemed_at::date - date '2020-01-01') % 250 || '.' || (substr(v.id, 5)::int % 250) || '.1',
         case when v.status = 'COMPLETED' then md5(v.id) end, v.closed_at
       from vouchers v where v.status <> 'CANCELLED' order by v.redeemed_at`),
  );
  log('attendance, reviews, identity checks');
  await client.execute(
    sql.raw(`insert into attendance (enrollment_id, sequence, status, method, device_id, ip, recorded_at)
       select e.id, s, case when (substr(e.id, 5)::int + s) % 20 = 0 then 'REJECTED' else 'CONFIRMED' end,
         (array['FACE_MATCH','VENUE_QR','ONLINE_PRESENCE'])[1 + s % 3], 'dev-' || substr(e.id, 5), null,
         e.redeemed_at + s * interval '4 hours'
       from enrollments e cross join generate_series(1, 4) s order by e.redeemed_at, s`),
  );
  await client.execute(
    sql.raw(`insert into reviews (id, enrollment_id, voucher_id, platform_id, provider_id, course_id, rating, text, created_at)
       select 'rev_' || substr(e.id, 5), e.id, e.voucher_id, 'org_01jq' || lpad('1', 22, '0'), e.provider_id, e.course_id,
         1 + (substr(e.id, 5)::int * 7) % 5, 'ulasan', e.completed_at + interval '1 hour'
       from enrollments e where e.status = 'COMPLETED' and substr(e.id, 5)::int % 7 < 5 order by e.completed_at`),
  );
  await client.execute(
    sql.raw(`insert into identity_checks (id, token_hash, enrollment_id, sequence, redirect_uri, state, expires_at, used_at, result, created_at)
       select 'idc_' || substr(e.id, 5), md5('t' || e.id), e.id, 1, 'https://x.example/cb', 's', e.redeemed_at + interval '1 hour',
         e.redeemed_at + interval '10 minutes', case when substr(e.id, 5)::int % 9 = 0 then 'FAILED' else 'CONFIRMED' end, e.redeemed_at
       from enrollments e where substr(e.id, 5)::int % 5 = 0 order by e.redeemed_at`),
  );
  log(`building ${indexes.length} secondary indexes`);
  const built = Date.now();
  for (const i of indexes) await client.execute(sql.raw(i.indexdef));
  await client.execute(sql.raw('set session_replication_role = origin'));
  log(`indexes built in ${Math.round((Date.now() - built) / 1000)} s`);
  await client.execute(sql.raw('vacuum analyze'));
  const loadSeconds = (Date.now() - started) / 1000;
  await client.execute(
    sql.raw(`create table bench_meta as select ${N}::bigint as n, ${loadSeconds}::numeric as load_seconds`),
  );
}

/** 100 regencies spread over the provinces (codes from the shipped reference list). */
function regencySample(): string {
  const text = readFileSync(join(ROOT, 'packages/contracts/src/regions-data.ts'), 'utf8');
  const codes = [...text.matchAll(/\['(\d{2}\.\d{2})',/g)].map((m) => m[1]);
  const step = Math.max(1, Math.floor(codes.length / 100));
  return codes
    .filter((_, i) => i % step === 0)
    .slice(0, 100)
    .map((c) => `('${c}')`)
    .join(',');
}

await main();
