import { sql } from 'drizzle-orm';
import type { Db } from '../client';
import { execRows } from '../client';
import { ledgerEntries, ledgerTransactions, participants } from '../schema';

export const PROGRAM_FUND = 'program:fund';
export const participantAccount = (id: string) => `participant:${id}`;

export type LedgerMovement = { account: string; amount: number };

/** One balanced transaction. Refuses an unbalanced one before anything is written. */
export async function postLedgerTransaction(
  db: Db,
  tx: { id: string; kind: string; reference: string | null; entries: LedgerMovement[] },
): Promise<void> {
  const sum = tx.entries.reduce((s, e) => s + e.amount, 0);
  if (sum !== 0 || tx.entries.length < 2)
    throw new Error(`ledger transaction ${tx.kind} does not balance (${sum})`);
  await db.insert(ledgerTransactions).values({ id: tx.id, kind: tx.kind, reference: tx.reference });
  await db
    .insert(ledgerEntries)
    .values(tx.entries.map((e) => ({ transactionId: tx.id, account: e.account, amount: e.amount })));
}

/** Many balanced transactions in two statements (bulk credits of an import). */
export async function postLedgerTransactions(
  db: Db,
  txs: { id: string; kind: string; reference: string | null; entries: LedgerMovement[] }[],
): Promise<void> {
  if (txs.length === 0) return;
  for (const t of txs) {
    if (t.entries.reduce((s, e) => s + e.amount, 0) !== 0)
      throw new Error(`ledger transaction ${t.kind} does not balance`);
  }
  await db
    .insert(ledgerTransactions)
    .values(txs.map((t) => ({ id: t.id, kind: t.kind, reference: t.reference })));
  await db
    .insert(ledgerEntries)
    .values(
      txs.flatMap((t) =>
        t.entries.map((e) => ({ transactionId: t.id, account: e.account, amount: e.amount })),
      ),
    );
}

export type LedgerCheck = {
  /** Every transaction sums to zero (and so do all entries). */
  balanced: boolean;
  unbalancedTransactions: string[];
  total: number;
  /** Participants whose balance column differs from their account's sum. */
  balanceMismatches: { participantId: string; balance: number; ledger: number }[];
};

/** The books: every transaction balances, and each participant's balance is credits minus debits. */
export async function checkLedger(db: Db): Promise<LedgerCheck> {
  const unbalanced = await execRows<{ transaction_id: string }>(
    db,
    sql`select transaction_id from ${ledgerEntries} group by transaction_id having sum(amount) <> 0`,
  );
  const [total] = await execRows<{ total: number | string | null }>(
    db,
    sql`select coalesce(sum(amount), 0) as total from ${ledgerEntries}`,
  );
  const mismatches = await execRows<{ id: string; balance: number | string; ledger: number | string }>(
    db,
    sql`select p.id, p.balance, coalesce(l.sum, 0) as ledger
        from ${participants} p
        left join (select account, sum(amount) as sum from ${ledgerEntries} group by account) l
          on l.account = 'participant:' || p.id
        where p.balance <> coalesce(l.sum, 0)`,
  );
  return {
    balanced: unbalanced.length === 0 && Number(total?.total ?? 0) === 0,
    unbalancedTransactions: unbalanced.map((r) => r.transaction_id),
    total: Number(total?.total ?? 0),
    balanceMismatches: mismatches.map((m) => ({
      participantId: m.id,
      balance: Number(m.balance),
      ledger: Number(m.ledger),
    })),
  };
}
