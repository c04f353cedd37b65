import { LatihAuthError } from './errors';

type FetchFn = typeof globalThis.fetch;

/** Refresh this long before expiry, so a token never expires in flight. */
const REFRESH_MARGIN_MS = 60_000;

/** Fetches and caches a client-credentials access token; concurrent callers share one request. */
export class TokenManager {
  private token: { value: string; expiresAt: number } | undefined;
  private pending: Promise<string> | undefined;

  constructor(
    private readonly opts: {
      baseUrl: string;
      clientId: string;
      clientSecret: string;
      scope?: string | undefined;
      fetch: FetchFn;
      now?: () => number;
    },
  ) {}

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  async get(): Promise<string> {
    if (this.token && this.token.expiresAt - REFRESH_MARGIN_MS > this.now()) return this.token.value;
    this.pending ??= this.fetchToken().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  invalidate(value?: string): void {
    if (value === undefined || this.token?.value === value) this.token = undefined;
  }

  private async fetchToken(): Promise<string> {
    const res = await this.opts.fetch(`${this.opts.baseUrl}/v1/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({
        grant_type: 'client_credentials',
        client_id: this.opts.clientId,
        client_secret: this.opts.clientSecret,
        ...(this.opts.scope ? { scope: this.opts.scope } : {}),
      }),
    });
    const body = (await res.json().catch(() => ({}))) as {
      access_token?: string;
      expires_in?: number;
      error?: string;
      error_description?: string;
      requestId?: string;
    };
    if (!res.ok || !body.access_token || !body.expires_in) {
      throw new LatihAuthError(
        body.error ?? 'server_error',
        body.error_description ?? `HTTP ${res.status}`,
        res.status,
        body.requestId ?? res.headers.get('x-request-id') ?? undefined,
      );
    }
    this.token = { value: body.access_token, expiresAt: this.now() + body.expires_in * 1000 };
    return body.access_token;
  }
}
