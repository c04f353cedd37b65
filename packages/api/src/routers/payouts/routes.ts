import {
  AppError,
  ZEvaluateIncentivesResultSchema,
  ZHeldLinesSchema,
  ZIncentiveIdInputSchema,
  ZIncentivePageSchema,
  ZIncentiveSchema,
  ZListIncentivesInputSchema,
  ZListSettlementsInputSchema,
  ZListSettlementsPmoInputSchema,
  ZParticipantIncentivesInputSchema,
  ZParticipantPayoutAccountSchema,
  ZPayoutAccountSchema,
  ZReconcileInputSchema,
  ZReconciliationSchema,
  ZRunSettlementsInputSchema,
  ZSetParticipantPayoutAccountInputSchema,
  ZSetPayoutAccountInputSchema,
  ZSettlementBatchSchema,
  ZSettlementIdInputSchema,
  ZSettlementItemPageSchema,
  ZSettlementItemsInputSchema,
  ZSettlementPageSchema,
  ZSettlementSchema,
} from '@latih/contracts';
import {
  actorRef,
  evaluateIncentives,
  getOwnPayoutAccount,
  getSettlementOf,
  heldLines,
  listIncentives,
  listSettlementItems,
  listSettlements,
  participantIncentives,
  reconcilePayouts,
  retryIncentive,
  retrySettlement,
  runSettlementBatch,
  setOwnPayoutAccount,
  setParticipantPayoutAccount,
} from '@latih/core';
import type { PaymentsClient } from '@latih/payments/client';
import { z } from 'zod';
import { servicesOf } from '../../context';
import { platformProcedure, pmoProcedure, providerProcedure, router, sealerFor } from '../../trpc';

/** Participants' payout destinations are sealed under their own purpose. */
export const PAYOUT_DESTINATIONS = 'payout-destinations';

function paymentsOf(ctx: Parameters<typeof servicesOf>[0]): PaymentsClient {
  const payments = servicesOf(ctx).payments;
  if (!payments)
    throw new AppError('PAYMENTS_UNAVAILABLE', {
      message: 'No payment provider is configured on this gateway.',
    });
  return payments;
}

/** `provider.*` and `platform.*`: the payout account and the settlement statements, own only. */
function partnerMoneyRoutes(kind: 'provider' | 'platform') {
  const procedure = kind === 'provider' ? providerProcedure : platformProcedure;
  const tags = [kind, 'payouts'];
  return {
    payoutAccount: router({
      get: procedure
        .meta({
          openapi: {
            method: 'GET',
            path: `/${kind}/payout-account`,
            tags,
            summary: 'Where your settlements are paid',
            description: 'Readiness and what is still required; the destination masked.',
            protect: true,
          },
        })
        .input(z.object({}).optional())
        .output(ZPayoutAccountSchema)
        .query(({ ctx }) => getOwnPayoutAccount({ db: ctx.db, actor: ctx.actor, now: ctx.now })),
      set: procedure
        .meta({
          openapi: {
            method: 'PUT',
            path: `/${kind}/payout-account`,
            tags,
            summary: 'Set the bank account or e-wallet your settlements are paid to',
            description:
              'Creates your connected account at the payment provider the first time, updates its destination after that. The provider keeps the details; we keep them masked.',
            protect: true,
          },
        })
        .input(ZSetPayoutAccountInputSchema)
        .output(ZPayoutAccountSchema)
        .mutation(({ ctx, input }) =>
          setOwnPayoutAccount({
            db: ctx.db,
            actor: ctx.actor,
            requestId: ctx.requestId,
            now: ctx.now,
            payments: paymentsOf(ctx),
            destination: input.destination,
          }),
        ),
    }),
    settlements: router({
      list: procedure
        .meta({
          openapi: {
            method: 'GET',
            path: `/${kind}/settlements`,
            tags,
            summary: 'Your settlement statements, newest first',
            protect: true,
          },
        })
        .input(ZListSettlementsInputSchema)
        .output(ZSettlementPageSchema)
        .query(({ ctx, input }) => listSettlements({ db: ctx.db, actor: ctx.actor, input })),
      get: procedure
        .meta({
          openapi: {
            method: 'GET',
            path: `/${kind}/settlements/{id}`,
            tags,
            summary: 'One settlement',
            protect: true,
          },
        })
        .input(ZSettlementIdInputSchema)
        .output(ZSettlementSchema)
        .query(({ ctx, input }) => getSettlementOf({ db: ctx.db, actor: ctx.actor, id: input.id })),
      items: procedure
        .meta({
          openapi: {
            method: 'GET',
            path: `/${kind}/settlements/{id}/items`,
            tags,
            summary: "A settlement's line items, one per voucher",
            protect: true,
          },
        })
        .input(ZSettlementItemsInputSchema)
        .output(ZSettlementItemPageSchema)
        .query(({ ctx, input }) => listSettlementItems({ db: ctx.db, actor: ctx.actor, input })),
      held: procedure
        .meta({
          openapi: {
            method: 'GET',
            path: `/${kind}/held-lines`,
            tags,
            summary: 'Your lines held out of settlements by a case decision, each with the reason',
            description:
              'A held line is paid by the first settlement after its release (RELEASE_SETTLEMENT_LINES); each names the case and the reason the program office recorded. Clawed-back lines (REVERSED, VOIDED) carry their reason in the statement they are netted in.',
            protect: true,
          },
        })
        .input(z.object({}).optional())
        .output(ZHeldLinesSchema)
        .query(({ ctx }) => heldLines({ db: ctx.db, actor: ctx.actor })),
    }),
  };
}

export const providerMoneyRoutes = partnerMoneyRoutes('provider');
export const platformMoneyRoutes = partnerMoneyRoutes('platform');

const pmoTags = ['pmo', 'payouts'];

export const pmoSettlementsRouter = router({
  run: pmoProcedure
    .meta({
      scope: 'pmo:write',
      openapi: {
        method: 'POST',
        path: '/pmo/settlements/run',
        tags: pmoTags,
        summary: "Run a day's settlement batch",
        description:
          'Divides what became payable by the end of the day (WIB) and makes one PENDING settlement per organisation; the payout worker then pays them. Once per day: running the same day again returns the first batch (created: false) and pays nothing twice. It also runs by itself at 01:00 WIB for the day before.',
        protect: true,
      },
    })
    .input(ZRunSettlementsInputSchema)
    .output(ZSettlementBatchSchema)
    .mutation(({ ctx, input }) =>
      runSettlementBatch({
        db: ctx.db,
        actor: actorRef(ctx.actor, ctx.requestId),
        now: ctx.now,
        date: input.date,
      }),
    ),
  list: pmoProcedure
    .meta({
      scope: 'pmo:read',
      openapi: {
        method: 'GET',
        path: '/pmo/settlements',
        tags: pmoTags,
        summary: 'Settlements',
        protect: true,
      },
    })
    .input(ZListSettlementsPmoInputSchema)
    .output(ZSettlementPageSchema)
    .query(({ ctx, input }) => listSettlements({ db: ctx.db, actor: ctx.actor, input })),
  get: pmoProcedure
    .meta({
      scope: 'pmo:read',
      openapi: {
        method: 'GET',
        path: '/pmo/settlements/{id}',
        tags: pmoTags,
        summary: 'One settlement',
        protect: true,
      },
    })
    .input(ZSettlementIdInputSchema)
    .output(ZSettlementSchema)
    .query(({ ctx, input }) => getSettlementOf({ db: ctx.db, actor: ctx.actor, id: input.id })),
  items: pmoProcedure
    .meta({
      scope: 'pmo:read',
      openapi: {
        method: 'GET',
        path: '/pmo/settlements/{id}/items',
        tags: pmoTags,
        summary: "A settlement's line items",
        protect: true,
      },
    })
    .input(ZSettlementItemsInputSchema)
    .output(ZSettlementItemPageSchema)
    .query(({ ctx, input }) => listSettlementItems({ db: ctx.db, actor: ctx.actor, input })),
  retry: pmoProcedure
    .meta({
      scope: 'pmo:write',
      openapi: {
        method: 'POST',
        path: '/pmo/settlements/{id}/retry',
        tags: pmoTags,
        summary: 'Pay a FAILED settlement again',
        description: 'A new attempt with new idempotency keys, after the cause (see failure) is fixed.',
        protect: true,
      },
    })
    .input(ZSettlementIdInputSchema)
    .output(ZSettlementSchema)
    .mutation(({ ctx, input }) =>
      retrySettlement({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, now: ctx.now, id: input.id }),
    ),
  reconcile: pmoProcedure
    .meta({
      scope: 'pmo:write',
      openapi: {
        method: 'POST',
        path: '/pmo/settlements/reconcile',
        tags: pmoTags,
        summary: 'Reconcile payouts with the payment provider',
        description:
          'Reads back every settlement and incentive payout recorded since `since`, applies changes whose webhook never came, and reports what disagrees.',
        protect: true,
      },
    })
    .input(ZReconcileInputSchema)
    .output(ZReconciliationSchema)
    .mutation(({ ctx, input }) =>
      reconcilePayouts({
        db: ctx.db,
        payments: paymentsOf(ctx),
        now: ctx.now,
        since: input.since ? new Date(input.since) : new Date(ctx.now.getTime() - 7 * 86_400_000),
      }),
    ),
});

export const pmoIncentivesRouter = router({
  list: pmoProcedure
    .meta({
      scope: 'pmo:read',
      openapi: {
        method: 'GET',
        path: '/pmo/incentives',
        tags: pmoTags,
        summary: 'Incentives, newest first',
        description: 'Filter by status (FAILED ones say why) or participant.',
        protect: true,
      },
    })
    .input(ZListIncentivesInputSchema)
    .output(ZIncentivePageSchema)
    .query(({ ctx, input }) => listIncentives({ db: ctx.db, input })),
  ofParticipant: pmoProcedure
    .meta({
      scope: 'pmo:read',
      openapi: {
        method: 'GET',
        path: '/pmo/participants/{participantId}/incentives',
        tags: pmoTags,
        summary: "A participant's incentives",
        description:
          'Before anything is recorded, what the evaluator says now: WAITING with what is missing.',
        protect: true,
      },
    })
    .input(ZParticipantIncentivesInputSchema)
    .output(z.object({ items: z.array(ZIncentiveSchema) }))
    .query(async ({ ctx, input }) => ({
      items: await participantIncentives({ db: ctx.db, participantId: input.participantId }),
    })),
  evaluate: pmoProcedure
    .meta({
      scope: 'pmo:write',
      openapi: {
        method: 'POST',
        path: '/pmo/incentives/evaluate',
        tags: pmoTags,
        summary: 'Run the eligibility evaluator now',
        description: 'It also runs by itself every minute. Give participantIds to evaluate just those.',
        protect: true,
      },
    })
    .input(z.object({ participantIds: z.array(z.string().max(40)).max(1000).optional() }))
    .output(ZEvaluateIncentivesResultSchema)
    .mutation(({ ctx, input }) =>
      evaluateIncentives({
        db: ctx.db,
        actor: actorRef(ctx.actor, ctx.requestId),
        now: ctx.now,
        participantIds: input.participantIds,
      }),
    ),
  retry: pmoProcedure
    .meta({
      scope: 'pmo:write',
      openapi: {
        method: 'POST',
        path: '/pmo/incentives/{id}/retry',
        tags: pmoTags,
        summary: 'Pay a FAILED incentive again',
        protect: true,
      },
    })
    .input(ZIncentiveIdInputSchema)
    .output(ZIncentiveSchema)
    .mutation(({ ctx, input }) =>
      retryIncentive({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, now: ctx.now, id: input.id }),
    ),
});

export const setParticipantPayoutAccountRoute = pmoProcedure
  .meta({
    scope: 'pmo:write',
    openapi: {
      method: 'PUT',
      path: '/pmo/participants/{participantId}/payout-account',
      tags: pmoTags,
      summary: "Record where a participant's incentive is paid",
      description: 'A bank account or e-wallet; sealed at rest and shown masked.',
      protect: true,
    },
  })
  .input(ZSetParticipantPayoutAccountInputSchema)
  .output(ZParticipantPayoutAccountSchema)
  .mutation(({ ctx, input }) =>
    setParticipantPayoutAccount({
      db: ctx.db,
      actor: ctx.actor,
      requestId: ctx.requestId,
      now: ctx.now,
      sealer: sealerFor(servicesOf(ctx).nikHashKey, PAYOUT_DESTINATIONS),
      hashKey: servicesOf(ctx).nikHashKey,
      participantId: input.participantId,
      destination: input.destination,
    }),
  );
