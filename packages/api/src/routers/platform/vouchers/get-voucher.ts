import { ZVoucherIdInputSchema, ZVoucherSchema } from '@latih/contracts';
import { getVoucher } from '@latih/core';
import { platformProcedure } from '../../../trpc';

export const getVoucherRoute = platformProcedure
  .meta({
    scope: 'orders:write',
    openapi: {
      method: 'GET',
      path: '/platform/vouchers/{id}',
      tags: ['platform'],
      summary: 'Get one of your vouchers',
      description: 'Its state, course, run and last four characters; never the code.',
      protect: true,
    },
  })
  .input(ZVoucherIdInputSchema)
  .output(ZVoucherSchema)
  .query(({ ctx, input }) => getVoucher({ db: ctx.db, actor: ctx.actor, id: input.id }));
