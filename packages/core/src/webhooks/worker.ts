import { WEBHOOK_RETRY_DAYS } from '@latih/contracts';
import {
  activeWebhookSecrets,
  claimDueDeliveries,
  claimUnpublishedEvents,
  type Db,
  deliveriesWithEvents,
  enabledEndpointsOf,
  insertWebhookAttempt,
  insertWebhookDeliveries,
  markEventsPublished,
  updateWebhookDelivery,
  updateWebhookEndpoint,
} from '@latih/db';
// The signer alone: the package's index also holds the msw mock, which the SDK's types must not reach.
import { signatureHeader } from '@latih/payments/signature';
import { recordChange } from '../changes';
import { newId } from '../ids';
import type { Sealer } from '../sealing';
import { type WebhookLookup, WebhookTargetRefused } from './address';
import { toEvent } from './endpoints';
import { pinnedTransport, type WebhookTransport } from './transport';

const DAY_MS = 86_400_000;
const FIRST_RETRY_MS = 30_000;
const MAX_RETRY_MS = 6 * 3_600_000;

/**
 * When to try again after `attempts` failures: exponential from 30 s, capped at 6 h, with full
 * jitter over the upper half so that endpoints coming back are not hit by every retry at once.
 */
export function retryDelayMs(attempts: number, random: () => number = Math.random): number {
  const base = Math.min(FIRST_RETRY_MS * 2 ** Math.max(0, attempts - 1), MAX_RETRY_MS);
  return Math.round(base / 2 + random() * (base / 2));
}

/**
 * Turns unpublished outbox events into deliveries: one per enabled endpoint of the event's
 * organisation that subscribes to its type. Claims events with
 * SKIP LOCKED, so several workers can run. Returns how many events it handled.
 */
export async function fanOutEvents(opts: { db: Db; now: Date; limit?: number }): Promise<number> {
  return opts.db.transaction(async (tx) => {
    const claimed = await claimUnpublishedEvents(tx, opts.limit ?? 500);
    if (claimed.length === 0) return 0;
    const orgs = [...new Set(claimed.map((e) => e.organisationId).filter((o): o is string => o !== null))];
    const endpoints = await enabledEndpointsOf(tx, orgs);
    const rows = claimed.flatMap((e) =>
      endpoints
        .filter(
          (ep) =>
            ep.organisationId === e.organisationId &&
            (ep.eventTypes.includes('*') || ep.eventTypes.includes(e.type)),
        )
        .map((ep) => ({
          id: newId('webhookDelivery', opts.now.getTime()),
          endpointId: ep.id,
          eventId: e.id,
          eventType: e.type,
          status: 'PENDING' as const,
          attempts: 0,
          nextAttemptAt: opts.now,
          createdAt: opts.now,
        })),
    );
    await insertWebhookDeliveries(tx, rows);
    await markEventsPublished(
      tx,
      claimed.map((e) => e.id),
      opts.now,
    );
    return claimed.length;
  });
}

export type DeliverOptions = {
  db: Db;
  /** The program's time: when deliveries fall due, back off and are given up. */
  now: Date;
  /**
   * The real time the signature's `t=` carries (default `now`). Receivers check it against their own
   * clock (5-minute tolerance), so under a sandbox test clock it must be the real time.
   */
  signedAt?: Date;
  sealer: Sealer;
  /**
   * Development only (WEBHOOKS_ALLOW_PRIVATE=true): deliveries may go to loopback, private and
   * unique-local addresses. Off by default: every address connected to must be public.
   */
  allowPrivate?: boolean;
  /** How endpoint host names are resolved before the address check (tests inject their own). */
  lookup?: WebhookLookup;
  /** How deliveries are sent; by default node:http(s) pinned to checked addresses (transport.ts). */
  transport?: WebhookTransport;
  /**
   * Tests that play the partner with a function: POSTs through this fetch instead of the transport,
   * so no address is resolved, checked or connected to. Never set outside tests.
   */
  fetch?: typeof fetch;
  limit?: number;
  timeoutMs?: number;
  /** How long a claimed delivery is held while it is being sent. */
  leaseMs?: number;
  random?: () => number;
  log?: { warn: (obj: object, msg: string) => void };
};

type Outcome = { ok: boolean; statusCode: number | null; error: string | null; durationMs: number };

/** Posts through a fetch function (tests' seam, see DeliverOptions.fetch). */
function fetchTransport(f: typeof fetch): WebhookTransport {
  return async (req) => {
    const res = await f(req.url, {
      method: 'POST',
      headers: req.headers,
      body: req.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(req.timeoutMs),
    });
    // Read the body so the connection is released; its content is not kept.
    await res.arrayBuffer().catch(() => undefined);
    return { status: res.status };
  };
}

async function post(
  send: WebhookTransport,
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<Outcome> {
  const started = performance.now();
  const durationMs = () => Math.round(performance.now() - started);
  try {
    const res = await send({ url, headers, body, timeoutMs });
    const ok = res.status >= 200 && res.status < 300;
    return { ok, statusCode: res.status, error: ok ? null : `HTTP ${res.status}`, durationMs: durationMs() };
  } catch (err) {
    const name = err instanceof Error ? err.name : '';
    const error =
      err instanceof WebhookTargetRefused
        ? `Refused: ${err.message}`
        : name === 'TimeoutError' || name === 'AbortError'
          ? `No answer within ${timeoutMs} ms`
          : `Could not connect: ${err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err)}`;
    return { ok: false, statusCode: null, error, durationMs: durationMs() };
  }
}

/**
 * Sends due deliveries (claimed with SKIP LOCKED and a lease, so several workers share them and a
 * crashed one's work is taken over), each signed with every active secret of its endpoint. A 2xx
 * is success; anything else is retried with backoff until the delivery is 3 days old, when it is
 * given up. An endpoint whose deliveries have all failed for 3 days is disabled and its owner told
 * with a `webhook_endpoint.disabled` event. Returns how many deliveries it attempted.
 */
export async function deliverDue(opts: DeliverOptions): Promise<number> {
  const send = opts.fetch
    ? fetchTransport(opts.fetch)
    : (opts.transport ??
      pinnedTransport({
        allowPrivate: opts.allowPrivate === true,
        ...(opts.lookup ? { lookup: opts.lookup } : {}),
      }));
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const ids = await claimDueDeliveries(
    opts.db,
    opts.now,
    opts.limit ?? 50,
    opts.leaseMs ?? timeoutMs + 30_000,
  );
  if (ids.length === 0) return 0;
  const claimed = await deliveriesWithEvents(opts.db, ids);
  const secrets = await activeWebhookSecrets(
    opts.db,
    [...new Set(claimed.map((c) => c.endpoint.id))],
    opts.now,
  );
  await Promise.all(
    claimed.map(async ({ delivery, event, endpoint }) => {
      const mine = secrets
        .filter((s) => s.endpointId === endpoint.id)
        .map((s) => String(opts.sealer.open(s.sealed)));
      const body = JSON.stringify(toEvent(event));
      const outcome =
        endpoint.status === 'ENABLED'
          ? await post(
              send,
              endpoint.url,
              body,
              {
                'content-type': 'application/json',
                'user-agent': 'Latih-Webhooks/1',
                'latih-signature': signatureHeader(
                  body,
                  mine,
                  Math.floor((opts.signedAt ?? opts.now).getTime() / 1000),
                ),
                'latih-event-id': event.id,
                'latih-event-type': event.type,
                'latih-delivery-id': delivery.id,
              },
              timeoutMs,
            )
          : { ok: false, statusCode: null, error: 'The endpoint is disabled.', durationMs: 0 };
      await record(opts, delivery, endpoint, outcome);
    }),
  );
  return claimed.length;
}

type Claimed = Awaited<ReturnType<typeof deliveriesWithEvents>>[number];

async function record(
  opts: DeliverOptions,
  delivery: Claimed['delivery'],
  endpoint: Claimed['endpoint'],
  o: Outcome,
) {
  const now = opts.now;
  await opts.db.transaction(async (tx) => {
    await insertWebhookAttempt(tx, {
      deliveryId: delivery.id,
      attemptedAt: now,
      statusCode: o.statusCode,
      error: o.error,
      durationMs: o.durationMs,
    });
    const attempts = delivery.attempts + 1;
    if (o.ok) {
      await updateWebhookDelivery(tx, delivery.id, {
        status: 'SUCCEEDED',
        attempts,
        lastAttemptAt: now,
        lastStatusCode: o.statusCode,
        lastError: null,
        deliveredAt: now,
        nextAttemptAt: null,
        lockedUntil: null,
      });
      if (endpoint.failingSince) await updateWebhookEndpoint(tx, endpoint.id, { failingSince: null });
      return;
    }
    const giveUp = now.getTime() - delivery.createdAt.getTime() >= WEBHOOK_RETRY_DAYS * DAY_MS;
    await updateWebhookDelivery(tx, delivery.id, {
      status: giveUp || endpoint.status !== 'ENABLED' ? 'FAILED' : 'PENDING',
      attempts,
      lastAttemptAt: now,
      lastStatusCode: o.statusCode,
      lastError: o.error,
      nextAttemptAt: new Date(now.getTime() + retryDelayMs(attempts, opts.random)),
      lockedUntil: null,
    });
    if (endpoint.status !== 'ENABLED') return;
    const failingSince = endpoint.failingSince ?? now;
    if (now.getTime() - failingSince.getTime() >= WEBHOOK_RETRY_DAYS * DAY_MS) {
      const reason = `Every delivery has failed since ${failingSince.toISOString()} (last: ${o.error}).`;
      await updateWebhookEndpoint(tx, endpoint.id, {
        status: 'DISABLED',
        disabledReason: reason,
        failingSince,
        updatedAt: now,
      });
      await recordChange(tx, {
        actor: { organisationId: null, clientId: null, requestId: null },
        action: 'webhook_endpoint.disabled',
        entityType: 'webhook_endpoint',
        entityId: endpoint.id,
        fromState: 'ENABLED',
        toState: 'DISABLED',
        auditData: { reason },
        event: {
          type: 'webhook_endpoint.disabled',
          organisationId: endpoint.organisationId,
          data: { endpointId: endpoint.id, url: endpoint.url, reason },
        },
      });
      opts.log?.warn({ endpointId: endpoint.id, url: endpoint.url }, 'webhook endpoint disabled');
    } else if (!endpoint.failingSince) {
      await updateWebhookEndpoint(tx, endpoint.id, { failingSince: now });
    }
  });
}

/** One pass of the worker: fan out what is new, then send what is due. */
export async function runWebhookWorkerOnce(
  opts: DeliverOptions,
): Promise<{ events: number; deliveries: number }> {
  const eventsHandled = await fanOutEvents({ db: opts.db, now: opts.now });
  const deliveries = await deliverDue(opts);
  return { events: eventsHandled, deliveries };
}
