import { AppError, ZWhoAmISchema } from '@latih/contracts';
import { findOrganisation } from '@latih/db';
import { z } from 'zod';
import { anyRoleProcedure } from '../../trpc';

export const whoamiRoute = anyRoleProcedure
  .meta({
    openapi: {
      method: 'GET',
      path: '/auth/whoami',
      tags: ['auth'],
      summary: 'Who the access token belongs to',
      description:
        'Organisation, role, client and scopes of the bearer token: a quick check that auth works.',
      protect: true,
    },
  })
  .input(z.object({}).optional())
  .output(ZWhoAmISchema)
  .query(async ({ ctx }) => {
    const org = await findOrganisation(ctx.db, ctx.actor.organisationId);
    if (!org)
      throw new AppError('TOKEN_INVALID', {
        message: 'The token names an organisation that does not exist.',
      });
    return {
      organisationId: org.id,
      organisationName: org.name,
      role: ctx.actor.role,
      clientId: ctx.actor.clientId,
      scopes: ctx.actor.scopes,
    };
  });
