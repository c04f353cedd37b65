import { CASE_OUTCOMES, SETTLEMENT_STATUSES } from '@latih/sdk';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { api, describe } from '../api';
import { count, dateTime, dayAfter, percent, rupiah, todayWib } from '../format';
import { useCan } from '../session';
import { Field, ListTable, Loading, SelectField, Table, useCursorList } from '../ui';
import './money.css';
import { usePT } from './t';

type Figures = Awaited<ReturnType<typeof api.provider.reports.figures.query>>;
type Scorecard = Figures['courses'][number];
type Interval = 'day' | 'week' | 'month';
const INTERVALS: readonly Interval[] = ['day', 'week', 'month'];

/**
 * Kinerja: the provider's own scorecard (the one the PMO reads) for a period of WIB days, its trend
 * by day, week or month as a chart and the same points as a table, and each course's figures.
 */
export function FiguresPage() {
  const { pt, t, locale, zone } = usePT();
  const [from, setFrom] = useState(todayWib(-89));
  const [to, setTo] = useState(todayWib());
  const [interval, setInterval] = useState<Interval>('week');
  // The "to" field is inclusive, as people read a date range; the API's `to` is the day after.
  const valid = /^\d{4}-\d{2}-\d{2}$/.test(from) && /^\d{4}-\d{2}-\d{2}$/.test(to) && from <= to;
  const input = { from, to: valid ? dayAfter(to) : to, interval };
  const q = useQuery({
    queryKey: ['p-figures', input],
    queryFn: () => api.provider.reports.figures.query(input),
    enabled: valid,
  });
  const f = q.data;
  const s = f?.total ?? null;
  return (
    <section aria-labelledby="h-figures">
      <h1 id="h-figures">{pt('m_figuresTitle')}</h1>
      <p>{pt('m_figuresIntro')}</p>
      <div className="filters">
        <Field label={pt('m_periodFrom')}>
          {(id) => (
            <input id={id} type="date" value={from} max={to} onChange={(e) => setFrom(e.target.value)} />
          )}
        </Field>
        <Field label={pt('m_periodTo')}>
          {(id) => (
            <input id={id} type="date" value={to} min={from} onChange={(e) => setTo(e.target.value)} />
          )}
        </Field>
        <Field label={pt('m_granularity')}>
          {(id) => (
            <select id={id} value={interval} onChange={(e) => setInterval(e.target.value as Interval)}>
              {INTERVALS.map((i) => (
                <option key={i} value={i}>
                  {pt(`m_gran_${i}`)}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      {!valid && (
        <p role="alert" className="error">
          {pt('m_badPeriod')}
        </p>
      )}
      <h2>{pt('m_figuresSummary')}</h2>
      {valid && !f && <Loading error={q.error} />}
      {f && (
        <p className="m-note">
          {from} – {to}
          {f.asOf ? ` · ${pt('m_asOf')}: ${dateTime(f.asOf, locale, zone)}` : ''}
        </p>
      )}
      {f && !s && <p>{pt('m_figuresNone')}</p>}
      {s && (
        <dl className="facts">
          <dt>{t('sold')}</dt>
          <dd>{count(s.vouchersSold, locale)}</dd>
          <dt>{t('redeemed')}</dt>
          <dd>{count(s.vouchersRedeemed, locale)}</dd>
          <dt>{pt('m_completed')}</dt>
          <dd>{count(s.completed, locale)}</dd>
          <dt>{pt('m_notCompleted')}</dt>
          <dd>{count(s.notCompleted, locale)}</dd>
          <dt>{t('completionRate')}</dt>
          <dd>{percent(s.completionRate, locale)}</dd>
          <dt>{t('medianDays')}</dt>
          <dd>{decimal(s.medianDaysToComplete, locale)}</dd>
          <dt>{pt('m_attendanceRate')}</dt>
          <dd>{percent(s.attendanceConfirmationRate, locale)}</dd>
          <dt>{pt('m_identityFailRate')}</dt>
          <dd>{percent(s.identityCheckFailureRate, locale)}</dd>
          <dt>{t('rating')}</dt>
          <dd>{rating(s, locale, pt('m_ratingCount'))}</dd>
          <dt>{t('refunds')}</dt>
          <dd>
            {count(s.refunds, locale)} · {rupiah(s.refundAmount)}
          </dd>
        </dl>
      )}
      <h2>
        {pt('m_trendTitle')} ({pt(`m_gran_${interval}`).toLowerCase()})
      </h2>
      {f && <Trend points={f.trend.points} />}
      <h2>{pt('m_coursesTitle')}</h2>
      {f &&
        (f.courses.length === 0 ? (
          <p>{pt('m_figuresNone')}</p>
        ) : (
          <Table
            caption={pt('m_coursesTitle')}
            rows={f.courses}
            rowKey={(r) => r.courseId ?? r.courseTitle ?? ''}
            columns={[
              {
                key: 'title',
                label: pt('m_course'),
                render: (r) =>
                  r.courseId ? <a href={`#/courses/${r.courseId}`}>{r.courseTitle}</a> : r.courseTitle,
                sort: (r) => r.courseTitle,
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
                key: 'done',
                label: pt('m_completed'),
                render: (r) => count(r.completed, locale),
                sort: (r) => r.completed,
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
                render: (r) => decimal(r.medianDaysToComplete, locale),
                sort: (r) => r.medianDaysToComplete,
              },
              {
                key: 'att',
                label: pt('m_attendanceRate'),
                render: (r) => percent(r.attendanceConfirmationRate, locale),
                sort: (r) => r.attendanceConfirmationRate,
              },
              {
                key: 'idf',
                label: pt('m_identityFailRate'),
                render: (r) => percent(r.identityCheckFailureRate, locale),
                sort: (r) => r.identityCheckFailureRate,
              },
              {
                key: 'rating',
                label: t('rating'),
                render: (r) => rating(r, locale, pt('m_ratingCount')),
                sort: (r) => r.ratingAverage,
              },
              {
                key: 'refunds',
                label: t('refunds'),
                render: (r) => `${count(r.refunds, locale)} · ${rupiah(r.refundAmount)}`,
                sort: (r) => r.refundAmount,
              },
            ]}
          />
        ))}
    </section>
  );
}

/** A number with up to two decimals, as the user's language writes it (12,5 in Bahasa Indonesia). */
function decimal(n: number | null, locale: string): string {
  if (n === null) return '—';
  return new Intl.NumberFormat(locale === 'en' ? 'en-GB' : 'id-ID', { maximumFractionDigits: 2 }).format(n);
}

function rating(
  s: Pick<Scorecard, 'ratingAverage' | 'ratingCount'>,
  locale: string,
  reviews: string,
): string {
  if (s.ratingAverage === null) return '—';
  return `${decimal(s.ratingAverage, locale)} (${count(s.ratingCount, locale)} ${reviews})`;
}

/** The trend as a chart, and the same points as a table (the chart's text alternative). */
function Trend({ points }: { points: Figures['trend']['points'] }) {
  const { pt, t, locale } = usePT();
  if (points.length === 0) return <p>{t('noData')}</p>;
  return (
    <>
      <figure className="m-chart" aria-label={pt('m_trendChart')}>
        <ResponsiveContainer width="100%" height={280}>
          <LineChart data={points} margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="period" tick={{ fontSize: 11, fill: '#333' }} />
            <YAxis allowDecimals={false} tick={{ fill: '#333' }} />
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
              dataKey="vouchersRedeemed"
              name={t('redeemed')}
              stroke="#8a4b00"
              strokeDasharray="6 3"
              isAnimationActive={false}
            />
            <Line
              type="monotone"
              dataKey="completed"
              name={pt('m_completed')}
              stroke="#2e7d32"
              isAnimationActive={false}
            />
          </LineChart>
        </ResponsiveContainer>
      </figure>
      <Table
        caption={pt('m_trendTable')}
        rows={points}
        rowKey={(p) => p.period}
        columns={[
          { key: 'period', label: pt('m_periodStart'), render: (p) => p.period, sort: (p) => p.period },
          { key: 'sold', label: t('sold'), render: (p) => count(p.vouchersSold, locale) },
          { key: 'red', label: t('redeemed'), render: (p) => count(p.vouchersRedeemed, locale) },
          { key: 'done', label: pt('m_completed'), render: (p) => count(p.completed, locale) },
          { key: 'not', label: pt('m_notCompleted'), render: (p) => count(p.notCompleted, locale) },
          { key: 'rate', label: t('completionRate'), render: (p) => percent(p.completionRate, locale) },
          { key: 'rating', label: t('rating'), render: (p) => decimal(p.ratingAverage, locale) },
        ]}
      />
    </>
  );
}

type LineReason = NonNullable<
  Awaited<ReturnType<typeof api.provider.settlements.items.query>>['items'][number]['reason']
>;
type CaseOutcome = (typeof CASE_OUTCOMES)[number];
const isOutcome = (o: string | null): o is CaseOutcome =>
  (CASE_OUTCOMES as readonly string[]).includes(o ?? '');

/** Why a line was clawed back or held: a class's cancellation, or a case's decision (case, outcome, text). */
function Reason({ reason }: { reason: LineReason | null }) {
  const { pt, locale, zone } = usePT();
  if (!reason) return <>—</>;
  const ref =
    reason.kind === 'CASE_DECISION'
      ? reason.caseId && `${pt('m_caseRef')} ${reason.caseId}`
      : reason.runId && `${pt('m_runRef')} ${reason.runId}`;
  const outcome = reason.outcome
    ? isOutcome(reason.outcome)
      ? pt(`m_out_${reason.outcome}`)
      : reason.outcome
    : null;
  return (
    <span className="m-reason">
      <strong>{pt(`m_reason_${reason.kind}`)}</strong>
      {ref ? ` (${ref})` : ''}
      {outcome ? (
        <>
          {': '}
          {outcome} <code>{reason.outcome}</code>
        </>
      ) : null}
      {reason.text ? <q>{reason.text}</q> : null}
      {reason.at ? <span className="m-when">{dateTime(reason.at, locale, zone)}</span> : null}
    </span>
  );
}

/** Whole rupiah with its sign in front: -Rp900.000 for a line that gives money back. */
const signed = (n: number) => (n < 0 ? `-${rupiah(-n)}` : rupiah(n));

/** The provider's courses by id, to name a line's course (the first 100; an id otherwise). */
function useCourseTitles(): Map<string, string> {
  const q = useQuery({
    queryKey: ['p-course-titles'],
    queryFn: () => api.provider.courses.list.query({ limit: 100 }),
    staleTime: 60_000,
  });
  return new Map((q.data?.items ?? []).map((c) => [c.id, c.title]));
}

function VoucherCourse({ voucherId, courseId }: { voucherId: string; courseId: string }) {
  const titles = useCourseTitles();
  return (
    <>
      <code className="m-id">{voucherId}</code>
      <div>
        <a href={`#/courses/${courseId}`}>{titles.get(courseId) ?? courseId}</a>
      </div>
    </>
  );
}

/** Penyelesaian dana: the statements (or one of them, line by line), the held lines, the payout account. */
export function SettlementsPage({ id }: { id?: string | undefined }) {
  if (id) return <Statement id={id} />;
  return <Statements />;
}

function Statements() {
  const { pt, locale, zone } = usePT();
  const [status, setStatus] = useState<(typeof SETTLEMENT_STATUSES)[number] | ''>('');
  const filter = status ? { status } : {};
  const list = useCursorList(['p-settlements', filter], (cursor) =>
    api.provider.settlements.list.query({ ...filter, limit: 50, ...(cursor ? { cursor } : {}) }),
  );
  return (
    <section aria-labelledby="h-money">
      <h1 id="h-money">{pt('m_moneyTitle')}</h1>
      <h2>{pt('m_statements')}</h2>
      <div className="filters">
        <SelectField
          label={pt('m_settlementStatus')}
          value={status}
          values={SETTLEMENT_STATUSES}
          onChange={setStatus}
          labelOf={(v) => pt(`m_st_${v}`)}
        />
      </div>
      <ListTable
        list={list}
        empty={pt('m_statementsNone')}
        caption={pt('m_statements')}
        rowKey={(r) => r.id}
        columns={[
          {
            key: 'day',
            label: pt('m_batchDay'),
            render: (r) => (
              <a href={`#/money/${r.id}`} aria-label={`${pt('m_openStatement')} ${r.batchDate}`}>
                {r.batchDate}
              </a>
            ),
            sort: (r) => r.batchDate,
          },
          {
            key: 'amount',
            label: pt('m_lineAmount'),
            render: (r) => rupiah(r.amount),
            sort: (r) => r.amount,
          },
          {
            key: 'lines',
            label: pt('m_lines'),
            render: (r) => count(r.itemCount, locale),
            sort: (r) => r.itemCount,
          },
          {
            key: 'status',
            label: pt('m_settlementStatus'),
            render: (r) => <SettlementStatus status={r.status} />,
            sort: (r) => r.status,
          },
          {
            key: 'paid',
            label: pt('m_paidAt'),
            render: (r) => dateTime(r.paidAt, locale, zone),
            sort: (r) => r.paidAt,
          },
          {
            key: 'failure',
            label: pt('m_failure'),
            render: (r) => (r.failure ? `${r.failure.code}: ${r.failure.message}` : (r.lastError ?? '—')),
          },
        ]}
      />
      <HeldLines />
      <PayoutAccount />
    </section>
  );
}

function SettlementStatus({ status }: { status: (typeof SETTLEMENT_STATUSES)[number] }) {
  const { pt } = usePT();
  return (
    <span className={status === 'FAILED' ? 'error' : status === 'PAID' ? 'done' : undefined}>
      {pt(`m_st_${status}`)}
    </span>
  );
}

/** One statement: its facts, then every line (paged), each clawed-back or held line with its reason. */
function Statement({ id }: { id: string }) {
  const { pt, t, locale, zone } = usePT();
  const q = useQuery({
    queryKey: ['p-settlement', id],
    queryFn: () => api.provider.settlements.get.query({ id }),
  });
  const items = useCursorList(['p-settlement-items', id], (cursor) =>
    api.provider.settlements.items.query({ id, limit: 100, ...(cursor ? { cursor } : {}) }),
  );
  const s = q.data;
  return (
    <section aria-labelledby="h-statement">
      <p>
        <a href="#/money">← {pt('m_backToList')}</a>
      </p>
      <h1 id="h-statement">
        {pt('m_statementTitle')}
        {s ? ` ${s.batchDate}` : ''}
      </h1>
      <h2>{pt('m_statementFacts')}</h2>
      {s ? (
        <dl className="facts">
          <dt>{pt('m_batchDay')}</dt>
          <dd>{s.batchDate}</dd>
          <dt>{pt('m_lineAmount')}</dt>
          <dd>{rupiah(s.amount)}</dd>
          <dt>{pt('m_lines')}</dt>
          <dd>{count(s.itemCount, locale)}</dd>
          <dt>{pt('m_settlementStatus')}</dt>
          <dd>
            <SettlementStatus status={s.status} />
          </dd>
          <dt>{pt('m_attempt')}</dt>
          <dd>{s.attempt}</dd>
          {s.failure && (
            <>
              <dt>{pt('m_failure')}</dt>
              <dd>
                {s.failure.code}: {s.failure.message}
              </dd>
            </>
          )}
          {s.lastError && (
            <>
              <dt>{pt('m_lastError')}</dt>
              <dd>{s.lastError}</dd>
            </>
          )}
          <dt>{pt('m_payoutId')}</dt>
          <dd>{s.payoutId ?? '—'}</dd>
          <dt>{pt('m_createdAt')}</dt>
          <dd>{dateTime(s.createdAt, locale, zone)}</dd>
          <dt>{pt('m_paidAt')}</dt>
          <dd>{dateTime(s.paidAt, locale, zone)}</dd>
        </dl>
      ) : (
        <Loading error={q.error} />
      )}
      <h2>{pt('m_statementLines')}</h2>
      <p className="m-note">{pt('m_netNote')}</p>
      <ListTable
        list={items}
        empty={pt('m_statementLinesNone')}
        caption={pt('m_statementLines')}
        rowKey={(r) => `${r.voucherId}:${r.basis}`}
        columns={[
          {
            key: 'voucher',
            label: pt('m_voucherCourse'),
            render: (r) => <VoucherCourse voucherId={r.voucherId} courseId={r.courseId} />,
          },
          {
            key: 'basis',
            label: pt('m_basis'),
            render: (r) => pt(`m_basis_${r.basis}`),
            sort: (r) => r.basis,
          },
          { key: 'price', label: pt('m_price'), render: (r) => signed(r.price) },
          { key: 'commission', label: pt('m_commission'), render: (r) => signed(r.commission) },
          {
            key: 'amount',
            label: pt('m_lineAmount'),
            render: (r) => (
              <>
                <span className={r.amount < 0 ? 'm-negative' : undefined}>{signed(r.amount)}</span>
                {r.recovery && <div className="m-small">{pt('m_recoveryYes')}</div>}
              </>
            ),
            sort: (r) => r.amount,
          },
          {
            key: 'payable',
            label: pt('m_payableAt'),
            render: (r) => dateTime(r.payableAt, locale, zone),
            sort: (r) => r.payableAt,
          },
          { key: 'reason', label: pt('m_reason'), render: (r) => <Reason reason={r.reason} /> },
        ]}
      />
      <p>
        <a href="#/money">← {t('back')}</a>
      </p>
    </section>
  );
}

/** The lines a case decision holds out of settlements now, each with the case and its reason. */
function HeldLines() {
  const { pt, locale, zone } = usePT();
  const q = useQuery({ queryKey: ['p-held'], queryFn: () => api.provider.settlements.held.query({}) });
  return (
    <>
      <h2>{pt('m_held')}</h2>
      <p className="m-note">{pt('m_heldIntro')}</p>
      {!q.data ? (
        <Loading error={q.error} />
      ) : q.data.items.length === 0 ? (
        <p>{pt('m_heldNone')}</p>
      ) : (
        <Table
          caption={pt('m_held')}
          rows={q.data.items}
          rowKey={(r) => `${r.voucherId}:${r.basis}`}
          columns={[
            {
              key: 'voucher',
              label: pt('m_voucherCourse'),
              render: (r) => <VoucherCourse voucherId={r.voucherId} courseId={r.courseId} />,
            },
            { key: 'basis', label: pt('m_basis'), render: (r) => pt(`m_basis_${r.basis}`) },
            {
              key: 'amount',
              label: pt('m_heldAmount'),
              render: (r) => rupiah(r.amount),
              sort: (r) => r.amount,
            },
            {
              key: 'at',
              label: pt('m_heldAt'),
              render: (r) => dateTime(r.heldAt, locale, zone),
              sort: (r) => r.heldAt,
            },
            { key: 'reason', label: pt('m_reason'), render: (r) => <Reason reason={r.reason} /> },
          ]}
        />
      )}
    </>
  );
}

type Destination = Parameters<typeof api.provider.payoutAccount.set.mutate>[0]['destination'];
type Wallet = Extract<Destination, { kind: 'ewallet' }>['provider'];
const WALLETS: Record<Wallet, string> = {
  gopay: 'GoPay',
  ovo: 'OVO',
  dana: 'DANA',
  linkaja: 'LinkAja',
  shopeepay: 'ShopeePay',
};

/** Where settlements are paid: readiness, what is missing, the masked destination, and (finance, admin) a form to set it. */
function PayoutAccount() {
  const { pt, locale, zone } = usePT();
  const can = useCan();
  const qc = useQueryClient();
  const [kind, setKind] = useState<Destination['kind']>('bank');
  const q = useQuery({ queryKey: ['p-payout'], queryFn: () => api.provider.payoutAccount.get.query({}) });
  const save = useMutation({
    mutationFn: (destination: Destination) => api.provider.payoutAccount.set.mutate({ destination }),
    onSuccess: (r) => qc.setQueryData(['p-payout'], r),
  });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const el = e.currentTarget;
    const form = new FormData(el);
    const v = (k: string) => String(form.get(k) ?? '').trim();
    save.mutate(
      kind === 'bank'
        ? { kind, bankCode: v('bankCode'), accountNumber: v('accountNumber'), holderName: v('holderName') }
        : { kind, provider: v('provider') as Wallet, phone: v('phone') },
      { onSuccess: () => el.reset() },
    );
  };
  const a = q.data;
  return (
    <>
      <h2>{pt('m_payout')}</h2>
      {a ? (
        <dl className="facts">
          <dt>{pt('m_payoutStatus')}</dt>
          <dd>
            <span className={a.status === 'ENABLED' ? 'done' : 'warn'}>{pt(`m_pa_${a.status}`)}</span>
          </dd>
          <dt>{pt('m_destination')}</dt>
          <dd>{a.destination ? a.destination.label : pt('m_noDestination')}</dd>
          {a.requirements.length > 0 && (
            <>
              <dt>{pt('m_requirements')}</dt>
              <dd>
                {a.requirements
                  .map((r) => (r === 'external_account' ? pt('m_req_external_account') : r))
                  .join(', ')}
              </dd>
            </>
          )}
          <dt>{pt('m_updatedAt')}</dt>
          <dd>{dateTime(a.updatedAt, locale, zone)}</dd>
        </dl>
      ) : (
        <Loading error={q.error} />
      )}
      <p className="m-note">{pt('m_payoutNote')}</p>
      {can('provider.payoutAccount.set') && (
        <form className="m-form" onSubmit={submit}>
          <h3 id="h-set-payout">{pt('m_setPayout')}</h3>
          <Field label={pt('m_destKind')}>
            {(fid) => (
              <select id={fid} value={kind} onChange={(e) => setKind(e.target.value as Destination['kind'])}>
                <option value="bank">{pt('m_kind_bank')}</option>
                <option value="ewallet">{pt('m_kind_ewallet')}</option>
              </select>
            )}
          </Field>
          {kind === 'bank' ? (
            <>
              <Field label={pt('m_bankCode')}>
                {(fid) => (
                  <input
                    id={fid}
                    name="bankCode"
                    required
                    inputMode="numeric"
                    pattern="[0-9]{3}"
                    maxLength={3}
                    className="short"
                  />
                )}
              </Field>
              <Field label={pt('m_accountNumber')}>
                {(fid) => (
                  <input
                    id={fid}
                    name="accountNumber"
                    required
                    inputMode="numeric"
                    pattern="[0-9]{6,20}"
                    maxLength={20}
                  />
                )}
              </Field>
              <Field label={pt('m_holderName')}>
                {(fid) => (
                  <input
                    id={fid}
                    name="holderName"
                    required
                    minLength={2}
                    maxLength={100}
                    autoComplete="off"
                  />
                )}
              </Field>
            </>
          ) : (
            <>
              <Field label={pt('m_ewalletProvider')}>
                {(fid) => (
                  <select id={fid} name="provider" required>
                    {Object.entries(WALLETS).map(([k, name]) => (
                      <option key={k} value={k}>
                        {name}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
              <Field label={pt('m_phone')}>
                {(fid) => (
                  <input
                    id={fid}
                    name="phone"
                    type="tel"
                    required
                    inputMode="numeric"
                    pattern="08[0-9]{8,11}"
                    maxLength={13}
                  />
                )}
              </Field>
            </>
          )}
          <button type="submit" disabled={save.isPending}>
            {pt('m_savePayout')}
          </button>
          {save.error && (
            <p role="alert" className="error">
              {describe(save.error)}
            </p>
          )}
          {save.isSuccess && (
            <p role="status" className="done">
              {pt('m_payoutSaved')}
            </p>
          )}
        </form>
      )}
    </>
  );
}
