import { checkLedger, type Db, payoutLedgerMismatches, receivableLedgerMismatches } from '@latih/db';

/** What the scheduled books check found: counts per kind of difference, and the first of each. */
export type BooksCheck = {
  /** Ledger transactions whose entries do not sum to zero. */
  unbalancedTransactions: number;
  /** The sum of every entry (0 when the books balance). */
  ledgerTotal: number;
  /** Participants whose balance column differs from their ledger account. */
  balanceMismatches: number;
  /** Settlements and incentives whose money is not in the payouts account their state names. */
  payoutMismatches: number;
  /** Payable and receivable accounts that differ from the unsettled lines and recoveries. */
  accountMismatches: number;
  /** Up to five of each, for the log only (ids, accounts and amounts; no personal data). */
  examples: string[];
};

/**
 * The books, checked against the rows they stand for: every transaction balances, each
 * participant's balance is their account, the payouts accounts hold what settlements and incentives
 * say, and payable and receivable accounts what the unsettled lines say. Read-only.
 */
export async function checkBooks(db: Db): Promise<BooksCheck> {
  const ledger = await checkLedger(db);
  const payouts = await payoutLedgerMismatches(db);
  const accounts = await receivableLedgerMismatches(db);
  const examples = [
    ...ledger.unbalancedTransactions.slice(0, 5).map((id) => `transaction ${id} does not balance`),
    ...ledger.balanceMismatches
      .slice(0, 5)
      .map((m) => `participant ${m.participantId}: balance ${m.balance}, ledger ${m.ledger}`),
    ...payouts.slice(0, 5).map((p) => `${p.id} (${p.status}): money not in payouts:${p.status}`),
    ...accounts.slice(0, 5).map((a) => `${a.account}: ledger ${a.ledger}, expected ${a.expected}`),
  ];
  return {
    unbalancedTransactions: ledger.unbalancedTransactions.length,
    ledgerTotal: ledger.total,
    balanceMismatches: ledger.balanceMismatches.length,
    payoutMismatches: payouts.length,
    accountMismatches: accounts.length,
    examples,
  };
}

/**
 * A books check that found differences: the job fails with it (the job-failing alert). Its message
 * holds counts only, since /readyz shows a job's last failure; the examples go to the log.
 */
export class BooksDiscrepancyError extends Error {
  constructor(readonly found: BooksCheck) {
    const parts = [
      found.unbalancedTransactions && `${found.unbalancedTransactions} unbalanced transactions`,
      found.ledgerTotal && `ledger total ${found.ledgerTotal} (not 0)`,
      found.balanceMismatches && `${found.balanceMismatches} participant balances differ from their accounts`,
      found.payoutMismatches && `${found.payoutMismatches} payouts not where their state says`,
      found.accountMismatches && `${found.accountMismatches} payable/receivable accounts differ`,
    ].filter(Boolean);
    super(`books check: ${parts.join('; ')}`);
    this.name = 'BooksDiscrepancyError';
  }
}

export const booksDiffer = (b: BooksCheck) =>
  b.unbalancedTransactions + b.balanceMismatches + b.payoutMismatches + b.accountMismatches > 0 ||
  b.ledgerTotal !== 0;
