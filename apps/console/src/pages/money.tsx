import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, csvUrl, describe } from '../api';
import { dateTime, rupiah } from '../format';
import { usePrefs } from '../i18n';
import { useCan } from '../session';
import { Field, Loading, Table } from '../ui';

const SETTLEMENT_STATUSES = ['PENDING', 'IN_TRANSIT', 'PAID', 'FAILED'] as const;
const INCENTIVE_STATUSES = ['WAITING', 'ELIGIBLE', 'DISBURSING', 'PAID', 'FAILED'] as const;

/** Settlements and incentives: status, failures with the provider's reason, and retry (finance, admin). */
export function MoneyPage() {
  const { t, locale, zone } = usePrefs();
  const can = useCan();
  const qc = useQueryClient();
  const [sStatus, setSStatus] = useState<(typeof SETTLEMENT_STATUSES)[number] | ''>('');
  const [iStatus, setIStatus] = useState<(typeof INCENTIVE_STATUSES)[number] | ''>('');
  const settlements = useQuery({
    queryKey: ['settlements', sStatus],
    queryFn: () => api.pmo.settlements.list.query({ limit: 100, ...(sStatus ? { status: sStatus } : {}) }),
  });
  const incentives = useQuery({
    queryKey: ['incentives', iStatus],
    queryFn: () => api.pmo.incentives.list.query({ limit: 100, ...(iStatus ? { status: iStatus } : {}) }),
  });
  const retryS = useMutation({
    mutationFn: (id: string) => api.pmo.settlements.retry.mutate({ id }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['settlements'] }),
  });
  const retryI = useMutation({
    mutationFn: (id: string) => api.pmo.incentives.retry.mutate({ id }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['incentives'] }),
  });
  const failure = retryS.error ?? retryI.error;
  return (
    <section aria-labelledby="h-money">
      <h1 id="h-money">{t('money')}</h1>
      {failure && (
        <p role="alert" className="error">
          {describe(failure)}
        </p>
      )}
      <h2>{t('settlements')}</h2>
      <div className="filters">
        <Field label={t('status')}>
          {(id) => (
            <select id={id} value={sStatus} onChange={(e) => setSStatus(e.target.value as typeof sStatus)}>
              <option value="">—</option>
              {SETTLEMENT_STATUSES.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          )}
        </Field>
        <a href={csvUrl('settlements', { status: sStatus || undefined })} download>
          {t('downloadCsv')}
        </a>
      </div>
      {settlements.data ? (
        <Table
          caption={t('settlements')}
          rowKey={(r) => r.id}
          rows={settlements.data.items}
          columns={[
            { key: 'date', label: t('when'), render: (r) => r.batchDate, sort: (r) => r.batchDate },
            { key: 'org', label: t('provider'), render: (r) => `${r.role} ${r.organisationId}` },
            { key: 'amount', label: t('amount'), render: (r) => rupiah(r.amount), sort: (r) => r.amount },
            { key: 'status', label: t('status'), render: (r) => r.status, sort: (r) => r.status },
            {
              key: 'why',
              label: t('reason'),
              render: (r) => (r.failure ? `${r.failure.code}: ${r.failure.message}` : (r.lastError ?? '')),
            },
            {
              key: 'retry',
              label: t('action'),
              render: (r) =>
                r.status === 'FAILED' && can('pmo.settlements.retry') ? (
                  <button type="button" onClick={() => retryS.mutate(r.id)} disabled={retryS.isPending}>
                    {t('retry')}
                  </button>
                ) : null,
            },
          ]}
        />
      ) : (
        <Loading error={settlements.error} />
      )}
      <h2>{t('incentives')}</h2>
      <div className="filters">
        <Field label={`${t('status')} (${t('incentives')})`}>
          {(id) => (
            <select id={id} value={iStatus} onChange={(e) => setIStatus(e.target.value as typeof iStatus)}>
              <option value="">—</option>
              {INCENTIVE_STATUSES.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          )}
        </Field>
        <a href={csvUrl('incentives', { status: iStatus || undefined })} download>
          {t('downloadCsv')}
        </a>
      </div>
      {incentives.data ? (
        <Table
          caption={t('incentives')}
          rowKey={(r) => `${r.id ?? r.participantId}:${r.instalment}`}
          rows={incentives.data.items}
          columns={[
            { key: 'p', label: t('participants'), render: (r) => r.participantId },
            { key: 'inst', label: '#', render: (r) => `${r.instalment}/${r.instalments}` },
            { key: 'amount', label: t('amount'), render: (r) => rupiah(r.amount), sort: (r) => r.amount },
            { key: 'status', label: t('status'), render: (r) => r.status, sort: (r) => r.status },
            {
              key: 'due',
              label: t('when'),
              render: (r) => dateTime(r.dueAt, locale, zone),
              sort: (r) => r.dueAt,
            },
            {
              key: 'why',
              label: t('reason'),
              render: (r) => (r.failure ? `${r.failure.code}: ${r.failure.message}` : r.missing.join(', ')),
            },
            {
              key: 'retry',
              label: t('action'),
              render: (r) =>
                r.status === 'FAILED' && r.id && can('pmo.incentives.retry') ? (
                  <button
                    type="button"
                    onClick={() => r.id && retryI.mutate(r.id)}
                    disabled={retryI.isPending}
                  >
                    {t('retry')}
                  </button>
                ) : null,
            },
          ]}
        />
      ) : (
        <Loading error={incentives.error} />
      )}
    </section>
  );
}
