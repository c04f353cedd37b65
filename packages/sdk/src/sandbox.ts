import type { AppRouter } from '@latih/api/router';
import type { TTestClock } from '@latih/contracts';
import type { TRPCClient } from '@trpc/client';

/** Where to move the sandbox clock: to an instant (ISO-8601 or a Date), or forward by a number of seconds. */
export type SandboxClockTarget = { to: string | Date } | { seconds: number };

export type AdvanceSandboxClockOptions = {
  /** How often to ask whether the scheduled jobs have caught up (default 1 000 ms). */
  pollIntervalMs?: number;
  /** Give up waiting after this long (default 120 000 ms): LatihClockTimeoutError. */
  timeoutMs?: number;
  /** Stops waiting: the promise rejects with the signal's reason; the clock has moved all the same. */
  signal?: AbortSignal;
};

/**
 * The clock moved, but its scheduled jobs had not all run at the new time within `timeoutMs`.
 * Usually no gateway or worker on the sandbox runs the schedule (JOBS=off and no `npm run worker`).
 */
export class LatihClockTimeoutError extends Error {
  constructor(
    /** The clock as last read (status ADVANCING). */
    readonly clock: TTestClock,
    timeoutMs: number,
  ) {
    super(
      `The sandbox clock moved to ${clock.now} but was still ${clock.status} after ${timeoutMs} ms: ` +
        'is a gateway or worker running the schedule on this sandbox?',
    );
    this.name = 'LatihClockTimeoutError';
  }
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Moves the sandbox's test clock forward (`sandbox.clock.advance`) and waits until every scheduled
 * job has run once at the new time (`sandbox.clock.get` answers READY), so that what the program
 * does by itself — windows opening, vouchers expiring, the day's settlement and its payout,
 * instalments falling due — has happened when it resolves. Resolves with the READY clock.
 *
 * The clock is shared by everyone on the sandbox and only moves forward (TEST_CLOCK_BACKWARDS
 * otherwise); production has none (TEST_CLOCK_DISABLED). Refusals are LatihError, as for any call.
 *
 * ```ts
 * await advanceSandboxClock(latih, { seconds: 86_400 });          // a day later
 * await advanceSandboxClock(latih, { to: '2027-01-04T18:30:00Z' }); // 01:30 WIB on 5 January
 * ```
 */
export async function advanceSandboxClock(
  latih: { sandbox: TRPCClient<AppRouter>['sandbox'] },
  target: SandboxClockTarget,
  opts: AdvanceSandboxClockOptions = {},
): Promise<TTestClock> {
  const { signal } = opts;
  const pollIntervalMs = opts.pollIntervalMs ?? 1_000;
  const timeoutMs = opts.timeoutMs ?? 120_000;
  signal?.throwIfAborted();
  const input =
    'to' in target
      ? { to: target.to instanceof Date ? target.to.toISOString() : target.to }
      : { seconds: target.seconds };
  const call = signal ? { signal } : undefined;
  // An aborted request fails as a network error; say it was the caller's abort instead.
  const unlessAborted = (err: unknown): never => {
    throw signal?.aborted ? signal.reason : err;
  };
  const started = Date.now();
  let clock = await latih.sandbox.clock.advance.mutate(input, call).catch(unlessAborted);
  while (clock.status !== 'READY') {
    if (Date.now() - started >= timeoutMs) throw new LatihClockTimeoutError(clock, timeoutMs);
    await pause(pollIntervalMs, signal);
    clock = await latih.sandbox.clock.get.query(undefined, call).catch(unlessAborted);
  }
  return clock;
}
