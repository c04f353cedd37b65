import {
  type Db,
  deleteEndedStaffSessions,
  deleteExpiredIdempotencyKeys,
  deleteSupersededCatalogChanges,
  expirePendingCheckouts,
  getSettlementBatch,
} from '@latih/db';
import type { PaymentsClient } from '@latih/payments/client';
import { actorRef } from '../auth/actor';
import { renderCatalogEntries } from '../catalog/view';
import type { DevOtpChannel } from '../marketplace/otp';
import { expireDueBalances, expireDueVouchers } from '../marketplace/vouchers';
import { refreshRecentRollups } from '../oversight/reports';
import { runSignalDetection } from '../oversight/signals';
import { type RegistryVerifier, retryRegistryChecks } from '../participants/registry';
import { maintainPartitions, PARTITION_MONTHS_AHEAD } from '../partitions';
import { BooksDiscrepancyError, booksDiffer, checkBooks } from '../payouts/books';
import { evaluateIncentives } from '../payouts/incentives';
import { reconcileStalePayouts } from '../payouts/reconcile';
import { cutoffOf, previousBusinessDay, runSettlementBatch } from '../payouts/settlements';
import { payDue } from '../payouts/worker';
import { advanceRuns } from '../runs';
import type { Sealer } from '../sealing';
import type { WebhookLookup } from '../webhooks/address';
import { runWebhookWorkerOnce } from '../webhooks/worker';
import type { JobDefinition } from './scheduler';

/** What the scheduled jobs need from their host (the gateway or the worker process). */
export type JobDeps = {
  db: Db;
  /** The payment provider; null where none is configured (the payout jobs then do not run). */
  payments: PaymentsClient | null;
  /** Opens webhook endpoints' signing secrets. */
  webhookSealer: Sealer;
  /** Opens participants' sealed payout destinations. */
  payoutSealer: Sealer;
  /** Tests only: webhook deliveries go through this fetch instead of the address-checked transport. */
  webhookFetch?: typeof fetch;
  /** Development only (WEBHOOKS_ALLOW_PRIVATE): webhooks may go to loopback and private addresses. */
  webhookAllowPrivate?: boolean;
  /** How webhook host names are resolved before the address check (tests); the system's by default. */
  webhookLookup?: WebhookLookup;
  /** Development: the in-memory inbox of one-time codes, pruned with the codes' expiry. */
  otpInbox?: DevOtpChannel | null;
  /** The population registry; null: none configured (queued checks wait). */
  registry?: RegistryVerifier | null;
  /** The key NIKs are hashed with: queued registry checks are sealed under a key derived from it. */
  nikKey?: Buffer;
};

const SYSTEM = actorRef(null, null);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The daily settlement batch runs for yesterday (WIB) from this hour (WIB) on. */
export const SETTLEMENT_BATCH_HOUR_WIB = 1;
/** Payouts unchanged this long are read back from the payment provider (lost webhooks). */
export const RECONCILE_STALE_AFTER_MS = 10 * MINUTE;
/** Where the last read-back stopped (this process): the next goes on from there. */
let reconcileCursor: string | null = null;
/** Ended console sessions are kept this long (for the audit's sake), then deleted. */
export const ENDED_SESSIONS_KEPT_MS = 7 * DAY;

const every = 'every-instance' as const;
const oneAtATime = 'one-at-a-time' as const;

/**
 * THE schedule: every periodic job of the gateway, in one place, with its interval and how it runs
 * once across several gateways and workers. They run inside the gateway by default, or in their own
 * process (`npm run worker`, with `JOBS=off` on the gateways). The order is the order in which a
 * sandbox clock advance runs them once at the new time (runs start before vouchers expire, vouchers
 * expire before balances do, the day's batch is made before payouts are paid, events go out last).
 * docs/operations.md is generated from this list (`npm run docs:jobs`).
 */
export const SCHEDULE: readonly JobDefinition<JobDeps>[] = [
  {
    name: 'partitions.maintain',
    everyMs: HOUR,
    mode: oneAtATime,
    once: 'job lease; making a month that exists is a no-op, and each month is made in a transaction of its own',
    description: `Keeps the month partitions of events, audit_log and attendance made from the current month to ${PARTITION_MONTHS_AHEAD} months ahead (of the program's clock and of the real time), and moves any row that landed in a default partition into its month (see Partitions below).`,
    run: async ({ deps, now }) => {
      const r = await maintainPartitions({ db: deps.db, now });
      return { summary: { created: r.created, moved: r.moved, archivedStray: r.archivedStray } };
    },
  },
  {
    name: 'runs.advance',
    everyMs: 30_000,
    mode: every,
    once: 'runs claimed with FOR UPDATE SKIP LOCKED, 500 a pass',
    description: 'Moves runs OPEN/FULL → RUNNING at the first session and RUNNING → FINISHED after the last.',
    run: async ({ deps, now }) => {
      const advanced = await advanceRuns({ db: deps.db, now });
      return { busy: advanced >= 500, summary: { advanced } };
    },
  },
  {
    name: 'vouchers.expire',
    everyMs: MINUTE,
    mode: every,
    once: 'vouchers claimed with FOR UPDATE SKIP LOCKED, 500 a pass; each closes only if still ISSUED',
    description:
      'Unredeemed vouchers past their redemption window expire: the price back to the balance, the seat back to the run.',
    run: async ({ deps, now }) => {
      const r = await expireDueVouchers({ db: deps.db, now, limit: 500 });
      return { busy: r.busy, summary: { expired: r.expired, deferred: r.deferred } };
    },
  },
  {
    name: 'balances.expire',
    everyMs: MINUTE,
    mode: every,
    once: 'participants claimed with FOR UPDATE SKIP LOCKED, 500 a pass',
    description: 'Balances past the purchase window go back to the program fund.',
    run: async ({ deps, now }) => {
      const r = await expireDueBalances({ db: deps.db, now, limit: 500 });
      return { busy: r.busy, summary: { expired: r.expired, returned: r.returned } };
    },
  },
  {
    name: 'otp.expire',
    everyMs: 5 * MINUTE,
    mode: every,
    once: 'checkouts claimed with FOR UPDATE SKIP LOCKED; each closes only if still PENDING',
    description:
      'Checkouts whose one-time code expired become EXPIRED and lose the code’s hash; the development inbox forgets old codes.',
    run: async ({ deps, now }) => {
      const expired = await expirePendingCheckouts(deps.db, now, 1_000);
      const pruned = deps.otpInbox?.prune(Date.now() - HOUR) ?? 0;
      return { busy: expired >= 1_000, summary: { expired, pruned } };
    },
  },
  {
    name: 'registry.retry',
    everyMs: 30_000,
    mode: every,
    once: 'queued checks claimed with FOR UPDATE SKIP LOCKED and a 2-minute lease, 100 a pass; a verdict applies only to a participant still PENDING',
    description:
      'Asks the population registry again about participants left PENDING (it was unavailable at import or at a re-check): a verdict makes them VERIFIED or BLOCKED and deletes the queued, sealed NIK; no verdict backs off (30 s doubling to an hour), for as long as they are PENDING. Off where no registry is configured (REGISTRY_BASE_URL): the queue then waits.',
    enabled: (deps) => Boolean(deps.registry && deps.nikKey),
    needs: 'a population registry',
    run: async ({ deps, now }) => {
      if (!deps.registry || !deps.nikKey) return {};
      const r = await retryRegistryChecks({ db: deps.db, registry: deps.registry, nikKey: deps.nikKey, now });
      return {
        busy: r.busy,
        summary: { claimed: r.claimed, verified: r.verified, blocked: r.blocked, unavailable: r.unavailable },
      };
    },
  },
  {
    name: 'settlements.batch',
    everyMs: MINUTE,
    mode: oneAtATime,
    once: 'job lease, and the batch takes a table lock and is made once per day',
    description: `Yesterday’s settlement batch (WIB), once ${SETTLEMENT_BATCH_HOUR_WIB}:00 WIB has passed: accrues what became payable and makes one PENDING settlement per organisation.`,
    enabled: (deps) => deps.payments !== null,
    run: async ({ deps, now }) => {
      const day = previousBusinessDay(now);
      if (now.getTime() < cutoffOf(day).getTime() + SETTLEMENT_BATCH_HOUR_WIB * HOUR) return {};
      if (await getSettlementBatch(deps.db, day)) return {};
      const batch = await runSettlementBatch({ db: deps.db, actor: SYSTEM, now, date: day });
      return {
        summary: { settlements: batch.settlementCount, items: batch.itemCount, accrued: batch.accrued },
      };
    },
  },
  {
    name: 'incentives.evaluate',
    everyMs: MINUTE,
    mode: oneAtATime,
    once: 'job lease; each incentive row is written once (unique per participant, kind and instalment); a WAITING survey incentive moves only from WAITING',
    description:
      'Finds participants who completed a training and reviewed it: their incentive instalments become ELIGIBLE, each due a month after the previous one. Survey incentives waiting for a review or a payout account become ELIGIBLE once both are there.',
    enabled: (deps) => deps.payments !== null,
    run: async ({ deps, now }) => {
      const r = await evaluateIncentives({ db: deps.db, actor: SYSTEM, now });
      return {
        summary: {
          eligible: r.eligible,
          waiting: r.waiting,
          surveyIncentivesEligible: r.surveyIncentivesEligible,
        },
      };
    },
  },
  {
    name: 'payouts.pay',
    everyMs: 5_000,
    mode: every,
    once: 'settlements and incentives claimed with SKIP LOCKED and a lease; idempotency keys at the provider',
    description: 'Pays PENDING settlements and due ELIGIBLE incentives through the payment provider.',
    enabled: (deps) => deps.payments !== null,
    run: async ({ deps, now, log }) => {
      if (!deps.payments) return {};
      const r = await payDue({ db: deps.db, payments: deps.payments, sealer: deps.payoutSealer, now, log });
      return { busy: r.settlements >= 20 || r.incentives >= 20, summary: r };
    },
  },
  {
    name: 'payouts.reconcile',
    everyMs: 10 * MINUTE,
    mode: oneAtATime,
    once: 'job lease; applying a payout state is a conditional update',
    description:
      'Reads back from the payment provider the payouts in flight unchanged for 10 minutes and those paid in the last 7 days (a bank may return a paid payout), in pages of 100, and applies what changed: a lost notification is recovered here.',
    enabled: (deps) => deps.payments !== null,
    run: async ({ deps, now }) => {
      if (!deps.payments) return {};
      const r = await reconcileStalePayouts({
        db: deps.db,
        payments: deps.payments,
        now,
        staleAfterMs: RECONCILE_STALE_AFTER_MS,
        after: reconcileCursor,
      });
      reconcileCursor = r.nextCursor;
      // More due than one page: go on from the cursor at once; the sweep ends when it comes back null.
      return {
        busy: r.nextCursor !== null,
        summary: {
          due: r.due,
          checked: r.checked,
          applied: r.applied.length,
          mismatches: r.mismatches.length,
          remaining: r.remaining,
        },
      };
    },
  },
  {
    name: 'ledger.check',
    everyMs: HOUR,
    mode: oneAtATime,
    once: 'job lease; it only reads',
    description:
      'Checks the books against the rows they stand for: every ledger transaction balances and all entries sum to zero, each participant’s balance equals their account, every settlement’s and incentive’s money is in the payouts account its state names, and each payable and receivable account holds what the unsettled lines and recoveries say. A difference fails the run, so the job-failing alert fires; the error counts each kind and the log names the first five of each.',
    run: async ({ deps, log }) => {
      const books = await checkBooks(deps.db);
      if (booksDiffer(books)) {
        log.warn(
          { job: 'ledger.check', examples: books.examples },
          'the books differ from the rows they stand for',
        );
        throw new BooksDiscrepancyError(books);
      }
      return {
        summary: {
          unbalancedTransactions: 0,
          balanceMismatches: 0,
          payoutMismatches: 0,
          accountMismatches: 0,
        },
      };
    },
  },
  {
    name: 'reports.rollups',
    everyMs: MINUTE,
    mode: oneAtATime,
    once: 'job lease',
    description:
      'Rebuilds the report rollups (WIB days) that the PMO reports, the public statistics and the providers’ own figures read: yesterday, today, and every day since its last run (after a stop, or a sandbox clock moved ahead, nothing is skipped).',
    run: async ({ deps, now }) => {
      const { from, to } = await refreshRecentRollups(deps.db, now);
      return { summary: { days: Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000) + 1 } };
    },
  },
  {
    name: 'signals.detect',
    everyMs: HOUR,
    mode: oneAtATime,
    once: 'job lease; a signal is one row per pattern and subject',
    description:
      'Runs the fraud-signal detectors over the last 30 days, incrementally: only the patterns of rows written since the previous pass (or left behind by the window) are re-evaluated; the first pass, and the first after a rule change, is a full one.',
    run: async ({ deps, now, log }) => {
      const found = await runSignalDetection({ db: deps.db, now, incremental: true });
      if (found.created > 0) log.warn(found, 'new fraud signals');
      return {
        summary: {
          // 1: only what changed since the previous pass was re-evaluated; 0: a full pass.
          incremental: found.mode === 'INCREMENTAL' ? 1 : 0,
          created: found.created,
          updated: found.updated,
          seen: found.seen,
          keys: Object.values(found.keys).reduce((a, b) => a + b, 0),
          rows: found.rows ?? 0,
        },
      };
    },
  },
  {
    name: 'idempotency.cleanup',
    everyMs: HOUR,
    mode: oneAtATime,
    once: 'job lease; deletes are idempotent',
    description: 'Deletes idempotency keys past their 24 hours.',
    run: async ({ deps, now }) => {
      const deleted = await deleteExpiredIdempotencyKeys(deps.db, now);
      return { busy: deleted >= 5_000, summary: { deleted } };
    },
  },
  {
    name: 'catalog.compact',
    everyMs: HOUR,
    mode: oneAtATime,
    once: 'job lease; deletes are idempotent',
    description:
      'Deletes catalog changes superseded by a later change of the same course (the feed serves a course at its latest change only), so the feed’s table stays near one row per course however often seats change.',
    run: async ({ deps }) => {
      const deleted = await deleteSupersededCatalogChanges(deps.db, 10_000);
      return { busy: deleted >= 10_000, summary: { deleted } };
    },
  },
  {
    name: 'catalog.render',
    // Every 5 s, and again at once while more wait: the feed renders what is not stored yet itself,
    // so this only decides how soon a change is served from storage.
    everyMs: 5_000,
    mode: oneAtATime,
    once: 'job lease; an entry is only ever replaced by one rendered in a later snapshot',
    description:
      'Follows the catalog change feed and stores each changed course as the feed shows it (catalog_entries), so the feed splices it into its pages instead of building it per request (docs/adr/0009); up to 2 000 changes a run, again at once while more wait. A change to the view starts it again from the beginning.',
    run: async ({ deps }) => {
      const r = await renderCatalogEntries({ db: deps.db, max: 2_000 });
      return { busy: r.more, summary: { rendered: r.rendered } };
    },
  },
  {
    name: 'sessions.cleanup',
    everyMs: HOUR,
    mode: oneAtATime,
    once: 'job lease; deletes are idempotent',
    description: 'Deletes console sessions that expired over 7 days ago (signed-out ones included).',
    // Sessions live in real time (security never reads the sandbox clock).
    run: async ({ deps }) => {
      const deleted = await deleteEndedStaffSessions(deps.db, new Date(), ENDED_SESSIONS_KEPT_MS, 5_000);
      return { busy: deleted >= 5_000, summary: { deleted } };
    },
  },
  {
    name: 'webhooks.deliver',
    everyMs: 1_000,
    mode: every,
    once: 'events fanned out and deliveries claimed with FOR UPDATE SKIP LOCKED and a lease',
    description:
      'Fans new events out to the webhook endpoints that want them and sends what is due, retrying with backoff for 3 days.',
    run: async ({ deps, now, log }) => {
      const r = await runWebhookWorkerOnce({
        db: deps.db,
        now,
        signedAt: new Date(),
        sealer: deps.webhookSealer,
        log,
        allowPrivate: deps.webhookAllowPrivate === true,
        ...(deps.webhookLookup ? { lookup: deps.webhookLookup } : {}),
        ...(deps.webhookFetch ? { fetch: deps.webhookFetch } : {}),
      });
      return { busy: r.events >= 500 || r.deliveries >= 50, summary: r };
    },
  },
];

export type JobName = (typeof SCHEDULE)[number]['name'];
