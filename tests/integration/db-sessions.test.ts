/**
 * How the gateway's PostgreSQL sessions are set up (packages/db/src/client.ts): every connection of
 * the pool runs without JIT compilation, which cost more than it saved on the report rollups'
 * plans (docs/benchmarks.md, the per-minute refresh at 10 M participants).
 */
import { execRows } from '@latih/db';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { postgresAvailable } from '../support/db';
import { useHarness } from '../support/harness';

describe.runIf(postgresAvailable())('the gateway’s PostgreSQL sessions', () => {
  const h = useHarness('postgres', { poolSize: 3 });

  it('run without JIT on every connection of the pool', async () => {
    // Three at once, so that three connections answer (each waits for the others to be taken).
    const answers = await Promise.all(
      [1, 2, 3].map(() =>
        execRows<{ jit: string; pid: number }>(
          h.db,
          sql`select current_setting('jit') as jit, pg_backend_pid() as pid from pg_sleep(0.2)`,
        ),
      ),
    );
    const rows = answers.flat();
    expect(new Set(rows.map((r) => r.pid)).size).toBe(3);
    expect(rows.map((r) => r.jit)).toEqual(['off', 'off', 'off']);
    // The server's own default is untouched: only these sessions turned it off.
    const [server] = await execRows<{ jit: string }>(
      h.db,
      sql`select boot_val as jit from pg_settings where name = 'jit'`,
    );
    expect(server?.jit).toBe('on');
  });
});
