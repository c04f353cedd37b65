import { STATISTIC_DIMENSIONS } from '@latih/sdk';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { api, csvUrl } from '../api';
import { count, dayAfter, rupiah, wibStart } from '../format';
import { usePrefs } from '../i18n';
import { ProvinceMap } from '../map';
import { Field, Loading, ProvinceField, Table, useProvinces } from '../ui';

type Dimension = (typeof STATISTIC_DIMENSIONS)[number];

export function StatisticsPage() {
  const { t, locale } = usePrefs();
  const [dimension, setDimension] = useState<Dimension>('province');
  const [provinceCode, setProvince] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const input = {
    dimension,
    ...(provinceCode ? { provinceCode } : {}),
    // WIB calendar days, "to" inclusive; the API takes UTC instants with an exclusive end.
    ...(from ? { from: wibStart(from) } : {}),
    ...(to ? { to: wibStart(dayAfter(to)) } : {}),
  };
  const q = useQuery({ queryKey: ['statistics', input], queryFn: () => api.pmo.statistics.query(input) });
  const provinces = useProvinces();
  const [search, setSearch] = useState('');
  const needle = search.trim().toLowerCase();
  const rows = (q.data?.rows ?? []).filter((r) => !needle || r.label.toLowerCase().includes(needle));
  const showMap = dimension === 'province' && !provinceCode;
  return (
    <section aria-labelledby="h-stats">
      <h1 id="h-stats">{t('statistics')}</h1>
      <div className="filters">
        <Field label={t('dimension')}>
          {(id) => (
            <select id={id} value={dimension} onChange={(e) => setDimension(e.target.value as Dimension)}>
              {STATISTIC_DIMENSIONS.map((d) => (
                <option key={d} value={d}>
                  {t(`dim_${d}`)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <ProvinceField value={provinceCode} onChange={setProvince} />
        <Field label={t('from')}>
          {(id) => <input id={id} type="date" value={from} onChange={(e) => setFrom(e.target.value)} />}
        </Field>
        <Field label={t('to')}>
          {(id) => <input id={id} type="date" value={to} onChange={(e) => setTo(e.target.value)} />}
        </Field>
        <a href={csvUrl('statistics', input)} download>
          {t('downloadCsv')}
        </a>
      </div>
      {!q.data ? (
        <Loading error={q.error} />
      ) : (
        <>
          {showMap && (
            <>
              <h2>{t('map')}</h2>
              <ProvinceMap
                label={t('participants')}
                values={new Map(q.data.rows.map((r) => [r.key, r.participants]))}
                names={new Map((provinces.data?.items ?? []).map((p) => [p.code, p.name]))}
                onPick={(code) => {
                  setProvince(code);
                  setDimension('regency');
                }}
              />
            </>
          )}
          <figure aria-label={`${t('participants')} / ${t('completions')}`}>
            <ResponsiveContainer width="100%" height={320}>
              <BarChart data={rows} margin={{ top: 8, right: 16, bottom: 48, left: 8 }}>
                <CartesianGrid strokeDasharray="3 3" />
                <XAxis
                  dataKey="label"
                  angle={-30}
                  textAnchor="end"
                  interval={0}
                  height={80}
                  tick={{ fontSize: 11 }}
                />
                <YAxis />
                <Tooltip />
                <Legend />
                <Bar
                  dataKey="participants"
                  name={t('participants')}
                  fill="#1f5fa8"
                  isAnimationActive={false}
                />
                <Bar dataKey="completions" name={t('completions')} fill="#2e7d32" isAnimationActive={false} />
              </BarChart>
            </ResponsiveContainer>
          </figure>
          <div className="filters">
            <Field label={t('searchRows')}>
              {(id) => (
                <input id={id} type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
              )}
            </Field>
          </div>
          <Table
            caption={t('statistics')}
            rowKey={(r) => r.key}
            rows={rows}
            columns={[
              { key: 'label', label: t('dimension'), render: (r) => r.label, sort: (r) => r.label },
              {
                key: 'p',
                label: t('participants'),
                render: (r) => count(r.participants, locale),
                sort: (r) => r.participants,
              },
              {
                key: 'c',
                label: t('completions'),
                render: (r) => count(r.completions, locale),
                sort: (r) => r.completions,
              },
              {
                key: 'cert',
                label: t('certificates'),
                render: (r) => count(r.certificates, locale),
                sort: (r) => r.certificates,
              },
              {
                key: 'inc',
                label: t('incentivesPaid'),
                render: (r) => `${count(r.incentivesPaid, locale)} · ${rupiah(r.incentivesPaidAmount)}`,
                sort: (r) => r.incentivesPaidAmount,
              },
            ]}
          />
        </>
      )}
    </section>
  );
}
