import { ZCurationQueueInputSchema, ZCurationQueueSchema } from '@latih/contracts';
import { reviewQueue } from '@latih/core';
import { pmoProcedure } from '../../../trpc';

export const curationQueueRoute = pmoProcedure
  .meta({
    scope: 'pmo:read',
    openapi: {
      method: 'GET',
      path: '/pmo/curation/queue',
      tags: ['pmo'],
      summary: 'The review queue',
      description:
        'New courses and edits of published courses waiting for review, oldest first; filter by provider, mode, category and minimum waiting time.',
      protect: true,
    },
  })
  .input(ZCurationQueueInputSchema.optional())
  .output(ZCurationQueueSchema)
  .query(({ ctx, input }) =>
    reviewQueue({
      db: ctx.db,
      actor: ctx.actor,
      input: input ?? ZCurationQueueInputSchema.parse({}),
      now: ctx.now,
    }),
  );
