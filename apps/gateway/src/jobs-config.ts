/** Which of the schedule's jobs a process runs, and with which intervals (see docs/operations.md). */
export type JobsConfig = {
  /** false: this process runs no job (another process, `npm run worker`, does). */
  run: boolean;
  /** Only these jobs (names); all when omitted. */
  only?: string[];
  /** Interval overrides by job name, in ms; 0 switches a job off here. */
  intervals?: Record<string, number>;
};

/**
 * The older per-worker settings, kept working: WEBHOOK_WORKER_INTERVAL_MS is webhooks.deliver's
 * interval; PAYOUT_WORKER_INTERVAL_MS is payouts.pay's and settlements.batch's (0 switches the four
 * money jobs off); OVERSIGHT_WORKER_INTERVAL_MS is reports.rollups' (0 also switches signals.detect off).
 */
export function legacyIntervals(v: {
  webhookIntervalMs?: number | undefined;
  payoutIntervalMs?: number | undefined;
  oversightIntervalMs?: number | undefined;
}): Record<string, number> {
  const out: Record<string, number> = {};
  if (v.webhookIntervalMs !== undefined) out['webhooks.deliver'] = v.webhookIntervalMs;
  if (v.payoutIntervalMs !== undefined) {
    out['payouts.pay'] = v.payoutIntervalMs;
    out['settlements.batch'] = v.payoutIntervalMs;
    if (v.payoutIntervalMs === 0) {
      out['incentives.evaluate'] = 0;
      out['payouts.reconcile'] = 0;
    }
  }
  if (v.oversightIntervalMs !== undefined) {
    out['reports.rollups'] = v.oversightIntervalMs;
    if (v.oversightIntervalMs === 0) out['signals.detect'] = 0;
  }
  return out;
}

/** `JOB_INTERVALS="webhooks.deliver=500,signals.detect=0"` → { 'webhooks.deliver': 500, … }. */
export function parseJobIntervals(text: string, known: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const m = /^([a-z][a-z.-]*)=(\d+)$/.exec(part);
    if (!m?.[1] || m[2] === undefined) throw new Error(`"${part}" is not name=milliseconds`);
    if (!known.includes(m[1])) throw new Error(`no job is called ${m[1]} (jobs: ${known.join(', ')})`);
    out[m[1]] = Number(m[2]);
  }
  return out;
}
