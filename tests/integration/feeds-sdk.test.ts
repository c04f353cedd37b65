import { followFeed, paginate, syncCatalog } from '@latih/sdk';
import { describe, expect, it } from 'vitest';
import { fullCourse } from '../support/catalog-fixtures';
import { engines } from '../support/db';
import { feedsCaughtUp } from '../support/feed-horizon';
import { codeOf, type Harness, useHarness } from '../support/harness';
import { onSale } from '../support/marketplace-fixtures';

/*
 * The SDK's two ways through cursor-paged procedures, against the real procedures: `paginate` ends
 * on the last page of a finite list and refuses a feed; `followFeed` follows a feed's cursor until
 * caught up, or keeps polling until aborted. And the feeds' cursors: only ones they issued.
 */

const b64 = (s: string) => Buffer.from(s).toString('base64url');

async function newCourses(h: Harness, n: number, who: 'providerA' | 'providerB' = 'providerB') {
  const ids: string[] = [];
  for (let i = 0; i < n; i++)
    ids.push((await h.caller(who).provider.courses.create({ ...fullCourse, title: `Kelas ${i}` })).id);
  return ids;
}

/** Counts the calls made through a procedure. */
function counted<I, O>(fn: (input: I) => Promise<O>) {
  const calls: I[] = [];
  return {
    calls,
    query: (input: I) => {
      calls.push(input);
      return fn(input);
    },
  };
}

describe.each(engines())('SDK iteration helpers on %s', (engine) => {
  const h = useHarness(engine);

  it('paginate ends on the last page of a finite list, also when that page is exactly full', async () => {
    const ids = await newCourses(h, 6);
    for (const limit of [1, 2, 4, 6, 100]) {
      const list = counted(h.caller('providerB').provider.courses.list);
      const seen: string[] = [];
      for await (const course of paginate(list, { limit })) seen.push(course.id);
      expect(seen.sort()).toEqual([...ids].sort());
      // One call per page and no empty call after the last one: the cursor is null there.
      expect(list.calls).toHaveLength(Math.max(1, Math.ceil(ids.length / limit)));
    }
  });

  it('paginate refuses a feed: at compile time, and at run time after one call instead of forever', async () => {
    await newCourses(h, 2, 'providerA');
    const events = counted(h.caller('providerA').events.list);
    // @ts-expect-error: events.list is a feed (hasMore, a cursor that is never null)
    const walk = paginate(events);
    await expect(
      (async () => {
        for await (const _ of walk) {
          // draining
        }
      })(),
    ).rejects.toThrow(/followFeed/);
    expect(events.calls).toHaveLength(1);
  });

  it('followFeed reads events.list until caught up, resumes from a stored cursor, and filters', async () => {
    await newCourses(h, 5, 'providerA');
    await feedsCaughtUp(h.db);
    const events = h.caller('providerA').events;
    const batches = [];
    for await (const batch of followFeed({ query: events.list }, { limit: 2 })) batches.push(batch);
    expect(batches.length).toBeGreaterThan(1);
    expect(batches.slice(0, -1).every((b) => b.hasMore && b.items.length === 2)).toBe(true);
    expect(batches.at(-1)?.hasMore).toBe(false);
    const stored = batches.at(-1)?.cursor ?? '';

    const fresh = await newCourses(h, 3, 'providerA');
    await feedsCaughtUp(h.db);
    const resumed = [];
    for await (const batch of followFeed(
      { query: events.list },
      { cursor: stored, types: ['course.created'] },
    ))
      resumed.push(...batch.items);
    expect(resumed.map((e) => e.entity.id)).toEqual(fresh);
    expect(resumed.every((e) => e.type === 'course.created')).toBe(true);
  });

  it('followFeed with follow: polls while caught up, delivers what commits meanwhile, and ends quietly on abort', async () => {
    const events = h.caller('providerA').events;
    await feedsCaughtUp(h.db);
    let start = '';
    for await (const batch of followFeed({ query: events.list }, { limit: 200 })) start = batch.cursor;

    const controller = new AbortController();
    const calls = counted(events.list);
    const got: string[] = [];
    const later: Promise<string[]> = (async () => {
      // Written while the follower waits between polls.
      await new Promise((r) => setTimeout(r, 30));
      return newCourses(h, 2, 'providerA');
    })();
    for await (const batch of followFeed(
      calls,
      { cursor: start },
      { follow: true, pollIntervalMs: 10, signal: controller.signal },
    )) {
      got.push(...batch.items.map((e) => e.entity.id));
      if (got.length >= 2) controller.abort();
    }
    expect(got).toEqual(await later);
    // It kept polling while nothing was there (more than one call), and stopped on the abort.
    expect(calls.calls.length).toBeGreaterThan(1);
    const after = calls.calls.length;
    await new Promise((r) => setTimeout(r, 50));
    expect(calls.calls).toHaveLength(after);
  }, 150_000);

  it('followFeed and syncCatalog follow the catalog change feed (cursor parameter `since`)', async () => {
    const catalog = h.caller('platformA').platform.catalog;
    const feed = { query: (input: { since?: string; limit?: number }) => catalog.changes(input) };
    await feedsCaughtUp(h.db);
    let stored = '';
    for await (const batch of syncCatalog(feed, { limit: 5 })) stored = batch.cursor;
    const { course } = await onSale(h);
    await feedsCaughtUp(h.db);
    const items = [];
    for await (const batch of followFeed(feed, { since: stored, limit: 1 })) items.push(...batch.items);
    expect(items.at(-1)).toMatchObject({ type: 'UPSERT', courseId: course.id });
    const synced = [];
    for await (const batch of syncCatalog(feed, { since: stored })) synced.push(...batch.changes);
    expect(synced).toEqual([expect.objectContaining({ type: 'UPSERT', courseId: course.id })]);
  });

  it('the feeds take only cursors they issued (events.list also its older JSON form), never a 500', async () => {
    const events = h.caller('providerA').events;
    const catalog = h.caller('platformA').platform.catalog;
    await feedsCaughtUp(h.db);
    const first = await events.list({ limit: 1 });
    const [xid, seq] = Buffer.from(first.nextCursor, 'base64url').toString().split(':');
    // The form events.list handed out before (JSON-wrapped) still resumes at the same place.
    const legacy = b64(JSON.stringify({ k: `${xid}:${seq}` }));
    expect(await events.list({ cursor: legacy, limit: 5 })).toEqual(
      await events.list({ cursor: first.nextCursor, limit: 5 }),
    );
    const refusals = [
      b64('18446744073709551616:1'), // one past xid8's range
      b64('1:9007199254740993'), // past a safe integer
      b64('99999999999999999999999:1'),
      b64('-1:1'),
      b64('1:1:1'),
      b64('{"k":"x:1"}'),
      b64('{"k":'),
      'garbage',
    ];
    for (const cursor of refusals) {
      expect(codeOf(await events.list({ cursor }).catch((e: unknown) => e)), cursor).toBe(
        'VALIDATION_FAILED',
      );
      expect(codeOf(await catalog.changes({ since: cursor }).catch((e: unknown) => e)), cursor).toBe(
        'VALIDATION_FAILED',
      );
    }
    // The largest xid8 is a valid position (after everything), not an error.
    expect(await catalog.changes({ since: b64('18446744073709551615:1') })).toMatchObject({
      changes: [],
      hasMore: false,
    });
  });

  it('the curation queue refuses a forged cursor with a 4xx, not a database error', async () => {
    const forged = b64(JSON.stringify({ k: 'abc|crs_x' }));
    expect(
      codeOf(
        await h
          .caller('pmo')
          .pmo.curation.queue({ cursor: forged })
          .catch((e: unknown) => e),
      ),
    ).toBe('VALIDATION_FAILED');
  });
});
