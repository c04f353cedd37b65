import { ORGANISATION_STATUSES } from '@latih/sdk';
import { useState } from 'react';
import { api, csvUrl } from '../api';
import { count, dayAfter, percent, rupiah, todayWib } from '../format';
import { usePrefs } from '../i18n';
import { Field, ListTable, NumberField, type Order, SelectField, useCursorList } from '../ui';

type Sort =
  | 'name'
  | 'vouchersSold'
  | 'vouchersRedeemed'
  | 'completionRate'
  | 'ratingAverage'
  | 'refunds'
  | 'openCases';

/** Every provider's scorecard for a period: sorted by the server (across all pages), filtered, paged. */
export function ReportsPage() {
  const { t, locale } = usePrefs();
  const [from, setFrom] = useState(todayWib(-30));
  const [to, setTo] = useState(todayWib());
  const [status, setStatus] = useState<(typeof ORGANISATION_STATUSES)[number] | ''>('');
  const [minSold, setMinSold] = useState('');
  const [order, setOrder] = useState<Order>({ key: 'vouchersSold', dir: 'desc' });
  // The "to" field is inclusive, as people read a date range; the API's `to` is the day after.
  const input = {
    from,
    to: dayAfter(to),
    sort: order.key as Sort,
    order: order.dir,
    ...(status ? { status } : {}),
    ...(minSold !== '' ? { minVouchersSold: Number(minSold) } : {}),
  };
  const q = useCursorList(['reports', input], (cursor) =>
    api.pmo.reports.providers.query({ ...input, limit: 50, ...(cursor ? { cursor } : {}) }),
  );
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
        <SelectField label={t('status')} value={status} values={ORGANISATION_STATUSES} onChange={setStatus} />
        <NumberField label={t('minSold')} value={minSold} onChange={setMinSold} />
        <a href={csvUrl('reports/providers', input)} download>
          {t('downloadCsv')}
        </a>
      </div>
      <ListTable
        list={q}
        total={q.first?.total}
        caption={t('reports')}
        rowKey={(r) => r.providerId}
        order={order}
        onOrder={setOrder}
        columns={[
          {
            key: 'name',
            label: t('provider'),
            render: (r) => <a href={`#/providers/${r.providerId}`}>{r.providerName}</a>,
            serverSort: 'name',
          },
          {
            key: 'sold',
            label: t('sold'),
            render: (r) => count(r.vouchersSold, locale),
            serverSort: 'vouchersSold',
          },
          {
            key: 'red',
            label: t('redeemed'),
            render: (r) => count(r.vouchersRedeemed, locale),
            serverSort: 'vouchersRedeemed',
          },
          {
            key: 'rate',
            label: t('completionRate'),
            render: (r) => percent(r.completionRate, locale),
            serverSort: 'completionRate',
          },
          {
            key: 'rating',
            label: t('rating'),
            render: (r) => (r.ratingAverage ?? '—').toString(),
            serverSort: 'ratingAverage',
          },
          {
            key: 'refunds',
            label: t('refunds'),
            render: (r) => `${r.refunds} · ${rupiah(r.refundAmount)}`,
            serverSort: 'refunds',
          },
          { key: 'cases', label: t('openCases'), render: (r) => r.openCases, serverSort: 'openCases' },
        ]}
      />
      <PlatformReport from={from} to={dayAfter(to)} />
    </section>
  );
}

type PlatformSort = 'name' | 'sales' | 'salesAmount' | 'refunds' | 'refundAmount' | 'commission';

/** Sales, refunds and commission per platform over the same period, sorted by the server. */
function PlatformReport({ from, to }: { from: string; to: string }) {
  const { t, locale } = usePrefs();
  const [order, setOrder] = useState<Order>({ key: 'salesAmount', dir: 'desc' });
  const input = { from, to, sort: order.key as PlatformSort, order: order.dir };
  const q = useCursorList(['platform-report', input], (cursor) =>
    api.pmo.reports.platforms.query({ ...input, limit: 50, ...(cursor ? { cursor } : {}) }),
  );
  return (
    <>
      <h2 id="h-platforms">{t('platformReport')}</h2>
      <p>
        <a href={csvUrl('reports/platforms', input)} download aria-describedby="h-platforms">
          {t('downloadCsv')}
        </a>
      </p>
      <ListTable
        list={q}
        total={q.first?.total}
        caption={t('platformReport')}
        rowKey={(r) => r.platformId}
        order={order}
        onOrder={setOrder}
        columns={[
          { key: 'name', label: t('platform'), render: (r) => r.platformName, serverSort: 'name' },
          { key: 'sales', label: t('sales'), render: (r) => count(r.sales, locale), serverSort: 'sales' },
          {
            key: 'amount',
            label: t('salesAmount'),
            render: (r) => rupiah(r.salesAmount),
            serverSort: 'salesAmount',
          },
          {
            key: 'refunds',
            label: t('refunds'),
            render: (r) => `${r.refunds} · ${rupiah(r.refundAmount)}`,
            serverSort: 'refundAmount',
          },
          {
            key: 'commission',
            label: t('commission'),
            render: (r) => rupiah(r.commission),
            serverSort: 'commission',
          },
        ]}
      />
    </>
  );
}
