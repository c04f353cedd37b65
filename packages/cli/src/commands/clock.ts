import { advanceSandboxClock, type TTestClock } from '@latih/sdk';
import { clientFor } from '../client';
import { loadProfile } from '../config';
import type { Output } from '../output';
import { formatDuration, parseDuration, positiveInt, stopSignal } from '../util';

function show(clock: TTestClock, out: Output): void {
  out.result(clock);
  out.text(
    `Program time ${clock.now}  (${formatDuration(clock.offsetSeconds)} ahead of real time)  ${clock.status}`,
  );
  if (clock.status === 'ADVANCING')
    out.text(
      `  waiting for ${clock.pendingJobs.length} job(s): ${clock.pendingJobs.join(', ') || '-'}; ${clock.schedulers} process(es) run the schedule`,
    );
}

export async function clockGet(profileName: string, out: Output): Promise<void> {
  show(await clientFor(loadProfile(profileName)).sandbox.clock.get.query(), out);
}

export type AdvanceOptions = { wait: boolean; timeout: string };

/** Moves the sandbox clock forward; by default waits until every scheduled job ran at the new time. */
export async function clockAdvance(
  profileName: string,
  duration: string,
  opts: AdvanceOptions,
  out: Output,
): Promise<void> {
  const seconds = parseDuration(duration);
  const timeoutMs = positiveInt(opts.timeout, '--timeout') * 1000;
  const latih = clientFor(loadProfile(profileName));
  if (!opts.wait) {
    show(await latih.sandbox.clock.advance.mutate({ seconds }), out);
    return;
  }
  out.note(`Moving the sandbox clock ${formatDuration(seconds)} forward and waiting for its jobs…`);
  const { signal, dispose } = stopSignal();
  try {
    show(await advanceSandboxClock(latih, { seconds }, { timeoutMs, pollIntervalMs: 500, signal }), out);
  } finally {
    dispose();
  }
}
