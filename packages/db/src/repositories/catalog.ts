import { AppError, type TCurationQueueInput, type TListCatalogInput } from '@latih/contracts';
import { and, asc, desc, eq, inArray, lt, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../client';
import { execRows } from '../client';
import { courseRevisions, courses, organisations, runSessions, runs } from '../schema';
import type { CourseRow } from './courses';
import { afterFeedPosition, decodeCursor, encodeCursor } from './cursor';

/** Published courses for the platform catalog, newest first, with their provider's name. */
/** A course with what the catalog shows of its provider: name and review aggregates. */
const catalogColumns = {
  course: courses,
  providerName: organisations.name,
  providerRatingSum: organisations.ratingSum,
  providerRatingCount: organisations.ratingCount,
};
export type CatalogRow = {
  course: CourseRow;
  providerName: string;
  providerRatingSum: number;
  providerRatingCount: number;
};

export async function listPublishedCourses(
  db: Db,
  input: TListCatalogInput,
): Promise<{ rows: CatalogRow[]; nextCursor: string | null }> {
  const where: (SQL | undefined)[] = [eq(courses.status, 'PUBLISHED'), eq(organisations.status, 'ACTIVE')];
  if (input.mode) where.push(eq(courses.mode, input.mode));
  if (input.category) where.push(eq(courses.category, input.category));
  if (input.cursor) where.push(lt(courses.id, decodeCursor(input.cursor)));
  if (input.provinceCode) {
    where.push(
      sql`exists (select 1 from ${runs} join ${runSessions} on ${runSessions.runId} = ${runs.id}
        where ${runs.courseId} = ${courses.id} and ${runs.status} in ('OPEN', 'FULL')
        and ${runSessions.regencyCode} like ${`${input.provinceCode}.%`})`,
    );
  }
  const rows = await db
    .select(catalogColumns)
    .from(courses)
    .innerJoin(organisations, eq(organisations.id, courses.providerId))
    .where(and(...where))
    .orderBy(desc(courses.id))
    .limit(input.limit + 1);
  const more = rows.length > input.limit;
  const page = more ? rows.slice(0, input.limit) : rows;
  const last = page.at(-1);
  return { rows: page, nextCursor: more && last ? encodeCursor(last.course.id) : null };
}

export async function findPublishedCourse(db: Db, id: string) {
  const [row] = await db
    .select(catalogColumns)
    .from(courses)
    .innerJoin(organisations, eq(organisations.id, courses.providerId))
    .where(and(eq(courses.id, id), eq(courses.status, 'PUBLISHED'), eq(organisations.status, 'ACTIVE')))
    .limit(1);
  return row;
}

export type CurationRow = {
  courseId: string;
  revisionId: string | null;
  providerId: string;
  providerName: string;
  title: string;
  mode: string;
  category: string;
  submittedAt: Date;
};

/**
 * The review queue, oldest first: new courses in review, and edits of published courses in review
 * (at most one item per course). Filters apply to the content under review.
 */
export async function curationQueue(db: Db, input: TCurationQueueInput, now: Date) {
  const submitted = sql<Date>`coalesce(${courseRevisions.submittedAt}, ${courses.submittedAt})`;
  // The cursor keeps microseconds: PostgreSQL stores them, and a millisecond cursor would repeat rows.
  const submittedMicros = sql<number>`(extract(epoch from ${submitted}) * 1000000)::bigint`;
  const mode = sql<string>`coalesce(${courseRevisions.content}->>'mode', ${courses.mode})`;
  const category = sql<string>`coalesce(${courseRevisions.content}->>'category', ${courses.category})`;
  const where: (SQL | undefined)[] = [
    sql`(${courses.status} = 'IN_REVIEW' or ${courseRevisions.id} is not null)`,
  ];
  if (input.providerId) where.push(eq(courses.providerId, input.providerId));
  if (input.mode) where.push(sql`${mode} = ${input.mode}`);
  if (input.category) where.push(sql`${category} = ${input.category}`);
  if (input.minAgeHours !== undefined) {
    where.push(sql`${submitted} <= ${new Date(now.getTime() - input.minAgeHours * 3_600_000)}`);
  }
  if (input.cursor) {
    const [micros, id] = decodeCursor(input.cursor).split('|');
    // A forged position would fail the bigint cast in SQL (a 500): refuse it as a bad cursor.
    if (!micros || !/^\d{1,16}$/.test(micros) || id === undefined) {
      throw new AppError('VALIDATION_FAILED', {
        message: 'The cursor is not one this API returned.',
        field: 'cursor',
      });
    }
    where.push(sql`(${submittedMicros}, ${courses.id}) > (${Number(micros)}::bigint, ${id})`);
  }
  const rows = await db
    .select({
      courseId: courses.id,
      revisionId: courseRevisions.id,
      providerId: courses.providerId,
      providerName: organisations.name,
      title: sql<string>`coalesce(${courseRevisions.content}->>'title', ${courses.title})`,
      mode,
      category,
      submittedAt: submitted.mapWith((v: string | Date) => new Date(v)),
      submittedMicros: submittedMicros.mapWith(Number),
    })
    .from(courses)
    .innerJoin(organisations, eq(organisations.id, courses.providerId))
    .leftJoin(
      courseRevisions,
      and(eq(courseRevisions.courseId, courses.id), eq(courseRevisions.status, 'IN_REVIEW')),
    )
    .where(and(...where))
    .orderBy(asc(submittedMicros), asc(courses.id))
    .limit(input.limit + 1);
  const more = rows.length > input.limit;
  const page = more ? rows.slice(0, input.limit) : rows;
  const last = page.at(-1);
  return {
    rows: page as CurationRow[],
    nextCursor: more && last ? encodeCursor(`${last.submittedMicros}|${last.courseId}`) : null,
  };
}

export type CatalogChangeRow = { seq: number; xid: string; courseId: string };

/**
 * Changes after `since` (an `xid:seq` position), in (xid, seq) order, only from transactions that
 * finished before every transaction still running (xid below the snapshot's xmin). See migration
 * 0006 for why this never skips a change.
 */
export async function catalogChangesAfter(db: Db, since: { xid: string; seq: number }, limit: number) {
  // The text form is selected under another name: ORDER BY binds to an output alias before a
  // column, so `xid::text as xid … order by xid` sorted text ("1391" before "999") and skipped and
  // repeated changes once transaction ids gained a digit. Order by the xid8 column itself.
  return execRows<{ seq: number | string; xid_text: string; course_id: string }>(
    db,
    sql`select c.seq, c.xid::text as xid_text, c.course_id from catalog_changes c
        where ${afterFeedPosition(since)}
          -- Superseded: the course has a later change that is already servable. The consumer gets
          -- the course there, as it is now (migration 0033); a full sync reads each course once.
          and not exists (
            select 1 from catalog_changes later
             where later.course_id = c.course_id and (later.xid, later.seq) > (c.xid, c.seq)
               and later.xid < pg_snapshot_xmin(pg_current_snapshot()))
        order by c.xid, c.seq
        limit ${limit}`,
  ).then((rows) => rows.map((r) => ({ seq: Number(r.seq), xid: String(r.xid_text), courseId: r.course_id })));
}

/**
 * Deletes up to `max` superseded catalog changes: rows whose course has a later change that is
 * already servable. The feed never serves them (catalogChangesAfter), so no consumer loses
 * anything: the later row is after any cursor that precedes the deleted one. Keeps the table near
 * one row per course however often seats change. Answers how many rows went.
 */
export async function deleteSupersededCatalogChanges(db: Db, max: number): Promise<number> {
  const rows = await execRows<{ n: number | string }>(
    db,
    sql`with gone as (
          delete from catalog_changes where seq in (
            select c.seq from catalog_changes c
             where exists (
               select 1 from catalog_changes later
                where later.course_id = c.course_id and (later.xid, later.seq) > (c.xid, c.seq)
                  and later.xid < pg_snapshot_xmin(pg_current_snapshot()))
             order by c.xid, c.seq
             limit ${max})
          returning 1)
        select count(*) as n from gone`,
  );
  return Number(rows[0]?.n ?? 0);
}

/** Courses on sale or not, by id, with provider name (for the feed's upserts). */
export async function coursesWithProvider(db: Db, ids: string[]) {
  if (ids.length === 0) return [];
  return db
    .select({ ...catalogColumns, providerStatus: organisations.status })
    .from(courses)
    .innerJoin(organisations, eq(organisations.id, courses.providerId))
    .where(inArray(courses.id, ids));
}
