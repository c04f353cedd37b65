import { createLatihClient, paginate } from '@latih/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { feedsCaughtUp } from '../support/feed-horizon';
import { startTestGateway } from '../support/gateway';

describe('marketplace over HTTP', () => {
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw?.close();
  });

  const client = (key: keyof typeof gw.demo) =>
    createLatihClient({
      baseUrl: gw.url,
      clientId: gw.demo[key].clientId,
      clientSecret: gw.demo[key].clientSecret,
    });

  it('the SDK syncs the catalog from the feed, then resumes from the stored cursor', async () => {
    const platform = client('platform-a');
    const storefront = new Map<string, string>();
    let stored: string | undefined;
    // The feed serves a write once no older transaction is open on the database server
    // (feed-horizon.ts): immediate on this PGlite gateway, a wait on a shared PostgreSQL server.
    await feedsCaughtUp(gw.database.db);
    for await (const batch of platform.catalog.sync({ limit: 2 })) {
      for (const c of batch.changes) {
        if (c.type === 'UPSERT' && c.course) storefront.set(c.courseId, c.course.title);
        else storefront.delete(c.courseId);
      }
      stored = batch.cursor;
    }
    const listed = [];
    for await (const course of paginate(platform.platform.catalog.list, { limit: 1 })) listed.push(course.id);
    expect([...storefront.keys()].sort()).toEqual(listed.sort());
    expect(listed).toHaveLength(4);

    // The PMO suspends one: the next sync from the stored cursor carries just its tombstone.
    const pmo = client('pmo');
    await pmo.pmo.curation.suspend.mutate({ id: listed[0] ?? '', reason: 'Pemeriksaan lapangan' });
    await feedsCaughtUp(gw.database.db);
    const batches = [];
    for await (const batch of platform.catalog.sync({ since: stored ?? '' })) batches.push(batch);
    expect(batches.flatMap((b) => b.changes)).toEqual([
      { type: 'TOMBSTONE', courseId: listed[0], course: null },
    ]);
  });

  it('REST catalog list and changes answer ETag, and 304 when nothing changed', async () => {
    const token = await gw.token('platform-a');
    for (const path of ['/v1/platform/catalog/courses', '/v1/platform/catalog/changes?limit=50']) {
      const first = await fetch(`${gw.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
      const etag = first.headers.get('etag');
      expect(first.status, path).toBe(200);
      expect(etag).toMatch(/^".+"$/);
      const again = await fetch(`${gw.url}${path}`, {
        headers: { authorization: `Bearer ${token}`, 'if-none-match': etag ?? '' },
      });
      expect(again.status, path).toBe(304);
      expect(await again.text()).toBe('');
      const stale = await fetch(`${gw.url}${path}`, {
        headers: { authorization: `Bearer ${token}`, 'if-none-match': '"stale"' },
      });
      expect(stale.status).toBe(200);
    }
  });

  it('REST catalog changes: the procedure’s page, its position in headers, and errors in the API’s shape', async () => {
    await feedsCaughtUp(gw.database.db);
    const token = await gw.token('platform-a');
    const get = (path: string, bearer: string | null = token) =>
      fetch(`${gw.url}${path}`, bearer ? { headers: { authorization: `Bearer ${bearer}` } } : {});
    const res = await get('/v1/platform/catalog/changes?limit=3');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const page = (await res.json()) as { changes: unknown[]; nextCursor: string; hasMore: boolean };
    // The same page as the tRPC procedure, which validates it against the contract.
    expect(page).toEqual(await client('platform-a').platform.catalog.changes.query({ limit: 3 }));
    expect(page.changes).toHaveLength(3);
    expect(res.headers.get('latih-next-cursor')).toBe(page.nextCursor);
    expect(res.headers.get('latih-has-more')).toBe(String(page.hasMore));
    const next = (await (
      await get(`/v1/platform/catalog/changes?limit=3&since=${page.nextCursor}`)
    ).json()) as {
      changes: { courseId: string }[];
    };
    expect(next.changes.map((c) => c.courseId)).not.toContain(
      (page.changes[0] as { courseId: string }).courseId,
    );

    const refused = async (
      path: string,
      bearer: string | null,
      status: number,
      code: string,
      field?: string,
    ) => {
      const r = await get(path, bearer);
      const body = (await r.json()) as Record<string, unknown>;
      expect(r.status, path).toBe(status);
      expect(body, path).toMatchObject({
        code,
        requestId: r.headers.get('x-request-id'),
        docUrl: `/docs/errors/${code}`,
      });
      if (field) expect(body.field).toBe(field);
    };
    await refused('/v1/platform/catalog/changes', null, 401, 'TOKEN_MISSING');
    await refused('/v1/platform/catalog/changes', 'not-a-token', 401, 'TOKEN_INVALID');
    await refused('/v1/platform/catalog/changes', await gw.token('provider-a'), 403, 'FORBIDDEN_ROLE');
    await refused('/v1/platform/catalog/changes?limit=0', token, 400, 'VALIDATION_FAILED', 'limit');
    await refused('/v1/platform/catalog/changes?limit=501', token, 400, 'VALIDATION_FAILED', 'limit');
    await refused(
      '/v1/platform/catalog/changes?since=bm90LWEtY3Vyc29y',
      token,
      400,
      'VALIDATION_FAILED',
      'since',
    );
  });

  it('a purchase through the SDK, with the code from the development inbox', async () => {
    // A demo participant (seeded with the demo data, Rp3.500.000).
    const platform = client('platform-a');
    const course = (await platform.platform.catalog.list.query()).items.find(
      (c) => c.runs[0]?.status === 'OPEN',
    );
    const run = course?.runs[0];
    const checkout = await platform.platform.checkout.create.mutate({
      cardNumber: '5101000000000001',
      courseId: course?.id ?? '',
      runId: run?.id ?? '',
    });
    const inbox = (await (await fetch(`${gw.url}/dev/otp/${checkout.id}`)).json()) as { code: string };
    const bought = await platform.platform.checkout.confirm.mutate({ id: checkout.id, code: inbox.code });
    expect(bought.voucher.status).toBe('ISSUED');
    expect(bought.balanceLeft).toBe(3_500_000 - (course?.price ?? 0));
    expect((await fetch(`${gw.url}/dev/otp/chk_01jw0000000000000000000000`)).status).toBe(404);
  });
});
