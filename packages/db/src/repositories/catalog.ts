import { AppError, type TCurationQueueInput, type TListCatalogInput } from '@latih/contracts';
import { and, asc, desc, eq, inArray, lt, type SQL, sql } from 'drizzle-orm';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { Db } from '../client';
import { execRows } from '../client';
import {
  catalogEntries,
  catalogRenderState,
  courseRevisions,
  courses,
  organisations,
  runSessions,
  runs,
} from '../schema';
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
 * The change `c` is superseded: its course has a later change that is already servable (below the
 * snapshot's xmin). The feed skips it, since the consumer gets the course there as it is now
 * (migration 0033), and catalog.compact deletes it. One text for the feed's readers and the clean-up.
 */
const SUPERSEDED_TEXT = `exists (
  select 1 from catalog_changes later
   where later.course_id = c.course_id and (later.xid, later.seq) > (c.xid, c.seq)
     and later.xid < pg_snapshot_xmin(pg_current_snapshot()))`;
const SUPERSEDED = sql.raw(SUPERSEDED_TEXT);

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
          and not ${SUPERSEDED}
        order by c.xid, c.seq
        limit ${limit}`,
  ).then((rows) => rows.map((r) => ({ seq: Number(r.seq), xid: String(r.xid_text), courseId: r.course_id })));
}

/** A change the feed serves, with its course's rendered entry when that entry is current for it. */
export type CatalogFeedRow = CatalogChangeRow & {
  /**
   * The stored entry, when it was rendered after this change committed, by this view version. Its
   * body is the JSON's bytes as the server sent them on PostgreSQL (never decoded), text on PGlite.
   */
  entry: { kind: 'UPSERT' | 'TOMBSTONE' | 'NONE'; body: Buffer | string | null } | null;
};

const KINDS = new Set(['UPSERT', 'TOMBSTONE', 'NONE']);

/** The pg pool behind a Drizzle database; null on PGlite (and for a transaction). */
function poolOf(db: Db): pg.Pool | null {
  const client = (db as { $client?: unknown }).$client;
  return client instanceof pg.Pool ? client : null;
}

/**
 * The rows of `COPY … TO STDOUT (FORMAT binary)`: each field's bytes as sent (a text column's are
 * its UTF-8), null for NULL. The format: an 11-byte signature, flags and a header extension, then
 * per row a 16-bit field count (-1 ends it) and per field a 32-bit length (-1: NULL) and the bytes.
 */
export function parseCopyBinary(buf: Buffer): (Buffer | null)[][] {
  let at = 11 + 4;
  at += 4 + buf.readInt32BE(at);
  const rows: (Buffer | null)[][] = [];
  for (;;) {
    const fields = buf.readInt16BE(at);
    at += 2;
    if (fields === -1) return rows;
    const row = new Array<Buffer | null>(fields);
    for (let i = 0; i < fields; i++) {
      const length = buf.readInt32BE(at);
      at += 4;
      if (length === -1) row[i] = null;
      else {
        row[i] = buf.subarray(at, at + length);
        at += length;
      }
    }
    rows.push(row);
  }
}

/**
 * catalogChangesAfter with each course's rendered entry (catalog_entries, docs/adr/0009) where it
 * is current for the change: rendered by `viewVersion` in a snapshot whose xmin is above the
 * change's transaction id, so it shows the course with that change and every earlier one.
 *
 * On PostgreSQL the rows come by binary COPY, so the stored JSON reaches the HTTP response as the
 * bytes the server sent: a page of 500 courses is 1.6 MB, and decoding it to a string and encoding
 * it back cost ~5 ms each on Node 20 (docs/benchmarks.md, Catalog sync). COPY takes no parameters:
 * every value put in the statement is a number checked here.
 */
export async function catalogFeedAfter(
  db: Db,
  since: { xid: string; seq: number },
  limit: number,
  viewVersion: number,
): Promise<CatalogFeedRow[]> {
  if (!/^\d{1,20}$/.test(since.xid) || ![since.seq, limit, viewVersion].every(Number.isSafeInteger))
    throw new Error('catalogFeedAfter: a position, limit or version that is not a number');
  const text = `select c.seq::text, c.xid::text, c.course_id, e.kind, e.body
      from catalog_changes c
      left join catalog_entries e
        on e.course_id = c.course_id and e.view_version = ${viewVersion} and e.rendered_xmin > c.xid
     where (c.xid, c.seq) > ('${since.xid}'::xid8, ${since.seq}::bigint)
       and c.xid < pg_snapshot_xmin(pg_current_snapshot())
       and not ${SUPERSEDED_TEXT}
     order by c.xid, c.seq
     limit ${limit}`;
  const pool = poolOf(db);
  if (!pool) {
    const rows = await execRows<{
      seq: string;
      xid: string;
      course_id: string;
      kind: string | null;
      body: string | null;
    }>(db, sql.raw(text));
    return rows.map((r) => ({
      seq: Number(r.seq),
      xid: String(r.xid),
      courseId: r.course_id,
      entry: r.kind && KINDS.has(r.kind) ? { kind: r.kind as 'UPSERT', body: r.body } : null,
    }));
  }
  const client = await pool.connect();
  let bytes: Buffer;
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of client.query(copyTo(`copy (${text}) to stdout (format binary)`)))
      chunks.push(chunk as Buffer);
    bytes = Buffer.concat(chunks);
  } catch (err) {
    client.release(err as Error);
    throw err;
  }
  client.release();
  return parseCopyBinary(bytes).map(([seq, xid, courseId, kind, body]) => {
    const k = kind?.toString('latin1');
    return {
      seq: Number(seq?.toString('latin1')),
      xid: xid?.toString('latin1') ?? '0',
      courseId: courseId?.toString('utf8') ?? '',
      entry: k && KINDS.has(k) ? { kind: k as 'UPSERT', body: body ?? null } : null,
    };
  });
}

/**
 * The xmin of a fresh snapshot: every transaction with a lower id has ended, so what is read after
 * this shows all of their writes. Rendered entries carry it (catalog_entries.rendered_xmin).
 */
export async function currentSnapshotXmin(db: Db): Promise<string> {
  const [row] = await execRows<{ xmin: string }>(
    db,
    sql`select pg_snapshot_xmin(pg_current_snapshot())::text as xmin`,
  );
  if (!row) throw new Error('no snapshot');
  return String(row.xmin);
}

export type CatalogEntryWrite = {
  courseId: string;
  viewVersion: number;
  renderedXmin: string;
  kind: 'UPSERT' | 'TOMBSTONE' | 'NONE';
  body: string | null;
};

/**
 * Stores rendered entries. An entry already rendered in a later snapshot by the same view version
 * is kept: a slower renderer never puts an older state back.
 */
export async function upsertCatalogEntries(db: Db, entries: CatalogEntryWrite[]): Promise<void> {
  for (let i = 0; i < entries.length; i += 200) {
    const chunk = entries.slice(i, i + 200);
    await db
      .insert(catalogEntries)
      .values(chunk.map((e) => ({ ...e, renderedAt: sql`now()` })))
      .onConflictDoUpdate({
        target: catalogEntries.courseId,
        set: {
          viewVersion: sql`excluded.view_version`,
          renderedXmin: sql`excluded.rendered_xmin`,
          kind: sql`excluded.kind`,
          body: sql`excluded.body`,
          renderedAt: sql`excluded.rendered_at`,
        },
        setWhere: sql`${catalogEntries.viewVersion} <> excluded.view_version
          or ${catalogEntries.renderedXmin} < excluded.rendered_xmin`,
      });
  }
}

const RENDER_STATE_ID = 'catalog.render';

/** Where catalog.render stopped reading the feed, for the view version it renders; null: nowhere yet. */
export async function catalogRenderPosition(db: Db) {
  const [row] = await db.select().from(catalogRenderState).where(eq(catalogRenderState.id, RENDER_STATE_ID));
  return row ? { viewVersion: row.viewVersion, xid: String(row.xid), seq: row.seq } : null;
}

export async function setCatalogRenderPosition(
  db: Db,
  p: { viewVersion: number; xid: string; seq: number },
): Promise<void> {
  await db
    .insert(catalogRenderState)
    .values({ id: RENDER_STATE_ID, ...p })
    .onConflictDoUpdate({
      target: catalogRenderState.id,
      set: { viewVersion: p.viewVersion, xid: p.xid, seq: p.seq },
    });
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
             where ${SUPERSEDED}
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
