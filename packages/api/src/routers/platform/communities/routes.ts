import {
  ZCommunitiesForParticipantInputSchema,
  ZCommunitiesForParticipantSchema,
  ZJoinCommunityInputSchema,
  ZLeaveCommunityInputSchema,
  ZLeftCommunitySchema,
  ZParticipantCommunitySchema,
} from '@latih/contracts';
import { communitiesForParticipant, joinCommunity, leaveCommunity } from '@latih/core';
import { platformProcedure, router } from '../../../trpc';

const tags = ['platform', 'communities'];

/** `platform.communities.*`: a participant joins or leaves an alumni community through the platform. */
export const platformCommunitiesRouter = router({
  forParticipant: platformProcedure
    .meta({
      scope: 'orders:write',
      openapi: {
        method: 'GET',
        path: '/platform/communities',
        tags,
        summary: "The alumni communities of a participant's regency and province",
        description:
          'For the participant your voucher `voucherId` was sold to: the communities they may join (of their regency/city and its province), whether they are a member or a leader of each, and whether they may join through you (`alumnus`: a course bought through you is completed). NOT_FOUND for a voucher that is not yours. See docs/guides/communities.md.',
        protect: true,
      },
    })
    .input(ZCommunitiesForParticipantInputSchema)
    .output(ZCommunitiesForParticipantSchema)
    .query(({ ctx, input }) => communitiesForParticipant({ db: ctx.db, actor: ctx.actor, input })),
  join: platformProcedure
    .meta({
      scope: 'orders:write',
      openapi: {
        method: 'POST',
        path: '/platform/communities/join',
        tags,
        summary: 'A participant opts in to an alumni community',
        description:
          'With the participant’s consent (consent: true). Only an alumnus of a course bought through you (COMMUNITY_NOT_ALUMNUS), only a community of their regency/city or its province (COMMUNITY_OUTSIDE_REGION), once (COMMUNITY_ALREADY_MEMBER). Writes community.member_joined.',
        protect: true,
      },
    })
    .input(ZJoinCommunityInputSchema)
    .output(ZParticipantCommunitySchema)
    .mutation(({ ctx, input }) =>
      joinCommunity({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
    ),
  leave: platformProcedure
    .meta({
      scope: 'orders:write',
      openapi: {
        method: 'POST',
        path: '/platform/communities/leave',
        tags,
        summary: 'A participant leaves an alumni community',
        description:
          'Through any platform that sold them a voucher; a leader’s appointment ends with it (`wasCaptain`). Writes community.member_left.',
        protect: true,
      },
    })
    .input(ZLeaveCommunityInputSchema)
    .output(ZLeftCommunitySchema)
    .mutation(({ ctx, input }) =>
      leaveCommunity({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
    ),
});
