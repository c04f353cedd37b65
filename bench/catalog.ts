/**
 * Catalog sync at national size (issue 21, must-show 3): 100 000 published courses with a run
 * each, a platform's full sync through the SDK measured in courses per second, and the change
 * feed's lag from a run's change committing (the provider's API call answered) to a platform that
 * polls seeing it: polling as the SDK does by default and as the guide recommends, and
 * continuously (what the feed itself adds). Writes its table into docs/benchmarks.md.
 *
 *   npm run bench:catalog            (BENCH_COURSES=100000, BENCH_LAG_SECONDS=30)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { ZCatalogChangesSchema } from '@latih/contracts';
import { DEMO_ORGANISATIONS } from '@latih/core';
import { createLatihClient } from '@latih/sdk';
import { loadCatalogCopies } from './catalog-data';
import { log, psql, SERVER, waitReady, writeDocSection } from './common';

const ROOT = new URL('..', import.meta.url).pathname;
const DB = 'latih_bench_catalog';
const N = Number(process.env.BENCH_COURSES ?? 100_000);
const LAG_SECONDS = Number(process.env.BENCH_LAG_SECONDS ?? 30);
const PORT = 3458;
const BASE = `http://127.0.0.1:${PORT}`;
const work = mkdtempSync(join(tmpdir(), 'latih-bench-catalog-'));

const demo = (key: string) => {
  const o = DEMO_ORGANISATIONS.find((d) => d.key === key);
  if (!o) throw new Error(`no demo organisation ${key}`);
  return o;
};

function startGateway() {
  return spawn(process.execPath, ['--import', 'tsx', 'apps/gateway/src/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(PORT),
      HOST: '127.0.0.1',
      DATABASE_URL: `${SERVER}/${DB}`,
      DATA_DIR: work,
      LOG_LEVEL: 'warn',
      SEED_DEMO: 'true',
      // One platform reads as fast as it can: the bench measures the gateway, not its rate limits.
      RATE_LIMITS: 'off',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

async function median(n: number, f: () => Promise<unknown>): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await f();
    ms.push(performance.now() - t);
  }
  return percentile(ms, 50);
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
};

async function main() {
  log(`fresh database ${DB}`);
  psql('postgres', `drop database if exists ${DB} with (force)`);
  psql('postgres', `create database ${DB}`);
  let gateway = startGateway();
  try {
    await waitReady(BASE);
    gateway.kill('SIGTERM');
    await new Promise((r) => gateway.once('exit', r));
    log(`loading ${N.toLocaleString()} published courses with a run each`);
    const loadSeconds = await loadCatalogCopies(async (sql) => psql(DB, sql), N);
    const changes = Number(psql(DB, 'select count(*) from catalog_changes'));
    log(`  loaded in ${loadSeconds.toFixed(1)} s; ${changes.toLocaleString()} catalog changes`);
    gateway = startGateway();
    await waitReady(BASE);
    // catalog.render (every 5 s, 2 000 changes a run, again at once while more wait) stores each
    // course as the feed serves it; until it has, the feed renders the courses itself.
    const courses = Number(psql(DB, 'select count(distinct course_id) from catalog_changes'));
    const renderStart = performance.now();
    while (Number(psql(DB, 'select count(*) from catalog_entries')) < courses) {
      if (performance.now() - renderStart > 600_000)
        throw new Error('catalog.render did not finish in 10 minutes');
      await new Promise((r) => setTimeout(r, 250));
    }
    const renderSeconds = (performance.now() - renderStart) / 1000;
    log(`  catalog.render stored ${courses.toLocaleString()} courses in ${renderSeconds.toFixed(1)} s`);
    // catalog.compact ran at start and deleted the 100 000 changes the runs' ones superseded; the
    // bench does at once what autovacuum does within its next minute or so.
    psql(DB, 'vacuum analyze catalog_changes');
    psql(DB, 'vacuum analyze catalog_entries');

    const platform = createLatihClient({
      baseUrl: BASE,
      clientId: demo('platform-a').clientId,
      clientSecret: demo('platform-a').clientSecret,
    });
    const provider = createLatihClient({
      baseUrl: BASE,
      clientId: demo('provider-a').clientId,
      clientSecret: demo('provider-a').clientSecret,
    });

    // 1. The full sync, as a platform's first load: every change from the beginning, pages of 500.
    const syncs: { seconds: number; courses: number; pages: number }[] = [];
    let cursor = '';
    for (let round = 0; round < 5; round++) {
      const seen = new Set<string>();
      let pages = 0;
      const t0 = performance.now();
      for await (const batch of platform.catalog.sync({ limit: 500 })) {
        pages++;
        for (const c of batch.changes) if (c.type === 'UPSERT') seen.add(c.courseId);
        cursor = batch.cursor;
      }
      const seconds = (performance.now() - t0) / 1000;
      syncs.push({ seconds, courses: seen.size, pages });
      log(
        `  full sync ${round + 1}: ${seen.size.toLocaleString()} courses in ${pages} pages, ${seconds.toFixed(2)} s, ${(seen.size / seconds).toFixed(0)} courses/s`,
      );
    }
    const best = syncs.reduce((a, b) => (a.seconds < b.seconds ? a : b));

    // A page's parts: what the gateway takes to answer a page of 500 (request to last byte, as
    // text), and the client's JSON.parse of it (median of 15); the same page through the tRPC
    // procedure, which parses the stored courses, checks them against the schema and re-encodes.
    const pageUrl = `${BASE}/v1/platform/catalog/changes?limit=500`;
    const bearer = await (async () => {
      const res = await fetch(`${BASE}/v1/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          grant_type: 'client_credentials',
          client_id: demo('platform-a').clientId,
          client_secret: demo('platform-a').clientSecret,
        }),
      });
      return ((await res.json()) as { access_token: string }).access_token;
    })();
    const pageText = await (await fetch(pageUrl, { headers: { authorization: `Bearer ${bearer}` } })).text();
    const floor = {
      bytes: Buffer.byteLength(pageText),
      gateway: await median(15, async () =>
        (await fetch(pageUrl, { headers: { authorization: `Bearer ${bearer}` } })).text(),
      ),
      parse: await median(15, async () => JSON.parse(pageText)),
      trpc: await median(5, async () => platform.platform.catalog.changes.query({ limit: 500 })),
      check: await median(15, async () => ZCatalogChangesSchema.parse(JSON.parse(pageText))),
      perPage: (best.seconds * 1000) / best.pages,
    };
    log(
      `  a page of 500: ${(floor.bytes / 1e6).toFixed(2)} MB; gateway ${floor.gateway.toFixed(1)} ms, parse ${floor.parse.toFixed(1)} ms; ${floor.perPage.toFixed(1)} ms a page in the sync; through tRPC ${floor.trpc.toFixed(1)} ms`,
    );

    // 2. The feed's lag: the provider changes a run's capacity every 200 ms; pollers note when they
    // see each change. Polling every 5 s, as the SDK does by default (1 s), and continuously.
    const runIds = psql(DB, `select id from runs where id like 'run_01bench%' order by id limit 1000`).split(
      '\n',
    );
    const committed = new Map<string, number>();
    const seenBy: Record<string, Map<string, number>> = {
      '5000': new Map(),
      '1000': new Map(),
      '0': new Map(),
    };
    const stop = new AbortController();
    const pollers = Object.keys(seenBy).map(async (interval) => {
      const seen = seenBy[interval] as Map<string, number>;
      for await (const batch of platform.catalog.sync({
        since: cursor,
        limit: 500,
        follow: true,
        pollIntervalMs: Math.max(50, Number(interval)),
        signal: stop.signal,
      })) {
        const now = performance.now();
        for (const change of batch.changes) {
          const r = change.course?.runs[0];
          if (!r) continue;
          const key = `${r.id}:${r.capacity}`;
          if (committed.has(key) && !seen.has(key)) seen.set(key, now);
        }
      }
    });
    log(`feed lag: a run's capacity changed every 200 ms for ${LAG_SECONDS} s`);
    const until = performance.now() + LAG_SECONDS * 1000;
    let i = 0;
    while (performance.now() < until) {
      const id = runIds[i % runIds.length] as string;
      const capacity = 21 + (i % 50);
      i++;
      await provider.provider.runs.update.mutate({ id, capacity });
      committed.set(`${id}:${capacity}`, performance.now());
      await new Promise((r) => setTimeout(r, 200));
    }
    // Let the slowest poller come round once more.
    await new Promise((r) => setTimeout(r, 6_000));
    stop.abort();
    await Promise.allSettled(pollers);
    const lags = Object.fromEntries(
      Object.entries(seenBy).map(([interval, seen]) => {
        const ms = [...committed].flatMap(([k, at]) => {
          const s = seen.get(k);
          return s === undefined ? [] : [s - at];
        });
        return [interval, { p50: percentile(ms, 50), p99: percentile(ms, 99), seen: ms.length }];
      }),
    ) as Record<string, { p50: number; p99: number; seen: number }>;
    for (const [interval, l] of Object.entries(lags))
      log(
        `  polling ${interval === '0' ? 'every 50 ms' : `every ${Number(interval) / 1000} s`}: ${l.seen}/${committed.size} seen, p50 ${l.p50.toFixed(0)} ms, p99 ${l.p99.toFixed(0)} ms`,
      );

    const rate = best.courses / best.seconds;
    const lagRow = (interval: string, label: string) => {
      const l = lags[interval] as { p50: number; p99: number; seen: number };
      return `| ${label} | ${l.seen} / ${committed.size} | ${l.p50.toFixed(0)} ms | ${l.p99.toFixed(0)} ms |`;
    };
    const section = `<!-- bench:catalog:start -->
Measured ${new Date().toISOString().slice(0, 10)} by \`npm run bench:catalog\` on ${cpus().length} cores / ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, PostgreSQL ${psql(DB, 'show server_version')} on the same machine; ${N.toLocaleString()} published courses with a run each (copies of a demo luring course: 4 sessions and a venue) loaded in ${loadSeconds.toFixed(0)} s, ${changes.toLocaleString()} catalog changes; the platform reads through the SDK (\`catalog.sync\`, pages of 500) over HTTP/1.1 on 127.0.0.1.

| Full sync (best of 5) | Pages | Time | Courses per second | Goal |
| --- | --- | --- | --- | --- |
| ${best.courses.toLocaleString()} courses | ${best.pages} | ${best.seconds.toFixed(2)} s | **${rate.toFixed(0)}** | ≥ 20 000 ${rate >= 20_000 ? '✔' : '✘'} |

The five rounds, in courses per second: ${syncs.map((s) => (s.courses / s.seconds).toFixed(0)).join(', ')} (the first reads a cache that the vacuum before it left cold).

Before the sync, the \`catalog.render\` job stored all ${courses.toLocaleString()} courses in ${renderSeconds.toFixed(1)} s after the gateway started (${(courses / renderSeconds).toFixed(0)} a second; until it has, the feed renders them itself, as before: see ADR 0009). A page of 500 courses is ${(floor.bytes / 1e6).toFixed(2)} MB of JSON. Medians of 15: the gateway answers it (\`GET /v1/platform/catalog/changes?limit=500\`, request to last byte) in ${floor.gateway.toFixed(1)} ms, the client's \`JSON.parse\` takes ${floor.parse.toFixed(1)} ms; in the sync, which asks for the next page while it parses one, a page took ${floor.perPage.toFixed(1)} ms. The same page through the tRPC procedure (stored courses parsed, checked against the schema — ${floor.check.toFixed(1)} ms of it — and encoded again) takes ${floor.trpc.toFixed(1)} ms. 20 000 courses a second is ${(500_000 / 20_000).toFixed(0)} ms a page.

Feed lag, from a run's change committing (the provider's \`runs.update\` answered) to a platform polling with \`followFeed\` seeing it; ${committed.size} changes, one every 200 ms for ${LAG_SECONDS} s:

| Platform polls | Seen | p50 | p99 |
| --- | --- | --- | --- |
${lagRow('5000', 'every 5 s')}
${lagRow('1000', 'every 1 s (the SDK default)')}
${lagRow('0', 'every 50 ms (what the feed itself adds)')}
<!-- bench:catalog:end -->`;
    writeDocSection('catalog', 'Catalog sync', section);
  } finally {
    if (gateway.exitCode === null) gateway.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    // The bench removes what it no longer needs (BENCH_KEEP=1 keeps the database, to profile).
    if (process.env.BENCH_KEEP !== '1') psql('postgres', `drop database if exists ${DB} with (force)`);
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
