import { ZCertificateSchema, ZGetCertificateInputSchema } from '@latih/contracts';
import { getCertificate } from '@latih/core';
import { providerProcedure } from '../../../trpc';

export const getCertificateRoute = providerProcedure
  .meta({
    scope: 'reports:write',
    openapi: {
      method: 'GET',
      path: '/provider/certificates',
      tags: ['provider'],
      summary: 'Get a certificate you issued, with its signed credential',
      description:
        'By number or enrollmentId. The credential is an Open Badges 3.0 OpenBadgeCredential with an ecdsa-jcs-2019 DataIntegrityProof: hand it to the participant; anyone can check it offline against /.well-known/jwks.json.',
      protect: true,
    },
  })
  .input(ZGetCertificateInputSchema)
  .output(ZCertificateSchema)
  .query(({ ctx, input }) => getCertificate({ db: ctx.db, actor: ctx.actor, input }));
