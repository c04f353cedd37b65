import type { AddressInfo } from 'node:net';
import type { Services } from '@latih/api';
import {
  advanceRuns,
  createPayoutWorker,
  createSealer,
  DEMO_ORGANISATIONS,
  type DevOtpChannel,
  type KeySource,
  refreshRecentRollups,
  runSignalDetection,
  runWebhookWorkerOnce,
  seedDemo,
  seedDemoCatalog,
  seedDemoParticipants,
  seedDemoStaff,
  TokenService,
} from '@latih/core';
import type { Database } from '@latih/db';
import { deleteExpiredIdempotencyKeys } from '@latih/db';
import { createApp } from './app';
import type { Logger } from './logger';
import type { PaymentsSetup } from './payments';

export const VERSION = '0.1.0';

export type Gateway = {
  url: string;
  services: Services;
  close: () => Promise<void>;
};

/**
 * Wires a ready database and key source into a listening HTTP server. Used by main.ts and by the
 * end-to-end tests (which pass their own database and port 0).
 */
export async function startGateway(opts: {
  database: Database;
  keys: KeySource;
  issuer: string | ((port: number) => string);
  logger: Logger;
  host: string;
  port: number;
  seedDemo: boolean;
  nikHashKey: Buffer;
  /** Development: codes readable at GET /dev/otp/:checkoutId. Null: checkout answers OTP_CHANNEL_UNAVAILABLE. */
  otp: DevOtpChannel | null;
  now?: () => number;
  /** Development and tests: webhook endpoints may be http://localhost. Never in production. */
  allowLocalWebhooks?: boolean;
  /** How often the in-process webhook worker looks for work; 0 turns it off. Default 1 000 ms. */
  webhookIntervalMs?: number;
  /** The fetch the webhook worker POSTs with (tests). */
  webhookFetch?: typeof fetch;
  /** The payment provider (or its in-process mock); null: payout procedures answer PAYMENTS_UNAVAILABLE. */
  payments?: PaymentsSetup | null;
  /** How often the in-process payout worker runs (batches, incentives, payouts); 0 turns it off. Default 5 000 ms. */
  payoutIntervalMs?: number;
  /** Report rollups every pass, fraud signals hourly. 0: another process does it. */
  oversightIntervalMs?: number;
}): Promise<Gateway> {
  const { database, logger } = opts;
  await database.migrate();
  if (opts.seedDemo) {
    const created = await seedDemo(database.db);
    if (created > 0) logger.info({ created }, 'seeded demo organisations');
    const courses = await seedDemoCatalog(database.db);
    if (courses > 0) logger.info({ courses }, 'seeded demo courses');
    const participants = await seedDemoParticipants(database.db, opts.nikHashKey);
    if (participants > 0) logger.info({ participants }, 'seeded demo participants');
    const pmo = DEMO_ORGANISATIONS.find((o) => o.kind === 'PMO');
    const staff = pmo ? await seedDemoStaff(database.db, pmo.id) : 0;
    if (staff > 0) logger.info({ staff }, 'seeded demo console staff');
  }

  let issuer = typeof opts.issuer === 'string' ? opts.issuer : '';
  const now = opts.now ?? Date.now;
  const tokens = new TokenService(opts.keys, () => issuer, now);
  const services: Services = {
    db: database.db,
    tokens,
    nikHashKey: opts.nikHashKey,
    otp: opts.otp,
    now,
    allowLocalWebhooks: opts.allowLocalWebhooks === true,
    payments: opts.payments?.client ?? null,
    log: logger,
  };
  const app = createApp({
    services,
    devOtp: opts.otp,
    paymentsWebhookSecret: opts.payments?.webhookSecret ?? null,
    logger,
    version: VERSION,
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

  // Idempotency keys are kept 24 h; sweep expired ones hourly (any gateway may do it).
  const sweep = setInterval(
    () => {
      deleteExpiredIdempotencyKeys(database.db, new Date(now())).catch((err: unknown) =>
        logger.warn({ err }, 'idempotency sweep failed'),
      );
    },
    60 * 60 * 1000,
  );
  sweep.unref();
  // Runs move OPEN → RUNNING → FINISHED with the clock; every gateway may run this (SKIP LOCKED).
  const clock = setInterval(() => {
    advanceRuns({ db: database.db, now: new Date(now()) }).catch((err: unknown) =>
      logger.warn({ err }, 'advancing runs failed'),
    );
  }, 60_000);
  clock.unref();
  const webhooks = startWebhookWorker({
    db: database.db,
    sealer: createSealer(opts.nikHashKey, 'webhook-secrets'),
    now,
    intervalMs: opts.webhookIntervalMs ?? 1000,
    logger,
    ...(opts.webhookFetch ? { fetch: opts.webhookFetch } : {}),
  });
  const payments = opts.payments;
  const payoutWorker = payments
    ? createPayoutWorker({
        db: database.db,
        payments: payments.client,
        sealer: createSealer(opts.nikHashKey, 'payout-destinations'),
        now: () => new Date(now()),
        log: logger,
      })
    : null;
  const payouts = startLoop({
    name: 'payout worker',
    intervalMs: payoutWorker ? (opts.payoutIntervalMs ?? 5000) : 0,
    logger,
    pass: async () => {
      const r = await payoutWorker?.();
      return (r?.settlements ?? 0) >= 20 || (r?.incentives ?? 0) >= 20;
    },
  });

  // Oversight: yesterday's and today's report rollups every pass, fraud signals every hour.
  let signalsAt = 0;
  const oversight = startLoop({
    name: 'oversight worker',
    intervalMs: opts.oversightIntervalMs ?? 60_000,
    logger,
    pass: async () => {
      const at = new Date(now());
      await refreshRecentRollups(database.db, at);
      if (at.getTime() - signalsAt >= 3_600_000) {
        signalsAt = at.getTime();
        const found = await runSignalDetection({ db: database.db, now: at });
        if (found.created > 0) logger.warn(found, 'new fraud signals');
      }
      return false;
    },
  });

  return {
    url,
    services,
    close: async () => {
      clearInterval(sweep);
      clearInterval(clock);
      await webhooks.stop();
      await payouts.stop();
      await oversight.stop();
      opts.payments?.close?.();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    },
  };
}

/**
 * The outbox worker, in-process by default: fans new events out to webhook endpoints and sends
 * what is due. Any number of gateways may run it (work is claimed with SKIP LOCKED).
 */
function startWebhookWorker(opts: {
  db: Database['db'];
  sealer: ReturnType<typeof createSealer>;
  now: () => number;
  intervalMs: number;
  logger: Logger;
  fetch?: typeof fetch;
}): { stop: () => Promise<void> } {
  return startLoop({
    name: 'webhook worker',
    intervalMs: opts.intervalMs,
    logger: opts.logger,
    pass: async () => {
      const r = await runWebhookWorkerOnce({
        db: opts.db,
        now: new Date(opts.now()),
        sealer: opts.sealer,
        log: opts.logger,
        ...(opts.fetch ? { fetch: opts.fetch } : {}),
      });
      return r.events >= 500 || r.deliveries >= 50;
    },
  });
}

/**
 * A background loop: passes never overlap; a pass that says it found a full batch runs again at
 * once, otherwise after the interval. 0 runs nothing (another process does the work).
 */
function startLoop(opts: {
  name: string;
  intervalMs: number;
  logger: Logger;
  pass: () => Promise<boolean>;
}): { stop: () => Promise<void> } {
  if (opts.intervalMs <= 0) return { stop: async () => {} };
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const pass = async () => {
    try {
      return await opts.pass();
    } catch (err) {
      opts.logger.warn({ err }, `${opts.name} pass failed`);
      return false;
    }
  };
  const schedule = (delay: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = pass().then((busy) => schedule(busy ? 0 : opts.intervalMs));
    }, delay);
    timer.unref();
  };
  schedule(opts.intervalMs);
  return {
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
