import { ZAttendanceInputSchema, ZAttendanceSchema } from '@latih/contracts';
import { recordAttendance } from '@latih/core';
import { providerProcedure } from '../../../trpc';

export const recordAttendanceRoute = providerProcedure
  .meta({
    scope: 'reports:write',
    openapi: {
      method: 'POST',
      path: '/provider/attendance',
      tags: ['provider'],
      summary: 'Record attendance for one session',
      description:
        'Per enrollment and session sequence, with status (CONFIRMED, UNCONFIRMED, REJECTED, VOIDED with a reason), your own check’s method (PROVIDER_FACE_CHECK, VENUE_QR, ONLINE_PRESENCE, MANUAL), device and IP. Recording again replaces it, except a session the identity check decided (FACE_MATCH comes only from verificationLink’s hand-off).',
      protect: true,
    },
  })
  .input(ZAttendanceInputSchema)
  .output(ZAttendanceSchema)
  .mutation(({ ctx, input }) =>
    recordAttendance({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
  );
