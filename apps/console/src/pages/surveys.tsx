import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../api';
import { count, dateTime } from '../format';
import { usePrefs } from '../i18n';
import { ListTable, Loading, Table, useCursorList } from '../ui';

/**
 * The program's surveys (defined through pmo.surveys.create, docs/guides/surveys.md): their window
 * and status, each one's results in aggregate (cells under the statistics threshold withheld, as
 * the API answers them), and closing one early.
 */
export function SurveysPage() {
  const { t, locale, zone } = usePrefs();
  const [picked, setPicked] = useState<string | null>(null);
  const q = useCursorList(['surveys'], (cursor) =>
    api.pmo.surveys.list.query({ limit: 50, ...(cursor ? { cursor } : {}) }),
  );
  return (
    <section aria-labelledby="h-surveys">
      <h1 id="h-surveys">{t('surveys')}</h1>
      <p>{t('surveysNote')}</p>
      <ListTable
        list={q}
        caption={t('surveys')}
        rowKey={(r) => r.id}
        empty={t('noData')}
        columns={[
          { key: 'title', label: t('title'), render: (r) => r.title, sort: (r) => r.title },
          { key: 'scheme', label: t('scheme'), render: (r) => r.schemeId, sort: (r) => r.schemeId },
          {
            key: 'window',
            label: t('window'),
            render: (r) => `${dateTime(r.opensAt, locale, zone)} – ${dateTime(r.closesAt, locale, zone)}`,
            sort: (r) => r.opensAt,
          },
          { key: 'status', label: t('status'), render: (r) => r.status, sort: (r) => r.status },
          {
            key: 'open',
            label: t('results'),
            render: (r) => (
              <button type="button" aria-pressed={picked === r.id} onClick={() => setPicked(r.id)}>
                {t('results')}: {r.title}
              </button>
            ),
          },
        ]}
      />
      {picked && <SurveyResults surveyId={picked} />}
    </section>
  );
}

function SurveyResults({ surveyId }: { surveyId: string }) {
  const { t, locale } = usePrefs();
  const qc = useQueryClient();
  const q = useQuery({
    queryKey: ['surveys', 'results', surveyId],
    queryFn: () => api.pmo.surveys.results.query({ surveyId }),
  });
  const close = useMutation({
    mutationFn: () => api.pmo.surveys.close.mutate({ surveyId }),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['surveys'] });
    },
  });
  if (!q.data) return <Loading error={q.error} />;
  const r = q.data;
  const shown = (n: number | null) => (n === null ? t('withheld') : count(n, locale));
  return (
    <article aria-labelledby="h-survey-results">
      <h2 id="h-survey-results">
        {t('results')}: {r.title}
      </h2>
      <p>
        {t('responses')}: {shown(r.responses)} · {t('withheldBelow')} {r.suppressedBelow}
      </p>
      {r.status !== 'CLOSED' && (
        <p>
          <button type="button" disabled={close.isPending} onClick={() => close.mutate()}>
            {t('closeSurvey')}
          </button>
          {close.error && (
            <span role="alert" className="error">
              {' '}
              {close.error.message}
            </span>
          )}
        </p>
      )}
      {r.questions.map((question) => (
        <Table
          key={question.questionId}
          caption={question.text}
          rowKey={(c) => c.value}
          rows={question.cells}
          columns={[
            { key: 'label', label: question.text, render: (c) => c.label },
            { key: 'count', label: t('respondents'), render: (c) => shown(c.count), sort: (c) => c.count },
          ]}
        />
      ))}
    </article>
  );
}
