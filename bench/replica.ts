/**
 * Reads on a streaming replica (issue 21, must-show 4): a primary and a standby made on this machine
 * (initdb, pg_basebackup -R: tests/support/replica.ts; fsync and synchronous commit on, as in
 * production), a catalog of BENCH_COURSES published courses, and two gateways on it: one with
 * DATABASE_READ_URL on the standby, one on the primary alone. Measures:
 *
 * - replication lag: a commit acknowledged by the primary until a query on the standby sees it, idle
 *   and under a write load (BENCH_WRITERS connections updating runs as fast as they can);
 * - a platform's full catalog sync and PMO reports through each gateway;
 * - the change feed's lag through each, for a platform polling every second.
 *
 * Writes its table into docs/benchmarks.md. The pair lives in a temporary folder on free ports and is
 * removed at the end; the shared server on 5432 is not touched.
 *
 *   npm run bench:replica     (BENCH_COURSES=20000, BENCH_LAG_SECONDS=20, BENCH_WRITE_SECONDS=15)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { DEMO_ORGANISATIONS } from '@latih/core';
import { createLatihClient } from '@latih/sdk';
import pg from 'pg';
import { freePort } from '../tests/support/processes';
import { replicaPair } from '../tests/support/replica';
import { loadCatalogCopies } from './catalog-data';
import { log, waitReady, writeDocSection } from './common';

const ROOT = new URL('..', import.meta.url).pathname;
const N = Number(process.env.BENCH_COURSES ?? 20_000);
const LAG_SECONDS = Number(process.env.BENCH_LAG_SECONDS ?? 20);
const WRITE_SECONDS = Number(process.env.BENCH_WRITE_SECONDS ?? 15);
const WRITERS = Number(process.env.BENCH_WRITERS ?? 4);
const work = mkdtempSync(join(tmpdir(), 'latih-bench-replica-'));

const demo = (key: string) => {
  const o = DEMO_ORGANISATIONS.find((d) => d.key === key);
  if (!o) throw new Error(`no demo organisation ${key}`);
  return o;
};

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? Number.NaN;
};
const median = (xs: number[]) => percentile(xs, 50);
const ms = (x: number) => (x < 10 ? x.toFixed(1) : x.toFixed(0));

function startGateway(port: number, env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/gateway/src/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: work,
      LOG_LEVEL: 'warn',
      SEED_DEMO: 'true',
      RATE_LIMITS: 'off',
      // The bench measures reads and replication, not the schedule.
      JOBS: 'off',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return {
    child,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

async function main() {
  const loadBefore = loadavg()[0] ?? 0;
  log('making a primary and a streaming standby (initdb, pg_basebackup -R)');
  const pair = await replicaPair({
    settings: [
      'fsync = on',
      'synchronous_commit = on',
      'full_page_writes = on',
      'shared_buffers = 128MB',
      'max_connections = 80',
    ],
  });
  const gateways: { stop: () => Promise<void> }[] = [];
  const pools: pg.Pool[] = [];
  try {
    const urls = await pair.createDatabase('latih_bench');
    const primary = new pg.Pool({ connectionString: urls.primary, max: WRITERS + 2 });
    const standby = new pg.Pool({ connectionString: urls.standby, max: 2 });
    pools.push(primary, standby);
    const q = async (text: string) => {
      const res = await primary.query(text);
      const last = Array.isArray(res) ? res.at(-1) : res;
      const row = (last as pg.QueryResult | undefined)?.rows?.[0] as Record<string, unknown> | undefined;
      return row ? String(Object.values(row)[0] ?? '') : '';
    };

    // Migrate and seed through a gateway, then load the catalog with SQL.
    const seedPort = await freePort();
    const seeding = startGateway(seedPort, { DATABASE_URL: urls.primary });
    await waitReady(`http://127.0.0.1:${seedPort}`);
    await seeding.stop();
    log(`loading ${N.toLocaleString()} published courses with a run each`);
    const loadSeconds = await loadCatalogCopies(q, N);
    const t0 = performance.now();
    await pair.standby.caughtUp(300_000);
    const replaySeconds = (performance.now() - t0) / 1000;
    log(
      `  loaded in ${loadSeconds.toFixed(1)} s; the standby replayed it ${replaySeconds.toFixed(1)} s later`,
    );

    const [portR, portP] = [await freePort(), await freePort()];
    const metricsToken = 'b'.repeat(40);
    const viaReplica = startGateway(portR, {
      DATABASE_URL: urls.primary,
      DATABASE_READ_URL: urls.standby,
      METRICS_TOKEN: metricsToken,
    });
    const viaPrimary = startGateway(portP, { DATABASE_URL: urls.primary });
    gateways.push(viaReplica, viaPrimary);
    const bases = { replica: `http://127.0.0.1:${portR}`, primary: `http://127.0.0.1:${portP}` };
    await Promise.all([waitReady(bases.replica), waitReady(bases.primary)]);

    // 1. Replication lag: a probe commits on the primary, then a standby connection polls until it
    // sees the value. Idle first, then under a write load.
    const probeRun = await q(`select id from runs where id like 'run_01bench%' order by id limit 1`);
    const runIds = (
      await primary.query<{ id: string }>(`select id from runs where id like 'run_01bench%' order by id`)
    ).rows.map((r) => r.id);
    let probeValue = 1_000;
    async function probe(): Promise<number> {
      probeValue = probeValue >= 9_000 ? 1_000 : probeValue + 1;
      const value = probeValue;
      await primary.query('update runs set capacity = $1 where id = $2', [value, probeRun]);
      const committed = performance.now();
      for (;;) {
        const r = await standby.query<{ capacity: number }>('select capacity from runs where id = $1', [
          probeRun,
        ]);
        if (r.rows[0]?.capacity === value) return performance.now() - committed;
      }
    }
    async function probes(seconds: number): Promise<number[]> {
      const lags: number[] = [];
      const until = performance.now() + seconds * 1000;
      while (performance.now() < until) {
        lags.push(await probe());
        await new Promise((r) => setTimeout(r, 100));
      }
      return lags;
    }
    log('replication lag, idle');
    const idle = await probes(5);
    log(`  ${idle.length} probes: p50 ${ms(median(idle))} ms, p99 ${ms(percentile(idle, 99))} ms`);
    log(`replication lag under a write load: ${WRITERS} connections updating runs for ${WRITE_SECONDS} s`);
    let writes = 0;
    let writing = true;
    const writers = Array.from({ length: WRITERS }, async (_, w) => {
      let i = w;
      while (writing) {
        const id = runIds[(i * 7919) % runIds.length] as string;
        i += WRITERS;
        await primary.query('update runs set capacity = capacity % 500 + 1 where id = $1', [id]);
        writes++;
      }
    });
    const writeStarted = performance.now();
    const loaded = await probes(WRITE_SECONDS);
    writing = false;
    await Promise.all(writers);
    const writeRate = writes / ((performance.now() - writeStarted) / 1000);
    log(
      `  ${loaded.length} probes: p50 ${ms(median(loaded))} ms, p99 ${ms(percentile(loaded, 99))} ms; ${writeRate.toFixed(0)} commits/s`,
    );
    await pair.standby.caughtUp();

    // 2. Full sync and reports, through each gateway.
    const clients = Object.fromEntries(
      Object.entries(bases).map(([k, baseUrl]) => [
        k,
        {
          platform: createLatihClient({
            baseUrl,
            clientId: demo('platform-a').clientId,
            clientSecret: demo('platform-a').clientSecret,
          }),
          pmo: createLatihClient({
            baseUrl,
            clientId: demo('pmo').clientId,
            clientSecret: demo('pmo').clientSecret,
          }),
          provider: createLatihClient({
            baseUrl,
            clientId: demo('provider-a').clientId,
            clientSecret: demo('provider-a').clientSecret,
          }),
        },
      ]),
    ) as Record<
      'replica' | 'primary',
      Record<'platform' | 'pmo' | 'provider', ReturnType<typeof createLatihClient>>
    >;
    const syncs: Record<string, number[]> = { replica: [], primary: [] };
    let cursor = '';
    for (let round = 0; round < 3; round++) {
      for (const target of ['replica', 'primary'] as const) {
        const seen = new Set<string>();
        const t = performance.now();
        for await (const batch of clients[target].platform.catalog.sync({ limit: 500 })) {
          for (const c of batch.changes) if (c.type === 'UPSERT') seen.add(c.courseId);
          cursor = batch.cursor;
        }
        const seconds = (performance.now() - t) / 1000;
        syncs[target]?.push(seen.size / seconds);
        log(
          `  full sync via the ${target}: ${seen.size.toLocaleString()} courses in ${seconds.toFixed(2)} s`,
        );
      }
    }
    const today = new Date().toISOString().slice(0, 10);
    const from = new Date(Date.now() - 365 * 86_400_000).toISOString().slice(0, 10);
    await clients.primary.pmo.pmo.reports.rebuild.mutate({ from, to: today });
    const reportTimes: Record<string, Record<string, number[]>> = {
      'pmo.reports.courses (1 000 rows)': { replica: [], primary: [] },
      'pmo.statistics by province': { replica: [], primary: [] },
    };
    for (let i = 0; i < 16; i++) {
      for (const target of ['replica', 'primary'] as const) {
        const api = clients[target].pmo.pmo;
        let t = performance.now();
        await api.reports.courses.query({ from, to: today, limit: 1000 });
        if (i > 0) reportTimes['pmo.reports.courses (1 000 rows)']?.[target]?.push(performance.now() - t);
        t = performance.now();
        await api.statistics.query({ dimension: 'province' });
        if (i > 0) reportTimes['pmo.statistics by province']?.[target]?.push(performance.now() - t);
      }
    }

    // 3. The feed's lag: the provider changes a run every 200 ms (through the replica's gateway: a
    // write, so on the primary); a platform polls each gateway every second.
    const committed = new Map<string, number>();
    // Known before the update is sent: a poll may see it before the provider has the answer.
    const expected = new Set<string>();
    const seenBy: Record<'replica' | 'primary', Map<string, number>> = {
      replica: new Map(),
      primary: new Map(),
    };
    const stop = new AbortController();
    const pollers = (['replica', 'primary'] as const).map(async (target) => {
      const seen = seenBy[target];
      for await (const batch of clients[target].platform.catalog.sync({
        since: cursor,
        limit: 500,
        follow: true,
        pollIntervalMs: 1000,
        signal: stop.signal,
      })) {
        const now = performance.now();
        for (const change of batch.changes) {
          const r = change.course?.runs[0];
          if (!r) continue;
          const key = `${r.id}:${r.capacity}`;
          if (expected.has(key) && !seen.has(key)) seen.set(key, now);
        }
      }
    });
    log(`feed lag: a run's capacity changed every 200 ms for ${LAG_SECONDS} s, platforms polling every 1 s`);
    const until = performance.now() + LAG_SECONDS * 1000;
    let i = 0;
    while (performance.now() < until) {
      const id = runIds[1 + (i % 500)] as string;
      const capacity = 21 + (i % 50);
      i++;
      expected.add(`${id}:${capacity}`);
      await clients.replica.provider.provider.runs.update.mutate({ id, capacity });
      committed.set(`${id}:${capacity}`, performance.now());
      await new Promise((r) => setTimeout(r, 200));
    }
    // Until both pollers have seen every change (a poll on a loaded machine can take a while), 15 s at most.
    const drainUntil = performance.now() + 15_000;
    while (
      performance.now() < drainUntil &&
      (seenBy.replica.size < expected.size || seenBy.primary.size < expected.size)
    )
      await new Promise((r) => setTimeout(r, 100));
    stop.abort();
    await Promise.allSettled(pollers);
    const feedLag = Object.fromEntries(
      (['replica', 'primary'] as const).map((target) => {
        const lags = [...committed].flatMap(([k, at]) => {
          const s = seenBy[target].get(k);
          // Seen before the provider had its answer: no lag to speak of.
          return s === undefined ? [] : [Math.max(0, s - at)];
        });
        return [target, { p50: median(lags), p99: percentile(lags, 99), seen: lags.length }];
      }),
    ) as Record<'replica' | 'primary', { p50: number; p99: number; seen: number }>;
    for (const [t, l] of Object.entries(feedLag))
      log(`  via the ${t}: ${l.seen}/${committed.size} seen, p50 ${ms(l.p50)} ms, p99 ${ms(l.p99)} ms`);

    // Where the replica gateway's reads went (its /metrics counts the reads meant for the replica).
    const ready = (await (await fetch(`${bases.replica}/readyz`)).json()) as {
      readReplica?: { state: string; lagMs: number | null };
    };
    const metrics = await (
      await fetch(`${bases.replica}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } })
    ).text();
    const reads = [
      ...metrics.matchAll(/^latih_read_replica_reads_total\{target="(\w+)",reason="([\w-]*)"\} (\d+)/gm),
    ];
    const onReplica = reads.filter((m) => m[1] === 'replica').reduce((a, m) => a + Number(m[3]), 0);
    const onPrimary = reads.filter((m) => m[1] === 'primary').reduce((a, m) => a + Number(m[3]), 0);
    log(`  the replica's gateway: ${onReplica} reads on the replica, ${onPrimary} sent to the primary`);

    const best = (xs: number[] | undefined) => Math.max(...(xs ?? [Number.NaN]));
    const serverVersion = await q('show server_version');
    const reportRows = Object.entries(reportTimes)
      .map(
        ([name, t]) =>
          `| ${name}, median of 15 | ${ms(median(t.primary ?? []))} ms | ${ms(median(t.replica ?? []))} ms |`,
      )
      .join('\n');
    const section = `<!-- bench:replica:start -->
Measured ${new Date().toISOString().slice(0, 10)} by \`npm run bench:replica\` on ${cpus().length} cores / ${Math.round(totalmem() / 2 ** 30)} GiB (load average ${loadBefore.toFixed(1)} at the start, ${(loadavg()[0] ?? 0).toFixed(1)} at the end: the machine is shared), Node ${process.version}, PostgreSQL ${serverVersion}: a primary and its streaming standby on the same machine (initdb, \`pg_basebackup -R\`; fsync, full_page_writes and synchronous_commit on), ${N.toLocaleString()} published courses with a run each loaded in ${loadSeconds.toFixed(0)} s (the standby had replayed them ${replaySeconds.toFixed(1)} s later). Two gateways: one with \`DATABASE_READ_URL\` on the standby (lag limit 2 s), one on the primary alone; the platform reads through the SDK over HTTP/1.1 on 127.0.0.1.

| Replication lag: a commit acknowledged by the primary → a query on the standby sees it | probes | p50 | p99 | primary commits/s |
| --- | --- | --- | --- | --- |
| idle | ${idle.length} | ${ms(median(idle))} ms | ${ms(percentile(idle, 99))} ms | — |
| under a write load (${WRITERS} connections updating runs, one row per transaction) | ${loaded.length} | ${ms(median(loaded))} ms | ${ms(percentile(loaded, 99))} ms | ${writeRate.toFixed(0)} |

| Read | From the primary | From the replica |
| --- | --- | --- |
| full catalog sync, best of 3 (courses per second) | ${best(syncs.primary).toFixed(0)} | ${best(syncs.replica).toFixed(0)} |
${reportRows}

| Feed lag, platform polling every 1 s, a run changed every 200 ms for ${LAG_SECONDS} s | seen | p50 | p99 |
| --- | --- | --- | --- |
| through the replica | ${feedLag.replica.seen} / ${committed.size} | ${ms(feedLag.replica.p50)} ms | ${ms(feedLag.replica.p99)} ms |
| through the primary | ${feedLag.primary.seen} / ${committed.size} | ${ms(feedLag.primary.p50)} ms | ${ms(feedLag.primary.p99)} ms |

The replica's gateway answered ${onReplica.toLocaleString()} reads from the replica and sent ${onPrimary.toLocaleString()} to the primary (\`latih_read_replica_reads_total\`); at the end it saw the replica \`${ready.readReplica?.state ?? 'unknown'}\`, ${ready.readReplica?.lagMs ?? '?'} ms behind.
<!-- bench:replica:end -->`;
    writeDocSection('replica', 'Reads on a replica', section);
  } finally {
    for (const g of gateways) await g.stop().catch(() => undefined);
    for (const p of pools) await p.end().catch(() => undefined);
    pair.remove();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
