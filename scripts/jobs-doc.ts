import { readFileSync } from 'node:fs';
import { appRouter } from '@latih/api';
import { SCHEDULE } from '@latih/core';
import { MAX_NESTING } from '../apps/gateway/src/hostile-input';
import {
  DEFAULT_METRICS_CACHE_MS,
  HTTP_BUCKETS,
  METRIC_DOCS,
  type MetricDoc,
} from '../apps/gateway/src/metrics';

function duration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms % 1_000 === 0) return `${ms / 1_000} s`;
  return `${ms} ms`;
}

/** The Metrics section: what /metrics exposes (METRIC_DOCS in apps/gateway/src/metrics.ts) and what to watch. */
function metricsSection(): string[] {
  const row = ([name, d]: [string, MetricDoc]) => {
    const where = [
      d.gatewayOnly ? 'Gateways only.' : '',
      d.postgresOnly ? 'PostgreSQL only.' : '',
      d.replicaOnly ? 'With `DATABASE_READ_URL` only.' : '',
    ]
      .filter(Boolean)
      .join(' ');
    const labels = d.labels.map((l) => `\`${l}\``).join(', ') || '—';
    return `| \`${name}\` | ${d.type} | ${labels} | ${d.help}${where ? ` ${where}` : ''} |`;
  };
  return [
    '## Metrics',
    '',
    '`GET /metrics` answers in the Prometheus text format (prom-client). It is never public:',
    '',
    '- `METRICS_TOKEN` (32 to 512 printable characters, e.g. `openssl rand -hex 32`): `/metrics` on the',
    "  gateway's own port, for `Authorization: Bearer <token>` only (401 `TOKEN_MISSING` or",
    '  `TOKEN_INVALID` otherwise). Give Prometheus the token with `authorization: { credentials_file: … }`.',
    '- `METRICS_PORT` (with `METRICS_HOST`, `127.0.0.1` unless set to the interface Prometheus reaches):',
    '  `/metrics` on a port of its own, never on the public one; with `METRICS_TOKEN` too, the token is',
    '  required there as well. Keep the port off the load balancer.',
    '- Neither: `/metrics` is off and answers 404 `ROUTE_NOT_FOUND`. A production gateway starts without',
    '  them (nothing is exposed, so nothing is unsafe) but says so in a warning at start: set one.',
    '- `npm run worker` answers `/metrics` on its `WORKER_PORT` under the same rules (the token when',
    '  `METRICS_TOKEN` is set), with every series below but the HTTP ones.',
    '',
    'Prometheus scrapes every gateway and worker directly (never through the balancer), with job',
    'names the alerts below use:',
    '',
    '```yaml',
    'scrape_configs:',
    '  - job_name: latih-gateway',
    '    authorization: { credentials_file: /etc/prometheus/latih-metrics-token }  # with METRICS_TOKEN',
    '    static_configs: [{ targets: ["10.0.0.11:9464", "10.0.0.12:9464"] }]  # METRICS_PORT',
    '  - job_name: latih-worker',
    '    authorization: { credentials_file: /etc/prometheus/latih-metrics-token }',
    '    static_configs: [{ targets: ["10.0.0.21:3010"] }]  # WORKER_PORT',
    '```',
    '',
    "Besides prom-client's process metrics (`process_cpu_seconds_total`, `process_resident_memory_bytes`,",
    '`nodejs_eventloop_lag_p99_seconds`, `nodejs_heap_size_used_bytes`, GC durations…), each process exposes:',
    '',
    '| metric | type | labels | meaning |',
    '|---|---|---|---|',
    ...Object.entries(METRIC_DOCS as Record<string, MetricDoc>).map(row),
    '',
    '**HTTP labels.** `procedure` is the tRPC procedure (`provider.vouchers.redeem`) for both',
    '`/trpc/…` and its REST route under `/v1` (the route is matched as the OpenAPI document declares it, so',
    '`GET /v1/provider/runs/{id}` is `provider.runs.get`, never a URL with its id); a tRPC batch of several',
    'calls is `(batch)`. Other routes carry their pattern (`/v1/oauth/token`, `/verify/:number`,',
    "`/readyz`), a CSV export `export:<name>`, the console's files `/console (static)`, the program's",
    'integration protocol `integration:<operation>` (`integration:payment/redeem-code/commit`); an unknown tRPC',
    'path is `(unknown)` and any other unrouted path `(unmatched)`, so a scan of random URLs adds no',
    'series. `transport` is `rest` (under `/v1`), `trpc` or `other`; `status` is the HTTP status sent, or',
    `\`499\` when the client went away first. Latency buckets (seconds): ${HTTP_BUCKETS.join(', ')}.`,
    '',
    '**Read from the database at scrape time**: the schedule (from `job_runs` and `job_instances`), the',
    'webhook backlog and the payouts not yet settled are the same on every gateway and worker, so',
    'aggregate them with `max`, not `sum` (`max by (job) (latih_job_failures_total)`). A scrape reads,',
    `one query after another and reused for ${DEFAULT_METRICS_CACHE_MS / 1000} s: \`job_runs\`, the live rows of \`job_instances\`,`,
    'PENDING deliveries through their partial index (the cost follows the backlog, not the table),',
    'unpublished events through theirs, open incentives through `incentives_status_idx`, and the',
    'settlements (one row per organisation and batch day, read whole: no index on their status yet).',
    'PAID payouts (and WAITING incentives) are not counted: they grow for the life of the program. If',
    'the reads fail, `latih_metrics_database_up` is 0 and those series are missing from the scrape; the',
    'others are still there.',
    '',
    '### What to watch',
    '',
    'Starting points for alerts (tune the thresholds to the traffic you see):',
    '',
    '| alert | expression | why |',
    '|---|---|---|',
    '| instance down | `up{job=~"latih.*"} == 0` for 2 min | a gateway or worker stopped answering its scrape |',
    '| server errors | `sum by (procedure) (rate(latih_http_requests_total{status=~"5.."}[5m])) > 0` for 10 min | hostile input never answers 5xx: a 5xx is a bug or an outage; each is logged with its request id |',
    '| redeem slow | `histogram_quantile(0.99, sum by (le) (rate(latih_http_request_duration_seconds_bucket{procedure="provider.vouchers.redeem"}[5m]))) > 0.25` for 10 min | redemption at the training door answers in tens of ms at p99 |',
    '| rate limited | `sum by (procedure) (rate(latih_http_requests_total{status="429"}[5m])) > 1` for 15 min | a partner is over its limit (or under attack); check before raising limits |',
    '| pool exhausted | `max_over_time(latih_db_pool_waiting_queries[5m]) > 0` for 10 min | queries queue for a connection: the database or `DB_POOL_SIZE` is the bottleneck |',
    '| database unreadable | `latih_metrics_database_up == 0` for 2 min | the scrape could not read PostgreSQL |',
    '| job failing | `max by (job) (increase(latih_job_failures_total[30m])) > 0` | a job failed; `GET /readyz` and the logs carry its last error. Page for `payouts.pay`, `settlements.batch` and `webhooks.deliver` failing for an hour, and for `ledger.check` failing once ([the books differ](#the-books-differ-from-the-rows)) |',
    '| job late | `max by (job) (latih_job_lag_seconds) > max by (job) (clamp_min(2 * latih_job_interval_seconds, 120))` | a job is not running on time (an instance died holding it, or it runs longer than its interval) |',
    '| nobody runs a job | `max by (job) (latih_job_live_schedulers) == 0` for 5 min | no live gateway or worker runs it (`JOBS` lists, a worker down); the money jobs run only where a payment provider is configured |',
    '| webhooks behind | `max(latih_webhook_oldest_due_seconds) > 300` | deliveries due for 5 min are not being sent: webhooks.deliver is down or too slow for the backlog |',
    '| webhook backlog | `max(latih_webhook_deliveries_due) > 1000` for 15 min | more due than it sends |',
    '| partner not receiving | `max(latih_webhook_oldest_undelivered_age_seconds) > 86400` | an event is undelivered for a day: usually a partner endpoint failing (retried for 3 days, then disabled) |',
    '| payouts failed | `max by (kind) (latih_payouts{status="FAILED"}) > 0` | money sent back or refused: the PMO retries it once the cause is fixed |',
    '| payouts stuck | `max(latih_payouts{kind="settlement",status="PENDING"}) > 0` for 2 h, with payouts.pay failing | the payment provider is down or refusing (a suspended organisation\'s settlements stay PENDING by design) |',
    '| event loop blocked | `nodejs_eventloop_lag_p99_seconds > 0.1` for 10 min | CPU-bound work on the request path |',
    '| replica not serving | `max_over_time(latih_read_replica_serving[10m]) == 0` | with `DATABASE_READ_URL`: the replica is down, lagging or behind on migrations, and the primary carries its reads ([read replicas](#read-replicas)) |',
    '| replica lagging | `max(latih_read_replica_lag_seconds) > 30` for 5 min | replay is held back (a long standby query, I/O, the network) |',
    '',
  ];
}

type ProcedureDef = {
  _def: { type: string; meta?: { reads?: string; openapi?: { method: string; path: string } } };
};

/**
 * Read replicas: the hand-written part, with the procedures that read from the replica listed from
 * the router itself (`reads: 'replica'` in their meta), so that the list cannot drift.
 */
function readReplicasSection(): string[] {
  const procedures = (appRouter as unknown as { _def: { procedures: Record<string, ProcedureDef> } })._def
    .procedures;
  const routed = Object.entries(procedures)
    .filter(([, p]) => p._def.meta?.reads === 'replica')
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, p]) => {
      const o = p._def.meta?.openapi;
      return `- \`${name}\`${o ? ` (\`${o.method} /v1${o.path}\`)` : ''}`;
    });
  return fragment('read-replicas').flatMap((line) =>
    line === '<!-- routed procedures -->' ? routed : [line],
  );
}

/** A hand-written part of docs/operations.md (scripts/operations-doc/), without its last newline. */
function fragment(name: string): string[] {
  return readFileSync(new URL(`./operations-doc/${name}.md`, import.meta.url), 'utf8')
    .trimEnd()
    .split('\n');
}

/** docs/operations.md, generated from the schedule (`npm run docs:jobs`); a test keeps it current. */
export function renderOperationsDoc(): string {
  return [
    '# Operations: running Latih in production',
    '',
    '<!-- Generated by `npm run docs:jobs` from packages/core/src/jobs/schedule.ts, apps/gateway/src/metrics.ts and scripts/operations-doc/*.md: edit those (or scripts/jobs-doc.ts), not this file. -->',
    '',
    'How Latih runs as deployed: [the topology](#production-topology), [configuration](#configuration),',
    '[scaling out](#scaling-out), [read replicas](#read-replicas), [stopping an instance](#stopping-an-instance),',
    '[backups and restore](#backups-and-restore), [key rotation](#key-rotation),',
    '[the schedule of jobs](#the-jobs) and [where they run](#where-they-run), [partitions](#partitions)',
    '(archiving old months),',
    '[metrics](#metrics) and [what to watch](#what-to-watch), [runbooks](#runbooks) (payment provider',
    'down, webhook backlog growing, database failover) and [the sandbox test clock](#the-sandbox-test-clock).',
    '',
    ...fragment('production'),
    '',
    ...readReplicasSection(),
    '',
    '## The schedule',
    '',
    'Everything Latih does by itself — sending webhooks, expiring vouchers and balances, the daily',
    'settlement batch, payouts, incentives, reconciliation with the payment provider, report rollups,',
    'fraud detectors, clean-ups — is a **job** of one schedule, declared in',
    '[`packages/core/src/jobs/schedule.ts`](../packages/core/src/jobs/schedule.ts). Nothing runs on a',
    'timer of its own.',
    '',
    '## The jobs',
    '',
    'Each runs on every gateway by default. **every instance**: each gateway (or worker) runs it, and',
    'its work is claimed row by row (`FOR UPDATE SKIP LOCKED`, conditional updates), so several share',
    'the work and never do it twice. **one at a time**: the instances take turns through a lease in',
    'the `job_runs` table, and the job runs at most once per interval across all of them; a run that',
    'dies holding the lease is taken over when the lease ends (leases and intervals use the',
    "database's real time, never the sandbox clock). Intervals are real time; what a job finds due is",
    "decided by the program's clock.",
    '',
    '| job | every | runs | once across instances because | what it does |',
    '|---|---|---|---|---|',
    ...SCHEDULE.map(
      (j) =>
        `| \`${j.name}\` | ${duration(j.everyMs)} | ${j.mode === 'every-instance' ? 'every instance' : 'one at a time'}${j.enabled ? ` (with ${j.needs ?? 'a payment provider'})` : ''} | ${j.once} | ${j.description} |`,
    ),
    '',
    'A job that stops at its batch limit runs again at once instead of waiting for its interval. The',
    'money jobs (`settlements.batch`, `incentives.evaluate`, `payouts.pay`, `payouts.reconcile`) run',
    'only where a payment provider is configured (always in production; the in-process mock in',
    'development).',
    '',
    '`signals.detect` is incremental. Each pass stores where it got to (`signal_detection_state`: its',
    'PostgreSQL snapshot, window and rules version), and the next re-evaluates only the patterns',
    '(device, address, course, assignment, provider, payout destination, checkout device or session)',
    'of the rows written since by transactions that snapshot did not see (`changed_xid`, kept by a',
    'default and a trigger), however late they committed, and of the rows the 30-day window left',
    'behind, each over its whole window: the signals stored are those a full pass would store. A',
    'full pass runs when there is no stored state (the first pass, after migration 0025), when',
    '`SIGNAL_RULES` or the detectors changed, and whenever the PMO calls `pmo.signals.detect`',
    '(`POST /v1/pmo/signals/detect`, always full); to force the next hourly pass to be full,',
    '`delete from signal_detection_state`. The job summary says which it was (`incremental` 1 or 0),',
    'how many keys it re-evaluated and how many changed rows it read; the cost at 1 M and 10 M',
    'enrollments is in [benchmarks](benchmarks.md#fraud-signal-detectors).',
    '',
    '## Where they run',
    '',
    '- **In the gateway** (the default, `JOBS=all`): the gateway (`npm start` in development,',
    '  `node --enable-source-maps apps/gateway/dist/main.js` in production) runs the whole schedule',
    '  in-process. Any number of gateways may do so at once.',
    '- **In a worker process**: start the gateways with `JOBS=off` and run the worker (one or',
    '  several) with the same configuration. The worker needs `DATABASE_URL` (the embedded PGlite',
    "  database can be opened by one process only), the gateways' `NIK_HASH_KEY` (the key webhook",
    "  secrets and payout destinations are sealed with; in development, the gateway's `DATA_DIR` holds",
    '  it: start the worker with the same `DATA_DIR`) and, for the money jobs, `PAYMENTS_BASE_URL`',
    '  (`npm run payments:mock` is a development payment provider that the gateway and the worker can',
    '  share). `WORKER_PORT` makes it answer `/healthz` and `/readyz` (with the jobs below). It stops',
    '  on `SIGTERM` after its running jobs finish (30 s at most). In production run the compiled entry',
    '  points (`npm run build` writes them; [ADR 0004](adr/0004-production-build.md)) with plain node:',
    '  `node --enable-source-maps apps/gateway/dist/worker.js`, and `apps/gateway/dist/main.js` for a',
    '  gateway (`npm run worker:prod` / `start:prod` are the same lines, but npm does not pass a `SIGTERM`',
    '  on to the process it started: under a process manager, run `node` itself). In development',
    '  `npm run worker` runs `apps/gateway/src/worker.ts` from source.',
    '- **Split further**: `JOBS=webhooks.deliver,payouts.pay` runs only those jobs in a process.',
    '- **Intervals**: `JOB_INTERVALS="webhooks.deliver=500,signals.detect=0"` (milliseconds; 0 switches a',
    '  job off in that process). The older `WEBHOOK_WORKER_INTERVAL_MS` (webhooks.deliver),',
    '  `PAYOUT_WORKER_INTERVAL_MS` (payouts.pay and settlements.batch; 0 switches the money jobs off) and',
    '  `OVERSIGHT_WORKER_INTERVAL_MS` (reports.rollups; 0 also switches signals.detect off) still work.',
    '',
    '## When an instance dies',
    '',
    'A gateway or worker that crashes mid-job loses nothing: its transaction rolls back, the rows it',
    'claimed are claimed again by the next pass, and a one-at-a-time job whose lease it held (renewed',
    'every 20 s) is taken over within a minute. Idempotency keys it was answering stay IN_PROGRESS for',
    'at most their 2-minute lock. What PostgreSQL must notice is that the connection is gone: a killed',
    'process closes its sockets at once, but a machine that vanishes from the network holds its row',
    'locks until the server gives up on the connection. Set `tcp_keepalives_idle = 60` (and',
    '`idle_in_transaction_session_timeout`, e.g. `5min`) in postgresql.conf so that it does so in a',
    "minute or two rather than the operating system's two hours.",
    '',
    '## Watching them',
    '',
    '`GET /readyz` (on a gateway, or a worker with `WORKER_PORT`) lists every job with its last run on',
    'any instance: `lastStartedAt`, `lastDurationMs`, `lastInstance`, `lastSummary` (what it did, e.g.',
    '`{"expired": 3}`), `lagMs` (how late it is against its interval; 0 when on time), `lastFailureAt` and',
    '`lastFailure`, and the counts `runs` and `failures`; `runsHere` says whether this process runs it.',
    'Jobs never make an instance unready. The logs carry a line for every run that did something',
    '(`{"job":"vouchers.expire","expired":3,…}`) and a warning with the error for every failure; a',
    'failed job is tried again after its interval.',
    '',
    ...fragment('partitions'),
    ...fragment('scale-out'),
    '',
    '## Hostile input, and errors in the logs',
    '',
    'The gateway refuses hostile input at its edge (`apps/gateway/src/hostile-input.ts`), before any',
    'rule or query sees it: NUL characters and lone surrogates anywhere (PostgreSQL stores neither),',
    `JSON nested more than ${MAX_NESTING} levels deep, bodies over 1 MB (10 MB for the course import), bodies`,
    'whose `Content-Encoding` or media type is false or not taken, and a URL with headers over 16 KB',
    "(Node's `--max-http-header-size`; a proxy in front may refuse sooner with its own limit). Each is a",
    "4xx with the documented error body (the partners' list is in the getting-started guide's",
    'conventions) and shows in its request\'s access-log line (`"msg":"request"` with the `status`);',
    'what the HTTP parser refuses before Express logs `"request refused by the HTTP parser"` with the',
    "parser's `reason`. No input should ever cause a 5xx: every `INTERNAL_ERROR` is logged at level",
    'error (`"unhandled error"`, or `"export failed"` for a CSV export) with its `requestId` and the',
    'cause, whichever layer it escaped from, so a request id a partner quotes leads to it.',
    '',
    ...metricsSection(),
    ...fragment('runbooks'),
    '',
    '## The sandbox test clock',
    '',
    "Outside production, the program's time can be moved forward through the API (Stripe's test clocks",
    'are the model): `POST /v1/sandbox/clock/advance` with `{"to": "2026-12-01T01:30:00.000Z"}` or',
    '`{"seconds": 86400}`, read with `GET /v1/sandbox/clock` (`sandbox.clock.advance` and',
    '`sandbox.clock.get` in the SDK); any client of the sandbox may call them, and the clock is shared',
    'by everyone on it (and by every gateway and worker on its database). It only moves forward, at',
    'most 400 days at once. After an advance every job is due at once, and each process that runs',
    'the schedule also runs its jobs once more at the new time, one after another in the order of the',
    'table above (a one-at-a-time job another process has already run at the new time is skipped).',
    'The clock answers `ADVANCING` until no job that a live process runs is behind the advance, then',
    '`READY`; meanwhile `pendingJobs` names the jobs still behind and `schedulers` counts the processes',
    'running the schedule (each says so every 5 s in `job_instances`). With no process running the',
    'schedule (`JOBS=off` and no worker) `schedulers` is 0 and the clock stays `ADVANCING`: nothing',
    'would happen at the new time. Every time-based rule follows it (redemption windows,',
    'voucher and balance expiry, runs starting and finishing, the daily settlement, incentive',
    'instalments, one-time codes, identity-check links, idempotency keys); security does not (access',
    'tokens, console sessions, webhook signatures and leases use the real time).',
    '',
    'The test clock is on by default outside production and off with `TEST_CLOCK=false`; a gateway',
    'started with `NODE_ENV=production` and `TEST_CLOCK=true` refuses to start. Without it the API',
    'answers `TEST_CLOCK_DISABLED`.',
    '',
  ].join('\n');
}

if (process.argv[1]?.endsWith('jobs-doc.ts')) process.stdout.write(renderOperationsDoc());
