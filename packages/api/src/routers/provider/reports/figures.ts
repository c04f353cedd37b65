import { ZOwnFiguresInputSchema, ZOwnFiguresSchema } from '@latih/contracts';
import { ownFigures } from '@latih/core';
import { providerProcedure } from '../../../trpc';

export const ownFiguresRoute = providerProcedure
  .meta({
    scope: 'reports:write',
    reads: 'replica',
    openapi: {
      method: 'GET',
      path: '/provider/reports/figures',
      tags: ['provider'],
      summary: 'Your own figures: the scorecard the program office sees for you, by course, with the trend',
      description:
        'Sold, redeemed, completed, completion rate, median days to complete, attendance confirmation, identity-check failures, rating and refunds over a period (WIB days, `to` exclusive), for you and each of your courses, and the trend by day, week or month. The same rollups the program office reads.',
      protect: true,
    },
  })
  .input(ZOwnFiguresInputSchema)
  .output(ZOwnFiguresSchema)
  .query(({ ctx, input }) => ownFigures({ db: ctx.db, actor: ctx.actor, input }));
