import { CHECKLIST_ITEMS, ORGANISATION_KINDS, ORGANISATION_STATUSES } from '@latih/sdk';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, csvUrl, describe } from '../api';
import { dateTime } from '../format';
import { usePrefs } from '../i18n';
import { useCan } from '../session';
import { Field, ListTable, Loading, SelectField, Table, useCursorList } from '../ui';

/** Partners only: the PMO's own organisation is not onboarded. */
const KINDS = ORGANISATION_KINDS.filter((k) => k !== 'PMO');

/** Providers and platforms, applications first in mind: kind and status filters, paged, CSV. */
export function OrganisationsPage() {
  const { t, locale, zone } = usePrefs();
  const [kind, setKind] = useState<(typeof ORGANISATION_KINDS)[number] | ''>('');
  const [status, setStatus] = useState<(typeof ORGANISATION_STATUSES)[number] | ''>('');
  const filter = { ...(kind ? { kind } : {}), ...(status ? { status } : {}) };
  const q = useCursorList(['organisation-list', filter], (cursor) =>
    api.pmo.organisations.list.query({ ...filter, limit: 50, ...(cursor ? { cursor } : {}) }),
  );
  return (
    <section aria-labelledby="h-orgs">
      <h1 id="h-orgs">{t('organisations')}</h1>
      <div className="filters">
        <SelectField label={t('kind')} value={kind} values={KINDS} onChange={setKind} />
        <SelectField label={t('status')} value={status} values={ORGANISATION_STATUSES} onChange={setStatus} />
        <a href={csvUrl('organisations', filter)} download>
          {t('downloadCsv')}
        </a>
      </div>
      <ListTable
        list={q}
        caption={t('organisations')}
        rowKey={(r) => r.id}
        columns={[
          {
            key: 'name',
            label: t('organisation'),
            render: (r) => <a href={`#/organisations/${r.id}`}>{r.name}</a>,
            sort: (r) => r.name,
          },
          { key: 'kind', label: t('kind'), render: (r) => r.kind, sort: (r) => r.kind },
          { key: 'status', label: t('status'), render: (r) => r.status, sort: (r) => r.status },
          {
            key: 'created',
            label: t('created'),
            render: (r) => dateTime(r.createdAt, locale, zone),
            sort: (r) => r.createdAt,
          },
        ]}
      />
    </section>
  );
}

/**
 * One organisation: its application, the due-diligence checklist, approve or reject, suspend or
 * reinstate, its API clients, and the redirect URIs and webhook URLs to look at twice.
 * Only an admin is offered the changes; the server refuses everyone else either way.
 */
export function OrganisationPage({ id }: { id: string }) {
  const { t, locale, zone } = usePrefs();
  const can = useCan();
  const qc = useQueryClient();
  const [secret, setSecret] = useState<string | null>(null);
  const q = useQuery({ queryKey: ['org', id], queryFn: () => api.pmo.organisations.get.query({ id }) });
  // Returned to the mutations, so that they stay pending until the page shows the new state.
  const refresh = () =>
    Promise.all([
      qc.invalidateQueries({ queryKey: ['org', id] }),
      qc.invalidateQueries({ queryKey: ['organisation-list'] }),
      qc.invalidateQueries({ queryKey: ['organisations'] }),
    ]);
  // What was just asked for, shown at once (set in the click itself, so the box never flickers
  // back) until the server has answered and the page shows the stored mark.
  const [asked, setAsked] = useState<Record<string, boolean>>({});
  const check = useMutation({
    mutationFn: (v: { item: string; checked: boolean }) =>
      api.pmo.organisations.checklist.mutate({ id, ...v }),
    onSuccess: refresh,
    onSettled: (_r, _e, v) =>
      setAsked((a) => Object.fromEntries(Object.entries(a).filter(([k]) => k !== v.item))),
  });
  const decide = useMutation({
    mutationFn: async (v: { action: 'approve' | 'reject' | 'suspend' | 'reinstate'; reason: string }) => {
      const o = api.pmo.organisations;
      if (v.action === 'approve') return o.approve.mutate({ id, reason: v.reason });
      if (v.action === 'reject') return o.reject.mutate({ id, reasons: [v.reason] });
      if (v.action === 'suspend') return o.suspend.mutate({ id, reason: v.reason });
      return o.reinstate.mutate({ id, reason: v.reason });
    },
    onSuccess: refresh,
  });
  const issue = useMutation({
    mutationFn: (label: string) =>
      api.pmo.organisations.credentials.issue.mutate({ organisationId: id, label }),
    onSuccess: (r) => {
      setSecret(`${r.client.id} · ${r.clientSecret}`);
      return refresh();
    },
  });
  const revoke = useMutation({
    mutationFn: (clientId: string) =>
      api.pmo.organisations.credentials.revoke.mutate({ clientId, reason: t('revokedInConsole') }),
    onSuccess: refresh,
  });
  if (!q.data) return <Loading error={q.error} />;
  const o = q.data;
  const items = o.kind === 'PMO' ? [] : CHECKLIST_ITEMS[o.kind];
  const marks = new Map(o.checklist.map((m) => [m.item, m]));
  const admin = can('pmo.organisations.approve');
  const failure = check.error ?? decide.error ?? issue.error ?? revoke.error;
  const onDecide =
    (action: 'approve' | 'reject' | 'suspend' | 'reinstate') => (e: FormEvent<HTMLFormElement>) => {
      e.preventDefault();
      decide.mutate({ action, reason: String(new FormData(e.currentTarget).get('reason') ?? '') });
    };
  return (
    <section aria-labelledby="h-org">
      <p>
        <a href="#/organisations">← {t('back')}</a>
      </p>
      <h1 id="h-org">{o.name}</h1>
      <p>
        {o.kind} · <strong>{o.status}</strong>
        {o.statusReason ? ` · ${o.statusReason.reasons.join('; ')}` : ''}
      </p>
      {o.application && (
        <dl className="facts">
          <dt>{t('legalName')}</dt>
          <dd>{o.application.legalName}</dd>
          <dt>NIB</dt>
          <dd>{o.application.registrationNumber}</dd>
          <dt>NPWP</dt>
          <dd>{o.application.taxId}</dd>
          <dt>{t('email')}</dt>
          <dd>{o.application.contactEmail}</dd>
          <dt>{t('website')}</dt>
          <dd>{o.application.website}</dd>
        </dl>
      )}
      <h2>{t('checklist')}</h2>
      <ul className="indicators">
        {items.map((item) => {
          const m = marks.get(item);
          return (
            <li key={item}>
              <label className="check">
                <input
                  type="checkbox"
                  checked={asked[item] ?? m?.checked ?? false}
                  disabled={!admin || item in asked || o.status !== 'APPLIED'}
                  onChange={(e) => {
                    const checked = e.target.checked;
                    setAsked((a) => ({ ...a, [item]: checked }));
                    check.mutate({ item, checked });
                  }}
                />{' '}
                {item}
              </label>
              {m?.at ? ` — ${m.by ?? ''} ${dateTime(m.at, locale, zone)}` : ''}
            </li>
          );
        })}
      </ul>
      {admin && (
        <div className="decisions">
          {o.status === 'APPLIED' && (
            <>
              <form onSubmit={onDecide('approve')} aria-label={t('approve')}>
                <Field label={`${t('note')} (${t('approve')})`}>
                  {(fid) => <textarea id={fid} name="reason" required minLength={5} />}
                </Field>
                <button type="submit">{t('approve')}</button>
              </form>
              <form onSubmit={onDecide('reject')} aria-label={t('reject')}>
                <Field label={`${t('reason')} (${t('reject')})`}>
                  {(fid) => <textarea id={fid} name="reason" required minLength={5} />}
                </Field>
                <button type="submit" className="danger">
                  {t('reject')}
                </button>
              </form>
            </>
          )}
          {(o.status === 'ACTIVE' || o.status === 'SUSPENDED') && (
            <form
              onSubmit={onDecide(o.status === 'ACTIVE' ? 'suspend' : 'reinstate')}
              aria-label={o.status === 'ACTIVE' ? t('suspend') : t('reinstate')}
            >
              <Field label={`${t('reason')} (${o.status === 'ACTIVE' ? t('suspend') : t('reinstate')})`}>
                {(fid) => <textarea id={fid} name="reason" required minLength={5} />}
              </Field>
              <button type="submit" className={o.status === 'ACTIVE' ? 'danger' : undefined}>
                {o.status === 'ACTIVE' ? t('suspend') : t('reinstate')}
              </button>
            </form>
          )}
        </div>
      )}
      {failure && (
        <p role="alert" className="error">
          {describe(failure)}
        </p>
      )}
      <h2>{t('clients')}</h2>
      <Table
        caption={t('clients')}
        rowKey={(r) => r.id}
        rows={o.clients}
        columns={[
          { key: 'label', label: t('title'), render: (r) => `${r.label} (${r.id})`, sort: (r) => r.label },
          { key: 'secret', label: t('secret'), render: (r) => `…${r.secretLast4}` },
          { key: 'status', label: t('status'), render: (r) => r.status, sort: (r) => r.status },
          {
            key: 'expires',
            label: t('expires'),
            render: (r) => dateTime(r.expiresAt, locale, zone),
            sort: (r) => r.expiresAt,
          },
          {
            key: 'action',
            label: t('action'),
            render: (r) =>
              admin && r.status === 'ACTIVE' ? (
                <button
                  type="button"
                  className="danger"
                  onClick={() => revoke.mutate(r.id)}
                  disabled={revoke.isPending}
                >
                  {t('revoke')}
                </button>
              ) : null,
          },
        ]}
      />
      {admin && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            issue.mutate(String(new FormData(e.currentTarget).get('label') ?? ''));
          }}
        >
          <Field label={t('newClientLabel')}>
            {(fid) => <input id={fid} name="label" required maxLength={100} />}
          </Field>
          <button type="submit" disabled={issue.isPending}>
            {t('issueCredentials')}
          </button>
        </form>
      )}
      {secret && (
        <p role="status" className="done">
          {t('secretOnce')} <code>{secret}</code>
        </p>
      )}
      <h2>{t('urls')}</h2>
      <ul>
        {o.redirectUris.map((r) => (
          <li key={r.uri}>
            {r.uri} {r.concerns.length > 0 && <strong className="warn">{r.concerns.join(', ')}</strong>}
          </li>
        ))}
        {o.webhookEndpoints.map((w) => (
          <li key={w.id}>
            {w.url} · {w.status}{' '}
            {w.concerns.length > 0 && <strong className="warn">{w.concerns.join(', ')}</strong>}
          </li>
        ))}
      </ul>
    </section>
  );
}
