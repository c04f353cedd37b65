import {
  COURSE_MODES,
  REJECTION_REASONS,
  type TCourse,
  type TCourseContent,
  type TCourseStatus,
  type TCreateCourseInput,
  type TRun,
  type TRunStatus,
  type TSessionInput,
} from '@latih/sdk';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, describe } from '../api';
import { count, dateTime, rupiah, ZONES, type Zone } from '../format';
import { usePrefs } from '../i18n';
import { useCan } from '../session';
import { Field, ListTable, Loading, SelectField, useCursorList } from '../ui';
import './courses.css';
import { usePT } from './t';

const COURSE_STATUSES = [
  'DRAFT',
  'IN_REVIEW',
  'PUBLISHED',
  'REJECTED',
  'SUSPENDED',
  'WITHDRAWN',
] as const satisfies readonly TCourseStatus[];
type Mode = (typeof COURSE_MODES)[number];
type SessionKind = 'ONLINE' | 'LURING';

/** Indonesia keeps no daylight saving: each zone is one fixed offset. */
const OFFSETS: Record<Zone, string> = { WIB: '+07:00', WITA: '+08:00', WIT: '+09:00' };

/** A `datetime-local` value read in the given zone, as a UTC ISO instant. */
function toUtc(local: string, zone: Zone): string {
  const withSeconds = local.length === 16 ? `${local}:00` : local;
  return new Date(`${withSeconds}${OFFSETS[zone]}`).toISOString();
}

function zoneOf(timeZone: string): Zone | undefined {
  return (Object.keys(ZONES) as Zone[]).find((z) => ZONES[z] === timeZone);
}

const lines = (v: FormDataEntryValue | null) =>
  String(v ?? '')
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean);

function Alert({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <p role="alert" className="error">
      {describe(error)}
    </p>
  );
}

/** The provider's courses: a status filter, the list paged, and a form for a new draft. */
export function CoursesPage() {
  const { pt, locale } = usePT();
  const can = useCan();
  const [status, setStatus] = useState<TCourseStatus | ''>('');
  const filter = status ? { status } : {};
  const q = useCursorList(['provider-courses', filter], (cursor) =>
    api.provider.courses.list.query({ ...filter, limit: 20, ...(cursor ? { cursor } : {}) }),
  );
  return (
    <section aria-labelledby="h-courses">
      <h1 id="h-courses">{pt('c_courses')}</h1>
      <div className="filters">
        <SelectField
          label={pt('c_cStatus')}
          value={status}
          values={COURSE_STATUSES}
          onChange={setStatus}
          labelOf={(s) => pt(`c_status_${s}`)}
        />
      </div>
      <ListTable<TCourse>
        list={q}
        empty={status ? pt('c_noMatch') : pt('c_noCourses')}
        caption={pt('c_courseList')}
        rowKey={(r) => r.id}
        columns={[
          {
            key: 'title',
            label: pt('c_cTitle'),
            render: (r) => <a href={`#/courses/${r.id}`}>{r.title}</a>,
            sort: (r) => r.title,
          },
          {
            key: 'status',
            label: pt('c_cStatus'),
            render: (r) => (
              <>
                {pt(`c_status_${r.status}`)}
                {r.pendingRevision ? ` · ${pt(`c_revision_${r.pendingRevision.status}`)}` : ''}
              </>
            ),
            sort: (r) => r.status,
          },
          { key: 'mode', label: pt('c_cMode'), render: (r) => pt(`c_mode_${r.mode}`), sort: (r) => r.mode },
          { key: 'price', label: pt('c_cPriceShort'), render: (r) => rupiah(r.price), sort: (r) => r.price },
          {
            key: 'hours',
            label: pt('c_cHours'),
            render: (r) => count(r.hours, locale),
            sort: (r) => r.hours,
          },
        ]}
      />
      {can('provider.courses.create') && <NewCourse />}
    </section>
  );
}

/** A new draft: what the create procedure requires, the rest left to its defaults. */
function NewCourse() {
  const { pt } = usePT();
  const qc = useQueryClient();
  const [category, setCategory] = useState('');
  const [missing, setMissing] = useState(false);
  const create = useMutation({
    mutationFn: (input: TCreateCourseInput) => api.provider.courses.create.mutate(input),
    onSuccess: async (course) => {
      await qc.invalidateQueries({ queryKey: ['provider-courses'] });
      window.location.hash = `#/courses/${course.id}`;
    },
  });
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (!category) {
      setMissing(true);
      return;
    }
    setMissing(false);
    const fd = new FormData(e.currentTarget);
    create.mutate({
      title: String(fd.get('title') ?? ''),
      summary: String(fd.get('summary') ?? ''),
      description: String(fd.get('description') ?? ''),
      category: category as TCreateCourseInput['category'],
      mode: String(fd.get('mode')) as Mode,
      hours: Number(fd.get('hours')),
      price: Number(fd.get('price')),
      learningOutcomes: lines(fd.get('learningOutcomes')),
    });
  };
  return (
    <section aria-labelledby="h-new-course" className="panel">
      <h2 id="h-new-course">{pt('c_newCourse')}</h2>
      <p>{pt('c_newCourseHint')}</p>
      <form className="course-form" onSubmit={onSubmit} aria-labelledby="h-new-course">
        <ContentFields category={category} onCategory={setCategory} />
        {missing && (
          <p role="alert" className="error">
            {pt('c_chooseCategory')}
          </p>
        )}
        <Alert error={create.error} />
        <button type="submit" disabled={create.isPending}>
          {pt('c_createCourse')}
        </button>
      </form>
    </section>
  );
}

/** The content fields of a course; `full` adds what only the edit form asks (rule, certificate…). */
function ContentFields({
  content,
  category,
  onCategory,
  full = false,
}: {
  content?: TCourseContent;
  category: string;
  onCategory: (c: string) => void;
  full?: boolean;
}) {
  const { pt } = usePT();
  const rule = content?.completionRule;
  const cert = content?.certificateTemplate;
  return (
    <>
      <Field label={pt('c_cTitle')}>
        {(id) => (
          <input id={id} name="title" required minLength={5} maxLength={200} defaultValue={content?.title} />
        )}
      </Field>
      <Field label={pt('c_cSummary')}>
        {(id) => (
          <textarea
            id={id}
            name="summary"
            required
            minLength={10}
            maxLength={500}
            rows={2}
            defaultValue={content?.summary}
          />
        )}
      </Field>
      <Field label={pt('c_cDescription')}>
        {(id) => (
          <textarea
            id={id}
            name="description"
            maxLength={20000}
            rows={4}
            defaultValue={content?.description}
          />
        )}
      </Field>
      <CourseCategory value={category} onChange={onCategory} />
      <div className="row">
        <Field label={pt('c_cMode')}>
          {(id) => (
            <select id={id} name="mode" required defaultValue={content?.mode ?? ''}>
              <option value="" disabled>
                {pt('c_choose')}
              </option>
              {COURSE_MODES.map((m) => (
                <option key={m} value={m}>
                  {pt(`c_mode_${m}`)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={pt('c_cHours')}>
          {(id) => (
            <input
              id={id}
              name="hours"
              type="number"
              required
              min={0.25}
              max={1000}
              step={0.25}
              className="short"
              defaultValue={content?.hours}
            />
          )}
        </Field>
        <Field label={pt('c_cPrice')}>
          {(id) => (
            <input
              id={id}
              name="price"
              type="number"
              required
              min={0}
              step={1}
              className="price"
              defaultValue={content?.price}
            />
          )}
        </Field>
      </div>
      <Field label={pt('c_cOutcomes')}>
        {(id) => (
          <textarea
            id={id}
            name="learningOutcomes"
            rows={3}
            defaultValue={content?.learningOutcomes.join('\n')}
          />
        )}
      </Field>
      {full && (
        <>
          <Field label={pt('c_cCompetencies')}>
            {(id) => (
              <textarea
                id={id}
                name="competencyCodes"
                rows={2}
                defaultValue={content?.competencyCodes.join('\n')}
              />
            )}
          </Field>
          <div className="row">
            <Field label={pt('c_cMinAttendance')}>
              {(id) => (
                <input
                  id={id}
                  name="minAttendancePercent"
                  type="number"
                  required
                  min={0}
                  max={100}
                  step={1}
                  className="short"
                  defaultValue={rule?.minAttendancePercent ?? 100}
                />
              )}
            </Field>
            <Field label={pt('c_cPassScore')}>
              {(id) => (
                <input
                  id={id}
                  name="postTestPassScore"
                  type="number"
                  min={0}
                  max={100}
                  step={1}
                  className="short"
                  defaultValue={rule ? (rule.postTestPassScore ?? '') : 70}
                />
              )}
            </Field>
          </div>
          <label className="check">
            <input
              type="checkbox"
              name="assignmentRequired"
              defaultChecked={rule?.assignmentRequired ?? true}
            />{' '}
            {pt('c_cAssignment')}
          </label>
          <fieldset>
            <legend>{pt('c_certificate')}</legend>
            <p className="hint">{pt('c_certificateHint')}</p>
            <Field label={pt('c_cCertTitle')}>
              {(id) => <input id={id} name="certTitle" maxLength={200} defaultValue={cert?.title ?? ''} />}
            </Field>
            <Field label={pt('c_cSignatory')}>
              {(id) => (
                <input
                  id={id}
                  name="signatoryName"
                  maxLength={200}
                  defaultValue={cert?.signatoryName ?? ''}
                />
              )}
            </Field>
            <Field label={pt('c_cSignatoryTitle')}>
              {(id) => (
                <input
                  id={id}
                  name="signatoryTitle"
                  maxLength={200}
                  defaultValue={cert?.signatoryTitle ?? ''}
                />
              )}
            </Field>
          </fieldset>
        </>
      )}
    </>
  );
}

/** The course's category from the shipped taxonomy, chosen (no "all" choice: a course has one). */
function CourseCategory({ value, onChange }: { value: string; onChange: (code: string) => void }) {
  const { t, locale } = usePrefs();
  const { pt } = usePT();
  const q = useQuery({
    queryKey: ['categories'],
    queryFn: () => api.public.categories.query({}),
    staleTime: Number.POSITIVE_INFINITY,
  });
  return (
    <Field label={t('category')}>
      {(id) => (
        <select id={id} required value={value} onChange={(e) => onChange(e.target.value)}>
          <option value="">{pt('c_choose')}</option>
          {(q.data?.items ?? []).map((c) => (
            <option key={c.code} value={c.code}>
              {locale === 'id' ? c.id : c.en}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

/**
 * One course: its state, why it was rejected, what review still needs, submit and withdraw, the
 * edit form while it may change, and its runs with a form for a new one.
 */
export function CoursePage({ id }: { id: string }) {
  const { pt, locale, zone } = usePT();
  const can = useCan();
  const qc = useQueryClient();
  const [notice, setNotice] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [saved, setSaved] = useState(false);
  const q = useQuery({
    queryKey: ['provider-course', id],
    queryFn: () => api.provider.courses.get.query({ id }),
  });
  const runs = useCursorList(['provider-runs', id], (cursor) =>
    api.provider.runs.list.query({ courseId: id, limit: 20, ...(cursor ? { cursor } : {}) }),
  );
  const refresh = () =>
    Promise.all([
      qc.invalidateQueries({ queryKey: ['provider-course', id] }),
      qc.invalidateQueries({ queryKey: ['provider-courses'] }),
    ]);
  const submit = useMutation({
    mutationFn: () => api.provider.courses.submit.mutate({ id }),
    onMutate: () => setNotice(null),
    onSuccess: async () => {
      await refresh();
      setNotice(pt('c_submitted'));
    },
  });
  const withdraw = useMutation({
    mutationFn: () => api.provider.courses.withdraw.mutate({ id }),
    onMutate: () => setNotice(null),
    onSuccess: async () => {
      await refresh();
      setConfirming(false);
      setNotice(pt('c_withdrawn'));
    },
  });
  if (!q.data) return <Loading error={q.error} />;
  const c = q.data;
  const rev = c.pendingRevision;
  const editable =
    c.status === 'DRAFT' ||
    c.status === 'REJECTED' ||
    ((c.status === 'PUBLISHED' || c.status === 'SUSPENDED') && rev?.status !== 'IN_REVIEW');
  const submittable = c.status === 'DRAFT' || (rev?.status === 'DRAFT' && c.status !== 'WITHDRAWN');
  const withdrawable = c.status === 'DRAFT' || c.status === 'REJECTED' || c.status === 'PUBLISHED';
  const failure = submit.error ?? withdraw.error;
  return (
    <section aria-labelledby="h-course">
      <p>
        <a href="#/courses">← {pt('c_backToCourses')}</a>
      </p>
      <h1 id="h-course">{c.title}</h1>
      <p>{c.summary}</p>
      <dl className="facts">
        <dt>{pt('c_cStatus')}</dt>
        <dd>
          <strong>{pt(`c_status_${c.status}`)}</strong>
        </dd>
        <dt>{pt('c_cMode')}</dt>
        <dd>{pt(`c_mode_${c.mode}`)}</dd>
        <dt>{pt('c_cHours')}</dt>
        <dd>{count(c.hours, locale)}</dd>
        <dt>{pt('c_cPriceShort')}</dt>
        <dd>{rupiah(c.price)}</dd>
        <dt>{pt('c_cOutcomesShown')}</dt>
        <dd>{c.learningOutcomes.length > 0 ? c.learningOutcomes.join('; ') : pt('c_none')}</dd>
        <dt>{pt('c_cVersion')}</dt>
        <dd>{c.version}</dd>
        <dt>{pt('c_cSubmittedAt')}</dt>
        <dd>{dateTime(c.submittedAt, locale, zone)}</dd>
        <dt>{pt('c_cPublishedAt')}</dt>
        <dd>{dateTime(c.publishedAt, locale, zone)}</dd>
      </dl>
      {c.suspension && (
        <p className="warn">
          {pt('c_suspended')} ({dateTime(c.suspension.at, locale, zone)}): {c.suspension.reason}
        </p>
      )}
      {c.status === 'REJECTED' && c.rejection && (
        <Rejection rejection={c.rejection} heading={pt('c_rejection')} hint={pt('c_rejectedHint')} />
      )}
      {rev && (
        <section aria-labelledby="h-revision">
          <h2 id="h-revision">{pt('c_revision')}</h2>
          <p>
            <strong>{pt(`c_revision_${rev.status}`)}</strong> · {pt('c_cUpdated')}{' '}
            {dateTime(rev.updatedAt, locale, zone)}
            {rev.submittedAt ? ` · ${pt('c_cSubmittedAt')} ${dateTime(rev.submittedAt, locale, zone)}` : ''}
          </p>
          <p>{pt('c_revisionHint')}</p>
          <dl className="facts">
            <dt>{pt('c_cTitle')}</dt>
            <dd>{rev.content.title}</dd>
            <dt>{pt('c_cMode')}</dt>
            <dd>{pt(`c_mode_${rev.content.mode}`)}</dd>
            <dt>{pt('c_cHours')}</dt>
            <dd>{count(rev.content.hours, locale)}</dd>
            <dt>{pt('c_cPriceShort')}</dt>
            <dd>{rupiah(rev.content.price)}</dd>
          </dl>
          {rev.status === 'REJECTED' && rev.rejection && (
            <Rejection rejection={rev.rejection} heading={null} hint={null} />
          )}
        </section>
      )}
      <Readiness course={c} runs={runs.rows} />
      {(submittable && can('provider.courses.submit')) ||
      (withdrawable && can('provider.courses.withdraw')) ? (
        <div className="actions">
          {submittable && can('provider.courses.submit') && (
            <button type="button" onClick={() => submit.mutate()} disabled={submit.isPending}>
              {pt('c_submit')}
            </button>
          )}
          {withdrawable && can('provider.courses.withdraw') && !confirming && (
            <button type="button" className="danger" onClick={() => setConfirming(true)}>
              {pt('c_withdraw')}
            </button>
          )}
          {confirming && (
            <>
              <span>{pt('c_withdrawConfirm')}</span>
              <button
                type="button"
                className="danger"
                onClick={() => withdraw.mutate()}
                disabled={withdraw.isPending}
              >
                {pt('c_withdrawYes')}
              </button>
              <button type="button" className="secondary" onClick={() => setConfirming(false)}>
                {pt('c_cancel')}
              </button>
            </>
          )}
        </div>
      ) : null}
      {notice && (
        <p role="status" className="done">
          {notice}
        </p>
      )}
      <Alert error={failure} />
      {can('provider.courses.update') && editable && (
        <EditCourse
          key={`${c.updatedAt}:${rev?.updatedAt ?? ''}`}
          course={c}
          saved={saved}
          onSaved={setSaved}
        />
      )}
      {c.status === 'IN_REVIEW' || rev?.status === 'IN_REVIEW' ? <p>{pt('c_editLocked')}</p> : null}
      <section aria-labelledby="h-runs">
        <h2 id="h-runs">{pt('c_runs')}</h2>
        {c.mode === 'SELF_PACED' ? (
          <p>{pt('c_selfPacedNoRuns')}</p>
        ) : (
          <>
            <Runs course={c} list={runs} />
            {can('provider.runs.create') && c.status !== 'WITHDRAWN' && <NewRun course={c} />}
          </>
        )}
      </section>
    </section>
  );
}

function Rejection({
  rejection,
  heading,
  hint,
}: {
  rejection: NonNullable<TCourse['rejection']>;
  heading: string | null;
  hint: string | null;
}) {
  const { pt, locale, zone } = usePT();
  const known = (r: string): r is (typeof REJECTION_REASONS)[number] =>
    (REJECTION_REASONS as readonly string[]).includes(r);
  const body = (
    <>
      <ul>
        {rejection.reasons.map((r) => (
          <li key={r}>
            <strong>{r}</strong>: {known(r) ? pt(`c_reason_${r}`) : ''}
          </li>
        ))}
      </ul>
      <p>
        <strong>{pt('c_reviewerNote')}:</strong> {rejection.note || pt('c_none')}
      </p>
      <p>
        {pt('c_rejectedAt')} {dateTime(rejection.at, locale, zone)}
      </p>
      {hint && <p>{hint}</p>}
    </>
  );
  if (heading === null) return <div className="rejection">{body}</div>;
  return (
    <section aria-labelledby="h-rejection" className="rejection">
      <h2 id="h-rejection">{heading}</h2>
      {body}
    </section>
  );
}

/**
 * The curation indicators the program's reviewer sees beside the course, from the server (the same
 * computation), for the open revision when there is one: what to fix before asking, and after.
 */
function Readiness({ course, runs }: { course: TCourse; runs: TRun[] }) {
  const { pt } = usePT();
  const q = useQuery({
    queryKey: [
      'provider-course',
      course.id,
      'indicators',
      course.updatedAt,
      runs.map((r) => r.status).join(),
    ],
    queryFn: () => api.provider.courses.indicators.query({ id: course.id }),
  });
  return (
    <section aria-labelledby="h-readiness">
      <h2 id="h-readiness">{pt('c_readiness')}</h2>
      {!q.data ? (
        <Loading error={q.error} />
      ) : (
        <ul className="indicators">
          {q.data.indicators.map((i) => (
            <li key={i.code} className={i.ok ? 'ok' : 'not-ok'}>
              <span aria-hidden="true">{i.ok ? '✔' : '✘'}</span> <strong>{i.code}</strong> (
              {i.ok ? pt('c_met') : pt('c_notMet')}) — {i.detail}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** The form remounts with the saved course (its key), so the parent keeps "saved". */
function EditCourse({
  course,
  saved,
  onSaved,
}: {
  course: TCourse;
  saved: boolean;
  onSaved: (saved: boolean) => void;
}) {
  const { pt } = usePT();
  const qc = useQueryClient();
  const content: TCourseContent = course.pendingRevision?.content ?? course;
  const [category, setCategory] = useState<string>(content.category);
  const update = useMutation({
    mutationFn: (patch: Omit<Parameters<typeof api.provider.courses.update.mutate>[0], 'id'>) =>
      api.provider.courses.update.mutate({ id: course.id, ...patch }),
    onMutate: () => onSaved(false),
    onSuccess: async () => {
      onSaved(true);
      await Promise.all([
        qc.invalidateQueries({ queryKey: ['provider-course', course.id] }),
        qc.invalidateQueries({ queryKey: ['provider-courses'] }),
      ]);
    },
  });
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const fd = new FormData(e.currentTarget);
    const certTitle = String(fd.get('certTitle') ?? '').trim();
    const signatoryName = String(fd.get('signatoryName') ?? '').trim();
    const signatoryTitle = String(fd.get('signatoryTitle') ?? '').trim();
    const pass = String(fd.get('postTestPassScore') ?? '').trim();
    update.mutate({
      title: String(fd.get('title') ?? ''),
      summary: String(fd.get('summary') ?? ''),
      description: String(fd.get('description') ?? ''),
      category: category as TCourseContent['category'],
      mode: String(fd.get('mode')) as Mode,
      hours: Number(fd.get('hours')),
      price: Number(fd.get('price')),
      learningOutcomes: lines(fd.get('learningOutcomes')),
      competencyCodes: lines(fd.get('competencyCodes')),
      completionRule: {
        minAttendancePercent: Number(fd.get('minAttendancePercent')),
        postTestPassScore: pass === '' ? null : Number(pass),
        assignmentRequired: fd.get('assignmentRequired') === 'on',
      },
      certificateTemplate:
        certTitle || signatoryName || signatoryTitle
          ? {
              title: certTitle,
              signatoryName,
              signatoryTitle,
              skills: content.certificateTemplate?.skills ?? [],
            }
          : null,
    });
  };
  return (
    <section aria-labelledby="h-edit" className="panel">
      <h2 id="h-edit">{pt('c_edit')}</h2>
      {(course.status === 'PUBLISHED' || course.status === 'SUSPENDED') && <p>{pt('c_editRevisionHint')}</p>}
      <form className="course-form" onSubmit={onSubmit} aria-labelledby="h-edit">
        <ContentFields content={content} category={category} onCategory={setCategory} full />
        <Alert error={update.error} />
        {saved && (
          <p role="status" className="done">
            {pt('c_saved')}
          </p>
        )}
        <button type="submit" disabled={update.isPending}>
          {pt('c_save')}
        </button>
      </form>
    </section>
  );
}

function Runs({
  course,
  list,
}: {
  course: TCourse;
  list: ReturnType<typeof useCursorList<{ items: TRun[]; nextCursor: string | null }>>;
}) {
  const { pt, locale, zone } = usePT();
  const can = useCan();
  const qc = useQueryClient();
  const [opened, setOpened] = useState<string | null>(null);
  const open = useMutation({
    mutationFn: (runId: string) => api.provider.runs.open.mutate({ id: runId }),
    onMutate: () => setOpened(null),
    onSuccess: async (run) => {
      await qc.invalidateQueries({ queryKey: ['provider-runs', course.id] });
      setOpened(run.id);
    },
  });
  const published = course.status === 'PUBLISHED';
  const runStatus = (s: TRunStatus) => pt(`c_runStatus_${s}`);
  return (
    <>
      <ListTable<TRun>
        list={list}
        empty={pt('c_noRuns')}
        caption={pt('c_runList')}
        rowKey={(r) => r.id}
        columns={[
          {
            key: 'run',
            label: pt('c_run'),
            render: (r) => (
              <a href={`#/classes/${r.id}`}>
                {pt('c_runStarts')} {dateTime(r.sessions[0]?.startsAt, locale, zone)}
              </a>
            ),
            sort: (r) => r.sessions[0]?.startsAt ?? '',
          },
          {
            key: 'status',
            label: pt('c_cStatus'),
            render: (r) => runStatus(r.status),
            sort: (r) => r.status,
          },
          {
            key: 'seats',
            label: pt('c_seats'),
            render: (r) => `${count(r.seatsTaken, locale)} / ${count(r.capacity, locale)}`,
            sort: (r) => r.capacity,
          },
          {
            key: 'sessions',
            label: pt('c_sessions'),
            render: (r) => (
              <ol className="sessions">
                {r.sessions.map((s) => (
                  <li key={s.sequence}>
                    {dateTime(s.startsAt, locale, zone)} – {dateTime(s.endsAt, locale, zone)} ·{' '}
                    {s.mode === 'LURING' ? pt('c_luring') : pt('c_online')}
                    {s.venue
                      ? ` · ${s.venue.name}, ${s.venue.address}, ${s.venue.regencyName} (${s.venue.regencyCode})`
                      : ''}
                  </li>
                ))}
              </ol>
            ),
          },
          {
            key: 'action',
            label: pt('c_actions'),
            render: (r) =>
              r.status === 'SCHEDULED' && can('provider.runs.open') ? (
                published ? (
                  <button type="button" onClick={() => open.mutate(r.id)} disabled={open.isPending}>
                    {pt('c_openRun')}
                  </button>
                ) : (
                  <span className="hint">{pt('c_openRunNeedsPublished')}</span>
                )
              ) : null,
          },
        ]}
      />
      {opened && (
        <p role="status" className="done">
          {pt('c_runOpened')}
        </p>
      )}
      <Alert error={open.error} />
    </>
  );
}

type Row = { key: number; start: string; end: string; kind: SessionKind };

/** A new run: capacity, its sessions as rows in one zone, a venue for luring sessions, a link for online ones. */
function NewRun({ course }: { course: TCourse }) {
  const { pt, locale, zone: myZone } = usePT();
  const qc = useQueryClient();
  const mode = course.mode;
  const needsVenue = mode === 'LURING' || mode === 'HYBRID';
  const hasOnline = mode === 'WEBINAR' || mode === 'HYBRID';
  const [capacity, setCapacity] = useState('20');
  const [zone, setZone] = useState<Zone>(myZone);
  const [nextKey, setNextKey] = useState(2);
  const [rows, setRows] = useState<Row[]>([
    { key: 1, start: '', end: '', kind: mode === 'WEBINAR' ? 'ONLINE' : 'LURING' },
  ]);
  const [venue, setVenue] = useState({
    name: '',
    address: '',
    latitude: '',
    longitude: '',
    accessibility: '',
  });
  const [province, setProvince] = useState('');
  const [regency, setRegency] = useState('');
  const [meetingUrl, setMeetingUrl] = useState('');
  const [created, setCreated] = useState(false);
  const provinces = useQuery({
    queryKey: ['provinces'],
    queryFn: () => api.public.regions.query({}),
    staleTime: Number.POSITIVE_INFINITY,
    enabled: needsVenue,
  });
  const regencies = useQuery({
    queryKey: ['regencies', province],
    queryFn: () => api.public.regions.query({ provinceCode: province }),
    staleTime: Number.POSITIVE_INFINITY,
    enabled: needsVenue && province !== '',
  });
  const create = useMutation({
    mutationFn: (sessions: TSessionInput[]) =>
      api.provider.runs.create.mutate({ courseId: course.id, capacity: Number(capacity), sessions }),
    onMutate: () => setCreated(false),
    onSuccess: async () => {
      await Promise.all([
        qc.invalidateQueries({ queryKey: ['provider-runs', course.id] }),
        qc.invalidateQueries({ queryKey: ['provider-course', course.id] }),
      ]);
      setRows([{ key: nextKey, start: '', end: '', kind: mode === 'WEBINAR' ? 'ONLINE' : 'LURING' }]);
      setNextKey((k) => k + 1);
      setCreated(true);
    },
  });
  const kindOf = (r: Row): SessionKind =>
    mode === 'LURING' ? 'LURING' : mode === 'WEBINAR' ? 'ONLINE' : r.kind;
  const minutes = rows.reduce((sum, r) => {
    if (!r.start || !r.end) return sum;
    const d = (Date.parse(toUtc(r.end, zone)) - Date.parse(toUtc(r.start, zone))) / 60_000;
    return Number.isFinite(d) && d > 0 ? sum + d : sum;
  }, 0);
  const setRow = (key: number, patch: Partial<Row>) =>
    setRows((rs) => rs.map((r) => (r.key === key ? { ...r, ...patch } : r)));
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const ordered = [...rows].sort((a, b) => toUtc(a.start, zone).localeCompare(toUtc(b.start, zone)));
    const sessions: TSessionInput[] = ordered.map((r, i) => {
      const kind = kindOf(r);
      return {
        sequence: i + 1,
        ...(mode === 'HYBRID' ? { mode: kind } : {}),
        startsAt: toUtc(r.start, zone),
        endsAt: toUtc(r.end, zone),
        timeZone: ZONES[zone],
        ...(kind === 'LURING'
          ? {
              venue: {
                name: venue.name,
                address: venue.address,
                regencyCode: regency,
                latitude: Number(venue.latitude),
                longitude: Number(venue.longitude),
                accessibility: venue.accessibility,
              },
            }
          : meetingUrl.trim()
            ? { meetingUrl: meetingUrl.trim() }
            : {}),
      };
    });
    create.mutate(sessions);
  };
  const anyLuring = rows.some((r) => kindOf(r) === 'LURING');
  return (
    <section aria-labelledby="h-new-run" className="panel">
      <h2 id="h-new-run">{pt('c_newRun')}</h2>
      <p>{pt('c_newRunHint')}</p>
      <form className="run-form" onSubmit={onSubmit} aria-labelledby="h-new-run">
        <div className="row">
          <Field label={pt('c_capacity')}>
            {(id) => (
              <input
                id={id}
                type="number"
                required
                min={1}
                max={10000}
                step={1}
                className="short"
                value={capacity}
                onChange={(e) => setCapacity(e.target.value)}
              />
            )}
          </Field>
          <Field label={pt('c_zone')}>
            {(id) => (
              <select id={id} value={zone} onChange={(e) => setZone(e.target.value as Zone)}>
                {(Object.keys(ZONES) as Zone[]).map((z) => (
                  <option key={z} value={z}>
                    {z}
                  </option>
                ))}
              </select>
            )}
          </Field>
        </div>
        <fieldset>
          <legend>{pt('c_sessions')}</legend>
          {rows.map((r, i) => {
            const n = i + 1;
            return (
              <div className="session-row" key={r.key}>
                <Field label={`${pt('c_startsN')} ${n}`}>
                  {(id) => (
                    <input
                      id={id}
                      type="datetime-local"
                      required
                      step={900}
                      value={r.start}
                      onChange={(e) => setRow(r.key, { start: e.target.value })}
                    />
                  )}
                </Field>
                <Field label={`${pt('c_endsN')} ${n}`}>
                  {(id) => (
                    <input
                      id={id}
                      type="datetime-local"
                      required
                      step={900}
                      min={r.start || undefined}
                      value={r.end}
                      onChange={(e) => setRow(r.key, { end: e.target.value })}
                    />
                  )}
                </Field>
                {mode === 'HYBRID' && (
                  <Field label={`${pt('c_kindN')} ${n}`}>
                    {(id) => (
                      <select
                        id={id}
                        value={r.kind}
                        onChange={(e) => setRow(r.key, { kind: e.target.value as SessionKind })}
                      >
                        <option value="LURING">{pt('c_luring')}</option>
                        <option value="ONLINE">{pt('c_online')}</option>
                      </select>
                    )}
                  </Field>
                )}
                {rows.length > 1 && (
                  <button
                    type="button"
                    className="secondary"
                    onClick={() => setRows((rs) => rs.filter((x) => x.key !== r.key))}
                  >
                    {pt('c_removeSession')} {n}
                  </button>
                )}
              </div>
            );
          })}
          <p className="paging">
            <button
              type="button"
              className="secondary"
              onClick={() => {
                setRows((rs) => [
                  ...rs,
                  { key: nextKey, start: '', end: '', kind: rs.at(-1)?.kind ?? 'LURING' },
                ]);
                setNextKey((k) => k + 1);
              }}
            >
              {pt('c_addSession')}
            </button>
            <span aria-live="polite">
              {pt('c_totalHours')}: {count(minutes / 60, locale)} / {count(course.hours, locale)}{' '}
              {pt('c_ofCourseHours')}
            </span>
          </p>
        </fieldset>
        {needsVenue && anyLuring && (
          <fieldset>
            <legend>{pt('c_venue')}</legend>
            <Field label={pt('c_venueName')}>
              {(id) => (
                <input
                  id={id}
                  required
                  minLength={3}
                  maxLength={200}
                  value={venue.name}
                  onChange={(e) => setVenue((v) => ({ ...v, name: e.target.value }))}
                />
              )}
            </Field>
            <Field label={pt('c_address')}>
              {(id) => (
                <textarea
                  id={id}
                  required
                  minLength={10}
                  maxLength={500}
                  rows={2}
                  value={venue.address}
                  onChange={(e) => setVenue((v) => ({ ...v, address: e.target.value }))}
                />
              )}
            </Field>
            <div className="row">
              <Field label={pt('c_province')}>
                {(id) => (
                  <select
                    id={id}
                    required
                    value={province}
                    onChange={(e) => {
                      const code = e.target.value;
                      setProvince(code);
                      setRegency('');
                      const p = provinces.data?.items.find((x) => x.code === code);
                      const z = p ? zoneOf(p.timeZone) : undefined;
                      if (z) setZone(z);
                    }}
                  >
                    <option value="">{pt('c_choose')}</option>
                    {(provinces.data?.items ?? []).map((p) => (
                      <option key={p.code} value={p.code}>
                        {p.name}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
              <Field label={pt('c_regency')}>
                {(id) => (
                  <select id={id} required value={regency} onChange={(e) => setRegency(e.target.value)}>
                    <option value="">{pt('c_choose')}</option>
                    {(regencies.data?.items ?? []).map((r) => (
                      <option key={r.code} value={r.code}>
                        {r.name} ({r.code})
                      </option>
                    ))}
                  </select>
                )}
              </Field>
            </div>
            <div className="row">
              <Field label={pt('c_latitude')}>
                {(id) => (
                  <input
                    id={id}
                    type="number"
                    required
                    min={-11.5}
                    max={6.5}
                    step="any"
                    className="coord"
                    value={venue.latitude}
                    onChange={(e) => setVenue((v) => ({ ...v, latitude: e.target.value }))}
                  />
                )}
              </Field>
              <Field label={pt('c_longitude')}>
                {(id) => (
                  <input
                    id={id}
                    type="number"
                    required
                    min={94}
                    max={141.5}
                    step="any"
                    className="coord"
                    value={venue.longitude}
                    onChange={(e) => setVenue((v) => ({ ...v, longitude: e.target.value }))}
                  />
                )}
              </Field>
            </div>
            <Field label={pt('c_accessibility')}>
              {(id) => (
                <input
                  id={id}
                  maxLength={500}
                  value={venue.accessibility}
                  onChange={(e) => setVenue((v) => ({ ...v, accessibility: e.target.value }))}
                />
              )}
            </Field>
          </fieldset>
        )}
        {hasOnline && (
          <Field label={pt('c_meetingUrl')}>
            {(id) => (
              <input
                id={id}
                type="url"
                pattern="https://.*"
                maxLength={500}
                value={meetingUrl}
                onChange={(e) => setMeetingUrl(e.target.value)}
              />
            )}
          </Field>
        )}
        <Alert error={create.error} />
        {created && (
          <p role="status" className="done">
            {pt('c_runCreated')}
          </p>
        )}
        <button type="submit" disabled={create.isPending}>
          {pt('c_createRun')}
        </button>
      </form>
    </section>
  );
}
