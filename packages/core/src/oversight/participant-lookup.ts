import {
  type TParticipantLookup,
  ZParticipantLookupInputSchema,
  ZSearchParticipantsInputSchema,
} from '@latih/contracts';
import {
  casesNamingParticipant,
  type Db,
  enrollmentsOfParticipant,
  findParticipant,
  getParticipantPayoutAccount,
  searchParticipants,
  signalsNamingParticipant,
  vouchersOfParticipant,
} from '@latih/db';
import type { z } from 'zod';
import { type Actor, actorRef, requirePmo } from '../auth/actor';
import { recordChange } from '../changes';
import { notFound } from '../courses';
import { completionGaps } from '../delivery/training';
import { hashNik } from '../participants/nik';
import { participantIncentives } from '../payouts/incentives';

type Call<I> = { db: Db; actor: Actor; requestId: string | null; input: I; nikKey: Buffer };

/**
 * The program office finds a participant by card number, NIK (through its keyed hash: the NIK is
 * neither kept nor written to the audit), the beginning of the name, or the regency. Audited: who
 * searched, by what (never the values), how many were found.
 */
export async function searchParticipantsForPmo(opts: Call<z.input<typeof ZSearchParticipantsInputSchema>>) {
  requirePmo(opts.actor);
  const input = ZSearchParticipantsInputSchema.parse(opts.input);
  const page = await searchParticipants(opts.db, {
    cardNumber: input.cardNumber,
    nikHash: input.nik ? hashNik(opts.nikKey, input.nik) : undefined,
    namePrefix: input.name,
    regencyCode: input.regencyCode,
    limit: input.limit,
    cursor: input.cursor,
  });
  await recordChange(opts.db, {
    actor: actorRef(opts.actor, opts.requestId),
    action: 'participant.searched',
    entityType: 'participant_search',
    entityId: opts.requestId ?? 'search',
    fromState: null,
    toState: null,
    auditData: {
      by: (['cardNumber', 'nik', 'name', 'regencyCode'] as const).filter((k) => input[k] !== undefined),
      found: page.items.map((i) => i.id),
    },
  });
  return page;
}

/**
 * One participant, whole, for the program office: balance, vouchers, enrollments with what each
 * still needs, incentives with what is missing, the payout account masked, and the signals and
 * cases that name them. Every view is an audit row.
 */
export async function participantLookup(
  opts: Call<z.input<typeof ZParticipantLookupInputSchema>>,
): Promise<TParticipantLookup> {
  requirePmo(opts.actor);
  const { id } = ZParticipantLookupInputSchema.parse(opts.input);
  const p = await findParticipant(opts.db, id);
  if (!p) throw notFound(id);
  const vouchers = await vouchersOfParticipant(opts.db, id);
  const enrollments = await enrollmentsOfParticipant(opts.db, id);
  const incentives = await participantIncentives({ db: opts.db, participantId: id });
  const account = await getParticipantPayoutAccount(opts.db, id);
  const signals = await signalsNamingParticipant(opts.db, id);
  const cases = await casesNamingParticipant(opts.db, id);
  await recordChange(opts.db, {
    actor: actorRef(opts.actor, opts.requestId),
    action: 'participant.viewed',
    entityType: 'participant',
    entityId: id,
    fromState: null,
    toState: null,
  });
  return {
    participant: {
      id: p.id,
      name: p.name,
      cardNumber: p.cardNumber,
      nikLast4: p.nikLast4,
      regencyCode: p.regencyCode,
      cohort: p.cohort,
      status: p.status,
      registryStatus: p.registryStatus,
      balance: p.balance,
      gender: p.gender,
      birthDate: p.birthDate,
      schemeId: p.schemeId,
      purchaseDeadline: p.purchaseDeadline.toISOString(),
      phoneLast4: p.phoneLast4,
      registeredAt: p.createdAt.toISOString(),
    },
    vouchers,
    enrollments: enrollments.map((e) => {
      const { percent, missing } = completionGaps(e.completionRule, {
        sessions: e.sessions,
        confirmed: e.sessionsConfirmed,
        assignmentSubmittedAt: e.assignmentSubmittedAt,
        postTestScore: e.postTestScore,
      });
      return {
        id: e.id,
        courseId: e.courseId,
        courseTitle: e.courseTitle,
        providerId: e.providerId,
        providerName: e.providerName,
        runId: e.runId,
        status: e.status,
        redeemedAt: e.redeemedAt.toISOString(),
        completedAt: e.completedAt?.toISOString() ?? null,
        attendancePercent: percent,
        missing: e.status === 'IN_TRAINING' ? missing : [],
      };
    }),
    incentives,
    payoutAccount: account
      ? { kind: account.kind, label: account.label, updatedAt: account.updatedAt.toISOString() }
      : null,
    signals: signals.map((s) => ({
      id: s.id,
      type: s.type,
      status: s.status,
      score: s.score,
      summary: s.summary,
      lastSeenAt: s.lastSeenAt.toISOString(),
    })),
    cases: cases.map((c) => ({
      id: c.id,
      status: c.status,
      summary: c.summary,
      subjectType: c.subject_type,
      subjectId: c.subject_id,
      openedAt: c.createdAt.toISOString(),
    })),
  };
}
