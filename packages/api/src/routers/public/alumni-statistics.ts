import {
  type TAlumniStatistics,
  ZAlumniStatisticsInputSchema,
  ZAlumniStatisticsSchema,
} from '@latih/contracts';
import { alumniStatistics } from '@latih/core';
import { servicesOf } from '../../context';
import { publicProcedure } from '../../trpc';

const TTL_MS = 5 * 60_000;
const caches = new WeakMap<object, Map<string, { at: number; value: TAlumniStatistics }>>();

export const alumniStatisticsRoute = publicProcedure
  .meta({
    reads: 'replica',
    openapi: {
      method: 'GET',
      path: '/public/statistics/alumni',
      tags: ['public'],
      summary: 'Alumni and alumni-community members by region',
      description:
        'Participants who completed a course, and those of them who joined an alumni community, by the region they registered in: by province, or by regency/city within `provinceCode`; with the communities formed there. No authentication and no personal data: a count under 10 people is withheld (null), and so is a second where one alone would be given away by the total.',
    },
  })
  .input(ZAlumniStatisticsInputSchema)
  .output(ZAlumniStatisticsSchema)
  .query(async ({ ctx, input }) => {
    const s = servicesOf(ctx);
    // Anyone may ask, and the answer reads every alumnus: kept five minutes per question and gateway.
    let cache = caches.get(s.db);
    if (!cache) {
      cache = new Map();
      caches.set(s.db, cache);
    }
    const key = JSON.stringify(input);
    const hit = cache.get(key);
    if (hit && s.now() - hit.at < TTL_MS) return hit.value;
    const value = await alumniStatistics({ db: ctx.db, input, now: new Date(s.now()) });
    if (cache.size >= 1000) cache.clear();
    cache.set(key, { at: s.now(), value });
    return value;
  });
