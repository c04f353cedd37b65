import { ZCertificateNumberSchema, ZCertificateVerificationSchema } from '@latih/contracts';
import { verifyCertificateNumber } from '@latih/core';
import { z } from 'zod';
import { servicesOf } from '../../context';
import { publicProcedure } from '../../trpc';

export const verifyCertificateRoute = publicProcedure
  .meta({
    openapi: {
      method: 'GET',
      path: '/public/certificates/{number}',
      tags: ['public'],
      summary: 'Verify a certificate number',
      description:
        'No authentication. VALID or REVOKED (with reason), course, provider, date and the participant’s name masked. The human page is /verify/{number}.',
    },
  })
  .input(z.object({ number: ZCertificateNumberSchema }))
  .output(ZCertificateVerificationSchema)
  .query(({ ctx, input }) => verifyCertificateNumber({ db: servicesOf(ctx).db, number: input.number }));
