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
        },
      },
    });
  });
  return caseDetail(opts.db, opts.input.id);
}

type Ref = { actor: Actor; requestId: string | null; reason: string; now: Date; caseId: string };

const SELECTION_OUTCOMES = ['VOID_COMPLETION', 'REVOKE_CERTIFICATE'] as const;

/**
 * The outcome for each selected enrollment, in the order given (each once), each in a savepoint:
 * NOT_IN_CASE (not among the case's enrollments), NOT_COMPLETED (voiding what is not completed),
 * NO_VALID_CERTIFICATE (revoking where none is valid). Applied ones are audited as the subject
 * outcome audits them, with the case's id; the refused are recorded in the decision.
 */
async function applyToSelection(
  tx: Db,
  c: ControlCaseRow,
  outcome: TCaseOutcome,
  enrollmentIds: string[],
  ref: Ref,
): Promise<TCaseDecisionItem[]> {
  if (!(SELECTION_OUTCOMES as readonly string[]).includes(outcome))
    throw new AppError('CASE_OUTCOME_NOT_APPLICABLE', {
      message: `Over a selection of enrollments only ${SELECTION_OUTCOMES.join(' and ')} apply; ${outcome} is about the case's subject (leave out enrollmentIds).`,
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
      if (outcome === 'VOID_COMPLETION') {
        const effects = await voidCompletion(sp, enrollmentId, ref);
        return effects
          ? { enrollmentId, result: 'APPLIED', code: null, effects }
          : { enrollmentId, result: 'REFUSED', code: 'NOT_COMPLETED', effects: [] };
      }
      const revoked = await revokeCertificateOf(sp, enrollmentId, ref);
      return revoked
        ? { enrollmentId, result: 'APPLIED', code: null, effects: [revoked] }
        : { enrollmentId, result: 'REFUSED', code: 'NO_VALID_CERTIFICATE', effects: [] };
    });
    items.push(item);
  }
  return items;
}

async function applyOutcome(tx: Db, c: ControlCaseRow, outcome: TCaseOutcome, ref: Ref): Promise<string[]> {
  const notApplicable = (message: string) =>
    new AppError('CASE_OUTCOME_NOT_APPLICABLE', { message, field: 'outcome' });
  switch (outcome) {
    case 'NO_ACTION':
      return [];
    case 'WARNING':
      return [`Provider ${c.providerId} warned.`];
    case 'VOID_COMPLETION': {
      if (c.subjectType !== 'ENROLLMENT')
        throw notApplicable(
          "VOID_COMPLETION applies to a case about an enrollment, or to a selection of the case's enrollments (enrollmentIds).",
        );
      const effects = await voidCompletion(tx, c.subjectId, ref);
      if (!effects) throw notApplicable(`Enrollment ${c.subjectId} is not COMPLETED.`);
      return effects;
    }
    case 'REVOKE_CERTIFICATE': {
      if (c.subjectType !== 'ENROLLMENT')
        throw notApplicable(
          "REVOKE_CERTIFICATE applies to a case about an enrollment, or to a selection of the case's enrollments (enrollmentIds).",
        );
      const revoked = await revokeCertificateOf(tx, c.subjectId, ref);
      if (!revoked) throw notApplicable(`Enrollment ${c.subjectId} has no valid certificate.`);
      return [revoked];
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
  if (voided.settled.length > 0) {
    const paid = voided.settled.map((s) => `${s.role} Rp${s.amount.toLocaleString('id-ID')}`).join(', ');
    effects.push(
      `Already itemized for settlement (${paid}): recover it from the provider outside the gateway.`,
    );
  } else {
    effects.push('Not yet settled: the price goes back to the program fund in the next batch.');
  }
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
