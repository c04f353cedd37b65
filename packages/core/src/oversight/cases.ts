import {
  AppError,
  type TCaseDecisionItem,
  type TCaseOutcome,
  type TControlCase,
  type TEvidenceRequest,
  type TListCasesInput,
  type TSubjectType,
} from '@latih/contracts';
import {
  auditOf,
  type ControlCaseRow,
  copyCaseEnrollments,
  countCaseEnrollments,
  type Db,
  type EvidenceRequestRow,
  evidenceRequestsOfCase,
  findCase,
  findCertificate,
  findEnrollmentById,
  findEvidenceRequest,
  findSignal,
  insertCase,
  insertEvidenceRequest,
  listCaseEnrollments,
  listCases,
  listEvidenceRequestsOf,
  providerOfSubject,
  revokeCertificateRow,
  updateCase,
  updateEvidenceRequest,
  updateSignal,
  voidCompletionRows,
} from '@latih/db';
import { type Actor, actorRef, requirePmo, requireProvider } from '../auth/actor';
import { recordChange } from '../changes';
import { changeCourseSuspension } from '../curation';
import { newId } from '../ids';
import { actOnIncentives, holdSettlementLines, lockForMoney, takeBackCompletion } from './decision-money';
import { changeOrganisationSuspension } from './onboarding';

type Call<I> = { db: Db; actor: Actor; requestId: string | null; input: I; now?: Date };
const DAY = 86_400_000;

export function toCase(r: ControlCaseRow, enrollmentCount = 0): TControlCase {
  return {
    id: r.id,
    enrollmentCount,
    subjectType: r.subjectType,
    subjectId: r.subjectId,
    providerId: r.providerId,
    signalId: r.signalId,
    summary: r.summary,
    status: r.status,
    // Decisions recorded before selections had no items.
    decision: r.decision ? { ...r.decision, items: r.decision.items ?? [] } : null,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}

function toEvidenceRequest(
  r: EvidenceRequestRow,
  subject: { subjectType: TSubjectType; subjectId: string },
): TEvidenceRequest {
  return {
    id: r.id,
    caseId: r.caseId,
    subjectType: subject.subjectType,
    subjectId: subject.subjectId,
    question: r.question,
    dueAt: r.dueAt.toISOString(),
    status: r.status,
    answer: r.answer,
    attachments: r.attachments,
    answeredAt: r.answeredAt?.toISOString() ?? null,
    createdAt: r.createdAt.toISOString(),
  };
}

async function caseFor(db: Db, id: string, forUpdate = false) {
  const row = await findCase(db, id, { forUpdate });
  if (!row) throw new AppError('CASE_NOT_FOUND', { field: 'id' });
  return row;
}

function openOnly(row: ControlCaseRow) {
  if (row.status === 'DECIDED') throw new AppError('CASE_ALREADY_DECIDED');
}

/** The case with its evidence requests and its timeline (the audit rows about it, in order). */
export async function caseDetail(db: Db, id: string) {
  const row = await caseFor(db, id);
  const [requests, audit, counts] = await Promise.all([
    evidenceRequestsOfCase(db, id),
    auditOf(db, 'control_case', id),
    countCaseEnrollments(db, [id]),
  ]);
  return {
    ...toCase(row, counts.get(id) ?? 0),
    evidenceRequests: requests.map((r) => toEvidenceRequest(r, row)),
    timeline: audit.map((a) => ({
      at: a.occurredAt,
      action: a.action,
      actorOrganisationId: a.actorOrganisationId,
      fromState: a.fromState,
      toState: a.toState,
      data: a.data,
    })),
  };
}

/**
 * Opens a case from a signal (its subject and the enrollments it implicates, and the signal marked
 * CASE_OPENED) or by hand (a case about an enrollment carries that enrollment).
 */
export async function openCase(
  opts: Call<{
    signalId?: string | undefined;
    subjectType?: TSubjectType | undefined;
    subjectId?: string | undefined;
    summary: string;
  }>,
) {
  requirePmo(opts.actor);
  const now = opts.now ?? new Date();
  const id = await opts.db.transaction(async (tx) => {
    let subjectType = opts.input.subjectType;
    let subjectId = opts.input.subjectId;
    let signalId: string | null = null;
    if (opts.input.signalId) {
      const signal = await findSignal(tx, opts.input.signalId, { forUpdate: true });
      if (!signal) throw new AppError('SIGNAL_NOT_FOUND', { field: 'signalId' });
      if (signal.status === 'CASE_OPENED')
        throw new AppError('INVALID_STATE', {
          message: `Signal ${signal.id} already has case ${signal.caseId}.`,
        });
      subjectType = signal.subjectType;
      subjectId = signal.subjectId;
      signalId = signal.id;
    }
    if (!subjectType || !subjectId) throw new AppError('VALIDATION_FAILED', { field: 'subjectId' });
    const providerId = await providerOfSubject(tx, subjectType, subjectId);
    if (!providerId) throw new AppError('CASE_SUBJECT_NOT_FOUND', { field: 'subjectId' });
    const row = await insertCase(tx, {
      id: newId('controlCase'),
      subjectType,
      subjectId,
      providerId,
      signalId,
      summary: opts.input.summary,
      status: 'OPEN',
      createdAt: now,
      updatedAt: now,
    });
    if (signalId) await updateSignal(tx, signalId, { status: 'CASE_OPENED', caseId: row.id });
    // Its scope, fixed now: the signal's implicated enrollments as they are, or its own enrollment.
    const enrollments = signalId
      ? await copyCaseEnrollments(tx, row.id, { signalId })
      : subjectType === 'ENROLLMENT'
        ? await copyCaseEnrollments(tx, row.id, { enrollmentIds: [subjectId] })
        : 0;
    await recordChange(tx, {
      actor: actorRef(opts.actor, opts.requestId),
      action: 'control_case.opened',
      entityType: 'control_case',
      entityId: row.id,
      fromState: null,
      toState: 'OPEN',
      auditData: { subjectType, subjectId, providerId, signalId, summary: opts.input.summary, enrollments },
    });
    return row.id;
  });
  return caseDetail(opts.db, id);
}

export async function getCase(opts: { db: Db; actor: Actor; id: string }) {
  requirePmo(opts.actor);
  return caseDetail(opts.db, opts.id);
}

export async function listCasesFor(opts: { db: Db; actor: Actor; input: TListCasesInput }) {
  requirePmo(opts.actor);
  const page = await listCases(opts.db, opts.input);
  const counts = await countCaseEnrollments(
    opts.db,
    page.items.map((c) => c.id),
  );
  return { items: page.items.map((c) => toCase(c, counts.get(c.id) ?? 0)), nextCursor: page.nextCursor };
}

/** A case's enrollments (fixed when it opened), in order, each with its status now. */
export async function listCaseEnrollmentsFor(opts: {
  db: Db;
  actor: Actor;
  input: { id: string; limit: number; cursor?: string | undefined };
}) {
  requirePmo(opts.actor);
  const c = await caseFor(opts.db, opts.input.id);
  const page = await listCaseEnrollments(opts.db, c.id, opts.input);
  return {
    items: page.items.map(({ position: _, ...r }) => r),
    nextCursor: page.nextCursor,
  };
}

/** Asks the provider a question; it sees the request through its API and by webhook. */
export async function requestEvidence(opts: Call<{ caseId: string; question: string; dueInDays: number }>) {
  requirePmo(opts.actor);
  const now = opts.now ?? new Date();
  await opts.db.transaction(async (tx) => {
    const c = await caseFor(tx, opts.input.caseId, true);
    openOnly(c);
    const dueAt = new Date(now.getTime() + opts.input.dueInDays * DAY);
    const request = await insertEvidenceRequest(tx, {
      id: newId('evidenceRequest'),
      caseId: c.id,
      providerId: c.providerId,
      question: opts.input.question,
      dueAt,
      status: 'OPEN',
      attachments: [],
      createdAt: now,
    });
    await updateCase(tx, c.id, { status: 'AWAITING_EVIDENCE', updatedAt: now });
    await recordChange(tx, {
      actor: actorRef(opts.actor, opts.requestId),
      action: 'control_case.evidence_requested',
      entityType: 'control_case',
      entityId: c.id,
      fromState: c.status,
      toState: 'AWAITING_EVIDENCE',
      auditData: { evidenceRequestId: request.id, question: request.question, dueAt: dueAt.toISOString() },
      event: {
        type: 'evidence_request.created',
        organisationId: c.providerId,
        data: {
          evidenceRequestId: request.id,
          caseId: c.id,
          question: request.question,
          dueAt: dueAt.toISOString(),
        },
      },
    });
  });
  return caseDetail(opts.db, opts.input.caseId);
}

/** A provider's own evidence requests only. */
export async function listOwnEvidenceRequests(opts: {
  db: Db;
  actor: Actor;
  input: { status?: 'OPEN' | 'ANSWERED' | undefined; limit: number; cursor?: string | undefined };
}) {
  requireProvider(opts.actor);
  const page = await listEvidenceRequestsOf(opts.db, opts.actor.organisationId, opts.input);
  return { items: page.items.map((r) => toEvidenceRequest(r.request, r)), nextCursor: page.nextCursor };
}

export async function getOwnEvidenceRequest(opts: { db: Db; actor: Actor; id: string }) {
  requireProvider(opts.actor);
  const row = await findEvidenceRequest(opts.db, opts.id, { providerId: opts.actor.organisationId });
  if (!row) throw new AppError('EVIDENCE_REQUEST_NOT_FOUND', { field: 'id' });
  return toEvidenceRequest(row.request, row);
}

/** The provider's answer, once; when the case has no open request left it is back with the PMO. */
export async function answerEvidenceRequest(
  opts: Call<{
    id: string;
    answer: string;
    attachments: Array<{ url: string; sha256?: string | undefined; description: string }>;
  }>,
) {
  requireProvider(opts.actor);
  const now = opts.now ?? new Date();
  return opts.db.transaction(async (tx) => {
    const found = await findEvidenceRequest(tx, opts.input.id, {
      providerId: opts.actor.organisationId,
      forUpdate: true,
    });
    if (!found) throw new AppError('EVIDENCE_REQUEST_NOT_FOUND', { field: 'id' });
    if (found.request.status !== 'OPEN') throw new AppError('EVIDENCE_ALREADY_ANSWERED');
    const c = await caseFor(tx, found.request.caseId, true);
    openOnly(c);
    const updated = await updateEvidenceRequest(tx, found.request.id, {
      status: 'ANSWERED',
      answer: opts.input.answer,
      attachments: opts.input.attachments.map((a) => ({
        url: a.url,
        sha256: a.sha256 ?? null,
        description: a.description,
      })),
      answeredAt: now,
    });
    const stillOpen = (await evidenceRequestsOfCase(tx, c.id)).some((r) => r.status === 'OPEN');
    const next = stillOpen ? c.status : 'OPEN';
    if (next !== c.status) await updateCase(tx, c.id, { status: next, updatedAt: now });
    await recordChange(tx, {
      actor: actorRef(opts.actor, opts.requestId),
      action: 'control_case.evidence_answered',
      entityType: 'control_case',
      entityId: c.id,
      fromState: c.status,
      toState: next,
      auditData: { evidenceRequestId: updated.id, attachments: updated.attachments.length },
    });
    return toEvidenceRequest(updated, found);
  });
}

/**
 * The decision and every effect it has, in one transaction. About the case's subject: if any
 * effect cannot be applied, nothing is (the case stays undecided). Over a selection of its
 * enrollments (`enrollmentIds`): each enrollment in a savepoint of its own, applied or refused
 * with a code, and the answers recorded with the decision in the same transaction: a refused item
 * leaves nothing behind and does not stop the others, a decision is never recorded without its
 * effects nor effects without it. If none could be applied, nothing is and the case stays open.
 */
export async function decideCase(
  opts: Call<{ id: string; outcome: TCaseOutcome; reason: string; enrollmentIds?: string[] | undefined }>,
) {
  requirePmo(opts.actor);
  const now = opts.now ?? new Date();
  await opts.db.transaction(async (tx) => {
    const c = await caseFor(tx, opts.input.id, true);
    openOnly(c);
    if ((MONEY_OUTCOMES as readonly string[]).includes(opts.input.outcome)) await lockForMoney(tx);
    const ref = {
      actor: opts.actor,
      requestId: opts.requestId,
      reason: opts.input.reason,
      now,
      caseId: c.id,
    };
    let effects: string[];
    let items: TCaseDecisionItem[] = [];
    if (opts.input.enrollmentIds) {
      items = await applyToSelection(tx, c, opts.input.outcome, opts.input.enrollmentIds, ref);
      const applied = items.filter((i) => i.result === 'APPLIED').length;
      if (applied === 0)
        throw new AppError('CASE_OUTCOME_NOT_APPLICABLE', {
          message: `${opts.input.outcome} applies to none of the ${items.length} enrollment(s) selected: ${items
            .map((i) => `${i.enrollmentId} ${i.code}`)
            .join(', ')}.`,
          field: 'enrollmentIds',
        });
      effects = [
        `${opts.input.outcome} over ${items.length} selected enrollment(s): ${applied} applied, ${items.length - applied} refused.`,
      ];
    } else {
      effects = await applyOutcome(tx, c, opts.input.outcome, ref);
    }
    const decision = {
      outcome: opts.input.outcome,
      reason: opts.input.reason,
      at: now.toISOString(),
      effects,
      items,
    };
    await updateCase(tx, c.id, { status: 'DECIDED', decision, updatedAt: now });
    await recordChange(tx, {
      actor: actorRef(opts.actor, opts.requestId),
      action: 'control_case.decided',
      entityType: 'control_case',
      entityId: c.id,
      fromState: c.status,
      toState: 'DECIDED',
      auditData: decision,
      event: {
        type: 'control_case.decided',
        organisationId: c.providerId,
        data: {
          caseId: c.id,
          subjectType: c.subjectType,
          subjectId: c.subjectId,
          outcome: opts.input.outcome,
          reason: opts.input.reason,
          items: items.map((i) => ({ enrollmentId: i.enrollmentId, result: i.result, code: i.code })),
        },
      },
    });
  });
  return caseDetail(opts.db, opts.input.id);
}

type Ref = { actor: Actor; requestId: string | null; reason: string; now: Date; caseId: string };

/** Outcomes that apply to enrollments one by one: over a selection, or to a case about one. */
const ENROLLMENT_OUTCOMES = [
  'VOID_COMPLETION',
  'REVOKE_CERTIFICATE',
  'HOLD_INCENTIVE',
  'REVERSE_INCENTIVE',
  'RELEASE_INCENTIVE',
  'HOLD_SETTLEMENT_LINES',
  'RELEASE_SETTLEMENT_LINES',
] as const;
type EnrollmentOutcome = (typeof ENROLLMENT_OUTCOMES)[number];
/** Outcomes that move money: they take the settlement batch's lock (shared). */
const MONEY_OUTCOMES = ENROLLMENT_OUTCOMES.filter((o) => o !== 'REVOKE_CERTIFICATE');

type ItemAnswer = { effects: string[] } | { refused: NonNullable<TCaseDecisionItem['code']> };

/** One outcome on one enrollment (the caller gives it a savepoint): its effects, or why not. */
async function applyToEnrollment(
  tx: Db,
  enrollmentId: string,
  outcome: EnrollmentOutcome,
  ref: Ref,
): Promise<ItemAnswer> {
  const money = {
    actor: actorRef(ref.actor, ref.requestId),
    reason: ref.reason,
    caseId: ref.caseId,
    now: ref.now,
  };
  switch (outcome) {
    case 'VOID_COMPLETION': {
      const effects = await voidCompletion(tx, enrollmentId, ref);
      return effects ? { effects } : { refused: 'NOT_COMPLETED' };
    }
    case 'REVOKE_CERTIFICATE': {
      const revoked = await revokeCertificateOf(tx, enrollmentId, ref);
      return revoked ? { effects: [revoked] } : { refused: 'NO_VALID_CERTIFICATE' };
    }
    case 'HOLD_INCENTIVE':
    case 'REVERSE_INCENTIVE':
    case 'RELEASE_INCENTIVE': {
      const action =
        outcome === 'HOLD_INCENTIVE' ? 'HOLD' : outcome === 'REVERSE_INCENTIVE' ? 'CANCEL' : 'RELEASE';
      const answer = await actOnIncentives(tx, enrollmentId, action, money);
      if (answer.found === 0) return { refused: 'NO_INCENTIVE' };
      if (answer.changed === 0)
        return { refused: answer.inTransit > 0 ? 'INCENTIVE_IN_TRANSIT' : 'NOTHING_TO_CHANGE' };
      return { effects: answer.effects };
    }
    case 'HOLD_SETTLEMENT_LINES':
    case 'RELEASE_SETTLEMENT_LINES': {
      const hold = outcome === 'HOLD_SETTLEMENT_LINES';
      const enrollment = await findEnrollmentById(tx, enrollmentId);
      if (!enrollment) return { refused: 'NOT_IN_CASE' };
      return holdSettlementLines(tx, enrollment.voucherId, hold, money);
    }
  }
}

/**
 * The outcome for each selected enrollment, in the order given (each once), each in a savepoint:
 * applied with its effects, or refused with a code (NOT_IN_CASE when it is not among the case's
 * enrollments). Applied ones are audited as the subject outcome audits them, with the case's id;
 * the refused are recorded in the decision.
 */
async function applyToSelection(
  tx: Db,
  c: ControlCaseRow,
  outcome: TCaseOutcome,
  enrollmentIds: string[],
  ref: Ref,
): Promise<TCaseDecisionItem[]> {
  if (!(ENROLLMENT_OUTCOMES as readonly string[]).includes(outcome))
    throw new AppError('CASE_OUTCOME_NOT_APPLICABLE', {
      message: `Over a selection of enrollments only ${ENROLLMENT_OUTCOMES.join(', ')} apply; ${outcome} is about the case's subject (leave out enrollmentIds).`,
      field: 'outcome',
    });
  const ids = [...new Set(enrollmentIds)];
  const inCase = new Set(
    (await listCaseEnrollments(tx, c.id, { limit: ids.length, enrollmentIds: ids })).items.map(
      (r) => r.enrollmentId,
    ),
  );
  const items: TCaseDecisionItem[] = [];
  for (const enrollmentId of ids) {
    if (!inCase.has(enrollmentId)) {
      items.push({ enrollmentId, result: 'REFUSED', code: 'NOT_IN_CASE', effects: [] });
      continue;
    }
    const item = await tx.transaction(async (sp): Promise<TCaseDecisionItem> => {
      const answer = await applyToEnrollment(sp, enrollmentId, outcome as EnrollmentOutcome, ref);
      return 'refused' in answer
        ? { enrollmentId, result: 'REFUSED', code: answer.refused, effects: [] }
        : { enrollmentId, result: 'APPLIED', code: null, effects: answer.effects };
    });
    items.push(item);
  }
  return items;
}

const REFUSAL_MESSAGES: Record<NonNullable<TCaseDecisionItem['code']>, string> = {
  NOT_IN_CASE: 'is not among the case’s enrollments',
  NOT_COMPLETED: 'is not COMPLETED',
  NO_VALID_CERTIFICATE: 'has no valid certificate',
  NO_INCENTIVE: 'made no incentive eligible',
  INCENTIVE_IN_TRANSIT: 'has its incentive being paid right now: decide again once it has landed',
  NOTHING_TO_CHANGE: 'has nothing this outcome changes',
  ALREADY_SETTLED: 'has its settlement lines already settled: void the completion to take them back',
};

async function applyOutcome(tx: Db, c: ControlCaseRow, outcome: TCaseOutcome, ref: Ref): Promise<string[]> {
  const notApplicable = (message: string) =>
    new AppError('CASE_OUTCOME_NOT_APPLICABLE', { message, field: 'outcome' });
  switch (outcome) {
    case 'NO_ACTION':
      return [];
    case 'WARNING':
      return [`Provider ${c.providerId} warned.`];
    case 'VOID_COMPLETION':
    case 'REVOKE_CERTIFICATE':
    case 'HOLD_INCENTIVE':
    case 'REVERSE_INCENTIVE':
    case 'RELEASE_INCENTIVE':
    case 'HOLD_SETTLEMENT_LINES':
    case 'RELEASE_SETTLEMENT_LINES': {
      if (c.subjectType !== 'ENROLLMENT')
        throw notApplicable(
          `${outcome} applies to a case about an enrollment, or to a selection of the case's enrollments (enrollmentIds).`,
        );
      const answer = await applyToEnrollment(tx, c.subjectId, outcome, ref);
      if ('refused' in answer)
        throw notApplicable(
          `Enrollment ${c.subjectId} ${REFUSAL_MESSAGES[answer.refused]} (${answer.refused}).`,
        );
      return answer.effects;
    }
    case 'SUSPEND_COURSE': {
      let courseId = c.subjectId;
      if (c.subjectType === 'ENROLLMENT')
        courseId = (await findEnrollmentById(tx, c.subjectId))?.courseId ?? '';
      if (c.subjectType === 'PROVIDER')
        throw notApplicable('SUSPEND_COURSE applies to a case about a course or an enrollment.');
      await changeCourseSuspension(tx, {
        actor: ref.actor,
        requestId: ref.requestId,
        id: courseId,
        reason: ref.reason,
        suspended: true,
        now: ref.now,
      });
      return [`Course ${courseId} suspended: it left the catalog.`];
    }
    case 'SUSPEND_PROVIDER': {
      const touched = await changeOrganisationSuspension(tx, {
        actor: ref.actor,
        requestId: ref.requestId,
        id: c.providerId,
        reason: ref.reason,
        suspended: true,
        now: ref.now,
      });
      return [
        `Provider ${c.providerId} suspended: ${touched} course(s) left the catalog feed; redemptions are refused and settlements held.`,
      ];
    }
  }
}

/** Voids a completion and revokes its certificate; null when the enrollment is not COMPLETED. */
async function voidCompletion(tx: Db, enrollmentId: string, ref: Ref): Promise<string[] | null> {
  const voided = await voidCompletionRows(tx, enrollmentId, ref.now);
  if (!voided) return null;
  const effects = [`Enrollment ${enrollmentId} and voucher ${voided.voucherId}: COMPLETED → NOT_COMPLETED.`];
  const enrollment = await findEnrollmentById(tx, enrollmentId);
  await recordChange(tx, {
    actor: actorRef(ref.actor, ref.requestId),
    action: 'enrollment.completion_voided',
    entityType: 'enrollment',
    entityId: enrollmentId,
    fromState: 'COMPLETED',
    toState: 'NOT_COMPLETED',
    auditData: { reason: ref.reason, voucherId: voided.voucherId, caseId: ref.caseId },
    event: {
      type: 'enrollment.completion_voided',
      organisationId: enrollment?.providerId ?? null,
      data: { enrollmentId, voucherId: voided.voucherId, courseId: voided.courseId, reason: ref.reason },
    },
  });
  const revoked = await revokeCertificateOf(tx, enrollmentId, ref);
  if (revoked) effects.push(revoked);
  const money = {
    actor: actorRef(ref.actor, ref.requestId),
    reason: ref.reason,
    caseId: ref.caseId,
    now: ref.now,
  };
  effects.push(...(await takeBackCompletion(tx, voided.voucherId, money)));
  // The incentive it earned is no longer deserved: held if unpaid, recorded for recovery if paid.
  effects.push(...(await actOnIncentives(tx, enrollmentId, 'HOLD', money)).effects);
  return effects;
}

/** Revokes an enrollment's valid certificate as the PMO does (audited, webhook); null when none is valid. */
async function revokeCertificateOf(tx: Db, enrollmentId: string, ref: Ref): Promise<string | null> {
  const cert = await findCertificate(tx, { enrollmentId }, { forUpdate: true });
  if (cert?.status !== 'VALID') return null;
  const revoked = await revokeCertificateRow(tx, cert.id, {
    reason: ref.reason,
    by: ref.actor.organisationId,
    at: ref.now,
  });
  if (!revoked) return null;
  await recordChange(tx, {
    actor: actorRef(ref.actor, ref.requestId),
    action: 'certificate.revoked',
    entityType: 'certificate',
    entityId: cert.id,
    fromState: 'VALID',
    toState: 'REVOKED',
    auditData: { reason: ref.reason, role: 'pmo', caseId: ref.caseId },
    event: {
      type: 'certificate.revoked',
      organisationId: cert.providerId,
      data: { certificateId: cert.id, number: cert.number, enrollmentId, reason: ref.reason },
    },
  });
  return `Certificate ${cert.number} revoked.`;
}
