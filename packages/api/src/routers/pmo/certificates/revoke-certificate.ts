import { ZCertificateSchema, ZRevokeCertificateInputSchema } from '@latih/contracts';
import { revokeCertificate } from '@latih/core';
import { pmoProcedure } from '../../../trpc';

export const pmoRevokeCertificateRoute = pmoProcedure
  .meta({
    scope: 'pmo:write',
    openapi: {
      method: 'POST',
      path: '/pmo/certificates/revoke',
      tags: ['pmo'],
      summary: 'Revoke any certificate, with a reason',
      description: 'For fraud or a voided completion. The provider is told by a certificate.revoked event.',
      protect: true,
    },
  })
  .input(ZRevokeCertificateInputSchema)
  .output(ZCertificateSchema)
  .mutation(({ ctx, input }) =>
    revokeCertificate({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
  );
