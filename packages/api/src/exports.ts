import { AppError } from '@latih/contracts';
import { servicesHandle, servicesOf } from './context';
import type { ApiContext } from './context-types';
import { appRouter } from './router';
import { createCallerFactory } from './trpc';

/*
 * CSV exports of reports, lists and statistics. Each export pages through the same procedure the
 * JSON API serves (same auth, scopes, validation and isolation) and writes each page as it comes,
 * so a million rows never sit in memory. Served as GET /v1/{pmo|public|provider}/exports/{name}.csv.
 * With a read replica, every page is read there while it serves (see replica-reads in trpc.ts).
 */

const createCaller = createCallerFactory(appRouter);
type Caller = ReturnType<typeof createCaller>;
type Row = Record<string, unknown>;
type Page = { rows: Row[]; next: string | null };
type Query = Record<string, unknown>;

type ExportDef = {
  audience: 'pmo' | 'public' | 'provider';
  summary: string;
  columns: string[];
  page: (api: Caller, query: Query, cursor: string | undefined) => Promise<Page>;
};

const withCursor = (query: Query, cursor: string | undefined, limit: number) => ({
  ...query,
  limit,
  ...(cursor ? { cursor } : {}),
});
const pageOf = (p: { items: unknown[]; nextCursor: string | null }): Page => ({
  rows: p.items as Row[],
  next: p.nextCursor,
});

const SCORECARD = [
  'providerId',
  'providerName',
  'courseId',
  'courseTitle',
  'vouchersSold',
  'vouchersRedeemed',
  'completed',
  'notCompleted',
  'completionRate',
  'medianDaysToComplete',
  'attendanceConfirmationRate',
  'identityCheckFailureRate',
  'ratingAverage',
  'ratingCount',
  'refunds',
  'refundAmount',
  'openCases',
];
const STATISTICS = [
  'key',
  'label',
  'participants',
  'completions',
  'certificates',
  'incentivesPaid',
  'incentivesPaidAmount',
];

async function statisticsPage(get: () => Promise<{ rows: unknown[] }>): Promise<Page> {
  return { rows: (await get()).rows as Row[], next: null };
}

export const EXPORTS: Record<string, ExportDef> = {
  'reports/providers': {
    audience: 'pmo',
    summary: 'Provider scorecards (pmo.reports.providers)',
    columns: SCORECARD,
    page: async (api, q, c) => pageOf(await api.pmo.reports.providers(withCursor(q, c, 1000) as never)),
  },
  'reports/courses': {
    audience: 'pmo',
    summary: 'Course scorecards (pmo.reports.courses)',
    columns: SCORECARD,
    page: async (api, q, c) => pageOf(await api.pmo.reports.courses(withCursor(q, c, 1000) as never)),
  },
  'reports/platforms': {
    audience: 'pmo',
    summary: 'Platform report (pmo.reports.platforms)',
    columns: ['platformId', 'platformName', 'sales', 'salesAmount', 'refunds', 'refundAmount', 'commission'],
    page: async (api, q, c) => pageOf(await api.pmo.reports.platforms(withCursor(q, c, 1000) as never)),
  },
  statistics: {
    audience: 'pmo',
    summary: 'Statistics in full (pmo.statistics)',
    columns: STATISTICS,
    page: (api, q) => statisticsPage(() => api.pmo.statistics(q as never)),
  },
  signals: {
    audience: 'pmo',
    summary: 'Fraud signals (pmo.signals.list), without their evidence rows',
    columns: [
      'id',
      'type',
      'subjectType',
      'subjectId',
      'providerId',
      'score',
      'status',
      'caseId',
      'summary',
      'firstSeenAt',
      'lastSeenAt',
    ],
    page: async (api, q, c) => pageOf(await api.pmo.signals.list(withCursor(q, c, 100) as never)),
  },
  cases: {
    audience: 'pmo',
    summary: 'Control cases (pmo.cases.list)',
    columns: [
      'id',
      'subjectType',
      'subjectId',
      'providerId',
      'signalId',
      'status',
      'summary',
      'decision.outcome',
      'decision.reason',
      'createdAt',
      'updatedAt',
    ],
    page: async (api, q, c) => pageOf(await api.pmo.cases.list(withCursor(q, c, 100) as never)),
  },
  audit: {
    audience: 'pmo',
    summary: 'The audit log (pmo.audit.list)',
    columns: [
      'id',
      'occurredAt',
      'actorOrganisationId',
      'actorClientId',
      'action',
      'entityType',
      'entityId',
      'fromState',
      'toState',
      'requestId',
      'data',
    ],
    page: async (api, q, c) => pageOf(await api.pmo.audit.list(withCursor(q, c, 100) as never)),
  },
  'webhooks/deliveries': {
    audience: 'pmo',
    summary: 'Every partner’s webhook deliveries (pmo.webhooks.deliveries)',
    columns: [
      'id',
      'organisationId',
      'endpointId',
      'url',
      'eventId',
      'eventType',
      'status',
      'attempts',
      'lastStatusCode',
      'lastError',
      'lastAttemptAt',
      'nextAttemptAt',
      'deliveredAt',
      'createdAt',
    ],
    page: async (api, q, c) => pageOf(await api.pmo.webhooks.deliveries(withCursor(q, c, 100) as never)),
  },
  organisations: {
    audience: 'pmo',
    summary: 'Organisations (pmo.organisations.list)',
    columns: ['id', 'kind', 'name', 'status', 'createdAt', 'updatedAt'],
    page: async (api, q, c) => pageOf(await api.pmo.organisations.list(withCursor(q, c, 100) as never)),
  },
  settlements: {
    audience: 'pmo',
    summary: 'Settlements (pmo.settlements.list)',
    columns: [
      'id',
      'organisationId',
      'role',
      'batchDate',
      'amount',
      'itemCount',
      'status',
      'failure.code',
      'failure.message',
      'paidAt',
    ],
    page: async (api, q, c) => pageOf(await api.pmo.settlements.list(withCursor(q, c, 100) as never)),
  },
  incentives: {
    audience: 'pmo',
    summary: 'Incentives (pmo.incentives.list)',
    columns: [
      'id',
      'participantId',
      'instalment',
      'instalments',
      'amount',
      'status',
      'missing',
      'dueAt',
      'failure.code',
      'failure.message',
      'paidAt',
    ],
    page: async (api, q, c) => pageOf(await api.pmo.incentives.list(withCursor(q, c, 100) as never)),
  },
  'provider/enrollments': {
    audience: 'provider',
    summary: 'Your class rosters (provider.enrollments.list): filter by runId, courseId, status, session',
    columns: [
      'enrollmentId',
      'participant.id',
      'participant.name',
      'courseId',
      'runId',
      'status',
      'redeemedAt',
      'completedAt',
      'sessions',
      'sessionsConfirmed',
      'attendancePercent',
      'missing',
      'session.sequence',
      'session.status',
      'session.method',
    ],
    page: async (api, q, c) => pageOf(await api.provider.enrollments.list(withCursor(q, c, 100) as never)),
  },
  'public/statistics': {
    audience: 'public',
    summary: 'Open statistics (public.statistics), small cells withheld',
    columns: STATISTICS,
    page: (api, q) => statisticsPage(() => api.public.statistics(q as never)),
  },
};

/** One CSV field (RFC 4180), with spreadsheet formula injection defused. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  let s = typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const pick = (row: Row, path: string): unknown =>
  path.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Row)[k] : undefined), row);

/** What `backpressureWriter` needs of a response: a Node writable stream. */
type Sink = {
  write(chunk: string): boolean;
  on(event: 'close', fn: () => void): unknown;
  once(event: 'close' | 'drain', fn: () => void): unknown;
  off(event: 'close' | 'drain', fn: () => void): unknown;
};

/**
 * A `write` for `streamExport` that honours backpressure: it resolves at once while the socket
 * takes data, otherwise on `drain`; it rejects once the client has gone. It waits for whichever
 * comes first and takes the other listener off, so a long export (many drains) does not pile up
 * a `close` listener per wait.
 */
export function backpressureWriter(
  res: Sink,
): ((chunk: string) => Promise<void>) & { closed: () => boolean } {
  let closed = false;
  res.on('close', () => {
    closed = true;
  });
  const write = (chunk: string) =>
    new Promise<void>((resolve, reject) => {
      if (closed) return reject(new Error('client went away'));
      if (res.write(chunk)) return resolve();
      const onDrain = () => {
        res.off('close', onClose);
        resolve();
      };
      const onClose = () => {
        res.off('drain', onDrain);
        reject(new Error('client went away'));
      };
      res.once('drain', onDrain);
      res.once('close', onClose);
    });
  return Object.assign(write, { closed: () => closed });
}

/**
 * Streams an export: the header line first, then one line per row, page by page. `write` should
 * wait for the socket to drain (backpressure). Errors before the first row throw (an HTTP error
 * can still be sent); later ones reject so the caller can cut the response short.
 */
export async function streamExport(opts: {
  name: string;
  ctx: ApiContext;
  query: Query;
  write: (chunk: string) => Promise<void>;
  onStart?: () => void;
}): Promise<{ rows: number }> {
  const def = EXPORTS[opts.name];
  if (!def) throw new AppError('ROUTE_NOT_FOUND');
  // Every page reads from the read replica while it serves (DATABASE_READ_URL): an export is a long
  // read that need not see the last second's writes. Authentication still reads the primary.
  const services = servicesOf(opts.ctx);
  const api = createCaller(
    services.replica
      ? { ...opts.ctx, services: servicesHandle({ ...services, readsFromReplica: true }) }
      : opts.ctx,
  );
  const query = Object.fromEntries(
    Object.entries(opts.query).filter(([k]) => k !== 'cursor' && k !== 'limit'),
  );
  let cursor: string | undefined;
  let rows = 0;
  let started = false;
  do {
    const page = await def.page(api, query, cursor);
    if (!started) {
      opts.onStart?.();
      await opts.write(`${def.columns.join(',')}\r\n`);
      started = true;
    }
    if (page.rows.length > 0) {
      await opts.write(
        page.rows.map((r) => `${def.columns.map((c) => csvField(pick(r, c))).join(',')}\r\n`).join(''),
      );
      rows += page.rows.length;
    }
    cursor = page.next ?? undefined;
  } while (cursor);
  return { rows };
}
