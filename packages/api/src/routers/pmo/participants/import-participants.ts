import { ZImportParticipantsInputSchema, ZImportParticipantsResultSchema } from '@latih/contracts';
import { importParticipants } from '@latih/core';
import { servicesOf } from '../../../context';
import { pmoProcedure } from '../../../trpc';

export const importParticipantsRoute = pmoProcedure
  .meta({
    scope: 'pmo:write',
    openapi: {
      method: 'POST',
      path: '/pmo/participants/import',
      tags: ['pmo'],
      summary: 'Import a cohort’s accepted participants',
      description:
        'Up to 10 000 per call, answered per item (CREATED, DUPLICATE for a NIK already imported, ERROR with code and field). The NIK is validated (16 digits, known province, a real birth date that matches birthDate and gender) and stored only as a keyed hash and its last 4 digits. Each new participant is checked against the population registry (NIK, name and birth date must match; only match flags come back): a mismatch creates them BLOCKED with reasons, no verdict (the registry unavailable) creates them PENDING with the check queued and retried; `registry` on each CREATED item says which. Only VERIFIED (and OVERRIDDEN) participants can buy. Each new participant is credited the scheme’s training balance through the ledger and gets its purchase deadline. Body up to 10 MB.',
      protect: true,
    },
  })
  .input(ZImportParticipantsInputSchema)
  .output(ZImportParticipantsResultSchema)
  .mutation(({ ctx, input }) =>
    importParticipants({
      db: ctx.db,
      actor: ctx.actor,
      requestId: ctx.requestId,
      nikKey: servicesOf(ctx).nikHashKey,
      registry: servicesOf(ctx).registry,
      input,
      now: ctx.now,
    }),
  );
