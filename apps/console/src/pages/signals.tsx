import { CASE_OUTCOMES, CASE_STATUSES, SIGNAL_STATUSES, SIGNAL_TYPES } from '@latih/sdk';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, csvUrl, describe } from '../api';
import { dateTime, type Zone } from '../format';
import { usePrefs } from '../i18n';
import { useCan } from '../session';
import {
  Field,
  ListTable,
  Loading,
  NumberField,
  OrganisationField,
  ScrollBox,
  SelectField,
  useCursorList,
} from '../ui';

export function SignalsPage() {
  const { t, locale, zone } = usePrefs();
  const can = useCan();
  const qc = useQueryClient();
  const [selected, setSelected] = useState<string | null>(null);
  const [type, setType] = useState<(typeof SIGNAL_TYPES)[number] | ''>('');
  const [status, setStatus] = useState<(typeof SIGNAL_STATUSES)[number] | ''>('');
  const [providerId, setProvider] = useState('');
  const [minScore, setMinScore] = useState('');
  const filter = {
    ...(type ? { type } : {}),
    ...(status ? { status } : {}),
    ...(providerId ? { providerId } : {}),
    ...(minScore !== '' ? { minScore: Number(minScore) } : {}),
  };
  const q = useCursorList(['signals', filter], (cursor) =>
    api.pmo.signals.list.query({ ...filter, limit: 50, ...(cursor ? { cursor } : {}) }),
  );
  const detect = useMutation({
    mutationFn: () => api.pmo.signals.detect.mutate({}),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['signals'] }),
  });
  type Signal = (typeof q.rows)[number];
  const signal = q.rows.find((s) => s.id === selected);
  return (
    <section aria-labelledby="h-signals">
      <h1 id="h-signals">{t('signals')}</h1>
      <p className="actions">
        {can('pmo.signals.detect') && (
          <button type="button" onClick={() => detect.mutate()} disabled={detect.isPending}>
            {t('detect')}
          </button>
        )}
        <a href="#/cases">{t('casesList')}</a>
      </p>
      <div className="filters">
        <SelectField
          label={t('type')}
          value={type}
          values={SIGNAL_TYPES}
          onChange={setType}
          labelOf={(v) => t(`sig_${v}`)}
        />
        <SelectField label={t('status')} value={status} values={SIGNAL_STATUSES} onChange={setStatus} />
        <OrganisationField label={t('provider')} kind="PROVIDER" value={providerId} onChange={setProvider} />
        <NumberField label={t('minScore')} value={minScore} onChange={setMinScore} max={100} />
        <a href={csvUrl('signals', filter)} download>
          {t('downloadCsv')}
        </a>
      </div>
      <ListTable<Signal>
        list={q}
        caption={t('signals')}
        rowKey={(r) => r.id}
        columns={[
          {
            key: 'type',
            label: t('type'),
            render: (r) => <abbr title={r.type}>{t(`sig_${r.type}`)}</abbr>,
            sort: (r) => r.type,
          },
          { key: 'score', label: t('score'), render: (r) => r.score, sort: (r) => r.score },
          {
            key: 'summary',
            label: t('summary'),
            render: (r) => (
              <button type="button" className="link" onClick={() => setSelected(r.id)}>
                {r.summary}
              </button>
            ),
          },
          { key: 'status', label: t('status'), render: (r) => r.status, sort: (r) => r.status },
          {
            key: 'seen',
            label: t('when'),
            render: (r) => dateTime(r.lastSeenAt, locale, zone),
            sort: (r) => r.lastSeenAt,
          },
        ]}
      />
      {signal && <SignalDetail signal={signal} />}
    </section>
  );
}

/** Every control case: status and provider filters, paged, each leading to its page. */
export function CasesPage() {
  const { t, locale, zone } = usePrefs();
  const [status, setStatus] = useState<(typeof CASE_STATUSES)[number] | ''>('');
  const [providerId, setProvider] = useState('');
  const filter = { ...(status ? { status } : {}), ...(providerId ? { providerId } : {}) };
  const q = useCursorList(['cases', filter], (cursor) =>
    api.pmo.cases.list.query({ ...filter, limit: 50, ...(cursor ? { cursor } : {}) }),
  );
  return (
    <section aria-labelledby="h-cases">
      <h1 id="h-cases">{t('casesList')}</h1>
      <div className="filters">
        <SelectField label={t('status')} value={status} values={CASE_STATUSES} onChange={setStatus} />
        <OrganisationField label={t('provider')} kind="PROVIDER" value={providerId} onChange={setProvider} />
        <a href={csvUrl('cases', filter)} download>
          {t('downloadCsv')}
        </a>
      </div>
      <ListTable
        list={q}
        caption={t('casesList')}
        rowKey={(r) => r.id}
        columns={[
          {
            key: 'summary',
            label: t('summary'),
            render: (r) => <a href={`#/cases/${r.id}`}>{r.summary}</a>,
            sort: (r) => r.summary,
          },
          {
            key: 'subject',
            label: t('subject'),
            render: (r) => `${r.subjectType} ${r.subjectId}`,
            sort: (r) => r.subjectType,
          },
          {
            key: 'provider',
            label: t('provider'),
            render: (r) => r.providerId,
            sort: (r) => r.providerId,
          },
          {
            key: 'status',
            label: t('status'),
            render: (r) => (r.decision ? `${r.status} · ${r.decision.outcome}` : r.status),
            sort: (r) => r.status,
          },
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

type SignalView = {
  id: string;
  type: string;
  summary: string;
  scoring: string;
  status: string;
  caseId: string | null;
  evidence: Record<string, unknown>[];
};

/** Evidence cells as text; timestamps in the user's zone, like every other time on the page. */
function evidenceValue(v: unknown, locale: string, zone: Zone): string {
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(v)) return dateTime(v, locale, zone);
  if (v === null || v === undefined) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function SignalDetail({ signal }: { signal: SignalView }) {
  const { t, locale, zone } = usePrefs();
  const can = useCan();
  const open = useMutation({
    mutationFn: (summary: string) => api.pmo.cases.open.mutate({ signalId: signal.id, summary }),
    onSuccess: (c) => {
      window.location.hash = `#/cases/${c.id}`;
    },
  });
  const keys = [...new Set(signal.evidence.flatMap((e) => Object.keys(e)))];
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    open.mutate(String(new FormData(e.currentTarget).get('summary')));
  };
  return (
    <article aria-labelledby="h-signal" className="panel">
      <h2 id="h-signal">
        {t(`sig_${signal.type as (typeof SIGNAL_TYPES)[number]}`)}: {signal.summary}
      </h2>
      <p>
        <strong>{t('scoring')}:</strong> {signal.scoring}
      </p>
      <h3>{t('evidence')}</h3>
      <ScrollBox label={t('evidence')}>
        <table>
          <caption className="visually-hidden">{t('evidence')}</caption>
          <thead>
            <tr>
              {keys.map((k) => (
                <th key={k} scope="col">
                  {k}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {signal.evidence.map((row, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: evidence rows have no id of their own
              <tr key={i}>
                {keys.map((k) => (
                  <td key={k}>{evidenceValue(row[k], locale, zone)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollBox>
      {signal.caseId ? (
        <p>
          <a href={`#/cases/${signal.caseId}`}>{t('cases')}</a>
        </p>
      ) : !can('pmo.cases.open') ? null : (
        <form onSubmit={submit}>
          <Field label={t('summary')}>
            {(fid) => <input id={fid} name="summary" required minLength={5} defaultValue={signal.summary} />}
          </Field>
          <button type="submit">{t('openCase')}</button>
        </form>
      )}
      {open.error && (
        <p role="alert" className="error">
          {describe(open.error)}
        </p>
      )}
    </article>
  );
}

export function CasePage({ id }: { id: string }) {
  const { t, locale, zone } = usePrefs();
  const can = useCan();
  const qc = useQueryClient();
  const q = useQuery({ queryKey: ['case', id], queryFn: () => api.pmo.cases.get.query({ id }) });
  const refresh = () => qc.invalidateQueries({ queryKey: ['case', id] });
  const ask = useMutation({
    mutationFn: (question: string) =>
      api.pmo.cases.requestEvidence.mutate({ caseId: id, question, dueInDays: 7 }),
    onSuccess: refresh,
  });
  const decide = useMutation({
    mutationFn: (v: { outcome: (typeof CASE_OUTCOMES)[number]; reason: string }) =>
      api.pmo.cases.decide.mutate({ id, ...v }),
    onSuccess: refresh,
  });
  if (!q.data) return <Loading error={q.error} />;
  const c = q.data;
  return (
    <section aria-labelledby="h-case">
      <h1 id="h-case">
        {t('cases')}: {c.summary}
      </h1>
      <p>
        {c.subjectType} {c.subjectId} · <strong>{c.status}</strong>
        {c.decision ? ` · ${c.decision.outcome}: ${c.decision.reason}` : ''}
      </p>
      <h2>{t('timeline')}</h2>
      <ol className="timeline">
        {c.timeline.map((s) => (
          <li key={`${s.at}-${s.action}`}>
            {dateTime(s.at, locale, zone)} — {s.action}
            {s.toState ? ` → ${s.toState}` : ''}
          </li>
        ))}
      </ol>
      <h2>{t('evidence')}</h2>
      <ul>
        {c.evidenceRequests.map((r) => (
          <li key={r.id}>
            <strong>{r.question}</strong> — {r.status}
            {r.answer ? `: ${r.answer}` : ''}
          </li>
        ))}
      </ul>
      {c.status !== 'DECIDED' && can('pmo.cases.decide') && (
        <div className="decisions">
          <form
            onSubmit={(e) => {
              e.preventDefault();
              ask.mutate(String(new FormData(e.currentTarget).get('question')));
            }}
          >
            <Field label={t('question')}>
              {(fid) => <textarea id={fid} name="question" required minLength={10} />}
            </Field>
            <button type="submit">{t('requestEvidence')}</button>
          </form>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              const f = new FormData(e.currentTarget);
              decide.mutate({
                outcome: String(f.get('outcome')) as (typeof CASE_OUTCOMES)[number],
                reason: String(f.get('reason')),
              });
            }}
          >
            <Field label={t('outcome')}>
              {(fid) => (
                <select id={fid} name="outcome">
                  {CASE_OUTCOMES.map((o) => (
                    <option key={o}>{o}</option>
                  ))}
                </select>
              )}
            </Field>
            <Field label={t('reason')}>
              {(fid) => <textarea id={fid} name="reason" required minLength={10} />}
            </Field>
            <button type="submit">{t('decide')}</button>
          </form>
        </div>
      )}
      {(ask.error ?? decide.error) && (
        <p role="alert" className="error">
          {describe(ask.error ?? decide.error)}
        </p>
      )}
    </section>
  );
}
