import type { AddressInfo } from 'node:net';
import type { Services } from '@latih/api';
import {
  createScheduler,
  createSealer,
  DEMO_ORGANISATIONS,
  type DevOtpChannel,
  type KeySource,
  type ProgramClock,
  type RegistryVerifier,
  SCHEDULE,
  type Scheduler,
  seedDemo,
  seedDemoCatalog,
  seedDemoParticipants,
  seedDemoStaff,
  TokenService,
} from '@latih/core';
import type { Database, ReadReplica } from '@latih/db';
import { createApp } from './app';
import { answerClientErrors } from './hostile-input';
import { type JobsConfig, legacyIntervals } from './jobs-config';
import type { Logger } from './logger';
import { createMetrics, type MetricsAccess, metricsEnabled, startMetricsServer } from './metrics';
import type { PaymentsSetup } from './payments';
import type { RateLimits } from './rate-limits';
import { mockRegistry } from './registry';

export const VERSION = '0.1.0';

export type Gateway = {
  url: string;
  /** Where /metrics answers when it has a port of its own (METRICS_PORT); null otherwise. */
  metricsUrl: string | null;
  services: Services;
  /** The schedule's runner in this process (with no job, never started, under JOBS=off). */
  scheduler: Scheduler | null;
  /** Graceful stop: unready, wait `drainMs`, then stop accepting and finish what is in flight. */
  close: (o?: { drainMs?: number }) => Promise<void>;
};

/**
 * Wires a ready database and key source into a listening HTTP server. Used by main.ts and by the
 * end-to-end tests (which pass their own database and port 0).
 */
export async function startGateway(opts: {
  database: Database;
  /**
   * DATABASE_READ_URL's replica (openReadReplica): the catalog, reports, statistics and exports read
   * there while it serves. The caller owns it: it closes it after the gateway.
   */
  readReplica?: ReadReplica | null;
  keys: KeySource;
  issuer: string | ((port: number) => string);
  logger: Logger;
  host: string;
  port: number;
  seedDemo: boolean;
  nikHashKey: Buffer;
  /** Development: codes readable at GET /dev/otp/:checkoutId. Null: checkout answers OTP_CHANNEL_UNAVAILABLE. */
  otp: DevOtpChannel | null;
  /** The program clock: a sandbox's TestClock, or the real time (default). */
  clock?: ProgramClock;
  /** Tests: the program time as a function (wrapped into a clock). Ignored when `clock` is given. */
  now?: () => number;
  /** Whether this process runs the schedule (default: every job), and with which intervals. */
  jobs?: JobsConfig;
  /**
   * WEBHOOKS_ALLOW_PRIVATE (development and tests): webhook endpoints may be on loopback and private
   * addresses, registered and delivered to. Never in production.
   */
  allowLocalWebhooks?: boolean;
  /**
   * INTEGRATION_SANDBOX (outside production only): test codes (sandbox.testCodes.issue) and the
   * integration protocol's reset exist. Default: off.
   */
  integrationSandbox?: boolean;
  /** Shorthand for the `webhooks.deliver` job's interval; 0 turns it off. Default 1 000 ms. */
  webhookIntervalMs?: number;
  /** The fetch the webhook worker POSTs with (tests). */
  webhookFetch?: typeof fetch;
  /** The payment provider (or its in-process mock); null: payout procedures answer PAYMENTS_UNAVAILABLE. */
  payments?: PaymentsSetup | null;
  /**
   * The population registry; undefined: its in-process double (development, tests); null: none
   * (production without REGISTRY_BASE_URL: imported participants wait PENDING).
   */
  registry?: RegistryVerifier | null;
  /** Shorthand for the payout jobs' interval (payouts.pay, settlements.batch); 0 turns all four money jobs off. */
  payoutIntervalMs?: number;
  /** Shorthand for reports.rollups' interval; 0 turns it and signals.detect off. */
  oversightIntervalMs?: number;
  /**
   * /metrics (metrics.ts): off unless a token or a port is given. `cacheMs`: how long scrape-time
   * database reads are reused (5 s by default; tests read fresh values with 0).
   */
  metrics?: (MetricsAccess & { cacheMs?: number }) | undefined;
  /**
   * Rate limits (createRateLimits in rate-limits.ts; main.ts builds them from the environment).
   * None: nothing is limited. The caller owns them: it closes them after the gateway.
   */
  rateLimits?: RateLimits | null;
  /** Express's `trust proxy` (TRUST_PROXY): which proxies give the client's address. Default: loopback. */
  trustProxy?: boolean | number | string;
}): Promise<Gateway> {
  const { database, logger } = opts;
  const registry = opts.registry === undefined ? mockRegistry().client : opts.registry;
  await database.migrate();
  if (opts.seedDemo) {
    const created = await seedDemo(database.db);
    if (created > 0) logger.info({ created }, 'seeded demo organisations');
    const courses = await seedDemoCatalog(database.db);
    if (courses > 0) logger.info({ courses }, 'seeded demo courses');
    const participants = await seedDemoParticipants(database.db, opts.nikHashKey, registry);
    if (participants > 0) logger.info({ participants }, 'seeded demo participants');
    const pmo = DEMO_ORGANISATIONS.find((o) => o.kind === 'PMO');
    const staff = pmo ? await seedDemoStaff(database.db, pmo.id) : 0;
    if (staff > 0) logger.info({ staff }, 'seeded demo console staff');
  }

  const readReplica = opts.readReplica ?? null;
  if (readReplica) {
    // Once before serving, so that the first reads already go where they should (after the
    // migration above: a replica serves only once it has replayed it).
    const r = await readReplica.check();
    logger.info(
      { replicaState: r.state, lagMs: r.lagMs, maxLagMs: r.maxLagMs, reason: r.reason },
      'read replica configured (DATABASE_READ_URL)',
    );
  }

  let issuer = typeof opts.issuer === 'string' ? opts.issuer : '';
  const fixedNow = opts.now;
  const clock: ProgramClock = opts.clock ?? {
    kind: 'system',
    now: fixedNow ?? Date.now,
    refresh: async () => {},
  };
  let scheduler: Scheduler | null = null;
  const now = () => clock.now();
  // Tokens live in real time: moving a sandbox clock must not expire them (nor keep them alive).
  const tokens = new TokenService(opts.keys, () => issuer, Date.now);
  const services: Services = {
    db: database.db,
    replica: readReplica,
    tokens,
    nikHashKey: opts.nikHashKey,
    registry,
    otp: opts.otp,
    now,
    clock,
    allowLocalWebhooks: opts.allowLocalWebhooks === true,
    integrationSandbox: opts.integrationSandbox === true,
    payments: opts.payments?.client ?? null,
    log: logger,
  };
  const lifecycle = { draining: false };
  const access = opts.metrics && metricsEnabled(opts.metrics) ? opts.metrics : null;
  const poolStats = database.poolStats;
  const metrics = access
    ? createMetrics({
        role: 'gateway',
        version: VERSION,
        http: true,
        db: database.db,
        now,
        jobs: () => scheduler?.status() ?? Promise.resolve(null),
        pool: poolStats ? () => poolStats.call(database) : undefined,
        replica: readReplica ? () => readReplica.status() : undefined,
        ...(access.cacheMs !== undefined ? { cacheMs: access.cacheMs } : {}),
        log: logger,
      })
    : null;
  const app = createApp({
    rateLimits: opts.rateLimits ?? null,
    ...(opts.trustProxy !== undefined ? { trustProxy: opts.trustProxy } : {}),
    lifecycle,
    services,
    devOtp: opts.otp,
    paymentsWebhookSecret: opts.payments?.webhookSecret ?? null,
    metrics:
      metrics && access ? { metrics, onPublicPort: access.port === undefined, token: access.token } : null,
    logger,
    version: VERSION,
    clock,
    jobs: () => scheduler?.status() ?? Promise.resolve(null),
    ...(readReplica ? { readReplica: () => readReplica.status() } : {}),
    ready: async () => {
      try {
        await database.ping();
        if (!(await database.migrationsCurrent()))
          return { ok: false, reason: 'Database migrations are not current.' };
        return { ok: true };
      } catch {
        return { ok: false, reason: 'The database is not reachable.' };
      }
    },
  });

  const server = app.listen(opts.port, opts.host);
  answerClientErrors(server, logger);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new Error(
              `PORT ${opts.port} is already in use on ${opts.host}: stop the other process or set PORT`,
            )
          : err,
      ),
    );
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}`;
  if (typeof opts.issuer !== 'string') issuer = opts.issuer(port);
  opts.payments?.setWebhookUrl?.(`${url}/payments/webhook`);
  const metricsServer =
    metrics && access?.port !== undefined
      ? await startMetricsServer({ metrics, token: access.token, port: access.port, host: access.host })
      : null;

  // The one schedule (packages/core/src/jobs/schedule.ts), in this process unless JOBS=off.
  // With JOBS=off the scheduler is made with no job and never started: /readyz still shows what
  // the worker processes did (from job_runs), with runsHere false.
  const runJobs = opts.jobs?.run ?? true;
  const runner = createScheduler({
    db: database.db,
    clock,
    jobs: SCHEDULE,
    deps: {
      db: database.db,
      payments: opts.payments?.client ?? null,
      webhookSealer: createSealer(opts.nikHashKey, 'webhook-secrets'),
      payoutSealer: createSealer(opts.nikHashKey, 'payout-destinations'),
      registry,
      nikKey: opts.nikHashKey,
      otpInbox: opts.otp,
      webhookAllowPrivate: opts.allowLocalWebhooks === true,
      ...(opts.webhookFetch ? { webhookFetch: opts.webhookFetch } : {}),
    },
    log: logger,
    intervals: {
      ...legacyIntervals({
        webhookIntervalMs: opts.webhookIntervalMs,
        payoutIntervalMs: opts.payoutIntervalMs,
        oversightIntervalMs: opts.oversightIntervalMs,
      }),
      ...opts.jobs?.intervals,
    },
    ...(!runJobs ? { only: [] } : opts.jobs?.only ? { only: opts.jobs.only } : {}),
  });
  scheduler = runner;
  if (runJobs) {
    await runner.start();
    logger.info(
      { instance: runner.instanceId, jobs: runner.jobNames },
      'running the schedule in this process',
    );
  } else logger.info('JOBS=off: this gateway runs no job (npm run worker does)');

  return {
    url,
    metricsUrl: metricsServer?.url ?? null,
    services,
    scheduler,
    close: async (o: { drainMs?: number } = {}) => {
      // Unready first (the load balancer's health check sees 503 and stops sending), answers close
      // their connections; after the drain, stop accepting and finish what is in flight, while the
      // schedule lets its running jobs finish, frees their leases and leaves the instance list.
      lifecycle.draining = true;
      if (o.drainMs) await new Promise((r) => setTimeout(r, o.drainMs));
      await Promise.all([
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        }),
        scheduler?.stop(),
      ]);
      opts.payments?.close?.();
      await metricsServer?.close();
      metrics?.close();
    },
  };
}
