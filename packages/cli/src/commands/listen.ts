import { randomBytes } from 'node:crypto';
import { signatureHeader } from '@latih/payments/signature';
import { followFeed, type TEvent } from '@latih/sdk';
import { clientFor } from '../client';
import { loadProfile, readState, updateState } from '../config';
import { CliError, type Output } from '../output';
import { positiveInt, stopSignal } from '../util';

export type ListenOptions = {
  forwardTo: string;
  secret?: string;
  types?: string[];
  pollInterval: string;
  maxAttempts: string;
  backoff: string;
  timeout: string;
};

type Attempt = { status: number | null; error: string | null; durationMs: number };

const pause = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/** One POST, signed as the gateway's webhook worker signs (packages/core/src/webhooks/worker.ts). */
async function post(url: string, event: TEvent, secret: string, timeoutMs: number): Promise<Attempt> {
  const body = JSON.stringify(event);
  const started = Date.now();
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Latih-CLI/1 (latih listen)',
        'latih-signature': signatureHeader(body, [secret], Math.floor(Date.now() / 1000)),
        'latih-event-id': event.id,
        'latih-event-type': event.type,
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.arrayBuffer().catch(() => undefined);
    return { status: res.status, error: null, durationMs: Date.now() - started };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    const error =
      (err as Error).name === 'TimeoutError'
        ? `no answer within ${timeoutMs} ms`
        : (cause ?? (err as Error).message);
    return { status: null, error, durationMs: Date.now() - started };
  }
}

/**
 * Follows events.list and forwards each event to a local URL, signed with a secret of its own (as
 * `stripe listen` does), so a receiver that verifies with the SDK's verifyWebhook accepts it. A
 * failing receiver (no answer, or not 2xx) is retried with exponential backoff; after the last
 * attempt the event is reported as failed and the next one follows. The cursor is stored after each
 * page, so a restart resumes after the last page forwarded (an event may come twice, never lost).
 */
export async function listen(profileName: string, opts: ListenOptions, out: Output): Promise<void> {
  let target: URL;
  try {
    target = new URL(opts.forwardTo);
  } catch {
    throw new CliError('INVALID_ARGUMENT', `--forward-to: "${opts.forwardTo}" is not a URL`);
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:')
    throw new CliError('INVALID_ARGUMENT', '--forward-to: an http or https URL');
  if (opts.secret !== undefined && !/^whsec_[A-Za-z0-9_-]{16,}$/.test(opts.secret))
    throw new CliError(
      'INVALID_ARGUMENT',
      '--secret: whsec_ followed by at least 16 letters, digits, - or _',
    );
  const pollIntervalMs = positiveInt(opts.pollInterval, '--poll-interval');
  const maxAttempts = positiveInt(opts.maxAttempts, '--max-attempts');
  const backoffMs = positiveInt(opts.backoff, '--backoff');
  const timeoutMs = positiveInt(opts.timeout, '--timeout');

  const profile = loadProfile(profileName);
  const latih = clientFor(profile);
  const me = await latih.auth.whoami.query();
  const state = readState(profileName).listen ?? {};
  // The same secret run after run (the receiver keeps its configuration), unless --secret sets one.
  const secret = opts.secret ?? state.secret ?? `whsec_${randomBytes(32).toString('base64url')}`;
  updateState(profileName, (s) => ({ ...s, listen: { ...s.listen, secret } }));

  const { signal, dispose } = stopSignal();
  const forwardTo = target.href;
  out.line({
    kind: 'ready',
    forwardTo,
    secret,
    organisationName: me.organisationName,
    cursor: state.cursor ?? null,
  });
  out.text(`Ready! Forwarding events of ${me.organisationName} (${me.role}) to ${forwardTo}`);
  out.text(`Your webhook signing secret is ${secret} (^C to stop)`);
  if (state.cursor) out.text('Resuming after the last event forwarded.');

  let forwarded = 0;
  let failed = 0;
  try {
    const input = {
      ...(state.cursor ? { cursor: state.cursor } : {}),
      ...(opts.types?.length ? { types: opts.types } : {}),
    };
    for await (const batch of followFeed(latih.events.list, input as never, {
      follow: true,
      pollIntervalMs,
      signal,
    })) {
      let completed = true;
      for (const event of batch.items as TEvent[]) {
        if (signal.aborted) {
          completed = false;
          break;
        }
        let attempt: Attempt = { status: null, error: null, durationMs: 0 };
        let attempts = 0;
        for (; attempts < maxAttempts && !signal.aborted; ) {
          if (attempts > 0) await pause(backoffMs * 2 ** (attempts - 1), signal);
          if (signal.aborted) break;
          attempt = await post(forwardTo, event, secret, timeoutMs);
          attempts++;
          const ok = attempt.status !== null && attempt.status >= 200 && attempt.status < 300;
          if (ok) break;
          if (attempts < maxAttempts)
            out.note(
              `  ${event.type} ${event.id}: ${attempt.status ?? attempt.error}, retrying in ${backoffMs * 2 ** (attempts - 1)} ms`,
            );
        }
        if (attempts === 0) {
          completed = false;
          break;
        }
        const ok = attempt.status !== null && attempt.status >= 200 && attempt.status < 300;
        if (ok) forwarded++;
        else failed++;
        out.line({
          kind: 'event',
          id: event.id,
          type: event.type,
          ok,
          status: attempt.status,
          error: attempt.error,
          attempts,
          durationMs: attempt.durationMs,
        });
        out.text(
          `${new Date().toISOString()}  --> ${event.type} [${event.id}]  <-- ${attempt.status !== null ? `[${attempt.status}]` : `[${attempt.error}]`}` +
            `${ok ? '' : ` gave up after ${attempts} attempt${attempts === 1 ? '' : 's'}`}`,
        );
      }
      if (!completed) break;
      updateState(profileName, (s) => ({ ...s, listen: { ...s.listen, secret, cursor: batch.cursor } }));
    }
  } finally {
    dispose();
  }
  out.line({ kind: 'stopped', forwarded, failed });
  out.text(`Stopped: ${forwarded} forwarded, ${failed} failed; the cursor is stored for the next run.`);
}
