import {
  AppError,
  type TCreateRunInput,
  type TRun,
  type TUpdateRunInput,
  ZCreateRunInputSchema,
  ZUpdateRunInputSchema,
} from '@latih/contracts';
import {
  contentOf,
  type Db,
  findCourseRow,
  findRunRow,
  insertRun,
  listRuns as listRunRows,
  lockSettlementBatchesShared,
  type RunRow,
  replaceSessions,
  runsDueToAdvance,
  type SessionRow,
  sessionsOf,
  toRun,
  updateRunRow,
} from '@latih/db';
import { type Actor, type ActorRef, actorRef } from './auth/actor';
import { canonicalJson } from './canonical-json';
import { type ValidatedSessions, validateSessions } from './catalog/rules';
import { recordChange } from './changes';
import { type DomainCall, isUniqueViolation, notFound, visibilityFor } from './courses';
import { newId } from './ids';
import { endVouchersOfCancelledRun } from './marketplace/vouchers';

type RunStatus = RunRow['status'];

function scopeFor(actor: Actor): { providerId?: string } {
  if (actor.role === 'provider') return { providerId: actor.organisationId };
  if (actor.role === 'pmo') return {};
  throw new AppError('FORBIDDEN_ROLE');
}

async function runView(db: Db, row: RunRow): Promise<TRun> {
  const sessions = await sessionsOf(db, [row.id]);
  return toRun(row, sessions.get(row.id) ?? [], { withMeetingUrl: true });
}

async function recordRun(
  tx: Db,
  actor: ActorRef,
  run: TRun,
  change: {
    action: TRun['status'] | string;
    from: RunStatus | null;
    to: RunStatus;
    event?: Parameters<typeof recordChange>[1]['event'];
  },
) {
  await recordChange(tx, {
    actor,
    action: change.action,
    entityType: 'run',
    entityId: run.id,
    fromState: change.from,
    toState: change.to,
    ...(change.event ? { event: change.event } : {}),
  });
}

export async function createRun(opts: DomainCall<TCreateRunInput>): Promise<TRun> {
  if (opts.actor.role !== 'provider') throw new AppError('FORBIDDEN_ROLE');
  const input = ZCreateRunInputSchema.parse(opts.input);
  const now = opts.now ?? new Date();
  return opts.db.transaction(async (tx) => {
    const course = await findCourseRow(tx, input.courseId, visibilityFor(opts.actor));
    if (!course) throw notFound(input.courseId, 'courseId');
    if (course.mode === 'SELF_PACED') throw new AppError('RUNS_NOT_ALLOWED', { field: 'courseId' });
    if (course.status === 'WITHDRAWN') {
      throw new AppError('INVALID_STATE', { message: 'The course is withdrawn.', field: 'courseId' });
    }
    const schedule = validateSessions(contentOf(course), input.sessions, now);
    const { row, sessions } = await insertRun(
      tx,
      {
        id: newId('run', now.getTime()),
        courseId: course.id,
        providerId: course.providerId,
        externalId: input.externalId ?? null,
        status: 'SCHEDULED',
        capacity: input.capacity,
        startsAt: schedule.startsAt,
        endsAt: schedule.endsAt,
      },
      schedule.rows,
    ).catch((err: unknown) => {
      if (isUniqueViolation(err, 'runs_provider_external_idx')) {
        throw new AppError('EXTERNAL_ID_TAKEN', {
          message: `You already have a run ${input.externalId}.`,
          field: 'externalId',
        });
      }
      throw err;
    });
    const run = toRun(row, sessions, { withMeetingUrl: true });
    await recordRun(tx, actorRef(opts.actor, opts.requestId), run, {
      action: 'run.created',
      from: null,
      to: 'SCHEDULED',
      event: { type: 'run.created', organisationId: run.providerId, data: { run: publicRun(run) } },
    });
    return run;
  });
}

/** Event payloads go to subscribers: no meeting links in them. */
function publicRun(run: TRun) {
  return { ...run, sessions: run.sessions.map((s) => ({ ...s, meetingUrl: null })) };
}

function sameSchedule(current: SessionRow[], next: ValidatedSessions['rows']): boolean {
  const norm = (s: {
    sequence: number;
    mode: string;
    startsAt: Date;
    endsAt: Date;
    timeZone: string;
    venue?: unknown;
    meetingUrl?: string | null;
  }) => ({
    sequence: s.sequence,
    mode: s.mode,
    startsAt: s.startsAt.getTime(),
    endsAt: s.endsAt.getTime(),
    timeZone: s.timeZone,
    venue: s.venue ?? null,
    meetingUrl: s.meetingUrl ?? null,
  });
  return (
    canonicalJson(current.map(norm)) === canonicalJson(next.map((s) => norm(s as Parameters<typeof norm>[0])))
  );
}

/** FULL ↔ OPEN follows the seats; other states are not the seats' business. */
function statusForSeats(status: RunStatus, seatsTaken: number, capacity: number): RunStatus {
  if (status !== 'OPEN' && status !== 'FULL') return status;
  return seatsTaken >= capacity ? 'FULL' : 'OPEN';
}

export async function updateRun(opts: DomainCall<TUpdateRunInput>): Promise<TRun> {
  if (opts.actor.role !== 'provider') throw new AppError('FORBIDDEN_ROLE');
  const input = ZUpdateRunInputSchema.parse(opts.input);
  const now = opts.now ?? new Date();
  return opts.db.transaction(async (tx) => {
    const row = await findRunRow(tx, input.id, scopeFor(opts.actor), { forUpdate: true });
    if (!row) throw notFound(input.id);
    if (!['SCHEDULED', 'OPEN', 'FULL'].includes(row.status)) {
      throw new AppError('INVALID_STATE', {
        message: `Run ${row.id} is ${row.status}: it cannot be changed.`,
      });
    }
    const capacity = input.capacity ?? row.capacity;
    if (capacity < row.seatsTaken) {
      throw new AppError('CAPACITY_BELOW_SEATS_TAKEN', {
        message: `${row.seatsTaken} seats are sold; capacity cannot be ${capacity}.`,
        field: 'capacity',
      });
    }
    let startsAt = row.startsAt;
    let endsAt = row.endsAt;
    const current = (await sessionsOf(tx, [row.id])).get(row.id) ?? [];
    let schedule: ReturnType<typeof validateSessions> | undefined;
    if (input.sessions) {
      const course = await findCourseRow(tx, row.courseId, { kind: 'all' });
      if (!course) throw notFound(row.courseId, 'courseId');
      schedule = validateSessions(contentOf(course), input.sessions, now);
    }
    // Nothing to change: answer as is, with no write and no event (re-imports stay quiet).
    if (capacity === row.capacity && (!schedule || sameSchedule(current, schedule.rows)))
      return runView(tx, row);
    if (schedule) {
      if (row.seatsTaken > 0) {
        throw new AppError('INVALID_STATE', {
          message: 'Seats are sold: the schedule can no longer change (cancel the run instead).',
          field: 'sessions',
        });
      }
      await replaceSessions(tx, row.id, schedule.rows);
      startsAt = schedule.startsAt;
      endsAt = schedule.endsAt;
    }
    const status = statusForSeats(row.status, row.seatsTaken, capacity);
    const updated = await updateRunRow(tx, row.id, { capacity, startsAt, endsAt, status });
    const run = await runView(tx, updated);
    const ref = actorRef(opts.actor, opts.requestId);
    await recordRun(tx, ref, run, {
      action: 'run.updated',
      from: row.status,
      to: status,
      event: { type: 'run.updated', organisationId: run.providerId, data: { run: publicRun(run) } },
    });
    if (status !== row.status) {
      const type = status === 'FULL' ? 'run.full' : 'run.reopened';
      await recordRun(tx, ref, run, {
        action: type,
        from: row.status,
        to: status,
        event: { type, organisationId: run.providerId, data: { runId: run.id, courseId: run.courseId } },
      });
    }
    return run;
  });
}

/** Puts a scheduled run on sale; its course must be on sale too. */
export async function openRun(opts: DomainCall<{ id: string }>): Promise<TRun> {
  if (opts.actor.role !== 'provider') throw new AppError('FORBIDDEN_ROLE');
  return opts.db.transaction(async (tx) => {
    const row = await findRunRow(tx, opts.input.id, scopeFor(opts.actor), { forUpdate: true });
    if (!row) throw notFound(opts.input.id);
    if (row.status !== 'SCHEDULED') {
      throw new AppError('INVALID_STATE', {
        message: `Run ${row.id} is ${row.status}: only a SCHEDULED run opens.`,
      });
    }
    const course = await findCourseRow(tx, row.courseId, { kind: 'all' });
    if (course?.status !== 'PUBLISHED') {
      throw new AppError('INVALID_STATE', {
        message: 'The course is not on sale: it must be approved first.',
      });
    }
    const status = statusForSeats('OPEN', row.seatsTaken, row.capacity);
    const run = await runView(tx, await updateRunRow(tx, row.id, { status }));
    await recordRun(tx, actorRef(opts.actor, opts.requestId), run, {
      action: 'run.opened',
      from: 'SCHEDULED',
      to: status,
      event: { type: 'run.opened', organisationId: run.providerId, data: { run: publicRun(run) } },
    });
    return run;
  });
}

/**
 * Cancels a run that has not finished, with a reason, and in the same transaction ends what was
 * sold for it (endVouchersOfCancelledRun): every ISSUED voucher, and every REDEEMED one whose
 * enrollment is still in training, is cancelled and refunded; a run some of whose enrollments
 * already have an outcome is refused (the class took place). Its seats are given back.
 */
export async function cancelRun(opts: DomainCall<{ id: string; reason: string }>): Promise<TRun> {
  const now = opts.now ?? new Date();
  return opts.db.transaction(async (tx) => {
    // Before the run: a settlement batch must not accrue a voucher this is about to refund.
    await lockSettlementBatchesShared(tx);
    // FOR NO KEY UPDATE: serialises with a confirmation taking a seat (an UPDATE of this row), yet
    // lets a redemption insert its enrollment (a foreign key to this row) and finish, so that the
    // voucher it holds is released to us instead of deadlocking.
    const row = await findRunRow(tx, opts.input.id, scopeFor(opts.actor), { forNoKeyUpdate: true });
    if (!row) throw notFound(opts.input.id);
    if (row.status === 'FINISHED' || row.status === 'CANCELLED') {
      throw new AppError('INVALID_STATE', {
        message: `Run ${row.id} is ${row.status}: it cannot be cancelled.`,
      });
    }
    const ref = actorRef(opts.actor, opts.requestId);
    const cancellation = { reason: opts.input.reason, at: now.toISOString() };
    const ended = await endVouchersOfCancelledRun(tx, {
      run: row,
      reason: cancellation.reason,
      actor: ref,
      now,
    });
    const run = await runView(
      tx,
      await updateRunRow(tx, row.id, {
        status: 'CANCELLED',
        cancellation,
        seatsTaken: Math.max(0, row.seatsTaken - ended.vouchersCancelled),
      }),
    );
    await recordRun(tx, ref, run, {
      action: 'run.cancelled',
      from: row.status,
      to: 'CANCELLED',
      event: {
        type: 'run.cancelled',
        organisationId: run.providerId,
        data: {
          runId: run.id,
          courseId: run.courseId,
          reason: cancellation.reason,
          // The seats sold when it was cancelled (each refunded), not what is left.
          seatsTaken: row.seatsTaken,
          vouchersCancelled: ended.vouchersCancelled,
          enrollmentsWithdrawn: ended.enrollmentsWithdrawn,
        },
      },
    });
    return run;
  });
}

export async function getRun(opts: { db: Db; actor: Actor; id: string }): Promise<TRun> {
  const row = await findRunRow(opts.db, opts.id, scopeFor(opts.actor));
  if (!row) throw notFound(opts.id);
  return runView(opts.db, row);
}

export function listRuns(opts: {
  db: Db;
  actor: Actor;
  input: {
    courseId?: string | undefined;
    status?: RunStatus | undefined;
    limit: number;
    cursor?: string | undefined;
  };
}) {
  if (opts.actor.role !== 'provider') throw new AppError('FORBIDDEN_ROLE');
  return listRunRows(opts.db, opts.input, { providerId: opts.actor.organisationId });
}

/**
 * The clock moves runs on: OPEN/FULL → RUNNING at the first session's start, RUNNING → FINISHED at
 * the last one's end. Rows are claimed with SKIP LOCKED, so several gateways may run this at once.
 */
export async function advanceRuns(opts: { db: Db; now: Date }): Promise<number> {
  return opts.db.transaction(async (tx) => {
    const due = await runsDueToAdvance(tx, opts.now);
    const system: ActorRef = { organisationId: null, clientId: null, requestId: null };
    for (const row of due) {
      const to: RunStatus = row.status === 'RUNNING' || row.endsAt <= opts.now ? 'FINISHED' : 'RUNNING';
      await updateRunRow(tx, row.id, { status: to });
      const type = to === 'RUNNING' ? 'run.started' : 'run.finished';
      await recordChange(tx, {
        actor: system,
        action: type,
        entityType: 'run',
        entityId: row.id,
        fromState: row.status,
        toState: to,
        event: { type, organisationId: row.providerId, data: { runId: row.id, courseId: row.courseId } },
      });
    }
    return due.length;
  });
}
