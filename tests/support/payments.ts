import { receivePaymentWebhook } from '@latih/core';
import { createPaymentsClient, createPaymentsMock } from '@latih/payments';
import { HttpResponse, http } from 'msw';
import type { SetupServer } from 'msw/node';
import type { Harness } from './harness';

/**
 * The payment provider for one harness, as the integration tests play it: the msw mock on the
 * harness's clock, a client that does not sleep between its retries, and the gateway's
 * `/payments/webhook` route played by a handler calling the same function the Express route does.
 */
export function fakePaymentProvider(
  h: Harness,
  server: SetupServer,
  opts: { name: string; timeoutMs: number; maxRetries: number; latencyMs: [number, number] },
) {
  const baseUrl = `https://payments.${opts.name}.test`;
  const hookUrl = `https://gateway.${opts.name}.test/payments/webhook`;
  const secret = `whsec_${opts.name}_0123456789abcdef`;
  const apiKey = `sk_test_${opts.name}`;
  const mock = createPaymentsMock({
    baseUrl,
    apiKey,
    webhook: { url: hookUrl, secret },
    latencyMs: opts.latencyMs,
    now: () => h.services.now(),
    settleMs: { pending: 60_000, inTransit: 60_000 },
  });
  const hooks: { status: number; body: unknown }[] = [];
  server.resetHandlers(
    ...mock.handlers,
    http.post(hookUrl, async ({ request }) => {
      const r = await receivePaymentWebhook({
        db: h.db,
        rawBody: await request.text(),
        signature: request.headers.get('payments-signature') ?? undefined,
        secret,
        now: new Date(h.services.now()),
      });
      hooks.push({ status: r.ok ? 200 : 400, body: r });
      return HttpResponse.json(r, { status: r.ok ? 200 : 400 });
    }),
  );
  const client = createPaymentsClient({
    baseUrl,
    apiKey,
    timeoutMs: opts.timeoutMs,
    maxRetries: opts.maxRetries,
    sleep: async () => undefined,
  });
  return { mock, client, hooks, hookUrl, secret };
}
