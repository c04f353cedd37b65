import {
  AppError,
  CHECKLIST_ITEMS,
  DEFAULT_SCOPES,
  type TChecklistItem,
  type TListAuditInput,
  type TOrganisationDetail,
  type TRole,
  type ZApiClientSchema,
  type ZCreateOrganisationInputSchema,
} from '@latih/contracts';
import {
  type ApiClientRow,
  clientsOf,
  type Db,
  deleteRedirectUri,
  findClientRow,
  findOrganisationRow,
  findWebhookEndpoint,
  insertClientRow,
  insertOrganisationRow,
  listAudit,
  listWebhookEndpoints,
  type OrganisationRow,
  redirectUrisOf,
  toOrganisation,
  touchProviderCourses,
  updateClientRow,
  updateOrganisationRow,
  updateWebhookEndpoint,
} from '@latih/db';
import type { z } from 'zod';
import { type Actor, actorRef, requirePmo } from '../auth/actor';
import { generateClientSecret, hashSecret } from '../auth/secrets';
import { recordChange } from '../changes';
import { newId } from '../ids';

type Call<I> = { db: Db; actor: Actor; requestId: string | null; input: I; now?: Date };

const ROLE_OF: Record<'PMO' | 'PROVIDER' | 'PLATFORM', TRole> = {
  PMO: 'pmo',
  PROVIDER: 'provider',
  PLATFORM: 'platform',
};

async function organisationFor(db: Db, id: string, forUpdate = false): Promise<OrganisationRow> {
  const row = await findOrganisationRow(db, id, { forUpdate });
  if (!row) throw new AppError('ORGANISATION_NOT_FOUND', { field: 'id' });
  return row;
}

function expectStatus(row: OrganisationRow, ...allowed: OrganisationRow['status'][]): void {
  if (!allowed.includes(row.status)) {
    throw new AppError('INVALID_STATE', {
      message: `Organisation ${row.id} is ${row.status}; expected ${allowed.join(' or ')}.`,
    });
  }
}

function checklistItemsOf(kind: OrganisationRow['kind']): readonly TChecklistItem[] {
  return kind === 'PMO' ? [] : CHECKLIST_ITEMS[kind];
}

function toClient(r: ApiClientRow): z.infer<typeof ZApiClientSchema> {
  return {
    id: r.id,
    label: r.label,
    secretLast4: r.secretLast4,
    scopes: r.scopes,
    status: r.status,
    createdAt: r.createdAt.toISOString(),
    expiresAt: r.expiresAt?.toISOString() ?? null,
    revokedAt: r.revokedAt?.toISOString() ?? null,
  };
}

/** Why a URL a partner registered deserves a second look. */
export function urlConcerns(
  url: string,
  website: string | undefined,
): Array<'NOT_HTTPS' | 'IP_ADDRESS_HOST' | 'OUTSIDE_WEBSITE_DOMAIN'> {
  const concerns: Array<'NOT_HTTPS' | 'IP_ADDRESS_HOST' | 'OUTSIDE_WEBSITE_DOMAIN'> = [];
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return ['NOT_HTTPS'];
  }
  if (parsed.protocol !== 'https:') concerns.push('NOT_HTTPS');
  const host = parsed.hostname;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(host) || host.startsWith('[')) concerns.push('IP_ADDRESS_HOST');
  if (website) {
    const site = new URL(website).hostname.replace(/^www\./, '');
    if (host !== site && !host.endsWith(`.${site}`)) concerns.push('OUTSIDE_WEBSITE_DOMAIN');
  }
  return concerns;
}

export async function organisationDetail(db: Db, id: string): Promise<TOrganisationDetail> {
  const row = await organisationFor(db, id);
  const website = row.application?.website;
  const [clients, uris, endpoints] = await Promise.all([
    clientsOf(db, id),
    redirectUrisOf(db, id),
    listWebhookEndpoints(db, id),
  ]);
  return {
    ...toOrganisation(row),
    application: row.application,
    checklist: checklistItemsOf(row.kind).map((item) => {
      const mark = row.checklist[item];
      return {
        item,
        checked: mark?.checked ?? false,
        note: mark?.note ?? null,
        by: mark?.by ?? null,
        at: mark?.at ?? null,
      };
    }),
    statusReason: row.statusReason,
    clients: clients.map(toClient),
    redirectUris: uris.map((u) => ({
      uri: u.uri,
      createdAt: u.createdAt.toISOString(),
      concerns: urlConcerns(u.uri, website),
    })),
    webhookEndpoints: endpoints.map((e) => ({
      id: e.id,
      url: e.url,
      status: e.status,
      eventTypes: e.eventTypes,
      concerns: urlConcerns(e.url, website),
    })),
  };
}

export async function getOrganisationDetail(opts: Call<{ id: string }>) {
  requirePmo(opts.actor);
  return organisationDetail(opts.db, opts.input.id);
}

/** A provider's or platform's application, as the PMO registers it: APPLIED, checklist empty. */
export async function createApplication(opts: Call<z.infer<typeof ZCreateOrganisationInputSchema>>) {
  requirePmo(opts.actor);
  const now = opts.now ?? new Date();
  const id = await opts.db.transaction(async (tx) => {
    const row = await insertOrganisationRow(tx, {
      id: newId('organisation'),
      kind: opts.input.kind,
      name: opts.input.name,
      status: 'APPLIED',
      application: opts.input.application,
      checklist: {},
      createdAt: now,
      updatedAt: now,
    });
    await recordChange(tx, {
      actor: actorRef(opts.actor, opts.requestId),
      action: 'organisation.applied',
      entityType: 'organisation',
      entityId: row.id,
      fromState: null,
      toState: 'APPLIED',
      auditData: { kind: row.kind, name: row.name },
    });
    return row.id;
  });
  return organisationDetail(opts.db, id);
}

export async function setChecklistItem(
  opts: Call<{ id: string; item: TChecklistItem; checked: boolean; note?: string | undefined }>,
) {
  requirePmo(opts.actor);
  const now = opts.now ?? new Date();
  await opts.db.transaction(async (tx) => {
    const row = await organisationFor(tx, opts.input.id, true);
    expectStatus(row, 'APPLIED');
    if (!checklistItemsOf(row.kind).includes(opts.input.item)) {
      throw new AppError('VALIDATION_FAILED', {
        field: 'item',
        message: `${opts.input.item} is not on a ${row.kind.toLowerCase()}'s checklist: ${checklistItemsOf(row.kind).join(', ')}.`,
      });
    }
    const mark = {
      checked: opts.input.checked,
      note: opts.input.note ?? null,
      // Who vouches for the item: the staff member (stf_…) or the PMO's API client (cli_…).
      by: opts.actor.clientId,
      at: now.toISOString(),
    };
    await updateOrganisationRow(tx, row.id, {
      checklist: { ...row.checklist, [opts.input.item]: mark },
      updatedAt: now,
    });
    await recordChange(tx, {
      actor: actorRef(opts.actor, opts.requestId),
      action: 'organisation.checklist_marked',
      entityType: 'organisation',
      entityId: row.id,
      fromState: row.status,
      toState: row.status,
      auditData: { item: opts.input.item, ...mark },
    });
  });
  return organisationDetail(opts.db, opts.input.id);
}

/** APPLIED → ACTIVE, only with every checklist item checked. */
export async function approveOrganisation(opts: Call<{ id: string; reason: string }>) {
  requirePmo(opts.actor);
  const now = opts.now ?? new Date();
  await opts.db.transaction(async (tx) => {
    const row = await organisationFor(tx, opts.input.id, true);
    expectStatus(row, 'APPLIED');
    const missing = checklistItemsOf(row.kind).filter((i) => row.checklist[i]?.checked !== true);
    if (missing.length > 0) {
      throw new AppError('ONBOARDING_CHECKLIST_INCOMPLETE', {
        message: `Still unchecked: ${missing.join(', ')}.`,
      });
    }
    await updateOrganisationRow(tx, row.id, {
      status: 'ACTIVE',
      statusReason: { reasons: [opts.input.reason], at: now.toISOString() },
      updatedAt: now,
    });
    await recordChange(tx, {
      actor: actorRef(opts.actor, opts.requestId),
      action: 'organisation.activated',
      entityType: 'organisation',
      entityId: row.id,
      fromState: 'APPLIED',
      toState: 'ACTIVE',
      auditData: { reason: opts.input.reason },
    });
  });
  return organisationDetail(opts.db, opts.input.id);
}

export async function rejectOrganisation(opts: Call<{ id: string; reasons: string[] }>) {
  requirePmo(opts.actor);
  const now = opts.now ?? new Date();
  await opts.db.transaction(async (tx) => {
    const row = await organisationFor(tx, opts.input.id, true);
    expectStatus(row, 'APPLIED');
    await updateOrganisationRow(tx, row.id, {
      status: 'REJECTED',
      statusReason: { reasons: opts.input.reasons, at: now.toISOString() },
      updatedAt: now,
    });
    // Credentials issued for integration testing stop working with the application.
    for (const c of await clientsOf(tx, row.id)) {
      if (c.status === 'ACTIVE') await updateClientRow(tx, c.id, { status: 'REVOKED', revokedAt: now });
    }
    await recordChange(tx, {
      actor: actorRef(opts.actor, opts.requestId),
      action: 'organisation.rejected',
      entityType: 'organisation',
      entityId: row.id,
      fromState: 'APPLIED',
      toState: 'REJECTED',
      auditData: { reasons: opts.input.reasons },
    });
  });
  return organisationDetail(opts.db, opts.input.id);
}

/**
 * ACTIVE ↔ SUSPENDED inside the caller's transaction, with a reason, and its effects with it: a
 * provider's courses leave (or return to) the catalog feed. Redemptions, sales and settlement
 * payouts check the status where they happen. Answers how many courses the feed re-announced.
 */
export async function changeOrganisationSuspension(
  tx: Db,
  opts: { actor: Actor; requestId: string | null; id: string; reason: string; suspended: boolean; now: Date },
): Promise<number> {
  // FOR UPDATE first, before the courses are selected: it waits for every course write holding the
  // provider's row FOR SHARE (approval, a course's suspension, withdrawal), so the selection below,
  // on a fresh snapshot under READ COMMITTED, sees the ones that committed first; those that lock
  // after us commit after us, and their own change rows are read after both (see
  // lockProviderForCatalog). Before course writes took that lock, a course approved mid-suspension
  // was missed here and never re-announced.
  const row = await organisationFor(tx, opts.id, true);
  if (row.kind === 'PMO')
    throw new AppError('INVALID_STATE', { message: 'The program office cannot be suspended.' });
  const [from, to] = opts.suspended ? (['ACTIVE', 'SUSPENDED'] as const) : (['SUSPENDED', 'ACTIVE'] as const);
  expectStatus(row, from);
  await updateOrganisationRow(tx, row.id, {
    status: to,
    statusReason: { reasons: [opts.reason], at: opts.now.toISOString() },
    updatedAt: opts.now,
  });
  const coursesTouched = row.kind === 'PROVIDER' ? await touchProviderCourses(tx, row.id) : 0;
  const type = opts.suspended ? 'organisation.suspended' : 'organisation.reinstated';
  await recordChange(tx, {
    actor: actorRef(opts.actor, opts.requestId),
    action: type,
    entityType: 'organisation',
    entityId: row.id,
    fromState: from,
    toState: to,
    auditData: { reason: opts.reason, coursesTouched },
    event: { type, organisationId: row.id, data: { organisationId: row.id, reason: opts.reason } },
  });
  return coursesTouched;
}

export async function setOrganisationSuspended(
  opts: Call<{ id: string; reason: string }> & { suspended: boolean },
): Promise<TOrganisationDetail> {
  requirePmo(opts.actor);
  const now = opts.now ?? new Date();
  await opts.db.transaction((tx) =>
    changeOrganisationSuspension(tx, {
      actor: opts.actor,
      requestId: opts.requestId,
      id: opts.input.id,
      reason: opts.input.reason,
      suspended: opts.suspended,
      now,
    }),
  );
  return organisationDetail(opts.db, opts.input.id);
}

/** A new API client for an organisation; the secret is answered once and stored as a digest. */
/**
 * Who may manage an organisation's API clients: the PMO for any organisation, and a provider's own
 * console admin for its own (never an API client: a leaked secret must not mint new ones).
 */
function requireClientManager(actor: Actor, organisationId: string): void {
  if (actor.role === 'pmo') return;
  if (actor.role === 'provider' && actor.staffRole === 'admin' && actor.organisationId === organisationId)
    return;
  throw new AppError('CONSOLE_SESSION_REQUIRED');
}

/** The client being rotated or revoked, when the caller may manage it (else: not found). */
async function managedClient(tx: Db, actor: Actor, clientId: string) {
  const row = await findClientRow(tx, clientId, { forUpdate: true });
  if (!row || (actor.role !== 'pmo' && row.organisationId !== actor.organisationId))
    throw new AppError('CLIENT_NOT_FOUND', { field: 'clientId' });
  requireClientManager(actor, row.organisationId);
  return row;
}

/** A provider's own API clients (the console's credentials page): never a secret, only its last 4. */
export async function listOwnCredentials(opts: { db: Db; actor: Actor }) {
  requireClientManager(opts.actor, opts.actor.organisationId);
  return { items: (await clientsOf(opts.db, opts.actor.organisationId)).map(toClient) };
}

export async function issueCredentials(opts: Call<{ organisationId: string; label: string }>) {
  requireClientManager(opts.actor, opts.input.organisationId);
  const now = opts.now ?? new Date();
  return opts.db.transaction(async (tx) => {
    const org = await organisationFor(tx, opts.input.organisationId);
    if (org.status === 'REJECTED') {
      throw new AppError('INVALID_STATE', { message: `Organisation ${org.id} is REJECTED.` });
    }
    // A suspended provider keeps the clients it has; it does not mint new ones for itself.
    if (opts.actor.role !== 'pmo' && org.status === 'SUSPENDED') throw new AppError('ORGANISATION_SUSPENDED');
    const secret = generateClientSecret();
    const client = await insertClientRow(tx, {
      id: newId('client'),
      organisationId: org.id,
      secretHash: hashSecret(secret),
      secretLast4: secret.slice(-4),
      scopes: [...DEFAULT_SCOPES[ROLE_OF[org.kind]]],
      status: 'ACTIVE',
      label: opts.input.label,
      createdAt: now,
    });
    await recordChange(tx, {
      actor: actorRef(opts.actor, opts.requestId),
      action: 'client.issued',
      entityType: 'client',
      entityId: client.id,
      fromState: null,
      toState: 'ACTIVE',
      auditData: { organisationId: org.id, label: client.label, secretLast4: client.secretLast4 },
    });
    return { client: toClient(client), clientSecret: secret };
  });
}

/**
 * Rotation without downtime: a new client with the same scopes; the old one keeps working for
 * `graceHours` (0: stops at once), long enough to deploy the new secret.
 */
export async function rotateCredentials(opts: Call<{ clientId: string; graceHours: number }>) {
  if (opts.actor.role !== 'pmo') requireClientManager(opts.actor, opts.actor.organisationId);
  const now = opts.now ?? new Date();
  return opts.db.transaction(async (tx) => {
    const old = await managedClient(tx, opts.actor, opts.input.clientId);
    if (old.status !== 'ACTIVE' || (old.expiresAt && old.expiresAt <= now)) {
      throw new AppError('INVALID_STATE', { message: `Client ${old.id} is no longer active.` });
    }
    const expiresAt = new Date(now.getTime() + opts.input.graceHours * 3_600_000);
    const graced = await updateClientRow(tx, old.id, { expiresAt });
    const secret = generateClientSecret();
    const client = await insertClientRow(tx, {
      id: newId('client'),
      organisationId: old.organisationId,
      secretHash: hashSecret(secret),
      secretLast4: secret.slice(-4),
      scopes: old.scopes,
      status: 'ACTIVE',
      label: old.label,
      createdAt: now,
    });
    await recordChange(tx, {
      actor: actorRef(opts.actor, opts.requestId),
      action: 'client.rotated',
      entityType: 'client',
      entityId: old.id,
      fromState: 'ACTIVE',
      toState: 'ACTIVE',
      auditData: { replacedBy: client.id, oldExpiresAt: expiresAt.toISOString() },
    });
    await recordChange(tx, {
      actor: actorRef(opts.actor, opts.requestId),
      action: 'client.issued',
      entityType: 'client',
      entityId: client.id,
      fromState: null,
      toState: 'ACTIVE',
      auditData: { organisationId: old.organisationId, replaces: old.id, secretLast4: client.secretLast4 },
    });
    return { client: toClient(client), clientSecret: secret, previous: toClient(graced) };
  });
}

export async function revokeCredentials(opts: Call<{ clientId: string; reason: string }>) {
  if (opts.actor.role !== 'pmo') requireClientManager(opts.actor, opts.actor.organisationId);
  const now = opts.now ?? new Date();
  return opts.db.transaction(async (tx) => {
    const old = await managedClient(tx, opts.actor, opts.input.clientId);
    if (old.status !== 'ACTIVE')
      throw new AppError('INVALID_STATE', { message: `Client ${old.id} is already revoked.` });
    const row = await updateClientRow(tx, old.id, { status: 'REVOKED', revokedAt: now });
    await recordChange(tx, {
      actor: actorRef(opts.actor, opts.requestId),
      action: 'client.revoked',
      entityType: 'client',
      entityId: old.id,
      fromState: 'ACTIVE',
      toState: 'REVOKED',
      auditData: { organisationId: old.organisationId, reason: opts.input.reason },
    });
    return toClient(row);
  });
}

/** The PMO removes a redirect URI it does not accept (the provider can register another). */
export async function removeRedirectUriByPmo(opts: Call<{ id: string; uri: string; reason: string }>) {
  requirePmo(opts.actor);
  await opts.db.transaction(async (tx) => {
    await organisationFor(tx, opts.input.id);
    if (!(await deleteRedirectUri(tx, opts.input.id, opts.input.uri)))
      throw new AppError('REDIRECT_URI_NOT_FOUND', { field: 'uri' });
    await recordChange(tx, {
      actor: actorRef(opts.actor, opts.requestId),
      action: 'redirect_uri.removed',
      entityType: 'organisation',
      entityId: opts.input.id,
      fromState: null,
      toState: null,
      auditData: { uri: opts.input.uri, reason: opts.input.reason },
    });
  });
  return organisationDetail(opts.db, opts.input.id);
}

/** The PMO disables a webhook endpoint it does not accept; the partner is told by event. */
export async function disableEndpointByPmo(opts: Call<{ endpointId: string; reason: string }>) {
  requirePmo(opts.actor);
  const now = opts.now ?? new Date();
  const orgId = await opts.db.transaction(async (tx) => {
    const endpoint = await findWebhookEndpoint(tx, opts.input.endpointId, null);
    if (!endpoint) throw new AppError('WEBHOOK_ENDPOINT_NOT_FOUND', { field: 'endpointId' });
    if (endpoint.status !== 'ENABLED')
      throw new AppError('INVALID_STATE', { message: 'The endpoint is already disabled.' });
    await updateWebhookEndpoint(tx, endpoint.id, {
      status: 'DISABLED',
      disabledReason: `Disabled by the program office: ${opts.input.reason}`,
      updatedAt: now,
    });
    await recordChange(tx, {
      actor: actorRef(opts.actor, opts.requestId),
      action: 'webhook_endpoint.disabled',
      entityType: 'webhook_endpoint',
      entityId: endpoint.id,
      fromState: 'ENABLED',
      toState: 'DISABLED',
      auditData: { reason: opts.input.reason, by: 'pmo' },
      event: {
        type: 'webhook_endpoint.disabled',
        organisationId: endpoint.organisationId,
        data: { endpointId: endpoint.id, url: endpoint.url, reason: opts.input.reason },
      },
    });
    return endpoint.organisationId;
  });
  return organisationDetail(opts.db, orgId);
}

/** Selling and redeeming are for ACTIVE organisations only. */
export async function assertOrganisationActive(db: Db, id: string): Promise<void> {
  const row = await findOrganisationRow(db, id);
  if (row?.status === 'SUSPENDED') throw new AppError('ORGANISATION_SUSPENDED');
  if (row?.status !== 'ACTIVE')
    throw new AppError('FORBIDDEN_ROLE', { message: 'Your organisation is not active.' });
}

export async function listAuditEntries(opts: { db: Db; actor: Actor; input: TListAuditInput }) {
  requirePmo(opts.actor);
  return listAudit(opts.db, opts.input);
}
