import { ZEventPageSchema, ZListEventsInputSchema } from '@latih/contracts';
import { listEvents } from '@latih/core';
import { anyRoleProcedure } from '../../trpc';

export const listEventsRoute = anyRoleProcedure
  .meta({
    openapi: {
      method: 'GET',
      path: '/events',
      tags: ['events'],
      summary: 'Your events, oldest first, for polling',
      description:
        'The same events webhooks deliver, addressed to your organisation. Keep nextCursor and poll with it: an event committed late still appears after it, never behind. Deduplicate on the event id.',
      protect: true,
    },
  })
  .input(ZListEventsInputSchema)
  .output(ZEventPageSchema)
  .query(({ ctx, input }) => listEvents({ db: ctx.db, actor: ctx.actor, input }));
