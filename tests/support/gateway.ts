import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { DEMO_ORGANISATIONS, DevOtpChannel, type RegistryVerifier, TestClock } from '@latih/core';
import { startGateway } from '../../apps/gateway/src/gateway';
import { FileKeyStore } from '../../apps/gateway/src/keystore';
import { createLogger } from '../../apps/gateway/src/logger';
import type { PaymentsSetup } from '../../apps/gateway/src/payments';
import type { RateLimits } from '../../apps/gateway/src/rate-limits';
import { type EngineName, freshDatabase, type TestDatabase } from './db';

/**
 * As `npm start` runs outside production: the sandbox test clock on the gateway's database (moved
 * only through the API) and the whole schedule in-process. `jobIntervals` (ms, by job name) only
 * shortens intervals so that tests wait less; every job still runs.
 */
export type SandboxOptions = {
  jobIntervals?: Record<string, number>;
  /** false: this gateway runs no job, as with JOBS=off and no worker (the clock then stays ADVANCING). */
  runJobs?: boolean;
};

/** A real gateway on a random port over a fresh database, with its key file and log lines. */
export async function startTestGateway(
  opts: {
    now?: () => number;
    payments?: PaymentsSetup;
    payoutIntervalMs?: number;
    /** Run it as `npm start` does: test clock and the whole schedule (see SandboxOptions). */
    sandbox?: SandboxOptions;
    /** Rate limits (createRateLimits); none by default. The caller closes them after the gateway. */
    rateLimits?: RateLimits;
    /** The database engine (default PGlite); PostgreSQL needs TEST_DATABASE_URL. */
    engine?: EngineName;
    /** The population registry (a client over a double the test controls); default: the gateway's own double. */
    registry?: RegistryVerifier | null;
  } = {},
) {
  const dir = mkdtempSync(join(tmpdir(), 'latih-e2e-'));
  const keyFile = join(dir, 'signing-keys.json');
  const keys = FileKeyStore.open({ file: keyFile, createIfMissing: true });
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      cb();
    },
  });
  const database: TestDatabase = await freshDatabase(opts.engine ?? 'pglite');
  const sandbox = opts.sandbox;
  if (sandbox && opts.now) throw new Error('a sandbox gateway moves its time through the clock API only');
  const clock = sandbox ? new TestClock(database.db) : null;
  const gateway = await startGateway({
    database,
    keys: keys.keys,
    issuer: (port) => `http://127.0.0.1:${port}`,
    logger: createLogger('info', sink),
    host: '127.0.0.1',
    port: 0,
    seedDemo: true,
    nikHashKey: Buffer.alloc(32, 7),
    otp: new DevOtpChannel(),
    allowLocalWebhooks: true,
    // As npm start: test codes and the integration protocol's reset exist outside production.
    integrationSandbox: true,
    ...(opts.rateLimits ? { rateLimits: opts.rateLimits } : {}),
    ...(clock
      ? { clock, jobs: { run: sandbox?.runJobs ?? true, intervals: { ...sandbox?.jobIntervals } } }
      : { webhookIntervalMs: 100, oversightIntervalMs: 0 }),
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.registry !== undefined ? { registry: opts.registry } : {}),
    ...(opts.payments
      ? {
          payments: opts.payments,
          ...(clock && opts.payoutIntervalMs === undefined
            ? {}
            : { payoutIntervalMs: opts.payoutIntervalMs ?? 100 }),
        }
      : {}),
  });
  const demo = Object.fromEntries(DEMO_ORGANISATIONS.map((o) => [o.key, o])) as Record<
    (typeof DEMO_ORGANISATIONS)[number]['key'],
    (typeof DEMO_ORGANISATIONS)[number]
  >;
  return {
    url: gateway.url,
    keyFile,
    keys,
    lines,
    demo,
    database,
    /** The sandbox clock (sandbox gateways only); read it, never set it: time moves through the API. */
    clock,
    async token(key: keyof typeof demo): Promise<string> {
      const o = demo[key];
      const res = await fetch(`${gateway.url}/v1/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          grant_type: 'client_credentials',
          client_id: o.clientId,
          client_secret: o.clientSecret,
        }),
      });
      const body = (await res.json()) as { access_token: string };
      return body.access_token;
    },
    async close() {
      await gateway.close();
      keys.close();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
