import {
  CATALOG_VIEW_VERSION,
  catalogChangesPage,
  renderCatalogCourses,
  renderCatalogEntries,
} from '@latih/core';
import { execRows, upsertCatalogEntries } from '@latih/db';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { fullCourse } from '../support/catalog-fixtures';
import { engines } from '../support/db';
import { feedsCaughtUp } from '../support/feed-horizon';
import type { Harness } from '../support/harness';
import { useHarness } from '../support/harness';
import { buy, onSale, participants } from '../support/marketplace-fixtures';

/**
 * The catalog's stored entries (docs/adr/0009): catalog.render keeps each course as the feed serves
 * it, and the feed splices the stored JSON into its pages only where the entry is current for the
 * change it serves; otherwise it renders the course itself. What a platform reads must be the same
 * either way, and never older than the change it is served for.
 */

type Page = {
  changes: { type: string; courseId: string; course: { runs: { seatsAvailable: number }[] } | null }[];
  nextCursor: string;
  hasMore: boolean;
};

/** The whole feed after `since`, as pages of `limit`, read as the REST route writes them. */
async function read(h: Harness, since?: string, limit = 3) {
  await feedsCaughtUp(h.db);
  const changes: Page['changes'] = [];
  let cursor = since;
  for (;;) {
    const page = await catalogChangesPage({
      db: h.db,
      input: { limit, ...(cursor ? { since: cursor } : {}) },
    });
    const parsed = JSON.parse(page.body.toString('utf8')) as Page;
    expect(parsed.nextCursor).toBe(page.nextCursor);
    expect(parsed.hasMore).toBe(page.hasMore);
    changes.push(...parsed.changes);
    cursor = page.nextCursor;
    if (!page.hasMore) return { changes, cursor };
  }
}

/** Runs catalog.render until it has caught up with the feed; answers how many courses it stored. */
async function renderAll(h: Harness) {
  await feedsCaughtUp(h.db);
  let total = 0;
  for (;;) {
    const r = await renderCatalogEntries({ db: h.db, max: 2 });
    total += r.rendered;
    if (r.rendered === 0) return total;
  }
}

const entries = (h: Harness) =>
  execRows<{ course_id: string; kind: string; body: string | null; view_version: number }>(
    h.db,
    sql`select course_id, kind, body, view_version from catalog_entries order by course_id`,
  );

/** The seats left in the first run of the course's stored entry. */
async function storedSeats(h: Harness, courseId: string) {
  const [entry] = await execRows<{ body: string }>(
    h.db,
    sql`select body from catalog_entries where course_id = ${courseId}`,
  );
  return (JSON.parse(entry?.body ?? '{}') as { runs: { seatsAvailable: number }[] }).runs[0]?.seatsAvailable;
}

describe.each(engines())('the catalog’s stored entries on %s', (engine) => {
  const h = useHarness(engine);

  it('hold each course exactly as the feed renders it, and the feed reads the same from them', async () => {
    const a = await onSale(h, { capacity: 4 });
    const b = await onSale(h, { capacity: 9, who: 'providerB' });
    const draft = await h.caller('providerA').provider.courses.create({ ...fullCourse, title: 'Draf saja' });
    const gone = await onSale(h, { capacity: 3 });
    await h.caller('providerA').provider.courses.withdraw({ id: gone.course.id });

    // Nothing stored yet: the feed renders every course itself.
    const rendered = await read(h);
    expect(await renderAll(h)).toBeGreaterThanOrEqual(4);
    const stored = await entries(h);
    const byId = new Map(stored.map((e) => [e.course_id, e]));
    expect(byId.get(a.course.id)?.kind).toBe('UPSERT');
    expect(byId.get(b.course.id)?.kind).toBe('UPSERT');
    expect(byId.get(gone.course.id)).toMatchObject({ kind: 'TOMBSTONE', body: null });
    expect(byId.get(draft.id)).toMatchObject({ kind: 'NONE', body: null });
    expect(stored.every((e) => e.view_version === CATALOG_VIEW_VERSION)).toBe(true);

    // Every stored body is what rendering the course now gives, byte for byte.
    const now = await renderCatalogCourses(
      h.db,
      stored.map((e) => e.course_id),
    );
    for (const e of stored) expect(e.body, e.course_id).toBe(now.get(e.course_id)?.body ?? null);

    // From the stored entries, the feed answers what it answered by rendering: the same changes
    // in the same order, the same cursor.
    const fromEntries = await read(h);
    expect(fromEntries).toEqual(rendered);
    expect(fromEntries.changes.map((c) => c.courseId)).not.toContain(draft.id);
    // The tRPC procedure serves the same courses, through its output check.
    const viaTrpc = await h.caller('platformA').platform.catalog.changes({ limit: 500 });
    expect(viaTrpc.changes).toEqual(fromEntries.changes);
  });

  it('never serves an entry older than the change it is served for', async () => {
    const { course, run } = await onSale(h, { capacity: 5 });
    await renderAll(h);
    const before = await read(h);
    const [p] = await participants(h, 1);
    // A sale changes the run's seats; catalog.render has not run since: the stored entry still
    // says 5 seats, and the feed must not serve it for the sale's change.
    await buy(h, p?.cardNumber ?? '', course.id, run.id);
    expect(await storedSeats(h, course.id)).toBe(5);
    const after = await read(h, before.cursor);
    expect(after.changes).toHaveLength(1);
    expect(after.changes[0]?.course?.runs[0]?.seatsAvailable).toBe(4);

    // Once it has run, the entry is current and serves the same page.
    expect(await renderAll(h)).toBe(1);
    expect(await read(h, before.cursor)).toEqual(after);
    expect(await storedSeats(h, course.id)).toBe(4);
  });

  it('a suspended course is a tombstone at once, whatever is stored, and its entry follows', async () => {
    const { course } = await onSale(h, { capacity: 5 });
    await renderAll(h);
    const start = await read(h);
    await h.caller('pmo').pmo.curation.suspend({ id: course.id, reason: 'Menunggu klarifikasi' });
    const step = await read(h, start.cursor);
    expect(step.changes).toEqual([{ type: 'TOMBSTONE', courseId: course.id, course: null }]);
    await renderAll(h);
    const [entry] = await execRows<{ kind: string }>(
      h.db,
      sql`select kind from catalog_entries where course_id = ${course.id}`,
    );
    expect(entry?.kind).toBe('TOMBSTONE');
    expect(await read(h, start.cursor)).toEqual(step);
  });

  it('entries of another view version are not served, and catalog.render renders them all again', async () => {
    const { course } = await onSale(h, { capacity: 5 });
    await renderAll(h);
    const whole = await read(h);
    // As left by code with another view: a body the feed must not serve, another version, and
    // the job's position at the end of the feed for that version.
    await execRows(
      h.db,
      sql`update catalog_entries set view_version = ${CATALOG_VIEW_VERSION + 1}, body = '{"stale":true}'`,
    );
    await execRows(h.db, sql`update catalog_render_state set view_version = ${CATALOG_VIEW_VERSION + 1}`);
    expect(await read(h)).toEqual(whole);
    // The job starts from the beginning for its own version: every course is stored again.
    const courses = await execRows<{ n: number }>(
      h.db,
      sql`select count(distinct course_id)::int as n from catalog_changes`,
    );
    expect(await renderAll(h)).toBe(courses[0]?.n);
    const stored = await entries(h);
    expect(stored.every((e) => e.view_version === CATALOG_VIEW_VERSION && e.body !== '{"stale":true}')).toBe(
      true,
    );
    expect(stored.find((e) => e.course_id === course.id)?.kind).toBe('UPSERT');
    expect(await read(h)).toEqual(whole);
  });

  it('an entry is only ever replaced by one rendered in a later snapshot', async () => {
    const { course } = await onSale(h, { capacity: 5 });
    await renderAll(h);
    const [now] = await execRows<{ body: string; x: string }>(
      h.db,
      sql`select body, rendered_xmin::text as x from catalog_entries where course_id = ${course.id}`,
    );
    const older = {
      courseId: course.id,
      viewVersion: CATALOG_VIEW_VERSION,
      kind: 'UPSERT' as const,
      body: '{"older":true}',
    };
    await upsertCatalogEntries(h.db, [{ ...older, renderedXmin: String(BigInt(now?.x ?? '1') - 1n) }]);
    await upsertCatalogEntries(h.db, [{ ...older, renderedXmin: now?.x ?? '1' }]);
    const [kept] = await execRows<{ body: string }>(
      h.db,
      sql`select body from catalog_entries where course_id = ${course.id}`,
    );
    expect(kept?.body).toBe(now?.body);
  });
});
