import { DevOtpChannel, TestClock } from '@latih/core';
import { openDatabase, openReadReplica } from '@latih/db';
import { bannerText } from './banner';
import { developmentNikKey } from './dev-keys';
import { ConfigError } from './env';
import { startGateway } from './gateway';
import { FileKeyStore } from './keystore';
import { createLogger } from './logger';
import { metricsEnabled } from './metrics';
import { mockPayments, realPayments } from './payments';
import { configOrExit, runMain, stopOnSignals } from './process';
import { createRateLimits } from './rate-limits';
import { realRegistry } from './registry';

async function main(): Promise<void> {
  const config = configOrExit();
  const logger = createLogger(config.logLevel);

  let keys: FileKeyStore;
  try {
    keys = FileKeyStore.open({
      file: config.signingKeysFile,
      createIfMissing: !config.signingKeysFileGiven && config.nodeEnv !== 'production',
      onCreate: () =>
        logger.warn(
          { file: config.signingKeysFile },
          'SIGNING_KEYS_FILE is not set: generated a development signing key in the data folder. Set SIGNING_KEYS_FILE in production.',
        ),
    });
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`Invalid configuration:\n  ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  keys.watch(30_000, (err) =>
    logger.error({ err }, 'could not reload the signing keys; keeping the current ones'),
  );

  const database = await openDatabase({
    url: config.databaseUrl,
    dataDir: config.dataDir,
    poolSize: config.dbPoolSize,
  });
  if (database.engine === 'pglite') {
    logger.warn(
      { dataDir: config.dataDir },
      'running on embedded PGlite: commits are not fsynced; for development and demos only. Set DATABASE_URL for production.',
    );
  }
  // Reads that may lag (catalog, reports, statistics, exports) on a streaming replica, while it is
  // up and close enough behind; on the primary otherwise (docs/operations.md, Read replicas).
  const readReplica = config.readReplica
    ? await openReadReplica({
        url: config.readReplica.url,
        primary: database,
        poolSize: config.dbPoolSize,
        maxLagMs: config.readReplica.maxLagMs,
        log: logger,
      })
    : null;
  if (config.testClock)
    logger.warn(
      "the sandbox test clock is on: anyone with a token may move the program's time forward (POST /v1/sandbox/clock/advance). Set TEST_CLOCK=false to turn it off; production refuses it.",
    );
  if (config.webhooksAllowPrivate)
    logger.warn(
      'WEBHOOKS_ALLOW_PRIVATE=true: webhook endpoints may be on loopback and private addresses, over plain http too (the guides receive on 127.0.0.1). npm start sets it; for development only, production refuses it.',
    );
  // Rate limits: shared through Redis when REDIS_URL is set, in this process's memory otherwise.
  const rateLimits = config.rateLimits
    ? await createRateLimits({ settings: config.rateLimits, redis: config.redis, logger })
    : null;
  if (!rateLimits)
    logger.warn('RATE_LIMITS=off: nothing is rate limited (for load tests; production refuses it).');
  else if (!config.redis)
    logger[config.nodeEnv === 'production' ? 'warn' : 'info'](
      "REDIS_URL is not set: rate limits count in this gateway's memory, so each gateway behind a load balancer allows the full limits on its own.",
    );
  else
    logger.info(
      { keyPrefix: config.redis.keyPrefix, redisReady: rateLimits.redisReady() },
      'rate limits are shared through Redis',
    );
  const gateway = await startGateway({
    database,
    readReplica,
    rateLimits,
    trustProxy: config.trustProxy,
    ...(config.testClock ? { clock: new TestClock(database.db) } : {}),
    jobs: config.jobs,
    keys: keys.keys,
    issuer: (port) => config.publicUrl ?? `http://localhost:${port}`,
    logger,
    host: config.host,
    port: config.port,
    seedDemo: config.seedDemo,
    nikHashKey: config.nikHashKey ?? developmentNikKey(config.dataDir, logger),
    // No production channel for one-time codes exists yet: production answers OTP_CHANNEL_UNAVAILABLE.
    otp: config.nodeEnv === 'production' ? null : new DevOtpChannel(),
    allowLocalWebhooks: config.webhooksAllowPrivate,
    integrationSandbox: config.integrationSandbox,
    ...(config.webhookIntervalMs !== undefined ? { webhookIntervalMs: config.webhookIntervalMs } : {}),
    payments: config.payments ? realPayments(config.payments) : mockPayments(),
    registry: config.registry
      ? realRegistry(config.registry)
      : config.nodeEnv === 'production'
        ? null
        : undefined,
    ...(config.payoutIntervalMs !== undefined ? { payoutIntervalMs: config.payoutIntervalMs } : {}),
    ...(config.oversightIntervalMs !== undefined ? { oversightIntervalMs: config.oversightIntervalMs } : {}),
    metrics: config.metrics,
  });
  if (!config.registry)
    logger.warn(
      config.nodeEnv === 'production'
        ? 'REGISTRY_BASE_URL is not set: imported participants wait PENDING (they cannot buy) until a population registry is configured and registry.retry checks them.'
        : 'REGISTRY_BASE_URL is not set: participants are checked against the in-process population registry double (development only).',
    );
  if (!config.payments)
    logger.warn(
      'PAYMENTS_BASE_URL is not set: payouts go to the in-process payment mock (development only).',
    );
  else if (config.nodeEnv === 'production' && !config.payments.baseUrl.startsWith('https://'))
    logger.warn(
      { paymentsBaseUrl: config.payments.baseUrl },
      'PAYMENTS_BASE_URL is not https: a real payment provider is; this looks like the development provider (a rehearsal?)',
    );
  if (gateway.metricsUrl) logger.info({ url: `${gateway.metricsUrl}/metrics` }, 'metrics listening');
  else if (!metricsEnabled(config.metrics) && config.nodeEnv === 'production')
    logger.warn(
      'METRICS_TOKEN and METRICS_PORT are not set: /metrics is off. Set one of them to watch this gateway (docs/operations.md, Metrics).',
    );
  const publicUrl = config.publicUrl ?? `http://localhost:${new URL(gateway.url).port}`;
  logger.info({ url: publicUrl, listen: gateway.url, engine: database.engine }, 'gateway listening');
  if (config.seedDemo) process.stdout.write(bannerText(publicUrl));

  stopOnSignals(logger, {
    // The drain, then up to 20 s for requests and running jobs to finish.
    graceMs: config.shutdownDrainMs + 20_000,
    what: `unready for ${config.shutdownDrainMs} ms, then finishing in-flight requests and running jobs`,
    stop: async () => {
      await gateway.close({ drainMs: config.shutdownDrainMs });
      await rateLimits?.close();
      keys.close();
      await readReplica?.close();
      await database.close();
    },
  });
}

runMain(main);
