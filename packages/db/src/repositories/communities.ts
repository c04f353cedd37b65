import { and, asc, desc, eq, gt, isNull, lt, sql } from 'drizzle-orm';
import type { Db } from '../client';
import { execRows } from '../client';
import { communities, communityEvents, communityMembers, participants } from '../schema';
import { decodeCursor, toPage } from './cursor';

export type CommunityRow = typeof communities.$inferSelect;
export type CommunityMemberRow = typeof communityMembers.$inferSelect;
export type CommunityEventRow = typeof communityEvents.$inferSelect;
export type CommunityWithCounts = CommunityRow & { members: number; captains: number; events: number };

/** Inserts a community; null when its region already has one (the unique region index). */
export async function insertCommunity(db: Db, row: CommunityRow): Promise<CommunityRow | null> {
  const [inserted] = await db.insert(communities).values(row).onConflictDoNothing().returning();
  return inserted ?? null;
}

// The subqueries name communities.id in full: drizzle leaves a single table's columns unqualified.
const withCounts = {
  id: communities.id,
  regionCode: communities.regionCode,
  regionLevel: communities.regionLevel,
  provinceCode: communities.provinceCode,
  name: communities.name,
  createdAt: communities.createdAt,
  members: sql<number>`(select count(*) from community_members m
      where m.community_id = communities.id and m.left_at is null)`.mapWith(Number),
  captains: sql<number>`(select count(*) from community_members m
      where m.community_id = communities.id and m.left_at is null and m.captain_since is not null)`.mapWith(
    Number,
  ),
  events: sql<number>`(select count(*) from community_events ce
      where ce.community_id = communities.id)`.mapWith(Number),
};

/** Communities by region code (provinces sort before their regencies), with their counts. */
export async function communitiesPage(
  db: Db,
  opts: { provinceCode?: string | undefined; limit: number; cursor?: string | undefined },
) {
  const where = [];
  if (opts.provinceCode) where.push(eq(communities.provinceCode, opts.provinceCode));
  if (opts.cursor) where.push(gt(communities.regionCode, decodeCursor(opts.cursor)));
  const rows = await db
    .select(withCounts)
    .from(communities)
    .where(and(...where))
    .orderBy(asc(communities.regionCode))
    .limit(opts.limit + 1);
  return toPage(
    rows,
    opts.limit,
    (r) => r.regionCode,
    (r) => r,
  );
}

export async function findCommunity(
  db: Db,
  id: string,
  o: { forUpdate?: boolean } = {},
): Promise<CommunityWithCounts | null> {
  if (o.forUpdate) {
    // Serialises the changes of one community's membership (joins, captains) behind its row.
    await db.select({ id: communities.id }).from(communities).where(eq(communities.id, id)).for('update');
  }
  const [row] = await db.select(withCounts).from(communities).where(eq(communities.id, id));
  return row ?? null;
}

/** The communities of these regions (a participant's regency and its province). */
export async function communitiesOfRegions(db: Db, regionCodes: string[]): Promise<CommunityRow[]> {
  if (regionCodes.length === 0) return [];
  return db
    .select()
    .from(communities)
    .where(sql`${communities.regionCode} = any(string_to_array(${regionCodes.join(',')}, ','))`)
    .orderBy(asc(communities.regionCode));
}

/**
 * The participant a platform's voucher was sold to, and whether an enrollment of theirs on a voucher
 * this platform sold is COMPLETED. Null when the voucher is not this platform's (or not at all).
 */
export async function participantOfPlatformVoucher(db: Db, voucherId: string, platformId: string) {
  const rows = await execRows<{ participant_id: string; regency_code: string; alumnus: boolean }>(
    db,
    sql`select p.id as participant_id, p.regency_code,
               exists (select 1 from vouchers v join enrollments e on e.voucher_id = v.id
                        where v.participant_id = p.id and v.platform_id = ${platformId}
                          and e.status = 'COMPLETED') as alumnus
          from vouchers asked
          join participants p on p.id = asked.participant_id
         where asked.id = ${voucherId} and asked.platform_id = ${platformId}`,
  );
  const r = rows[0];
  return r
    ? { participantId: r.participant_id, regencyCode: r.regency_code, alumnus: r.alumnus === true }
    : null;
}

export async function currentMembership(
  db: Db,
  communityId: string,
  participantId: string,
): Promise<CommunityMemberRow | null> {
  const [row] = await db
    .select()
    .from(communityMembers)
    .where(
      and(
        eq(communityMembers.communityId, communityId),
        eq(communityMembers.participantId, participantId),
        isNull(communityMembers.leftAt),
      ),
    );
  return row ?? null;
}

/** A participant's current memberships. */
export async function membershipsOfParticipant(db: Db, participantId: string): Promise<CommunityMemberRow[]> {
  return db
    .select()
    .from(communityMembers)
    .where(and(eq(communityMembers.participantId, participantId), isNull(communityMembers.leftAt)));
}

/** Inserts a membership; null when the participant is already a member (the partial unique index). */
export async function insertMembership(db: Db, row: CommunityMemberRow): Promise<CommunityMemberRow | null> {
  const [inserted] = await db.insert(communityMembers).values(row).onConflictDoNothing().returning();
  return inserted ?? null;
}

/** Ends a current membership (and its leadership); null when it had ended already. */
export async function endMembership(db: Db, id: string, o: { at: Date; through: string }) {
  const [row] = await db
    .update(communityMembers)
    .set({ leftAt: o.at, leftThrough: o.through, captainSince: null })
    .where(and(eq(communityMembers.id, id), isNull(communityMembers.leftAt)))
    .returning();
  return row ?? null;
}

/** Starts (a time) or ends (null) a current member's leadership; null when nothing changed. */
export async function setCaptain(db: Db, id: string, since: Date | null) {
  const [row] = await db
    .update(communityMembers)
    .set({ captainSince: since })
    .where(
      and(
        eq(communityMembers.id, id),
        isNull(communityMembers.leftAt),
        since ? isNull(communityMembers.captainSince) : sql`${communityMembers.captainSince} is not null`,
      ),
    )
    .returning();
  return row ?? null;
}

const memberColumns = {
  id: communityMembers.id,
  participantId: communityMembers.participantId,
  name: participants.name,
  nikLast4: participants.nikLast4,
  regencyCode: participants.regencyCode,
  joinedAt: communityMembers.joinedAt,
  joinedThrough: communityMembers.platformId,
  captainSince: communityMembers.captainSince,
};
export type CommunityMemberView = {
  id: string;
  participantId: string;
  name: string;
  nikLast4: string;
  regencyCode: string;
  joinedAt: Date;
  joinedThrough: string;
  captainSince: Date | null;
};

/** Current members in joining order (membership ids are time-ordered), or only the leaders. */
export async function communityMembersPage(
  db: Db,
  opts: { communityId: string; captainsOnly?: boolean; limit: number; cursor?: string | undefined },
) {
  const where = [eq(communityMembers.communityId, opts.communityId), isNull(communityMembers.leftAt)];
  if (opts.captainsOnly) where.push(sql`${communityMembers.captainSince} is not null`);
  if (opts.cursor) where.push(gt(communityMembers.id, decodeCursor(opts.cursor)));
  const rows: CommunityMemberView[] = await db
    .select(memberColumns)
    .from(communityMembers)
    .innerJoin(participants, eq(participants.id, communityMembers.participantId))
    .where(and(...where))
    .orderBy(asc(communityMembers.id))
    .limit(opts.limit + 1);
  return toPage(
    rows,
    opts.limit,
    (r) => r.id,
    (r) => r,
  );
}

export async function insertCommunityEvent(db: Db, row: CommunityEventRow): Promise<CommunityEventRow> {
  const [inserted] = await db.insert(communityEvents).values(row).returning();
  if (!inserted) throw new Error('community event insert returned nothing');
  return inserted;
}

/** Events newest recorded first, of one community or all. */
export async function communityEventsPage(
  db: Db,
  opts: { communityId?: string | undefined; limit: number; cursor?: string | undefined },
) {
  const where = [];
  if (opts.communityId) where.push(eq(communityEvents.communityId, opts.communityId));
  if (opts.cursor) where.push(lt(communityEvents.id, decodeCursor(opts.cursor)));
  const rows = await db
    .select()
    .from(communityEvents)
    .where(and(...where))
    .orderBy(desc(communityEvents.id))
    .limit(opts.limit + 1);
  return toPage(
    rows,
    opts.limit,
    (r) => r.id,
    (r) => r,
  );
}

/** A community's most recently held events. */
export async function recentCommunityEvents(db: Db, communityId: string, limit: number) {
  return db
    .select()
    .from(communityEvents)
    .where(eq(communityEvents.communityId, communityId))
    .orderBy(desc(communityEvents.heldOn), desc(communityEvents.id))
    .limit(limit);
}

/** Businesses helped at a community's events, in all and per kind of help. */
export async function businessesHelped(db: Db, communityId: string) {
  const rows = await execRows<{ help: string | null; n: number | string }>(
    db,
    sql`select null as help, count(*) as n
          from community_events ce, jsonb_array_elements(ce.businesses) b
         where ce.community_id = ${communityId}
        union all
        select h.value as help, count(*) as n
          from community_events ce, jsonb_array_elements(ce.businesses) b,
               jsonb_array_elements_text(b.value -> 'help') h
         where ce.community_id = ${communityId}
         group by h.value`,
  );
  const byHelp: Record<string, number> = {};
  let total = 0;
  for (const r of rows) {
    if (r.help === null) total = Number(r.n);
    else byHelp[r.help] = Number(r.n);
  }
  return { businesses: total, byHelp };
}

/**
 * Alumni (participants with a COMPLETED enrollment) and community members among them, by the
 * participant's registered region: provinces, or the regencies of one province.
 */
export async function alumniByRegion(db: Db, provinceCode: string | undefined) {
  const key = provinceCode ? sql`p.regency_code` : sql`left(p.regency_code, 2)`;
  const within = provinceCode ? sql`and left(p.regency_code, 2) = ${provinceCode}` : sql``;
  const people = await execRows<{ key: string; alumni: number | string; members: number | string }>(
    db,
    sql`select ${key} as key, count(*) as alumni,
               count(*) filter (where exists (select 1 from community_members m
                                               where m.participant_id = p.id and m.left_at is null)) as members
          from participants p
         where exists (select 1 from enrollments e where e.participant_id = p.id and e.status = 'COMPLETED')
               ${within}
         group by 1`,
  );
  const groups = await execRows<{ key: string; n: number | string }>(
    db,
    provinceCode
      ? sql`select region_code as key, count(*) as n from communities
             where province_code = ${provinceCode} and region_level = 'REGENCY' group by 1`
      : sql`select province_code as key, count(*) as n from communities group by 1`,
  );
  const [all] = await execRows<{ n: number | string }>(
    db,
    sql`select count(*) as n from communities ${provinceCode ? sql`where province_code = ${provinceCode}` : sql``}`,
  );
  return {
    people: people.map((r) => ({ key: r.key, alumni: Number(r.alumni), members: Number(r.members) })),
    communities: new Map(groups.map((g) => [g.key, Number(g.n)])),
    communitiesInAll: Number(all?.n ?? 0),
  };
}
