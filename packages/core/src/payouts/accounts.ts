import { createHmac } from 'node:crypto';
import {
  AppError,
  type TPayoutAccount,
  type TPayoutDestination,
  type ZParticipantPayoutAccountSchema,
} from '@latih/contracts';
import {
  type Db,
  findParticipant,
  getPayoutAccount,
  type PayoutAccountRow,
  upsertParticipantPayoutAccount,
  upsertPayoutAccount,
} from '@latih/db';
import { type Account, type PaymentsClient, PaymentsError } from '@latih/payments/client';
import type { z } from 'zod';
import { type Actor, actorRef } from '../auth/actor';
import { recordChange } from '../changes';
import type { Sealer } from '../sealing';

/** A destination as people recognise it, without the full number: `BANK 009 ••••6789`, `GOPAY ••••7890`. */
export function destinationLabel(d: TPayoutDestination): string {
  return d.kind === 'bank'
    ? `BANK ${d.bankCode} ••••${d.accountNumber.slice(-4)}`
    : `${d.provider.toUpperCase()} ••••${d.phone.slice(-4)}`;
}

/**
 * The destination as one account, whoever typed it: a bank's code and account number (not the
 * holder's name, which a seller's buyer can vary), or an e-wallet's provider and phone in +62 form.
 */
export function normalizedDestination(d: TPayoutDestination): string {
  return d.kind === 'bank'
    ? `bank:${d.bankCode}:${d.accountNumber}`
    : `ewallet:${d.provider}:62${d.phone.replace(/^0/, '')}`;
}

/**
 * HMAC-SHA256 of the normalized destination under the NIK hash key, as NIKs are hashed (prefixed, so
 * it never equals a NIK's hash): equal for the same account, and no list of account numbers or
 * phones reverses it. Lets the detectors find several participants paid into one account.
 */
export function hashPayoutDestination(key: Buffer, d: TPayoutDestination): string {
  return createHmac('sha256', key)
    .update(`payout-destination:${normalizedDestination(d)}`, 'utf8')
    .digest('base64url');
}

const kindOf = (d: TPayoutDestination) => (d.kind === 'bank' ? ('BANK' as const) : ('EWALLET' as const));

export function toPayoutAccount(r: PayoutAccountRow): TPayoutAccount {
  return {
    status: r.status,
    requirements: r.requirements,
    destination:
      r.destinationKind && r.destinationLabel ? { kind: r.destinationKind, label: r.destinationLabel } : null,
    updatedAt: r.updatedAt.toISOString(),
  };
}

/** The provider's errors as ours: a refusal says what was wrong; no answer is retryable. */
export function paymentsFailure(err: unknown, refused: 'PAYOUT_ACCOUNT_REFUSED'): never {
  if (err instanceof PaymentsError) {
    if (err.retryable) throw new AppError('PAYMENTS_UNAVAILABLE', { cause: err });
    throw new AppError(refused, { message: `The payment provider refused it: ${err.message}`, cause: err });
  }
  throw err;
}

/** The caller's payout account; one that was never set reads as PENDING needing a destination. */
export async function getOwnPayoutAccount(opts: {
  db: Db;
  actor: Actor;
  now: Date;
}): Promise<TPayoutAccount> {
  const row = await getPayoutAccount(opts.db, opts.actor.organisationId);
  if (!row)
    return {
      status: 'PENDING',
      requirements: ['external_account'],
      destination: null,
      updatedAt: opts.now.toISOString(),
    };
  return toPayoutAccount(row);
}

/**
 * Sets where the caller's settlements are paid: creates its connected account at the payment
 * provider the first time (one idempotency key per organisation, so a retry after a crash finds
 * the same account), updates its destination after that. The provider keeps the bank or e-wallet
 * details; the gateway keeps the account id, its readiness and a masked label.
 */
export async function setOwnPayoutAccount(opts: {
  db: Db;
  actor: Actor;
  requestId: string | null;
  now: Date;
  payments: PaymentsClient;
  destination: TPayoutDestination;
}): Promise<TPayoutAccount> {
  const orgId = opts.actor.organisationId;
  const existing = await getPayoutAccount(opts.db, orgId);
  let account: Account;
  try {
    account = existing
      ? await opts.payments.accounts.update(
          existing.providerAccountId,
          { destination: opts.destination },
          `acct-update:${orgId}:${opts.now.getTime()}`,
        )
      : await opts.payments.accounts.create(
          {
            type: opts.actor.role === 'platform' ? 'platform' : 'provider',
            destination: opts.destination,
            metadata: { organisationId: orgId },
          },
          `acct-create:${orgId}`,
        );
  } catch (err) {
    paymentsFailure(err, 'PAYOUT_ACCOUNT_REFUSED');
  }
  // A replayed create answers with the destination it was first given: bring it up to date.
  if (!existing && JSON.stringify(account.destination) !== JSON.stringify(opts.destination)) {
    try {
      account = await opts.payments.accounts.update(
        account.id,
        { destination: opts.destination },
        `acct-update:${orgId}:${opts.now.getTime()}`,
      );
    } catch (err) {
      paymentsFailure(err, 'PAYOUT_ACCOUNT_REFUSED');
    }
  }
  return opts.db.transaction(async (tx) => {
    const row = await upsertPayoutAccount(tx, {
      organisationId: orgId,
      providerAccountId: account.id,
      destinationKind: kindOf(opts.destination),
      destinationLabel: destinationLabel(opts.destination),
      status:
        account.status === 'enabled' ? 'ENABLED' : account.status === 'restricted' ? 'RESTRICTED' : 'PENDING',
      requirements: account.requirements,
      updatedAt: opts.now,
    });
    const view = toPayoutAccount(row);
    await recordChange(tx, {
      actor: actorRef(opts.actor, opts.requestId),
      action: 'payout_account.set',
      entityType: 'organisation',
      entityId: orgId,
      fromState: existing?.status ?? null,
      toState: row.status,
      auditData: { label: row.destinationLabel },
      event: { type: 'payout_account.updated', organisationId: orgId, data: { payoutAccount: view } },
    });
    return view;
  });
}

/**
 * Where a participant's incentive is paid (in the program, the participant links it on the
 * program's own site; here the PMO records it). Personal data: sealed at rest, shown masked.
 */
export async function setParticipantPayoutAccount(opts: {
  db: Db;
  actor: Actor;
  requestId: string | null;
  now: Date;
  sealer: Sealer;
  /** NIK_HASH_KEY: the destination's keyed hash is written beside the sealed destination. */
  hashKey: Buffer;
  participantId: string;
  destination: TPayoutDestination;
}): Promise<z.infer<typeof ZParticipantPayoutAccountSchema>> {
  return opts.db.transaction(async (tx) => {
    const participant = await findParticipant(tx, opts.participantId);
    if (!participant)
      throw new AppError('NOT_FOUND', { message: 'No such participant.', field: 'participantId' });
    const row = await upsertParticipantPayoutAccount(tx, {
      participantId: opts.participantId,
      kind: kindOf(opts.destination),
      label: destinationLabel(opts.destination),
      sealedDestination: opts.sealer.seal(opts.destination),
      destinationHash: hashPayoutDestination(opts.hashKey, opts.destination),
      updatedAt: opts.now,
    });
    await recordChange(tx, {
      actor: actorRef(opts.actor, opts.requestId),
      action: 'participant.payout_account.set',
      entityType: 'participant',
      entityId: opts.participantId,
      fromState: null,
      toState: null,
      auditData: { label: row.label },
    });
    return {
      participantId: row.participantId,
      kind: row.kind,
      label: row.label,
      updatedAt: row.updatedAt.toISOString(),
    };
  });
}
