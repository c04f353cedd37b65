/**
 * Client for the stripe-like payment provider: connected accounts for providers and platforms,
 * transfers, payouts and the balance. JSON over global `fetch` (so msw plays the provider in
 * development and tests), an idempotency key on every POST, a timeout per attempt, and retries with
 * exponential backoff and jitter on 5xx, 429, timeouts and network errors (the same key each time,
 * so a retried POST has one effect). 4xx answers are not retried: they are typed errors.
 */

export type Destination =
  | { kind: 'bank'; bankCode: string; accountNumber: string; holderName: string }
  | { kind: 'ewallet'; provider: 'gopay' | 'ovo' | 'dana' | 'linkaja' | 'shopeepay'; phone: string };

export type Account = {
  id: string;
  object: 'account';
  /** `enabled` accounts receive payouts; `pending` ones still need what `requirements` lists. */
  status: 'pending' | 'enabled' | 'restricted';
  requirements: string[];
  destination: Destination | null;
  metadata: Record<string, string>;
};

export type Transfer = {
  id: string;
  object: 'transfer';
  amount: number;
  currency: 'idr';
  destination: string;
  created: number;
  metadata: Record<string, string>;
};

export type PayoutStatus = 'pending' | 'in_transit' | 'paid' | 'failed' | 'canceled';

export type Payout = {
  id: string;
  object: 'payout';
  amount: number;
  currency: 'idr';
  /** A connected account id, or a direct destination (participants' e-wallets). */
  destination: string | Destination;
  status: PayoutStatus;
  failureCode: string | null;
  failureMessage: string | null;
  created: number;
  arrivalDate: number | null;
  metadata: Record<string, string>;
};

export type Balance = { object: 'balance'; available: { amount: number; currency: 'idr' }[] };

export class PaymentsError extends Error {
  override readonly name: string = 'PaymentsError';
  constructor(
    message: string,
    /** HTTP status, or null when no answer came (network error, timeout). */
    readonly status: number | null,
    /** The provider's error code (`resource_missing`, `idempotency_error`, …) or ours. */
    readonly code: string,
    /** Whether the same request (same idempotency key) may be sent again later. */
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

export type PaymentsClientOptions = {
  baseUrl: string;
  apiKey: string;
  /** Default: the global fetch. */
  fetch?: typeof fetch;
  /** Per attempt. Default 10 s. */
  timeoutMs?: number;
  /** Retries after the first attempt. Default 3. */
  maxRetries?: number;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
};

type Request = { method: 'GET' | 'POST'; path: string; body?: unknown; idempotencyKey?: string };

export function createPaymentsClient(opts: PaymentsClientOptions) {
  const f = opts.fetch ?? ((...args: Parameters<typeof fetch>) => fetch(...args));
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const maxRetries = opts.maxRetries ?? 3;
  const random = opts.random ?? Math.random;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const base = opts.baseUrl.replace(/\/$/, '');

  async function attempt<T>(req: Request): Promise<T> {
    let res: Response;
    try {
      res = await f(`${base}${req.path}`, {
        method: req.method,
        headers: {
          authorization: `Bearer ${opts.apiKey}`,
          accept: 'application/json',
          ...(req.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(req.idempotencyKey ? { 'idempotency-key': req.idempotencyKey } : {}),
        },
        ...(req.body !== undefined ? { body: JSON.stringify(req.body) } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const name = err instanceof Error ? err.name : '';
      if (name === 'TimeoutError' || name === 'AbortError')
        throw new PaymentsError(`No answer within ${timeoutMs} ms`, null, 'timeout', true);
      throw new PaymentsError(
        `Could not reach the payment provider: ${err instanceof Error ? err.message : String(err)}`,
        null,
        'network_error',
        true,
      );
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (res.ok) return json as T;
    const error = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new PaymentsError(
      error?.message ?? `HTTP ${res.status}`,
      res.status,
      error?.code ?? `http_${res.status}`,
      res.status >= 500 || res.status === 429,
    );
  }

  async function request<T>(req: Request): Promise<T> {
    for (let n = 0; ; n++) {
      try {
        return await attempt<T>(req);
      } catch (err) {
        if (!(err instanceof PaymentsError) || !err.retryable || n >= maxRetries) throw err;
        const backoff = Math.min(200 * 2 ** n, 5_000);
        await sleep(backoff / 2 + random() * (backoff / 2));
      }
    }
  }

  const post = <T>(path: string, body: unknown, idempotencyKey: string) => {
    if (!idempotencyKey) throw new Error('every POST to the payment provider needs an idempotency key');
    return request<T>({ method: 'POST', path, body, idempotencyKey });
  };
  const get = <T>(path: string) => request<T>({ method: 'GET', path });

  return {
    accounts: {
      create: (
        input: {
          type: 'provider' | 'platform';
          destination?: Destination;
          metadata?: Record<string, string>;
        },
        idempotencyKey: string,
      ) => post<Account>('/v1/accounts', input, idempotencyKey),
      update: (id: string, input: { destination: Destination }, idempotencyKey: string) =>
        post<Account>(`/v1/accounts/${encodeURIComponent(id)}`, input, idempotencyKey),
      retrieve: (id: string) => get<Account>(`/v1/accounts/${encodeURIComponent(id)}`),
    },
    transfers: {
      create: (
        input: { amount: number; destination: string; metadata?: Record<string, string> },
        idempotencyKey: string,
      ) => post<Transfer>('/v1/transfers', { ...input, currency: 'idr' }, idempotencyKey),
    },
    payouts: {
      create: (
        input: { amount: number; destination: string | Destination; metadata?: Record<string, string> },
        idempotencyKey: string,
      ) => post<Payout>('/v1/payouts', { ...input, currency: 'idr' }, idempotencyKey),
      retrieve: (id: string) => get<Payout>(`/v1/payouts/${encodeURIComponent(id)}`),
      cancel: (id: string, idempotencyKey: string) =>
        post<Payout>(`/v1/payouts/${encodeURIComponent(id)}/cancel`, {}, idempotencyKey),
    },
    balance: { retrieve: () => get<Balance>('/v1/balance') },
  };
}

export type PaymentsClient = ReturnType<typeof createPaymentsClient>;
