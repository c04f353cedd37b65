import { ConfigError, loadEnv } from './env';
import type { Logger } from './logger';

/** The validated configuration, or exit 1 with the one message that names the bad variable. */
export function configOrExit(): ReturnType<typeof loadEnv> {
  try {
    return loadEnv();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
}

/**
 * Graceful shutdown on SIGTERM/SIGINT: `stop` runs once (draining what is in flight); if it takes
 * longer than `graceMs` the process exits 1 anyway.
 */
export function stopOnSignals(
  logger: Logger,
  o: { graceMs: number; what: string; stop: () => Promise<void> },
) {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, `shutting down: ${o.what}`);
    const force = setTimeout(() => process.exit(1), o.graceMs);
    force.unref();
    await o.stop();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

/** Runs an entry point; an error that escapes it is printed (message only) and exits 1. */
export function runMain(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
