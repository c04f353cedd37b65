import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getResponse, HttpResponse, http, type RequestHandler } from 'msw';
import { createPaymentsMock, type PaymentsMock, type PaymentsMockOptions } from './mock';

/**
 * The development payment provider as its own process: the mock's msw handlers answering real HTTP
 * (msw's `getResponse` runs them on a Fetch `Request`, so there is one router, the mock's), its
 * payouts settling on a timer, and its webhooks POSTed to the gateway and retried while it is
 * down. Several gateways (and a separate worker process) share it, and it outlives their restarts.
 * Development only: its state is in memory and its control endpoints change its behaviour.
 */
export type PaymentsMockServerOptions = Omit<PaymentsMockOptions, 'baseUrl'> & {
  /** Default 127.0.0.1: the mock holds no real money but its control endpoints are not for the network. */
  host?: string;
  /** 0 picks a free port. */
  port: number;
  /** Pause between ticks; 0 runs no timer (tests tick themselves). Default 500 ms. */
  tickMs?: number;
  onTickError?: (err: unknown) => void;
};

const FAULT_RATES = ['errorRate', 'timeoutRate'] as const;
const FAULT_FLAGS = ['down', 'dropWebhooks'] as const;

const invalid = (message: string) =>
  HttpResponse.json({ error: { code: 'invalid_request', message } }, { status: 400 });

async function jsonBody(request: Request): Promise<Record<string, unknown> | null> {
  try {
    const body: unknown = JSON.parse((await request.text()) || '{}');
    return body && typeof body === 'object' && !Array.isArray(body)
      ? (body as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/**
 * Development controls, under `/_mock/` with the same API key as the API: read the state (counts
 * and the event log with each event's deliveries), set faults, name scenarios, move the clock,
 * tick now.
 */
export function controlHandlers(mock: PaymentsMock, base: string, apiKey: string): RequestHandler[] {
  const root = `${base.replace(/\/$/, '')}/_mock`;
  const countBy = <T>(items: Iterable<T>, key: (x: T) => string) => {
    const out: Record<string, number> = {};
    for (const x of items) out[key(x)] = (out[key(x)] ?? 0) + 1;
    return out;
  };
  const view = () => ({ faults: { ...mock.faults }, scenarios: scenariosView() });
  const scenariosView = () => ({
    failPayoutsTo: [...mock.scenarios.failPayoutsTo],
    paidThenFailed: [...mock.scenarios.paidThenFailed],
  });
  return [
    http.all(`${root}/*`, ({ request }) => {
      if (request.headers.get('authorization') !== `Bearer ${apiKey}`)
        return HttpResponse.json(
          { error: { code: 'authentication_required', message: 'Invalid API key.' } },
          { status: 401 },
        );
      return undefined;
    }),
    http.get(`${root}/state`, ({ request }) => {
      const limit = Math.min(
        Math.max(Number(new URL(request.url).searchParams.get('limit') ?? 50) || 50, 1),
        1000,
      );
      const { state } = mock;
      return HttpResponse.json({
        now: new Date(mock.now()).toISOString(),
        ...view(),
        webhookRetry: mock.webhookRetry,
        balance: state.balance,
        counts: {
          accounts: state.accounts.size,
          transfers: state.transfers.size,
          payouts: countBy(state.payouts.values(), (p) => p.status),
          events: state.events.length,
          deliveries: countBy(state.deliveries.values(), (d) => d.state),
          attempts: state.attempts.length,
          requests: state.requests.length,
        },
        // Newest first, each with its delivery: what a provider's dashboard shows.
        events: state.events
          .slice(-limit)
          .reverse()
          .map((e) => ({
            id: e.id,
            type: e.type,
            created: e.created,
            payoutId: e.data.object.id,
            payoutStatus: e.data.object.status,
            amount: e.data.object.amount,
            delivery: state.deliveries.get(e.id) ?? null,
          })),
        attempts: state.attempts.slice(-limit).reverse(),
      });
    }),
    http.post(`${root}/faults`, async ({ request }) => {
      const body = await jsonBody(request);
      if (!body) return invalid('Send a JSON object.');
      for (const key of Object.keys(body))
        if (![...FAULT_RATES, ...FAULT_FLAGS].includes(key as never))
          return invalid(`Unknown fault ${key}: use ${[...FAULT_RATES, ...FAULT_FLAGS].join(', ')}.`);
      for (const key of FAULT_RATES) {
        const v = body[key];
        if (v !== undefined && (typeof v !== 'number' || !(v >= 0 && v <= 1)))
          return invalid(`${key} must be a number from 0 to 1.`);
      }
      for (const key of FAULT_FLAGS)
        if (body[key] !== undefined && typeof body[key] !== 'boolean')
          return invalid(`${key} must be true or false.`);
      if (
        (Number(body.errorRate ?? mock.faults.errorRate) || 0) +
          (Number(body.timeoutRate ?? mock.faults.timeoutRate) || 0) >
        1
      )
        return invalid('errorRate and timeoutRate together cannot exceed 1.');
      Object.assign(mock.faults, body);
      return HttpResponse.json(view());
    }),
    http.post(`${root}/scenarios`, async ({ request }) => {
      const body = await jsonBody(request);
      if (!body) return invalid('Send a JSON object.');
      for (const key of ['failPayoutsTo', 'paidThenFailed'] as const) {
        const v = body[key];
        if (v === undefined) continue;
        if (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))
          return invalid(`${key} must be a list of account ids or destinations (ewallet:dana:08…).`);
        mock.scenarios[key].clear();
        for (const x of v as string[]) mock.scenarios[key].add(x);
      }
      return HttpResponse.json(view());
    }),
    http.post(`${root}/clock`, async ({ request }) => {
      const body = await jsonBody(request);
      const ms = body?.advanceMs;
      if (typeof ms !== 'number' || !Number.isSafeInteger(ms) || ms < 0)
        return invalid('advanceMs must be a whole number of milliseconds, 0 or more.');
      return HttpResponse.json({ now: new Date(mock.advanceClock(ms)).toISOString() });
    }),
    http.post(`${root}/tick`, async () => HttpResponse.json({ events: await mock.tick() })),
  ];
}

function toRequest(req: IncomingMessage, base: string, body: Buffer): Request {
  const headers = new Headers();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2)
    headers.append(req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string);
  const method = req.method ?? 'GET';
  // The mock's handlers match on its own base URL, whatever Host the client used (localhost, 127.0.0.1).
  return new Request(`${base}${req.url ?? '/'}`, {
    method,
    headers,
    ...(method === 'GET' || method === 'HEAD' ? {} : { body: new Uint8Array(body) }),
  });
}

async function send(res: ServerResponse, response: Response) {
  const body = Buffer.from(await response.arrayBuffer());
  const headers: Record<string, string> = {};
  response.headers.forEach((value, key) => {
    headers[key] = value;
  });
  res.writeHead(response.status, { ...headers, 'content-length': String(body.length) });
  res.end(body);
}

export async function startPaymentsMockServer(opts: PaymentsMockServerOptions) {
  const host = opts.host ?? '127.0.0.1';
  let handlers: RequestHandler[] = [];
  let base = '';
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request = toRequest(req, base, Buffer.concat(chunks));
      getResponse(handlers, request)
        .then(
          (response) =>
            send(
              res,
              response ??
                HttpResponse.json(
                  {
                    error: {
                      code: 'resource_missing',
                      message: `Unrecognized request URL (${request.method} ${req.url}).`,
                    },
                  },
                  { status: 404 },
                ),
            ),
          (err: unknown) =>
            send(
              res,
              HttpResponse.json(
                { error: { code: 'api_error', message: err instanceof Error ? err.message : String(err) } },
                { status: 500 },
              ),
            ),
        )
        // A client that gave up (a timeout fault) has closed the socket: nothing to answer.
        .catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new Error(`PORT ${opts.port} is already in use on ${host}: stop the other process or set PORT`)
          : err,
      ),
    );
    server.listen(opts.port, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  base = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const mock = createPaymentsMock({ ...opts, baseUrl: base });
  handlers = [...controlHandlers(mock, base, opts.apiKey), ...mock.handlers];
  const tickMs = opts.tickMs ?? 500;
  const stopTicking = tickMs > 0 ? mock.start(tickMs, opts.onTickError) : () => undefined;
  return {
    url: base,
    mock,
    async close() {
      stopTicking();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

export type PaymentsMockServer = Awaited<ReturnType<typeof startPaymentsMockServer>>;
