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
        'No authentication. The list a certificate’s credentialStatus.statusListCredential names, as it stands now: a BitstringStatusListCredential signed by the program (ecdsa-jcs-2019, key in /.well-known/jwks.json), one bit per certificate, set when it is revoked. Valid for a day from validFrom (caches may keep it a minute): fetch it beforehand to verify certificates and passports offline (SDK: fetchPassportMaterial, verifyPassport).',
    },
  })
  .input(ZStatusListInputSchema)
  .output(ZStatusListCredentialSchema)
  .query(async ({ ctx, input }) => {
    const services = servicesOf(ctx);
    const list = await statusListCredential({
      db: ctx.db,
      signer: services.tokens.credentialSigner(),
      list: input.list,
      now: new Date(services.now()),
    });
    // Caches may keep it a minute: a revocation reaches every reader within a minute of the next fetch.
    ctx.setHeader('Cache-Control', 'public, max-age=60');
    return list;
  });
