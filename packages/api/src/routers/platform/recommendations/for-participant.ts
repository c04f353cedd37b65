import { ZRecommendationsInputSchema, ZRecommendationsSchema } from '@latih/contracts';
import { recommendationsFor } from '@latih/core';
import { platformProcedure } from '../../../trpc';

export const recommendationsForParticipantRoute = platformProcedure
  .meta({
    scope: 'orders:write',
    openapi: {
      method: 'GET',
      path: '/platform/recommendations',
      tags: ['platform'],
      summary: 'What next for a participant: courses that build on their training, and occupations',
      description:
        'Courses on sale that teach new SKKNI competency units of a standard the participant studied, or prepare for a KBJI occupation unit group a completed course prepared for, each with its reasons; and the occupations their training and those courses lead to. The participant is the one your voucher `voucherId` was sold to; drawn only from courses they completed on vouchers you sold; NOT_FOUND for a voucher that is not yours. The method: docs/guides/recommendations.md.',
      protect: true,
    },
  })
  .input(ZRecommendationsInputSchema)
  .output(ZRecommendationsSchema)
  .query(({ ctx, input }) => recommendationsFor({ db: ctx.db, actor: ctx.actor, input }));
