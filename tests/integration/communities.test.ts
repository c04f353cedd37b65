import { schema } from '@latih/db';
import { and, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/db';
import { codeOf, useHarness } from '../support/harness';
import { plantCourse, plantEnrollment } from '../support/oversight-fixtures';

/*
 * Alumni communities (docs/guides/communities.md): the PMO forms them per province or regency and
 * appoints leaders among members; participants who completed a course opt in through a platform
 * that sold it; events record what the alumni did; public statistics count alumni by region.
 */

const at = new Date('2026-06-01T03:00:00Z');

const refused = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => codeOf(e) ?? String(e),
  );

describe.each(engines())('alumni communities on %s', (engine) => {
  const h = useHarness(engine);
  let courseId = '';
  let secondCourseId = '';
  let provider = '';
  const community: Record<'bandung' | 'jabar' | 'jember', string> = { bandung: '', jabar: '', jember: '' };

  beforeAll(async () => {
    provider = h.orgs.providerA.organisationId;
    courseId = await plantCourse(h, provider);
    secondCourseId = await plantCourse(h, provider);
  });

  /** A participant of `regencyCode` with a voucher of `platform`'s, completed or not. */
  const participant = async (
    o: {
      regencyCode?: string;
      platform?: 'platformA' | 'platformB';
      completed?: boolean;
      participantId?: string;
    } = {},
  ) =>
    plantEnrollment(h, {
      providerId: provider,
      // One voucher per course and participant: a second voucher of theirs is for another course.
      courseId: o.participantId ? secondCourseId : courseId,
      redeemedAt: at,
      ...(o.completed === false ? {} : { completedAt: at }),
      platformId: h.orgs[o.platform ?? 'platformA'].organisationId,
      regencyCode: o.regencyCode ?? '32.73',
      ...(o.participantId ? { participantId: o.participantId } : {}),
    });

  const eventsOf = (entityId: string) =>
    h.db.select().from(schema.events).where(eq(schema.events.entityId, entityId));
  const auditOf = (entityId: string) =>
    h.db.select().from(schema.auditLog).where(eq(schema.auditLog.entityId, entityId));

  it('the PMO forms one community per province or regency; other regions and callers are refused', async () => {
    const pmo = h.caller('pmo').pmo.communities;
    const bandung = await pmo.create({ regionCode: '32.73', name: 'Komunitas Alumni Prakerja Kota Bandung' });
    expect(bandung).toMatchObject({
      regionCode: '32.73',
      regionLevel: 'REGENCY',
      provinceCode: '32',
      members: 0,
      captains: 0,
      events: 0,
    });
    const jabar = await pmo.create({ regionCode: '32', name: 'Komunitas Alumni Prakerja Jawa Barat' });
    expect(jabar).toMatchObject({ regionLevel: 'PROVINCE', provinceCode: '32' });
    const jember = await pmo.create({ regionCode: '35.09', name: 'Komunitas Alumni Jember' });
    community.bandung = bandung.id;
    community.jabar = jabar.id;
    community.jember = jember.id;
    expect((await auditOf(bandung.id)).map((a) => a.action)).toEqual(['community.created']);

    expect(await refused(pmo.create({ regionCode: '32.73', name: 'Yang kedua' }))).toBe(
      'COMMUNITY_REGION_TAKEN',
    );
    expect(await refused(pmo.create({ regionCode: '99', name: 'Tidak ada' }))).toBe('REGION_UNKNOWN');
    expect(await refused(pmo.create({ regionCode: '32.99', name: 'Tidak ada' }))).toBe('REGION_UNKNOWN');
    expect(await refused(pmo.create({ regionCode: 'Bandung', name: 'Kode salah' }))).toBe(
      'VALIDATION_FAILED',
    );
    expect(await refused(pmo.create({ regionCode: '33', name: '' }))).toBe('VALIDATION_FAILED');
    expect(
      await refused(h.caller('platformA').pmo.communities.create({ regionCode: '33', name: 'Bukan PMO' })),
    ).toBe('FORBIDDEN_ROLE');
    expect(
      await refused(
        h
          .caller('pmo', { scopes: ['pmo:read'] })
          .pmo.communities.create({ regionCode: '33', name: 'Tanpa izin' }),
      ),
    ).toBe('SCOPE_MISSING');
    // Nothing half-written: only the three.
    expect((await h.db.select().from(schema.communities)).map((c) => c.regionCode).sort()).toEqual([
      '32',
      '32.73',
      '35.09',
    ]);

    // Listed by region code, a province before its regencies; paginated.
    const west = await pmo.list({ provinceCode: '32' });
    expect(west.items.map((c) => c.regionCode)).toEqual(['32', '32.73']);
    const first = await pmo.list({ limit: 2 });
    expect(first.items.map((c) => c.regionCode)).toEqual(['32', '32.73']);
    const rest = await pmo.list({ limit: 2, cursor: first.nextCursor ?? '' });
    expect(rest).toEqual({ items: [expect.objectContaining({ regionCode: '35.09' })], nextCursor: null });
    expect(await refused(pmo.list({ cursor: 'not-ours' }))).toBe('VALIDATION_FAILED');
    expect(await refused(pmo.get({ communityId: 'cmty_01jw0000000000000000000000' }))).toBe('NOT_FOUND');
  });

  it('an alumnus opts in through the platform that sold the course, once; the opt-in is recorded', async () => {
    const alumnus = await participant();
    const platform = h.caller('platformA').platform.communities;
    const before = await platform.forParticipant({ voucherId: alumnus.voucherId });
    expect(before).toEqual({
      participantId: alumnus.participantId,
      regencyCode: '32.73',
      alumnus: true,
      communities: [
        expect.objectContaining({ communityId: community.jabar, regionLevel: 'PROVINCE', member: false }),
        expect.objectContaining({ communityId: community.bandung, regionLevel: 'REGENCY', member: false }),
      ],
    });

    // No consent, nothing written.
    expect(
      await refused(
        platform.join({
          voucherId: alumnus.voucherId,
          communityId: community.bandung,
          consent: false as true,
        }),
      ),
    ).toBe('VALIDATION_FAILED');
    expect(await h.db.select().from(schema.communityMembers)).toEqual([]);

    const joined = await platform.join({
      voucherId: alumnus.voucherId,
      communityId: community.bandung,
      consent: true,
    });
    expect(joined).toMatchObject({ communityId: community.bandung, member: true, captain: false });
    const [row] = await h.db.select().from(schema.communityMembers);
    expect(row).toMatchObject({
      participantId: alumnus.participantId,
      platformId: h.orgs.platformA.organisationId,
      voucherId: alumnus.voucherId,
      leftAt: null,
    });
    expect(row?.consentedAt).toBeInstanceOf(Date);
    const [joinedEvent] = await eventsOf(row?.id ?? '');
    expect(joinedEvent).toMatchObject({
      type: 'community.member_joined',
      organisationId: h.orgs.platformA.organisationId,
      data: {
        communityId: community.bandung,
        regionCode: '32.73',
        participantId: alumnus.participantId,
        voucherId: alumnus.voucherId,
      },
    });
    expect((await auditOf(row?.id ?? ''))[0]).toMatchObject({
      action: 'community.member_joined',
      data: { consent: true },
    });
    // The province's community too, but each once.
    await platform.join({ voucherId: alumnus.voucherId, communityId: community.jabar, consent: true });
    expect(
      await refused(
        platform.join({ voucherId: alumnus.voucherId, communityId: community.bandung, consent: true }),
      ),
    ).toBe('COMMUNITY_ALREADY_MEMBER');
    const after = await platform.forParticipant({ voucherId: alumnus.voucherId });
    expect(after.communities.map((c) => c.member)).toEqual([true, true]);
    expect(
      (await h.caller('pmo').pmo.communities.get({ communityId: community.bandung })).community.members,
    ).toBe(1);

    // Another region's community.
    expect(
      await refused(
        platform.join({ voucherId: alumnus.voucherId, communityId: community.jember, consent: true }),
      ),
    ).toBe('COMMUNITY_OUTSIDE_REGION');
    // Not (yet) an alumnus.
    const learner = await participant({ completed: false });
    expect((await platform.forParticipant({ voucherId: learner.voucherId })).alumnus).toBe(false);
    expect(
      await refused(
        platform.join({ voucherId: learner.voucherId, communityId: community.bandung, consent: true }),
      ),
    ).toBe('COMMUNITY_NOT_ALUMNUS');
    // What they completed through platform B is not platform A's to vouch for.
    const elsewhere = await participant({ platform: 'platformB' });
    const throughA = await participant({ participantId: elsewhere.participantId, completed: false });
    expect(
      await refused(
        platform.join({ voucherId: throughA.voucherId, communityId: community.bandung, consent: true }),
      ),
    ).toBe('COMMUNITY_NOT_ALUMNUS');
    // Platform B's voucher, asked by platform A: as unknown as one that does not exist.
    expect(await refused(platform.forParticipant({ voucherId: elsewhere.voucherId }))).toBe('NOT_FOUND');
    expect(
      await refused(
        platform.join({ voucherId: elsewhere.voucherId, communityId: community.bandung, consent: true }),
      ),
    ).toBe('NOT_FOUND');
    expect(await refused(platform.forParticipant({ voucherId: 'vch_01jw0000000000000000000000' }))).toBe(
      'NOT_FOUND',
    );
    expect(
      await refused(
        platform.join({
          voucherId: alumnus.voucherId,
          communityId: 'cmty_01jw0000000000000000000000',
          consent: true,
        }),
      ),
    ).toBe('NOT_FOUND');
    expect(
      await refused(
        h.caller('providerA').platform.communities.forParticipant({ voucherId: alumnus.voucherId }),
      ),
    ).toBe('FORBIDDEN_ROLE');
    // Only the two memberships of the alumnus were written.
    expect((await h.db.select().from(schema.communityMembers)).length).toBe(2);
  });

  it('the PMO appoints leaders among members and ends their appointment; leaving ends it too', async () => {
    const pmo = h.caller('pmo').pmo.communities;
    const kapten = await participant();
    await participant({ participantId: kapten.participantId, platform: 'platformB' });
    const outsider = await participant();
    await h.caller('platformA').platform.communities.join({
      voucherId: kapten.voucherId,
      communityId: community.bandung,
      consent: true,
    });

    expect(
      await refused(
        pmo.appointCaptain({ communityId: community.bandung, participantId: outsider.participantId }),
      ),
    ).toBe('COMMUNITY_NOT_MEMBER');
    // Removing a leader who is not even a member: the same code, a message about removal.
    const notMember = await pmo
      .removeCaptain({ communityId: community.bandung, participantId: outsider.participantId })
      .catch((e: unknown) => e);
    expect(codeOf(notMember)).toBe('COMMUNITY_NOT_MEMBER');
    expect((notMember as Error).message).toMatch(/not one of its leaders/);
    const appointed = await pmo.appointCaptain({
      communityId: community.bandung,
      participantId: kapten.participantId,
    });
    expect(appointed.community.captains).toBe(1);
    expect(appointed.captains).toEqual([
      expect.objectContaining({
        participantId: kapten.participantId,
        name: expect.stringMatching(/^Peserta Tanam/),
        nikLast4: expect.stringMatching(/^\d{4}$/),
        joinedThrough: h.orgs.platformA.organisationId,
        captainSince: expect.any(String),
      }),
    ]);
    expect(
      await refused(
        pmo.appointCaptain({ communityId: community.bandung, participantId: kapten.participantId }),
      ),
    ).toBe('COMMUNITY_ALREADY_CAPTAIN');
    const [membership] = await h.db
      .select()
      .from(schema.communityMembers)
      .where(
        and(
          eq(schema.communityMembers.participantId, kapten.participantId),
          eq(schema.communityMembers.communityId, community.bandung),
        ),
      );
    const id = membership?.id ?? '';
    // The event goes to the platform the member joined through.
    expect((await eventsOf(id)).find((e) => e.type === 'community.captain_appointed')).toMatchObject({
      organisationId: h.orgs.platformA.organisationId,
      data: {
        communityId: community.bandung,
        participantId: kapten.participantId,
        voucherId: kapten.voucherId,
      },
    });
    const detail = await pmo.get({ communityId: community.bandung });
    expect(detail.captains.map((c) => c.participantId)).toEqual([kapten.participantId]);
    const forThem = await h
      .caller('platformA')
      .platform.communities.forParticipant({ voucherId: kapten.voucherId });
    expect(forThem.communities.find((c) => c.communityId === community.bandung)?.captain).toBe(true);

    const members = await pmo.members({ communityId: community.bandung, limit: 1 });
    expect(members.items).toHaveLength(1);
    expect(members.nextCursor).not.toBeNull();
    const all = await pmo.members({ communityId: community.bandung });
    expect(all.items.map((m) => m.participantId)).toContain(kapten.participantId);
    expect(JSON.stringify(all)).not.toMatch(/\d{16}/);
    expect((await auditOf(community.bandung)).some((a) => a.action === 'community.members_viewed')).toBe(
      true,
    );

    await pmo.removeCaptain({ communityId: community.bandung, participantId: kapten.participantId });
    expect(
      await refused(
        pmo.removeCaptain({ communityId: community.bandung, participantId: kapten.participantId }),
      ),
    ).toBe('COMMUNITY_NOT_CAPTAIN');
    expect((await eventsOf(id)).map((e) => e.type)).toEqual([
      'community.member_joined',
      'community.captain_appointed',
      'community.captain_removed',
    ]);
    expect((await auditOf(id)).map((a) => [a.action, a.fromState, a.toState])).toEqual([
      ['community.member_joined', null, 'MEMBER'],
      ['community.captain_appointed', 'MEMBER', 'CAPTAIN'],
      ['community.captain_removed', 'CAPTAIN', 'MEMBER'],
    ]);

    // Appointed again, they leave through the other platform that sold them a course.
    await pmo.appointCaptain({ communityId: community.bandung, participantId: kapten.participantId });
    const [viaB] = await h.db
      .select()
      .from(schema.vouchers)
      .where(
        and(
          eq(schema.vouchers.participantId, kapten.participantId),
          eq(schema.vouchers.platformId, h.orgs.platformB.organisationId),
        ),
      );
    const left = await h
      .caller('platformB')
      .platform.communities.leave({ voucherId: viaB?.id ?? '', communityId: community.bandung });
    expect(left).toMatchObject({ communityId: community.bandung, wasCaptain: true });
    // To the platform they left through, and to the one they joined through (by its own voucher).
    const leftEvents = (await eventsOf(id)).filter((e) => e.type === 'community.member_left');
    expect(
      leftEvents.map((e) => [
        e.organisationId,
        (e.data as { voucherId: string }).voucherId,
        e.data.wasCaptain,
      ]),
    ).toEqual(
      expect.arrayContaining([
        [h.orgs.platformB.organisationId, viaB?.id, true],
        [h.orgs.platformA.organisationId, kapten.voucherId, true],
      ]),
    );
    expect(leftEvents).toHaveLength(2);
    expect(
      await refused(
        h
          .caller('platformB')
          .platform.communities.leave({ voucherId: viaB?.id ?? '', communityId: community.bandung }),
      ),
    ).toBe('COMMUNITY_NOT_MEMBER');
    expect(
      await refused(
        pmo.appointCaptain({ communityId: community.bandung, participantId: kapten.participantId }),
      ),
    ).toBe('COMMUNITY_NOT_MEMBER');
    expect((await pmo.get({ communityId: community.bandung })).captains).toEqual([]);
    // They may join again (a new membership; the old one is kept).
    await h.caller('platformA').platform.communities.join({
      voucherId: kapten.voucherId,
      communityId: community.bandung,
      consent: true,
    });
    const rows = await h.db
      .select()
      .from(schema.communityMembers)
      .where(eq(schema.communityMembers.participantId, kapten.participantId));
    expect(rows.map((r) => r.leftAt === null).sort()).toEqual([false, true]);
  });

  it('records a Kumpul Jasa with the businesses helped and what was done; refuses what is not one', async () => {
    const pmo = h.caller('pmo').pmo.communities;
    const kumpulJasa = {
      communityId: community.jember,
      kind: 'KUMPUL_JASA' as const,
      title: 'Kumpul Jasa Jadi Bisa Bareng Prakerja',
      heldOn: '2026-02-03',
      place: 'Hotel Aston, Jl. Sentot Prawirodirjo, Jember',
      alumniTookPart: 120,
      businesses: [
        { name: 'Keripik Bu Sri', sector: 'Makanan ringan', help: ['BUSINESS_ID' as const, 'LOGO' as const] },
        { name: 'Batik Tanoker', sector: 'Kriya', help: ['SOCIAL_MEDIA' as const, 'LOGO' as const] },
      ],
    };
    const recorded = await pmo.events.record(kumpulJasa);
    expect(recorded).toMatchObject({
      kind: 'KUMPUL_JASA',
      heldOn: '2026-02-03',
      alumniTookPart: 120,
      note: null,
    });
    await pmo.events.record({
      communityId: community.jember,
      kind: 'MEETUP',
      title: 'Temu Alumni Jember',
      heldOn: '2026-03-01',
      place: 'Alun-alun Jember',
      alumniTookPart: 45,
    });
    expect((await auditOf(recorded.id))[0]).toMatchObject({ action: 'community_event.recorded' });

    const detail = await pmo.get({ communityId: community.jember });
    expect(detail.community.events).toBe(2);
    expect(detail.recentEvents.map((e) => e.title)).toEqual(['Temu Alumni Jember', kumpulJasa.title]);
    expect(detail.helped).toEqual({ businesses: 2, byHelp: { BUSINESS_ID: 1, LOGO: 2, SOCIAL_MEDIA: 1 } });
    const listed = await pmo.events.list({ communityId: community.jember, limit: 1 });
    expect(listed.items.map((e) => e.kind)).toEqual(['MEETUP']);
    const next = await pmo.events.list({
      communityId: community.jember,
      limit: 1,
      cursor: listed.nextCursor ?? '',
    });
    expect(next.items[0]?.businesses).toEqual(kumpulJasa.businesses);

    const count = async () => (await h.db.select().from(schema.communityEvents)).length;
    const before = await count();
    expect(await refused(pmo.events.record({ ...kumpulJasa, businesses: [] }))).toBe('VALIDATION_FAILED');
    expect(await refused(pmo.events.record({ ...kumpulJasa, heldOn: '2999-01-01' }))).toBe(
      'VALIDATION_FAILED',
    );
    expect(await refused(pmo.events.record({ ...kumpulJasa, heldOn: '3 Februari' }))).toBe(
      'VALIDATION_FAILED',
    );
    expect(
      await refused(
        pmo.events.record({
          ...kumpulJasa,
          businesses: [{ name: 'Warung', sector: 'Kuliner', help: ['DANCING' as 'LOGO'] }],
        }),
      ),
    ).toBe('VALIDATION_FAILED');
    expect(
      await refused(
        pmo.events.record({
          ...kumpulJasa,
          businesses: [{ name: 'Warung', sector: 'Kuliner', help: ['LOGO', 'LOGO'] }],
        }),
      ),
    ).toBe('VALIDATION_FAILED');
    // OTHER says what in `note`: without one (or with a blank one) the field is named.
    for (const note of [undefined, '   ']) {
      const err = await pmo.events
        .record({
          ...kumpulJasa,
          businesses: [
            kumpulJasa.businesses[0] ?? { name: 'Warung', sector: 'Kuliner', help: ['LOGO'] },
            {
              name: 'Warung',
              sector: 'Kuliner',
              help: ['LOGO', 'OTHER'],
              ...(note === undefined ? {} : { note }),
            },
          ],
        })
        .catch((e: unknown) => e);
      expect(codeOf(err)).toBe('VALIDATION_FAILED');
      expect((err as { cause: { field?: string } }).cause.field).toBe('businesses.1.note');
    }
    expect(
      await refused(pmo.events.record({ ...kumpulJasa, communityId: 'cmty_01jw0000000000000000000000' })),
    ).toBe('NOT_FOUND');
    expect(await refused(h.caller('platformA').pmo.communities.events.record(kumpulJasa))).toBe(
      'FORBIDDEN_ROLE',
    );
    expect(await count()).toBe(before);
    const other = { name: 'Warung', sector: 'Kuliner', help: ['OTHER' as const], note: 'Daftar menu' };
    expect((await pmo.events.record({ ...kumpulJasa, businesses: [other] })).businesses).toEqual([other]);
  });

  it('a join retried with its idempotency key is one membership; racing joins make one, the rest are refused', async () => {
    const retried = await participant();
    const input = { voucherId: retried.voucherId, communityId: community.jabar, consent: true as const };
    const first = h.session('platformA', { idempotencyKey: 'join-jabar-once' });
    const again = h.session('platformA', { idempotencyKey: 'join-jabar-once' });
    const answer = await first.api.platform.communities.join(input);
    expect(await again.api.platform.communities.join(input)).toEqual(answer);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const rows = () =>
      h.db
        .select()
        .from(schema.communityMembers)
        .where(eq(schema.communityMembers.participantId, retried.participantId));
    expect(await rows()).toHaveLength(1);
    expect((await eventsOf((await rows())[0]?.id ?? '')).map((e) => e.type)).toEqual([
      'community.member_joined',
    ]);

    // The same participant opting in five times at once (a double-tapped button, retries without a key).
    const racer = await participant();
    const outcomes = await Promise.all(
      Array.from({ length: 5 }, () =>
        refused(
          h.caller('platformA').platform.communities.join({
            voucherId: racer.voucherId,
            communityId: community.jabar,
            consent: true,
          }),
        ),
      ),
    );
    expect(outcomes.filter((o) => o === null)).toHaveLength(1);
    expect(outcomes.filter((o) => o !== null)).toEqual(Array(4).fill('COMMUNITY_ALREADY_MEMBER'));
    const memberships = await h.db
      .select()
      .from(schema.communityMembers)
      .where(eq(schema.communityMembers.participantId, racer.participantId));
    expect(memberships).toHaveLength(1);
    expect(await eventsOf(memberships[0]?.id ?? '')).toHaveLength(1);
  });

  it('public statistics count alumni and members by region, withholding cells under 10 people', async () => {
    const pmo = h.caller('pmo').pmo.communities;
    const makassar = await pmo.create({ regionCode: '73.71', name: 'Komunitas Alumni Makassar' });
    // 12 alumni in Makassar (10 of them members), 11 in Palopo, 3 in Parepare; 2 still in training.
    for (let i = 0; i < 12; i++) {
      const p = await participant({ regencyCode: '73.71' });
      if (i < 10)
        await h
          .caller('platformA')
          .platform.communities.join({ voucherId: p.voucherId, communityId: makassar.id, consent: true });
    }
    for (let i = 0; i < 11; i++) await participant({ regencyCode: '73.73' });
    for (let i = 0; i < 3; i++) await participant({ regencyCode: '73.72' });
    for (let i = 0; i < 2; i++) await participant({ regencyCode: '73.72', completed: false });

    const stats = await h.caller(null).public.alumniStatistics({ provinceCode: '73' });
    expect(stats.suppressedBelow).toBe(10);
    expect(stats.rows.map((r) => [r.key, r.alumni, r.communityMembers, r.communities])).toEqual([
      ['73.71', 12, 10, 1],
      // Parepare's 3 are withheld, and Palopo's 11 with them: the total would give the 3 away.
      ['73.72', null, 0, 0],
      ['73.73', null, 0, 0],
    ]);
    expect(stats.totals).toEqual({ alumni: 26, communityMembers: 10, communities: 1 });
    expect(stats.rows[0]?.label).toMatch(/MAKASSAR/i);

    // By province: West Java's few alumni (the tests above) are withheld, and South Sulawesi's 26
    // with them, or the total would give West Java's away; the total counts everyone.
    const national = await h.caller(null).public.alumniStatistics({});
    expect(national.rows.map((r) => [r.key, r.alumni, r.communities])).toEqual([
      ['32', null, 2],
      ['35', 0, 1],
      ['73', null, 1],
    ]);
    const everyAlumnus = await h.db
      .selectDistinct({ id: schema.enrollments.participantId })
      .from(schema.enrollments)
      .where(eq(schema.enrollments.status, 'COMPLETED'));
    expect(national.totals).toEqual({
      alumni: everyAlumnus.length,
      communityMembers: expect.any(Number),
      communities: 4,
    });
    expect(everyAlumnus.length).toBeGreaterThan(26);
    expect(await refused(h.caller(null).public.alumniStatistics({ provinceCode: '7' }))).toBe(
      'VALIDATION_FAILED',
    );
  });
});
