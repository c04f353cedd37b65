/**
 * `npm run bench:reports` (also the second half of `npm run bench`): PMO reports, statistics, a
 * provider's own figures and the participant lookup at national scale, at each size of BENCH_SIZES
 * (participants; default 1 000 000; `BENCH_SIZES=1000000,10000000` for the table at both sizes).
 *
 * 1. The data set of that size from its template database (bench/dataset.ts: generated with COPY
 *    the first time, about 2.5 minutes at 1 M and 25 at 10 M on a quiet machine, then reused).
 * 2. A working database: a clone of the template (a file copy), dropped at the end; where the disk
 *    has no room for a clone (10 M: the template is 42–48 GB), the template itself, and the rows the
 *    run adds are deleted at the end (the detectors part, which also updates rows, then does not run).
 * 3. The migrations the template lacks, timed (they run on a populated database), then the rollups:
 *    rebuilt for the three years when they are missing (what `pmo.reports.rebuild` does), and the
 *    worker's per-minute refresh timed.
 * 4. Each report through its procedure (an in-process tRPC caller with a token, so validation and
 *    authorization are included; no HTTP), the median of 7 calls after one warm-up.
 * 5. Results kept per size in bench/results/reports.json; docs/benchmarks.md gets the table of
 *    every size measured, with the ratio between 1 M and 10 M.
 * 6. The fraud-signal detectors as the hourly job runs them (`detectors` below), on clones only.
 *
 * Targets 127.0.0.1 only. Knobs: BENCH_SIZES; BENCH_PARTS (`reports`, `detectors`, default both).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statfsSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { appRouter, createCallerFactory, servicesHandle } from '@latih/api';
import {
  alumniStatistics,
  generateStoredKey,
  loadKeySet,
  rebuildReports,
  refreshRecentRollups,
  runSignalDetection,
  TokenService,
} from '@latih/core';
import { type Db, openPostgres, statisticsCoverage } from '@latih/db';
import { cloneTemplate, type Dataset, ensureTemplate, orgId } from './dataset.js';

const ROOT = new URL('..', import.meta.url).pathname;
const SERVER = 'postgres://postgres@127.0.0.1:5432';
const SIZES = (process.env.BENCH_SIZES ?? process.env.BENCH_ENROLLMENTS ?? '1000000').split(',').map(Number);
/** BENCH_PARTS: `reports`, `detectors` or both (default). */
const PARTS = (process.env.BENCH_PARTS ?? 'reports,detectors').split(',');
const HOUR = 3_600_000;
const PMO = orgId('jr', 1);
const PROVIDER7 = orgId('jp', 7);
const RESULTS = join(ROOT, 'bench/results/reports.json');
let N = 0;
let DB = '';
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

type SizeResult = {
  measured: string;
  dataset: string;
  loadSeconds: number;
  size: string;
  mode: 'clone' | 'in place';
  cloneSeconds: number | null;
  migrateSeconds: number;
  rebuildSeconds: number | null;
  /** The rollups were already built in the template: rebuildSeconds is from the run that built them. */
  rebuiltEarlier?: boolean;
  refreshMs: number;
  rows: Array<{ group: string; name: string; ms: number }>;
  /** The machine's 1-minute load average as the measurements began (2 cores: above 2 is contention). */
  loadAverage?: number;
};

async function main() {
  log(`machine: ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB; sizes ${SIZES.join(', ')}`);
  // BENCH_TABLE_ONLY=1: only rewrite the table in docs/benchmarks.md from bench/results/reports.json.
  for (const n of process.env.BENCH_TABLE_ONLY === '1' ? [] : SIZES) {
    N = n;
    const data = await ensureTemplate(n);
    const bytes = Number(psql('postgres', `select pg_database_size('${data.template}')`));
    const disk = statfsSync('/var/lib/postgresql');
    const free = disk.bavail * disk.bsize;
    const clone = free > bytes * 1.3 + 10 * 2 ** 30;
    DB = clone ? `latih_bench_reports_${n}` : data.template;
    let cloneSeconds: number | null = null;
    if (clone) {
      cloneSeconds = cloneTemplate(data.template, DB);
      log(`cloned ${data.template} into ${DB} in ${cloneSeconds.toFixed(0)} s`);
    } else {
      psql('postgres', `alter database ${DB} is_template false`);
      log(
        `no room for a clone (${(free / 2 ** 30).toFixed(0)} GB free, template ${data.size}): working in ${DB}`,
      );
    }
    try {
      await oneSize(data, clone ? 'clone' : 'in place', cloneSeconds);
    } finally {
      if (clone) psql('postgres', `drop database if exists ${DB} with (force)`);
      else psql('postgres', `alter database ${DB} is_template true`);
    }
  }
  writeTable();
}

async function oneSize(data: Dataset, mode: 'clone' | 'in place', cloneSeconds: number | null) {
  const database = await openPostgres(`${SERVER}/${DB}`, { max: 4 });
  try {
    let t = performance.now();
    await database.migrate();
    const migrateSeconds = (performance.now() - t) / 1000;
    log(`migrations on the populated database: ${migrateSeconds.toFixed(1)} s`);
    const client = database.db;
    const { sql } = await import('drizzle-orm');
    const result = await reports(client, data, { mode, cloneSeconds, migrateSeconds });
    const all = existsSync(RESULTS)
      ? (JSON.parse(readFileSync(RESULTS, 'utf8')) as Record<string, SizeResult>)
      : {};
    all[String(N)] = result;
    mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
    writeFileSync(RESULTS, `${JSON.stringify(all, null, 2)}\n`);
    if (PARTS.includes('detectors')) {
      if (mode === 'clone')
        await detectors(client, sql, {
          counts: data.counts,
          loadSeconds: data.loadSeconds,
          dbSize: data.size,
        });
      else
        log('detectors: skipped (they update generated rows, and there is no clone to update at this size)');
    }
    t = performance.now();
  } finally {
    await database.close();
  }
}

/** Every report, statistic, the provider's own figures and the lookup, through their procedures. */
async function reports(
  client: Db,
  data: Dataset,
  run: { mode: 'clone' | 'in place'; cloneSeconds: number | null; migrateSeconds: number },
): Promise<SizeResult> {
  // The rollups: rebuilt for the whole three years where the statistics rollups do not cover them.
  let rebuildSeconds: number | null = null;
  const cover = await statisticsCoverage(client);
  const first = psql(
    DB,
    `select to_char(min(created_at at time zone 'Asia/Jakarta'), 'YYYY-MM-DD') from participants`,
  );
  if (!cover || cover.from > first) {
    // One rebuild from the first registration, as `pmo.reports.rebuild` does by default: starting
    // before anyone registered, it finds first courses and first incentives with one sort.
    const t = performance.now();
    await rebuildReports({
      db: client,
      actor: { organisationId: PMO, role: 'pmo', clientId: 'cli_bench', scopes: ['pmo:read', 'pmo:write'] },
      input: {},
    });
    rebuildSeconds = (performance.now() - t) / 1000;
    log(`rollups rebuilt for three years in ${rebuildSeconds.toFixed(0)} s (from ${first})`);
  } else log(`rollups already cover ${cover.from} to ${cover.to}`);
  // The worker's per-minute refresh, as it runs in steady state: three runs in a row, the median
  // (the first after a rebuild or a restart reads from cold caches).
  const refreshes: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    await refreshRecentRollups(client, new Date());
    refreshes.push(performance.now() - t);
  }
  const refreshMs = [...refreshes].sort((a, b) => a - b)[1] ?? 0;
  log(`the worker's per-minute refresh: ${refreshes.map((ms) => ms.toFixed(0)).join(', ')} ms`);

  const keys = loadKeySet({ keys: [generateStoredKey(new Date(0), new Date(0))] });
  const tokens = new TokenService(() => keys, 'https://bench', Date.now);
  const services = servicesHandle({
    db: client,
    tokens,
    nikHashKey: Buffer.alloc(32),
    otp: null,
    now: Date.now,
    log: { error: () => undefined, warn: () => undefined },
  } as never);
  const callerAs = (actor: { organisationId: string; role: 'pmo' | 'provider'; scopes: string[] }) =>
    createCallerFactory(appRouter)({
      requestId: 'req_bench',
      authorization: `Bearer ${tokens.issue({ ...actor, clientId: 'cli_bench' } as never).token}`,
      idempotencyKey: null,
      setHeader: () => undefined,
      services,
    });
  const pmo = callerAs({ organisationId: PMO, role: 'pmo', scopes: ['pmo:read'] });
  const provider = callerAs({
    organisationId: PROVIDER7,
    role: 'provider',
    scopes: ['catalog:read', 'catalog:write', 'vouchers:redeem', 'reports:write'],
  });
  const day = (ms: number) => new Date(ms + 7 * HOUR).toISOString().slice(0, 10);
  const now = Date.now();
  const year = { from: day(now - 365 * 86_400_000), to: day(now) };
  const threeYears = { from: day(now - 3 * 365 * 86_400_000), to: day(now) };
  const rows: SizeResult['rows'] = [];
  const loadAverage = loadavg()[0] ?? 0;
  const measure = async (group: string, name: string, f: () => Promise<unknown>) => {
    const ms = await median(7, f);
    rows.push({ group, name, ms });
    log(`  ${name}: ${ms.toFixed(1)} ms`);
  };
  const R = 'PMO reports';
  await measure(R, 'One provider’s scorecard, a year', () =>
    pmo.pmo.reports.providers({ ...year, providerId: PROVIDER7 } as never),
  );
  await measure(R, 'All 200 providers sorted by completion rate, a year', () =>
    pmo.pmo.reports.providers({ ...year, sort: 'completionRate', order: 'asc', limit: 200 } as never),
  );
  await measure(R, 'All 200 providers sorted by completion rate, three years', () =>
    pmo.pmo.reports.providers({ ...threeYears, sort: 'completionRate', order: 'asc', limit: 200 } as never),
  );
  await measure(R, 'One provider’s 10 courses, a year', () =>
    pmo.pmo.reports.courses({ ...year, providerId: PROVIDER7, sort: 'vouchersSold' } as never),
  );
  await measure(R, 'All 2 000 courses, a month, page of 50', () =>
    pmo.pmo.reports.courses({ from: day(now - 31 * 86_400_000), to: day(now) } as never),
  );
  await measure(R, 'One provider’s trend by week, a year', () =>
    pmo.pmo.reports.providerTrend({ ...year, providerId: PROVIDER7, interval: 'week' } as never),
  );
  await measure(R, 'Platform report, a year', () => pmo.pmo.reports.platforms({ ...year } as never));
  const S = 'Statistics (every participant, all time)';
  for (const dimension of ['province', 'regency', 'gender', 'ageBand', 'cohort', 'mode', 'category', 'month'])
    await measure(S, `By ${dimension}`, () => pmo.pmo.statistics({ dimension } as never));
  await measure(S, 'By regency, one province, a period with partial days at both ends', () =>
    pmo.pmo.statistics({
      dimension: 'regency',
      provinceCode: '32',
      from: new Date(now - 400 * 86_400_000 + 5 * HOUR).toISOString(),
      to: new Date(now - 20 * 86_400_000 + 9 * HOUR).toISOString(),
    } as never),
  );
  const O = 'A provider’s own figures';
  await measure(O, 'provider.reports.figures, a year by week (scorecard, 10 courses, trend)', () =>
    provider.provider.reports.figures({ ...year, interval: 'week' } as never),
  );
  const A = 'Alumni statistics (public; each answer kept 5 minutes per gateway, so a miss costs this)';
  await measure(A, 'Alumni and community members by province, all Indonesia', () =>
    alumniStatistics({ db: client, input: {}, now: new Date() }),
  );
  await measure(A, 'By regency, one province', () =>
    alumniStatistics({ db: client, input: { provinceCode: '32' }, now: new Date() }),
  );
  const L = 'Participant lookup';
  const someone = Math.floor(N * 0.37);
  const card = `9${String(someone).padStart(15, '0')}`;
  const someoneId = psql(DB, `select id from participants where card_number = '${card}'`);
  await measure(L, 'Search by card number', () => pmo.pmo.participants.search({ cardNumber: card } as never));
  await measure(L, 'Search by NIK (its keyed hash)', () =>
    pmo.pmo.participants.search({ nik: '3273011234560001' } as never),
  );
  await measure(L, 'Search by name prefix in a regency, page of 20', () =>
    pmo.pmo.participants.search({
      name: `Peserta ${String(someone).slice(0, 3)}`,
      regencyCode: '32.73',
    } as never),
  );
  await measure(L, 'Search by name prefix, all Indonesia, page of 20', () =>
    pmo.pmo.participants.search({ name: `Peserta ${String(someone).slice(0, 4)}` } as never),
  );
  await measure(L, 'One participant’s file (vouchers, enrollments, incentives, signals)', () =>
    pmo.pmo.participants.get({ id: someoneId } as never),
  );
  return {
    measured: new Date().toISOString().slice(0, 10),
    dataset: data.counts,
    loadSeconds: data.loadSeconds,
    size: data.size,
    mode: run.mode,
    cloneSeconds: run.cloneSeconds,
    migrateSeconds: run.migrateSeconds,
    ...(rebuildSeconds === null ? earlierRebuild() : { rebuildSeconds }),
    refreshMs,
    rows,
    loadAverage,
  };
}

/** Where the rollups were already built (a template worked in place): the time of the run that built them. */
function earlierRebuild(): { rebuildSeconds: number | null; rebuiltEarlier?: boolean } {
  const before = existsSync(RESULTS)
    ? (JSON.parse(readFileSync(RESULTS, 'utf8')) as Record<string, SizeResult>)[String(N)]
    : undefined;
  return before?.rebuildSeconds != null
    ? { rebuildSeconds: before.rebuildSeconds, rebuiltEarlier: true }
    : { rebuildSeconds: null };
}

/** The table of every size measured (bench/results/reports.json) into docs/benchmarks.md. */
function writeTable() {
  const all = JSON.parse(readFileSync(RESULTS, 'utf8')) as Record<string, SizeResult>;
  const sizes = Object.keys(all)
    .map(Number)
    .sort((a, b) => a - b);
  const fmt = (ms: number | undefined) =>
    ms === undefined ? '—' : ms < 10 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(0)} ms`;
  const head = `| Report | ${sizes.map((s) => `${(s / 1e6).toLocaleString()} M`).join(' | ')} | ${sizes.length > 1 ? 'Ratio | ' : ''}Under 1 s |`;
  const sep = `| --- | ${sizes.map(() => '---').join(' | ')} | ${sizes.length > 1 ? '--- | ' : ''}--- |`;
  const names: Array<{ group: string; name: string }> = [];
  for (const s of sizes)
    for (const r of all[String(s)]?.rows ?? [])
      if (!names.some((x) => x.name === r.name)) names.push({ group: r.group, name: r.name });
  const lines: string[] = [];
  let group = '';
  for (const { group: g, name } of names) {
    if (g !== group) {
      lines.push(`| **${g}** | ${sizes.map(() => '').join(' | ')} | ${sizes.length > 1 ? ' | ' : ''} |`);
      group = g;
    }
    const ms = sizes.map((s) => all[String(s)]?.rows.find((r) => r.name === name)?.ms);
    const lo = ms[0];
    const hi = ms[ms.length - 1];
    const ratio = sizes.length > 1 && lo && hi ? `${(hi / lo).toFixed(1)}×` : '';
    const worst = Math.max(...ms.filter((x): x is number => x !== undefined));
    lines.push(
      `| ${name} | ${ms.map(fmt).join(' | ')} | ${sizes.length > 1 ? `${ratio} | ` : ''}${worst < 1000 ? '✔' : '✘'} |`,
    );
  }
  const about = sizes
    .map((s) => {
      const r = all[String(s)] as SizeResult;
      return `- **${s.toLocaleString()} participants** (measured ${r.measured}): ${r.dataset}; database ${r.size}, generated in ${(r.loadSeconds / 60).toFixed(0)} min (${r.loadSeconds.toFixed(0)} s). Worked ${r.mode === 'clone' ? `in a clone of the template (made in ${r.cloneSeconds?.toFixed(0)} s)` : 'in the template itself (no room on the disk for a clone)'}; the migrations it lacked ran in ${r.migrateSeconds.toFixed(0)} s; ${r.rebuildSeconds === null ? 'its rollups were already built' : `the rollups for three years were rebuilt in ${r.rebuildSeconds.toFixed(0)} s${r.rebuiltEarlier ? ' (by an earlier run in the same template)' : ''}`}; the worker's per-minute refresh of yesterday and today took ${r.refreshMs.toFixed(0)} ms (median of three in a row); load average ${r.loadAverage === undefined ? 'not recorded (10–12 on this day: the 10 M template loading and other runs)' : r.loadAverage.toFixed(1)} as it measured.`;
    })
    .join('\n');
  const section = `<!-- bench:reports:start -->
Measured by \`npm run bench:reports\` (\`BENCH_SIZES=${sizes.join(',')}\`) on ${cpus().length} cores / ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, PostgreSQL ${psql('postgres', 'show server_version')} on the same machine. Each figure is the median of 7 calls through the procedure (in-process tRPC caller with a token, pool of 4) after one warm-up.

${about}

${head}
${sep}
${lines.join('\n')}
<!-- bench:reports:end -->`;
  const docs = join(ROOT, 'docs/benchmarks.md');
  let text = readFileSync(docs, 'utf8');
  text = text.replace(/<!-- bench:reports:start -->[\s\S]*<!-- bench:reports:end -->/, () => section);
  writeFileSync(docs, text);
  log(`wrote ${docs}`);
  console.log(`\n${head}\n${sep}\n${lines.join('\n')}`);
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
      (select regency_code from participants order by id limit 1), 1 + n % 60, 'PRAKERJA_2023', 'ACTIVE', 0,
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

await main();
