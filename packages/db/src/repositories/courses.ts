import type { TCourse, TCourseContent, TCourseRevision, TListCoursesInput } from '@latih/contracts';
import { and, desc, eq, inArray, lt, ne, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../client';
import { courseRevisions, courses } from '../schema';
import { decodeCursor, toPage } from './cursor';

export type CourseRow = typeof courses.$inferSelect;
export type NewCourseRow = typeof courses.$inferInsert;
export type RevisionRow = typeof courseRevisions.$inferSelect;

export function contentOf(row: CourseRow): TCourseContent {
  return {
    title: row.title,
    summary: row.summary,
    description: row.description,
    category: row.category as TCourseContent['category'],
    competencyCodes: row.competencyCodes,
    occupationCodes: row.occupationCodes,
    learningOutcomes: row.learningOutcomes,
    mode: row.mode,
    hours: row.durationMinutes / 60,
    price: row.price,
    language: row.language,
    completionRule: row.completionRule,
    certificateTemplate: row.certificateTemplate ?? null,
  };
}

/** Content → the course columns that hold it. */
export function contentColumns(c: TCourseContent) {
  return {
    title: c.title,
    summary: c.summary,
    description: c.description,
    category: c.category,
    competencyCodes: c.competencyCodes,
    occupationCodes: c.occupationCodes,
    learningOutcomes: c.learningOutcomes,
    mode: c.mode,
    durationMinutes: Math.round(c.hours * 60),
    price: c.price,
    language: c.language,
    completionRule: c.completionRule,
    certificateTemplate: c.certificateTemplate,
  };
}

function toRevision(r: RevisionRow): TCourseRevision {
  return {
    id: r.id,
    status: r.status === 'APPROVED' ? 'IN_REVIEW' : r.status,
    content: r.content,
    rejection: r.rejection ?? null,
    submittedAt: r.submittedAt?.toISOString() ?? null,
    updatedAt: r.updatedAt.toISOString(),
  };
}

export function toCourse(row: CourseRow, revision?: RevisionRow | null): TCourse {
  return {
    id: row.id,
    providerId: row.providerId,
    externalId: row.externalId,
    schemeId: row.schemeId,
    status: row.status,
    ...contentOf(row),
    version: row.version,
    rejection: row.rejection ?? null,
    suspension: row.suspension ?? null,
    pendingRevision: revision ? toRevision(revision) : null,
    submittedAt: row.submittedAt?.toISOString() ?? null,
    publishedAt: row.publishedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export async function insertCourse(db: Db, values: NewCourseRow): Promise<CourseRow> {
  const [row] = await db.insert(courses).values(values).returning();
  if (!row) throw new Error('insert into courses returned no row');
  return row;
}

/** Who may see a course: its own provider always; others only once it is published. */
export type CourseVisibility =
  | { kind: 'provider'; providerId: string }
  | { kind: 'published' }
  | { kind: 'all' };

function visibilityFilter(v: CourseVisibility): SQL | undefined {
  if (v.kind === 'provider') return eq(courses.providerId, v.providerId);
  if (v.kind === 'published') return eq(courses.status, 'PUBLISHED');
  return undefined;
}

/** One course row; `forUpdate` locks it for a read-modify-write (lost updates hide on PGlite). */
export async function findCourseRow(
  db: Db,
  id: string,
  visibility: CourseVisibility,
  opts: { forUpdate?: boolean } = {},
): Promise<CourseRow | undefined> {
  const q = db
    .select()
    .from(courses)
    .where(and(eq(courses.id, id), visibilityFilter(visibility)))
    .limit(1);
  const [row] = opts.forUpdate ? await q.for('update') : await q;
  return row;
}

export async function findOpenRevision(db: Db, courseId: string): Promise<RevisionRow | undefined> {
  const [row] = await db
    .select()
    .from(courseRevisions)
    .where(
      and(
        eq(courseRevisions.courseId, courseId),
        inArray(courseRevisions.status, ['DRAFT', 'IN_REVIEW', 'REJECTED']),
      ),
    )
    .limit(1);
  return row;
}

export async function findCourse(
  db: Db,
  id: string,
  visibility: CourseVisibility,
): Promise<TCourse | undefined> {
  const row = await findCourseRow(db, id, visibility);
  if (!row) return undefined;
  // Platforms never see a provider's unreviewed edits.
  const revision = visibility.kind === 'published' ? null : await findOpenRevision(db, id);
  return toCourse(row, revision);
}

export async function updateCourseRow(db: Db, id: string, values: Partial<NewCourseRow>): Promise<CourseRow> {
  const [row] = await db
    .update(courses)
    .set({ ...values, updatedAt: sql`now()` })
    .where(eq(courses.id, id))
    .returning();
  if (!row) throw new Error(`course ${id} vanished during update`);
  return row;
}

export async function findCourseByExternalId(db: Db, providerId: string, externalId: string) {
  const [row] = await db
    .select()
    .from(courses)
    .where(and(eq(courses.providerId, providerId), eq(courses.externalId, externalId)))
    .limit(1)
    .for('update');
  return row;
}

/** A course of the same provider with the same title (case-insensitive), mode and hours. */
export async function findDuplicateCourse(
  db: Db,
  v: { providerId: string; title: string; mode: string; durationMinutes: number; exceptId?: string },
) {
  const [row] = await db
    .select({ id: courses.id })
    .from(courses)
    .where(
      and(
        eq(courses.providerId, v.providerId),
        sql`lower(${courses.title}) = lower(${v.title})`,
        eq(courses.mode, v.mode as CourseRow['mode']),
        eq(courses.durationMinutes, v.durationMinutes),
        ne(courses.status, 'WITHDRAWN'),
        v.exceptId ? ne(courses.id, v.exceptId) : undefined,
      ),
    )
    .limit(1);
  return row;
}

export async function listCourses(db: Db, input: TListCoursesInput, visibility: CourseVisibility) {
  const where: (SQL | undefined)[] = [visibilityFilter(visibility)];
  if (input.status) where.push(eq(courses.status, input.status));
  if (input.mode) where.push(eq(courses.mode, input.mode));
  if (input.cursor) where.push(lt(courses.id, decodeCursor(input.cursor)));
  const rows = await db
    .select()
    .from(courses)
    .where(and(...where))
    .orderBy(desc(courses.id))
    .limit(input.limit + 1);
  const page = toPage(
    rows,
    input.limit,
    (r) => r.id,
    (r) => r,
  );
  const revisions =
    visibility.kind === 'published' || page.items.length === 0
      ? []
      : await db
          .select()
          .from(courseRevisions)
          .where(
            and(
              inArray(
                courseRevisions.courseId,
                page.items.map((r) => r.id),
              ),
              inArray(courseRevisions.status, ['DRAFT', 'IN_REVIEW', 'REJECTED']),
            ),
          );
  const byCourse = new Map(revisions.map((r) => [r.courseId, r]));
  return { items: page.items.map((r) => toCourse(r, byCourse.get(r.id))), nextCursor: page.nextCursor };
}

export async function insertRevision(
  db: Db,
  values: typeof courseRevisions.$inferInsert,
): Promise<RevisionRow> {
  const [row] = await db.insert(courseRevisions).values(values).returning();
  if (!row) throw new Error('insert into course_revisions returned no row');
  return row;
}

export async function updateRevision(
  db: Db,
  id: string,
  values: Partial<typeof courseRevisions.$inferInsert>,
) {
  const [row] = await db
    .update(courseRevisions)
    .set({ ...values, updatedAt: sql`now()` })
    .where(eq(courseRevisions.id, id))
    .returning();
  if (!row) throw new Error(`revision ${id} vanished during update`);
  return row;
}
