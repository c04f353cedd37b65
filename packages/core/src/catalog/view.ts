import type {
  TCatalogChange,
  TCatalogChanges,
  TCatalogChangesInput,
  TCatalogCourse,
  TListCatalogInput,
  ZCatalogCourseSchema,
} from '@latih/contracts';
import {
  type CatalogRow,
  catalogChangesAfter,
  contentOf,
  coursesWithProvider,
  type Db,
  findPublishedCourse,
  listPublishedCourses,
  type RunRow,
  runsOfCourses,
  type SessionRow,
  sessionsOf,
  toSession,
} from '@latih/db';
import type { z } from 'zod';
import { notFound } from '../courses';
import { decodeFeedCursor, encodeFeedCursor } from '../feed-cursor';

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
 * The catalog change feed: what changed after `since`, as UPSERTs (the course as it is now, with its
 * runs on sale and seat availability) and TOMBSTONEs (no longer on sale), in a total order: by the
 * writing transaction's id, then by sequence within it. A consumer that stores `nextCursor` and
 * calls again never misses a change (see migration 0006).
 */
export async function catalogChanges(opts: {
  db: Db;
  input: TCatalogChangesInput;
}): Promise<TCatalogChanges> {
  const since = decodeFeedCursor(opts.input.since, 'since');
  // One row more than asked: hasMore is then exact, so a consumer that has read everything is told
  // it is caught up instead of making one more call for an empty page.
  const read = await catalogChangesAfter(opts.db, since, opts.input.limit + 1);
  const rows = read.slice(0, opts.input.limit);
  const last = rows.at(-1);
  // One entry per course, at its last position in this page: its current state says it all.
  const lastIndex = new Map(rows.map((r, i) => [r.courseId, i]));
  const ids = [...lastIndex.keys()];
  // The courses and their runs at once (two connections): the runs of a course not on sale are
  // read for nothing, which costs less than waiting for one query before starting the other.
  const [found, runs] = await Promise.all([coursesWithProvider(opts.db, ids), runsOf(opts.db, ids)]);
  const onSale = found.filter((f) => f.course.status === 'PUBLISHED' && f.providerStatus === 'ACTIVE');
  const views = new Map(viewsOf(onSale, runs).map((c) => [c.id, c]));
  const byId = new Map(found.map((f) => [f.course.id, f]));
  const changes: TCatalogChange[] = [];
  for (const id of [...lastIndex.entries()].sort((a, b) => a[1] - b[1]).map(([courseId]) => courseId)) {
    const view = views.get(id);
    if (view) changes.push({ type: 'UPSERT', courseId: id, course: view });
    // Only courses that were once public get a tombstone: drafts never show in the feed.
    else if (byId.get(id)?.course.publishedAt)
      changes.push({ type: 'TOMBSTONE', courseId: id, course: null });
  }
  return {
    changes,
    nextCursor: encodeFeedCursor(last ? { xid: last.xid, seq: last.seq } : since),
    hasMore: read.length > opts.input.limit,
  };
}
