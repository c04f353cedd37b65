import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const root = new URL('../..', import.meta.url).pathname;

/**
 * The ports the OS hands out for `listen(0)` and outgoing connections (Linux: 32768–60999). A port
 * for a child process is chosen below them: the child binds it seconds later (tsx, migrations),
 * and an ephemeral port let go meanwhile could be taken by any `listen(0)` in another test file
 * (CI once saw "PORT … is already in use" that way).
 */
const EPHEMERAL_MIN = (() => {
  try {
    const [min] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    return Number(min) || 32768;
  } catch {
    return 32768;
  }
})();
const handedOut = new Set<number>();

const canListen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });

/** A port nobody listens on now, outside the ephemeral range, never handed out twice by this process. */
export async function freePort(): Promise<number> {
  const low = Math.max(1024, EPHEMERAL_MIN - 12_000);
  for (let tries = 0; tries < 200; tries++) {
    const port = low + Math.floor(Math.random() * (EPHEMERAL_MIN - low));
    if (handedOut.has(port)) continue;
    if (await canListen(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('no free port below the ephemeral range');
}

export type RunningProcess = {
  name: string;
  child: ChildProcess;
  /** Everything it printed, stdout and stderr, as lines. */
  lines: string[];
  /** JSON log lines it printed (pino), parsed. */
  logs(): Record<string, unknown>[];
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
  /** SIGKILL at once: a crash. */
  kill(): Promise<number | null>;
};

/** Runs a TypeScript entry point of the repository as its own Node process (as `npm run …` would). */
export function startTsProcess(name: string, entry: string, env: NodeJS.ProcessEnv): RunningProcess {
  return startProcess(name, process.execPath, ['--import', 'tsx', entry], env);
}

/** Runs a command from the repository's root, collecting what it prints. */
export function startProcess(
  name: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): RunningProcess {
  // A variable given as undefined is removed (not passed as the text "undefined").
  const merged = Object.fromEntries(
    Object.entries({ ...process.env, ...env }).filter(([, v]) => v !== undefined),
  ) as NodeJS.ProcessEnv;
  const child = spawn(command, args, {
    cwd: root,
    env: merged,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const collect = (chunk: Buffer) => {
    for (const l of chunk.toString('utf8').split('\n')) if (l.trim()) lines.push(l);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const signal = async (sig: NodeJS.Signals, graceMs: number) => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill(sig);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  return {
    name,
    child,
    lines,
    logs: () =>
      lines.flatMap((l) => {
        if (!l.startsWith('{')) return [];
        try {
          return [JSON.parse(l) as Record<string, unknown>];
        } catch {
          return [];
        }
      }),
    exited,
    stop: (graceMs = 15_000) => signal('SIGTERM', graceMs),
    kill: () => signal('SIGKILL', 0),
  };
}

/** Waits until `url` answers 2xx (or the process exits, which fails with what it printed). */
export async function waitForHttp(p: RunningProcess, url: string, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  let exited = false;
  void p.exited.then(() => {
    exited = true;
  });
  while (Date.now() < until) {
    if (exited) throw new Error(`${p.name} exited before ${url} answered:\n${p.lines.slice(-30).join('\n')}`);
    try {
      // A server that accepts but never answers must not hang the wait.
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer within ${ms} ms:\n${p.lines.slice(-30).join('\n')}`);
}

/** Polls until `check` gives a value that is not undefined/false; fails with `what` after `ms`. */
export async function until<T>(
  check: () => Promise<T | undefined | false>,
  what: string,
  ms = 60_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
}
