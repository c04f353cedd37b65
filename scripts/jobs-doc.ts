import { SCHEDULE } from '@latih/core';

function duration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms % 1_000 === 0) return `${ms / 1_000} s`;
  return `${ms} ms`;
}

/** docs/operations.md, generated from the schedule (`npm run docs:jobs`); a test keeps it current. */
export function renderOperationsDoc(): string {
  return [
    '# Operations: the schedule, the worker and the sandbox clock',
    '',
    '<!-- Generated from packages/core/src/jobs/schedule.ts by `npm run docs:jobs`: edit the schedule (or scripts/jobs-doc.ts), not this file. -->',
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
        `| \`${j.name}\` | ${duration(j.everyMs)} | ${j.mode === 'every-instance' ? 'every instance' : 'one at a time'}${j.enabled ? ' (with a payment provider)' : ''} | ${j.once} | ${j.description} |`,
    ),
    '',
    'A job that stops at its batch limit runs again at once instead of waiting for its interval. The',
    'money jobs (`settlements.batch`, `incentives.evaluate`, `payouts.pay`, `payouts.reconcile`) run',
    'only where a payment provider is configured (always in production; the in-process mock in',
    'development).',
    '',
    '## Where they run',
    '',
    '- **In the gateway** (the default, `JOBS=all`): `npm start` runs the whole schedule in-process.',
    '  Any number of gateways may do so at once.',
    '- **In a worker process**: start the gateways with `JOBS=off` and run `npm run worker` (one or',
    '  several) with the same configuration. The worker needs `DATABASE_URL` (the embedded PGlite',
    '  database can be opened by one process only) and, for the money jobs, `PAYMENTS_BASE_URL`',
    '  (`npm run payments:mock` is a development payment provider that the gateway and the worker can',
    '  share). `WORKER_PORT` makes it answer `/healthz` and `/readyz` (with the jobs below). It stops',
    '  on `SIGTERM` after its running jobs finish (30 s at most).',
    '- **Split further**: `JOBS=webhooks.deliver,payouts.pay` runs only those jobs in a process.',
    '- **Intervals**: `JOB_INTERVALS="webhooks.deliver=500,signals.detect=0"` (milliseconds; 0 switches a',
    '  job off in that process). The older `WEBHOOK_WORKER_INTERVAL_MS` (webhooks.deliver),',
    '  `PAYOUT_WORKER_INTERVAL_MS` (payouts.pay and settlements.batch; 0 switches the money jobs off) and',
    '  `OVERSIGHT_WORKER_INTERVAL_MS` (reports.rollups; 0 also switches signals.detect off) still work.',
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
    '## The sandbox test clock',
    '',
    "Outside production, the program's time can be moved forward through the API (Stripe's test clocks",
    'are the model): `POST /v1/sandbox/clock/advance` with `{"to": "2026-12-01T01:30:00.000Z"}` or',
    '`{"seconds": 86400}`, read with `GET /v1/sandbox/clock` (`sandbox.clock.advance` and',
    '`sandbox.clock.get` in the SDK); any client of the sandbox may call them, and the clock is shared',
    'by everyone on it (and by every gateway and worker on its database). It only moves forward, at',
    'most 400 days at once. After an advance every one-at-a-time job is due at once and one instance',
    'runs every job once at the new time, in the order of the table above; the clock answers',
    '`ADVANCING` until then and `READY` after. Every time-based rule follows it (redemption windows,',
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
