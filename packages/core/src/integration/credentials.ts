import { randomBytes } from 'node:crypto';
import {
  AppError,
  DEFAULT_SCOPES,
  type TIntegrationKey,
  ZIntegrationOrganisationInputSchema,
  ZRevokeIntegrationKeyInputSchema,
  ZRotateIntegrationKeyInputSchema,
} from '@latih/contracts';
import {
  type Db,
  findIntegrationClientOf,
  findIntegrationKey,
  findOrganisationRow,
  type IntegrationKeyRow,
  insertIntegrationClient,
  insertIntegrationKey,
  integrationCaller,
  integrationKeysOf,
  updateIntegrationKey,
} from '@latih/db';
import type { z } from 'zod';
import { type Actor, actorRef, requirePmo } from '../auth/actor';
import { recordChange } from '../changes';
import { newId } from '../ids';
import type { Sealer } from '../sealing';
import { signatureMatches, timestampFresh } from './signature';

type Call<I> = { db: Db; actor: Actor; requestId: string | null; input: I; now?: Date; sealer: Sealer };

function toIntegrationKey(r: IntegrationKeyRow): TIntegrationKey {
  return {
    id: r.id,
    keyLast4: r.keyLast4,
    status: r.status,
    createdAt: r.createdAt.toISOString(),
    expiresAt: r.expiresAt?.toISOString() ?? null,
    revokedAt: r.revokedAt?.toISOString() ?? null,
  };
}

/** 160 random bits as hex, the shape the program's sign keys have. */
function generateSignKey(): string {
  return randomBytes(20).toString('hex');
}

/** A fresh sign key under a client_code, stored sealed; the key itself goes back to the caller once. */
async function newSignKey(tx: Db, clientCode: string, sealer: Sealer, now: Date) {
  const signKey = generateSignKey();
  const key = await insertIntegrationKey(tx, {
    id: newId('integrationKey'),
    clientCode,
    sealedKey: sealer.seal(signKey),
    keyLast4: signKey.slice(-4),
    status: 'ACTIVE',
    createdAt: now,
  });
  return { key, signKey };
}

/** A provider's client_code: `lkp` and 20 random digits (the program's codes are lower-case alphanumerics). */
function generateClientCode(): string {
  let digits = '';
  for (const b of randomBytes(20)) digits += String(b % 10);
  return `lkp${digits}`;
}

async function integrationProviderFor(db: Db, id: string) {
  const org = await findOrganisationRow(db, id, {});
  if (!org) throw new AppError('ORGANISATION_NOT_FOUND', { field: 'organisationId' });
  if (org.kind !== 'PROVIDER')
    throw new AppError('INVALID_STATE', {
      message: 'Integration credentials are for training providers.',
      field: 'organisationId',
    });
  if (org.status === 'REJECTED')
    throw new AppError('INVALID_STATE', {
      message: `Organisation ${org.id} is REJECTED.`,
      field: 'organisationId',
    });
  return org;
}

export async function integrationCredentialsOf(opts: Omit<Call<{ organisationId: string }>, 'sealer'>) {
  requirePmo(opts.actor);
  const input = ZIntegrationOrganisationInputSchema.parse(opts.input);
  await integrationProviderFor(opts.db, input.organisationId);
  const client = await findIntegrationClientOf(opts.db, input.organisationId);
  const keys = client ? await integrationKeysOf(opts.db, client.clientCode) : [];
  return {
    organisationId: input.organisationId,
    clientCode: client?.clientCode ?? null,
    keys: keys.map(toIntegrationKey),
  };
}

/**
 * A sign key for the provider (and its client_code, the first time). Refused while it has a live
 * key: rotate that one instead, so two keys never live side by side but during a rotation's grace.
 */
export async function issueIntegrationKey(opts: Call<z.input<typeof ZIntegrationOrganisationInputSchema>>) {
  requirePmo(opts.actor);
  const input = ZIntegrationOrganisationInputSchema.parse(opts.input);
  const now = opts.now ?? new Date();
  return opts.db.transaction(async (tx) => {
    const org = await findOrganisationRow(tx, input.organisationId, { forUpdate: true });
    if (!org) throw new AppError('ORGANISATION_NOT_FOUND', { field: 'organisationId' });
    await integrationProviderFor(tx, org.id);
    let client = await findIntegrationClientOf(tx, org.id);
    if (client) {
      const live = (await integrationKeysOf(tx, client.clientCode)).filter(
        (k) => k.status === 'ACTIVE' && (!k.expiresAt || k.expiresAt > now),
      );
      if (live.length > 0)
        throw new AppError('INVALID_STATE', {
          message: `The provider has a live sign key (${live[0]?.id}): rotate it instead.`,
          field: 'organisationId',
        });
    } else {
      client = await insertIntegrationClient(tx, {
        clientCode: generateClientCode(),
        organisationId: org.id,
        createdAt: now,
      });
    }
    const { key, signKey } = await newSignKey(tx, client.clientCode, opts.sealer, now);
    await recordChange(tx, {
      actor: actorRef(opts.actor, opts.requestId),
      action: 'integration_key.issued',
      entityType: 'organisation',
      entityId: org.id,
      fromState: null,
      toState: 'ACTIVE',
      auditData: { keyId: key.id, clientCode: client.clientCode, keyLast4: key.keyLast4 },
    });
    return { organisationId: org.id, clientCode: client.clientCode, key: toIntegrationKey(key), signKey };
  });
}

/** A new sign key under the same client_code; the old one works for `graceHours` more (0: stops at once). */
export async function rotateIntegrationKey(opts: Call<z.input<typeof ZRotateIntegrationKeyInputSchema>>) {
  requirePmo(opts.actor);
  const input = ZRotateIntegrationKeyInputSchema.parse(opts.input);
  const now = opts.now ?? new Date();
  return opts.db.transaction(async (tx) => {
    const old = await findIntegrationKey(tx, input.keyId, { forUpdate: true });
    if (!old) throw new AppError('INTEGRATION_KEY_NOT_FOUND', { field: 'keyId' });
    if (old.status !== 'ACTIVE' || (old.expiresAt && old.expiresAt <= now))
      throw new AppError('INVALID_STATE', {
        message: `Sign key ${old.id} is no longer live.`,
        field: 'keyId',
      });
    const graced = await updateIntegrationKey(tx, old.id, {
      expiresAt: new Date(now.getTime() + input.graceHours * 3_600_000),
    });
    const { key, signKey } = await newSignKey(tx, old.clientCode, opts.sealer, now);
    const client = await integrationCaller(tx, old.clientCode, now);
    await recordChange(tx, {
      actor: actorRef(opts.actor, opts.requestId),
      action: 'integration_key.rotated',
      entityType: 'organisation',
      entityId: client?.organisationId ?? old.clientCode,
      fromState: 'ACTIVE',
      toState: 'ACTIVE',
      auditData: { keyId: old.id, replacedBy: key.id, oldExpiresAt: graced.expiresAt?.toISOString() ?? null },
    });
    return {
      organisationId: client?.organisationId ?? '',
      clientCode: old.clientCode,
      key: toIntegrationKey(key),
      signKey,
      previous: toIntegrationKey(graced),
    };
  });
}

export async function revokeIntegrationKey(
  opts: Omit<Call<z.input<typeof ZRevokeIntegrationKeyInputSchema>>, 'sealer'>,
) {
  requirePmo(opts.actor);
  const input = ZRevokeIntegrationKeyInputSchema.parse(opts.input);
  const now = opts.now ?? new Date();
  return opts.db.transaction(async (tx) => {
    const old = await findIntegrationKey(tx, input.keyId, { forUpdate: true });
    if (!old) throw new AppError('INTEGRATION_KEY_NOT_FOUND', { field: 'keyId' });
    if (old.status !== 'ACTIVE')
      throw new AppError('INVALID_STATE', {
        message: `Sign key ${old.id} is already revoked.`,
        field: 'keyId',
      });
    const row = await updateIntegrationKey(tx, old.id, { status: 'REVOKED', revokedAt: now });
    const client = await integrationCaller(tx, old.clientCode, now);
    await recordChange(tx, {
      actor: actorRef(opts.actor, opts.requestId),
      action: 'integration_key.revoked',
      entityType: 'organisation',
      entityId: client?.organisationId ?? old.clientCode,
      fromState: 'ACTIVE',
      toState: 'REVOKED',
      auditData: { keyId: old.id, reason: input.reason },
    });
    return toIntegrationKey(row);
  });
}

/**
 * Who signed a protocol request: its client_code's provider, when the timestamp is fresh (real
 * time, never a sandbox's test clock) and the signature matches a live key. A suspended provider
 * is refused by the operations themselves, exactly as on the main API (reads stay open, redeeming
 * does not).
 */
export async function authenticateProtocolCall(opts: {
  db: Db;
  sealer: Sealer;
  headers: { clientCode: string | undefined; timestamp: string | undefined; signature: string | undefined };
  path: string;
  rawBody: string;
  realNow: Date;
}): Promise<Actor> {
  const { clientCode, timestamp, signature } = opts.headers;
  if (!clientCode || !timestamp || !signature) throw new AppError('INTEGRATION_HEADERS_MISSING');
  if (!timestampFresh(timestamp.trim(), opts.realNow.getTime()))
    throw new AppError('INTEGRATION_TIMESTAMP_OUT_OF_RANGE');
  const caller = await integrationCaller(opts.db, clientCode.trim(), opts.realNow);
  if (!caller || caller.keys.length === 0) throw new AppError('INTEGRATION_CLIENT_UNKNOWN');
  const keys = caller.keys.map((k) => String(opts.sealer.open(k.sealedKey)));
  const which = signatureMatches(signature, keys, {
    clientCode: clientCode.trim(),
    timestamp: timestamp.trim(),
    path: opts.path,
    rawBody: opts.rawBody,
  });
  const key = caller.keys[which];
  if (!key) throw new AppError('INTEGRATION_SIGNATURE_INVALID');
  return {
    organisationId: caller.organisationId,
    role: 'provider',
    clientId: key.id,
    scopes: [...DEFAULT_SCOPES.provider],
  };
}
