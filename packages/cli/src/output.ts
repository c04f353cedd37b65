import { isLatihError, LatihClockTimeoutError, LatihError } from '@latih/sdk';

/** An error of the CLI itself (a missing profile, a bad argument), reported like a LatihError. */
export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export type ErrorReport = { code: string; message: string; requestId: string | null };

export function errorReport(err: unknown): ErrorReport {
  if (isLatihError(err) || err instanceof LatihError) {
    return { code: err.code, message: err.message, requestId: err.requestId ?? null };
  }
  if (err instanceof CliError) return { code: err.code, message: err.message, requestId: null };
  if (err instanceof LatihClockTimeoutError)
    return { code: 'CLOCK_TIMEOUT', message: err.message, requestId: null };
  return {
    code: 'INTERNAL_ERROR',
    message: err instanceof Error ? err.message : String(err),
    requestId: null,
  };
}

/**
 * Where a command writes. With --json, stdout carries machine-readable output only (one JSON
 * document, or one JSON object per line for streams) and human text goes nowhere; otherwise human
 * text goes to stdout. Progress and notes always go to stderr.
 */
export class Output {
  constructor(readonly json: boolean) {}

  /** Human text (nothing with --json). */
  text(line = ''): void {
    if (!this.json) process.stdout.write(`${line}\n`);
  }

  /** The command's one JSON document (with --json only). */
  result(value: unknown): void {
    if (this.json) process.stdout.write(`${JSON.stringify(value)}\n`);
  }

  /** One line of a JSONL stream (with --json only). */
  line(value: unknown): void {
    if (this.json) process.stdout.write(`${JSON.stringify(value)}\n`);
  }

  /** A note for people, on stderr (never in the way of --json). */
  note(line: string): void {
    process.stderr.write(`${line}\n`);
  }

  error(err: unknown): void {
    const report = errorReport(err);
    if (this.json) {
      process.stdout.write(`${JSON.stringify({ error: report })}\n`);
    } else {
      const id = report.requestId ? ` (request ${report.requestId})` : '';
      process.stderr.write(`Error ${report.code}: ${report.message}${id}\n`);
    }
  }
}
