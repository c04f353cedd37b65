import { COURSE_MODES, REJECTION_REASONS } from '@latih/sdk';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, describe } from '../api';
import { dateTime, rupiah } from '../format';
import { usePrefs } from '../i18n';
import { useCan } from '../session';
import {
  CategoryField,
  Field,
  ListTable,
  Loading,
  NumberField,
  OrganisationField,
  SelectField,
  useCursorList,
} from '../ui';

export function CurationQueue() {
  const { t, locale, zone } = usePrefs();
  const [providerId, setProvider] = useState('');
  const [mode, setMode] = useState<(typeof COURSE_MODES)[number] | ''>('');
  const [category, setCategory] = useState('');
  const [minAge, setMinAge] = useState('');
  const filter = {
    ...(providerId ? { providerId } : {}),
    ...(mode ? { mode } : {}),
    ...(category ? { category } : {}),
    ...(minAge !== '' ? { minAgeHours: Number(minAge) } : {}),
  };
  const q = useCursorList(['curation', filter], (cursor) =>
    api.pmo.curation.queue.query({ ...filter, limit: 50, ...(cursor ? { cursor } : {}) }),
  );
  type Item = (typeof q.rows)[number];
  return (
    <section aria-labelledby="h-curation">
      <h1 id="h-curation">{t('curation')}</h1>
      <div className="filters">
        <OrganisationField label={t('provider')} kind="PROVIDER" value={providerId} onChange={setProvider} />
        <SelectField label={t('mode')} value={mode} values={COURSE_MODES} onChange={setMode} />
        <CategoryField value={category} onChange={setCategory} />
        <NumberField label={t('minAgeHours')} value={minAge} onChange={setMinAge} />
      </div>
      <ListTable<Item>
        list={q}
        empty={t('emptyQueue')}
        caption={t('curation')}
        rowKey={(r) => `${r.courseId}:${r.revisionId ?? ''}`}
        columns={[
          {
            key: 'title',
            label: t('title'),
            render: (r) => <a href={`#/curation/${r.courseId}`}>{r.title}</a>,
            sort: (r) => r.title,
          },
          {
            key: 'provider',
            label: t('provider'),
            render: (r) => r.providerName,
            sort: (r) => r.providerName,
          },
          { key: 'mode', label: t('mode'), render: (r) => r.mode, sort: (r) => r.mode },
          {
            key: 'submitted',
            label: t('submitted'),
            render: (r) => dateTime(r.submittedAt, locale, zone),
            sort: (r) => r.submittedAt,
          },
        ]}
      />
    </section>
  );
}

export function CourseReview({ id }: { id: string }) {
  const { t, locale, zone } = usePrefs();
  const can = useCan();
  const qc = useQueryClient();
  const [done, setDone] = useState<string | null>(null);
  const [reasons, setReasons] = useState<string[]>([]);
  const q = useQuery({ queryKey: ['review', id], queryFn: () => api.pmo.curation.get.query({ id }) });
  const approve = useMutation({
    mutationFn: (note: string) => api.pmo.curation.approve.mutate({ id, note }),
    onSuccess: () => {
      setDone(t('approved'));
      void qc.invalidateQueries({ queryKey: ['curation'] });
    },
  });
  const reject = useMutation({
    mutationFn: (note: string) =>
      api.pmo.curation.reject.mutate({ id, reasons: reasons as (typeof REJECTION_REASONS)[number][], note }),
    onSuccess: () => {
      setDone(t('rejected'));
      void qc.invalidateQueries({ queryKey: ['curation'] });
    },
  });
  if (!q.data) return <Loading error={q.error} />;
  const { course, runs, indicators } = q.data;
  const onApprove = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    approve.mutate(String(new FormData(e.currentTarget).get('note') ?? ''));
  };
  const onReject = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    reject.mutate(String(new FormData(e.currentTarget).get('note') ?? ''));
  };
  const failure = approve.error ?? reject.error;
  return (
    <section aria-labelledby="h-course">
      <p>
        <a href="#/curation">← {t('back')}</a>
      </p>
      <h1 id="h-course">{course.title}</h1>
      <p>{course.summary}</p>
      <dl className="facts">
        <dt>{t('mode')}</dt>
        <dd>{course.mode}</dd>
        <dt>{t('hours')}</dt>
        <dd>{course.hours}</dd>
        <dt>{t('price')}</dt>
        <dd>{rupiah(course.price)}</dd>
        <dt>{t('status')}</dt>
        <dd>{course.status}</dd>
      </dl>
      <h2>{t('indicators')}</h2>
      <ul className="indicators">
        {indicators.map((i) => (
          <li key={i.code} className={i.ok ? 'ok' : 'not-ok'}>
            <span aria-hidden="true">{i.ok ? '✔' : '✘'}</span> <strong>{i.code}</strong> — {i.detail}
          </li>
        ))}
      </ul>
      <h2>{t('runs')}</h2>
      {runs.map((r) => (
        <div key={r.id} className="run">
          <strong>
            {r.id} · {r.status} · {r.seatsTaken}/{r.capacity}
          </strong>
          <ol>
            {r.sessions.map((s) => (
              <li key={s.sequence}>
                {dateTime(s.startsAt, locale, zone)} – {dateTime(s.endsAt, locale, zone)} · {s.mode}
                {s.venue ? ` · ${s.venue.name}, ${s.venue.address} (${s.venue.regencyCode})` : ''}
              </li>
            ))}
          </ol>
        </div>
      ))}
      {done ? (
        <p role="status" className="done">
          {done}
        </p>
      ) : !can('pmo.curation.approve') ? null : (
        <div className="decisions">
          <form onSubmit={onApprove} aria-label={t('approve')}>
            <Field label={`${t('note')} (${t('approve')})`}>
              {(fid) => <textarea id={fid} name="note" />}
            </Field>
            <button type="submit">{t('approve')}</button>
          </form>
          <form onSubmit={onReject} aria-label={t('reject')}>
            <fieldset>
              <legend>{t('reasons')}</legend>
              {REJECTION_REASONS.map((r) => (
                <label key={r} className="check">
                  <input
                    type="checkbox"
                    value={r}
                    checked={reasons.includes(r)}
                    onChange={(e) =>
                      setReasons((x) => (e.target.checked ? [...x, r] : x.filter((y) => y !== r)))
                    }
                  />{' '}
                  {r}
                </label>
              ))}
            </fieldset>
            <Field label={`${t('note')} (${t('reject')})`}>
              {(fid) => <textarea id={fid} name="note" required minLength={5} />}
            </Field>
            <button type="submit" className="danger">
              {t('reject')}
            </button>
          </form>
        </div>
      )}
      {failure && (
        <p role="alert" className="error">
          {describe(failure)}
        </p>
      )}
    </section>
  );
}
