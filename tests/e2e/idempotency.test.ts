import { IDEMPOTENCY_LOCK_MS, requestHash } from '@latih/core';
import { schema } from '@latih/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway } from '../support/gateway';

const course = {
  title: 'Dasar Fotografi Produk',
  summary: 'Memotret produk UMKM dengan ponsel untuk toko daring',
  category: 'photography',
  mode: 'WEBINAR',
  hours: 16,
  price: 800_000,
};

/** The same idempotency answers over both transports: REST (/v1) and tRPC over HTTP (/trpc). */
describe('idempotency over HTTP', () => {
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  let token: string;
  // The gateway's clock, held still where a test needs an exact answer.
  let heldAt: number | undefined;
  beforeAll(async () => {
    gw = await startTestGateway({ now: () => heldAt ?? Date.now() });
    token = await gw.token('provider-a');
  });
  afterAll(async () => {
    await gw?.close();
  });

  const headers = (key: string) => ({
    authorization: `Bearer ${token}`,
    'content-type': 'application/json',
    'idempotency-key': key,
  });
  const transports = {
    rest: (key: string, body: object) =>
      fetch(`${gw.url}/v1/provider/courses`, {
        method: 'POST',
        headers: headers(key),
        body: JSON.stringify(body),
      }),
    trpc: (key: string, body: object) =>
      fetch(`${gw.url}/trpc/provider.courses.create`, {
        method: 'POST',
        headers: headers(key),
        body: JSON.stringify(body),
      }),
  };
  /** The error code of either transport's error body. */
  const codeOf = (body: unknown) => {
    const b = body as { code?: string; error?: { data?: { code?: string } } };
    return b.code ?? b.error?.data?.code;
  };

  for (const [name, send] of Object.entries(transports)) {
    it(`${name}: a stored refusal replays with Idempotent-Replayed: true, the same status and body`, async () => {
      const externalId = `IDEM-HTTP-${name}`;
      const taken = await send(`${name}-first`, { ...course, externalId });
      const created = (await taken.json()) as {
        externalId?: string;
        result?: { data: { externalId: string } };
      };
      expect(created.result?.data.externalId ?? created.externalId).toBe(externalId);
      const input = { ...course, externalId, title: `Refused over ${name}` };
      const a = await send(`${name}-refused`, input);
      expect(a.status).toBe(409);
      expect(a.headers.get('idempotent-replayed')).toBeNull();
      const first = (await a.json()) as object;
      expect(codeOf(first)).toBe('EXTERNAL_ID_TAKEN');
      const b = await send(`${name}-refused`, input);
      expect(b.status).toBe(409);
      expect(b.headers.get('idempotent-replayed')).toBe('true');
      const again = (await b.json()) as Record<string, unknown>;
      expect(codeOf(again)).toBe('EXTERNAL_ID_TAKEN');
      // Only the request id differs between the two answers.
      const withoutRequestId = (body: object) => JSON.stringify(body).replace(/req_[A-Za-z0-9_-]+/g, 'req');
      expect(withoutRequestId(again)).toBe(withoutRequestId(first));
    });

    it(`${name}: IDEMPOTENCY_IN_PROGRESS for a key whose attempt died says in Retry-After when its lock expires`, async () => {
      const input = { ...course, title: `Crashed over ${name}` };
      const now = Date.now();
      heldAt = now;
      // An attempt claimed the key 90 s ago and died: no transaction holds it, its lock has 30 s left.
      await gw.database.db.insert(schema.idempotencyKeys).values({
        clientId: gw.demo['provider-a'].clientId,
        key: `${name}-crashed`,
        procedure: 'provider.courses.create',
        requestHash: requestHash('provider.courses.create', input),
        status: 'IN_PROGRESS',
        attempt: 'a-dead-attempt',
        createdAt: new Date(now - 90_000),
        lockedUntil: new Date(now - 90_000 + IDEMPOTENCY_LOCK_MS),
        expiresAt: new Date(now + 86_400_000),
      });
      try {
        const res = await send(`${name}-crashed`, input);
        expect(res.status).toBe(409);
        expect(await res.json()).toMatchObject(
          name === 'rest'
            ? { code: 'IDEMPOTENCY_IN_PROGRESS', retryable: true }
            : { error: { data: { code: 'IDEMPOTENCY_IN_PROGRESS', retryable: true } } },
        );
        expect(res.headers.get('retry-after')).toBe('30');
        // Back when told, the retry takes the key over and runs.
        heldAt = now + 30_000 + 1;
        const retried = await send(`${name}-crashed`, input);
        expect(retried.status).toBe(200);
        expect(retried.headers.get('idempotent-replayed')).toBeNull();
      } finally {
        heldAt = undefined;
      }
    });
  }
});
