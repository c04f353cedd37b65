import {
  type TStatistics,
  ZCourseReportInputSchema,
  ZPlatformReportInputSchema,
  ZPlatformReportPageSchema,
  ZProviderReportInputSchema,
  ZProviderTrendInputSchema,
  ZProviderTrendSchema,
  ZRebuildReportsInputSchema,
  ZRebuildReportsResultSchema,
  ZScorecardPageSchema,
  ZStatisticsInputSchema,
  ZStatisticsSchema,
} from '@latih/contracts';
import {
  courseScorecards,
  platformScorecards,
  pmoStatistics,
  providerScorecards,
  providerTrendOf,
  publicStatistics,
  rebuildReports,
} from '@latih/core';
import { servicesOf } from '../../../context';
import { pmoProcedure, publicProcedure, router } from '../../../trpc';

const tags = ['pmo', 'reports'];
const read = (path: `/${string}`, summary: string, description: string) =>
  pmoProcedure.meta({
    scope: 'pmo:read',
    // Reports read the rollups (refreshed every minute) and the statistics: a replica's lag is noise.
    reads: 'replica',
    openapi: { method: 'GET', path, tags, summary, description, protect: true },
  });

/** `pmo.reports.*`: scorecards for any period, from daily rollups. */
export const pmoReportsRouter = router({
  providers: read(
    '/pmo/reports/providers',
    'Provider scorecards for a period',
    'Vouchers sold and redeemed, completions and completion rate, median days to complete, attendance confirmation and identity-check failure rates, ratings, refunds and open cases, per provider. Sort by any figure; filter by provider, status and minimum sales. Also as CSV at /v1/pmo/exports/reports/providers.csv.',
  )
    .input(ZProviderReportInputSchema)
    .output(ZScorecardPageSchema)
    .query(({ ctx, input }) => providerScorecards({ db: ctx.db, actor: ctx.actor, input })),
  courses: read(
    '/pmo/reports/courses',
    'Course scorecards for a period',
    'The same figures per course; filter by provider, course, mode and category.',
  )
    .input(ZCourseReportInputSchema)
    .output(ZScorecardPageSchema)
    .query(({ ctx, input }) => courseScorecards({ db: ctx.db, actor: ctx.actor, input })),
  providerTrend: read(
    '/pmo/reports/providers/{providerId}/trend',
    'One provider over time',
    'Sold, redeemed, completed, completion rate and average rating per day, ISO week or month (WIB), for charts.',
  )
    .input(ZProviderTrendInputSchema)
    .output(ZProviderTrendSchema)
    .query(({ ctx, input }) => providerTrendOf({ db: ctx.db, actor: ctx.actor, input })),
  platforms: read(
    '/pmo/reports/platforms',
    'Platform report for a period',
    'Sales, refunds and commission per platform.',
  )
    .input(ZPlatformReportInputSchema)
    .output(ZPlatformReportPageSchema)
    .query(({ ctx, input }) => platformScorecards({ db: ctx.db, actor: ctx.actor, input })),
  rebuild: pmoProcedure
    .meta({
      scope: 'pmo:write',
      openapi: {
        method: 'POST',
        path: '/pmo/reports/rebuild',
        tags,
        summary: 'Rebuild the report rollups for a range of days',
        description:
          'The worker rebuilds yesterday and today every minute; this is for older days (after an import or a correction).',
        protect: true,
      },
    })
    .input(ZRebuildReportsInputSchema)
    .output(ZRebuildReportsResultSchema)
    .mutation(({ ctx, input }) => rebuildReports({ db: ctx.db, actor: ctx.actor, input, now: ctx.now })),
});

export const pmoStatisticsRoute = read(
  '/pmo/statistics',
  'Program statistics in full',
  'Participants, completions, certificates and incentives paid by province, regency, gender, age band, cohort, mode, category or month; nothing suppressed.',
)
  .input(ZStatisticsInputSchema)
  .output(ZStatisticsSchema)
  .query(({ ctx, input }) => pmoStatistics({ db: ctx.db, actor: ctx.actor, input, now: ctx.now }));

export const publicStatisticsRoute = publicProcedure
  .meta({
    reads: 'replica',
    openapi: {
      method: 'GET',
      path: '/public/statistics',
      tags: ['public'],
      summary: 'Open program statistics',
      description:
        'The same figures as the PMO sees, without authentication and without personal data: any cell counting fewer than 10 people is withheld (null), and so is a second cell where one alone would be given away by the total.',
    },
  })
  .input(ZStatisticsInputSchema)
  .output(ZStatisticsSchema)
  .query(async ({ ctx, input }) => {
    const s = servicesOf(ctx);
    // Anyone may ask, and a national breakdown reads every participant: answers are kept for
    // five minutes per question (per gateway), so repeated calls cost nothing.
    // Per primary handle, not per services object: a CSV export calls with a copy of the services.
    let cache = publicCache.get(s.db);
    if (!cache) {
      cache = new Map();
      publicCache.set(s.db, cache);
    }
    const key = JSON.stringify(input);
    const hit = cache.get(key);
    if (hit && s.now() - hit.at < PUBLIC_TTL_MS) return hit.value;
    const value = await publicStatistics({ db: ctx.db, input, now: new Date(s.now()) });
    if (cache.size >= 1000) cache.clear();
    cache.set(key, { at: s.now(), value });
    return value;
  });

const PUBLIC_TTL_MS = 5 * 60_000;
const publicCache = new WeakMap<object, Map<string, { at: number; value: TStatistics }>>();
