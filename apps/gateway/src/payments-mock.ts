import { startPaymentsMockServer } from '@latih/payments/server';
import { loadPaymentsMockEnv } from './env';

/**
 * `npm run payments:mock`: the development payment provider as its own process, so that gateways
 * and `npm run worker` share one provider and it outlives their restarts (the in-process mock of
 * `npm start` dies with its gateway, and with it the webhooks it was still retrying). It listens on
 * 127.0.0.1, settles payouts on a timer and POSTs signed webhooks to PAYMENTS_WEBHOOK_URL, retrying
 * those not answered 2xx. Development only: its state is in memory.
 */
const DAY = 86_400_000;

function duration(n: number): string {
  if (n % DAY === 0) return `${n / DAY} d`;
  if (n % 3_600_000 === 0) return `${n / 3_600_000} h`;
  if (n % 60_000 === 0) return `${n / 60_000} min`;
  return n % 1000 === 0 ? `${n / 1000} s` : `${n} ms`;
}

async function main() {
  const parsed = loadPaymentsMockEnv();
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`);
    console.error(`Invalid configuration:\n  ${lines.join('\n  ')}`);
    process.exit(1);
  }
  const env = parsed.data;
  if (env.NODE_ENV === 'production') {
    console.error(
      'The payment mock is for development: it holds no money and anyone on this machine can change its behaviour. Refusing NODE_ENV=production.',
    );
    process.exit(1);
  }
  const retry = {
    firstDelayMs: env.PAYMENTS_MOCK_RETRY_FIRST_MS,
    maxDelayMs: env.PAYMENTS_MOCK_RETRY_MAX_MS,
    giveUpAfterMs: env.PAYMENTS_MOCK_RETRY_GIVE_UP_MS,
  };
  const server = await startPaymentsMockServer({
    port: env.PORT,
    apiKey: env.PAYMENTS_API_KEY,
    webhook: { url: env.PAYMENTS_WEBHOOK_URL, secret: env.PAYMENTS_WEBHOOK_SECRET },
    tickMs: env.PAYMENTS_MOCK_TICK_MS,
    settleMs: { pending: env.PAYMENTS_MOCK_SETTLE_MS, inTransit: env.PAYMENTS_MOCK_SETTLE_MS },
    webhookRetry: retry,
    onTickError: (err) => console.error('tick failed:', err),
    onAttempt: (a, d) => {
      const answer = a.status ?? a.error;
      if (a.delivered) {
        if (a.attempt > 1) console.log(`webhook ${a.eventId} ${a.type}: delivered on attempt ${a.attempt}`);
      } else
        console.log(
          `webhook ${a.eventId} ${a.type}: ${answer} (attempt ${a.attempt}); ${
            d.state === 'gave_up' ? 'gave up' : `next in ${duration((d.nextAttemptAt ?? a.at) - a.at)}`
          }`,
        );
    },
  });
  const key = env.PAYMENTS_API_KEY;
  process.stdout.write(
    [
      '',
      `Development payment provider (mock) listening on ${server.url}`,
      'Set on the gateway (npm start) and on npm run worker:',
      `  PAYMENTS_BASE_URL=${server.url}`,
      `  PAYMENTS_API_KEY=${key}`,
      `  PAYMENTS_WEBHOOK_SECRET=${env.PAYMENTS_WEBHOOK_SECRET}`,
      `Webhooks go to ${env.PAYMENTS_WEBHOOK_URL} (PAYMENTS_WEBHOOK_URL); one not answered 2xx is retried after ${duration(retry.firstDelayMs)}, doubling up to every ${duration(retry.maxDelayMs)}, for ${duration(retry.giveUpAfterMs)}.`,
      `Payouts settle after ${duration(env.PAYMENTS_MOCK_SETTLE_MS)} pending and ${duration(env.PAYMENTS_MOCK_SETTLE_MS)} in transit.`,
      'Controls (the API key as a bearer token):',
      `  curl -s ${server.url}/_mock/state -H "Authorization: Bearer ${key}"`,
      `  curl -s ${server.url}/_mock/faults -H "Authorization: Bearer ${key}" -H 'Content-Type: application/json' -d '{"down": false, "errorRate": 0, "timeoutRate": 0, "dropWebhooks": false}'`,
      `  also POST /_mock/scenarios {"failPayoutsTo": [...], "paidThenFailed": [...]}, /_mock/clock {"advanceMs": 3600000}, /_mock/tick`,
      'Its state is in memory: after a restart it knows no account or payout the gateway made before.',
      '',
    ].join('\n'),
  );
  const stop = async () => {
    await server.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
