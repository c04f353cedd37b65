import { useQuery } from '@tanstack/react-query';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { api, csvUrl } from '../api';
import { count, dateTime, percent, rupiah } from '../format';
import { usePrefs } from '../i18n';
import { Loading, Table } from '../ui';

const day = (d: Date) => d.toISOString().slice(0, 10);

/** One provider: its scorecard for the last 90 days, its figures week by week, its courses and cases. */
export function ProviderPage({ id }: { id: string }) {
  const { t, locale, zone } = usePrefs();
  const period = {
    from: day(new Date(Date.now() - 90 * 86_400_000)),
    to: day(new Date(Date.now() + 86_400_000)),
  };
  const card = useQuery({
    queryKey: ['scorecard', id, period],
    queryFn: () => api.pmo.reports.providers.query({ ...period, providerId: id }),
  });
  const trend = useQuery({
    queryKey: ['trend', id, period],
    queryFn: () => api.pmo.reports.providerTrend.query({ ...period, providerId: id, interval: 'week' }),
  });
  const courses = useQuery({
    queryKey: ['courses', id, period],
    queryFn: () => api.pmo.reports.courses.query({ ...period, providerId: id, limit: 200 }),
  });
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
        {t('status')}: <strong>{org.data?.status ?? '…'}</strong> · {period.from} – {period.to}
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
      <p>
        <a href={csvUrl('reports/courses', { ...period, providerId: id })} download>
          {t('downloadCsv')}
        </a>
      </p>
      {courses.data ? (
        <Table
          caption={t('courses')}
          rowKey={(r) => r.courseId ?? ''}
          rows={courses.data.items}
          columns={[
            { key: 'title', label: t('title'), render: (r) => r.courseTitle, sort: (r) => r.courseTitle },
            {
              key: 'sold',
              label: t('sold'),
              render: (r) => count(r.vouchersSold, locale),
              sort: (r) => r.vouchersSold,
            },
            {
              key: 'rate',
              label: t('completionRate'),
              render: (r) => percent(r.completionRate, locale),
              sort: (r) => r.completionRate,
            },
            {
              key: 'median',
              label: t('medianDays'),
              render: (r) => r.medianDaysToComplete ?? '—',
              sort: (r) => r.medianDaysToComplete,
            },
            {
              key: 'rating',
              label: t('rating'),
              render: (r) => r.ratingAverage ?? '—',
              sort: (r) => r.ratingAverage,
            },
          ]}
        />
      ) : (
        <Loading error={courses.error} />
      )}
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
