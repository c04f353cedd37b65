import { type ApiContext, appRouter, createCallerFactory, type Services, servicesHandle } from '@latih/api';
import {
  createOrganisationWithClient,
  DevOtpChannel,
  generateStoredKey,
  type LoadedKey,
  loadKeySet,
  TokenService,
} from '@latih/core';
import type { Database } from '@latih/db';
import { createRegistryClient, createRegistryMock } from '@latih/registry';
import { afterAll, beforeAll } from 'vitest';
import { type EngineName, freshDatabase, type TestDatabase } from './db';

export const ISSUER = 'https://gateway.latih.test';
export const TEST_NIK_KEY = Buffer.alloc(32, 7);
const REGISTRY_URL = 'https://registry.test.latih.invalid';
const createCaller = createCallerFactory(appRouter);

export type Who = 'pmo' | 'providerA' | 'providerB' | 'platformA' | 'platformB';

export const silentLog = { error: () => undefined, warn: () => undefined };

/**
 * In-process harness in the style of tRPC's own tests: real procedures, real database, tokens
 * signed by a throwaway key, called through createCaller.
 */
export async function makeHarness(database: Database, opts: { now?: () => number } = {}) {
  // A clock tests may set (redemption windows, deadlines); the real one by default.
  let fixedNow: number | undefined;
  let fixedRealNow: number | undefined;
  const now = opts.now ?? (() => fixedNow ?? Date.now());
  const clock = {
    /** The program's time (windows, deadlines, sessions), as a sandbox clock moves it. */
    set: (at: Date) => {
      fixedNow = at.getTime();
    },
    /** The real time tokens and client credentials live in (as the gateway's), for expiry tests. */
    setReal: (at: Date) => {
      fixedRealNow = at.getTime();
    },
    reset: () => {
      fixedNow = undefined;
      fixedRealNow = undefined;
    },
  };
  const otp = new DevOtpChannel();
  const keys: LoadedKey[] = loadKeySet({ keys: [generateStoredKey(new Date(0), new Date(0))] });
  // Tokens live in real time, as the gateway's do: moving the program clock must not expire them.
  const tokens = new TokenService(
    () => keys,
    ISSUER,
    () => fixedRealNow ?? Date.now(),
  );
  const logged: object[] = [];
  // The population registry's double, quick: tests set its people and faults (h.registry).
  const registry = createRegistryMock({
    baseUrl: REGISTRY_URL,
    apiKey: 'rk_test_harness',
    latencyMs: [0, 2],
  });
  const services: Services = {
    db: database.db,
    tokens,
    nikHashKey: TEST_NIK_KEY,
    registry: createRegistryClient({
      baseUrl: REGISTRY_URL,
      apiKey: 'rk_test_harness',
      fetch: registry.fetch,
      sleep: async () => undefined,
    }),
    otp,
    now,
    allowLocalWebhooks: true,
    log: { error: (o) => logged.push(o), warn: () => undefined },
  };
  const make = (kind: 'PMO' | 'PROVIDER' | 'PLATFORM', name: string) =>
    createOrganisationWithClient(database.db, { kind, name });
  const orgs = {
    pmo: await make('PMO', 'Program office'),
    providerA: await make('PROVIDER', 'Provider A'),
    providerB: await make('PROVIDER', 'Provider B'),
    platformA: await make('PLATFORM', 'Platform A'),
    platformB: await make('PLATFORM', 'Platform B'),
  };
  const role = {
    pmo: 'pmo',
    providerA: 'provider',
    providerB: 'provider',
    platformA: 'platform',
    platformB: 'platform',
  } as const;
  const defaultScopes = {
    pmo: ['pmo:read', 'pmo:write', 'catalog:read'],
    provider: ['catalog:read', 'catalog:write', 'vouchers:redeem', 'reports:write'],
    platform: ['catalog:read', 'orders:write'],
  } as const;

  function tokenFor(who: Who, scopes?: string[]): string {
    const org = orgs[who];
    return tokens.issue({
      organisationId: org.organisationId,
      role: role[who],
      clientId: org.clientId,
      scopes: (scopes ?? [...defaultScopes[role[who]]]) as never,
    }).token;
  }

  function session(
    who: Who | null,
    o: { idempotencyKey?: string; requestId?: string; authorization?: string; scopes?: string[] } = {},
  ) {
    const headers = new Map<string, string>();
    const ctx: ApiContext = {
      requestId: o.requestId ?? `req_test_${Math.random().toString(36).slice(2)}`,
      authorization: o.authorization ?? (who ? `Bearer ${tokenFor(who, o.scopes)}` : null),
      idempotencyKey: o.idempotencyKey ?? null,
      setHeader: (n, v) => headers.set(n.toLowerCase(), v),
      services: servicesHandle(services),
    };
    return { api: createCaller(ctx), headers, requestId: ctx.requestId };
  }

  const caller = (who: Who | null, o: Parameters<typeof session>[1] = {}) => session(who, o).api;

  return { services, tokens, orgs, caller, session, tokenFor, logged, otp, clock, registry, db: database.db };
}

export const sampleCourse = {
  title: 'Pengolahan Keripik Pisang untuk Usaha Rumahan',
  summary: 'Membuat dan mengemas keripik pisang yang layak jual',
  category: 'food-processing' as const,
  mode: 'LURING' as const,
  hours: 16,
  price: 1_500_000,
};

/** The AppError code carried by a TRPCError thrown from a caller. */
export function codeOf(err: unknown): string | undefined {
  const cause = (err as { cause?: { code?: string } }).cause;
  return cause?.code;
}

export type Harness = Awaited<ReturnType<typeof makeHarness>> & { database: TestDatabase };

/**
 * Registers beforeAll/afterAll for a fresh database and harness, and returns a stand-in that
 * forwards to the harness once it exists (use it inside tests, not at collection time).
 */
export function useHarness(engine: EngineName, opts: { poolSize?: number } = {}): Harness {
  let current: Harness | undefined;
  beforeAll(async () => {
    const database = await freshDatabase(engine, opts);
    current = { ...(await makeHarness(database)), database };
  });
  afterAll(async () => {
    await current?.database.drop();
  });
  return new Proxy({} as Harness, {
    get(_target, prop) {
      if (!current) throw new Error('the harness exists only inside tests (after beforeAll)');
      return current[prop as keyof Harness];
    },
  });
}
