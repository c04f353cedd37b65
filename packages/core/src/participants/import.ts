import {
  AppError,
  findRegency,
  type TParticipantImportResult,
  ZImportParticipantsInputSchema,
  ZParticipantImportItemSchema,
} from '@latih/contracts';
import {
  type Db,
  insertAuditEntries,
  insertParticipants,
  PROGRAM_FUND,
  participantAccount,
  participantsByCardNumber,
  participantsByNikHash,
  postLedgerTransactions,
} from '@latih/db';
import type { z } from 'zod';
import type { Actor } from '../auth/actor';
import { resolveScheme } from '../catalog/rules';
import { newId } from '../ids';
import { hashNik, parseNik } from './nik';
import { hashPhone } from './phone';
import {
  checkPeople,
  type RegistryOutcome,
  type RegistryVerifier,
  recordImportChecks,
  registryColumns,
  registrySealer,
} from './registry';

const CHUNK = 1000;

type Valid = {
  index: number;
  hash: string;
  last4: string;
  item: z.infer<typeof ZParticipantImportItemSchema>;
};

/**
 * The PMO imports a cohort's accepted participants (up to 10 000 per call). Each is validated on
 * its own; a NIK already imported is reported as DUPLICATE, never stored twice (the keyed hash is
 * unique). Each new participant gets the scheme's training balance through a balanced ledger
 * transaction, and the scheme's purchase deadline.
 *
 * Each new participant is checked against the population registry first (registry.ts), outside
 * the transaction and `REGISTRY_CONCURRENCY` at a time: a mismatch creates them BLOCKED, no
 * verdict (outage, timeout, the import's time budget spent, no registry configured) creates them
 * PENDING with the check queued. Nobody is passed without a verdict.
 */
export async function importParticipants(opts: {
  db: Db;
  actor: Actor;
  requestId: string | null;
  nikKey: Buffer;
  /** The population registry; null: none configured (everyone is queued PENDING). */
  registry: RegistryVerifier | null;
  /** How long the import waits for the registry in all (default REGISTRY_IMPORT_BUDGET_MS). */
  registryBudgetMs?: number;
  input: z.input<typeof ZImportParticipantsInputSchema>;
  now?: Date;
}) {
  if (opts.actor.role !== 'pmo') throw new AppError('FORBIDDEN_ROLE');
  const input = ZImportParticipantsInputSchema.parse(opts.input);
  const now = opts.now ?? new Date();
  const results: TParticipantImportResult[] = input.items.map((_, index) => ({
    index,
    status: 'ERROR',
    participantId: null,
    nikLast4: null,
    error: null,
    registry: null,
  }));
  const fail = (index: number, err: AppError) => {
    results[index] = {
      index,
      status: 'ERROR',
      participantId: null,
      nikLast4: null,
      error: errorBody(err),
      registry: null,
    };
  };

  const valid: Valid[] = [];
  for (const [index, raw] of input.items.entries()) {
    const parsed = ZParticipantImportItemSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.map(String).join('.') ?? '';
      fail(
        index,
        new AppError('VALIDATION_FAILED', { message: `${field}: ${issue?.message ?? 'invalid'}`, field }),
      );
      continue;
    }
    const item = parsed.data;
    const nik = parseNik(item.nik, now);
    if ('error' in nik) {
      fail(index, new AppError('NIK_INVALID', { message: nik.error, field: 'nik' }));
      continue;
    }
    if (nik.birthDate !== item.birthDate) {
      fail(
        index,
        new AppError('NIK_INVALID', {
          message: 'The NIK’s birth date differs from birthDate.',
          field: 'birthDate',
        }),
      );
      continue;
    }
    if (nik.gender !== item.gender) {
      fail(
        index,
        new AppError('NIK_INVALID', {
          message: 'The NIK’s gender part differs from gender.',
          field: 'gender',
        }),
      );
      continue;
    }
    if (!findRegency(item.regencyCode)) {
      fail(index, new AppError('REGENCY_UNKNOWN', { field: 'regencyCode' }));
      continue;
    }
    valid.push({ index, hash: hashNik(opts.nikKey, item.nik), last4: item.nik.slice(-4), item });
  }

  // The registry is asked about NIKs not imported yet (once each), before the transaction opens.
  const known = new Set<string>();
  for (let i = 0; i < valid.length; i += CHUNK)
    for (const p of await participantsByNikHash(
      opts.db,
      valid.slice(i, i + CHUNK).map((v) => v.hash),
    ))
      known.add(p.nikHash);
  const toCheck: Valid[] = [];
  for (const v of valid) {
    if (known.has(v.hash)) continue;
    known.add(v.hash);
    toCheck.push(v);
  }
  const checked = await checkPeople(
    opts.registry,
    toCheck.map((v) => ({ nik: v.item.nik, name: v.item.name, birthDate: v.item.birthDate })),
    opts.registryBudgetMs !== undefined ? { budgetMs: opts.registryBudgetMs } : {},
  );
  const outcomeOf = new Map<number, RegistryOutcome>();
  for (const [i, v] of toCheck.entries())
    outcomeOf.set(v.index, checked[i] ?? { kind: 'unavailable', error: 'error' });
  const unchecked: RegistryOutcome = { kind: 'unavailable', error: 'not_checked' };
  const sealer = registrySealer(opts.nikKey);

  return opts.db.transaction(async (tx) => {
    const scheme = await resolveScheme(tx, input.schemeId, now);
    const deadline = new Date(now.getTime() + scheme.rules.purchaseWindowDays * 86_400_000);
    let credited = 0;
    for (let i = 0; i < valid.length; i += CHUNK) {
      const chunk = valid.slice(i, i + CHUNK);
      const byHash = new Map(
        (
          await participantsByNikHash(
            tx,
            chunk.map((v) => v.hash),
          )
        ).map((p) => [p.nikHash, p]),
      );
      const byCard = new Map(
        (
          await participantsByCardNumber(
            tx,
            chunk.map((v) => v.item.cardNumber),
          )
        ).map((p) => [p.cardNumber, p]),
      );
      const fresh: (Valid & { id: string })[] = [];
      const seenHash = new Map<string, string>();
      const seenCard = new Set<string>();
      for (const v of chunk) {
        const existing = byHash.get(v.hash);
        const earlier = seenHash.get(v.hash);
        if (existing || earlier) {
          results[v.index] = {
            index: v.index,
            status: 'DUPLICATE',
            participantId: existing?.id ?? earlier ?? null,
            nikLast4: v.last4,
            error: null,
            registry: null,
          };
          continue;
        }
        if (byCard.has(v.item.cardNumber) || seenCard.has(v.item.cardNumber)) {
          fail(
            v.index,
            new AppError('EXTERNAL_ID_TAKEN', {
              message: 'This card number belongs to another participant.',
              field: 'cardNumber',
            }),
          );
          continue;
        }
        const id = newId('participant', now.getTime());
        seenHash.set(v.hash, id);
        seenCard.add(v.item.cardNumber);
        fresh.push({ ...v, id });
      }
      const inserted = await insertParticipants(
        tx,
        fresh.map((f) => ({
          id: f.id,
          nikHash: f.hash,
          nikLast4: f.last4,
          cardNumber: f.item.cardNumber,
          name: f.item.name,
          gender: f.item.gender,
          birthDate: f.item.birthDate,
          regencyCode: f.item.regencyCode,
          phoneHash: f.item.phone ? hashPhone(opts.nikKey, f.item.phone) : null,
          phoneLast4: f.item.phone ? f.item.phone.slice(-4) : null,
          cohort: input.cohort,
          schemeId: scheme.id,
          status: 'ACTIVE' as const,
          balance: scheme.rules.trainingBalance,
          purchaseDeadline: deadline,
          ...registryColumns(outcomeOf.get(f.index) ?? unchecked, now),
        })),
      );
      const insertedIds = new Set(inserted.map((r) => r.id));
      for (const f of fresh) {
        // Not inserted: a concurrent import took the NIK or card first.
        const col = registryColumns(outcomeOf.get(f.index) ?? unchecked, now);
        results[f.index] = insertedIds.has(f.id)
          ? {
              index: f.index,
              status: 'CREATED',
              participantId: f.id,
              nikLast4: f.last4,
              error: null,
              registry: {
                status: col.registryStatus as 'VERIFIED' | 'PENDING' | 'BLOCKED',
                reasons: col.registryReasons as NonNullable<TParticipantImportResult['registry']>['reasons'],
              },
            }
          : {
              index: f.index,
              status: 'DUPLICATE',
              participantId: null,
              nikLast4: f.last4,
              error: null,
              registry: null,
            };
      }
      await recordImportChecks(
        tx,
        fresh
          .filter((f) => insertedIds.has(f.id))
          .map((f) => ({
            participantId: f.id,
            person: { nik: f.item.nik, name: f.item.name, birthDate: f.item.birthDate },
            outcome: outcomeOf.get(f.index) ?? unchecked,
          })),
        {
          actor: {
            organisationId: opts.actor.organisationId,
            clientId: opts.actor.clientId,
            requestId: opts.requestId,
          },
          now,
          sealer,
        },
      );
      await postLedgerTransactions(
        tx,
        inserted.map((p) => ({
          id: newId('ledgerTransaction', now.getTime()),
          kind: 'BALANCE_CREDIT',
          reference: p.id,
          entries: [
            { account: PROGRAM_FUND, amount: -p.balance },
            { account: participantAccount(p.id), amount: p.balance },
          ],
        })),
      );
      await insertAuditEntries(
        tx,
        inserted.map((p) => ({
          id: newId('audit', now.getTime()),
          actorOrganisationId: opts.actor.organisationId,
          actorClientId: opts.actor.clientId,
          action: 'participant.imported',
          entityType: 'participant',
          entityId: p.id,
          fromState: null,
          toState: 'ACTIVE',
          requestId: opts.requestId,
          data: { cohort: input.cohort, schemeId: scheme.id, balance: p.balance, registry: p.registryStatus },
        })),
      );
      credited += inserted.reduce((s, p) => s + p.balance, 0);
    }
    const count = (s: TParticipantImportResult['status']) => results.filter((r) => r.status === s).length;
    const registry = (s: 'BLOCKED' | 'PENDING') => results.filter((r) => r.registry?.status === s).length;
    return {
      summary: {
        created: count('CREATED'),
        duplicate: count('DUPLICATE'),
        error: count('ERROR'),
        credited,
        blocked: registry('BLOCKED'),
        pending: registry('PENDING'),
      },
      results,
    };
  });
}

function errorBody(err: AppError) {
  return { code: err.code, message: err.message, ...(err.field ? { field: err.field } : {}) };
}
