import { ZGetCourseInputSchema, ZIndicatorSchema } from '@latih/contracts';
import { ownCourseIndicators } from '@latih/core';
import { z } from 'zod';
import { providerProcedure } from '../../../trpc';

export const courseIndicatorsRoute = providerProcedure
  .meta({
    scope: 'catalog:read',
    openapi: {
      method: 'GET',
      path: '/provider/courses/{id}/indicators',
      tags: ['provider'],
      summary: 'The curation indicators of one of your courses',
      description:
        "The automatic checklist the program's reviewer sees beside your course (scheme hours, price and mode, outcomes, competencies, completion rule, certificate, runs, session hours, venues, price per hour, look-alikes among your own courses), computed the same way, for the open revision when there is one (`content: REVISION`), else the course. Indicators inform; reviewers decide.",
      protect: true,
    },
  })
  .input(ZGetCourseInputSchema)
  .output(z.object({ content: z.enum(['COURSE', 'REVISION']), indicators: z.array(ZIndicatorSchema) }))
  .query(({ ctx, input }) =>
    ownCourseIndicators({ db: ctx.db, actor: ctx.actor, id: input.id, now: ctx.now }),
  );
