import { CliError } from './output';

export function positiveInt(value: string, name: string): number {
  if (!/^\d{1,9}$/.test(value) || Number(value) < 1)
    throw new CliError('INVALID_ARGUMENT', `${name}: a positive whole number, not "${value}"`);
  return Number(value);
}

/** An AbortSignal that Ctrl-C (SIGINT) or SIGTERM aborts, for commands that run until stopped. */
export function stopSignal(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const stop = () => controller.abort(new Error('stopped'));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    },
  };
}

const UNIT_SECONDS: Record<string, number> = { w: 604_800, d: 86_400, h: 3_600, m: 60, s: 1 };

/** `2d`, `90m`, `1h30m`, `1w2d`, `45s` → seconds. Units w, d, h, m, s; each at most once, largest first. */
export function parseDuration(text: string): number {
  const match = /^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text.trim());
  if (!match || text.trim() === '')
    throw new CliError(
      'INVALID_ARGUMENT',
      `"${text}" is not a duration: use e.g. 2d, 90m, 1h30m (units w, d, h, m, s)`,
    );
  const units = ['w', 'd', 'h', 'm', 's'];
  const seconds = units.reduce(
    (sum, unit, i) => sum + Number(match[i + 1] ?? 0) * (UNIT_SECONDS[unit] ?? 0),
    0,
  );
  if (seconds < 1) throw new CliError('INVALID_ARGUMENT', `"${text}" is no time at all`);
  return seconds;
}

/** 93784 → "1d 2h 3m 4s". */
export function formatDuration(seconds: number): string {
  const parts: string[] = [];
  let rest = Math.round(seconds);
  for (const unit of ['d', 'h', 'm', 's']) {
    const size = UNIT_SECONDS[unit] ?? 1;
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0) parts.push(`${n}${unit}`);
  }
  return parts.length ? parts.join(' ') : '0s';
}
