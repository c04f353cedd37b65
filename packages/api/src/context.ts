import type {
  Actor,
  OtpChannel,
  ProgramClock,
  RegistryVerifier,
  TokenService,
  WebhookLookup,
} from '@latih/core';
import type { Db, ReadReplica } from '@latih/db';
import type { PaymentsClient } from '@latih/payments/client';
import type { ApiContext, ServicesHandle } from './context-types';

export type { ApiContext, ServicesHandle } from './context-types';

/** What every procedure needs from the host. Never part of the published types. */
export type Services = {
  db: Db;
  /**
   * DATABASE_READ_URL: the streaming replica that reads which may lag are sent to (procedures with
   * `reads: 'replica'` in their meta; see replica-reads.ts). Absent: every read is on `db`.
   */
  replica?: ReadReplica | null;
  /**
   * Every query procedure called with these services reads from the replica (CSV exports: a copy
   * of the gateway's services with this set, made by streamExport). Writes are never affected.
   */
  readsFromReplica?: boolean;
  tokens: TokenService;
  /** The key NIKs are hashed with. Changing it breaks duplicate detection: rotate with a re-hash. */
  nikHashKey: Buffer;
  /** Sends checkout one-time codes; null where none is configured (checkout is then unavailable). */
  otp: OtpChannel | null;
  /** The program's time in ms (the clock's `now`): every time-based rule reads it. */
  now: () => number;
  /** The program clock: a sandbox's test clock (sandbox.clock.*); none: the real time. */
  clock?: ProgramClock;
  /**
   * WEBHOOKS_ALLOW_PRIVATE (development and tests only, refused in production): webhook endpoints may
   * be on loopback and private addresses, and plain http to them.
   */
  allowLocalWebhooks?: boolean;
  /** How webhook URLs' host names are resolved for the address check (tests); the system's by default. */
  webhookLookup?: WebhookLookup;
  /**
   * INTEGRATION_SANDBOX (outside production only): test codes (sandbox.testCodes.issue) and the
   * integration protocol's reset exist.
   */
  integrationSandbox?: boolean;
  /** The payment provider (the in-process mock in development); null where none is configured. */
  payments?: PaymentsClient | null;
  /**
   * The population registry's verification service (its in-process double in development); null
   * where none is configured: imported participants then wait PENDING, never pass unchecked.
   */
  registry: RegistryVerifier | null;
  log: { error: (obj: object, msg: string) => void; warn: (obj: object, msg: string) => void };
};

export function servicesHandle(services: Services): ServicesHandle {
  return services as unknown as ServicesHandle;
}

export function servicesOf(ctx: { services: ServicesHandle }): Services {
  return ctx.services as unknown as Services;
}

/** The context after authentication. */
export type AuthedContext = ApiContext & { actor: Actor; db: Db; now: Date };
