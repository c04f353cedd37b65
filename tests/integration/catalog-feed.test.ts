import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { fullCourse } from '../support/catalog-fixtures';
import { engines, postgresAvailable } from '../support/db';
import { feedsCaughtUp } from '../support/feed-horizon';
import { codeOf, type Harness, useHarness } from '../support/harness';
import { buy, onSale, participants } from '../support/marketplace-fixtures';

/**
 * A consumer that follows the feed to its end, as a storefront would, once the feed serves every
 * write committed so far: a transaction open elsewhere on a shared PostgreSQL server rightly holds
 * the feed back (see feed-horizon.ts). `{ wait: false }` reads whatever it serves right now.
 */
async function follow(h: Harness, since?: string, opts: { wait?: boolean } = {}) {
  if (opts.wait !== false) await feedsCaughtUp(h.db);
  const feed = h.caller('platformA').platform.catalog;
  const seen: { type: string; courseId: string; seats?: number }[] = [];
  let cursor = since;
  for (;;) {
    const page = await feed.changes({ limit: 2, ...(cursor ? { since: cursor } : {}) });
    for (const c of page.changes)
      seen.push({ type: c.type, courseId: c.courseId, seats: c.course?.runs[0]?.seatsAvailable });
    cursor = page.nextCursor;
    if (!page.hasMore) return { seen, cursor };
  }
}

describe.each(engines())('the catalog change feed on %s', (engine) => {
  const h = useHarness(engine);

  it('carries publications, seat changes, suspensions and withdrawals in order; drafts never show', async () => {
    const start = (await follow(h)).cursor;
    const draft = await h
      .caller('providerA')
      .provider.courses.create({ ...fullCourse, title: 'Draf rahasia' });
    const { course, run } = await onSale(h, { capacity: 2 });
    let step = await follow(h, start);
    expect(step.seen.map((s) => s.courseId)).not.toContain(draft.id);
    expect(step.seen.filter((s) => s.courseId === course.id).at(-1)).toMatchObject({
      type: 'UPSERT',
      seats: 2,
    });

    const [p] = await participants(h, 1);
    await buy(h, p?.cardNumber ?? '', course.id, run.id);
    step = await follow(h, step.cursor);
    expect(step.seen).toEqual([{ type: 'UPSERT', courseId: course.id, seats: 1 }]);

    await h.caller('pmo').pmo.curation.suspend({ id: course.id, reason: 'Menunggu klarifikasi' });
    step = await follow(h, step.cursor);
    expect(step.seen).toEqual([{ type: 'TOMBSTONE', courseId: course.id, seats: undefined }]);

    await h.caller('pmo').pmo.curation.reinstate({ id: course.id, reason: 'Klarifikasi diterima' });
    await h.caller('providerA').provider.courses.withdraw({ id: course.id });
    step = await follow(h, step.cursor);
    expect(step.seen.at(-1)).toEqual({ type: 'TOMBSTONE', courseId: course.id, seats: undefined });

    // Nothing new: the cursor stays, and the page is empty.
    const again = await h.caller('platformA').platform.catalog.changes({ since: step.cursor });
    expect(again).toEqual({ changes: [], nextCursor: step.cursor, hasMore: false });
  });

  it('refuses a cursor it did not issue, and is for platforms only', async () => {
    expect(
      codeOf(
        await h
          .caller('platformA')
          .platform.catalog.changes({ since: 'bm90LWEtY3Vyc29y' })
          .catch((e: unknown) => e),
      ),
    ).toBe('VALIDATION_FAILED');
    expect(
      codeOf(
        await h
          .caller('providerA')
          .platform.catalog.changes()
          .catch((e: unknown) => e),
      ),
    ).toBe('FORBIDDEN_ROLE');
  });
});

describe.runIf(postgresAvailable())('the feed under out-of-order commits on real PostgreSQL', () => {
  const h = useHarness('postgres', { poolSize: 4 });

  it('a consumer never misses a change whose transaction took its sequence first but committed last', async () => {
    const x = await onSale(h);
    const y = await onSale(h, { who: 'providerB' });
    const { cursor: start } = await follow(h);
    const a = new pg.Client({ connectionString: h.database.url });
    const b = new pg.Client({ connectionString: h.database.url });
    await a.connect();
    await b.connect();
    try {
      // A changes course X first (takes the lower sequence number), B changes course Y second.
      await a.query('begin');
      await a.query(`update courses set summary = summary || ' (diperbarui A)' where id = $1`, [x.course.id]);
      await b.query('begin');
      await b.query(`update courses set summary = summary || ' (diperbarui B)' where id = $1`, [y.course.id]);
      // B commits first.
      await b.query('commit');
      // The sequence numbers were taken in the order A, B: A's is the lower one, still uncommitted.
      const seqOf = async (client: pg.Client, id: string) =>
        Number(
          (await client.query('select max(seq) as s from catalog_changes where course_id = $1', [id])).rows[0]
            ?.s,
        );
      const seqA = await seqOf(a, x.course.id);
      const seqB = await seqOf(b, y.course.id);
      expect(seqA).toBeLessThan(seqB);

      // The consumer polls now, while A is still open (without waiting: the feed cannot pass A).
      const mid = await follow(h, start, { wait: false });
      // A reader ordered by sequence alone would hand out B's change now and move its cursor past
      // A's lower number, so A's change, committed later, would never be read. This feed holds B
      // back until A is done.
      expect(mid.seen.map((s) => s.courseId)).not.toContain(y.course.id);

      await a.query('commit');
      const end = await follow(h, mid.cursor);
      const got = [...mid.seen, ...end.seen].map((s) => s.courseId);
      expect(got).toContain(x.course.id);
      expect(got).toContain(y.course.id);
      const seen = end.seen.find((s) => s.courseId === x.course.id);
      expect(seen?.type).toBe('UPSERT');
    } finally {
      await a.end().catch(() => undefined);
      await b.end().catch(() => undefined);
    }
  });
});
