import { createServer } from 'node:http';
import {
  createScheduler,
  createSealer,
  type ProgramClock,
  SCHEDULE,
  systemClock,
  TestClock,
} from '@latih/core';
import { openDatabase } from '@latih/db';
import { developmentNikKey } from './dev-keys';
import { legacyIntervals } from './jobs-config';
import { createLogger } from './logger';
import { realPayments } from './payments';
import { configOrExit, runMain, stopOnSignals } from './process';

/**
 * `npm run worker`: the schedule (packages/core/src/jobs/schedule.ts) in a process of its own, for
 * operators who separate web and workers. Start the gateways with JOBS=off; run one worker or
 * several (their jobs share the work the same way gateways do). It reads the same configuration as
 * the gateway, needs PostgreSQL (the embedded PGlite belongs to one process) and, for the money
 * jobs, a payment provider (PAYMENTS_BASE_URL; `npm run payments:mock` in development).
 */
async function main(): Promise<void> {
  const config = configOrExit();
  const logger = createLogger(config.logLevel).child({ service: 'latih-worker' });
  if (!config.databaseUrl) {
    console.error(
      'Invalid configuration:\n  DATABASE_URL: is required by npm run worker (the embedded PGlite database can be opened by one process only: the gateway runs the jobs itself there)',
    );
    process.exit(1);
  }
  if (!config.jobs.run) {
    console.error('Invalid configuration:\n  JOBS="off": a worker with no jobs has nothing to do');
    process.exit(1);
  }
  const database = await openDatabase({
    url: config.databaseUrl,
    dataDir: config.dataDir,
    poolSize: config.dbPoolSize,
  });
  await database.migrate();
  const nikHashKey = config.nikHashKey ?? developmentNikKey(config.dataDir, logger);
  const payments = config.payments ? realPayments(config.payments) : null;
  if (!payments)
    logger.warn(
      'PAYMENTS_BASE_URL is not set: the money jobs (settlements.batch, incentives.evaluate, payouts.pay, payouts.reconcile) do not run here. In development, start `npm run payments:mock` and set the variables it prints, on the gateway and here.',
    );
  const clock: ProgramClock = config.testClock ? new TestClock(database.db) : systemClock;
  const scheduler = createScheduler({
    db: database.db,
    clock,
    jobs: SCHEDULE,
    deps: {
      db: database.db,
      payments: payments?.client ?? null,
      webhookSealer: createSealer(nikHashKey, 'webhook-secrets'),
      payoutSealer: createSealer(nikHashKey, 'payout-destinations'),
    },
    log: logger,
    intervals: {
      ...legacyIntervals({
        webhookIntervalMs: config.webhookIntervalMs,
        payoutIntervalMs: config.payoutIntervalMs,
        oversightIntervalMs: config.oversightIntervalMs,
      }),
      ...config.jobs.intervals,
    },
    ...(config.jobs.only ? { only: config.jobs.only } : {}),
  });
  await scheduler.start();
  logger.info(
    { instance: scheduler.instanceId, jobs: scheduler.jobNames, clock: clock.kind },
    'worker running the schedule',
  );

  // Optional: /healthz and /readyz (with every job's last run) for the orchestrator and operators.
  const server = config.workerPort
    ? createServer((req, res) => {
        const send = (status: number, body: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
          res.end(JSON.stringify(body));
        };
        if (req.url === '/healthz') return send(200, { status: 'ok' });
        if (req.url === '/readyz')
          return void Promise.all([database.ping(), scheduler.status()]).then(
            ([, jobs]) => send(200, { status: 'ready', jobs }),
            () => send(503, { status: 'unavailable', reason: 'The database is not reachable.' }),
          );
        return send(404, { code: 'ROUTE_NOT_FOUND' });
      }).listen(config.workerPort, config.host)
    : null;

  stopOnSignals(logger, {
    graceMs: 30_000,
    what: 'letting running jobs finish',
    stop: async () => {
      server?.close();
      await scheduler.stop();
      payments?.close?.();
      await database.close();
    },
  });
}

runMain(main);
