import { ZAdvanceTestClockInputSchema, ZTestClockSchema } from '@latih/contracts';
import { advanceTestClock, getTestClock, systemClock } from '@latih/core';
import { z } from 'zod';
import { servicesOf } from '../../context';
import { anyRoleProcedure, router } from '../../trpc';
import { issueTestCodesRoute } from './test-codes';

const sandboxNote =
  'Sandboxes only (any gateway outside production; TEST_CLOCK_DISABLED in production). The clock is shared by everyone on the sandbox.';

export const getTestClockRoute = anyRoleProcedure
  .meta({
    openapi: {
      method: 'GET',
      path: '/sandbox/clock',
      tags: ['sandbox'],
      summary: "The sandbox's test clock",
      description: `The program's time as every rule and scheduled job reads it, how far it runs ahead of real time, and whether the jobs have caught up with the last advance. ${sandboxNote}`,
      protect: true,
    },
  })
  .input(z.object({}).optional())
  .output(ZTestClockSchema)
  .query(({ ctx }) => getTestClock({ db: ctx.db, clock: servicesOf(ctx).clock ?? systemClock }));

export const advanceTestClockRoute = anyRoleProcedure
  .meta({
    openapi: {
      method: 'POST',
      path: '/sandbox/clock/advance',
      tags: ['sandbox'],
      summary: 'Move the sandbox clock forward',
      description: `Moves the program's time to \`to\` or by \`seconds\` (forward only, at most 400 days at once). Every scheduled job then runs once at the new time, in schedule order: the clock answers ADVANCING until they have, then READY (poll GET /sandbox/clock). Windows open and close, vouchers and balances expire, the day settles and is paid, instalments fall due. Audited. ${sandboxNote}`,
      protect: true,
    },
  })
  .input(ZAdvanceTestClockInputSchema)
  .output(ZTestClockSchema)
  .mutation(({ ctx, input }) =>
    advanceTestClock({
      db: ctx.db,
      clock: servicesOf(ctx).clock ?? systemClock,
      actor: ctx.actor,
      requestId: ctx.requestId,
      input,
    }),
  );

export const sandboxRouter = router({
  clock: router({ get: getTestClockRoute, advance: advanceTestClockRoute }),
  testCodes: router({ issue: issueTestCodesRoute }),
});
