import { INCENTIVE_STATUSES, SETTLEMENT_STATUSES } from '@latih/sdk';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, csvUrl, describe } from '../api';
import { dateTime, rupiah } from '../format';
import { usePrefs } from '../i18n';
import { useCan } from '../session';
import { Field, ListTable, OrganisationField, SelectField, useCursorList } from '../ui';

/** Settlements and incentives: status, failures with the provider's reason, and retry (finance, admin). */
export function MoneyPage() {
  const { t, locale, zone } = usePrefs();
  const can = useCan();
  const qc = useQueryClient();
  const [sStatus, setSStatus] = useState<(typeof SETTLEMENT_STATUSES)[number] | ''>('');
  const [organisationId, setOrganisation] = useState('');
  const [batchDate, setBatchDate] = useState('');
  const [iStatus, setIStatus] = useState<(typeof INCENTIVE_STATUSES)[number] | ''>('');
  const [participantId, setParticipant] = useState('');
  const sFilter = {
    ...(sStatus ? { status: sStatus } : {}),
    ...(organisationId ? { organisationId } : {}),
    ...(batchDate ? { batchDate } : {}),
  };
  const iFilter = {
    ...(iStatus ? { status: iStatus } : {}),
    ...(/^par_[0-9a-hjkmnp-tv-z]{26}$/.test(participantId.trim())
      ? { participantId: participantId.trim() }
      : {}),
  };
  const settlements = useCursorList(['settlements', sFilter], (cursor) =>
    api.pmo.settlements.list.query({ ...sFilter, limit: 50, ...(cursor ? { cursor } : {}) }),
  );
  const incentives = useCursorList(['incentives', iFilter], (cursor) =>
    api.pmo.incentives.list.query({ ...iFilter, limit: 50, ...(cursor ? { cursor } : {}) }),
  );
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
        <SelectField label={t('status')} value={sStatus} values={SETTLEMENT_STATUSES} onChange={setSStatus} />
        <OrganisationField label={t('organisation')} value={organisationId} onChange={setOrganisation} />
        <Field label={t('batchDate')}>
          {(id) => (
            <input id={id} type="date" value={batchDate} onChange={(e) => setBatchDate(e.target.value)} />
          )}
        </Field>
        <a href={csvUrl('settlements', sFilter)} download>
          {t('downloadCsv')}
        </a>
      </div>
      <ListTable
        list={settlements}
        caption={t('settlements')}
        rowKey={(r) => r.id}
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
      <h2>{t('incentives')}</h2>
      <div className="filters">
        <SelectField
          label={`${t('status')} (${t('incentives')})`}
          value={iStatus}
          values={INCENTIVE_STATUSES}
          onChange={setIStatus}
        />
        <Field label={t('participants')}>
          {(id) => (
            <input
              id={id}
              value={participantId}
              placeholder="par_…"
              onChange={(e) => setParticipant(e.target.value)}
            />
          )}
        </Field>
        <a href={csvUrl('incentives', iFilter)} download>
          {t('downloadCsv')}
        </a>
      </div>
      <ListTable
        list={incentives}
        caption={t('incentives')}
        rowKey={(r) => `${r.id ?? r.participantId}:${r.instalment}`}
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
                <button type="button" onClick={() => r.id && retryI.mutate(r.id)} disabled={retryI.isPending}>
                  {t('retry')}
                </button>
              ) : null,
          },
        ]}
      />
    </section>
  );
}
