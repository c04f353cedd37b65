import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, type RunningProcess, startProcess, until } from './processes';

/** Debian installs haproxy in /usr/sbin, which a non-root PATH may leave out. */
const HAPROXY = existsSync('/usr/sbin/haproxy') ? '/usr/sbin/haproxy' : 'haproxy';

export function haproxyAvailable(): boolean {
  return spawnSync(HAPROXY, ['-v']).status === 0;
}

/**
 * A real load balancer (Debian's haproxy) in front of gateway instances: round robin, health checks
 * on /readyz every 300 ms (two failures take an instance out, two successes put it back), a
 * connection that could not be made retried on another instance, never a request that reached one.
 */
export async function startHaproxy(
  backends: { name: string; port: number }[],
  opts: { port?: number; retries?: boolean } = {},
) {
  const dir = mkdtempSync(join(tmpdir(), 'latih-haproxy-'));
  const port = opts.port ?? (await freePort());
  const config = [
    'global',
    '  maxconn 2000',
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    // A 2-core machine under load answers a health check in tens of ms, sometimes hundreds.
    '  timeout check 1s',
    '  timeout client 30s',
    '  timeout server 30s',
    // Off by request: then nothing masks an instance that drops what it holds.
    ...(opts.retries === false
      ? ['  retries 0']
      : [
          '  retries 3',
          '  option redispatch',
          // Only failures where the instance never got the request: a POST is never sent twice.
          '  retry-on conn-failure empty-response',
        ]),
    'frontend latih',
    `  bind 127.0.0.1:${port}`,
    // As docs/operations.md configures it: the client's address for the gateways' TRUST_PROXY.
    '  option forwardfor',
    '  default_backend gateways',
    'backend gateways',
    '  balance roundrobin',
    '  option httpchk GET /readyz',
    '  http-check expect status 200',
    '  default-server inter 300ms fall 2 rise 2',
    ...backends.map((b) => `  server ${b.name} 127.0.0.1:${b.port} check`),
    '',
  ].join('\n');
  const file = join(dir, 'haproxy.cfg');
  writeFileSync(file, config);
  const check = spawnSync(HAPROXY, ['-c', '-f', file]);
  if (check.status !== 0) throw new Error(`haproxy config refused: ${check.stderr.toString()}`);
  const proc: RunningProcess = startProcess('haproxy', HAPROXY, ['-db', '-f', file], {});
  const url = `http://127.0.0.1:${port}`;
  await until(
    async () => (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1_000) })).ok,
    'haproxy',
  );
  return {
    url,
    process: proc,
    async stop() {
      await proc.stop(5_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
