import { ZRedirectUriInputSchema, ZRedirectUriSchema } from '@latih/contracts';
import { redirectUrisOf, registerRedirectUri, unregisterRedirectUri } from '@latih/core';
import { z } from 'zod';
import { providerProcedure, router } from '../../../trpc';

const registerRoute = providerProcedure
  .meta({
    scope: 'reports:write',
    openapi: {
      method: 'POST',
      path: '/provider/redirect-uris',
      tags: ['provider'],
      summary: 'Register a redirect URI for identity-check hand-offs',
      description:
        'Absolute https URL (http only for localhost), no fragment. verificationLink accepts only exact matches of these. Registering again is harmless.',
      protect: true,
    },
  })
  .input(ZRedirectUriInputSchema)
  .output(ZRedirectUriSchema)
  .mutation(({ ctx, input }) =>
    registerRedirectUri({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input }),
  );

const removeRoute = providerProcedure
  .meta({
    scope: 'reports:write',
    openapi: {
      method: 'POST',
      path: '/provider/redirect-uris/remove',
      tags: ['provider'],
      summary: 'Remove a registered redirect URI',
      description: 'Links already handed out keep the URI they were made with until they expire.',
      protect: true,
    },
  })
  .input(ZRedirectUriInputSchema)
  .output(z.object({ removed: z.literal(true) }))
  .mutation(({ ctx, input }) =>
    unregisterRedirectUri({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input }),
  );

const listRoute = providerProcedure
  .meta({
    scope: 'reports:write',
    openapi: {
      method: 'GET',
      path: '/provider/redirect-uris',
      tags: ['provider'],
      summary: 'Your registered redirect URIs',
      description: 'The PMO reviews these during onboarding.',
      protect: true,
    },
  })
  .input(z.object({}).optional())
  .output(z.object({ items: z.array(ZRedirectUriSchema) }))
  .query(({ ctx }) => redirectUrisOf({ db: ctx.db, actor: ctx.actor }));

export const providerRedirectUrisRouter = router({
  register: registerRoute,
  remove: removeRoute,
  list: listRoute,
});
