import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../api';
import { count, dateTime } from '../format';
import { type Key, usePrefs } from '../i18n';
import { ProvinceMap } from '../map';
import { ListTable, Loading, ProvinceField, Table, useCursorList, useProvinces } from '../ui';

type Community = Awaited<ReturnType<typeof api.pmo.communities.list.query>>['items'][number];

/** Every community (at most one per province and regency: a few hundred), read page after page. */
async function allCommunities(): Promise<Community[]> {
  const out: Community[] = [];
  let cursor: string | undefined;
  do {
    const page = await api.pmo.communities.list.query({ limit: 100, ...(cursor ? { cursor } : {}) });
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

/** #/communities: the alumni communities on the map (members per province) and as a table. */
export function CommunitiesPage() {
  const { t, locale } = usePrefs();
  const [provinceCode, setProvince] = useState('');
  const q = useQuery({ queryKey: ['communities'], queryFn: allCommunities });
  const provinces = useProvinces();
  const all = q.data ?? [];
  const members = new Map<string, number>();
  for (const c of all) members.set(c.provinceCode, (members.get(c.provinceCode) ?? 0) + c.members);
  const rows = all.filter((c) => !provinceCode || c.provinceCode === provinceCode);
  return (
    <section aria-labelledby="h-communities">
      <h1 id="h-communities">{t('communities')}</h1>
      <p>{t('communitiesIntro')}</p>
      {!q.data ? (
        <Loading error={q.error} />
      ) : (
        <>
          <h2>{t('map')}</h2>
          <ProvinceMap
            label={t('communityMembers')}
            values={members}
            names={new Map((provinces.data?.items ?? []).map((p) => [p.code, p.name]))}
            onPick={setProvince}
          />
          <div className="filters">
            <ProvinceField value={provinceCode} onChange={setProvince} />
          </div>
          {rows.length === 0 ? (
            <p>{t('noCommunities')}</p>
          ) : (
            <Table
              caption={t('communities')}
              rowKey={(c) => c.id}
              rows={rows}
              columns={[
                {
                  key: 'name',
                  label: t('name'),
                  render: (c) => <a href={`#/communities/${c.id}`}>{c.name}</a>,
                  sort: (c) => c.name,
                },
                {
                  key: 'region',
                  label: t('region'),
                  render: (c) => `${c.regionCode} ${c.regionName}`,
                  sort: (c) => c.regionCode,
                },
                {
                  key: 'members',
                  label: t('communityMembers'),
                  render: (c) => count(c.members, locale),
                  sort: (c) => c.members,
                },
                {
                  key: 'captains',
                  label: t('captains'),
                  render: (c) => count(c.captains, locale),
                  sort: (c) => c.captains,
                },
                {
                  key: 'events',
                  label: t('communityEvents'),
                  render: (c) => count(c.events, locale),
                  sort: (c) => c.events,
                },
              ]}
            />
          )}
        </>
      )}
    </section>
  );
}

/** #/communities/<id>: its leaders, its members and its events with the businesses helped. */
export function CommunityPage({ id }: { id: string }) {
  const { t, locale, zone } = usePrefs();
  const q = useQuery({
    queryKey: ['community', id],
    queryFn: () => api.pmo.communities.get.query({ communityId: id }),
  });
  const members = useCursorList(['community-members', id], (cursor) =>
    api.pmo.communities.members.query({ communityId: id, limit: 50, ...(cursor ? { cursor } : {}) }),
  );
  const events = useCursorList(['community-events', id], (cursor) =>
    api.pmo.communities.events.list.query({ communityId: id, limit: 20, ...(cursor ? { cursor } : {}) }),
  );
  if (!q.data) return <Loading error={q.error} />;
  const { community: c, captains, helped } = q.data;
  const personColumns = [
    { key: 'name', label: t('name'), render: (m: (typeof captains)[number]) => m.name },
    { key: 'nik', label: t('nikLast4'), render: (m: (typeof captains)[number]) => `…${m.nikLast4}` },
    { key: 'regency', label: t('regency'), render: (m: (typeof captains)[number]) => m.regencyCode },
    {
      key: 'joined',
      label: t('joined'),
      render: (m: (typeof captains)[number]) => dateTime(m.joinedAt, locale, zone),
    },
  ];
  return (
    <section aria-labelledby="h-community">
      <p>
        <a href="#/communities">← {t('communities')}</a>
      </p>
      <h1 id="h-community">{c.name}</h1>
      <dl className="facts">
        <dt>{t('region')}</dt>
        <dd>
          {c.regionCode} {c.regionName} ({t(c.regionLevel === 'PROVINCE' ? 'dim_province' : 'dim_regency')})
        </dd>
        <dt>{t('communityMembers')}</dt>
        <dd>{count(c.members, locale)}</dd>
        <dt>{t('communityEvents')}</dt>
        <dd>{count(c.events, locale)}</dd>
        <dt>{t('businessesHelped')}</dt>
        <dd>
          {count(helped.businesses, locale)}
          {Object.entries(helped.byHelp).length > 0 &&
            ` (${Object.entries(helped.byHelp)
              .map(([k, n]) => `${t(`help_${k}` as Key)}: ${count(n, locale)}`)
              .join(', ')})`}
        </dd>
      </dl>
      <h2>{t('captains')}</h2>
      {captains.length === 0 ? (
        <p>{t('noCaptains')}</p>
      ) : (
        <Table
          caption={t('captains')}
          rowKey={(m) => m.participantId}
          rows={captains}
          columns={personColumns}
        />
      )}
      <h2>{t('communityMembers')}</h2>
      <ListTable
        list={members}
        total={c.members}
        empty={t('noMembers')}
        caption={t('communityMembers')}
        rowKey={(m) => m.participantId}
        columns={[
          ...personColumns,
          {
            key: 'captain',
            label: t('captains'),
            render: (m) => (m.captainSince ? t('captain') : ''),
          },
        ]}
      />
      <h2>{t('communityEvents')}</h2>
      <ListTable
        list={events}
        empty={t('noCommunityEvents')}
        caption={t('communityEvents')}
        rowKey={(e) => e.id}
        columns={[
          { key: 'held', label: t('heldOn'), render: (e) => e.heldOn },
          { key: 'kind', label: t('kind'), render: (e) => t(`event_${e.kind}` as Key) },
          { key: 'title', label: t('title'), render: (e) => e.title },
          { key: 'place', label: t('place'), render: (e) => e.place },
          { key: 'alumni', label: t('alumniTookPart'), render: (e) => count(e.alumniTookPart, locale) },
          {
            key: 'businesses',
            label: t('businessesHelped'),
            render: (e) =>
              e.businesses.length === 0 ? (
                '—'
              ) : (
                <ul>
                  {e.businesses.map((b) => (
                    <li key={b.name}>
                      <strong>{b.name}</strong> ({b.sector}):{' '}
                      {b.help.map((h) => t(`help_${h}` as Key)).join(', ')}
                    </li>
                  ))}
                </ul>
              ),
          },
        ]}
      />
    </section>
  );
}
