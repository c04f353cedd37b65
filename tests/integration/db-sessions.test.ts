/**
 * How the gateway's PostgreSQL sessions are set up (packages/db/src/client.ts): every connection of
 * the pool runs without JIT compilation, which cost more than it saved on the report rollups'
 * plans (docs/benchmarks.md, the per-minute refresh at 10 M participants); and a connection the
 * server ends while it is checked out (a failover) fails its transaction instead of the process.
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

  it('a connection the server ends in the middle of a transaction fails that transaction, not the process', async () => {
    let pid = 0;
    const failed = await h.db
      .transaction(async (tx) => {
        const [me] = await execRows<{ pid: number }>(tx, sql`select pg_backend_pid() as pid`);
        pid = me?.pid ?? 0;
        // Ended from another connection, as a fast shutdown or a failover ends every session: the
        // server's FATAL message arrives while this transaction runs no statement. Before every
        // client had an 'error' listener of its own, that message was an unhandled 'error' event
        // and Node ended the process.
        await execRows(h.db, sql`select pg_terminate_backend(${pid})`);
        await new Promise((resolve) => setTimeout(resolve, 300));
        await execRows(tx, sql`select 1`);
      })
      .then(
        () => null,
        (err: unknown) => err,
      );
    expect(pid).toBeGreaterThan(0);
    expect(failed).toBeInstanceOf(Error);
    // The broken connection left the pool: the next statements run on live ones.
    const after = await Promise.all(
      [1, 2, 3].map(() =>
        execRows<{ pid: number }>(h.db, sql`select pg_backend_pid() as pid from pg_sleep(0.05)`),
      ),
    );
    expect(after.flat().map((r) => r.pid)).not.toContain(pid);
  });
});
