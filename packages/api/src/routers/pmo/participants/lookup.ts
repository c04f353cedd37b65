import {
  ZParticipantLookupInputSchema,
  ZParticipantLookupSchema,
  ZParticipantSearchPageSchema,
  ZSearchParticipantsInputSchema,
} from '@latih/contracts';
import { participantLookup, searchParticipantsForPmo } from '@latih/core';
import { servicesOf } from '../../../context';
import { pmoProcedure } from '../../../trpc';

const tags = ['pmo', 'participants'];

export const searchParticipantsRoute = pmoProcedure
  .meta({
    scope: 'pmo:read',
    openapi: {
      method: 'GET',
      path: '/pmo/participants',
      tags,
      summary: 'Find participants by card number, NIK, name or regency',
      description:
        'Any of: the card number, the NIK (matched through its keyed hash: neither kept nor logged), the beginning of the name (any case), the regency; together they narrow. Cursor-paginated. Every search is audited (by what, never the values, and who was found).',
      protect: true,
    },
  })
  .input(ZSearchParticipantsInputSchema)
  .output(ZParticipantSearchPageSchema)
  .query(({ ctx, input }) =>
    searchParticipantsForPmo({
      db: ctx.db,
      actor: ctx.actor,
      requestId: ctx.requestId,
      input,
      nikKey: servicesOf(ctx).nikHashKey,
    }),
  );

export const participantLookupRoute = pmoProcedure
  .meta({
    scope: 'pmo:read',
    openapi: {
      method: 'GET',
      path: '/pmo/participants/{id}',
      tags,
      summary:
        'One participant: balance, vouchers, enrollments, incentives, payout account, signals and cases',
      description:
        'What answers "why was my incentive not paid?" without the database: each enrollment with what its completion rule still needs, each incentive instalment with what is missing, the payout account masked, and the fraud signals and control cases that name the participant. The NIK shows its last four digits only. Every view is audited.',
      protect: true,
    },
  })
  .input(ZParticipantLookupInputSchema)
  .output(ZParticipantLookupSchema)
  .query(({ ctx, input }) =>
    participantLookup({
      db: ctx.db,
      actor: ctx.actor,
      requestId: ctx.requestId,
      input,
      nikKey: servicesOf(ctx).nikHashKey,
    }),
  );
