import {
  ZParticipantRegistrySchema,
  ZRegistryGetInputSchema,
  ZRegistryListInputSchema,
  ZRegistryListPageSchema,
  ZRegistryOverrideInputSchema,
  ZRegistryRecheckInputSchema,
} from '@latih/contracts';
import {
  listRegistryParticipants,
  overrideRegistry,
  participantRegistry,
  recheckRegistry,
} from '@latih/core';
import { servicesOf } from '../../../context';
import { pmoProcedure, router } from '../../../trpc';

const tags = ['pmo', 'participants'];

const registryListRoute = pmoProcedure
  .meta({
    scope: 'pmo:read',
    openapi: {
      method: 'GET',
      path: '/pmo/registry/participants',
      tags,
      summary: 'Participants the population-registry check blocked, left pending, or that were overridden',
      description:
        'The program office’s work list (BLOCKED by default): each participant with the reasons (NIK_NOT_FOUND, NAME_MISMATCH, BIRTH_DATE_MISMATCH, DECEASED, REGISTRY_UNAVAILABLE) and when they were last checked. Cursor-paginated by participant id.',
      protect: true,
    },
  })
  .input(ZRegistryListInputSchema)
  .output(ZRegistryListPageSchema)
  .query(({ ctx, input }) => listRegistryParticipants({ db: ctx.db, actor: ctx.actor, input }));

const registryGetRoute = pmoProcedure
  .meta({
    scope: 'pmo:read',
    openapi: {
      method: 'GET',
      path: '/pmo/participants/{participantId}/registry',
      tags,
      summary: 'A participant’s population-registry status, with every check and decision',
      description:
        'The status and reasons, the queued retry while PENDING (attempts, next try, last error), and the history: each check (at import, re-checks, retries) with the registry’s reference, and each override with its reason and who decided it. Nothing of the registry’s own record is kept: it answers match flags only.',
      protect: true,
    },
  })
  .input(ZRegistryGetInputSchema)
  .output(ZParticipantRegistrySchema)
  .query(({ ctx, input }) =>
    participantRegistry({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input }),
  );

const registryRecheckRoute = pmoProcedure
  .meta({
    scope: 'pmo:write',
    openapi: {
      method: 'POST',
      path: '/pmo/participants/{participantId}/registry/recheck',
      tags,
      summary: 'Check a participant against the population registry again, now',
      description:
        'After the participant corrected their data with the registry (Dukcapil), or with a corrected `name`. The NIK is kept only as a keyed hash, so give it (it must hash to the stored one: REGISTRY_NIK_MISMATCH otherwise), unless the check is queued. A match makes the participant VERIFIED (and stores the corrected name); a mismatch BLOCKED; no verdict leaves a blocked or pending participant PENDING with the check queued (a verified or overridden one keeps its status). Audited.',
      protect: true,
    },
  })
  .input(ZRegistryRecheckInputSchema)
  .output(ZParticipantRegistrySchema)
  .mutation(({ ctx, input }) =>
    recheckRegistry({
      db: ctx.db,
      actor: ctx.actor,
      requestId: ctx.requestId,
      input,
      now: ctx.now,
      registry: servicesOf(ctx).registry,
      nikKey: servicesOf(ctx).nikHashKey,
    }),
  );

const registryOverrideRoute = pmoProcedure
  .meta({
    scope: 'pmo:write',
    openapi: {
      method: 'POST',
      path: '/pmo/participants/{participantId}/registry/override',
      tags,
      summary: 'Let a blocked or pending participant through, with a recorded reason',
      description:
        'For a mismatch the program has resolved outside the registry (a documented data error on the registry’s side, say). The participant becomes OVERRIDDEN and can buy; a queued check is dropped (and its sealed NIK deleted). The reason, who decided and when are kept in the check history and the audit log. REGISTRY_NOT_OPEN for a participant who is VERIFIED or already OVERRIDDEN.',
      protect: true,
    },
  })
  .input(ZRegistryOverrideInputSchema)
  .output(ZParticipantRegistrySchema)
  .mutation(({ ctx, input }) =>
    overrideRegistry({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
  );

export const pmoRegistryRouter = router({
  list: registryListRoute,
  get: registryGetRoute,
  recheck: registryRecheckRoute,
  override: registryOverrideRoute,
});
