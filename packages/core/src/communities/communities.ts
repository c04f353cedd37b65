import {
  AppError,
  BUSINESS_HELP_KINDS,
  findProvince,
  findRegency,
  STATISTICS_MIN_CELL,
  type TAlumniStatistics,
  type TAlumniStatisticsRow,
  type TCommunitiesForParticipant,
  type TCommunity,
  type TCommunityDetail,
  type TCommunityEvent,
  type TCommunityMember,
  ZAlumniStatisticsInputSchema,
  ZCaptainInputSchema,
  ZCommunitiesForParticipantInputSchema,
  ZCommunityIdInputSchema,
  ZCommunityMembersInputSchema,
  ZCreateCommunityInputSchema,
  ZJoinCommunityInputSchema,
  ZLeaveCommunityInputSchema,
  ZListCommunitiesInputSchema,
  ZListCommunityEventsInputSchema,
  ZRecordCommunityEventInputSchema,
} from '@latih/contracts';
import {
  alumniByRegion,
  businessesHelped,
  type CommunityEventRow,
  type CommunityMemberView,
  type CommunityWithCounts,
  communitiesOfRegions,
  communitiesPage,
  communityEventsPage,
  communityMembersPage,
  currentMembership,
  type Db,
  endMembership,
  findCommunity,
  insertCommunity,
  insertCommunityEvent,
  insertEvent,
  insertMembership,
  membershipsOfParticipant,
  participantOfPlatformVoucher,
  recentCommunityEvents,
  setCaptain,
} from '@latih/db';
import type { z } from 'zod';
import { type Actor, actorRef, requirePlatform, requirePmo } from '../auth/actor';
import { recordChange } from '../changes';
import { newId } from '../ids';
import { suppressColumns, wibDay } from '../oversight/reports';

/*
 * Alumni communities (docs/guides/communities.md). The PMO forms one community per province or
 * regency/city and appoints its leaders (kapten) among the members; a participant who completed a
 * course joins, by opting in, through a platform that sold them that course (named by a voucher it
 * sold, as in platform.recommendations); only the communities of their own regency and its
 * province. The PMO records the community's events: a Kumpul Jasa names the small businesses the
 * alumni helped and what they did for each. Every change is audited; joins, leaves and leadership
 * are events to the platform the participant joined through.
 */

type Call<I> = { db: Db; actor: Actor; requestId: string | null; input: I; now?: Date };

function region(code: string): { level: 'PROVINCE' | 'REGENCY'; name: string; provinceCode: string } | null {
  if (code.length === 2) {
    const p = findProvince(code);
    return p ? { level: 'PROVINCE', name: p.name, provinceCode: p.code } : null;
  }
  const r = findRegency(code);
  return r ? { level: 'REGENCY', name: r.name, provinceCode: r.provinceCode } : null;
}

const regionName = (code: string) => region(code)?.name ?? code;

function toCommunity(r: CommunityWithCounts): TCommunity {
  return {
    id: r.id,
    regionCode: r.regionCode,
    regionLevel: r.regionLevel,
    regionName: regionName(r.regionCode),
    provinceCode: r.provinceCode,
    name: r.name,
    members: r.members,
    captains: r.captains,
    events: r.events,
    createdAt: r.createdAt.toISOString(),
  };
}

function toMember(r: CommunityMemberView): TCommunityMember {
  return {
    participantId: r.participantId,
    name: r.name,
    nikLast4: r.nikLast4,
    regencyCode: r.regencyCode,
    joinedAt: r.joinedAt.toISOString(),
    joinedThrough: r.joinedThrough,
    captainSince: r.captainSince?.toISOString() ?? null,
  };
}

function toEvent(r: CommunityEventRow): TCommunityEvent {
  return {
    id: r.id,
    communityId: r.communityId,
    kind: r.kind,
    title: r.title,
    heldOn: r.heldOn,
    place: r.place,
    alumniTookPart: r.alumniTookPart,
    businesses: r.businesses as TCommunityEvent['businesses'],
    note: r.note,
    recordedAt: r.recordedAt.toISOString(),
  };
}

const communityNotFound = (id: string) =>
  new AppError('NOT_FOUND', { message: `${id} not found.`, field: 'communityId' });

async function communityOrRefuse(db: Db, id: string, o: { forUpdate?: boolean } = {}) {
  const c = await findCommunity(db, id, o);
  if (!c) throw communityNotFound(id);
  return c;
}

/* The program office */

/** `pmo.communities.create`: one community per province or regency/city. Audited. */
export async function createCommunity(opts: Call<z.input<typeof ZCreateCommunityInputSchema>>) {
  requirePmo(opts.actor);
  const input = ZCreateCommunityInputSchema.parse(opts.input);
  const r = region(input.regionCode);
  if (!r) throw new AppError('REGION_UNKNOWN', { field: 'regionCode' });
  const now = opts.now ?? new Date();
  return opts.db.transaction(async (tx) => {
    const row = await insertCommunity(tx, {
      id: newId('community', now.getTime()),
      regionCode: input.regionCode,
      regionLevel: r.level,
      provinceCode: r.provinceCode,
      name: input.name,
      createdAt: now,
    });
    if (!row)
      throw new AppError('COMMUNITY_REGION_TAKEN', {
        message: `${r.name} (${input.regionCode}) already has its community.`,
        field: 'regionCode',
      });
    await recordChange(tx, {
      actor: actorRef(opts.actor, opts.requestId),
      action: 'community.created',
      entityType: 'community',
      entityId: row.id,
      fromState: null,
      toState: 'ACTIVE',
      auditData: { regionCode: row.regionCode, name: row.name },
    });
    return toCommunity({ ...row, members: 0, captains: 0, events: 0 });
  });
}

/** `pmo.communities.list`: by region code, with member, leader and event counts. */
export async function listCommunities(opts: {
  db: Db;
  actor: Actor;
  input: z.input<typeof ZListCommunitiesInputSchema>;
}) {
  requirePmo(opts.actor);
  const input = ZListCommunitiesInputSchema.parse(opts.input);
  const page = await communitiesPage(opts.db, input);
  return { items: page.items.map(toCommunity), nextCursor: page.nextCursor };
}

/** `pmo.communities.get`: the community, its leaders, its recent events and what they did. */
export async function getCommunity(
  opts: Call<z.input<typeof ZCommunityIdInputSchema>>,
): Promise<TCommunityDetail> {
  requirePmo(opts.actor);
  const { communityId } = ZCommunityIdInputSchema.parse(opts.input);
  const c = await communityOrRefuse(opts.db, communityId);
  const captains = await communityMembersPage(opts.db, { communityId, captainsOnly: true, limit: 100 });
  const recent = await recentCommunityEvents(opts.db, communityId, 10);
  const counted = await businessesHelped(opts.db, communityId);
  // In the catalog's order of help (NIB first), whatever order the database grouped them in.
  const byHelp: Record<string, number> = {};
  for (const k of BUSINESS_HELP_KINDS) if (counted.byHelp[k]) byHelp[k] = counted.byHelp[k];
  const helped = { businesses: counted.businesses, byHelp };
  if (captains.items.length > 0)
    await recordChange(opts.db, {
      actor: actorRef(opts.actor, opts.requestId),
      action: 'community.members_viewed',
      entityType: 'community',
      entityId: communityId,
      fromState: null,
      toState: null,
      auditData: { participants: captains.items.map((m) => m.participantId) },
    });
  return {
    community: toCommunity(c),
    captains: captains.items.map(toMember),
    recentEvents: recent.map(toEvent),
    helped,
  };
}

/** `pmo.communities.members`: personal data (name, last 4 of the NIK): every page viewed is audited. */
export async function listCommunityMembers(opts: Call<z.input<typeof ZCommunityMembersInputSchema>>) {
  requirePmo(opts.actor);
  const input = ZCommunityMembersInputSchema.parse(opts.input);
  await communityOrRefuse(opts.db, input.communityId);
  const page = await communityMembersPage(opts.db, input);
  if (page.items.length > 0)
    await recordChange(opts.db, {
      actor: actorRef(opts.actor, opts.requestId),
      action: 'community.members_viewed',
      entityType: 'community',
      entityId: input.communityId,
      fromState: null,
      toState: null,
      auditData: { participants: page.items.map((m) => m.participantId) },
    });
  return { items: page.items.map(toMember), nextCursor: page.nextCursor };
}

async function changeCaptain(
  opts: Call<z.input<typeof ZCaptainInputSchema>>,
  appoint: boolean,
  /** The refusal when the member already is (appoint) or is not (remove) a leader. */
  unchanged: () => AppError,
) {
  requirePmo(opts.actor);
  const input = ZCaptainInputSchema.parse(opts.input);
  const now = opts.now ?? new Date();
  return opts.db.transaction(async (tx) => {
    const c = await communityOrRefuse(tx, input.communityId, { forUpdate: true });
    const m = await currentMembership(tx, c.id, input.participantId);
    if (!m)
      throw new AppError('COMMUNITY_NOT_MEMBER', {
        message: appoint
          ? `${input.participantId} is not a member of this community: leaders are appointed among members.`
          : `${input.participantId} is not a member of this community, so not one of its leaders: nothing to remove.`,
        field: 'participantId',
      });
    if (appoint === (m.captainSince !== null)) throw unchanged();
    const changed = await setCaptain(tx, m.id, appoint ? now : null);
    if (!changed) throw unchanged();
    const type = appoint ? 'community.captain_appointed' : 'community.captain_removed';
    await recordChange(tx, {
      actor: actorRef(opts.actor, opts.requestId),
      action: type,
      entityType: 'community_member',
      entityId: m.id,
      fromState: appoint ? 'MEMBER' : 'CAPTAIN',
      toState: appoint ? 'CAPTAIN' : 'MEMBER',
      auditData: { communityId: c.id, participantId: m.participantId },
      event: {
        type,
        organisationId: m.platformId,
        data: {
          communityId: c.id,
          regionCode: c.regionCode,
          participantId: m.participantId,
          voucherId: m.voucherId,
        },
      },
    });
    const after = await communityMembersPage(tx, { communityId: c.id, captainsOnly: true, limit: 100 });
    return {
      community: toCommunity({ ...c, captains: after.items.length }),
      captains: after.items.map(toMember),
    };
  });
}

/** `pmo.communities.appointCaptain`: a member becomes one of its leaders (kapten). */
export const appointCaptain = (opts: Call<z.input<typeof ZCaptainInputSchema>>) =>
  changeCaptain(opts, true, () => new AppError('COMMUNITY_ALREADY_CAPTAIN', { field: 'participantId' }));
/** `pmo.communities.removeCaptain`: a leader goes back to being a member. */
export const removeCaptain = (opts: Call<z.input<typeof ZCaptainInputSchema>>) =>
  changeCaptain(opts, false, () => new AppError('COMMUNITY_NOT_CAPTAIN', { field: 'participantId' }));

/** `pmo.communities.events.record`: what a community did; a Kumpul Jasa names the businesses helped. */
export async function recordCommunityEvent(
  opts: Call<z.input<typeof ZRecordCommunityEventInputSchema>>,
): Promise<TCommunityEvent> {
  requirePmo(opts.actor);
  const input = ZRecordCommunityEventInputSchema.parse(opts.input);
  const now = opts.now ?? new Date();
  if (input.heldOn > wibDay(now))
    throw new AppError('VALIDATION_FAILED', {
      message: 'An event is recorded once held: heldOn is a WIB day not after today.',
      field: 'heldOn',
    });
  return opts.db.transaction(async (tx) => {
    const c = await communityOrRefuse(tx, input.communityId);
    const row = await insertCommunityEvent(tx, {
      id: newId('communityEvent', now.getTime()),
      communityId: c.id,
      kind: input.kind,
      title: input.title,
      heldOn: input.heldOn,
      place: input.place,
      alumniTookPart: input.alumniTookPart,
      businesses: input.businesses,
      note: input.note ?? null,
      recordedAt: now,
    });
    await recordChange(tx, {
      actor: actorRef(opts.actor, opts.requestId),
      action: 'community_event.recorded',
      entityType: 'community_event',
      entityId: row.id,
      fromState: null,
      toState: 'RECORDED',
      auditData: { communityId: c.id, kind: row.kind, heldOn: row.heldOn, businesses: row.businesses.length },
    });
    return toEvent(row);
  });
}

/** `pmo.communities.events.list`: newest recorded first, of one community or all. */
export async function listCommunityEvents(opts: {
  db: Db;
  actor: Actor;
  input: z.input<typeof ZListCommunityEventsInputSchema>;
}) {
  requirePmo(opts.actor);
  const input = ZListCommunityEventsInputSchema.parse(opts.input);
  if (input.communityId) await communityOrRefuse(opts.db, input.communityId);
  const page = await communityEventsPage(opts.db, input);
  return { items: page.items.map(toEvent), nextCursor: page.nextCursor };
}

/* Platforms */

async function participantOrRefuse(db: Db, actor: Actor, voucherId: string) {
  requirePlatform(actor);
  const p = await participantOfPlatformVoucher(db, voucherId, actor.organisationId);
  if (!p)
    throw new AppError('NOT_FOUND', { message: 'No voucher you sold has this id.', field: 'voucherId' });
  return p;
}

/** The regions whose communities a participant registered in `regencyCode` may join. */
const regionsOf = (regencyCode: string) => [regencyCode.slice(0, 2), regencyCode];

/**
 * `platform.communities.forParticipant`: the communities of the participant's regency and province,
 * whether they are a member (and a leader) of each, and whether they may join through this platform.
 */
export async function communitiesForParticipant(opts: {
  db: Db;
  actor: Actor;
  input: z.input<typeof ZCommunitiesForParticipantInputSchema>;
}): Promise<TCommunitiesForParticipant> {
  const { voucherId } = ZCommunitiesForParticipantInputSchema.parse(opts.input);
  const p = await participantOrRefuse(opts.db, opts.actor, voucherId);
  const nearby = await communitiesOfRegions(opts.db, regionsOf(p.regencyCode));
  const mine = new Map(
    (await membershipsOfParticipant(opts.db, p.participantId)).map((m) => [m.communityId, m]),
  );
  return {
    participantId: p.participantId,
    regencyCode: p.regencyCode,
    alumnus: p.alumnus,
    communities: nearby.map((c) => {
      const m = mine.get(c.id);
      return {
        communityId: c.id,
        regionCode: c.regionCode,
        regionLevel: c.regionLevel,
        regionName: regionName(c.regionCode),
        name: c.name,
        member: m !== undefined,
        joinedAt: m?.joinedAt.toISOString() ?? null,
        captain: m?.captainSince != null,
      };
    }),
  };
}

/**
 * `platform.communities.join`: the participant opts in (consent: true). Only an alumnus of a course
 * bought through this platform, only a community of their regency or its province, once.
 */
export async function joinCommunity(opts: Call<z.input<typeof ZJoinCommunityInputSchema>>) {
  const input = ZJoinCommunityInputSchema.parse(opts.input);
  const now = opts.now ?? new Date();
  return opts.db.transaction(async (tx) => {
    const p = await participantOrRefuse(tx, opts.actor, input.voucherId);
    const c = await communityOrRefuse(tx, input.communityId);
    if (!regionsOf(p.regencyCode).includes(c.regionCode))
      throw new AppError('COMMUNITY_OUTSIDE_REGION', {
        message: `${c.name} gathers the alumni of ${regionName(c.regionCode)}; the participant is registered in ${regionName(p.regencyCode)}.`,
        field: 'communityId',
      });
    if (!p.alumnus) throw new AppError('COMMUNITY_NOT_ALUMNUS', { field: 'voucherId' });
    const row = await insertMembership(tx, {
      id: newId('communityMember', now.getTime()),
      communityId: c.id,
      participantId: p.participantId,
      platformId: opts.actor.organisationId,
      voucherId: input.voucherId,
      consentedAt: now,
      joinedAt: now,
      captainSince: null,
      leftAt: null,
      leftThrough: null,
    });
    if (!row) throw new AppError('COMMUNITY_ALREADY_MEMBER', { field: 'communityId' });
    await recordChange(tx, {
      actor: actorRef(opts.actor, opts.requestId),
      action: 'community.member_joined',
      entityType: 'community_member',
      entityId: row.id,
      fromState: null,
      toState: 'MEMBER',
      auditData: { communityId: c.id, participantId: p.participantId, consent: true },
      event: {
        type: 'community.member_joined',
        organisationId: opts.actor.organisationId,
        data: {
          communityId: c.id,
          regionCode: c.regionCode,
          participantId: p.participantId,
          voucherId: input.voucherId,
        },
      },
    });
    return {
      communityId: c.id,
      regionCode: c.regionCode,
      regionLevel: c.regionLevel,
      regionName: regionName(c.regionCode),
      name: c.name,
      member: true,
      joinedAt: row.joinedAt.toISOString(),
      captain: false,
    };
  });
}

/**
 * `platform.communities.leave`: through any platform that sold the participant a voucher.
 * community.member_left goes to that platform, and to the one they joined through if another.
 */
export async function leaveCommunity(opts: Call<z.input<typeof ZLeaveCommunityInputSchema>>) {
  const input = ZLeaveCommunityInputSchema.parse(opts.input);
  const now = opts.now ?? new Date();
  return opts.db.transaction(async (tx) => {
    const p = await participantOrRefuse(tx, opts.actor, input.voucherId);
    const c = await communityOrRefuse(tx, input.communityId);
    const m = await currentMembership(tx, c.id, p.participantId);
    if (!m) throw new AppError('COMMUNITY_NOT_MEMBER', { field: 'communityId' });
    const ended = await endMembership(tx, m.id, { at: now, through: opts.actor.organisationId });
    if (!ended) throw new AppError('COMMUNITY_NOT_MEMBER', { field: 'communityId' });
    const wasCaptain = m.captainSince !== null;
    await recordChange(tx, {
      actor: actorRef(opts.actor, opts.requestId),
      action: 'community.member_left',
      entityType: 'community_member',
      entityId: m.id,
      fromState: wasCaptain ? 'CAPTAIN' : 'MEMBER',
      toState: 'LEFT',
      auditData: { communityId: c.id, participantId: p.participantId },
      event: {
        type: 'community.member_left',
        organisationId: opts.actor.organisationId,
        data: {
          communityId: c.id,
          regionCode: c.regionCode,
          participantId: p.participantId,
          voucherId: input.voucherId,
          wasCaptain,
        },
      },
    });
    if (m.platformId !== opts.actor.organisationId)
      // The platform they joined through hears of it too, by the voucher it named them by (not
      // through whom they left).
      await insertEvent(tx, {
        id: newId('event'),
        type: 'community.member_left',
        organisationId: m.platformId,
        entityType: 'community_member',
        entityId: m.id,
        data: {
          communityId: c.id,
          regionCode: c.regionCode,
          participantId: p.participantId,
          voucherId: m.voucherId,
          wasCaptain,
        },
        requestId: opts.requestId,
      });
    return { communityId: c.id, leftAt: now.toISOString(), wasCaptain };
  });
}

/* Public statistics */

const ALUMNI_COUNTED = ['alumni', 'communityMembers'] as const;

/**
 * Alumni and community members by the participants' registered region (provinces, or the regencies
 * of one province), for the PMO in full (`min` 0) or for anyone with cells under 10 people withheld.
 */
export async function alumniStatistics(opts: {
  db: Db;
  input: z.input<typeof ZAlumniStatisticsInputSchema>;
  min?: number;
  now?: Date;
}): Promise<TAlumniStatistics> {
  const input = ZAlumniStatisticsInputSchema.parse(opts.input);
  const min = opts.min ?? STATISTICS_MIN_CELL;
  const now = opts.now ?? new Date();
  const found = await alumniByRegion(opts.db, input.provinceCode);
  const keys = [...new Set([...found.people.map((r) => r.key), ...found.communities.keys()])].sort();
  const people = new Map(found.people.map((r) => [r.key, r]));
  const full: TAlumniStatisticsRow[] = keys.map((key) => ({
    key,
    label: regionName(key),
    alumni: people.get(key)?.alumni ?? 0,
    communityMembers: people.get(key)?.members ?? 0,
    communities: found.communities.get(key) ?? 0,
  }));
  const totals = {
    key: '',
    label: '',
    alumni: full.reduce((s, r) => s + (r.alumni ?? 0), 0),
    communityMembers: full.reduce((s, r) => s + (r.communityMembers ?? 0), 0),
    communities: found.communitiesInAll,
  };
  const rows = min > 0 ? suppressColumns(full, ALUMNI_COUNTED, min) : full;
  const [shownTotals = totals] = min > 0 ? suppressColumns([totals], ALUMNI_COUNTED, min) : [totals];
  return {
    provinceCode: input.provinceCode ?? null,
    suppressedBelow: min,
    rows,
    totals: {
      alumni: shownTotals.alumni,
      communityMembers: shownTotals.communityMembers,
      communities: shownTotals.communities,
    },
    generatedAt: now.toISOString(),
  };
}
