import { ZIssueTestCodesInputSchema, ZTestCodesSchema } from '@latih/contracts';
import { issueTestCodes } from '@latih/core';
import { servicesOf } from '../../context';
import { providerProcedure } from '../../trpc';

export const issueTestCodesRoute = providerProcedure
  .meta({
    scope: 'catalog:write',
    openapi: {
      method: 'POST',
      path: '/sandbox/test-codes',
      tags: ['sandbox'],
      summary: 'Test redeem codes for one of your courses',
      description:
        "Sandboxes only (SANDBOX_DISABLED in production). Each code is a real voucher bought through the real checkout for a made-up participant, prefixed PRAT- like the program's sandbox codes; the integration protocol's payment/redeem-code/reset undoes its redemption while the enrollment is still in training.",
      protect: true,
    },
  })
  .input(ZIssueTestCodesInputSchema)
  .output(ZTestCodesSchema)
  .mutation(({ ctx, input }) => {
    const s = servicesOf(ctx);
    return issueTestCodes({
      db: ctx.db,
      actor: ctx.actor,
      requestId: ctx.requestId,
      input,
      nikKey: s.nikHashKey,
      registry: s.registry,
      sandbox: s.integrationSandbox ?? false,
      now: ctx.now,
    });
  });
