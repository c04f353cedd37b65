import { generateStoredKey } from '@latih/core';
import {
  CASE_OUTCOMES,
  CASE_STATUSES,
  COURSE_MODES,
  createLatihClient,
  INCENTIVE_STATUSES,
  isLatihError,
  LatihAuthError,
  LatihError,
  ORGANISATION_STATUSES,
  REJECTION_REASONS,
  SETTLEMENT_STATUSES,
  SIGNAL_STATUSES,
  SIGNAL_TYPES,
  STATISTIC_DIMENSIONS,
  WEBHOOK_DELIVERY_STATUSES,
} from '@latih/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeKeySet } from '../../apps/gateway/src/keystore';
import { startTestGateway } from '../support/gateway';

const course = {
  title: 'Fotografi Produk untuk Pemula',
  summary: 'Memotret produk UMKM dengan ponsel dan cahaya alami',
  category: 'photography' as const,
  mode: 'WEBINAR' as const,
  hours: 16,
  price: 900_000,
};

describe('the SDK against a running gateway', () => {
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw?.close();
  });

  /** A client whose fetch records every request it sends. */
  function client(key: keyof typeof gw.demo) {
    const sent: { url: string; headers: Headers }[] = [];
    const o = gw.demo[key];
    const latih = createLatihClient({
      baseUrl: `${gw.url}/`,
      clientId: o.clientId,
      clientSecret: o.clientSecret,
      fetch: (input, init) => {
        sent.push({ url: String(input), headers: new Headers(init?.headers) });
        return fetch(input, init);
      },
    });
    return { latih, sent };
  }

  it('walks the first slice: create a draft, read it back, other provider and platform get NOT_FOUND, PMO lists', async () => {
    const a = client('provider-a').latih;
    const created = await a.provider.courses.create.mutate(course);
    expect(created).toMatchObject({ status: 'DRAFT', providerId: gw.demo['provider-a'].id, price: 900_000 });
    expect(await a.provider.courses.get.query({ id: created.id })).toEqual(created);

    const err = await client('provider-b')
      .latih.provider.courses.get.query({ id: created.id })
      .catch((e: unknown) => e);
    expect(isLatihError(err)).toBe(true);
    expect(err).toBeInstanceOf(LatihError);
    expect(err).toMatchObject({ code: 'NOT_FOUND', status: 404, field: 'id', retryable: false });
    expect((err as LatihError).requestId).toMatch(/^req_/);

    const p = await client('platform-a')
      .latih.platform.catalog.get.query({ id: created.id })
      .catch((e: unknown) => e);
    expect(p).toMatchObject({ code: 'NOT_FOUND' });

    const orgs = await client('pmo').latih.pmo.organisations.list.query({ kind: 'PROVIDER' });
    expect(orgs.items.map((o) => o.id).sort()).toEqual(
      [gw.demo['provider-a'].id, gw.demo['provider-b'].id].sort(),
    );
  });

  it('fetches one token, caches it across calls, and batches queries', async () => {
    const { latih, sent } = client('provider-a');
    await Promise.all([
      latih.provider.courses.list.query(),
      latih.auth.whoami.query(),
      latih.provider.courses.list.query({ limit: 1 }),
    ]);
    await latih.auth.whoami.query();
    expect(sent.filter((s) => s.url.endsWith('/v1/oauth/token'))).toHaveLength(1);
    const trpc = sent.filter((s) => s.url.includes('/trpc/'));
    expect(trpc[0]?.url).toContain('batch=1');
    expect(trpc.every((s) => s.headers.get('authorization')?.startsWith('Bearer '))).toBe(true);
  });

  it('adds an Idempotency-Key to each mutation, and a caller-given key replays', async () => {
    const { latih, sent } = client('provider-a');
    await latih.provider.courses.create.mutate({ ...course, title: 'Kunci otomatis' });
    const keyHeader = sent
      .find((s) => s.url.includes('provider.courses.create'))
      ?.headers.get('idempotency-key');
    expect(keyHeader).toMatch(/^[0-9a-f-]{36}$/);

    const input = { ...course, title: 'Kunci dari pemanggil' };
    const one = await latih.provider.courses.create.mutate(input, {
      context: { idempotencyKey: 'order-42' },
    });
    const two = await latih.provider.courses.create.mutate(input, {
      context: { idempotencyKey: 'order-42' },
    });
    expect(two.id).toBe(one.id);
    const reused = await latih.provider.courses.create
      .mutate({ ...input, price: 1 }, { context: { idempotencyKey: 'order-42' } })
      .catch((e: unknown) => e);
    expect(reused).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', status: 422 });
  });

  it('typed validation errors name the field', async () => {
    const err = await client('provider-a')
      .latih.provider.courses.create.mutate({ ...course, price: 10.5 })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'VALIDATION_FAILED', field: 'price', status: 400 });
  });

  it('retries once with a fresh token after a 401 (keys rotated away under it)', async () => {
    const { latih, sent } = client('provider-b');
    await latih.auth.whoami.query();
    // An emergency rotation: the old key is withdrawn at once, so tokens it signed now fail.
    const now = new Date();
    writeKeySet(gw.keyFile, { keys: [generateStoredKey(now, now)] });
    gw.keys.reload();
    const me = await latih.auth.whoami.query();
    expect(me.organisationId).toBe(gw.demo['provider-b'].id);
    expect(sent.filter((s) => s.url.endsWith('/v1/oauth/token'))).toHaveLength(2);
  });

  it('a wrong secret throws LatihAuthError with the OAuth error code', async () => {
    const bad = createLatihClient({ baseUrl: gw.url, clientId: gw.demo.pmo.clientId, clientSecret: 'wrong' });
    const err = await bad.auth.whoami.query().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LatihError);
    expect(err).toMatchObject({
      code: 'CLIENT_AUTH_FAILED',
      status: 401,
      retryable: false,
      docUrl: '/docs/errors/CLIENT_AUTH_FAILED',
    });
    let auth: unknown = err;
    while (auth && !(auth instanceof LatihAuthError)) auth = (auth as { cause?: unknown }).cause;
    expect(auth).toMatchObject({ error: 'invalid_client', status: 401 });
    // The token endpoint's request id survives, so the refusal can be quoted and found in its log.
    const requestId = (err as LatihError).requestId;
    expect(requestId).toMatch(/^req_[0-9a-f]{32}$/);
    expect((auth as LatihAuthError).requestId).toBe(requestId);
    // And its code has a page of its own on the gateway.
    const page = await fetch(`${gw.url}${(err as LatihError).docUrl}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('CLIENT_AUTH_FAILED');
  });

  it('exports the same closed lists of values the gateway publishes in its OpenAPI document', async () => {
    const doc = (await (await fetch(`${gw.url}/v1/openapi.json`)).json()) as {
      components: { schemas: Record<string, { properties?: Record<string, { enum?: string[] }> }> };
    };
    const enumOf = (schema: string, property: string) =>
      doc.components.schemas[schema]?.properties?.[property]?.enum;
    expect(enumOf('Signal', 'type')).toEqual([...SIGNAL_TYPES]);
    expect(enumOf('Signal', 'status')).toEqual([...SIGNAL_STATUSES]);
    expect(enumOf('ControlCase', 'status')).toEqual([...CASE_STATUSES]);
    expect(enumOf('Organisation', 'status')).toEqual([...ORGANISATION_STATUSES]);
    expect(enumOf('Settlement', 'status')).toEqual([...SETTLEMENT_STATUSES]);
    expect(enumOf('Incentive', 'status')).toEqual([...INCENTIVE_STATUSES]);
    expect(enumOf('WebhookDelivery', 'status')).toEqual([...WEBHOOK_DELIVERY_STATUSES]);
    expect(enumOf('Statistics', 'dimension')).toEqual([...STATISTIC_DIMENSIONS]);
    const text = JSON.stringify(doc);
    for (const values of [COURSE_MODES, REJECTION_REASONS, CASE_OUTCOMES])
      expect(text).toContain(JSON.stringify([...values]).slice(1, -1));
  });
});
