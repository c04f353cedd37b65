import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  createScheduler,
  createSealer,
  type ProgramClock,
  SCHEDULE,
  systemClock,
  TestClock,
} from '@latih/core';
import { openDatabase } from '@latih/db';
import { existingDevelopmentNikKey } from './dev-keys';
import { VERSION } from './gateway';
import { legacyIntervals } from './jobs-config';
import { createLogger } from './logger';
import { createMetrics, type Metrics, metricsEnabled, metricsRequestHandler } from './metrics';
import { realPayments } from './payments';
import { configOrExit, runMain, stopOnSignals } from './process';
import { mockRegistry, realRegistry } from './registry';

/**
 * `npm run worker`: the schedule (packages/core/src/jobs/schedule.ts) in a process of its own, for
 * operators who separate web and workers. Start the gateways with JOBS=off; run one worker or
 * several (their jobs share the work the same way gateways do). It reads the same configuration as
 * the gateway, needs PostgreSQL (the embedded PGlite belongs to one process) and, for the money
 * jobs, a payment provider (PAYMENTS_BASE_URL; `npm run payments:mock` in development).
 */
async function main(): Promise<void> {
  const config = configOrExit();
  const logger = createLogger(config.logLevel, undefined, 'latih-worker');
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
  // The key the gateways seal webhook secrets and payout destinations with: the worker must have the
  // same one, never make its own (in development, the gateway's DATA_DIR holds it).
  const nikHashKey = config.nikHashKey ?? existingDevelopmentNikKey(config.dataDir);
  if (!nikHashKey) {
    console.error(
      `Invalid configuration:\n  NIK_HASH_KEY: is required by npm run worker: the gateways' key (in development, start the worker with the gateway's DATA_DIR, which holds it; ${config.dataDir} does not)`,
    );
    process.exit(1);
  }
  // Listen first: a port in use stops the worker before it runs any job.
  // Until the schedule runs, /readyz answers 503 (and /healthz 200).
  let readiness: () => Promise<{ status: number; body: unknown }> = async () => ({
    status: 503,
    body: { status: 'starting' },
  });
  // /metrics (when METRICS_TOKEN or METRICS_PORT is set) answers here too, once the schedule runs.
  let metrics: Metrics | null = null;
  const wantMetrics = metricsEnabled(config.metrics);
  const answerMetrics = (req: IncomingMessage, res: ServerResponse) =>
    metrics ? metricsRequestHandler(metrics, config.metrics.token)(req, res) : false;
  const server = config.workerPort
    ? await listenForHealth(config.workerPort, config.host, () => readiness(), answerMetrics)
    : null;
  if (wantMetrics && !server)
    logger.warn('the worker answers /metrics on WORKER_PORT: set WORKER_PORT to scrape its jobs');
  const database = await openDatabase({
    url: config.databaseUrl,
    dataDir: config.dataDir,
    poolSize: config.dbPoolSize,
  });
  await database.migrate();
  const payments = config.payments ? realPayments(config.payments) : null;
  if (!payments)
    logger.warn(
      'PAYMENTS_BASE_URL is not set: the money jobs (settlements.batch, incentives.evaluate, payouts.pay, payouts.reconcile) do not run here. In development, start `npm run payments:mock` and set the variables it prints, on the gateway and here.',
    );
  if (config.webhooksAllowPrivate)
    logger.warn(
      'WEBHOOKS_ALLOW_PRIVATE=true: webhooks may go to loopback and private addresses (development only).',
    );
  if (config.readReplica)
    logger.info(
      'DATABASE_READ_URL is set: the worker does not use it (its jobs read what they write, on the primary); the gateways read from the replica',
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
      webhookAllowPrivate: config.webhooksAllowPrivate,
      // The registry double answers from reserved serials, not state: the worker's agrees with the gateways'.
      registry: config.registry
        ? realRegistry(config.registry)
        : config.nodeEnv === 'production'
          ? null
          : mockRegistry().client,
      nikKey: nikHashKey,
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
  if (wantMetrics) {
    const poolStats = database.poolStats;
    metrics = createMetrics({
      role: 'worker',
      version: VERSION,
      http: false,
      db: database.db,
      now: () => clock.now(),
      jobs: () => scheduler.status(),
      pool: poolStats ? () => poolStats.call(database) : undefined,
      log: logger,
    });
  }
  logger.info(
    { instance: scheduler.instanceId, jobs: scheduler.jobNames, clock: clock.kind },
    'worker running the schedule',
  );

  readiness = () =>
    Promise.all([database.ping(), scheduler.status()]).then(
      ([, jobs]) => ({
        status: 200,
        body: {
          status: 'ready',
          ...(clock.kind === 'test'
            ? { clock: { kind: 'test', now: new Date(clock.now()).toISOString() } }
            : {}),
          jobs,
        },
      }),
      () => ({ status: 503, body: { status: 'unavailable', reason: 'The database is not reachable.' } }),
    );

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

/**
 * /healthz and /readyz for the orchestrator and operators (WORKER_PORT), and whatever `other`
 * answers (/metrics); a port in use is a clear error.
 */
function listenForHealth(
  port: number,
  host: string,
  ready: () => Promise<{ status: number; body: unknown }>,
  other: (req: IncomingMessage, res: ServerResponse) => boolean,
): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer((req, res) => {
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify(body));
      };
      if (req.url === '/healthz') return send(200, { status: 'ok' });
      if (req.url === '/readyz') return void ready().then((r) => send(r.status, r.body));
      if (other(req, res)) return;
      return send(404, { code: 'ROUTE_NOT_FOUND' });
    });
    server.once('error', (err: NodeJS.ErrnoException) => {
      console.error(
        err.code === 'EADDRINUSE'
          ? `WORKER_PORT ${port} is already in use on ${host}: stop the other process or set WORKER_PORT`
          : `WORKER_PORT ${port}: ${err.message}`,
      );
      process.exit(1);
    });
    server.listen(port, host, () => resolve(server));
  });
}

runMain(main);
