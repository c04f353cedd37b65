import { ZCreateRunInputSchema, ZRunSchema } from '@latih/contracts';
import { createRun } from '@latih/core';
import { providerProcedure } from '../../../trpc';

export const createRunRoute = providerProcedure
  .meta({
    scope: 'catalog:write',
    openapi: {
      method: 'POST',
      path: '/provider/runs',
      tags: ['provider'],
      summary: 'Schedule a run of a course',
      description:
        'Sessions with sequence, start and end (UTC), time zone, mode (hybrid), venue (luring: official regency code, coordinates) or meeting link (online). No overlap; total hours equal the course hours. Starts SCHEDULED.',
      protect: true,
    },
  })
  .input(ZCreateRunInputSchema)
  .output(ZRunSchema)
  .mutation(({ ctx, input }) =>
    createRun({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
  );
