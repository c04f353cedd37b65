import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, csvUrl } from '../api';
import { count, percent, rupiah } from '../format';
import { usePrefs } from '../i18n';
import { Field, Loading, Table } from '../ui';

const day = (d: Date) => d.toISOString().slice(0, 10);

export function ReportsPage() {
  const { t, locale } = usePrefs();
  const [from, setFrom] = useState(day(new Date(Date.now() - 30 * 86_400_000)));
  const [to, setTo] = useState(day(new Date(Date.now() + 86_400_000)));
  const input = { from, to, limit: 200 };
  const q = useQuery({ queryKey: ['reports', input], queryFn: () => api.pmo.reports.providers.query(input) });
  return (
    <section aria-labelledby="h-reports">
      <h1 id="h-reports">{t('reports')}</h1>
      <div className="filters">
        <Field label={t('from')}>
          {(id) => <input id={id} type="date" value={from} onChange={(e) => setFrom(e.target.value)} />}
        </Field>
        <Field label={t('to')}>
          {(id) => <input id={id} type="date" value={to} onChange={(e) => setTo(e.target.value)} />}
        </Field>
        <a href={csvUrl('reports/providers', { from, to })} download>
          {t('downloadCsv')}
        </a>
      </div>
      {!q.data ? (
        <Loading error={q.error} />
      ) : (
        <Table
          caption={t('reports')}
          rowKey={(r) => r.providerId}
          rows={q.data.items}
          columns={[
            {
              key: 'name',
              label: t('provider'),
              render: (r) => <a href={`#/providers/${r.providerId}`}>{r.providerName}</a>,
              sort: (r) => r.providerName,
            },
            {
              key: 'sold',
              label: t('sold'),
              render: (r) => count(r.vouchersSold, locale),
              sort: (r) => r.vouchersSold,
            },
            {
              key: 'red',
              label: t('redeemed'),
              render: (r) => count(r.vouchersRedeemed, locale),
              sort: (r) => r.vouchersRedeemed,
            },
            {
              key: 'rate',
              label: t('completionRate'),
              render: (r) => percent(r.completionRate, locale),
              sort: (r) => r.completionRate,
            },
            {
              key: 'rating',
              label: t('rating'),
              render: (r) => (r.ratingAverage ?? '—').toString(),
              sort: (r) => r.ratingAverage,
            },
            {
              key: 'refunds',
              label: t('refunds'),
              render: (r) => `${r.refunds} · ${rupiah(r.refundAmount)}`,
              sort: (r) => r.refundAmount,
            },
            { key: 'cases', label: t('openCases'), render: (r) => r.openCases, sort: (r) => r.openCases },
          ]}
        />
      )}
    </section>
  );
}
