import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, describe } from '../api';
import { dateTime } from '../format';
import { usePrefs } from '../i18n';
import { useCan } from '../session';
import { Field, ListTable, Loading, SelectField, Table, useCursorList } from '../ui';

const STATUSES = ['BLOCKED', 'PENDING', 'OVERRIDDEN'] as const;

/**
 * #/registry: participants the population-registry check blocked or left pending (and those
 * overridden), with the reasons; #/registry/<participantId>: every check and decision, a new check
 * (the NIK is asked again: Latih keeps only its hash) and an override with its reason
 * (docs/guides/participants-registry.md).
 */
export function RegistryPage() {
  const { t, locale, zone } = usePrefs();
  const [status, setStatus] = useState<(typeof STATUSES)[number] | ''>('BLOCKED');
  const q = useCursorList(['registry', status], (cursor) =>
    api.pmo.participants.registry.list.query({
      status: status || 'BLOCKED',
      limit: 50,
      ...(cursor ? { cursor } : {}),
    }),
  );
  return (
    <section aria-labelledby="h-registry">
      <h1 id="h-registry">{t('registry')}</h1>
      <p>{t('registryIntro')}</p>
      <div className="filters">
        <SelectField label={t('status')} value={status} values={STATUSES} onChange={setStatus} />
      </div>
      <ListTable
        list={q}
        caption={t('registry')}
        rowKey={(r) => r.participantId}
        empty={t('noData')}
        columns={[
          {
            key: 'name',
            label: t('name'),
            render: (r) => <a href={`#/registry/${r.participantId}`}>{r.name}</a>,
            sort: (r) => r.name,
          },
          { key: 'nik', label: 'NIK', render: (r) => `••••${r.nikLast4}` },
          { key: 'regency', label: t('region'), render: (r) => r.regencyCode, sort: (r) => r.regencyCode },
          { key: 'cohort', label: t('cohort'), render: (r) => r.cohort, sort: (r) => r.cohort },
          { key: 'status', label: t('status'), render: (r) => r.status },
          { key: 'reasons', label: t('reasons'), render: (r) => r.reasons.join(', ') },
          {
            key: 'checked',
            label: t('checkedAt'),
            render: (r) => dateTime(r.checkedAt, locale, zone),
            sort: (r) => r.checkedAt ?? '',
          },
        ]}
      />
    </section>
  );
}

export function RegistryParticipantPage({ id }: { id: string }) {
  const { t, locale, zone } = usePrefs();
  const can = useCan();
  const qc = useQueryClient();
  const q = useQuery({
    queryKey: ['registry', 'participant', id],
    queryFn: () => api.pmo.participants.registry.get.query({ participantId: id }),
  });
  const done = () => void qc.invalidateQueries({ queryKey: ['registry'] });
  // A decision clears the other form's earlier refusal.
  const recheck = useMutation({
    mutationFn: (input: { nik?: string; name?: string }) =>
      api.pmo.participants.registry.recheck.mutate({ participantId: id, ...input }),
    onSuccess: done,
  });
  const override = useMutation({
    mutationFn: (reason: string) =>
      api.pmo.participants.registry.override.mutate({ participantId: id, reason }),
    onSuccess: done,
  });
  if (!q.data) return <Loading error={q.error} />;
  const p = q.data;
  const open = p.status === 'BLOCKED' || p.status === 'PENDING';
  return (
    <section aria-labelledby="h-registry-participant">
      <p>
        <a href="#/registry">{t('back')}</a>
      </p>
      <h1 id="h-registry-participant">
        {p.name} (NIK ••••{p.nikLast4})
      </h1>
      <p>
        {t('status')}: <strong data-testid="registry-status">{p.status}</strong>
        {p.reasons.length > 0 ? ` — ${p.reasons.join(', ')}` : ''}
      </p>
      {p.queued && (
        <p>
          {t('queuedRetry')}: {p.queued.attempts} · {dateTime(p.queued.nextAttemptAt, locale, zone)}
          {p.queued.lastError ? ` · ${p.queued.lastError}` : ''}
        </p>
      )}
      <Table
        caption={t('registryChecks')}
        rowKey={(c) => c.id}
        rows={p.checks}
        columns={[
          { key: 'at', label: t('when'), render: (c) => dateTime(c.at, locale, zone), sort: (c) => c.at },
          { key: 'trigger', label: t('action'), render: (c) => c.trigger },
          { key: 'outcome', label: t('status'), render: (c) => c.outcome },
          { key: 'reasons', label: t('reasons'), render: (c) => c.reasons.join(', ') },
          { key: 'note', label: t('note'), render: (c) => c.note ?? '' },
          { key: 'ref', label: t('reference'), render: (c) => c.reference ?? '' },
        ]}
      />
      {can('pmo.participants.registry.recheck') && (
        <div className="decisions">
          <form
            onSubmit={(e) => {
              e.preventDefault();
              const f = new FormData(e.currentTarget);
              const nik = String(f.get('nik') ?? '').trim();
              const name = String(f.get('name') ?? '').trim();
              recheck.mutate({ ...(nik ? { nik } : {}), ...(name ? { name } : {}) });
            }}
          >
            <Field label="NIK">
              {(fid) => (
                <input
                  id={fid}
                  name="nik"
                  inputMode="numeric"
                  pattern="[0-9]{16}"
                  autoComplete="off"
                  required={!p.queued}
                />
              )}
            </Field>
            <Field label={t('correctedName')}>{(fid) => <input id={fid} name="name" minLength={2} />}</Field>
            <button type="submit" disabled={recheck.isPending}>
              {t('recheck')}
            </button>
          </form>
          {open && (
            <form
              onSubmit={(e) => {
                e.preventDefault();
                override.mutate(String(new FormData(e.currentTarget).get('reason')));
              }}
            >
              <Field label={t('reason')}>
                {(fid) => <textarea id={fid} name="reason" required minLength={10} />}
              </Field>
              <button type="submit" disabled={override.isPending}>
                {t('override')}
              </button>
            </form>
          )}
        </div>
      )}
      {(recheck.error ?? override.error) && (
        <p role="alert" className="error">
          {describe(recheck.error ?? override.error)}
        </p>
      )}
    </section>
  );
}
