import {
  AppError,
  type TCourse,
  type TCourseContent,
  type TCurationQueueInput,
  type TCurationReview,
  type TIndicator,
  type TRejection,
  type TScheme,
} from '@latih/contracts';
import {
  type CourseRow,
  contentColumns,
  contentOf,
  curationQueue,
  type Db,
  findCourseRow,
  findDuplicateCourse,
  findOpenRevision,
  lockProviderForCatalog,
  runsOfCourses,
  type SessionRow,
  sessionsOf,
  toCourse,
  toRun,
  updateCourseRow,
  updateRevision,
} from '@latih/db';
import { type Actor, actorRef, requirePmo, requireProvider } from './auth/actor';
import { assertSchemeRules, resolveScheme, schemeViolations } from './catalog/rules';
import { recordChange } from './changes';
import { type DomainCall, notFound, visibilityFor } from './courses';

export async function reviewQueue(opts: { db: Db; actor: Actor; input: TCurationQueueInput; now?: Date }) {
  requirePmo(opts.actor);
  const now = opts.now ?? new Date();
  const { rows, nextCursor } = await curationQueue(opts.db, opts.input, now);
  return {
    items: rows.map((r) => ({
      kind: r.revisionId ? ('REVISION' as const) : ('NEW_COURSE' as const),
      courseId: r.courseId,
      revisionId: r.revisionId,
      providerId: r.providerId,
      providerName: r.providerName,
      title: r.title,
      mode: r.mode as TCourse['mode'],
      category: r.category,
      submittedAt: r.submittedAt.toISOString(),
      waitingHours: Math.round(((now.getTime() - r.submittedAt.getTime()) / 3_600_000) * 10) / 10,
    })),
    nextCursor,
  };
}

/** Price per hour outside this band is worth a reviewer's look (whole rupiah per hour). */
const PRICE_PER_HOUR_BAND = { min: 10_000, max: 250_000 };

/** The automatic checklist shown beside a course under review. Indicators inform; people decide. */
export async function indicatorsFor(
  db: Db,
  row: CourseRow,
  content: TCourseContent,
  scheme: TScheme,
  sessions: { runId: string; rows: SessionRow[] }[],
): Promise<TIndicator[]> {
  const violations = schemeViolations(content, scheme);
  const violation = (field: string) => violations.find((v) => v.field === field);
  const ind = (code: TIndicator['code'], ok: boolean, detail: string): TIndicator => ({ code, ok, detail });
  const minutes = Math.round(content.hours * 60);
  const luring = sessions.flatMap((s) => s.rows.filter((r) => r.mode === 'LURING'));
  const mismatched = sessions.filter(
    (s) =>
      Math.round(s.rows.reduce((m, r) => m + (r.endsAt.getTime() - r.startsAt.getTime()) / 60_000, 0)) !==
      minutes,
  );
  const perHour = Math.round(content.price / content.hours);
  const duplicate = await findDuplicateCourse(db, {
    providerId: row.providerId,
    title: content.title,
    mode: content.mode,
    durationMinutes: minutes,
    exceptId: row.id,
  });
  const needsRuns = content.mode !== 'SELF_PACED';
  return [
    ind('SCHEME_HOURS', !violation('hours'), violation('hours')?.message ?? `${content.hours} hours`),
    ind(
      'SCHEME_PRICE',
      !violation('price'),
      violation('price')?.message ?? `Rp${content.price.toLocaleString('id-ID')}`,
    ),
    ind(
      'SCHEME_MODE',
      !violation('mode'),
      violation('mode')?.message ?? `${content.mode} is allowed by ${scheme.id}`,
    ),
    ind(
      'OUTCOMES_PRESENT',
      content.learningOutcomes.length >= 3,
      `${content.learningOutcomes.length} learning outcomes (3 or more expected)`,
    ),
    ind(
      'COMPETENCIES_PRESENT',
      content.competencyCodes.length + content.occupationCodes.length > 0,
      `${content.competencyCodes.length} SKKNI units, ${content.occupationCodes.length} KBJI occupations`,
    ),
    ind(
      'COMPLETION_RULE_SET',
      content.completionRule.assignmentRequired || content.completionRule.postTestPassScore !== null,
      `attendance ≥ ${content.completionRule.minAttendancePercent} %, post-test ${content.completionRule.postTestPassScore ?? 'none'}, assignment ${content.completionRule.assignmentRequired ? 'required' : 'not required'}`,
    ),
    ind(
      'CERTIFICATE_TEMPLATE_SET',
      content.certificateTemplate !== null,
      content.certificateTemplate?.title ?? 'no template',
    ),
    ind(
      'RUNS_SCHEDULED',
      !needsRuns || sessions.length > 0,
      needsRuns
        ? `${sessions.length} active run${sessions.length === 1 ? '' : 's'}`
        : 'self-paced: no runs needed',
    ),
    ind(
      'SESSION_HOURS_MATCH',
      mismatched.length === 0,
      mismatched.length === 0
        ? 'every run adds up to the course hours'
        : `runs off the course hours: ${mismatched.map((m) => m.runId).join(', ')}`,
    ),
    ind(
      'VENUES_COMPLETE',
      luring.every((s) => s.venue && s.venue.accessibility.trim().length > 0),
      luring.length === 0
        ? 'no luring sessions'
        : `${luring.length} luring sessions; accessibility notes on every venue expected`,
    ),
    ind(
      'PRICE_PER_HOUR_REASONABLE',
      perHour >= PRICE_PER_HOUR_BAND.min && perHour <= PRICE_PER_HOUR_BAND.max,
      `Rp${perHour.toLocaleString('id-ID')} per hour (band Rp${PRICE_PER_HOUR_BAND.min.toLocaleString('id-ID')}–Rp${PRICE_PER_HOUR_BAND.max.toLocaleString('id-ID')})`,
    ),
    ind(
      'NO_DUPLICATE',
      !duplicate,
      duplicate ? `same title, mode and hours as ${duplicate.id}` : 'no look-alike course',
    ),
  ];
}

export async function getReview(opts: {
  db: Db;
  actor: Actor;
  id: string;
  now?: Date;
}): Promise<TCurationReview> {
  requirePmo(opts.actor);
  const row = await findCourseRow(opts.db, opts.id, { kind: 'all' });
  if (!row) throw notFound(opts.id);
  const revision = await findOpenRevision(opts.db, row.id);
  const underReview =
    row.status === 'IN_REVIEW' ? 'COURSE' : revision?.status === 'IN_REVIEW' ? 'REVISION' : 'NONE';
  const content = underReview === 'REVISION' && revision ? revision.content : contentOf(row);
  const scheme = await resolveScheme(opts.db, row.schemeId, opts.now ?? new Date());
  const runRows = await runsOfCourses(opts.db, [row.id]);
  const sessions = await sessionsOf(
    opts.db,
    runRows.map((r) => r.id),
  );
  const active = runRows.filter((r) => ['SCHEDULED', 'OPEN', 'FULL'].includes(r.status));
  return {
    course: toCourse(row, revision),
    underReview,
    runs: runRows.map((r) => toRun(r, sessions.get(r.id) ?? [], { withMeetingUrl: true })),
    indicators: await indicatorsFor(
      opts.db,
      row,
      content,
      scheme,
      active.map((r) => ({ runId: r.id, rows: sessions.get(r.id) ?? [] })),
    ),
  };
}

/**
 * The same indicators, for the provider about its own course: what the reviewer will see beside
 * it, for the content under review or, before submitting, the draft (the open revision's content
 * when there is one). Every indicator reads only the provider's own data.
 */
export async function ownCourseIndicators(opts: {
  db: Db;
  actor: Actor;
  id: string;
  now?: Date;
}): Promise<{ content: 'COURSE' | 'REVISION'; indicators: TIndicator[] }> {
  requireProvider(opts.actor);
  const row = await findCourseRow(opts.db, opts.id, visibilityFor(opts.actor));
  if (!row) throw notFound(opts.id);
  const revision = await findOpenRevision(opts.db, row.id);
  const content = revision ? revision.content : contentOf(row);
  const scheme = await resolveScheme(opts.db, row.schemeId, opts.now ?? new Date());
  const runRows = (await runsOfCourses(opts.db, [row.id])).filter((r) =>
    ['SCHEDULED', 'OPEN', 'FULL'].includes(r.status),
  );
  const sessions = await sessionsOf(
    opts.db,
    runRows.map((r) => r.id),
  );
  return {
    content: revision ? 'REVISION' : 'COURSE',
    indicators: await indicatorsFor(
      opts.db,
      row,
      content,
      scheme,
      runRows.map((r) => ({ runId: r.id, rows: sessions.get(r.id) ?? [] })),
    ),
  };
}

const courseEvent = (course: TCourse) => ({ organisationId: course.providerId, data: { course } });

/**
 * Approves what is in review: a new course goes on sale; an edit of a published course replaces the
 * published content in the same transaction (buyers never see a half-applied edit).
 */
export async function approveCourse(opts: DomainCall<{ id: string; note?: string }>): Promise<TCourse> {
  requirePmo(opts.actor);
  const now = opts.now ?? new Date();
  return opts.db.transaction((tx) =>
    approveInTransaction(tx, {
      actor: opts.actor,
      requestId: opts.requestId,
      id: opts.input.id,
      note: opts.input.note ?? '',
      now,
    }),
  );
}

/**
 * The approval inside the caller's transaction. It locks the course, then its provider's row
 * (lockProviderForCatalog says why): an approval racing the provider's suspension or reinstatement
 * would otherwise leave the feed without a change row that reads the final state.
 */
export async function approveInTransaction(
  tx: Db,
  opts: { actor: Actor; requestId: string | null; id: string; note: string; now: Date },
): Promise<TCourse> {
  requirePmo(opts.actor);
  const { now, note } = opts;
  const row = await findCourseRow(tx, opts.id, { kind: 'all' }, { forUpdate: true });
  if (!row) throw notFound(opts.id);
  await lockProviderForCatalog(tx, row.providerId);
  const ref = actorRef(opts.actor, opts.requestId);
  const scheme = await resolveScheme(tx, row.schemeId, now);
  if (row.status === 'IN_REVIEW') {
    assertSchemeRules(contentOf(row), scheme);
    const updated = await updateCourseRow(tx, row.id, {
      status: 'PUBLISHED',
      publishedAt: now,
      rejection: null,
    });
    const course = toCourse(updated, null);
    await recordChange(tx, {
      actor: ref,
      action: 'course.approved',
      entityType: 'course',
      entityId: row.id,
      fromState: 'IN_REVIEW',
      toState: 'PUBLISHED',
      auditData: { note },
      event: { type: 'course.approved', ...courseEvent(course) },
    });
    await recordChange(tx, {
      actor: ref,
      action: 'course.published',
      entityType: 'course',
      entityId: row.id,
      fromState: 'IN_REVIEW',
      toState: 'PUBLISHED',
      event: { type: 'course.published', ...courseEvent(course) },
    });
    return course;
  }
  const revision = await findOpenRevision(tx, row.id);
  if (revision?.status === 'IN_REVIEW') {
    assertSchemeRules(revision.content, scheme);
    const updated = await updateCourseRow(tx, row.id, {
      ...contentColumns(revision.content),
      version: row.version + 1,
    });
    await updateRevision(tx, revision.id, { status: 'APPROVED', decidedAt: now });
    const course = toCourse(updated, null);
    await recordChange(tx, {
      actor: ref,
      action: 'course.revision_approved',
      entityType: 'course',
      entityId: row.id,
      fromState: 'REVISION_IN_REVIEW',
      toState: row.status,
      auditData: { revisionId: revision.id, note, version: updated.version },
      event: { type: 'course.approved', ...courseEvent(course) },
    });
    await recordChange(tx, {
      actor: ref,
      action: 'course.updated',
      entityType: 'course',
      entityId: row.id,
      fromState: row.status,
      toState: row.status,
      event: { type: 'course.updated', ...courseEvent(course) },
    });
    return course;
  }
  throw new AppError('INVALID_STATE', { message: `Course ${row.id} has nothing in review.` });
}

export async function rejectCourse(
  opts: DomainCall<{ id: string; reasons: TRejection['reasons']; note: string }>,
): Promise<TCourse> {
  requirePmo(opts.actor);
  const now = opts.now ?? new Date();
  // Each reason once, in the order first given (a code named twice says nothing more).
  const reasons = [...new Set(opts.input.reasons)];
  const rejection: TRejection = { reasons, note: opts.input.note, at: now.toISOString() };
  return opts.db.transaction(async (tx) => {
    const row = await findCourseRow(tx, opts.input.id, { kind: 'all' }, { forUpdate: true });
    if (!row) throw notFound(opts.input.id);
    const ref = actorRef(opts.actor, opts.requestId);
    if (row.status === 'IN_REVIEW') {
      const course = toCourse(await updateCourseRow(tx, row.id, { status: 'REJECTED', rejection }), null);
      await recordChange(tx, {
        actor: ref,
        action: 'course.rejected',
        entityType: 'course',
        entityId: row.id,
        fromState: 'IN_REVIEW',
        toState: 'REJECTED',
        auditData: { ...rejection },
        event: { type: 'course.rejected', ...courseEvent(course) },
      });
      return course;
    }
    const revision = await findOpenRevision(tx, row.id);
    if (revision?.status === 'IN_REVIEW') {
      const rejected = await updateRevision(tx, revision.id, {
        status: 'REJECTED',
        rejection,
        decidedAt: now,
      });
      const course = toCourse(row, rejected);
      await recordChange(tx, {
        actor: ref,
        action: 'course.revision_rejected',
        entityType: 'course',
        entityId: row.id,
        fromState: 'REVISION_IN_REVIEW',
        toState: 'REVISION_REJECTED',
        auditData: { revisionId: revision.id, ...rejection },
        event: { type: 'course.revision_rejected', ...courseEvent(course) },
      });
      return course;
    }
    throw new AppError('INVALID_STATE', { message: `Course ${row.id} has nothing in review.` });
  });
}

/** The PMO takes a published course off sale (or puts it back), always with a recorded reason. */
export async function setCourseSuspended(
  opts: DomainCall<{ id: string; reason: string }> & { suspended: boolean },
): Promise<TCourse> {
  requirePmo(opts.actor);
  const now = opts.now ?? new Date();
  return opts.db.transaction((tx) =>
    changeCourseSuspension(tx, {
      actor: opts.actor,
      requestId: opts.requestId,
      id: opts.input.id,
      reason: opts.input.reason,
      suspended: opts.suspended,
      now,
    }),
  );
}

/** PUBLISHED ↔ SUSPENDED inside the caller's transaction (a control case's decision uses it too). */
export async function changeCourseSuspension(
  tx: Db,
  opts: { actor: Actor; requestId: string | null; id: string; reason: string; suspended: boolean; now: Date },
): Promise<TCourse> {
  const [from, to] = opts.suspended
    ? (['PUBLISHED', 'SUSPENDED'] as const)
    : (['SUSPENDED', 'PUBLISHED'] as const);
  const row = await findCourseRow(tx, opts.id, { kind: 'all' }, { forUpdate: true });
  if (!row) throw notFound(opts.id);
  // Whether the course is on sale depends on this row and the provider's: serialise with a provider
  // suspension or reinstatement (lockProviderForCatalog says why).
  await lockProviderForCatalog(tx, row.providerId);
  if (row.status !== from) {
    throw new AppError('INVALID_STATE', {
      message: `Course ${row.id} is ${row.status}; expected ${from}.`,
    });
  }
  const suspension = opts.suspended ? { reason: opts.reason, at: opts.now.toISOString() } : null;
  const updated = await updateCourseRow(tx, row.id, { status: to, suspension });
  const course = toCourse(updated, await findOpenRevision(tx, row.id));
  const type = opts.suspended ? 'course.suspended' : 'course.reinstated';
  await recordChange(tx, {
    actor: actorRef(opts.actor, opts.requestId),
    action: type,
    entityType: 'course',
    entityId: row.id,
    fromState: from,
    toState: to,
    auditData: { reason: opts.reason },
    event: { type, ...courseEvent(course) },
  });
  return course;
}
