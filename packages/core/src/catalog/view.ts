import {
  type TCatalogChanges,
  type TCatalogChangesInput,
  type TCatalogCourse,
  type TListCatalogInput,
  ZCatalogCourseSchema,
} from '@latih/contracts';
import {
  type CatalogRow,
  catalogChangesAfter,
  catalogFeedAfter,
  catalogRenderPosition,
  contentOf,
  coursesWithProvider,
  currentSnapshotXmin,
  type Db,
  findPublishedCourse,
  listPublishedCourses,
  type RunRow,
  runsOfCourses,
  type SessionRow,
  sessionsOf,
  setCatalogRenderPosition,
  toSession,
  upsertCatalogEntries,
} from '@latih/db';
import type { z } from 'zod';
import { notFound } from '../courses';
import { decodeFeedCursor, encodeFeedCursor, FEED_START } from '../feed-cursor';

type CatalogRun = z.infer<typeof ZCatalogCourseSchema>['runs'][number];

/** LIMITED when 5 seats or fewer are left, or under 20 % of the run. */
export function seatAvailability(capacity: number, seatsTaken: number): CatalogRun['availability'] {
  const left = Math.max(0, capacity - seatsTaken);
  if (left === 0) return 'FULL';
  if (left <= 5 || left < capacity * 0.2) return 'LIMITED';
  return 'AVAILABLE';
}

function isoHours(hours: number): string {
  const h = Math.floor(hours);
  const m = Math.round((hours - h) * 60);
  return `PT${h > 0 ? `${h}H` : ''}${m > 0 ? `${m}M` : ''}` || 'PT0H';
}

function catalogRun(run: RunRow, sessions: SessionRow[]): CatalogRun {
  const shown = sessions.map((s) => {
    const { meetingUrl: _kept, ...rest } = toSession(s, { withMeetingUrl: false });
    return rest;
  });
  return {
    id: run.id,
    status: run.status === 'FULL' ? 'FULL' : 'OPEN',
    capacity: run.capacity,
    seatsAvailable: Math.max(0, run.capacity - run.seatsTaken),
    availability: seatAvailability(run.capacity, run.seatsTaken),
    startsAt: run.startsAt.toISOString(),
    endsAt: run.endsAt.toISOString(),
    regencyCodes: [...new Set(sessions.map((s) => s.regencyCode).filter((c): c is string => c !== null))],
    sessions: shown,
  };
}

/** The platform's view of a course on sale (see ZCatalogCourseSchema for the schema.org mapping). */
/** Mean stars to one decimal, null before the first review. */
export function ratingOf(sum: number, count: number): { average: number | null; count: number } {
  return { average: count === 0 ? null : Math.round((sum / count) * 10) / 10, count };
}

export function toCatalogCourse(
  row: CatalogRow,
  runs: RunRow[],
  sessions: Map<string, SessionRow[]>,
): TCatalogCourse {
  // The certificate template is the provider's business, not the storefront's.
  const { course } = row;
  const { certificateTemplate: _template, ...c } = contentOf(course);
  return {
    id: course.id,
    version: course.version,
    provider: {
      id: course.providerId,
      name: row.providerName,
      rating: ratingOf(row.providerRatingSum, row.providerRatingCount),
    },
    schemeId: course.schemeId,
    ...c,
    timeRequired: isoHours(c.hours),
    currency: 'IDR',
    rating: ratingOf(course.ratingSum, course.ratingCount),
    runs: runs.map((r) => catalogRun(r, sessions.get(r.id) ?? [])),
    publishedAt: (course.publishedAt ?? course.updatedAt).toISOString(),
    updatedAt: course.updatedAt.toISOString(),
  };
}

async function withRuns(db: Db, rows: CatalogRow[]): Promise<TCatalogCourse[]> {
  return viewsOf(
    rows,
    await runsOf(
      db,
      rows.map((r) => r.course.id),
    ),
  );
}

/** The runs on sale of these courses, with their sessions (two queries, whatever the count). */
async function runsOf(db: Db, courseIds: string[]) {
  const runs = await runsOfCourses(db, courseIds, ['OPEN', 'FULL']);
  const sessions = await sessionsOf(
    db,
    runs.map((r) => r.id),
  );
  return { runs, sessions };
}

function viewsOf(
  rows: CatalogRow[],
  { runs, sessions }: { runs: RunRow[]; sessions: Map<string, SessionRow[]> },
): TCatalogCourse[] {
  // Grouped once: a page of 500 courses must not scan every run for every course.
  const byCourse = new Map<string, RunRow[]>();
  for (const run of runs) {
    const list = byCourse.get(run.courseId);
    if (list) list.push(run);
    else byCourse.set(run.courseId, [run]);
  }
  return rows.map((r) => toCatalogCourse(r, byCourse.get(r.course.id) ?? [], sessions));
}

export async function listCatalog(opts: { db: Db; input: TListCatalogInput }) {
  const { rows, nextCursor } = await listPublishedCourses(opts.db, opts.input);
  return { items: await withRuns(opts.db, rows), nextCursor };
}

export async function getCatalogCourse(opts: { db: Db; id: string }): Promise<TCatalogCourse> {
  const row = await findPublishedCourse(opts.db, opts.id);
  if (!row) throw notFound(opts.id);
  const [course] = await withRuns(opts.db, [row]);
  if (!course) throw notFound(opts.id);
  return course;
}

/**
 * The version of what toCatalogCourse renders. Bump it with any change to the platform's view of a
 * course: every stored entry (catalog_entries) is then out of date, the feed renders courses itself
 * until catalog.render has rendered them all again (docs/adr/0009).
 */
export const CATALOG_VIEW_VERSION = 1;

type Rendered = { kind: 'UPSERT' | 'TOMBSTONE' | 'NONE'; body: string | null };
const NOT_SHOWN: Rendered = { kind: 'NONE', body: null };

/**
 * How the feed shows these courses now: UPSERT with the course's JSON (checked against the
 * contract's schema, as tRPC's output check would), TOMBSTONE for a course that was public and is
 * not on sale now, NONE for one never public (drafts never show in the feed) or gone.
 */
export async function renderCatalogCourses(db: Db, ids: string[]): Promise<Map<string, Rendered>> {
  // The courses and their runs at once (two connections): the runs of a course not on sale are
  // read for nothing, which costs less than waiting for one query before starting the other.
  const [found, runs] = await Promise.all([coursesWithProvider(db, ids), runsOf(db, ids)]);
  const onSale = found.filter((f) => f.course.status === 'PUBLISHED' && f.providerStatus === 'ACTIVE');
  const views = new Map(viewsOf(onSale, runs).map((c) => [c.id, c]));
  const out = new Map<string, Rendered>();
  for (const f of found) {
    const view = views.get(f.course.id);
    if (view)
      out.set(f.course.id, { kind: 'UPSERT', body: JSON.stringify(ZCatalogCourseSchema.parse(view)) });
    else if (f.course.publishedAt) out.set(f.course.id, { kind: 'TOMBSTONE', body: null });
    else out.set(f.course.id, NOT_SHOWN);
  }
  return out;
}

/** A page of the change feed: the JSON of TCatalogChanges as bytes, and what it says. */
export type CatalogChangesPage = { body: Buffer; nextCursor: string; hasMore: boolean };

/** Buffers and strings into one buffer; ASCII strings (ids, cursors, punctuation) written as is. */
function concatAscii(pieces: (Buffer | string)[]): Buffer {
  const parts = pieces.map((p) => (typeof p === 'string' && !/^[\x20-\x7e]*$/.test(p) ? Buffer.from(p) : p));
  let size = 0;
  for (const p of parts) size += p.length;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const p of parts) at += typeof p === 'string' ? out.write(p, at, 'latin1') : p.copy(out, at);
  return out;
}

/**
 * The catalog change feed: what changed after `since`, as UPSERTs (the course as it is now, with its
 * runs on sale and seat availability) and TOMBSTONEs (no longer on sale), in a total order: by the
 * writing transaction's id, then by sequence within it. A consumer that stores `nextCursor` and
 * calls again never misses a change (see migration 0006).
 *
 * Written as JSON bytes: each course's stored entry is spliced in where it is current for the
 * change served (catalog_entries, kept by catalog.render); the others are rendered here, so what a
 * page shows is never older than the change it serves (docs/adr/0009).
 */
export async function catalogChangesPage(opts: {
  db: Db;
  input: TCatalogChangesInput;
}): Promise<CatalogChangesPage> {
  const since = decodeFeedCursor(opts.input.since, 'since');
  // One row more than asked: hasMore is then exact, so a consumer that has read everything is told
  // it is caught up instead of making one more call for an empty page.
  const read = await catalogFeedAfter(opts.db, since, opts.input.limit + 1, CATALOG_VIEW_VERSION);
  const rows = read.slice(0, opts.input.limit);
  const last = rows.at(-1);
  // One entry per course, at its last position in this page: its current state says it all.
  const lastIndex = new Map(rows.map((r, i) => [r.courseId, i]));
  const order = [...lastIndex.entries()].sort((a, b) => a[1] - b[1]);
  const stale = order.filter(([, i]) => !rows[i]?.entry).map(([id]) => id);
  const rendered =
    stale.length > 0 ? await renderCatalogCourses(opts.db, stale) : new Map<string, Rendered>();
  // What goes around each course is ASCII (ids, types): written straight into the page's buffer,
  // with each stored body copied in as the bytes the database sent.
  const pieces: (Buffer | string)[] = ['{"changes":['];
  let changes = 0;
  for (const [id, i] of order) {
    const shown: { kind: Rendered['kind']; body: Buffer | string | null } =
      rows[i]?.entry ?? rendered.get(id) ?? NOT_SHOWN;
    if (shown.kind === 'NONE') continue;
    const comma = changes++ > 0 ? ',' : '';
    if (shown.kind === 'UPSERT' && shown.body !== null) {
      pieces.push(`${comma}{"type":"UPSERT","courseId":${JSON.stringify(id)},"course":`);
      pieces.push(typeof shown.body === 'string' ? Buffer.from(shown.body) : shown.body);
      pieces.push('}');
    } else pieces.push(`${comma}{"type":"TOMBSTONE","courseId":${JSON.stringify(id)},"course":null}`);
  }
  const nextCursor = encodeFeedCursor(last ? { xid: last.xid, seq: last.seq } : since);
  const hasMore = read.length > opts.input.limit;
  pieces.push(`],"nextCursor":${JSON.stringify(nextCursor)},"hasMore":${hasMore}}`);
  return { body: concatAscii(pieces), nextCursor, hasMore };
}

/** The change feed as an object (the tRPC procedure, whose output check then validates it). */
export async function catalogChanges(opts: {
  db: Db;
  input: TCatalogChangesInput;
}): Promise<TCatalogChanges> {
  return JSON.parse((await catalogChangesPage(opts)).body.toString('utf8')) as TCatalogChanges;
}

/**
 * catalog.render: follows the change feed from where it stopped and stores each changed course as
 * the feed shows it (catalog_entries), so the feed splices it in instead of rendering it. The
 * snapshot's xmin is taken after the changes are read and before the courses are: every change
 * read is then below it, and the entry counts as current for it. After a view version change it
 * starts again from the beginning. Answers how many courses it rendered and whether more wait.
 */
export async function renderCatalogEntries(opts: {
  db: Db;
  max: number;
}): Promise<{ rendered: number; more: boolean }> {
  const at = await catalogRenderPosition(opts.db);
  const from = at && at.viewVersion === CATALOG_VIEW_VERSION ? at : FEED_START;
  const changes = await catalogChangesAfter(opts.db, from, opts.max);
  const last = changes.at(-1);
  if (!last) return { rendered: 0, more: false };
  const renderedXmin = await currentSnapshotXmin(opts.db);
  const ids = [...new Set(changes.map((c) => c.courseId))];
  const rendered = await renderCatalogCourses(opts.db, ids);
  await opts.db.transaction(async (tx) => {
    await upsertCatalogEntries(
      tx,
      ids.map((courseId) => ({
        courseId,
        viewVersion: CATALOG_VIEW_VERSION,
        renderedXmin,
        ...(rendered.get(courseId) ?? NOT_SHOWN),
      })),
    );
    await setCatalogRenderPosition(tx, { viewVersion: CATALOG_VIEW_VERSION, xid: last.xid, seq: last.seq });
  });
  return { rendered: ids.length, more: changes.length >= opts.max };
}
