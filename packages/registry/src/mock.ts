import { randomBytes } from 'node:crypto';
import { delay, getResponse, HttpResponse, http } from 'msw';
import type { Verification } from './client';

/**
 * The population registry's verification service, played with msw request handlers and an
 * in-memory population, for development and tests. It answers as the real service does: per
 * field MATCH or MISMATCH (names compared without case, accents, punctuation or extra spaces),
 * NOT_FOUND for a NIK it holds no record of, with realistic latency, and outages on demand.
 *
 * A NIK it holds no record of (`people`) is answered as a registered person whose record is the
 * data asked about, except the development double's reserved serials (the NIK's last 4 digits),
 * documented in docs/guides/participants-registry.md:
 *   9990 → NIK not found · 9991 → the registry's name is "Nama Sesuai KTP" (any other name
 *   differs) · 9992 → the birth date differs · 9993 → the record is of a person who has died ·
 *   9994 → unavailable the first three times this NIK is asked about (one import's tries), then a
 *   match (so a sandbox can see PENDING cleared by registry.retry).
 */
export type RegistryMockOptions = {
  baseUrl: string;
  apiKey: string;
  /** Added to every answer, in ms: [min, max]. Default [20, 120]. */
  latencyMs?: [number, number];
  /** Share of requests answered 503. */
  errorRate?: number;
  /** Share of requests never answered (the client times out). */
  timeoutRate?: number;
  /** Share of unknown NIKs whose registry name differs (a misspelt registration). Default 0. */
  mismatchRate?: number;
  random?: () => number;
};

export type RegistryPerson = { name: string; birthDate: string; deceased?: boolean };

export const RESERVED_SERIALS = {
  NOT_FOUND: '9990',
  NAME_DIFFERS: '9991',
  BIRTH_DATE_DIFFERS: '9992',
  DECEASED: '9993',
  UNAVAILABLE_AT_FIRST: '9994',
} as const;

/** The registry's name on record for a NIK with the serial NAME_DIFFERS. */
export const REGISTRY_NAME_ON_RECORD = 'Nama Sesuai KTP';
/** How many times a NIK with the serial UNAVAILABLE_AT_FIRST is answered 503 before a verdict. */
export const UNAVAILABLE_ASKS = 3;

/** How the registry compares names: case, accents, punctuation and spacing do not count. */
export function normaliseName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toUpperCase()
    .replace(/[^A-Z]+/g, ' ')
    .trim();
}

export function createRegistryMock(opts: RegistryMockOptions) {
  const base = opts.baseUrl.replace(/\/$/, '');
  const random = opts.random ?? Math.random;
  /** Change at any time. `down`: an outage, every request answered 503. */
  const faults = {
    down: false,
    errorRate: opts.errorRate ?? 0,
    timeoutRate: opts.timeoutRate ?? 0,
    mismatchRate: opts.mismatchRate ?? 0,
    latencyMs: opts.latencyMs ?? ([20, 120] as [number, number]),
  };
  const state = {
    /** Records by NIK; a NIK not here is answered as described above. */
    people: new Map<string, RegistryPerson>(),
    /** Every request that reached the registry, as sent (tests check what leaves the gateway). */
    requests: [] as { body: unknown; at: number }[],
    /** Verdicts given (requests answered 200). */
    answered: 0,
    /** How often each NIK with the serial UNAVAILABLE_AT_FIRST was asked about. */
    asksOf: new Map<string, number>(),
  };

  function recordOf(nik: string, asked: { name: string; birthDate: string }): RegistryPerson | null {
    const known = state.people.get(nik);
    if (known) return known;
    const serial = nik.slice(12);
    if (serial === RESERVED_SERIALS.NOT_FOUND) return null;
    if (serial === RESERVED_SERIALS.NAME_DIFFERS) return { ...asked, name: REGISTRY_NAME_ON_RECORD };
    if (serial === RESERVED_SERIALS.BIRTH_DATE_DIFFERS) return { ...asked, birthDate: '1970-01-01' };
    if (serial === RESERVED_SERIALS.DECEASED) return { ...asked, deceased: true };
    if (faults.mismatchRate > 0 && random() < faults.mismatchRate)
      return { ...asked, name: `${asked.name}h` };
    return { ...asked };
  }

  const handlers = [
    http.post(`${base}/v1/verifications`, async ({ request }) => {
      const [min, max] = faults.latencyMs;
      await delay(Math.round(min + random() * (max - min)));
      if (request.headers.get('authorization') !== `Bearer ${opts.apiKey}`)
        return HttpResponse.json(
          { error: { code: 'unauthorized', message: 'Unknown API key' } },
          { status: 401 },
        );
      if (faults.down || random() < faults.errorRate)
        return HttpResponse.json(
          { error: { code: 'service_unavailable', message: 'The registry is unavailable' } },
          { status: 503 },
        );
      if (random() < faults.timeoutRate) await delay('infinite');
      const body = (await request.json().catch(() => null)) as {
        nik?: unknown;
        name?: unknown;
        birthDate?: unknown;
      } | null;
      state.requests.push({ body, at: Date.now() });
      if (
        !body ||
        typeof body.nik !== 'string' ||
        !/^\d{16}$/.test(body.nik) ||
        typeof body.name !== 'string' ||
        typeof body.birthDate !== 'string'
      )
        return HttpResponse.json(
          { error: { code: 'invalid_request', message: 'nik (16 digits), name and birthDate are required' } },
          { status: 400 },
        );
      if (body.nik.slice(12) === RESERVED_SERIALS.UNAVAILABLE_AT_FIRST) {
        const asks = (state.asksOf.get(body.nik) ?? 0) + 1;
        state.asksOf.set(body.nik, asks);
        if (asks <= UNAVAILABLE_ASKS)
          return HttpResponse.json(
            { error: { code: 'service_unavailable', message: 'The registry is unavailable' } },
            { status: 503 },
          );
      }
      const record = recordOf(body.nik, { name: body.name, birthDate: body.birthDate });
      state.answered++;
      const answer: Verification = record
        ? {
            id: `ver_${randomBytes(10).toString('hex')}`,
            object: 'verification',
            nik: 'FOUND',
            name: normaliseName(record.name) === normaliseName(body.name) ? 'MATCH' : 'MISMATCH',
            birthDate: record.birthDate === body.birthDate ? 'MATCH' : 'MISMATCH',
            deceased: record.deceased === true,
          }
        : {
            id: `ver_${randomBytes(10).toString('hex')}`,
            object: 'verification',
            nik: 'NOT_FOUND',
            name: null,
            birthDate: null,
            deceased: false,
          };
      return HttpResponse.json(answer);
    }),
  ];

  /**
   * A fetch that only the registry answers, for `createRegistryClient({ fetch })`: the handlers
   * run in this process without patching the global fetch (the gateway's payment double does).
   */
  const mockFetch: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    const signal = init?.signal ?? null;
    if (signal?.aborted) throw signal.reason;
    const answer = getResponse(handlers, request);
    const response = signal
      ? await Promise.race([
          answer,
          new Promise<never>((_, reject) =>
            signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
          ),
        ])
      : await answer;
    if (!response) throw new TypeError(`fetch failed: nothing answers ${request.url}`);
    return response;
  };

  return { handlers, faults, state, fetch: mockFetch, baseUrl: base, apiKey: opts.apiKey };
}

export type RegistryMock = ReturnType<typeof createRegistryMock>;
