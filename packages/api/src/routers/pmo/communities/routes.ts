import {
  ZCaptainInputSchema,
  ZCommunityDetailSchema,
  ZCommunityEventPageSchema,
  ZCommunityEventSchema,
  ZCommunityIdInputSchema,
  ZCommunityMemberPageSchema,
  ZCommunityMemberSchema,
  ZCommunityMembersInputSchema,
  ZCommunityPageSchema,
  ZCommunitySchema,
  ZCreateCommunityInputSchema,
  ZListCommunitiesInputSchema,
  ZListCommunityEventsInputSchema,
  ZRecordCommunityEventInputSchema,
} from '@latih/contracts';
import {
  appointCaptain,
  createCommunity,
  getCommunity,
  listCommunities,
  listCommunityEvents,
  listCommunityMembers,
  recordCommunityEvent,
  removeCaptain,
} from '@latih/core';
import { z } from 'zod';
import { pmoProcedure, router } from '../../../trpc';

const tags = ['pmo', 'communities'];
const guide = 'See docs/guides/communities.md.';

const ZCaptainsSchema = z.object({ community: ZCommunitySchema, captains: z.array(ZCommunityMemberSchema) });

/** `pmo.communities.*`: alumni communities per province or regency, their leaders and events. */
export const pmoCommunitiesRouter = router({
  create: pmoProcedure
    .meta({
      scope: 'pmo:write',
      openapi: {
        method: 'POST',
        path: '/pmo/communities',
        tags,
        summary: 'Form the alumni community of a province or regency/city',
        description: `One community per region (a province such as 32, or a regency/city such as 32.73); COMMUNITY_REGION_TAKEN for a second. Audited. ${guide}`,
        protect: true,
      },
    })
    .input(ZCreateCommunityInputSchema)
    .output(ZCommunitySchema)
    .mutation(({ ctx, input }) =>
      createCommunity({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
    ),
  list: pmoProcedure
    .meta({
      scope: 'pmo:read',
      openapi: {
        method: 'GET',
        path: '/pmo/communities',
        tags,
        summary: 'Alumni communities, with their members, leaders and events counted',
        description:
          'By region code (a province before its regencies), optionally of one province; cursor-paginated.',
        protect: true,
      },
    })
    .input(ZListCommunitiesInputSchema)
    .output(ZCommunityPageSchema)
    .query(({ ctx, input }) => listCommunities({ db: ctx.db, actor: ctx.actor, input })),
  get: pmoProcedure
    .meta({
      scope: 'pmo:read',
      openapi: {
        method: 'GET',
        path: '/pmo/communities/{communityId}',
        tags,
        summary: 'One community: its leaders, its recent events and the businesses helped',
        description:
          'The leaders (kapten) with their name and the last 4 digits of their NIK (the view is audited), the 10 most recent events, and the small businesses helped at its events per kind of help.',
        protect: true,
      },
    })
    .input(ZCommunityIdInputSchema)
    .output(ZCommunityDetailSchema)
    .query(({ ctx, input }) =>
      getCommunity({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
    ),
  members: pmoProcedure
    .meta({
      scope: 'pmo:read',
      openapi: {
        method: 'GET',
        path: '/pmo/communities/{communityId}/members',
        tags,
        summary: "A community's members",
        description:
          'Current members in joining order, with their name, the last 4 digits of their NIK, their regency and the platform they opted in through; cursor-paginated. Every page viewed is audited.',
        protect: true,
      },
    })
    .input(ZCommunityMembersInputSchema)
    .output(ZCommunityMemberPageSchema)
    .query(({ ctx, input }) =>
      listCommunityMembers({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
    ),
  appointCaptain: pmoProcedure
    .meta({
      scope: 'pmo:write',
      openapi: {
        method: 'POST',
        path: '/pmo/communities/{communityId}/captains',
        tags,
        summary: 'Appoint a member as one of the community leaders (kapten)',
        description:
          'Only a member (COMMUNITY_NOT_MEMBER otherwise); a community may have several. Audited; community.captain_appointed goes to the platform the member joined through.',
        protect: true,
      },
    })
    .input(ZCaptainInputSchema)
    .output(ZCaptainsSchema)
    .mutation(({ ctx, input }) =>
      appointCaptain({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
    ),
  removeCaptain: pmoProcedure
    .meta({
      scope: 'pmo:write',
      openapi: {
        method: 'POST',
        path: '/pmo/communities/{communityId}/captains/remove',
        tags,
        summary: 'End a leader’s appointment (they stay a member)',
        description:
          'Audited; community.captain_removed goes to the platform the member joined through. COMMUNITY_NOT_CAPTAIN when they do not lead it.',
        protect: true,
      },
    })
    .input(ZCaptainInputSchema)
    .output(ZCaptainsSchema)
    .mutation(({ ctx, input }) =>
      removeCaptain({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
    ),
  events: router({
    record: pmoProcedure
      .meta({
        scope: 'pmo:write',
        openapi: {
          method: 'POST',
          path: '/pmo/communities/{communityId}/events',
          tags,
          summary: 'Record an event a community held (a Kumpul Jasa and the businesses helped)',
          description:
            'KUMPUL_JASA names each small business helped, its sector and what the alumni did for it (BUSINESS_ID for its NIB, LOGO, SOCIAL_MEDIA, …); MEETUP and TRAINING may name none. heldOn is a WIB day, not after today. Audited.',
          protect: true,
        },
      })
      .input(ZRecordCommunityEventInputSchema)
      .output(ZCommunityEventSchema)
      .mutation(({ ctx, input }) =>
        recordCommunityEvent({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
      ),
    list: pmoProcedure
      .meta({
        scope: 'pmo:read',
        openapi: {
          method: 'GET',
          path: '/pmo/community-events',
          tags,
          summary: 'Community events, newest recorded first',
          description: 'Of one community (communityId) or of all; cursor-paginated.',
          protect: true,
        },
      })
      .input(ZListCommunityEventsInputSchema)
      .output(ZCommunityEventPageSchema)
      .query(({ ctx, input }) => listCommunityEvents({ db: ctx.db, actor: ctx.actor, input })),
  }),
});
