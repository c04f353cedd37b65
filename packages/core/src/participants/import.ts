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
 */
export async function importParticipants(opts: {
  db: Db;
  actor: Actor;
  requestId: string | null;
  nikKey: Buffer;
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
  }));
  const fail = (index: number, err: AppError) => {
    results[index] = { index, status: 'ERROR', participantId: null, nikLast4: null, error: errorBody(err) };
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
        })),
      );
      const insertedIds = new Set(inserted.map((r) => r.id));
      for (const f of fresh) {
        // Not inserted: a concurrent import took the NIK or card first.
        results[f.index] = insertedIds.has(f.id)
          ? { index: f.index, status: 'CREATED', participantId: f.id, nikLast4: f.last4, error: null }
          : { index: f.index, status: 'DUPLICATE', participantId: null, nikLast4: f.last4, error: null };
      }
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
          data: { cohort: input.cohort, schemeId: scheme.id, balance: p.balance },
        })),
      );
      credited += inserted.reduce((s, p) => s + p.balance, 0);
    }
    const count = (s: TParticipantImportResult['status']) => results.filter((r) => r.status === s).length;
    return {
      summary: { created: count('CREATED'), duplicate: count('DUPLICATE'), error: count('ERROR'), credited },
      results,
    };
  });
}

function errorBody(err: AppError) {
  return { code: err.code, message: err.message, ...(err.field ? { field: err.field } : {}) };
}
