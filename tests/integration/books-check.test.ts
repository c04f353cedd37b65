/**
 * The scheduled books check (`ledger.check`): the schedule's job finds the books agreeing with the
 * rows after real sales, redemptions and completions, and fails, naming each kind of difference,
 * when a participant's balance, a settlement line or a transaction disagrees. Each difference is
 * made inside a transaction that is rolled back, so the books of the test database stay whole.
 */
import { actorRef, runSettlementBatch, SCHEDULE } from '@latih/core';
import { type Db, schema } from '@latih/db';
import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { engines } from '../support/db';
import { complete, enrolled } from '../support/delivery-fixtures';
import { useHarness } from '../support/harness';

const job = SCHEDULE.find((j) => j.name === 'ledger.check');

describe.each(engines())('the books check on %s', (engine) => {
  const h = useHarness(engine);

  async function runIn(db: Db) {
    const warnings: object[] = [];
    const log = { info: () => undefined, warn: (o: object) => warnings.push(o) };
    try {
      const result = await job?.run({ deps: { db } as never, now: new Date(), log });
      return { result, error: null, warnings };
    } catch (error) {
      return { result: null, error: error as Error, warnings };
    }
  }

  /** Runs the check on a difference made by `tamper`, then rolls the difference back. */
  async function withDifference(tamper: (tx: Db) => Promise<unknown>) {
    let seen: Awaited<ReturnType<typeof runIn>> | null = null;
    await h.db
      .transaction(async (tx) => {
        await tamper(tx as unknown as Db);
        seen = await runIn(tx as unknown as Db);
        throw new Error('roll back');
      })
      .catch((e: Error) => {
        if (e.message !== 'roll back') throw e;
      });
    if (!seen) throw new Error('the check did not run');
    return seen as Awaited<ReturnType<typeof runIn>>;
  }

  it('passes on the books real sales, redemptions and completions wrote; fails on each kind of difference', async () => {
    expect(job?.mode).toBe('one-at-a-time');
    const { ids } = await enrolled(h, 2);
    await complete(h, ids[0] as string);
    // Four days on, the day's settlement batch accrues the completed course and settles it.
    const batch = await runSettlementBatch({
      db: h.db,
      actor: actorRef(null, null),
      now: new Date(h.services.now() + 4 * 86_400_000),
    });
    expect(batch.settlementCount).toBeGreaterThan(0);
    const clean = await runIn(h.db);
    expect(clean.error).toBeNull();
    expect(clean.result?.summary).toEqual({
      unbalancedTransactions: 0,
      balanceMismatches: 0,
      payoutMismatches: 0,
      accountMismatches: 0,
    });

    const [someone] = await h.db.select().from(schema.participants).limit(1);
    const balance = await withDifference((tx) =>
      tx.execute(sql`update participants set balance = balance + 1 where id = ${someone?.id}`),
    );
    expect(balance.error?.name).toBe('BooksDiscrepancyError');
    expect(balance.error?.message).toBe('books check: 1 participant balances differ from their accounts');
    // The message (shown in /readyz) names no one; the log names the first ones.
    expect(balance.error?.message).not.toContain(someone?.id ?? '-');
    expect(JSON.stringify(balance.warnings)).toContain(`participant ${someone?.id}`);

    // A settlement whose amount is not what its payouts account holds; a settled line that says
    // it is unsettled, so its provider's payable account should hold it.
    const [settlement] = await h.db.select().from(schema.settlements).limit(1);
    const payout = await withDifference((tx) =>
      tx.execute(sql`update settlements set amount = amount + 1 where id = ${settlement?.id}`),
    );
    expect(payout.error?.message).toBe('books check: 1 payouts not where their state says');
    expect(JSON.stringify(payout.warnings)).toContain(`${settlement?.id}`);
    const [line] = await h.db
      .select()
      .from(schema.settlementItems)
      .where(eq(schema.settlementItems.settlementId, settlement?.id ?? ''));
    const account = await withDifference((tx) =>
      tx
        .update(schema.settlementItems)
        .set({ settlementId: null })
        .where(eq(schema.settlementItems.id, line?.id ?? 0)),
    );
    expect(account.error?.message).toBe('books check: 1 payable/receivable accounts differ');
    expect(JSON.stringify(account.warnings)).toContain(`payable:${line?.organisationId}`);

    const unbalanced = await withDifference(async (tx) => {
      await tx
        .insert(schema.ledgerTransactions)
        .values({ id: 'ltx_books_check', kind: 'TEST', reference: null });
      await tx.insert(schema.ledgerEntries).values({
        transactionId: 'ltx_books_check',
        account: 'program:fund',
        amount: 5,
      });
    });
    expect(unbalanced.error?.message).toBe('books check: 1 unbalanced transactions; ledger total 5 (not 0)');

    // Rolled back: the books are whole again.
    expect((await runIn(h.db)).error).toBeNull();
  });
});
