import {
  AppError,
  type TCourse,
  type TCourseContent,
  type TCoursePage,
  type TCreateCourseInput,
  type TListCoursesInput,
  type TUpdateCourseInput,
  ZCourseContentSchema,
  ZCreateCourseInputSchema,
  ZUpdateCourseInputSchema,
} from '@latih/contracts';
import {
  type CourseRow,
  type CourseVisibility,
  contentColumns,
  contentOf,
  type Db,
  findCourse,
  findCourseRow,
  findOpenRevision,
  insertCourse,
  insertRevision,
  listCourses as listCourseRows,
  lockProviderForCatalog,
  type RevisionRow,
  runsOfCourses,
  toCourse,
  updateCourseRow,
  updateRevision,
} from '@latih/db';
import { type Actor, actorRef, requireProvider } from './auth/actor';
import { canonicalJson } from './canonical-json';
import { assertSchemeRules, resolveScheme } from './catalog/rules';
import { recordChange } from './changes';
import { newId } from './ids';

export type DomainCall<I> = { db: Db; actor: Actor; requestId: string | null; input: I; now?: Date };

/** A provider sees its own courses in any state; platforms only what is on sale; the PMO all. */
export function visibilityFor(actor: Actor): CourseVisibility {
  if (actor.role === 'provider') return { kind: 'provider', providerId: actor.organisationId };
  if (actor.role === 'platform') return { kind: 'published' };
  return { kind: 'all' };
}

export function notFound(id: string, field = 'id'): AppError {
  // Another organisation's record answers exactly like a missing one: existence is not leaked.
  return new AppError('NOT_FOUND', { message: `${id} not found.`, field });
}

function invalidState(row: { id: string; status: string }, action: string): AppError {
  return new AppError('INVALID_STATE', {
    message: `Course ${row.id} is ${row.status}: it cannot be ${action}.`,
  });
}

/** Row + its open revision, as the API shows it. */
async function courseView(db: Db, row: CourseRow): Promise<TCourse> {
  return toCourse(row, await findOpenRevision(db, row.id));
}

const courseEvent = (course: TCourse) => ({ organisationId: course.providerId, data: { course } });

export async function createCourse(opts: DomainCall<TCreateCourseInput>): Promise<TCourse> {
  requireProvider(opts.actor);
  const input = ZCreateCourseInputSchema.parse(opts.input);
  const now = opts.now ?? new Date();
  return opts.db.transaction(async (tx) => {
    const scheme = await resolveScheme(tx, input.schemeId, now);
    assertSchemeRules(input, scheme);
    const { externalId, schemeId: _ignored, ...content } = input;
    const row = await insertCourse(tx, {
      id: newId('course', now.getTime()),
      providerId: opts.actor.organisationId,
      externalId: externalId ?? null,
      schemeId: scheme.id,
      status: 'DRAFT',
      ...contentColumns(content),
    }).catch((err: unknown) => {
      if (isUniqueViolation(err, 'courses_provider_external_idx')) {
        throw new AppError('EXTERNAL_ID_TAKEN', {
          message: `You already have a course with externalId ${externalId}.`,
          field: 'externalId',
        });
      }
      throw err;
    });
    const course = toCourse(row, null);
    await recordChange(tx, {
      actor: actorRef(opts.actor, opts.requestId),
      action: 'course.created',
      entityType: 'course',
      entityId: course.id,
      fromState: null,
      toState: course.status,
      event: { type: 'course.created', ...courseEvent(course) },
    });
    return course;
  });
}

export async function getCourse(opts: { db: Db; actor: Actor; id: string }): Promise<TCourse> {
  const course = await findCourse(opts.db, opts.id, visibilityFor(opts.actor));
  if (!course) throw notFound(opts.id);
  return course;
}

export function listCourses(opts: { db: Db; actor: Actor; input: TListCoursesInput }): Promise<TCoursePage> {
  return listCourseRows(opts.db, opts.input, visibilityFor(opts.actor));
}

/**
 * Changes the fields sent. A draft (or rejected) course is edited in place and goes back to DRAFT;
 * a published or suspended one gets a revision, reviewed while the published version stays on sale.
 */
export async function updateCourse(opts: DomainCall<TUpdateCourseInput>): Promise<TCourse> {
  requireProvider(opts.actor);
  const { id, ...patch } = ZUpdateCourseInputSchema.parse(opts.input);
  const now = opts.now ?? new Date();
  return opts.db.transaction(async (tx) => {
    const row = await findCourseRow(tx, id, visibilityFor(opts.actor), { forUpdate: true });
    if (!row) throw notFound(id);
    const scheme = await resolveScheme(tx, row.schemeId, now);
    const ref = actorRef(opts.actor, opts.requestId);

    if (row.status === 'DRAFT' || row.status === 'REJECTED') {
      const content = ZCourseContentSchema.parse({ ...contentOf(row), ...patch });
      assertSchemeRules(content, scheme);
      await assertRunsStillFit(tx, row, content);
      if (canonicalJson(content) === canonicalJson(contentOf(row)) && row.status === 'DRAFT')
        return courseView(tx, row);
      const updated = await updateCourseRow(tx, id, {
        ...contentColumns(content),
        status: 'DRAFT',
        rejection: null,
        version: row.version + 1,
      });
      const course = toCourse(updated, null);
      await recordChange(tx, {
        actor: ref,
        action: 'course.updated',
        entityType: 'course',
        entityId: id,
        fromState: row.status,
        toState: 'DRAFT',
        event: { type: 'course.updated', ...courseEvent(course) },
      });
      return course;
    }

    if (row.status === 'PUBLISHED' || row.status === 'SUSPENDED') {
      const open = await findOpenRevision(tx, id);
      if (open?.status === 'IN_REVIEW')
        throw new AppError('INVALID_STATE', { message: 'An edit of this course is in review.' });
      const content = ZCourseContentSchema.parse({ ...(open?.content ?? contentOf(row)), ...patch });
      assertSchemeRules(content, scheme);
      await assertRunsStillFit(tx, row, content);
      const revision: RevisionRow = open
        ? await updateRevision(tx, open.id, { content, status: 'DRAFT', rejection: null })
        : await insertRevision(tx, {
            id: newId('revision', now.getTime()),
            courseId: id,
            status: 'DRAFT',
            content,
          });
      await recordChange(tx, {
        actor: ref,
        action: 'course.revision_updated',
        entityType: 'course',
        entityId: id,
        fromState: open?.status ?? null,
        toState: 'REVISION_DRAFT',
        auditData: { revisionId: revision.id },
      });
      return toCourse(row, revision);
    }
    throw invalidState(row, 'edited');
  });
}

/** Hours and mode are what a run's schedule is checked against: they cannot drift from live runs. */
async function assertRunsStillFit(tx: Db, row: CourseRow, content: TCourseContent): Promise<void> {
  if (content.mode === row.mode && Math.round(content.hours * 60) === row.durationMinutes) return;
  const active = await runsOfCourses(tx, [row.id], ['SCHEDULED', 'OPEN', 'FULL', 'RUNNING']);
  if (active.length > 0) {
    throw new AppError('INVALID_STATE', {
      message:
        'The course has active runs: change their sessions or cancel them before changing mode or hours.',
      field: content.mode !== row.mode ? 'mode' : 'hours',
    });
  }
}

/** What review needs before a course (or an edit) goes to the PMO. */
async function assertReadyForReview(
  tx: Db,
  row: CourseRow,
  content: TCourseContent,
  now: Date,
): Promise<void> {
  const scheme = await resolveScheme(tx, row.schemeId, now);
  assertSchemeRules(content, scheme);
  if (content.learningOutcomes.length === 0) {
    throw new AppError('COURSE_INCOMPLETE', {
      message: 'State at least one learning outcome.',
      field: 'learningOutcomes',
    });
  }
  if (content.mode !== 'SELF_PACED') {
    const active = await runsOfCourses(tx, [row.id], ['SCHEDULED', 'OPEN', 'FULL']);
    if (active.length === 0) {
      throw new AppError('COURSE_INCOMPLETE', {
        message: `A ${content.mode} course needs at least one scheduled run before review.`,
        field: 'runs',
      });
    }
  }
}

export async function submitCourse(opts: DomainCall<{ id: string }>): Promise<TCourse> {
  requireProvider(opts.actor);
  const now = opts.now ?? new Date();
  return opts.db.transaction(async (tx) => {
    const row = await findCourseRow(tx, opts.input.id, visibilityFor(opts.actor), { forUpdate: true });
    if (!row) throw notFound(opts.input.id);
    const ref = actorRef(opts.actor, opts.requestId);
    if (row.status === 'DRAFT') {
      await assertReadyForReview(tx, row, contentOf(row), now);
      const updated = await updateCourseRow(tx, row.id, { status: 'IN_REVIEW', submittedAt: now });
      const course = toCourse(updated, null);
      await recordChange(tx, {
        actor: ref,
        action: 'course.submitted',
        entityType: 'course',
        entityId: row.id,
        fromState: 'DRAFT',
        toState: 'IN_REVIEW',
        event: { type: 'course.submitted', ...courseEvent(course) },
      });
      return course;
    }
    if (row.status === 'PUBLISHED' || row.status === 'SUSPENDED') {
      const open = await findOpenRevision(tx, row.id);
      if (open?.status !== 'DRAFT') {
        throw new AppError('INVALID_STATE', {
          message: open
            ? `The edit is ${open.status}: edit it again before submitting.`
            : 'There is no edit to submit.',
        });
      }
      await assertReadyForReview(tx, row, open.content, now);
      const revision = await updateRevision(tx, open.id, { status: 'IN_REVIEW', submittedAt: now });
      const course = toCourse(row, revision);
      await recordChange(tx, {
        actor: ref,
        action: 'course.revision_submitted',
        entityType: 'course',
        entityId: row.id,
        fromState: 'REVISION_DRAFT',
        toState: 'REVISION_IN_REVIEW',
        auditData: { revisionId: revision.id },
        event: { type: 'course.revision_submitted', ...courseEvent(course) },
      });
      return course;
    }
    throw invalidState(row, 'submitted (edit a rejected course first: it returns to DRAFT)');
  });
}

/** The provider takes a course off sale for good (or abandons a draft). Suspended ones stay with the PMO. */
export async function withdrawCourse(opts: DomainCall<{ id: string }>): Promise<TCourse> {
  requireProvider(opts.actor);
  return opts.db.transaction((tx) =>
    withdrawInTransaction(tx, {
      actor: opts.actor,
      requestId: opts.requestId,
      id: opts.input.id,
      now: opts.now ?? new Date(),
    }),
  );
}

/** The withdrawal inside the caller's transaction. */
export async function withdrawInTransaction(
  tx: Db,
  opts: { actor: Actor; requestId: string | null; id: string; now: Date },
): Promise<TCourse> {
  requireProvider(opts.actor);
  const row = await findCourseRow(tx, opts.id, visibilityFor(opts.actor), { forUpdate: true });
  if (!row) throw notFound(opts.id);
  // A course leaving sale is a decision on its visibility, which also depends on the provider's
  // status: it takes the provider's row like every such write (lockProviderForCatalog says why).
  await lockProviderForCatalog(tx, row.providerId);
  if (!['DRAFT', 'REJECTED', 'PUBLISHED'].includes(row.status)) throw invalidState(row, 'withdrawn');
  const open = await findOpenRevision(tx, row.id);
  if (open) await updateRevision(tx, open.id, { status: 'REJECTED', rejection: withdrawnNote(opts.now) });
  const updated = await updateCourseRow(tx, row.id, { status: 'WITHDRAWN' });
  const course = toCourse(updated, null);
  await recordChange(tx, {
    actor: actorRef(opts.actor, opts.requestId),
    action: 'course.withdrawn',
    entityType: 'course',
    entityId: row.id,
    fromState: row.status,
    toState: 'WITHDRAWN',
    event: { type: 'course.withdrawn', ...courseEvent(course) },
  });
  return course;
}

/** The pending edit of a withdrawn course ends rejected, dated by the program's clock. */
const withdrawnNote = (now: Date) => ({
  reasons: ['OTHER' as const],
  note: 'Withdrawn by the provider',
  at: now.toISOString(),
});

/** PostgreSQL unique_violation on a named constraint, as either driver reports it. */
export function isUniqueViolation(err: unknown, constraint: string): boolean {
  for (let e: unknown = err; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    const c = e as { code?: string; constraint?: string; message?: string };
    if (c.code === '23505' && (c.constraint === constraint || c.message?.includes(constraint))) return true;
  }
  return false;
}
