/**
 * `npm run bench`: voucher redemption over HTTP against PostgreSQL's own ceiling for the same SQL.
 *
 * 1. Fresh database on the local PostgreSQL, migrations, demo seed (through the gateway's start).
 * 2. ≥ 1 M participants and 1 M ISSUED vouchers for a self-paced course (codes generated and hashed
 *    here exactly as checkout does, loaded with COPY).
 * 3. autocannon against the gateway (a separate process): single redeem at 32 connections, and bulk
 *    redeem (100 codes per request) at 8 connections, each after a warm-up, bounded in time.
 * 4. pgbench with scripts that send the same statements as the gateway's transaction (the ceiling).
 * 5. Writes the table to docs/benchmarks.md.
 *
 * Every measured run is also accounted in CPU time (bench/cpu.ts): the gateway process, the
 * PostgreSQL backends serving the run and the load generator (this process for autocannon, the
 * pgbench process for the ceiling), as CPU ms per redemption. On a busy machine throughput moves
 * with the load; CPU per request does not.
 *
 * Targets 127.0.0.1 only. Knobs: BENCH_VOUCHERS (default 1 000 000), BENCH_SECONDS (default 15),
 * BENCH_PROFILE=1 (the gateway runs under `node --cpu-prof`; the single-redeem run's samples are
 * summarised by area into docs/benchmarks.md's profile section, and the main table is left as it
 * is, since a profiled gateway is slower).
 */
import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { DEMO_ORGANISATIONS, generateVoucherCode, hashVoucherCode, normalizeVoucherCode } from '@latih/core';
import autocannon from 'autocannon';
import pg from 'pg';
import { log, psql, SERVER, waitReady } from './common';
import { type CpuUse, cpuBetween, cpuSnapshot } from './cpu';
import { profileTable, summariseProfile } from './profile';

const ROOT = new URL('..', import.meta.url).pathname;
// BENCH_DB: another database name, so two people's benches on one cluster do not drop each other's.
const DB = process.env.BENCH_DB ?? 'latih_bench';
const URL_DB = `${SERVER}/${DB}`;
const N = Number(process.env.BENCH_VOUCHERS ?? 1_000_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const PORT = 3457;
/** Codes per bulk transaction in the pgbench ceiling (see the note in docs/benchmarks.md). */
const BULK_ITEMS = 100;
const BASE = `http://127.0.0.1:${PORT}`;
const work = mkdtempSync(join(tmpdir(), 'latih-bench-'));
const PROFILE = process.env.BENCH_PROFILE === '1';

function startGateway(profileDir?: string) {
  const prof = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const child = spawn(process.execPath, [...prof, '--import', 'tsx', 'apps/gateway/src/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(PORT),
      HOST: '127.0.0.1',
      DATABASE_URL: URL_DB,
      DB_POOL_SIZE: '32',
      DATA_DIR: work,
      LOG_LEVEL: 'warn',
      SEED_DEMO: 'true',
      // The bench measures redemption alone: the in-process outbox worker, which would publish the
      // bench's events while it measures, is off (see docs/benchmarks.md).
      WEBHOOK_WORKER_INTERVAL_MS: '0',
      // Redemption alone: no payout worker (its minute-by-minute incentive scan reads participants).
      PAYOUT_WORKER_INTERVAL_MS: '0',
      OVERSIGHT_WORKER_INTERVAL_MS: '0',
      // One client redeems at hundreds of requests a second: the bench measures the gateway, not its
      // rate limits (RATE_LIMITS=off is refused in production).
      RATE_LIMITS: 'off',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return child;
}

async function load(): Promise<{ courseId: string; seconds: number }> {
  const started = Date.now();
  const client = new pg.Client({ connectionString: URL_DB });
  await client.connect();
  const course = await client.query<{ id: string; provider_id: string; price: string }>(
    `select id, provider_id, price from courses where mode = 'SELF_PACED' and status = 'PUBLISHED' limit 1`,
  );
  const c = course.rows[0];
  if (!c) throw new Error('no self-paced demo course on sale');
  const platform = DEMO_ORGANISATIONS.find((o) => o.key === 'platform-a')?.id ?? '';

  log(`generating ${N.toLocaleString()} voucher codes`);
  const csv = join(work, 'codes.csv');
  const out = createWriteStream(csv);
  for (let n = 1; n <= N; n++) {
    const code = generateVoucherCode();
    const canonical = normalizeVoucherCode(code) ?? '';
    if (!out.write(`${n},${code},${hashVoucherCode(canonical)},${canonical.slice(-4)}\n`))
      await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r) => out.end(() => r()));
  psql(
    DB,
    'create table bench_codes (n int primary key, code text not null, hash text not null, last4 text not null)',
  );
  execFileSync('psql', [
    '-h',
    '127.0.0.1',
    '-U',
    'postgres',
    '-d',
    DB,
    '-qc',
    `\\copy bench_codes from '${csv}' csv`,
  ]);
  log('inserting participants and vouchers');
  const id = (prefix: string) => `'${prefix}_01jw' || lpad(n::text, 22, '0')`;
  await client.query(`insert into participants (id, nik_hash, nik_last4, card_number, name, gender, birth_date,
      regency_code, cohort, scheme_id, status, balance, purchase_deadline)
    select ${id('par')}, md5('nik' || n), lpad((n % 10000)::text, 4, '0'), '9' || lpad(n::text, 15, '0'),
      'Peserta Bench ' || n, case when n % 2 = 0 then 'F' else 'M' end, date '1995-01-01' + (n % 7000),
      '32.73', 1, 'PRAKERJA_2023', 'ACTIVE', 0, now() + interval '1 year'
    from generate_series(1, ${N}) n`);
  await client.query(
    `insert into vouchers (id, code_hash, code_last4, participant_id, platform_id, provider_id,
      course_id, run_id, checkout_id, price, status, expires_at, issued_at)
    select ${id('vch')}, hash, last4, ${id('par')}, $1, $2, $3, null, ${id('chk')}, $4, 'ISSUED',
      now() + interval '30 days', now()
    from bench_codes`,
    [platform, c.provider_id, c.id, Number(c.price)],
  );
  await client.query('vacuum analyze');
  await client.end();
  return { courseId: c.id, seconds: (Date.now() - started) / 1000 };
}

type Run = { rate: number; p50: number; p99: number; non2xx: number; requests: number; ok: number };

/** CPU ms per redemption (per code in bulk) of each side of a measured run. */
type CpuPer = { server: number; postgres: number; loadgen: number; share: number; use: CpuUse };

/** The CPU of a run divided among `units` redemptions; `server` is the gateway (0 for pgbench). */
function perUnit(use: CpuUse, units: number, server: number | undefined, loadgen: number): CpuPer {
  const all = (server ?? 0) + use.postgres + loadgen;
  return {
    server: (server ?? 0) / units,
    postgres: use.postgres / units,
    loadgen: loadgen / units,
    // Of the machine's cores over the window, how much these processes got.
    share: all / (use.wallMs * cpus().length),
    use,
  };
}

async function codesFrom(first: number, count: number): Promise<string[]> {
  const client = new pg.Client({ connectionString: URL_DB });
  await client.connect();
  const r = await client.query<{ code: string }>(
    'select code from bench_codes where n between $1 and $2 order by n',
    [first, first + count - 1],
  );
  await client.end();
  return r.rows.map((x) => x.code);
}

async function cannon(opts: {
  path: string;
  connections: number;
  seconds: number;
  token: string;
  body: () => string;
}): Promise<Run> {
  const result = await autocannon({
    url: BASE,
    connections: opts.connections,
    duration: opts.seconds,
    requests: [
      {
        method: 'POST',
        path: opts.path,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${opts.token}` },
        setupRequest: (req) => ({ ...req, body: opts.body() }),
      },
    ],
  });
  return {
    rate: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    requests: result.requests.total,
    ok: result['2xx'],
  };
}

/**
 * The gateway's SQL for redemption (packages/db/src/repositories/redemption.ts) as pgbench
 * statements, with the values taken from bench_codes. A single self-paced redemption is one
 * statement (tryRedeemSelfPaced); a bulk of 100 is two (findRedeemCandidates, redeemVoucherSet).
 * No BEGIN/COMMIT around them in the gateway (each statement is atomic), so none in the ceiling.
 */
const LOOKUP = `SELECT v.id, v.code_hash, v.code_last4, v.participant_id, v.platform_id, v.provider_id,
  v.course_id, v.run_id, v.checkout_id, v.price, v.status, v.expires_at, v.issued_at, v.redeemed_at,
  v.closed_at, v.close_reason, p.name AS participant_name, p.scheme_id AS participant_scheme_id, r.starts_at AS run_starts_at,
  po.status AS provider_status
  FROM vouchers v JOIN participants p ON p.id = v.participant_id
  JOIN organisations po ON po.id = v.provider_id LEFT JOIN runs r ON r.id = v.run_id`;

const redeemStatement = (items: string) => `WITH input AS (
    SELECT * FROM jsonb_to_recordset(${items})
      AS i(voucher_id text, enrollment_id text, audit_id text, event_id text, event_data jsonb, audit_data jsonb)
  ), upd AS (
    UPDATE vouchers v SET status = 'REDEEMED', redeemed_at = now()
    FROM input i WHERE v.id = i.voucher_id AND v.status = 'ISSUED'
      AND EXISTS (SELECT 1 FROM organisations o WHERE o.id = v.provider_id AND o.status = 'ACTIVE')
    RETURNING v.id, v.participant_id, v.provider_id, v.course_id, v.run_id, v.platform_id
  ), enr AS (
    INSERT INTO enrollments (id, voucher_id, participant_id, provider_id, course_id, run_id, status, redeemed_at, redeemed_ip)
    SELECT i.enrollment_id, u.id, u.participant_id, u.provider_id, u.course_id, u.run_id, 'IN_TRAINING', now(), NULL
    FROM upd u JOIN input i ON i.voucher_id = u.id
    RETURNING voucher_id
  ), aud AS (
    INSERT INTO audit_log (id, actor_organisation_id, actor_client_id, action, entity_type, entity_id,
      from_state, to_state, request_id, data)
    SELECT i.audit_id, 'org_bench', 'cli_bench', 'voucher.redeemed', 'voucher', u.id, 'ISSUED', 'REDEEMED',
      'req_bench', i.audit_data
    FROM upd u JOIN input i ON i.voucher_id = u.id
  ), evt AS (
    INSERT INTO events (id, type, organisation_id, entity_type, entity_id, data, request_id)
    SELECT i.event_id, 'voucher.redeemed', u.platform_id, 'voucher', u.id, i.event_data, 'req_bench'
    FROM upd u JOIN input i ON i.voucher_id = u.id
    ORDER BY i.event_id
  )
  SELECT voucher_id FROM enr;`;

/**
 * One item of the redeem statement's input, built in SQL from the looked-up voucher's columns: the
 * same fields and sizes the gateway sends (its event carries the whole voucher).
 */
const item = (col: (name: string) => string) => {
  const id = col('id');
  return `jsonb_build_object('voucher_id', ${id}, 'enrollment_id', 'enr_' || md5(${id}), 'audit_id', 'aud_' || md5(${id}),
    'event_id', 'evt_' || md5(${id}), 'audit_data', jsonb_build_object('enrollmentId', 'enr_' || md5(${id})),
    'event_data', jsonb_build_object('voucher', jsonb_build_object('id', ${id}, 'codeLast4', ${col('code_last4')},
      'status', 'REDEEMED', 'participantId', ${col('participant_id')}, 'courseId', ${col('course_id')},
      'runId', ${col('run_id')}, 'providerId', ${col('provider_id')}, 'price', ${col('price')},
      'expiresAt', ${col('expires_at')}, 'issuedAt', ${col('issued_at')}, 'closedAt', ${col('closed_at')},
      'closeReason', ${col('close_reason')}),
      'enrollmentId', 'enr_' || md5(${id})))`;
};

const oneLine = (s: string) => s.replace(/\s+/g, ' ');

/** tryRedeemSelfPaced: lookup and redemption in one statement, ids derived from the code hash. */
function singleScript(seq: string, providerId: string, courseId: string): string {
  // pgbench reads ":MI" in a format string as a variable: bench_iso (created in main, an inlinable
  // SQL function) holds the same to_char call.
  const iso = (col: string) => `bench_iso(${col})`;
  return `${oneLine(`WITH c AS (${LOOKUP} WHERE v.code_hash = (SELECT hash FROM bench_codes WHERE n = (SELECT nextval('${seq}')))
  ), upd AS (
    UPDATE vouchers t SET status = 'REDEEMED', redeemed_at = now()
    FROM c WHERE t.id = c.id AND t.status = 'ISSUED' AND c.run_id IS NULL
      AND c.provider_id = '${providerId}' AND c.course_id = '${courseId}'
      AND c.provider_status = 'ACTIVE' AND now() <= c.expires_at
    RETURNING t.*
  ), enr AS (
    INSERT INTO enrollments (id, voucher_id, participant_id, provider_id, course_id, run_id, status, redeemed_at, redeemed_ip)
    SELECT 'enr_' || md5(u.id), u.id, u.participant_id, u.provider_id, u.course_id, u.run_id, 'IN_TRAINING', now(), NULL
    FROM upd u RETURNING voucher_id
  ), aud AS (
    INSERT INTO audit_log (id, actor_organisation_id, actor_client_id, action, entity_type, entity_id,
      from_state, to_state, request_id, data)
    SELECT 'aud_' || md5(u.id), '${providerId}', 'cli_bench', 'voucher.redeemed', 'voucher', u.id,
      'ISSUED', 'REDEEMED', 'req_bench', jsonb_build_object('enrollmentId', 'enr_' || md5(u.id))
    FROM upd u
  ), evt AS (
    INSERT INTO events (id, type, organisation_id, entity_type, entity_id, data, request_id)
    SELECT 'evt_' || md5(u.id), 'voucher.redeemed', u.platform_id, 'voucher', u.id,
      jsonb_build_object('voucher', jsonb_build_object('id', u.id, 'codeLast4', u.code_last4, 'status', u.status,
        'participantId', u.participant_id, 'courseId', u.course_id, 'runId', u.run_id, 'providerId', u.provider_id,
        'price', u.price, 'expiresAt', ${iso('u.expires_at')}, 'issuedAt', ${iso('u.issued_at')},
        'closedAt', ${iso('u.closed_at')}, 'closeReason', u.close_reason), 'enrollmentId', 'enr_' || md5(u.id)), 'req_bench'
    FROM upd u
  )
  SELECT c.*, EXISTS (SELECT 1 FROM enr) AS redeemed FROM c;`)}
`;
}

function bulkScript(seq: string, items: number): string {
  return `SELECT nextval('${seq}') * ${items} AS k \\gset
SELECT string_agg(hash, ',') AS hashes FROM bench_codes WHERE n BETWEEN CAST(:k AS bigint) AND CAST(:k AS bigint) + ${items - 1} \\gset
${oneLine(`SELECT jsonb_agg(${item((c) => `c.${c}`)}) AS items FROM (${LOOKUP} WHERE v.code_hash = any(string_to_array(:hashes, ','))) c`)} \\gset
${oneLine(redeemStatement('CAST(:items AS jsonb)'))}
`;
}

function checkWritten(name: string, written: number, expected: number): void {
  if (written < expected * 0.99)
    throw new Error(`pgbench ${name}: ${expected} redemptions expected, ${written} enrollments written`);
  log(`  ${name}: ${written.toLocaleString()} enrollments written by ${expected.toLocaleString()} expected`);
}

/**
 * pgbench for SECONDS with `clients` connections. Its CPU (the pgbench process and its backends) is
 * read over a window inside the run, from after the clients have connected to before they
 * disconnect, and divided by the transactions in that window (the script's sequence advances once
 * per transaction).
 */
async function pgbench(
  script: string,
  clients: number,
  seq: string,
  mode: 'extended' | 'prepared',
): Promise<{ tps: number; transactions: number; cpu: CpuUse & { pgbench: number; windowTx: number } }> {
  const file = join(work, `script-${Math.random().toString(36).slice(2)}.sql`);
  writeFileSync(file, script);
  const child = spawn(
    'pgbench',
    [
      '-h',
      '127.0.0.1',
      '-U',
      'postgres',
      '-n',
      '-M',
      mode,
      '-c',
      String(clients),
      '-j',
      '2',
      '-T',
      String(SECONDS),
      '-f',
      file,
      DB,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  const monitor = new pg.Client({ connectionString: URL_DB });
  await monitor.connect();
  const seqValue = async () =>
    Number((await monitor.query<{ v: string }>(`select last_value as v from ${seq}`)).rows[0]?.v);
  const pid = child.pid ?? 0;
  const margin = Math.min(1500, (SECONDS * 1000) / 5);
  await new Promise((r) => setTimeout(r, margin));
  const a = await cpuSnapshot(monitor, DB, [pid], 'pgbench');
  const txA = await seqValue();
  await new Promise((r) => setTimeout(r, SECONDS * 1000 - 2 * margin));
  const b = await cpuSnapshot(monitor, DB, [pid], 'pgbench');
  const txB = await seqValue();
  await monitor.end();
  const code = await exited;
  if (code !== 0) throw new Error(`pgbench failed (${code}):\n${out}`);
  const use = cpuBetween(a, b);
  const m = /tps = ([\d.]+) \(without initial connection time\)/.exec(out);
  const failed = /number of failed transactions: (\d+)/.exec(out);
  if (!m?.[1]) throw new Error(`pgbench printed no tps:\n${out}`);
  if (failed?.[1] && Number(failed[1]) > 0) throw new Error(`pgbench had failed transactions:\n${out}`);
  const processed = /number of transactions actually processed: (\d+)/.exec(out);
  return {
    tps: Number(m[1]),
    transactions: Number(processed?.[1] ?? 0),
    cpu: { ...use, pgbench: use.pids.get(pid) ?? 0, windowTx: txB - txA },
  };
}

async function main() {
  log(
    `machine: ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB; ${N.toLocaleString()} vouchers, ${SECONDS} s per run`,
  );
  psql('postgres', `drop database if exists ${DB} with (force)`);
  psql('postgres', `create database ${DB}`);
  let gateway = startGateway();
  // Whatever ends this process (an uncaught error in the load generator included) ends the gateway.
  process.on('exit', () => {
    if (gateway.exitCode === null) gateway.kill('SIGTERM');
  });
  try {
    await waitReady(BASE); // migrates and seeds the demo organisations and catalog
    const { courseId, seconds: loadSeconds } = await load();
    log(`loaded in ${loadSeconds.toFixed(0)} s`);
    // Restart so the gateway starts on the loaded, analysed tables (plans, pool).
    gateway.kill('SIGTERM');
    await new Promise((r) => gateway.once('exit', r));
    const profileDir = PROFILE ? mkdtempSync(join(tmpdir(), 'latih-bench-profile-')) : undefined;
    gateway = startGateway(profileDir);
    await waitReady(BASE);

    const provider = DEMO_ORGANISATIONS.find((o) => o.key === 'provider-a');
    const owner = psql(DB, `select provider_id from courses where id = '${courseId}'`);
    const creds = DEMO_ORGANISATIONS.find((o) => o.id === owner) ?? provider;
    const tokenRes = await fetch(`${BASE}/v1/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'client_credentials',
        client_id: creds?.clientId,
        client_secret: creds?.clientSecret,
      }),
    });
    const { access_token: token } = (await tokenRes.json()) as { access_token: string };

    // HTTP uses codes from the bottom half, pgbench from the top: no code is redeemed twice.
    const codes = await codesFrom(1, Math.floor(N / 2));
    let next = 0;
    const take = () => {
      const c = codes[next++];
      if (!c) throw new Error('ran out of codes: raise BENCH_VOUCHERS');
      return c;
    };
    const single = (seconds: number) =>
      cannon({
        path: '/v1/provider/vouchers/redeem',
        connections: 32,
        seconds,
        token,
        body: () => JSON.stringify({ code: take(), courseId }),
      });
    const bulk = (seconds: number) =>
      cannon({
        path: '/v1/provider/vouchers/redeem-bulk',
        connections: 8,
        seconds,
        token,
        body: () => JSON.stringify({ courseId, codes: Array.from({ length: 100 }, take) }),
      });
    // The CPU of each measured run: the gateway, its pool's backends, and this process (autocannon).
    const monitor = new pg.Client({ connectionString: URL_DB });
    await monitor.connect();
    const gatewayPid = gateway.pid ?? 0;
    const measured = async (run: () => Promise<Run>) => {
      const a = await cpuSnapshot(monitor, DB, [gatewayPid]);
      const fromUs = Number(process.hrtime.bigint() / 1000n);
      const result = await run();
      const toUs = Number(process.hrtime.bigint() / 1000n);
      const use = cpuBetween(a, await cpuSnapshot(monitor, DB, [gatewayPid]));
      return { result, use, window: { fromUs, toUs } };
    };
    const cpuLine = (c: CpuPer, unit: string) =>
      `  CPU per ${unit}: gateway ${c.server.toFixed(2)} ms, PostgreSQL ${c.postgres.toFixed(2)} ms, load generator ${c.loadgen.toFixed(2)} ms; ${(c.share * 100).toFixed(0)} % of the ${cpus().length} cores`;
    // What the gateway and its backends spend with no request at all (its schedulers' ticks, pool
    // keep-alive), per second: at a low request rate it weighs on the CPU per redemption.
    const idleA = await cpuSnapshot(monitor, DB, [gatewayPid]);
    await new Promise((r) => setTimeout(r, 5000));
    const idle = cpuBetween(idleA, await cpuSnapshot(monitor, DB, [gatewayPid]));
    const idleGateway = ((idle.pids.get(gatewayPid) ?? 0) / idle.wallMs) * 1000;
    const idlePostgres = (idle.postgres / idle.wallMs) * 1000;
    log(
      `  idle: gateway ${idleGateway.toFixed(1)} ms of CPU per s, PostgreSQL ${idlePostgres.toFixed(1)} ms per s`,
    );
    log('HTTP single redeem: warm-up, then measure');
    await single(3);
    const singleMeasured = await measured(() => single(SECONDS));
    const httpSingle = singleMeasured.result;
    const cpuSingle = perUnit(
      singleMeasured.use,
      httpSingle.ok,
      singleMeasured.use.pids.get(gatewayPid),
      singleMeasured.use.self,
    );
    log(
      `  ${httpSingle.rate.toFixed(0)} req/s, p50 ${httpSingle.p50} ms, p99 ${httpSingle.p99} ms, non-2xx ${httpSingle.non2xx}`,
    );
    log(cpuLine(cpuSingle, 'redemption'));
    log('HTTP bulk redeem (100 codes per request)');
    await bulk(3);
    const bulkMeasured = await measured(() => bulk(SECONDS));
    const httpBulk = bulkMeasured.result;
    const cpuBulk = perUnit(
      bulkMeasured.use,
      httpBulk.ok * 100,
      bulkMeasured.use.pids.get(gatewayPid),
      bulkMeasured.use.self,
    );
    await monitor.end();
    log(
      `  ${(httpBulk.rate * 100).toFixed(0)} codes/s, p50 ${httpBulk.p50} ms, p99 ${httpBulk.p99} ms, non-2xx ${httpBulk.non2xx}`,
    );
    log(cpuLine(cpuBulk, 'code'));
    const redeemed = Number(psql(DB, `select count(*) from enrollments`));
    log(`  enrollments written: ${redeemed.toLocaleString()}; codes handed out: ${next.toLocaleString()}`);
    gateway.kill('SIGTERM');
    await new Promise((r) => gateway.once('exit', r));

    log('pgbench: the same statements, 32 clients (single) and 8 clients (bulk of 100)');
    psql(
      DB,
      `create function bench_iso(t timestamptz) returns text language sql immutable
         as $$ select to_char(t at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$;
       create sequence bench_single start ${Math.floor(N / 2) + 1}; create sequence bench_bulk start ${Math.floor((N * 3) / 4 / BULK_ITEMS) + 1}`,
    );
    // Each ceiling run must really redeem: count the enrollments it wrote against its transactions.
    const enrollmentsNow = () => Number(psql(DB, 'select count(*) from enrollments'));
    let before = enrollmentsNow();
    const singleRun = await pgbench(
      singleScript('bench_single', owner, courseId),
      32,
      'bench_single',
      // The gateway sends its single self-paced redemption as a named prepared statement
      // (tryRedeemSelfPaced), so the ceiling does too; the bulk statements it sends unnamed.
      'prepared',
    );
    const ceilingSingle = singleRun.tps;
    checkWritten('single', enrollmentsNow() - before, singleRun.transactions);
    const cpuCeilingSingle = perUnit(singleRun.cpu, singleRun.cpu.windowTx, undefined, singleRun.cpu.pgbench);
    log(`  single: ${ceilingSingle.toFixed(0)} tps`);
    log(cpuLine(cpuCeilingSingle, 'redemption'));
    before = enrollmentsNow();
    const bulkRun = await pgbench(bulkScript('bench_bulk', BULK_ITEMS), 8, 'bench_bulk', 'extended');
    const ceilingBulk = bulkRun.tps * BULK_ITEMS;
    checkWritten('bulk', enrollmentsNow() - before, bulkRun.transactions * BULK_ITEMS);
    const cpuCeilingBulk = perUnit(
      bulkRun.cpu,
      bulkRun.cpu.windowTx * BULK_ITEMS,
      undefined,
      bulkRun.cpu.pgbench,
    );
    log(`  bulk: ${ceilingBulk.toFixed(0)} codes/s`);
    log(cpuLine(cpuCeilingBulk, 'code'));

    const rows = [
      {
        name: 'Single redeem, 32 concurrent',
        http: httpSingle.rate,
        ceiling: ceilingSingle,
        target: 0.7,
        run: httpSingle,
        unit: 'redemptions/s',
      },
      {
        name: 'Bulk redeem, 100 codes × 8 concurrent',
        http: httpBulk.rate * 100,
        ceiling: ceilingBulk,
        target: 0.8,
        run: httpBulk,
        unit: 'codes/s',
      },
    ];
    const table = rows
      .map(
        (r) =>
          `| ${r.name} | ${r.http.toFixed(0)} ${r.unit} | ${r.run.p50} ms | ${r.run.p99} ms | ${r.ceiling.toFixed(0)} ${r.unit} | **${((r.http / r.ceiling) * 100).toFixed(0)} %** | ≥ ${r.target * 100} % ${r.http / r.ceiling >= r.target ? '✔' : '✘'} |`,
      )
      .join('\n');
    const cores = cpus().length;
    const ms = (v: number) => `${v.toFixed(2)} ms`;
    const cpuRow = (name: string, c: CpuPer, gatewayShown: boolean, unit: string) => {
      const total = c.server + c.postgres + c.loadgen;
      return `| ${name} | ${gatewayShown ? ms(c.server) : '—'} | ${ms(c.postgres)} | ${ms(c.loadgen)} | ${ms(total)} | ${((cores * 1000) / total).toFixed(0)} ${unit} | ${(c.share * 100).toFixed(0)} % |`;
    };
    const cpuTotal = (c: CpuPer) => c.server + c.postgres + c.loadgen;
    const cpuTable = [
      cpuRow('Single, over HTTP (autocannon)', cpuSingle, true, 'redemptions/s'),
      cpuRow('Single, ceiling (pgbench)', cpuCeilingSingle, false, 'redemptions/s'),
      cpuRow('Bulk of 100, over HTTP (autocannon)', cpuBulk, true, 'codes/s'),
      cpuRow('Bulk of 100, ceiling (pgbench)', cpuCeilingBulk, false, 'codes/s'),
    ].join('\n');
    const bound = (http: CpuPer, ceiling: CpuPer) => cpuTotal(ceiling) / cpuTotal(http);
    const section = `<!-- bench:redeem:start -->
Measured ${new Date().toISOString().slice(0, 10)} by \`npm run bench\` on ${cpus().length} cores / ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, PostgreSQL ${psql(DB, 'show server_version')} on the same machine; ${N.toLocaleString()} ISSUED vouchers (+ as many participants) loaded in ${loadSeconds.toFixed(0)} s; ${SECONDS} s per measurement after a 3 s warm-up; load generator autocannon 8 over HTTP/1.1 keep-alive; ceiling: pgbench running the gateway's own statements as the gateway sends them (single: one named prepared statement, \`-M prepared\`; bulk of 100: two unnamed, \`-M extended\`).

| Scenario | Gateway over HTTP | p50 | p99 | PostgreSQL ceiling (pgbench) | Share of ceiling | Target |
| --- | --- | --- | --- | --- | --- | --- |
${table}

Non-2xx answers during the measured runs: single ${httpSingle.non2xx}, bulk ${httpBulk.non2xx}. Enrollments written by HTTP runs: ${redeemed.toLocaleString()}. Single redeem p99 / p50: ${(httpSingle.p99 / httpSingle.p50).toFixed(2)} (target ≤ 2).

CPU time per redemption (per code in bulk), user + system from \`/proc/<pid>/stat\` before and after each measured run: the gateway process, the PostgreSQL backends connected to the bench database (the shared WAL writer and checkpointer are not counted), and the load generator (autocannon runs in the bench process; pgbench is its own). "Bound" is what the ${cores} cores would carry at that CPU per redemption; "cores used" is how much of them these processes got during the run (the rest went to other work on the machine).

| Run | Gateway | PostgreSQL | Load generator | Total | Bound on ${cores} cores | Cores used |
| --- | --- | --- | --- | --- | --- | --- |
${cpuTable}

Idle, with no request: the gateway used ${idleGateway.toFixed(1)} ms of CPU per second and its backends ${idlePostgres.toFixed(1)} ms (in the single-redeem run that is ${ms(idleGateway / httpSingle.rate)} of the gateway's CPU per redemption).

Share of the ceiling that CPU alone allows (ceiling's CPU per redemption ÷ HTTP's): single **${(bound(cpuSingle, cpuCeilingSingle) * 100).toFixed(0)} %**, bulk ${(bound(cpuBulk, cpuCeilingBulk) * 100).toFixed(0)} %.
<!-- bench:redeem:end -->`;
    const docs = join(ROOT, 'docs/benchmarks.md');
    let text: string;
    try {
      text = readFileSync(docs, 'utf8');
    } catch {
      text =
        '# Benchmarks\n\n## Voucher redemption\n\n<!-- bench:redeem:start -->\n<!-- bench:redeem:end -->\n';
    }
    if (profileDir) {
      // The gateway wrote its profile when it exited (before pgbench ran).
      const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
      if (!file) throw new Error(`no CPU profile in ${profileDir}`);
      const summary = summariseProfile(join(profileDir, file), singleMeasured.window);
      const gatewayCpu = singleMeasured.use.pids.get(gatewayPid) ?? 0;
      const perRequest = gatewayCpu / httpSingle.ok;
      const profileSection = `<!-- bench:redeem-profile:start -->
Profiled ${new Date().toISOString().slice(0, 10)} by \`BENCH_PROFILE=1 npm run bench\` (${N.toLocaleString()} vouchers, ${SECONDS} s runs): the gateway under \`node --cpu-prof\`, only the samples of the measured single-redeem run (${httpSingle.ok.toLocaleString()} redemptions at ${httpSingle.rate.toFixed(0)}/s), by self time; a native function (a socket write, a hash) counts for the area that called it. The profiler's samples are wall-clock intervals, so only their shares are used: the CPU per request is each share of the gateway's ${ms(perRequest)} per redemption from /proc in this run (the profiler's own cost included). Busy (not idle) ${((summary.busyMs / (summary.busyMs + summary.idleMs)) * 100).toFixed(0)} % of the run's samples.

${profileTable(summary, perRequest)}
<!-- bench:redeem-profile:end -->`;
      text = text.replace(
        /<!-- bench:redeem-profile:start -->[\s\S]*<!-- bench:redeem-profile:end -->/,
        profileSection,
      );
      log(`profile: ${join(profileDir, file)}`);
      console.log(`\n${profileTable(summary, perRequest)}`);
    } else {
      text = text.replace(/<!-- bench:redeem:start -->[\s\S]*<!-- bench:redeem:end -->/, section);
    }
    writeFileSync(docs, text);
    log(`wrote ${docs}`);
    console.log(`\n${table}\n\n${cpuTable}`);
  } finally {
    if (gateway.exitCode === null) {
      gateway.kill('SIGTERM');
      await new Promise((r) => gateway.once('exit', r));
    }
    rmSync(work, { recursive: true, force: true });
    // Its data is made for one run (half its codes are redeemed): BENCH_KEEP=1 keeps it to look at.
    if (process.env.BENCH_KEEP !== '1') psql('postgres', `drop database if exists ${DB} with (force)`);
  }
}

await main();
