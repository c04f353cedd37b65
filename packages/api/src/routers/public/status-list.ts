import { ZStatusListCredentialSchema, ZStatusListInputSchema } from '@latih/contracts';
import { statusListCredential } from '@latih/core';
import { servicesOf } from '../../context';
import { publicProcedure } from '../../trpc';

export const statusListRoute = publicProcedure
  .meta({
    openapi: {
      method: 'GET',
      path: '/public/credentials/status/{list}',
      tags: ['public'],
      summary: 'A revocation status list (W3C Bitstring Status List)',
      description:
        'No authentication. The list a certificate’s credentialStatus.statusListCredential names, as it stands now: a BitstringStatusListCredential signed by the program (ecdsa-jcs-2019, key in /.well-known/jwks.json), one bit per certificate, set when it is revoked. Valid for a day from validFrom: fetch it beforehand to verify certificates and passports offline (SDK: fetchPassportMaterial, verifyPassport).',
    },
  })
  .input(ZStatusListInputSchema)
  .output(ZStatusListCredentialSchema)
  .query(({ ctx, input }) => {
    const services = servicesOf(ctx);
    return statusListCredential({
      db: ctx.db,
      signer: services.tokens.credentialSigner(),
      list: input.list,
      now: new Date(services.now()),
    });
  });
