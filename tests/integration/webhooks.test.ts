import {
  createSealer,
  deliverDue,
  fanOutEvents,
  parseWebhookTarget,
  retryDelayMs,
  runWebhookWorkerOnce,
} from '@latih/core';
import { schema } from '@latih/db';
import { LatihWebhookError, verifyWebhook } from '@latih/sdk';
import { and, eq, sql } from 'drizzle-orm';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { fullCourse } from '../support/catalog-fixtures';
import { engines, postgresAvailable } from '../support/db';
import { feedsCaughtUp } from '../support/feed-horizon';
import { codeOf, type Harness, useHarness } from '../support/harness';

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => 'OK',
    (e: unknown) => codeOf(e),
  );

type Received = { url: string; headers: Record<string, string>; body: string };

/** A partner endpoint played by a fetch function: records every request, answers as told. */
function receiver(answer: (r: Received) => number | 'timeout' = () => 200) {
  const received: Received[] = [];
  const fetchFn = (async (url: string | URL | Request, init?: RequestInit) => {
    const headers = Object.fromEntries(new Headers(init?.headers).entries());
    const r = { url: String(url), headers, body: String(init?.body ?? '') };
    received.push(r);
    const a = answer(r);
    if (a === 'timeout') throw Object.assign(new Error('timed out'), { name: 'TimeoutError' });
    return new Response('ok', { status: a });
  }) as typeof fetch;
  return { received, fetchFn };
}

const sealerOf = (h: Harness) => createSealer(h.services.nikHashKey, 'webhook-secrets');
const MIN = 60_000;

async function newCourse(h: Harness, who: 'providerA' | 'providerB' = 'providerA') {
  return h.caller(who).provider.courses.create({ ...fullCourse, title: `Kelas ${Math.random()}` });
}

async function deliveriesOf(h: Harness, endpointId: string) {
  return h.db
    .select()
    .from(schema.webhookDeliveries)
    .where(eq(schema.webhookDeliveries.endpointId, endpointId));
}

/** The URL rules alone (no DNS), as registration checks them before resolving the name. */
const validUrl = (raw: string, allowLocal: boolean) => parseWebhookTarget(raw, allowLocal).url.toString();

describe('webhook URLs', () => {
  it('accepts public https only (http://localhost only where allowed), no credentials, no fragment, no private address', () => {
    expect(validUrl('https://partner.example/hooks', false)).toBe('https://partner.example/hooks');
    expect(validUrl('http://localhost:4000/h', true)).toBe('http://localhost:4000/h');
    for (const bad of [
      'http://partner.example/hooks',
      'http://localhost:4000/h',
      'https://user:pw@partner.example/h',
      'https://partner.example/h#x',
      'https://127.0.0.1/h',
      'https://10.1.2.3/h',
      'https://192.168.0.10/h',
      'https://172.20.0.1/h',
      'https://169.254.169.254/latest/meta-data',
      'https://[::1]/h',
      'https://localhost/h',
      'not a url',
    ]) {
      expect(() => validUrl(bad, false), bad).toThrow(
        expect.objectContaining({ code: 'WEBHOOK_URL_INVALID' }),
      );
    }
  });

  it('backs off exponentially from 30 s to at most 6 h, with jitter over the upper half', () => {
    expect(retryDelayMs(1, () => 0)).toBe(15_000);
    expect(retryDelayMs(1, () => 1)).toBe(30_000);
    expect(retryDelayMs(3, () => 1)).toBe(120_000);
    expect(retryDelayMs(30, () => 1)).toBe(6 * 3_600_000);
    expect(retryDelayMs(30, () => 0)).toBe(3 * 3_600_000);
  });
});

describe.each(engines())('webhooks on %s', (engine) => {
  const h = useHarness(engine);

  it('manages endpoints per organisation: the secret is shown once, others see nothing of them', async () => {
    const hooks = h.caller('providerA').provider.webhooks;
    const { endpoint, secret } = await hooks.create({
      url: 'https://partner.example/latih',
      eventTypes: ['course.created', 'voucher.redeemed'],
      description: 'production',
    });
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(endpoint).toMatchObject({ status: 'ENABLED', failingSince: null, secrets: [{ expiresAt: null }] });
    expect(JSON.stringify(await hooks.list())).not.toContain(secret);
    const [stored] = await h.db
      .select()
      .from(schema.webhookSecrets)
      .where(eq(schema.webhookSecrets.endpointId, endpoint.id));
    expect(stored?.sealed).not.toContain(secret.slice(6));

    expect(await refusal(hooks.create({ url: 'http://partner.example/x', eventTypes: ['*'] }))).toBe(
      'WEBHOOK_URL_INVALID',
    );
    expect(
      await refusal(hooks.create({ url: 'https://partner.example/x', eventTypes: ['no.such'] as never })),
    ).toBe('VALIDATION_FAILED');
    // Another provider, and a platform, cannot see or touch it.
    const other = h.caller('providerB').provider.webhooks;
    expect(await refusal(other.get({ id: endpoint.id }))).toBe('WEBHOOK_ENDPOINT_NOT_FOUND');
    expect(await refusal(other.update({ id: endpoint.id, enabled: false }))).toBe(
      'WEBHOOK_ENDPOINT_NOT_FOUND',
    );
    expect(await refusal(other.delete({ id: endpoint.id }))).toBe('WEBHOOK_ENDPOINT_NOT_FOUND');
    expect(await refusal(other.rotateSecret({ id: endpoint.id }))).toBe('WEBHOOK_ENDPOINT_NOT_FOUND');
    expect(await refusal(h.caller('platformA').provider.webhooks.list())).toBe('FORBIDDEN_ROLE');
    expect((await h.caller('platformA').platform.webhooks.list()).items).toEqual([]);

    const updated = await hooks.update({ id: endpoint.id, eventTypes: ['*'], description: null });
    expect(updated).toMatchObject({ eventTypes: ['*'], description: null });
    const audit = await h.db.select().from(schema.auditLog).where(eq(schema.auditLog.entityId, endpoint.id));
    expect(audit.map((a) => a.action).sort()).toEqual([
      'webhook_endpoint.created',
      'webhook_endpoint.updated',
    ]);
    expect(JSON.stringify(audit)).not.toContain(secret);

    // Sixteen per organisation.
    const { items } = await hooks.list();
    for (let i = items.length; i < 16; i++)
      await hooks.create({ url: `https://p${i}.example/h`, eventTypes: ['*'] });
    expect(await refusal(hooks.create({ url: 'https://p17.example/h', eventTypes: ['*'] }))).toBe(
      'WEBHOOK_ENDPOINT_LIMIT',
    );
    for (const e of (await hooks.list()).items) await hooks.delete({ id: e.id });
    expect((await hooks.list()).items).toEqual([]);
  });

  it('delivers subscribed events of its own organisation, signed so the SDK verifies them, and logs each attempt', async () => {
    const hooks = h.caller('providerA').provider.webhooks;
    const { endpoint, secret } = await hooks.create({
      url: 'https://a.example/hooks',
      eventTypes: ['course.created'],
    });
    await fanOutEvents({ db: h.db, now: new Date() }); // earlier events of other tests
    const course = await newCourse(h);
    await newCourse(h, 'providerB'); // another organisation's event
    await h.caller('providerA').provider.courses.update({ id: course.id, title: 'Judul baru yang lain' }); // another type
    const r = receiver();
    await runWebhookWorkerOnce({ db: h.db, now: new Date(), sealer: sealerOf(h), fetch: r.fetchFn });

    expect(r.received).toHaveLength(1);
    const [got] = r.received;
    expect(got?.url).toBe('https://a.example/hooks');
    expect(got?.headers['content-type']).toBe('application/json');
    const event = await verifyWebhook(got?.body ?? '', got?.headers['latih-signature'], secret);
    expect(event.type).toBe('course.created');
    if (event.type === 'course.created') expect(event.data.course.id).toBe(course.id);
    expect(got?.headers['latih-event-id']).toBe(event.id);
    expect(event.entity).toEqual({ type: 'course', id: course.id });

    const [d] = await deliveriesOf(h, endpoint.id);
    expect(d).toMatchObject({ status: 'SUCCEEDED', attempts: 1, lastStatusCode: 200, eventId: event.id });
    const log = await hooks.delivery({ id: d?.id ?? '' });
    expect(log.attempts).toEqual([
      { at: expect.any(String), statusCode: 200, error: null, durationMs: expect.any(Number) },
    ]);
    expect(await refusal(h.caller('providerB').provider.webhooks.delivery({ id: d?.id ?? '' }))).toBe(
      'WEBHOOK_DELIVERY_NOT_FOUND',
    );

    // Tampering with the body, another secret or an old delivery all fail verification.
    const header = got?.headers['latih-signature'];
    await expect(verifyWebhook(`${got?.body} `, header, secret)).rejects.toMatchObject({
      reason: 'SIGNATURE_MISMATCH',
    });
    await expect(verifyWebhook(got?.body ?? '', header, 'whsec_other')).rejects.toBeInstanceOf(
      LatihWebhookError,
    );
    await expect(
      verifyWebhook(got?.body ?? '', header, secret, { now: Date.now() + 301_000 }),
    ).rejects.toMatchObject({
      reason: 'TIMESTAMP_OUT_OF_TOLERANCE',
    });
    await expect(verifyWebhook(got?.body ?? '', undefined, secret)).rejects.toMatchObject({
      reason: 'HEADER_MISSING',
    });
    await expect(verifyWebhook(got?.body ?? '', 't=1', secret)).rejects.toMatchObject({
      reason: 'HEADER_MALFORMED',
    });
    // A receiver without its secret (an unset variable) is told so, not WebCrypto's "zero-length key".
    for (const none of ['', [], [secret, '']])
      await expect(verifyWebhook(got?.body ?? '', header, none)).rejects.toThrow(/no secret to verify with/);

    // Replay sends the same event (same id) again.
    const replayed = await hooks.replay({ id: d?.id ?? '' });
    expect(replayed.status).toBe('PENDING');
    await deliverDue({ db: h.db, now: new Date(), sealer: sealerOf(h), fetch: r.fetchFn });
    expect(r.received).toHaveLength(2);
    expect(r.received[1]?.headers['latih-event-id']).toBe(event.id);
    await hooks.delete({ id: endpoint.id });
  });

  it('during a rotation both secrets sign; after 24 hours only the new one', async () => {
    const hooks = h.caller('providerA').provider.webhooks;
    const { endpoint, secret: old } = await hooks.create({
      url: 'https://b.example/hooks',
      eventTypes: ['course.created'],
    });
    await fanOutEvents({ db: h.db, now: new Date() });
    const { secret: fresh, endpoint: rotated } = await hooks.rotateSecret({ id: endpoint.id });
    expect(rotated.secrets).toHaveLength(2);
    await newCourse(h);
    const r = receiver();
    await runWebhookWorkerOnce({ db: h.db, now: new Date(), sealer: sealerOf(h), fetch: r.fetchFn });
    const header = r.received[0]?.headers['latih-signature'] ?? '';
    expect(header.match(/v1=/g)).toHaveLength(2);
    await expect(verifyWebhook(r.received[0]?.body ?? '', header, old)).resolves.toBeDefined();
    await expect(verifyWebhook(r.received[0]?.body ?? '', header, fresh)).resolves.toBeDefined();

    await newCourse(h);
    const later = new Date(Date.now() + 24 * 3_600_000 + MIN);
    await runWebhookWorkerOnce({ db: h.db, now: later, sealer: sealerOf(h), fetch: r.fetchFn });
    const last = r.received.at(-1);
    expect(last?.headers['latih-signature']?.match(/v1=/g)).toHaveLength(1);
    const t = Number(/t=(\d+)/.exec(last?.headers['latih-signature'] ?? '')?.[1]) * 1000;
    await expect(
      verifyWebhook(last?.body ?? '', last?.headers['latih-signature'], fresh, { now: t }),
    ).resolves.toBeDefined();
    await expect(
      verifyWebhook(last?.body ?? '', last?.headers['latih-signature'], old, { now: t }),
    ).rejects.toMatchObject({
      reason: 'SIGNATURE_MISMATCH',
    });
    await hooks.delete({ id: endpoint.id });
  });

  it('an endpoint down for hours (simulated clock) gets every event later, each delivered once', async () => {
    const hooks = h.caller('providerA').provider.webhooks;
    const { endpoint, secret } = await hooks.create({
      url: 'https://c.example/hooks',
      eventTypes: ['course.created'],
    });
    await fanOutEvents({ db: h.db, now: new Date() });
    const ids = [];
    for (let i = 0; i < 12; i++) ids.push((await newCourse(h)).id);
    const t0 = Date.now();
    let down = true;
    let calls = 0;
    const r = receiver(() => {
      calls++;
      if (down) return calls % 3 === 0 ? 'timeout' : 503;
      return 200;
    });
    // Six hours down, the worker passing every ten minutes.
    for (let m = 0; m <= 6 * 60; m += 10) {
      await runWebhookWorkerOnce({
        db: h.db,
        now: new Date(t0 + m * MIN),
        sealer: sealerOf(h),
        fetch: r.fetchFn,
      });
    }
    let rows = await deliveriesOf(h, endpoint.id);
    expect(rows).toHaveLength(12);
    expect(rows.every((d) => d.status === 'PENDING' && d.attempts >= 5)).toBe(true);
    expect((await hooks.get({ id: endpoint.id })).failingSince).not.toBeNull();
    // The delivery log says what went wrong each time: timeouts and 503s.
    const logs = await Promise.all(rows.map((d) => hooks.delivery({ id: d.id })));
    const attempts = logs.flatMap((l) => l.attempts);
    expect(attempts.map((a) => a.error)).toContain('No answer within 10000 ms');
    expect(attempts.map((a) => a.statusCode)).toContain(503);

    down = false;
    // Back up: within the longest backoff (6 h) every delivery has gone through.
    for (let m = 6 * 60; m <= 13 * 60; m += 10) {
      await runWebhookWorkerOnce({
        db: h.db,
        now: new Date(t0 + m * MIN),
        sealer: sealerOf(h),
        fetch: r.fetchFn,
      });
    }
    rows = await deliveriesOf(h, endpoint.id);
    expect(rows.every((d) => d.status === 'SUCCEEDED')).toBe(true);
    const delivered = await Promise.all(
      r.received.slice(-12).map((x) =>
        verifyWebhook(x.body, x.headers['latih-signature'], secret, {
          now: Number(/t=(\d+)/.exec(x.headers['latih-signature'] ?? '')?.[1]) * 1000,
        }),
      ),
    );
    expect(new Set(delivered.map((e) => e.entity.id))).toEqual(new Set(ids));
    expect((await hooks.get({ id: endpoint.id })).failingSince).toBeNull();
    await hooks.delete({ id: endpoint.id });
  });

  it('an endpoint failing for 3 days is disabled and its owner told; re-enabled, a replay goes through', async () => {
    const hooks = h.caller('platformA').platform.webhooks;
    const { endpoint } = await hooks.create({ url: 'https://d.example/hooks', eventTypes: ['*'] });
    await fanOutEvents({ db: h.db, now: new Date() });
    // An event for platform A: its own review of nothing is not possible here, so write one directly
    // the way every transition does (outbox row in the writer's transaction).
    await h.db.insert(schema.events).values({
      id: `evt_01${'0'.repeat(23)}x`,
      type: 'voucher.expired',
      organisationId: h.orgs.platformA.organisationId,
      entityType: 'voucher',
      entityId: 'vch_test',
      data: { voucher: { id: 'vch_test' } },
    });
    const r = receiver(() => 500);
    const t0 = Date.now();
    // Retries are at most 6 h apart, so by 3 days + 6 h the attempt that gives up has happened.
    for (let hour = 0; hour <= 79; hour += 1) {
      await runWebhookWorkerOnce({
        db: h.db,
        now: new Date(t0 + hour * 60 * MIN),
        sealer: sealerOf(h),
        fetch: r.fetchFn,
      });
    }
    const disabled = await hooks.get({ id: endpoint.id });
    expect(disabled.status).toBe('DISABLED');
    expect(disabled.disabledReason).toMatch(/^Every delivery has failed since/);
    const [d] = await deliveriesOf(h, endpoint.id);
    expect(d?.status).toBe('FAILED');
    // events.list serves the notice once no older transaction is open on the server (feed-horizon.ts).
    await feedsCaughtUp(h.db);
    const told = await h.caller('platformA').events.list({ types: ['webhook_endpoint.disabled'] });
    expect(told.items.map((e) => e.data)).toContainEqual(
      expect.objectContaining({ endpointId: endpoint.id }),
    );
    expect(
      await h.db
        .select()
        .from(schema.auditLog)
        .where(
          and(
            eq(schema.auditLog.entityId, endpoint.id),
            eq(schema.auditLog.action, 'webhook_endpoint.disabled'),
          ),
        ),
    ).toHaveLength(1);

    const sent = r.received.length;
    await runWebhookWorkerOnce({
      db: h.db,
      now: new Date(t0 + 80 * 60 * MIN),
      sealer: sealerOf(h),
      fetch: r.fetchFn,
    });
    expect(r.received.length).toBe(sent); // nothing goes to a disabled endpoint

    await hooks.update({ id: endpoint.id, enabled: true });
    await hooks.replay({ id: d?.id ?? '' });
    const ok = receiver();
    await deliverDue({ db: h.db, now: new Date(), sealer: sealerOf(h), fetch: ok.fetchFn });
    expect(ok.received.map((x) => x.headers['latih-delivery-id'])).toContain(d?.id);
    expect((await hooks.delivery({ id: d?.id ?? '' })).delivery.status).toBe('SUCCEEDED');
    await hooks.delete({ id: endpoint.id });
  });

  it('events.list pages through the caller’s own events, filtered by type', async () => {
    for (let i = 0; i < 5; i++) await newCourse(h, 'providerB');
    await feedsCaughtUp(h.db);
    const mine = h.caller('providerB').events;
    const first = await mine.list({ types: ['course.created'], limit: 3 });
    expect(first.items).toHaveLength(3);
    expect(first.hasMore).toBe(true);
    const all = [...first.items];
    let cursor = first.nextCursor;
    for (;;) {
      const page = await mine.list({ types: ['course.created'], limit: 3, cursor });
      all.push(...page.items);
      cursor = page.nextCursor;
      if (!page.hasMore) break;
    }
    expect(all.length).toBeGreaterThanOrEqual(5);
    expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
    expect(all.every((e) => e.type === 'course.created')).toBe(true);
    // Nothing new: the same cursor comes back, with no items.
    expect(await mine.list({ cursor })).toMatchObject({ items: [], nextCursor: cursor, hasMore: false });
    const theirs = await h.caller('providerA').events.list({ limit: 200 });
    expect(theirs.items.some((e) => all.some((x) => x.id === e.id))).toBe(false);
    expect(await refusal(mine.list({ cursor: 'garbage' }))).toBe('VALIDATION_FAILED');
  });
});

describe.runIf(postgresAvailable())('webhook workers and event polling on real PostgreSQL', () => {
  const h = useHarness('postgres', { poolSize: 16 });

  it('four workers at once deliver each of 60 events exactly once (SKIP LOCKED claims)', async () => {
    const hooks = h.caller('providerA').provider.webhooks;
    const { endpoint } = await hooks.create({
      url: 'https://e.example/hooks',
      eventTypes: ['course.created'],
    });
    await fanOutEvents({ db: h.db, now: new Date() });
    for (let i = 0; i < 60; i++) await newCourse(h);
    const r = receiver();
    const now = new Date();
    for (let round = 0; round < 3; round++) {
      await Promise.all(
        Array.from({ length: 4 }, () =>
          runWebhookWorkerOnce({ db: h.db, now, sealer: sealerOf(h), fetch: r.fetchFn, limit: 10 }),
        ),
      );
    }
    const ids = r.received.map((x) => x.headers['latih-event-id']);
    expect(ids).toHaveLength(60);
    expect(new Set(ids).size).toBe(60);
    const rows = await deliveriesOf(h, endpoint.id);
    expect(rows.filter((d) => d.status === 'SUCCEEDED')).toHaveLength(60);
  });

  it('a poller never misses an event whose transaction commits after a later one', async () => {
    const org = h.orgs.providerA.organisationId;
    const poll = async (cursor?: string) =>
      h.caller('providerA').events.list({ limit: 200, ...(cursor ? { cursor } : {}) });
    let cursor = (await poll()).nextCursor;
    for (let page = await poll(cursor); page.items.length > 0; page = await poll(cursor))
      cursor = page.nextCursor;

    const client = new pg.Client({ connectionString: h.database.url });
    await client.connect();
    const insert = (c: pg.Client, id: string) =>
      c.query(
        `insert into events (id, type, organisation_id, entity_type, entity_id, data) values ($1, 'course.updated', $2, 'course', 'crs_x', '{}')`,
        [id, org],
      );
    try {
      await client.query('begin');
      await insert(client, `evt_01${'0'.repeat(23)}a`); // takes its xid and seq first, commits last
      await h.db.execute(sql`insert into events (id, type, organisation_id, entity_type, entity_id, data)
        values (${`evt_01${'0'.repeat(23)}b`}, 'course.updated', ${org}, 'course', 'crs_x', '{}')`);
      const during = await poll(cursor);
      expect(during.items.map((e) => e.id)).not.toContain(`evt_01${'0'.repeat(23)}a`);
      cursor = during.nextCursor;
      await client.query('commit');
      await feedsCaughtUp(h.db);
      const seen = [...during.items];
      for (let page = await poll(cursor); page.items.length > 0; page = await poll(cursor)) {
        seen.push(...page.items);
        cursor = page.nextCursor;
      }
      expect(seen.map((e) => e.id)).toEqual(
        expect.arrayContaining([`evt_01${'0'.repeat(23)}a`, `evt_01${'0'.repeat(23)}b`]),
      );
    } finally {
      await client.end();
    }
  });
});
