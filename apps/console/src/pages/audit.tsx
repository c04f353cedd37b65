import { useState } from 'react';
import { api, csvUrl } from '../api';
import { dateTime, dayAfter, wibStart } from '../format';
import { usePrefs } from '../i18n';
import { Field, ListTable, useCursorList } from '../ui';

export function AuditPage() {
  const { t, locale, zone } = usePrefs();
  const [action, setAction] = useState('');
  const [entityType, setEntityType] = useState('');
  const [entityId, setEntityId] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const filter = {
    ...(action.trim() ? { action: action.trim() } : {}),
    ...(entityType.trim() ? { entityType: entityType.trim() } : {}),
    ...(entityId.trim() ? { entityId: entityId.trim() } : {}),
    // WIB calendar days, "to" inclusive; the API takes UTC instants with an exclusive end.
    ...(from ? { from: wibStart(from) } : {}),
    ...(to ? { to: wibStart(dayAfter(to)) } : {}),
  };
  const q = useCursorList(['audit', filter], (cursor) =>
    api.pmo.audit.list.query({ ...filter, limit: 50, ...(cursor ? { cursor } : {}) }),
  );
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
        <Field label={t('entityType')}>
          {(id) => (
            <input
              id={id}
              value={entityType}
              placeholder="course"
              onChange={(e) => setEntityType(e.target.value)}
            />
          )}
        </Field>
        <Field label={t('entityId')}>
          {(id) => <input id={id} value={entityId} onChange={(e) => setEntityId(e.target.value)} />}
        </Field>
        <Field label={t('from')}>
          {(id) => <input id={id} type="date" value={from} onChange={(e) => setFrom(e.target.value)} />}
        </Field>
        <Field label={t('to')}>
          {(id) => <input id={id} type="date" value={to} onChange={(e) => setTo(e.target.value)} />}
        </Field>
        <a href={csvUrl('audit', filter)} download>
          {t('downloadCsv')}
        </a>
      </div>
      <ListTable
        list={q}
        caption={t('audit')}
        rowKey={(r) => r.id}
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
            render: (r) => (r.fromState || r.toState ? `${r.fromState ?? '∅'} → ${r.toState ?? '∅'}` : ''),
          },
        ]}
      />
    </section>
  );
}
