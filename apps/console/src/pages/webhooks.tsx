import { WEBHOOK_DELIVERY_STATUSES } from '@latih/sdk';
import { useState } from 'react';
import { api, csvUrl } from '../api';
import { dateTime } from '../format';
import { usePrefs } from '../i18n';
import { ListTable, OrganisationField, SelectField, useCursorList } from '../ui';

/** Every partner's webhook deliveries: who is not receiving events, and the last answer or error. */
export function WebhooksPage() {
  const { t, locale, zone } = usePrefs();
  const [status, setStatus] = useState<(typeof WEBHOOK_DELIVERY_STATUSES)[number] | ''>('');
  const [organisationId, setOrganisation] = useState('');
  const filter = { ...(status ? { status } : {}), ...(organisationId ? { organisationId } : {}) };
  const q = useCursorList(['webhooks', filter], (cursor) =>
    api.pmo.webhooks.deliveries.query({ ...filter, limit: 50, ...(cursor ? { cursor } : {}) }),
  );
  return (
    <section aria-labelledby="h-webhooks">
      <h1 id="h-webhooks">{t('webhooks')}</h1>
      <div className="filters">
        <SelectField
          label={t('status')}
          value={status}
          values={WEBHOOK_DELIVERY_STATUSES}
          onChange={setStatus}
        />
        <OrganisationField label={t('organisation')} value={organisationId} onChange={setOrganisation} />
        <a href={csvUrl('webhooks/deliveries', filter)} download>
          {t('downloadCsv')}
        </a>
      </div>
      <ListTable
        list={q}
        caption={t('webhooks')}
        rowKey={(r) => r.id}
        columns={[
          {
            key: 'when',
            label: t('when'),
            render: (r) => dateTime(r.createdAt, locale, zone),
            sort: (r) => r.createdAt,
          },
          {
            key: 'org',
            label: t('organisation'),
            render: (r) => r.organisationId,
            sort: (r) => r.organisationId,
          },
          { key: 'url', label: 'URL', render: (r) => r.url },
          { key: 'type', label: t('type'), render: (r) => r.eventType, sort: (r) => r.eventType },
          {
            key: 'status',
            label: t('status'),
            render: (r) => `${r.status} (${r.attempts})`,
            sort: (r) => r.status,
          },
          {
            key: 'last',
            label: t('reason'),
            render: (r) => [r.lastStatusCode, r.lastError].filter(Boolean).join(' · '),
          },
        ]}
      />
    </section>
  );
}
