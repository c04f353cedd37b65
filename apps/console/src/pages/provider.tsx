import { COURSE_MODES } from '@latih/sdk';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { api, csvUrl } from '../api';
import { count, dateTime, percent, rupiah, todayWib } from '../format';
import { usePrefs } from '../i18n';
import { CategoryField, ListTable, Loading, type Order, SelectField, useCursorList } from '../ui';

type Sort = 'name' | 'vouchersSold' | 'completionRate' | 'medianDaysToComplete' | 'ratingAverage';

/** One provider: its scorecard for the last 90 days, its figures week by week, its courses and cases. */
export function ProviderPage({ id }: { id: string }) {
  const { t, locale, zone } = usePrefs();
  // The last 90 WIB days, today included (the API's `to` is the day after).
  const period = { from: todayWib(-90), to: todayWib(1) };
  const [mode, setMode] = useState<(typeof COURSE_MODES)[number] | ''>('');
  const [category, setCategory] = useState('');
  const [order, setOrder] = useState<Order>({ key: 'vouchersSold', dir: 'desc' });
  const courseInput = {
    ...period,
    providerId: id,
    sort: order.key as Sort,
    order: order.dir,
    ...(mode ? { mode } : {}),
    ...(category ? { category } : {}),
  };
  const card = useQuery({
    queryKey: ['scorecard', id, period],
    queryFn: () => api.pmo.reports.providers.query({ ...period, providerId: id }),
  });
  const trend = useQuery({
    queryKey: ['trend', id, period],
    queryFn: () => api.pmo.reports.providerTrend.query({ ...period, providerId: id, interval: 'week' }),
  });
  const courses = useCursorList(['courses', courseInput], (cursor) =>
    api.pmo.reports.courses.query({ ...courseInput, limit: 50, ...(cursor ? { cursor } : {}) }),
  );
  const cases = useQuery({
    queryKey: ['cases', id],
    queryFn: () => api.pmo.cases.list.query({ providerId: id, limit: 100 }),
  });
  const org = useQuery({ queryKey: ['org', id], queryFn: () => api.pmo.organisations.get.query({ id }) });
  const s = card.data?.items[0];
  return (
    <section aria-labelledby="h-provider">
      <p>
        <a href="#/reports">← {t('back')}</a>
      </p>
      <h1 id="h-provider">{org.data?.name ?? id}</h1>
      <p>
        {t('status')}: <strong>{org.data?.status ?? '…'}</strong> · {period.from} – {todayWib()}
      </p>
      {s ? (
        <dl className="facts">
          <dt>{t('sold')}</dt>
          <dd>{count(s.vouchersSold, locale)}</dd>
          <dt>{t('redeemed')}</dt>
          <dd>{count(s.vouchersRedeemed, locale)}</dd>
          <dt>{t('completionRate')}</dt>
          <dd>{percent(s.completionRate, locale)}</dd>
          <dt>{t('rating')}</dt>
          <dd>{s.ratingAverage ?? '—'}</dd>
          <dt>{t('refunds')}</dt>
          <dd>
            {s.refunds} · {rupiah(s.refundAmount)}
          </dd>
          <dt>{t('openCases')}</dt>
          <dd>{s.openCases}</dd>
        </dl>
      ) : (
        <Loading error={card.error} />
      )}
      <h2>{t('trend')}</h2>
      {trend.data ? (
        <figure aria-label={t('trend')}>
          <ResponsiveContainer width="100%" height={280}>
            <LineChart data={trend.data.points} margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="period" tick={{ fontSize: 11 }} />
              <YAxis />
              <Tooltip />
              <Legend />
              <Line
                type="monotone"
                dataKey="vouchersSold"
                name={t('sold')}
                stroke="#1f5fa8"
                isAnimationActive={false}
              />
              <Line
                type="monotone"
                dataKey="completed"
                name={t('completions')}
                stroke="#2e7d32"
                isAnimationActive={false}
              />
            </LineChart>
          </ResponsiveContainer>
        </figure>
      ) : (
        <Loading error={trend.error} />
      )}
      <h2>{t('courses')}</h2>
      <div className="filters">
        <SelectField label={t('mode')} value={mode} values={COURSE_MODES} onChange={setMode} />
        <CategoryField value={category} onChange={setCategory} />
        <a href={csvUrl('reports/courses', courseInput)} download>
          {t('downloadCsv')}
        </a>
      </div>
      <ListTable
        list={courses}
        total={courses.first?.total}
        caption={t('courses')}
        rowKey={(r) => r.courseId ?? ''}
        order={order}
        onOrder={setOrder}
        columns={[
          { key: 'title', label: t('title'), render: (r) => r.courseTitle, serverSort: 'name' },
          {
            key: 'sold',
            label: t('sold'),
            render: (r) => count(r.vouchersSold, locale),
            serverSort: 'vouchersSold',
          },
          {
            key: 'rate',
            label: t('completionRate'),
            render: (r) => percent(r.completionRate, locale),
            serverSort: 'completionRate',
          },
          {
            key: 'median',
            label: t('medianDays'),
            render: (r) => r.medianDaysToComplete ?? '—',
            serverSort: 'medianDaysToComplete',
          },
          {
            key: 'rating',
            label: t('rating'),
            render: (r) => r.ratingAverage ?? '—',
            serverSort: 'ratingAverage',
          },
        ]}
      />
      <h2>{t('cases')}</h2>
      {cases.data ? (
        <ul>
          {cases.data.items.map((c) => (
            <li key={c.id}>
              <a href={`#/cases/${c.id}`}>{c.summary}</a> — {c.status} · {dateTime(c.createdAt, locale, zone)}
            </li>
          ))}
        </ul>
      ) : (
        <Loading error={cases.error} />
      )}
    </section>
  );
}
