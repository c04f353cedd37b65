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
