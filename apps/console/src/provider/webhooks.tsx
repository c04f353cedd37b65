import { EVENT_TYPES, type TEventType, WEBHOOK_DELIVERY_STATUSES } from '@latih/sdk';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, type ReactNode, useState } from 'react';
import { api, describe } from '../api';
import { dateTime } from '../format';
import { useCan } from '../session';
import { Field, ListTable, Loading, SelectField, Table, useCursorList } from '../ui';
import './money.css';
import { usePT } from './t';

type Endpoint = Awaited<ReturnType<typeof api.provider.webhooks.list.query>>['items'][number];

/**
 * Webhook: the provider's endpoints (add one, its signing secret shown once; disable or re-enable,
 * rotate the secret, delete), and one endpoint's deliveries with "replay" for a failed one.
 */
export function ProviderWebhooksPage() {
  const { pt, locale, zone } = usePT();
  const can = useCan();
  const qc = useQueryClient();
  const [secret, setSecret] = useState<{ url: string; secret: string; rotated: boolean } | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [showing, setShowing] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<Endpoint | null>(null);
  const q = useQuery({ queryKey: ['p-webhooks'], queryFn: () => api.provider.webhooks.list.query({}) });
  const refresh = () => qc.invalidateQueries({ queryKey: ['p-webhooks'] });
  const create = useMutation({
    mutationFn: (v: { url: string; description?: string; eventTypes: (TEventType | '*')[] }) =>
      api.provider.webhooks.create.mutate(v),
    onSuccess: (r) => {
      setSecret({ url: r.endpoint.url, secret: r.secret, rotated: false });
      return refresh();
    },
  });
  const rotate = useMutation({
    mutationFn: (id: string) => api.provider.webhooks.rotateSecret.mutate({ id }),
    onSuccess: (r) => {
      setSecret({ url: r.endpoint.url, secret: r.secret, rotated: true });
      return refresh();
    },
  });
  const toggle = useMutation({
    mutationFn: (v: { id: string; enabled: boolean }) => api.provider.webhooks.update.mutate(v),
    onSuccess: refresh,
  });
  const remove = useMutation({
    mutationFn: (id: string) => api.provider.webhooks.delete.mutate({ id }),
    onSuccess: (_r, id) => {
      setDeleting(null);
      if (showing === id) setShowing(null);
      setDone(pt('m_deleted'));
      return refresh();
    },
  });
  // Where the last action was asked for (a row, the add form): its answer is shown there.
  const [where, setWhere] = useState<'row' | 'add'>('row');
  const clear = (at: 'row' | 'add') => {
    for (const m of [create, rotate, toggle, remove]) m.reset();
    setSecret(null);
    setDone(null);
    setWhere(at);
  };
  const failure = create.error ?? rotate.error ?? toggle.error ?? remove.error;
  const feedback = (
    <>
      {secret && (
        <div role="status" className="m-secret">
          <p className="done">
            {pt('m_signingSecretOnce')} ({secret.url})
          </p>
          <code>{secret.secret}</code>
          {secret.rotated && <p>{pt('m_rotateSecretNote')}</p>}
        </div>
      )}
      {done && !secret && <p className="done">{done}</p>}
      {failure && (
        <p role="alert" className="error">
          {describe(failure)}
        </p>
      )}
    </>
  );
  const mayChange = can('provider.webhooks.update');
  const items = q.data?.items ?? [];
  const shown = items.find((e) => e.id === showing) ?? null;
  return (
    <section aria-labelledby="h-webhooks">
      <h1 id="h-webhooks">{pt('m_webhooksTitle')}</h1>
      <p className="m-note">{pt('m_webhooksIntro')}</p>
      <h2>{pt('m_endpoints')}</h2>
      {!q.data ? (
        <Loading error={q.error} />
      ) : items.length === 0 ? (
        <p>{pt('m_endpointsNone')}</p>
      ) : (
        <Table
          caption={pt('m_endpoints')}
          rows={items}
          rowKey={(r) => r.id}
          columns={[
            {
              key: 'url',
              label: pt('m_url'),
              render: (r) => (
                <>
                  <code>{r.url}</code>
                  {r.description ? <div>{r.description}</div> : null}
                </>
              ),
              sort: (r) => r.url,
            },
            { key: 'types', label: pt('m_eventTypes'), render: (r) => r.eventTypes.join(', ') },
            {
              key: 'status',
              label: pt('m_staffStatus'),
              render: (r) => (
                <>
                  <span className={r.status === 'ENABLED' ? 'done' : 'warn'}>{pt(`m_es_${r.status}`)}</span>
                  {r.disabledReason ? <div>{r.disabledReason}</div> : null}
                  {r.failingSince ? (
                    <div className="error">
                      {pt('m_failingSince')} {dateTime(r.failingSince, locale, zone)}
                    </div>
                  ) : null}
                </>
              ),
              sort: (r) => r.status,
            },
            {
              key: 'secrets',
              label: pt('m_secrets'),
              render: (r) => (
                <ul className="m-plain">
                  {r.secrets.map((s) => (
                    <li key={s.createdAt}>
                      {s.expiresAt
                        ? `${pt('m_secretUntil')} ${dateTime(s.expiresAt, locale, zone)}`
                        : `${pt('m_secretCurrent')} (${dateTime(s.createdAt, locale, zone)})`}
                    </li>
                  ))}
                </ul>
              ),
            },
            {
              key: 'created',
              label: pt('m_createdAt'),
              render: (r) => dateTime(r.createdAt, locale, zone),
              sort: (r) => r.createdAt,
            },
            {
              key: 'actions',
              label: pt('m_actions'),
              render: (r) => (
                <span className="m-row-actions">
                  <button
                    type="button"
                    className="secondary"
                    aria-pressed={showing === r.id}
                    onClick={() => setShowing(showing === r.id ? null : r.id)}
                  >
                    {pt('m_showDeliveries')}
                  </button>
                  {can('provider.webhooks.rotateSecret') && (
                    <button
                      type="button"
                      disabled={rotate.isPending}
                      onClick={() => {
                        clear('row');
                        rotate.mutate(r.id);
                      }}
                    >
                      {pt('m_rotateSecret')}
                    </button>
                  )}
                  {mayChange && (
                    <button
                      type="button"
                      disabled={toggle.isPending}
                      onClick={() => {
                        clear('row');
                        toggle.mutate({ id: r.id, enabled: r.status !== 'ENABLED' });
                      }}
                    >
                      {r.status === 'ENABLED' ? pt('m_disableEndpoint') : pt('m_enableEndpoint')}
                    </button>
                  )}
                  {can('provider.webhooks.delete') && (
                    <button
                      type="button"
                      className="danger"
                      onClick={() => {
                        clear('row');
                        setDeleting(r);
                      }}
                    >
                      {pt('m_deleteEndpoint')}
                    </button>
                  )}
                </span>
              ),
            },
          ]}
        />
      )}
      {where === 'row' && feedback}
      {deleting && (
        <div className="m-form">
          <p>
            <strong>{pt('m_deleteEndpoint')}:</strong> <code>{deleting.url}</code>
          </p>
          <p>{pt('m_deleteWarning')}</p>
          <span className="m-row-actions">
            <button
              type="button"
              className="danger"
              disabled={remove.isPending}
              onClick={() => remove.mutate(deleting.id)}
            >
              {pt('m_confirmDelete')}
            </button>
            <button type="button" className="secondary" onClick={() => setDeleting(null)}>
              {pt('m_cancel')}
            </button>
          </span>
        </div>
      )}
      {shown && <Deliveries endpoint={shown} onClose={() => setShowing(null)} />}
      {can('provider.webhooks.create') && (
        <AddEndpoint
          feedback={where === 'add' ? feedback : null}
          busy={create.isPending}
          onAdd={(v, added) => {
            clear('add');
            create.mutate(v, { onSuccess: added });
          }}
        />
      )}
    </section>
  );
}

/** The form that registers an endpoint: its URL, an optional description, the event types it receives. */
function AddEndpoint({
  onAdd,
  busy,
  feedback,
}: {
  feedback: ReactNode;
  onAdd: (
    v: { url: string; description?: string; eventTypes: (TEventType | '*')[] },
    added: () => void,
  ) => void;
  busy: boolean;
}) {
  const { pt } = usePT();
  const [all, setAll] = useState(false);
  const [picked, setPicked] = useState<Set<TEventType>>(new Set());
  const [missing, setMissing] = useState(false);
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = e.currentTarget;
    const data = new FormData(form);
    const eventTypes: (TEventType | '*')[] = all ? ['*'] : EVENT_TYPES.filter((t) => picked.has(t));
    if (eventTypes.length === 0) {
      setMissing(true);
      return;
    }
    setMissing(false);
    const description = String(data.get('description') ?? '').trim();
    onAdd(
      { url: String(data.get('url') ?? '').trim(), eventTypes, ...(description ? { description } : {}) },
      () => {
        form.reset();
        setAll(false);
        setPicked(new Set());
      },
    );
  };
  return (
    <form className="m-form m-wide" onSubmit={submit}>
      <h2>{pt('m_addEndpointTitle')}</h2>
      <Field label={pt('m_endpointUrl')}>
        {(fid) => (
          <input
            id={fid}
            name="url"
            type="url"
            required
            maxLength={2048}
            autoComplete="off"
            spellCheck={false}
          />
        )}
      </Field>
      <Field label={pt('m_endpointDescription')}>
        {(fid) => <input id={fid} name="description" maxLength={200} />}
      </Field>
      <fieldset className="m-events">
        <legend>{pt('m_eventTypes')}</legend>
        <p className="m-all">
          <input id="ev-all" type="checkbox" checked={all} onChange={(e) => setAll(e.target.checked)} />{' '}
          <label htmlFor="ev-all">{pt('m_allEvents')}</label>
        </p>
        <ul>
          {EVENT_TYPES.map((t) => {
            const id = `ev-${t.replace(/[^a-z]+/g, '-')}`;
            return (
              <li key={t}>
                <input
                  id={id}
                  type="checkbox"
                  disabled={all}
                  checked={all || picked.has(t)}
                  onChange={(e) => {
                    const next = new Set(picked);
                    if (e.target.checked) next.add(t);
                    else next.delete(t);
                    setPicked(next);
                  }}
                />{' '}
                <label htmlFor={id}>{t}</label>
              </li>
            );
          })}
        </ul>
      </fieldset>
      {missing && (
        <p role="alert" className="error">
          {pt('m_pickEvents')}
        </p>
      )}
      <button type="submit" disabled={busy}>
        {pt('m_addEndpoint')}
      </button>
      {feedback}
    </form>
  );
}

type Delivery = Awaited<ReturnType<typeof api.provider.webhooks.deliveries.query>>['items'][number];
/** Failed for good, or failing and waiting for its next retry (a replay sends it now). */
const failed = (d: Delivery) =>
  d.status === 'FAILED' ||
  (d.status === 'PENDING' && d.attempts > 0 && (d.lastError !== null || d.lastStatusCode !== null));

/** One endpoint's deliveries, newest first, filtered by status; a failed one can be sent again. */
function Deliveries({ endpoint, onClose }: { endpoint: Endpoint; onClose: () => void }) {
  const { pt, locale, zone } = usePT();
  const can = useCan();
  const qc = useQueryClient();
  const [status, setStatus] = useState<(typeof WEBHOOK_DELIVERY_STATUSES)[number] | ''>('');
  const filter = status ? { status } : {};
  const list = useCursorList(['p-webhook-deliveries', endpoint.id, filter], (cursor) =>
    api.provider.webhooks.deliveries.query({
      endpointId: endpoint.id,
      ...filter,
      limit: 50,
      ...(cursor ? { cursor } : {}),
    }),
  );
  const replay = useMutation({
    mutationFn: (id: string) => api.provider.webhooks.replay.mutate({ id }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['p-webhook-deliveries', endpoint.id] }),
  });
  return (
    <div className="m-form m-wide">
      <h2>
        {pt('m_deliveriesTo')} <code>{endpoint.url}</code>
      </h2>
      <div className="filters">
        <SelectField
          label={pt('m_deliveryStatus')}
          value={status}
          values={WEBHOOK_DELIVERY_STATUSES}
          onChange={setStatus}
          labelOf={(v) => pt(`m_ds_${v}`)}
        />
        <button type="button" className="secondary" onClick={onClose}>
          {pt('m_closeDeliveries')}
        </button>
      </div>
      {replay.error && (
        <p role="alert" className="error">
          {describe(replay.error)}
        </p>
      )}
      {replay.isSuccess && <p className="done">{pt('m_replayed')}</p>}
      <ListTable
        list={list}
        empty={pt('m_deliveriesNone')}
        caption={`${pt('m_deliveriesTo')} ${endpoint.url}`}
        rowKey={(r) => r.id}
        columns={[
          {
            key: 'when',
            label: pt('m_createdAt'),
            render: (r) => dateTime(r.createdAt, locale, zone),
            sort: (r) => r.createdAt,
          },
          {
            key: 'type',
            label: pt('m_eventId'),
            render: (r) => (
              <>
                {r.eventType}
                <div>
                  <code>{r.eventId}</code>
                </div>
              </>
            ),
            sort: (r) => r.eventType,
          },
          {
            key: 'status',
            label: pt('m_deliveryStatus'),
            render: (r) => (
              <span
                className={r.status === 'FAILED' ? 'error' : r.status === 'SUCCEEDED' ? 'done' : undefined}
              >
                {pt(`m_ds_${r.status}`)}
              </span>
            ),
            sort: (r) => r.status,
          },
          { key: 'attempts', label: pt('m_attempts'), render: (r) => r.attempts, sort: (r) => r.attempts },
          { key: 'code', label: pt('m_lastCode'), render: (r) => r.lastStatusCode ?? '—' },
          { key: 'error', label: pt('m_lastErr'), render: (r) => r.lastError ?? '—' },
          {
            key: 'next',
            label: pt('m_nextAttempt'),
            render: (r) =>
              r.deliveredAt
                ? `${pt('m_ds_SUCCEEDED')}: ${dateTime(r.deliveredAt, locale, zone)}`
                : dateTime(r.nextAttemptAt, locale, zone),
          },
          {
            key: 'replay',
            label: pt('m_actions'),
            render: (r) =>
              failed(r) && can('provider.webhooks.replay') ? (
                <button type="button" disabled={replay.isPending} onClick={() => replay.mutate(r.id)}>
                  {pt('m_replay')}
                </button>
              ) : null,
          },
        ]}
      />
    </div>
  );
}
