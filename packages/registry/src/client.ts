/**
 * Client for the population registry's identity-verification service (Dukcapil's "verifikasi
 * data" for user institutions): the program sends a NIK with the name and birth date it was
 * given, and the registry answers, field by field, whether they match its record. It never sends
 * the record itself, so nothing of the person's registry data reaches Latih beyond match flags.
 *
 * JSON over global `fetch` (msw plays the registry in development and tests), a timeout per
 * attempt, and retries with backoff and jitter on 5xx, 429, timeouts and network errors. A
 * verification has no side effect, so retrying is always safe. 4xx answers are typed errors.
 */

export type FieldMatch = 'MATCH' | 'MISMATCH';

export type Verification = {
  /** The registry's reference for this check (kept, to quote to the registry in a dispute). */
  id: string;
  object: 'verification';
  /** NOT_FOUND: no record holds this NIK. */
  nik: 'FOUND' | 'NOT_FOUND';
  /** Null when the NIK was not found. */
  name: FieldMatch | null;
  birthDate: FieldMatch | null;
  /** The registry marks the record of a person who has died. */
  deceased: boolean;
};

export class RegistryError extends Error {
  override readonly name: string = 'RegistryError';
  constructor(
    message: string,
    /** HTTP status, or null when no answer came (network error, timeout). */
    readonly status: number | null,
    readonly code: string,
    /** Whether the same check may succeed later (an outage), as against a request it refuses. */
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

export type RegistryClientOptions = {
  baseUrl: string;
  apiKey: string;
  /** Default: the global fetch. */
  fetch?: typeof fetch;
  /** Per attempt. Default 5 s. */
  timeoutMs?: number;
  /** Retries after the first attempt. Default 2. */
  maxRetries?: number;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
};

export function createRegistryClient(opts: RegistryClientOptions) {
  const f = opts.fetch ?? ((...args: Parameters<typeof fetch>) => fetch(...args));
  const timeoutMs = opts.timeoutMs ?? 5_000;
  const maxRetries = opts.maxRetries ?? 2;
  const random = opts.random ?? Math.random;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const base = opts.baseUrl.replace(/\/$/, '');

  async function attempt(body: { nik: string; name: string; birthDate: string }): Promise<Verification> {
    let res: Response;
    try {
      res = await f(`${base}/v1/verifications`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${opts.apiKey}`,
          accept: 'application/json',
          'content-type': 'application/json',
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const name = err instanceof Error ? err.name : '';
      if (name === 'TimeoutError' || name === 'AbortError')
        throw new RegistryError(`No answer within ${timeoutMs} ms`, null, 'timeout', true);
      throw new RegistryError(
        `Could not reach the registry: ${err instanceof Error ? err.message : String(err)}`,
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
    if (res.ok) {
      const v = json as Partial<Verification> | undefined;
      if (!v || typeof v.id !== 'string' || (v.nik !== 'FOUND' && v.nik !== 'NOT_FOUND'))
        throw new RegistryError(
          'The registry answered something that is not a verification',
          res.status,
          'bad_answer',
          true,
        );
      return v as Verification;
    }
    const error = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new RegistryError(
      error?.message ?? `HTTP ${res.status}`,
      res.status,
      error?.code ?? `http_${res.status}`,
      res.status >= 500 || res.status === 429,
    );
  }

  return {
    /** Checks one person; throws RegistryError (retryable: an outage) when no verdict came. */
    async verify(person: { nik: string; name: string; birthDate: string }): Promise<Verification> {
      for (let n = 0; ; n++) {
        try {
          return await attempt(person);
        } catch (err) {
          if (!(err instanceof RegistryError) || !err.retryable || n >= maxRetries) throw err;
          const backoff = Math.min(200 * 2 ** n, 2_000);
          await sleep(backoff / 2 + random() * (backoff / 2));
        }
      }
    },
  };
}

export type RegistryClient = ReturnType<typeof createRegistryClient>;
