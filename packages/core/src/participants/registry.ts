import {
  AppError,
  type TParticipantRegistry,
  ZRegistryGetInputSchema,
  ZRegistryListInputSchema,
  ZRegistryOverrideInputSchema,
  ZRegistryRecheckInputSchema,
} from '@latih/contracts';
import {
  claimDueRegistryChecks,
  type Db,
  decodeCursor,
  deferRegistryCheck,
  dequeueRegistryCheck,
  dequeueRegistryChecks,
  enqueueRegistryChecks,
  findParticipant,
  findQueuedRegistryCheck,
  insertAuditEntries,
  insertRegistryChecks,
  lockParticipants,
  type ParticipantRow,
  participantsByRegistryStatus,
  type RegistryCheckRow,
  registryChecksOf,
  setParticipantRegistry,
  setParticipantsRegistry,
  toPage,
} from '@latih/db';
import type { RegistryClient, Verification } from '@latih/registry/client';
import type { z } from 'zod';
import { type Actor, type ActorRef, actorRef, requirePmo } from '../auth/actor';
import { recordChange } from '../changes';
import { notFound } from '../courses';
import { newId } from '../ids';
import { createSealer, type Sealer } from '../sealing';
import { hashNik } from './nik';

/**
 * The population-registry check (issue 22). Every imported participant's NIK, name and birth date
 * go to the registry's verification service, which answers match flags only (never its record):
 * a mismatch BLOCKS the participant, with reasons the program office sees and resolves (a new
 * check, or an override with a recorded reason); no verdict (an outage, a timeout, no registry
 * configured) leaves them PENDING and queues the check, retried by the `registry.retry` job until a
 * verdict comes. Nobody PENDING or BLOCKED can buy (checkout refuses them).
 *
 * What is kept (DESIGN §6): the status, the reason codes, the registry's reference for each check
 * and when it was made. The NIK is kept in full only sealed in the queue, and only until the
 * queued check has its verdict.
 */
export type RegistryVerifier = Pick<RegistryClient, 'verify'>;
export type Person = { nik: string; name: string; birthDate: string };
type Reason = TParticipantRegistry['reasons'][number];
export type RegistryOutcome =
  | { kind: 'verdict'; status: 'VERIFIED' | 'BLOCKED'; reasons: Reason[]; reference: string }
  | { kind: 'unavailable'; error: string };

/** How long an import waits for the registry in all before queueing what is left. */
export const REGISTRY_IMPORT_BUDGET_MS = 20_000;
/** Checks in flight at once during an import. */
export const REGISTRY_CONCURRENCY = 16;
/** How long a claimed retry may take before another gateway may claim it again. */
export const REGISTRY_RETRY_LEASE_MS = 2 * 60_000;
/** Retries back off from 30 s, doubling, up to an hour apart; they never stop while PENDING. */
export function registryRetryDelayMs(attempts: number): number {
  return Math.min(30_000 * 2 ** Math.max(0, attempts - 1), 3_600_000);
}

export function registrySealer(nikKey: Buffer): Sealer {
  return createSealer(nikKey, 'registry-queue');
}

export function verdictOf(v: Verification): RegistryOutcome {
  const reasons: Reason[] = [];
  if (v.nik === 'NOT_FOUND') reasons.push('NIK_NOT_FOUND');
  else {
    if (v.name !== 'MATCH') reasons.push('NAME_MISMATCH');
    if (v.birthDate !== 'MATCH') reasons.push('BIRTH_DATE_MISMATCH');
    if (v.deceased) reasons.push('DECEASED');
  }
  return { kind: 'verdict', status: reasons.length === 0 ? 'VERIFIED' : 'BLOCKED', reasons, reference: v.id };
}

async function checkPerson(registry: RegistryVerifier | null, person: Person): Promise<RegistryOutcome> {
  if (!registry) return { kind: 'unavailable', error: 'not_configured' };
  try {
    return verdictOf(await registry.verify(person));
  } catch (err) {
    const code = err && typeof err === 'object' && 'code' in err ? String(err.code) : 'error';
    return { kind: 'unavailable', error: code };
  }
}

/**
 * Checks many people, `REGISTRY_CONCURRENCY` at a time; whatever has no verdict when the budget
 * runs out is `unavailable` (queued by the caller), so a slow registry never holds an import.
 */
export async function checkPeople(
  registry: RegistryVerifier | null,
  people: Person[],
  opts: { budgetMs?: number; concurrency?: number } = {},
): Promise<RegistryOutcome[]> {
  const out: RegistryOutcome[] = people.map(() => ({ kind: 'unavailable', error: 'budget_exhausted' }));
  if (!registry) return people.map(() => ({ kind: 'unavailable', error: 'not_configured' }));
  const deadline = Date.now() + (opts.budgetMs ?? REGISTRY_IMPORT_BUDGET_MS);
  let next = 0;
  const worker = async () => {
    while (next < people.length && Date.now() < deadline) {
      const i = next++;
      const person = people[i];
      if (!person) continue;
      const left = deadline - Date.now();
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        checkPerson(registry, person),
        new Promise<RegistryOutcome>((resolve) => {
          timer = setTimeout(() => resolve({ kind: 'unavailable', error: 'budget_exhausted' }), left);
        }),
      ]);
      clearTimeout(timer);
      out[i] = outcome;
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(opts.concurrency ?? REGISTRY_CONCURRENCY, people.length) }, worker),
  );
  return out;
}

/** What an import writes for one participant's check (inside the import's transaction). */
export async function recordImportChecks(
  tx: Db,
  items: { participantId: string; person: Person; outcome: RegistryOutcome }[],
  ctx: { actor: ActorRef; now: Date; sealer: Sealer },
) {
  await insertRegistryChecks(
    tx,
    items.map((i) => registryCheckRow(i.participantId, 'IMPORT', i.outcome, ctx.actor, ctx.now)),
  );
  await enqueueRegistryChecks(
    tx,
    items.flatMap((i) =>
      i.outcome.kind === 'unavailable' ? [queueRow(i.participantId, i.person, i.outcome.error, ctx)] : [],
    ),
  );
}

/** A check queued for registry.retry: the person sealed, first due one retry delay from now. */
function queueRow(participantId: string, person: Person, error: string, ctx: { now: Date; sealer: Sealer }) {
  return {
    participantId,
    sealed: ctx.sealer.seal(person),
    attempts: 0,
    nextAttemptAt: new Date(ctx.now.getTime() + registryRetryDelayMs(1)),
    lastError: error,
    createdAt: ctx.now,
  };
}

/** The participant columns an outcome sets. */
export function registryColumns(outcome: RegistryOutcome, now: Date) {
  return outcome.kind === 'verdict'
    ? { registryStatus: outcome.status, registryReasons: outcome.reasons, registryCheckedAt: now }
    : {
        registryStatus: 'PENDING' as const,
        registryReasons: ['REGISTRY_UNAVAILABLE'],
        registryCheckedAt: null,
      };
}

function registryCheckRow(
  participantId: string,
  trigger: RegistryCheckRow['trigger'],
  outcome: RegistryOutcome,
  actor: ActorRef | null,
  now: Date,
) {
  return {
    id: newId('registryCheck', now.getTime()),
    participantId,
    trigger,
    outcome: outcome.kind === 'verdict' ? outcome.status : ('UNAVAILABLE' as const),
    reasons: outcome.kind === 'verdict' ? outcome.reasons : ['REGISTRY_UNAVAILABLE'],
    reference: outcome.kind === 'verdict' ? outcome.reference : null,
    note: outcome.kind === 'unavailable' ? outcome.error : null,
    actorOrganisationId: actor?.organisationId ?? null,
    actorClientId: actor?.clientId ?? null,
    at: now,
  };
}

async function registryView(db: Db, p: ParticipantRow): Promise<TParticipantRegistry> {
  const queued = await findQueuedRegistryCheck(db, p.id);
  const checks = await registryChecksOf(db, p.id);
  return {
    participantId: p.id,
    name: p.name,
    nikLast4: p.nikLast4,
    status: p.registryStatus,
    reasons: p.registryReasons as Reason[],
    checkedAt: p.registryCheckedAt?.toISOString() ?? null,
    queued: queued
      ? {
          attempts: queued.attempts,
          nextAttemptAt: queued.nextAttemptAt.toISOString(),
          lastError: queued.lastError,
        }
      : null,
    checks: checks.map((c) => ({
      id: c.id,
      trigger: c.trigger,
      outcome: c.outcome,
      reasons: c.reasons as Reason[],
      reference: c.reference,
      note: c.note,
      by: c.actorOrganisationId ? { organisationId: c.actorOrganisationId, clientId: c.actorClientId } : null,
      at: c.at.toISOString(),
    })),
  };
}

type Call<I> = { db: Db; actor: Actor; requestId: string | null; input: I; now?: Date };

export async function participantRegistry(opts: Call<z.input<typeof ZRegistryGetInputSchema>>) {
  requirePmo(opts.actor);
  const { participantId } = ZRegistryGetInputSchema.parse(opts.input);
  const p = await findParticipant(opts.db, participantId);
  if (!p) throw notFound(participantId, 'participantId');
  return registryView(opts.db, p);
}

export async function listRegistryParticipants(
  opts: Omit<Call<z.input<typeof ZRegistryListInputSchema>>, 'requestId'>,
) {
  requirePmo(opts.actor);
  const input = ZRegistryListInputSchema.parse(opts.input);
  const rows = await participantsByRegistryStatus(opts.db, {
    status: input.status,
    after: input.cursor ? decodeCursor(input.cursor) : undefined,
    limit: input.limit,
  });
  return toPage(
    rows,
    input.limit,
    (r) => r.id,
    (r) => ({
      participantId: r.id,
      name: r.name,
      nikLast4: r.nikLast4,
      cardNumber: r.cardNumber,
      regencyCode: r.regencyCode,
      cohort: r.cohort,
      status: r.registryStatus,
      reasons: r.registryReasons as Reason[],
      checkedAt: r.registryCheckedAt?.toISOString() ?? null,
    }),
  );
}

/**
 * Applies a PMO re-check's verdict (or outage) to the participant, locked by the caller, with its
 * history row and audit entry.
 */
async function applyRecheck(
  tx: Db,
  p: ParticipantRow,
  outcome: RegistryOutcome,
  ctx: { actor: ActorRef; now: Date; sealer: Sealer; person: Person },
): Promise<void> {
  await insertRegistryChecks(tx, [registryCheckRow(p.id, 'RECHECK', outcome, ctx.actor, ctx.now)]);
  if (outcome.kind === 'unavailable') {
    // A participant let through stays so until a verdict says otherwise; the others wait for one.
    if (p.registryStatus !== 'PENDING' && p.registryStatus !== 'BLOCKED') return;
    await setParticipantRegistry(tx, p.id, {
      status: 'PENDING',
      reasons: ['REGISTRY_UNAVAILABLE'],
      checkedAt: p.registryCheckedAt,
    });
    await enqueueRegistryChecks(tx, [queueRow(p.id, ctx.person, outcome.error, ctx)]);
    if (p.registryStatus === 'BLOCKED')
      await recordChange(tx, {
        actor: ctx.actor,
        action: 'participant.registry_pending',
        entityType: 'participant',
        entityId: p.id,
        fromState: p.registryStatus,
        toState: 'PENDING',
        auditData: { error: outcome.error },
      });
    return;
  }
  const renamed = ctx.person.name !== p.name && outcome.status === 'VERIFIED' ? ctx.person.name : undefined;
  await setParticipantRegistry(tx, p.id, {
    status: outcome.status,
    reasons: outcome.reasons,
    checkedAt: ctx.now,
    ...(renamed ? { name: renamed } : {}),
  });
  await dequeueRegistryCheck(tx, p.id);
  await recordChange(tx, {
    actor: ctx.actor,
    action: outcome.status === 'VERIFIED' ? 'participant.registry_verified' : 'participant.registry_blocked',
    entityType: 'participant',
    entityId: p.id,
    fromState: p.registryStatus,
    toState: outcome.status,
    auditData: {
      trigger: 'RECHECK',
      reasons: outcome.reasons,
      reference: outcome.reference,
      ...(renamed ? { renamed: true } : {}),
    },
  });
}

/**
 * The program office checks a participant again, now: after the participant corrected their data
 * with the registry, or with a corrected name. Needs the NIK (kept only as its keyed hash) unless
 * the check is queued. No verdict: the participant is PENDING and the check queued.
 */
export async function recheckRegistry(
  opts: Call<z.input<typeof ZRegistryRecheckInputSchema>> & {
    registry: RegistryVerifier | null;
    nikKey: Buffer;
  },
): Promise<TParticipantRegistry> {
  requirePmo(opts.actor);
  const input = ZRegistryRecheckInputSchema.parse(opts.input);
  const now = opts.now ?? new Date();
  const sealer = registrySealer(opts.nikKey);
  const p = await findParticipant(opts.db, input.participantId);
  if (!p) throw notFound(input.participantId, 'participantId');
  let nik = input.nik;
  if (nik !== undefined) {
    if (hashNik(opts.nikKey, nik) !== p.nikHash)
      throw new AppError('REGISTRY_NIK_MISMATCH', { field: 'nik' });
  } else {
    const queued = await findQueuedRegistryCheck(opts.db, p.id);
    if (!queued)
      throw new AppError('VALIDATION_FAILED', {
        message: 'nik: the NIK is kept only as a keyed hash; give it to check this participant again.',
        field: 'nik',
      });
    nik = (sealer.open(queued.sealed) as Person).nik;
  }
  const person: Person = { nik, name: input.name ?? p.name, birthDate: p.birthDate };
  const outcome = await checkPerson(opts.registry, person);
  const actor = actorRef(opts.actor, opts.requestId);
  return opts.db.transaction(async (tx) => {
    const locked = await findParticipant(tx, p.id, { forUpdate: true });
    if (!locked) throw notFound(p.id, 'participantId');
    await applyRecheck(tx, locked, outcome, { actor, now, sealer, person });
    const after = await findParticipant(tx, p.id);
    return registryView(tx, after ?? locked);
  });
}

/** The program office lets a BLOCKED or PENDING participant through, with a recorded reason. */
export async function overrideRegistry(
  opts: Call<z.input<typeof ZRegistryOverrideInputSchema>>,
): Promise<TParticipantRegistry> {
  requirePmo(opts.actor);
  const input = ZRegistryOverrideInputSchema.parse(opts.input);
  const now = opts.now ?? new Date();
  const actor = actorRef(opts.actor, opts.requestId);
  return opts.db.transaction(async (tx) => {
    const p = await findParticipant(tx, input.participantId, { forUpdate: true });
    if (!p) throw notFound(input.participantId, 'participantId');
    if (p.registryStatus !== 'BLOCKED' && p.registryStatus !== 'PENDING')
      throw new AppError('REGISTRY_NOT_OPEN', {
        message: `The participant is ${p.registryStatus}: there is nothing to override.`,
      });
    await setParticipantRegistry(tx, p.id, {
      status: 'OVERRIDDEN',
      reasons: p.registryReasons,
      checkedAt: now,
    });
    await dequeueRegistryCheck(tx, p.id);
    await insertRegistryChecks(tx, [
      {
        id: newId('registryCheck', now.getTime()),
        participantId: p.id,
        trigger: 'OVERRIDE',
        outcome: 'OVERRIDDEN',
        reasons: p.registryReasons,
        reference: null,
        note: input.reason,
        actorOrganisationId: opts.actor.organisationId,
        actorClientId: opts.actor.clientId,
        at: now,
      },
    ]);
    await recordChange(tx, {
      actor,
      action: 'participant.registry_overridden',
      entityType: 'participant',
      entityId: p.id,
      fromState: p.registryStatus,
      toState: 'OVERRIDDEN',
      auditData: { reason: input.reason, reasons: p.registryReasons },
    });
    const after = await findParticipant(tx, p.id);
    return registryView(tx, after ?? p);
  });
}

/**
 * The `registry.retry` job: claims due queued checks (a lease, so two gateways never ask twice at
 * once and a crashed try is retried), asks the registry outside any transaction, then applies the
 * verdict only to a participant still PENDING (an override in between wins). No verdict: the next
 * try backs off (30 s doubling to an hour), forever while PENDING.
 */
export async function retryRegistryChecks(opts: {
  db: Db;
  registry: RegistryVerifier | null;
  nikKey: Buffer;
  now: Date;
  limit?: number;
}): Promise<{ claimed: number; verified: number; blocked: number; unavailable: number; busy: boolean }> {
  const limit = opts.limit ?? 100;
  const r = { claimed: 0, verified: 0, blocked: 0, unavailable: 0, busy: false };
  if (!opts.registry) return r;
  const sealer = registrySealer(opts.nikKey);
  const claimed = await claimDueRegistryChecks(opts.db, {
    now: opts.now,
    leaseMs: REGISTRY_RETRY_LEASE_MS,
    limit,
  });
  r.claimed = claimed.length;
  r.busy = claimed.length >= limit;
  const people = claimed.map((c) => sealer.open(c.sealed) as Person);
  const outcomes = await checkPeople(opts.registry, people, { budgetMs: REGISTRY_RETRY_LEASE_MS / 2 });
  // No verdict: each waits longer (30 s doubling to an hour after its attempts so far).
  const verdicts: { participantId: string; outcome: Extract<RegistryOutcome, { kind: 'verdict' }> }[] = [];
  for (const [i, c] of claimed.entries()) {
    const outcome = outcomes[i];
    if (!outcome) continue;
    if (outcome.kind === 'verdict') {
      verdicts.push({ participantId: c.participantId, outcome });
      continue;
    }
    r.unavailable++;
    await deferRegistryCheck(
      opts.db,
      c.participantId,
      new Date(opts.now.getTime() + registryRetryDelayMs(c.attempts)),
      outcome.error,
    );
  }
  if (verdicts.length === 0) return r;
  // The verdicts in one transaction: only to participants still PENDING (an override or a PMO
  // re-check in between wins); every claimed check with a verdict leaves the queue.
  await opts.db.transaction(async (tx) => {
    const locked = await lockParticipants(
      tx,
      verdicts.map((v) => v.participantId),
    );
    const pending = new Set(locked.filter((p) => p.registryStatus === 'PENDING').map((p) => p.id));
    const groups = new Map<string, typeof verdicts>();
    for (const v of verdicts) {
      if (!pending.has(v.participantId)) continue;
      const key = `${v.outcome.status}:${v.outcome.reasons.join(',')}`;
      groups.set(key, [...(groups.get(key) ?? []), v]);
    }
    const applied: typeof verdicts = [];
    for (const group of groups.values()) {
      const first = group[0];
      if (!first) continue;
      const moved = new Set(
        await setParticipantsRegistry(
          tx,
          group.map((v) => v.participantId),
          { status: first.outcome.status, reasons: first.outcome.reasons, checkedAt: opts.now },
          ['PENDING'],
        ),
      );
      applied.push(...group.filter((v) => moved.has(v.participantId)));
    }
    await dequeueRegistryChecks(
      tx,
      verdicts.map((v) => v.participantId),
    );
    await insertRegistryChecks(
      tx,
      applied.map((v) => registryCheckRow(v.participantId, 'RETRY', v.outcome, null, opts.now)),
    );
    await insertAuditEntries(
      tx,
      applied.map((v) => ({
        id: newId('audit', opts.now.getTime()),
        actorOrganisationId: null,
        actorClientId: null,
        action:
          v.outcome.status === 'VERIFIED' ? 'participant.registry_verified' : 'participant.registry_blocked',
        entityType: 'participant',
        entityId: v.participantId,
        fromState: 'PENDING',
        toState: v.outcome.status,
        requestId: null,
        data: { trigger: 'RETRY', reasons: v.outcome.reasons, reference: v.outcome.reference },
      })),
    );
    for (const v of applied) {
      if (v.outcome.status === 'VERIFIED') r.verified++;
      else r.blocked++;
    }
  });
  return r;
}
