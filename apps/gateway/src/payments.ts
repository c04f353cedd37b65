import { randomBytes } from 'node:crypto';
import {
  createPaymentsClient,
  createPaymentsMock,
  type PaymentsClient,
  type WebhookRetry,
} from '@latih/payments';
import { setupServer } from 'msw/node';

/** What the gateway needs of a payment provider: a client, and the secret its webhooks are signed with. */
export type PaymentsSetup = {
  client: PaymentsClient;
  webhookSecret: string;
  /** Where the provider should POST its webhooks, once the gateway knows its own address. */
  setWebhookUrl?: (url: string) => void;
  close?: () => void;
  mode: 'provider' | 'mock';
};

export const MOCK_PAYMENTS_BASE_URL = 'https://payments.mock.latih.invalid';

/** A real provider, from PAYMENTS_BASE_URL, PAYMENTS_API_KEY and PAYMENTS_WEBHOOK_SECRET. */
export function realPayments(opts: {
  baseUrl: string;
  apiKey: string;
  webhookSecret: string;
}): PaymentsSetup {
  return {
    client: createPaymentsClient({ baseUrl: opts.baseUrl, apiKey: opts.apiKey }),
    webhookSecret: opts.webhookSecret,
    mode: 'provider',
  };
}

/** Development's compressed retry schedule (Stripe starts near a minute); still 3 days in all. */
export const DEVELOPMENT_WEBHOOK_RETRY: Partial<WebhookRetry> = {
  firstDelayMs: 5_000,
  maxDelayMs: 60_000,
  giveUpAfterMs: 3 * 86_400_000,
};

/**
 * The development default: the msw mock plays the provider in this process. Requests to its base
 * URL are answered by the mock's handlers; every other request (partners' webhooks, the mock's
 * own webhooks to this gateway) goes out untouched. Payouts settle on a timer, as a real
 * provider's would, and come back as signed webhooks, retried until this gateway answers 2xx.
 * It lives and dies with this process: `npm run payments:mock` is the one to share between
 * gateways and `npm run worker`, and across restarts.
 */
export function mockPayments(
  opts: {
    tickMs?: number;
    settleMs?: { pending: number; inTransit: number };
    now?: () => number;
    webhookRetry?: Partial<WebhookRetry>;
  } = {},
) {
  const apiKey = `sk_test_${randomBytes(16).toString('hex')}`;
  const webhook = { url: '', secret: `whsec_${randomBytes(24).toString('hex')}` };
  const mock = createPaymentsMock({
    baseUrl: MOCK_PAYMENTS_BASE_URL,
    apiKey,
    webhook,
    ...(opts.settleMs ? { settleMs: opts.settleMs } : {}),
    ...(opts.now ? { now: opts.now } : {}),
    webhookRetry: { ...DEVELOPMENT_WEBHOOK_RETRY, ...opts.webhookRetry },
    // The gateway checks webhook signatures against its real clock, whatever its program time.
    signatureNow: Date.now,
  });
  const server = setupServer(...mock.handlers);
  server.listen({ onUnhandledRequest: 'bypass' });
  const stopTicking = mock.start(opts.tickMs ?? 500);
  const setup: PaymentsSetup & { mock: typeof mock } = {
    client: createPaymentsClient({ baseUrl: MOCK_PAYMENTS_BASE_URL, apiKey }),
    webhookSecret: webhook.secret,
    setWebhookUrl: (url) => {
      webhook.url = url;
    },
    close: () => {
      stopTicking();
      server.close();
    },
    mode: 'mock',
    mock,
  };
  return setup;
}
