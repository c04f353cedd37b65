import type { AddressInfo } from 'node:net';
import type { Services } from '@latih/api';
import {
  advanceRuns,
  type DevOtpChannel,
  type KeySource,
  seedDemo,
  seedDemoCatalog,
  seedDemoParticipants,
  TokenService,
} from '@latih/core';
import type { Database } from '@latih/db';
import { deleteExpiredIdempotencyKeys } from '@latih/db';
import { createApp } from './app';
import type { Logger } from './logger';

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
    log: logger,
  };
  const app = createApp({
    services,
    devOtp: opts.otp,
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

  return {
    url,
    services,
    close: async () => {
      clearInterval(sweep);
      clearInterval(clock);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    },
  };
}
