/**
 * The population-registry check at import, at cohort size: 10 000 participants imported in one
 * call against the registry's development double at its development latency (20–120 ms an
 * answer), with the import's 20 s budget and 16 checks in flight. Measures how many get their
 * verdict within the import, how long the import takes, and how quickly `registry.retry` (run
 * back to back, as the scheduler does while it reports busy) gives the rest theirs. On real
 * PostgreSQL. Writes its table into docs/benchmarks.md.
 *
 *   npm run bench:registry            (BENCH_PARTICIPANTS=10000)
 */
import { cpus, totalmem } from 'node:os';
import {
  DEMO_ORGANISATIONS,
  importParticipants,
  REGISTRY_CONCURRENCY,
  REGISTRY_IMPORT_BUDGET_MS,
  retryRegistryChecks,
  seedDemo,
} from '@latih/core';
import { openDatabase, schema } from '@latih/db';
import { createRegistryClient, createRegistryMock } from '@latih/registry';
import { sql } from 'drizzle-orm';
import { log, psql, SERVER, writeDocSection } from './common';

const N = Number(process.env.BENCH_PARTICIPANTS ?? 10_000);
const DB = 'latih_bench_registry';
const KEY = Buffer.alloc(32, 9);

psql('postgres', `drop database if exists ${DB} with (force)`);
psql('postgres', `create database ${DB}`);
const database = await openDatabase({ url: `${SERVER}/${DB}`, dataDir: '/tmp', poolSize: 20 });
await database.migrate();
await seedDemo(database.db);
const pmoOrg = DEMO_ORGANISATIONS.find((o) => o.kind === 'PMO');
if (!pmoOrg) throw new Error('no demo PMO');
const actor = { organisationId: pmoOrg.id, role: 'pmo' as const, clientId: 'cli_bench', scopes: [] };

const mock = createRegistryMock({ baseUrl: 'https://registry.bench.invalid', apiKey: 'rk_bench' });
const registry = createRegistryClient({ baseUrl: mock.baseUrl, apiKey: mock.apiKey, fetch: mock.fetch });

const items = Array.from({ length: N }, (_, i) => {
  const day = 1 + (i % 28);
  const month = 1 + (Math.floor(i / 28) % 12);
  const serial = String(1 + Math.floor(i / 336)).padStart(4, '0');
  const dd = String(day).padStart(2, '0');
  const mm = String(month).padStart(2, '0');
  return {
    nik: `327301${dd}${mm}93${serial}`,
    cardNumber: `77${String(i).padStart(14, '0')}`,
    name: `Peserta Bench ${i}`,
    gender: 'M' as const,
    birthDate: `1993-${mm}-${dd}`,
    regencyCode: '32.73',
  };
});

log(`importing ${N} participants against the double (20–120 ms an answer)`);
const t0 = performance.now();
const r = await importParticipants({
  db: database.db,
  actor,
  requestId: null,
  nikKey: KEY,
  registry,
  input: { cohort: 1, items },
});
const importMs = performance.now() - t0;
log(`import: ${Math.round(importMs)} ms, ${JSON.stringify(r.summary)}`);

// registry.retry back to back, its clock an hour on (every queued check due), as the scheduler
// runs a busy job again at once.
const t1 = performance.now();
let passes = 0;
let now = Date.now() + 3_600_000;
for (;;) {
  const pass = await retryRegistryChecks({ db: database.db, registry, nikKey: KEY, now: new Date(now) });
  passes++;
  now += 1_000;
  if (!pass.busy) break;
}
const drainMs = performance.now() - t1;
const [left] = await database.db.select({ n: sql<number>`count(*)::int` }).from(schema.registryQueue);
const statuses = await database.db
  .select({ s: schema.participants.registryStatus, n: sql<number>`count(*)::int` })
  .from(schema.participants)
  .groupBy(schema.participants.registryStatus);
log(
  `retry: ${Math.round(drainMs)} ms in ${passes} passes; left ${JSON.stringify(left)}; ${JSON.stringify(statuses)}`,
);
const verifiedAtImport = r.summary.created - r.summary.pending - r.summary.blocked;
const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);

const section = `<!-- bench:registry:start -->
Measured ${new Date().toISOString().slice(0, 10)} by \`npm run bench:registry\` (${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, PostgreSQL 15), the registry's development double answering in 20–120 ms, ${REGISTRY_CONCURRENCY} checks in flight, the import's budget ${REGISTRY_IMPORT_BUDGET_MS / 1000} s:

| | |
|---|---|
| participants in one import | ${N.toLocaleString('en')} |
| import, request to answer | ${(importMs / 1000).toFixed(1)} s |
| verdicts within the import | ${verifiedAtImport.toLocaleString('en')} (${rate(verifiedAtImport, Math.min(importMs, REGISTRY_IMPORT_BUDGET_MS))} checks/s) |
| left PENDING by the import (budget spent) | ${r.summary.pending.toLocaleString('en')} |
| \`registry.retry\` back to back until the queue is empty | ${(drainMs / 1000).toFixed(1)} s, ${passes} passes (${rate(r.summary.pending, drainMs)} checks/s) |
| queue left | ${left?.n ?? 0} |
<!-- bench:registry:end -->`;
writeDocSection('registry', 'Population-registry checks at import', section);
await database.close();
psql('postgres', `drop database if exists ${DB} with (force)`);
