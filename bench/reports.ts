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
 *    the rollups save); statistics by province; the fraud-signal detectors over 30 days.
 * 4. Writes the table to docs/benchmarks.md.
 *
 * Targets 127.0.0.1 only. Knob: BENCH_ENROLLMENTS (default 1 000 000).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { appRouter, createCallerFactory, servicesHandle } from '@latih/api';
import { detectAll, generateStoredKey, loadKeySet, rebuildReports, TokenService } from '@latih/core';
import { openPostgres, scorecards } from '@latih/db';

const ROOT = new URL('..', import.meta.url).pathname;
const SERVER = 'postgres://postgres@127.0.0.1:5432';
const DB = 'latih_bench_reports';
const N = Number(process.env.BENCH_ENROLLMENTS ?? 1_000_000);
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
  psql('postgres', `drop database if exists ${DB} with (force)`);
  psql('postgres', `create database ${DB}`);
  const database = await openPostgres(`${SERVER}/${DB}`, { max: 4 });
  try {
    await database.migrate();
    const started = Date.now();
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
    const client = database.db;
    const { sql } = await import('drizzle-orm');
    for (const s of sqlSteps) await client.execute(sql.raw(s));
    log('vouchers and enrollments');
    // Enrollment n: course 1 + n % 2000, redeemed on day n % 365 of the past year; 70 % completed
    // after 1–20 days, 10 % not completed, the rest in training; 1 % refunded instead.
    await client.execute(
      sql.raw(`insert into vouchers (id, code_hash, code_last4, participant_id, platform_id, provider_id, course_id,
           checkout_id, price, status, expires_at, issued_at, redeemed_at, closed_at)
         select 'vch_' || n, md5('code' || n), 'ABCD', 'par_' || n, 'org_01jq' || lpad((1 + n % 8)::text, 22, '0'), 'org_01jp' || lpad((1 + (1 + n % 2000) % 200)::text, 22, '0'),
           'crs_01jc' || lpad((1 + n % 2000)::text, 22, '0'), 'chk_' || n, 1000000,
           case when n % 100 = 0 then 'CANCELLED' when n % 10 < 7 then 'COMPLETED' when n % 10 = 7 then 'NOT_COMPLETED' else 'REDEEMED' end,
           now() + interval '30 days', t - interval '2 hours', case when n % 100 = 0 then null else t end,
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
    await client.execute(sql.raw('vacuum analyze'));
    const counts = psql(
      DB,
      `select (select count(*) from enrollments) || ' enrollments, ' || (select count(*) from attendance) || ' attendance rows, ' ||
              (select count(*) from reviews) || ' reviews, ' || (select count(*) from identity_checks) || ' identity checks'`,
    );
    const loadSeconds = (Date.now() - started) / 1000;
    log(`loaded in ${loadSeconds.toFixed(0)} s: ${counts}`);

    const actor = {
      organisationId: PMO,
      role: 'pmo' as const,
      clientId: 'cli_bench',
      scopes: ['pmo:read' as const],
    };
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
    await measure(
      'Fraud-signal detectors, last 30 days',
      () => detectAll(client, new Date(Date.now() - 30 * 86_400_000)),
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
  } finally {
    await database.close();
  }
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
