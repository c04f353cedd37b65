import { createLatihConsoleClient, LatihError } from '@latih/sdk';

/** The signed-in staff member, and the CSRF token the session's mutations carry. */
export type Session = {
  user: { id: string; email: string; name: string; role: 'reviewer' | 'finance' | 'admin' | 'instructor' };
  /** Which console: the PMO's, or a training provider's. */
  audience: 'pmo' | 'provider';
  organisation: { id: string; name: string };
  /** What this role may change (procedure path prefixes); the server enforces it either way. */
  writes: string[];
  /** What this role may not read either (provider staff); the server refuses it either way. */
  readsDenied: string[];
  csrfToken: string;
  expiresAt: string;
};

let csrf: string | null = null;
export const setCsrf = (token: string | null) => {
  csrf = token;
};

/** Everything the console asks of the gateway goes through the SDK's typed client. */
export const api = createLatihConsoleClient({ csrfToken: () => csrf });

export async function currentSession(): Promise<Session | null> {
  const res = await fetch('/console/api/session', { credentials: 'same-origin' });
  return res.ok ? ((await res.json()) as Session) : null;
}

export async function signIn(email: string, password: string): Promise<Session> {
  const res = await fetch('/console/api/session', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  const body = (await res.json()) as Session & { code?: string };
  if (!res.ok) throw Object.assign(new Error(body.code ?? 'ERROR'), { code: body.code });
  return body;
}

export async function signOut(): Promise<void> {
  await fetch('/console/api/session', {
    method: 'DELETE',
    credentials: 'same-origin',
    headers: { 'x-csrf-token': csrf ?? '' },
  });
}

/** The code and message of an API error, for showing it. */
export function describe(err: unknown): string {
  if (err instanceof LatihError) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

/** A CSV export's URL: the session cookie authenticates the download. */
export function csvUrl(name: string, query: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams(
    Object.entries(query).flatMap(([k, v]) => (v === undefined || v === '' ? [] : [[k, String(v)]])),
  );
  const s = q.toString();
  const path = name.startsWith('provider/')
    ? `/v1/provider/exports/${name.slice(9)}`
    : `/v1/pmo/exports/${name}`;
  return `${path}.csv${s ? `?${s}` : ''}`;
}
