import { ZListVouchersInputSchema, ZVoucherPageSchema } from '@latih/contracts';
import { listVouchers } from '@latih/core';
import { platformProcedure } from '../../../trpc';

export const listVouchersRoute = platformProcedure
  .meta({
    scope: 'orders:write',
    openapi: {
      method: 'GET',
      path: '/platform/vouchers',
      tags: ['platform'],
      summary: 'List your sales',
      description: 'Vouchers you sold, newest first, cursor-paginated; filter by status.',
      protect: true,
    },
  })
  .input(ZListVouchersInputSchema.optional())
  .output(ZVoucherPageSchema)
  .query(({ ctx, input }) =>
    listVouchers({ db: ctx.db, actor: ctx.actor, input: input ?? ZListVouchersInputSchema.parse({}) }),
  );
