import { ZBulkAttendanceInputSchema, ZBulkAttendanceResultSchema } from '@latih/contracts';
import { recordAttendanceBulk } from '@latih/core';
import { providerProcedure } from '../../../trpc';

export const recordAttendanceBulkRoute = providerProcedure
  .meta({
    scope: 'reports:write',
    openapi: {
      method: 'POST',
      path: '/provider/attendance/bulk',
      tags: ['provider'],
      summary: 'Record up to 1 000 attendance records',
      description: 'Each validated and recorded on its own, answered per item.',
      protect: true,
    },
  })
  .input(ZBulkAttendanceInputSchema)
  .output(ZBulkAttendanceResultSchema)
  .mutation(({ ctx, input }) =>
    recordAttendanceBulk({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
  );
