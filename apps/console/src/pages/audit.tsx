import { useState } from 'react';
import { api, csvUrl } from '../api';
import { dateTime } from '../format';
import { usePrefs } from '../i18n';
import { Field, Loading, MoreButton, Table, useCursorList } from '../ui';

export function AuditPage() {
  const { t, locale, zone } = usePrefs();
  const [action, setAction] = useState('');
  const filter = action ? { action } : {};
  const q = useCursorList(['audit', filter], (cursor) =>
    api.pmo.audit.list.query({ ...filter, limit: 50, ...(cursor ? { cursor } : {}) }),
  );
  const rows = q.rows;
  return (
    <section aria-labelledby="h-audit">
      <h1 id="h-audit">{t('audit')}</h1>
      <div className="filters">
        <Field label={`${t('filter')}: ${t('action')}`}>
          {(id) => (
            <input
              id={id}
              value={action}
              placeholder="organisation."
              onChange={(e) => setAction(e.target.value)}
            />
          )}
        </Field>
        <a href={csvUrl('audit', filter)} download>
          {t('downloadCsv')}
        </a>
      </div>
      {!q.data ? (
        <Loading error={q.error} />
      ) : (
        <>
          <Table
            caption={t('audit')}
            rowKey={(r) => r.id}
            rows={rows}
            columns={[
              {
                key: 'when',
                label: t('when'),
                render: (r) => dateTime(r.occurredAt, locale, zone),
                sort: (r) => r.occurredAt,
              },
              {
                key: 'who',
                label: t('who'),
                render: (r) => r.actorClientId ?? '—',
                sort: (r) => r.actorClientId,
              },
              { key: 'action', label: t('action'), render: (r) => r.action, sort: (r) => r.action },
              { key: 'entity', label: t('entity'), render: (r) => `${r.entityType} ${r.entityId}` },
              {
                key: 'change',
                label: t('change'),
                render: (r) =>
                  r.fromState || r.toState ? `${r.fromState ?? '∅'} → ${r.toState ?? '∅'}` : '',
              },
            ]}
          />
          <MoreButton list={q} />
        </>
      )}
    </section>
  );
}
