import {
  ZEnrollmentDetailSchema,
  ZEnrollmentIdInputSchema,
  ZListEnrollmentsInputSchema,
  ZRosterPageSchema,
} from '@latih/contracts';
import { getEnrollment, listEnrollments } from '@latih/core';
import { providerProcedure, router } from '../../../trpc';

/** `provider.enrollments.*`: the provider's class rosters, its own enrollments only. */
export const providerEnrollmentsRouter = router({
  list: providerProcedure
    .meta({
      scope: 'reports:write',
      openapi: {
        method: 'GET',
        path: '/provider/enrollments',
        tags: ['provider'],
        summary: 'Your class rosters: who is in each run and what each still needs',
        description:
          "Your enrollments, oldest first, cursor-paginated; filter by run, course and status. Each row says what the course's completion rule still needs (`missing`); with `session` (and a run), that session's attendance too, as a class register. CSV: GET /v1/provider/exports/enrollments.csv with the same filters.",
        protect: true,
      },
    })
    .input(ZListEnrollmentsInputSchema.optional())
    .output(ZRosterPageSchema)
    .query(({ ctx, input }) => listEnrollments({ db: ctx.db, actor: ctx.actor, input: input ?? {} })),
  get: providerProcedure
    .meta({
      scope: 'reports:write',
      openapi: {
        method: 'GET',
        path: '/provider/enrollments/{id}',
        tags: ['provider'],
        summary:
          'One enrollment: attendance per session, tasks and feedback, post-test, certificate, what is missing',
        description:
          "The participant as you may see them (name, the NIK's last four digits), every session of the run with what was recorded, each task with its review, the post-test, the certificate, and what the completion rule still needs.",
        protect: true,
      },
    })
    .input(ZEnrollmentIdInputSchema)
    .output(ZEnrollmentDetailSchema)
    .query(({ ctx, input }) => getEnrollment({ db: ctx.db, actor: ctx.actor, input })),
});
