import { createHash, randomBytes } from 'node:crypto';
import { delay, HttpResponse, http, type RequestHandler } from 'msw';
import type { Account, Destination, Payout, PayoutStatus, Transfer } from './client';
import { signatureHeader } from './signature';

/**
 * The payment provider, played with msw request handlers and in-memory state: connected accounts,
 * transfers, payouts that move `pending → in_transit → paid | failed` later (and, as Stripe's can,
 * sometimes `paid → failed`), a balance, Stripe-style idempotency, signed webhooks retried until
 * answered 2xx (as Stripe retries them, for up to 3 days), realistic latency, and faults on demand.
 * Time moves with `tick()` on the mock's `now()`, so tests decide when payouts settle and when a
 * webhook is tried again; `start()` ticks on a timer for a running gateway.
 */
export type PaymentsMockOptions = {
  baseUrl: string;
  apiKey: string;
  /** Added to every answer, in ms: [min, max]. Default [5, 40]. */
  latencyMs?: [number, number];
  /** Share of requests answered 500 (half of them after doing the work: the answer is lost). */
  errorRate?: number;
  /** Share of requests never answered (the client times out; half of them did the work). */
  timeoutRate?: number;
  /** Where to POST signed events (the gateway's payments webhook); none when omitted. */
  webhook?: { url: string; secret: string };
  /** Opening platform balance in rupiah. Default 10 000 000 000. */
  balance?: number;
  random?: () => number;
  now?: () => number;
  /** How long a payout stays pending, then in transit. Default 1 000 and 2 000 ms. */
  settleMs?: { pending: number; inTransit: number };
  /** When an undelivered webhook is tried again. Defaults: Stripe's order of magnitude, see below. */
  webhookRetry?: Partial<WebhookRetry>;
  /**
   * The clock webhook signatures are dated by. Default `now`; a gateway that checks them against
   * its real clock while its program time is moved (a sandbox test clock) needs `Date.now`.
   */
  signatureNow?: () => number;
  /** Told of every webhook attempt (a standalone provider logs them). */
  onAttempt?: (attempt: WebhookAttempt, delivery: WebhookDelivery) => void;
};

/**
 * The schedule of webhook retries. An event not answered 2xx (a network error, no answer within
 * `timeoutMs`, a redirect, any other status) is tried again `firstDelayMs` after the first
 * attempt, then after twice that, and so on up to `maxDelayMs` between attempts; once the next
 * attempt would come later than `giveUpAfterMs` after the event, the provider gives up. Stripe
 * retries for up to 3 days with an exponential backoff; development compresses the schedule.
 */
export type WebhookRetry = {
  firstDelayMs: number;
  maxDelayMs: number;
  giveUpAfterMs: number;
  timeoutMs: number;
};

export const STRIPE_LIKE_WEBHOOK_RETRY: WebhookRetry = {
  firstDelayMs: 60_000,
  maxDelayMs: 6 * 3_600_000,
  giveUpAfterMs: 3 * 86_400_000,
  timeoutMs: 10_000,
};

export type PaymentsEvent = { id: string; type: string; created: number; data: { object: Payout } };

/** One event's way to the webhook URL. */
export type WebhookDelivery = {
  eventId: string;
  type: string;
  payoutId: string;
  /** The mock's time (ms) when the event happened. */
  createdAt: number;
  /** `dropped`: lost by the provider itself (`faults.dropWebhooks`), never sent. */
  state: 'pending' | 'delivered' | 'gave_up' | 'dropped';
  attempts: number;
  /** When it is tried next (pending only). */
  nextAttemptAt: number | null;
};

/** One POST of an event to the webhook URL, as the provider's dashboard lists them. */
export type WebhookAttempt = {
  eventId: string;
  type: string;
  payoutId: string;
  /** 1 for the first try. */
  attempt: number;
  /** The mock's time (ms) when it was sent. */
  at: number;
  url: string;
  /** The answer's status; null when none came (network error, timeout). */
  status: number | null;
  /** Why it failed without an answer: `ECONNREFUSED`, `timeout`, …; null otherwise. */
  error: string | null;
  delivered: boolean;
};

type Stored = { hash: string; status: number; body: unknown };

const id = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;

function destinationKey(d: string | Destination): string {
  if (typeof d === 'string') return d;
  return d.kind === 'bank' ? `bank:${d.bankCode}:${d.accountNumber}` : `ewallet:${d.provider}:${d.phone}`;
}

export function createPaymentsMock(opts: PaymentsMockOptions) {
  const base = opts.baseUrl.replace(/\/$/, '');
  const random = opts.random ?? Math.random;
  const clockOf = opts.now ?? Date.now;
  const signatureNow = opts.signatureNow ?? clockOf;
  /** Moved forward by `advanceClock` (the sandbox's test clock moves the provider's time too). */
  let offsetMs = 0;
  const now = () => clockOf() + offsetMs;
  const settle = opts.settleMs ?? { pending: 1_000, inTransit: 2_000 };
  const retry: WebhookRetry = { ...STRIPE_LIKE_WEBHOOK_RETRY, ...opts.webhookRetry };
  /**
   * Change at any time. `down`: an outage, every request answered 503 before doing anything.
   * `dropWebhooks`: events are recorded but never sent (a provider's own bug): only reading the
   * payouts back finds what they said.
   */
  const faults = {
    errorRate: opts.errorRate ?? 0,
    timeoutRate: opts.timeoutRate ?? 0,
    down: false,
    dropWebhooks: false,
  };
  const state = {
    accounts: new Map<string, Account>(),
    transfers: new Map<string, Transfer>(),
    payouts: new Map<string, Payout & { changedAt: number; failLater: boolean }>(),
    idempotency: new Map<string, Stored>(),
    balance: opts.balance ?? 10_000_000_000,
    /** Every event, in order, whether it was delivered, is still being tried, or was dropped. */
    events: [] as PaymentsEvent[],
    /** Each event's delivery, by event id (in the events' order). */
    deliveries: new Map<string, WebhookDelivery>(),
    /** Every POST to the webhook URL, in the order sent. */
    attempts: [] as WebhookAttempt[],
    /** Requests that reached a handler, by `METHOD path`. */
    requests: [] as string[],
  };
  /** Named scenarios: payouts to these destinations (account ids or `ewallet:dana:08…`) fail. */
  const scenarios = { failPayoutsTo: new Set<string>(), paidThenFailed: new Set<string>() };

  const error = (status: number, code: string, message: string) =>
    HttpResponse.json({ error: { code, message } }, { status });

  const requirementsOf = (d: Destination | null | undefined) => (d ? [] : ['external_account']);

  const eventsById = new Map<string, PaymentsEvent>();
  /** Records an event and, when a webhook URL is configured, queues its delivery (first try: now). */
  function emit(type: string, payout: Payout) {
    const at = now();
    const event: PaymentsEvent = {
      id: id('evt'),
      type,
      created: Math.floor(at / 1000),
      data: { object: payout },
    };
    state.events.push(event);
    if (!opts.webhook) return;
    eventsById.set(event.id, event);
    state.deliveries.set(event.id, {
      eventId: event.id,
      type,
      payoutId: payout.id,
      createdAt: at,
      state: faults.dropWebhooks ? 'dropped' : 'pending',
      attempts: 0,
      nextAttemptAt: faults.dropWebhooks ? null : at,
    });
  }

  /** Deliveries being sent right now: overlapping ticks (a slow receiver) must not send one twice. */
  const sending = new Set<string>();

  /**
   * One attempt: signed afresh at the time of sending (as Stripe does, so a retry days later is
   * not refused as a replay), redirects not followed, anything but 2xx a failure.
   */
  async function attempt(d: WebhookDelivery, event: PaymentsEvent) {
    const at = now();
    const url = opts.webhook?.url ?? '';
    const body = JSON.stringify(event);
    let status: number | null = null;
    let failure: string | null = null;
    if (!url) failure = 'no webhook URL';
    else
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            // Dated by the signing clock, never moved by advanceClock (Stripe's test clocks do not
            // move its signatures either): the receiver checks the timestamp against its own clock.
            'payments-signature': signatureHeader(
              body,
              [opts.webhook?.secret ?? ''],
              Math.floor(signatureNow() / 1000),
            ),
          },
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(retry.timeoutMs),
        });
        status = res.status;
        await res.arrayBuffer().catch(() => undefined);
      } catch (err) {
        failure = describeFailure(err);
      }
    const delivered = status !== null && status >= 200 && status < 300;
    d.attempts++;
    const record: WebhookAttempt = {
      eventId: d.eventId,
      type: d.type,
      payoutId: d.payoutId,
      attempt: d.attempts,
      at,
      url,
      status,
      error: failure,
      delivered,
    };
    state.attempts.push(record);
    if (delivered) {
      d.state = 'delivered';
      d.nextAttemptAt = null;
    } else {
      const next = at + Math.min(retry.firstDelayMs * 2 ** (d.attempts - 1), retry.maxDelayMs);
      if (next > d.createdAt + retry.giveUpAfterMs) {
        d.state = 'gave_up';
        d.nextAttemptAt = null;
      } else d.nextAttemptAt = next;
    }
    opts.onAttempt?.(record, d);
  }

  /** Sends every delivery that is due, oldest event first. */
  async function deliverDue() {
    const t = now();
    const due = [...state.deliveries.values()].filter(
      (d) =>
        d.state === 'pending' && d.nextAttemptAt !== null && d.nextAttemptAt <= t && !sending.has(d.eventId),
    );
    // Claimed all at once: a tick that starts while this one is still sending the first must not
    // send the later ones too (it would, if each were claimed only when its turn came).
    for (const d of due) sending.add(d.eventId);
    try {
      for (const d of due) {
        const event = eventsById.get(d.eventId);
        try {
          if (event) await attempt(d, event);
        } finally {
          sending.delete(d.eventId);
        }
      }
    } finally {
      for (const d of due) sending.delete(d.eventId);
    }
    return due.length;
  }

  /**
   * Runs one POST with Stripe's idempotency: the same key and body replays the stored answer, the
   * same key with another body is refused. Faults may strike before the work or after it.
   */
  async function idempotent(
    request: Request,
    run: (body: Record<string, unknown>) => { status: number; body: unknown },
  ) {
    const key = request.headers.get('idempotency-key');
    if (!key) return error(400, 'idempotency_key_missing', 'Send an Idempotency-Key with every POST.');
    const text = await request.text();
    const hash = createHash('sha256')
      .update(`${new URL(request.url).pathname}\n${text}`)
      .digest('hex');
    const stored = state.idempotency.get(key);
    if (stored) {
      if (stored.hash !== hash)
        return error(400, 'idempotency_error', 'This key was used with another request.');
      return HttpResponse.json(stored.body as Record<string, unknown>, { status: stored.status });
    }
    const fault = random();
    const faultBefore = random() < 0.5;
    if (fault < faults.errorRate && faultBefore) return error(500, 'api_error', 'Injected fault.');
    if (fault >= faults.errorRate && fault < faults.errorRate + faults.timeoutRate && faultBefore)
      await delay('infinite');
    let body: Record<string, unknown>;
    try {
      body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      return error(400, 'invalid_request', 'The body is not JSON.');
    }
    const result = run(body);
    state.idempotency.set(key, { hash, status: result.status, body: result.body });
    if (fault < faults.errorRate) return error(500, 'api_error', 'Injected fault (after the work).');
    if (fault < faults.errorRate + faults.timeoutRate) await delay('infinite');
    return HttpResponse.json(result.body as Record<string, unknown>, { status: result.status });
  }

  const authorised = (request: Request) => request.headers.get('authorization') === `Bearer ${opts.apiKey}`;

  const handlers: RequestHandler[] = [
    http.all(`${base}/v1/*`, async ({ request }) => {
      state.requests.push(`${request.method} ${new URL(request.url).pathname}`);
      const [min, max] = opts.latencyMs ?? [5, 40];
      await delay(Math.round(min + random() * (max - min)));
      if (!authorised(request)) return error(401, 'authentication_required', 'Invalid API key.');
      if (faults.down) return error(503, 'service_unavailable', 'Injected outage.');
      return undefined; // fall through to the route's handler
    }),
    http.post(`${base}/v1/accounts`, ({ request }) =>
      idempotent(request, (b) => {
        const destination = (b.destination as Destination | undefined) ?? null;
        const account: Account = {
          id: id('acct'),
          object: 'account',
          status: destination ? 'enabled' : 'pending',
          requirements: requirementsOf(destination),
          destination,
          metadata: (b.metadata as Record<string, string>) ?? {},
        };
        state.accounts.set(account.id, account);
        return { status: 200, body: account };
      }),
    ),
    http.get(`${base}/v1/accounts/:id`, ({ params }) => {
      const account = state.accounts.get(String(params.id));
      return account ? HttpResponse.json(account) : error(404, 'resource_missing', 'No such account.');
    }),
    http.post(`${base}/v1/accounts/:id`, ({ request, params }) =>
      idempotent(request, (b) => {
        const account = state.accounts.get(String(params.id));
        if (!account)
          return { status: 404, body: { error: { code: 'resource_missing', message: 'No such account.' } } };
        account.destination = (b.destination as Destination | undefined) ?? account.destination;
        account.requirements = requirementsOf(account.destination);
        account.status = account.destination ? 'enabled' : 'pending';
        return { status: 200, body: account };
      }),
    ),
    http.post(`${base}/v1/transfers`, ({ request }) =>
      idempotent(request, (b) => {
        const amount = Number(b.amount);
        const account = state.accounts.get(String(b.destination));
        if (!Number.isSafeInteger(amount) || amount <= 0)
          return {
            status: 400,
            body: { error: { code: 'invalid_amount', message: 'Amount must be a positive integer.' } },
          };
        if (!account)
          return { status: 404, body: { error: { code: 'resource_missing', message: 'No such account.' } } };
        if (amount > state.balance)
          return {
            status: 402,
            body: { error: { code: 'balance_insufficient', message: 'Not enough balance.' } },
          };
        state.balance -= amount;
        const transfer: Transfer = {
          id: id('tr'),
          object: 'transfer',
          amount,
          currency: 'idr',
          destination: account.id,
          created: Math.floor(now() / 1000),
          metadata: (b.metadata as Record<string, string>) ?? {},
        };
        state.transfers.set(transfer.id, transfer);
        return { status: 200, body: transfer };
      }),
    ),
    http.post(`${base}/v1/payouts`, ({ request }) =>
      idempotent(request, (b) => {
        const amount = Number(b.amount);
        const destination = b.destination as string | Destination;
        if (!Number.isSafeInteger(amount) || amount <= 0)
          return {
            status: 400,
            body: { error: { code: 'invalid_amount', message: 'Amount must be a positive integer.' } },
          };
        if (typeof destination === 'string') {
          const account = state.accounts.get(destination);
          if (!account)
            return {
              status: 404,
              body: { error: { code: 'resource_missing', message: 'No such account.' } },
            };
          if (account.status !== 'enabled')
            return {
              status: 400,
              body: {
                error: {
                  code: 'account_not_ready',
                  message: `Still required: ${account.requirements.join(', ')}.`,
                },
              },
            };
        }
        const payout: Payout & { changedAt: number; failLater: boolean } = {
          id: id('po'),
          object: 'payout',
          amount,
          currency: 'idr',
          destination,
          status: 'pending',
          failureCode: null,
          failureMessage: null,
          created: Math.floor(now() / 1000),
          arrivalDate: null,
          metadata: (b.metadata as Record<string, string>) ?? {},
          changedAt: now(),
          failLater: scenarios.paidThenFailed.has(destinationKey(destination)),
        };
        state.payouts.set(payout.id, payout);
        return { status: 200, body: publicPayout(payout) };
      }),
    ),
    http.get(`${base}/v1/payouts/:id`, ({ params }) => {
      const payout = state.payouts.get(String(params.id));
      return payout
        ? HttpResponse.json(publicPayout(payout))
        : error(404, 'resource_missing', 'No such payout.');
    }),
    http.post(`${base}/v1/payouts/:id/cancel`, ({ request, params }) =>
      idempotent(request, () => {
        const payout = state.payouts.get(String(params.id));
        if (!payout)
          return { status: 404, body: { error: { code: 'resource_missing', message: 'No such payout.' } } };
        if (payout.status !== 'pending')
          return {
            status: 400,
            body: { error: { code: 'payout_not_cancelable', message: `The payout is ${payout.status}.` } },
          };
        move(payout, 'canceled');
        return { status: 200, body: publicPayout(payout) };
      }),
    ),
    http.get(`${base}/v1/balance`, () =>
      HttpResponse.json({ object: 'balance', available: [{ amount: state.balance, currency: 'idr' }] }),
    ),
  ];

  function publicPayout(p: Payout & { changedAt?: number; failLater?: boolean }): Payout {
    const { changedAt: _c, failLater: _f, ...rest } = p;
    return { ...rest };
  }

  function move(p: Payout & { changedAt: number }, to: PayoutStatus, failure?: [string, string]) {
    p.status = to;
    p.changedAt = now();
    if (failure) [p.failureCode, p.failureMessage] = failure;
    if (to === 'paid') p.arrivalDate = Math.floor(now() / 1000);
    emit(`payout.${to === 'in_transit' ? 'updated' : to}`, publicPayout(p));
  }

  /**
   * Moves payouts along by the clock, then sends the webhooks that are due: new events, and
   * earlier ones whose retry time has come. Returns how many events this tick made.
   */
  async function tick(): Promise<number> {
    const before = state.events.length;
    const t = now();
    for (const p of state.payouts.values()) {
      const age = t - p.changedAt;
      if (p.status === 'pending' && age >= settle.pending) move(p, 'in_transit');
      else if (p.status === 'in_transit' && age >= settle.inTransit) {
        if (scenarios.failPayoutsTo.has(destinationKey(p.destination)))
          move(p, 'failed', ['account_closed', 'The destination account is closed.']);
        else move(p, 'paid');
      } else if (p.status === 'paid' && p.failLater && age >= settle.inTransit) {
        p.failLater = false;
        move(p, 'failed', ['could_not_process', 'The bank returned the payout after it was paid.']);
      }
    }
    const made = state.events.length - before;
    await deliverDue();
    return made;
  }

  let timer: NodeJS.Timeout | undefined;
  return {
    handlers,
    state,
    scenarios,
    faults,
    /** The schedule in force (read only). */
    webhookRetry: retry as Readonly<WebhookRetry>,
    tick,
    now,
    /** Moves the provider's clock forward (a test clock): payouts settle, retries come due. */
    advanceClock(ms: number) {
      if (!Number.isFinite(ms) || ms < 0) throw new RangeError('the clock only moves forward');
      offsetMs += ms;
      return now();
    },
    /** Ticks every `ms` (for a running gateway); returns a stop function. */
    start(ms = 500, onError?: (err: unknown) => void) {
      timer = setInterval(() => {
        tick().catch((err: unknown) => onError?.(err));
      }, ms);
      timer.unref();
      return () => clearInterval(timer);
    },
  };
}

/** A short reason for a POST that got no answer: the socket's error code, or `timeout`. */
function describeFailure(err: unknown): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return 'timeout';
  const cause =
    err instanceof Error ? (err.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string' && cause.message) return cause.message;
  return err instanceof Error ? err.message : String(err);
}

export type PaymentsMock = ReturnType<typeof createPaymentsMock>;
