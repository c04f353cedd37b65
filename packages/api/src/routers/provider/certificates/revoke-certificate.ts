import { ZCertificateSchema, ZRevokeCertificateInputSchema } from '@latih/contracts';
import { revokeCertificate } from '@latih/core';
import { providerProcedure } from '../../../trpc';

export const revokeCertificateRoute = providerProcedure
  .meta({
    scope: 'reports:write',
    openapi: {
      method: 'POST',
      path: '/provider/certificates/revoke',
      tags: ['provider'],
      summary: 'Revoke a certificate you issued, with a reason',
      description:
        'The verification page and public.certificates.verify then show it REVOKED with the reason. Revocation is final.',
      protect: true,
    },
  })
  .input(ZRevokeCertificateInputSchema)
  .output(ZCertificateSchema)
  .mutation(({ ctx, input }) =>
    revokeCertificate({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
  );
