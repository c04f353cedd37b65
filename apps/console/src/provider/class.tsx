import type { AppRouter } from '@latih/sdk';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import type { inferRouterOutputs } from '@trpc/server';
import { type FormEvent, useState } from 'react';
import { api, csvUrl, describe } from '../api';
import { dateTime } from '../format';
import { useCan } from '../session';
import { Field, ListTable, Loading, Table, useCursorList } from '../ui';
import { type ProviderKey, usePT } from './t';

type Out = inferRouterOutputs<AppRouter>['provider'];
type TRun = Out['runs']['get'];
type TRosterEntry = Out['enrollments']['list']['items'][number];
type TEnrollmentDetail = Out['enrollments']['get'];

/** The provider's course titles by id (runs carry only the course id). */
export function useCourseTitles(): Map<string, string> {
  const q = useQuery({
    queryKey: ['provider', 'course-titles'],
    queryFn: async () => {
      const titles = new Map<string, string>();
      let cursor: string | undefined;
      do {
        const page = await api.provider.courses.list.query({ limit: 100, ...(cursor ? { cursor } : {}) });
        for (const c of page.items) titles.set(c.id, c.title);
        cursor = page.nextCursor ?? undefined;
      } while (cursor && titles.size < 1000);
      return titles;
    },
  });
  return q.data ?? new Map();
}

/** Every run of the provider: its classes, newest first as the server lists them. */
export function ClassesPage() {
  const { pt, locale, zone } = usePT();
  const can = useCan();
  const titles = useCourseTitles();
  const runs = useCursorList(['provider', 'runs'], (cursor) =>
    api.provider.runs.list.query({ limit: 50, ...(cursor ? { cursor } : {}) }),
  );
  return (
    <section aria-labelledby="h-classes">
      <h1 id="h-classes">{pt('classesTitle')}</h1>
      <ListTable
        list={runs}
        caption={pt('classesTitle')}
        empty={pt('noClasses')}
        rowKey={(r) => r.id}
        columns={[
          {
            key: 'course',
            label: pt('course'),
            render: (r) => <a href={`#/classes/${r.id}`}>{titles.get(r.courseId) ?? r.courseId}</a>,
            sort: (r) => titles.get(r.courseId) ?? r.courseId,
          },
          {
            key: 'first',
            label: pt('firstSession'),
            render: (r) => dateTime(r.sessions[0]?.startsAt, locale, zone),
            sort: (r) => r.sessions[0]?.startsAt ?? '',
          },
          { key: 'sessions', label: pt('sessionsCount'), render: (r) => r.sessions.length },
          { key: 'seats', label: pt('seats'), render: (r) => `${r.seatsTaken} / ${r.capacity}` },
          { key: 'status', label: pt('status'), render: (r) => r.status, sort: (r) => r.status },
          {
            key: 'door',
            label: pt('doorLink'),
            render: (r) =>
              can('provider.vouchers.redeem') && ['OPEN', 'FULL', 'RUNNING'].includes(r.status) ? (
                <a href={`#/door/${r.id}`}>
                  {pt('doorLink')}
                  <span className="visually-hidden"> {titles.get(r.courseId)}</span>
                </a>
              ) : null,
          },
        ]}
      />
    </section>
  );
}

const missingText = (pt: (k: ProviderKey) => string, missing: TRosterEntry['missing']) =>
  missing.length === 0 ? pt('nothingMissing') : missing.map((m) => pt(`miss_${m}` as ProviderKey)).join(', ');

/** One class: the roster, a session's register, the completion report, one participant's file. */
export function ClassPage({ id }: { id: string }) {
  const { pt, locale, zone } = usePT();
  const titles = useCourseTitles();
  const run = useQuery({
    queryKey: ['provider', 'run', id],
    queryFn: () => api.provider.runs.get.query({ id }),
  });
  const [open, setOpen] = useState<string | null>(null);
  if (!run.data) return <Loading error={run.error} />;
  const r = run.data;
  const title = titles.get(r.courseId) ?? r.courseId;
  return (
    <section aria-labelledby="h-class">
      <h1 id="h-class">
        {pt('classTitle')}: {title}
      </h1>
      <p>
        {r.status} · {r.seatsTaken} / {r.capacity} · {dateTime(r.sessions[0]?.startsAt, locale, zone)} –{' '}
        {dateTime(r.sessions.at(-1)?.endsAt, locale, zone)} · <a href={`#/courses/${r.courseId}`}>{title}</a>
      </p>
      <Roster run={r} onOpen={setOpen} />
      <SessionRegister run={r} />
      <CompletionReport run={r} />
      {open && <EnrollmentFile id={open} onClose={() => setOpen(null)} />}
    </section>
  );
}

function useRoster(runId: string, session?: number) {
  return useQuery({
    queryKey: ['provider', 'roster', runId, session ?? null],
    queryFn: async () => {
      const rows: TRosterEntry[] = [];
      let cursor: string | undefined;
      do {
        const page = await api.provider.enrollments.list.query({
          runId,
          limit: 100,
          ...(session ? { session } : {}),
          ...(cursor ? { cursor } : {}),
        });
        rows.push(...page.items);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return rows;
    },
  });
}

function Roster({ run, onOpen }: { run: TRun; onOpen: (enrollmentId: string) => void }) {
  const { pt, locale, zone } = usePT();
  const roster = useRoster(run.id);
  return (
    <section aria-labelledby="h-roster">
      <h2 id="h-roster">{pt('roster')}</h2>
      <p>
        <a href={csvUrl('provider/enrollments', { runId: run.id })} download>
          {pt('downloadRoster')}
        </a>
      </p>
      {!roster.data ? (
        <Loading error={roster.error} />
      ) : roster.data.length === 0 ? (
        <p>{pt('noParticipants')}</p>
      ) : (
        <Table
          caption={pt('roster')}
          rows={roster.data}
          rowKey={(e) => e.enrollmentId}
          columns={[
            {
              key: 'name',
              label: pt('participant'),
              render: (e) => e.participant.name,
              sort: (e) => e.participant.name,
            },
            { key: 'status', label: pt('status'), render: (e) => e.status, sort: (e) => e.status },
            {
              key: 'attendance',
              label: pt('attendance'),
              render: (e) => `${e.sessionsConfirmed} / ${e.sessions} (${Math.round(e.attendancePercent)}%)`,
              sort: (e) => e.attendancePercent,
            },
            { key: 'missing', label: pt('missing'), render: (e) => missingText(pt, e.missing) },
            { key: 'redeemed', label: pt('when'), render: (e) => dateTime(e.redeemedAt, locale, zone) },
            {
              key: 'open',
              label: pt('details'),
              render: (e) => (
                <button
                  type="button"
                  className="link"
                  aria-label={`${pt('details')}: ${e.participant.name}`}
                  onClick={() => onOpen(e.enrollmentId)}
                >
                  {pt('details')}
                </button>
              ),
            },
          ]}
        />
      )}
    </section>
  );
}

const METHODS = ['MANUAL', 'VENUE_QR', 'PROVIDER_FACE_CHECK', 'ONLINE_PRESENCE'] as const;

/** A session's register: tick who is present, save them at once; send one to the identity check. */
function SessionRegister({ run }: { run: TRun }) {
  const { pt, locale, zone } = usePT();
  const can = useCan();
  const qc = useQueryClient();
  const [sequence, setSequence] = useState(1);
  const [method, setMethod] = useState<(typeof METHODS)[number]>('MANUAL');
  const [ticked, setTicked] = useState<Set<string>>(new Set());
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [link, setLink] = useState<{ name: string; url: string } | null>(null);
  const roster = useRoster(run.id, sequence);
  const uris = useQuery({
    queryKey: ['provider', 'redirect-uris'],
    queryFn: () => api.provider.redirectUris.list.query(),
  });
  const session = run.sessions.find((s) => s.sequence === sequence);
  const canRecord = can('provider.attendance.recordBulk');
  const save = async () => {
    setMessage(null);
    const items = [...ticked].map((enrollmentId) => ({
      enrollmentId,
      sequence,
      status: 'CONFIRMED' as const,
      method,
    }));
    if (items.length === 0) return setMessage({ ok: false, text: pt('noneSelected') });
    try {
      const r = await api.provider.attendance.recordBulk.mutate({ items });
      const refusals = r.results.flatMap((x) => (x.error ? [`${x.error.code}: ${x.error.message}`] : []));
      setMessage({
        ok: refusals.length === 0,
        text: `${pt('attendanceSaved')}: ${r.summary.recorded}${refusals.length ? ` · ${pt('refused')}: ${refusals.join('; ')}` : ''}`,
      });
      setTicked(new Set());
      await qc.invalidateQueries({ queryKey: ['provider', 'roster', run.id] });
    } catch (err) {
      setMessage({ ok: false, text: describe(err) });
    }
  };
  const identity = async (e: TRosterEntry) => {
    setMessage(null);
    const redirectUri = uris.data?.items[0]?.uri;
    if (!redirectUri) return setMessage({ ok: false, text: pt('noRedirectUri') });
    try {
      const state = crypto.randomUUID();
      const r = await api.provider.attendance.verificationLink.mutate({
        enrollmentId: e.enrollmentId,
        sequence,
        redirectUri,
        state,
      });
      setLink({ name: e.participant.name, url: r.url });
    } catch (err) {
      setMessage({ ok: false, text: describe(err) });
    }
  };
  return (
    <section aria-labelledby="h-register">
      <h2 id="h-register">{pt('sessionAttendance')}</h2>
      <div className="filters">
        <Field label={pt('session')}>
          {(fid) => (
            <select
              id={fid}
              value={sequence}
              onChange={(e) => {
                setSequence(Number(e.target.value));
                setTicked(new Set());
                setLink(null);
              }}
            >
              {run.sessions.map((s) => (
                <option key={s.sequence} value={s.sequence}>
                  {s.sequence} · {dateTime(s.startsAt, locale, zone)} ({s.mode})
                </option>
              ))}
            </select>
          )}
        </Field>
        {canRecord && (
          <Field label={pt('method')}>
            {(fid) => (
              <select id={fid} value={method} onChange={(e) => setMethod(e.target.value as typeof method)}>
                {METHODS.map((m) => (
                  <option key={m} value={m}>
                    {pt(`method_${m}`)}
                  </option>
                ))}
              </select>
            )}
          </Field>
        )}
      </div>
      {session && (
        <p>
          {dateTime(session.startsAt, locale, zone)} – {dateTime(session.endsAt, locale, zone)}
          {session.venue ? ` · ${session.venue.name}` : ''}
        </p>
      )}
      {!roster.data ? (
        <Loading error={roster.error} />
      ) : roster.data.length === 0 ? (
        <p>{pt('noParticipants')}</p>
      ) : (
        <Table
          caption={`${pt('sessionAttendance')} ${sequence}`}
          rows={roster.data}
          rowKey={(e) => e.enrollmentId}
          columns={[
            {
              key: 'present',
              label: pt('present'),
              render: (e) =>
                canRecord && e.status === 'IN_TRAINING' && e.session?.status !== 'CONFIRMED' ? (
                  <input
                    type="checkbox"
                    aria-label={`${pt('present')}: ${e.participant.name}`}
                    checked={ticked.has(e.enrollmentId)}
                    onChange={(ev) => {
                      const next = new Set(ticked);
                      if (ev.target.checked) next.add(e.enrollmentId);
                      else next.delete(e.enrollmentId);
                      setTicked(next);
                    }}
                  />
                ) : null,
            },
            { key: 'name', label: pt('participant'), render: (e) => e.participant.name },
            {
              key: 'mark',
              label: pt('status'),
              render: (e) =>
                e.session?.status
                  ? `${e.session.status}${e.session.method ? ` · ${pt(`method_${e.session.method}` as ProviderKey)}` : ''}`
                  : pt('notRecorded'),
            },
            {
              key: 'identity',
              label: pt('identityCheck'),
              render: (e) =>
                can('provider.attendance.verificationLink') &&
                e.status === 'IN_TRAINING' &&
                e.session?.status !== 'CONFIRMED' ? (
                  <button
                    type="button"
                    className="link"
                    aria-label={`${pt('identityCheckFor')}: ${e.participant.name}`}
                    onClick={() => void identity(e)}
                  >
                    {pt('identityCheckFor')}
                  </button>
                ) : null,
            },
          ]}
        />
      )}
      {canRecord && (
        <button type="button" onClick={() => void save()}>
          {pt('saveAttendance')}
        </button>
      )}
      {message && (
        <p role={message.ok ? 'status' : 'alert'} className={message.ok ? undefined : 'error'}>
          {message.text}
        </p>
      )}
      {link && (
        <p role="status">
          {pt('identityLink')} ({link.name}): <a href={link.url}>{link.url}</a>
        </p>
      )}
    </section>
  );
}

/** Completions in bulk: who may be reported (nothing missing) is ticked; each refusal says why. */
function CompletionReport({ run }: { run: TRun }) {
  const { pt } = usePT();
  const can = useCan();
  const qc = useQueryClient();
  const roster = useRoster(run.id);
  const [picked, setPicked] = useState<Set<string> | null>(null);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  if (!can('provider.completions.reportBulk')) return null;
  const open = (roster.data ?? []).filter((e) => e.status === 'IN_TRAINING');
  const selected = picked ?? new Set(open.filter((e) => e.missing.length === 0).map((e) => e.enrollmentId));
  const report = async (outcome: 'COMPLETED' | 'NOT_COMPLETED') => {
    setMessage(null);
    const items = [...selected].map((enrollmentId) => ({ enrollmentId, outcome }));
    if (items.length === 0) return setMessage({ ok: false, text: pt('noneSelected') });
    try {
      const r = await api.provider.completions.reportBulk.mutate({ items });
      const names = new Map(open.map((e) => [e.enrollmentId, e.participant.name]));
      const refusals = r.results.flatMap((x) =>
        x.error ? [`${names.get(items[x.index]?.enrollmentId ?? '') ?? x.index}: ${x.error.code}`] : [],
      );
      setMessage({
        ok: refusals.length === 0,
        text: `${pt('reported')}: ${r.summary.completed + r.summary.notCompleted}${refusals.length ? ` · ${pt('refused')}: ${refusals.join('; ')}` : ''}`,
      });
      setPicked(null);
      await qc.invalidateQueries({ queryKey: ['provider'] });
    } catch (err) {
      setMessage({ ok: false, text: describe(err) });
    }
  };
  return (
    <section aria-labelledby="h-completions">
      <h2 id="h-completions">{pt('completions')}</h2>
      {!roster.data ? (
        <Loading error={roster.error} />
      ) : open.length === 0 ? (
        <p>{pt('noneInTraining')}</p>
      ) : (
        <Table
          caption={pt('completions')}
          rows={open}
          rowKey={(e) => e.enrollmentId}
          columns={[
            {
              key: 'pick',
              label: pt('select'),
              render: (e) => (
                <input
                  type="checkbox"
                  aria-label={`${pt('select')}: ${e.participant.name}`}
                  checked={selected.has(e.enrollmentId)}
                  onChange={(ev) => {
                    const next = new Set(selected);
                    if (ev.target.checked) next.add(e.enrollmentId);
                    else next.delete(e.enrollmentId);
                    setPicked(next);
                  }}
                />
              ),
            },
            { key: 'name', label: pt('participant'), render: (e) => e.participant.name },
            { key: 'missing', label: pt('missing'), render: (e) => missingText(pt, e.missing) },
          ]}
        />
      )}
      <div className="actions" hidden={open.length === 0}>
        <button type="button" onClick={() => void report('COMPLETED')}>
          {pt('reportCompleted')}
        </button>{' '}
        <button type="button" className="danger" onClick={() => void report('NOT_COMPLETED')}>
          {pt('reportNotCompleted')}
        </button>
      </div>
      {message && (
        <p role={message.ok ? 'status' : 'alert'} className={message.ok ? undefined : 'error'}>
          {message.text}
        </p>
      )}
    </section>
  );
}

async function sha256Of(file: File): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', await file.arrayBuffer());
  return `sha256:${[...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** One participant: every session, tasks with their feedback, the post-test, the certificate. */
function EnrollmentFile({ id, onClose }: { id: string; onClose: () => void }) {
  const { pt, locale, zone } = usePT();
  const can = useCan();
  const qc = useQueryClient();
  const q = useQuery({
    queryKey: ['provider', 'enrollment', id],
    queryFn: () => api.provider.enrollments.get.query({ id }),
  });
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const done = async (text: string) => {
    setMessage({ ok: true, text });
    await qc.invalidateQueries({ queryKey: ['provider'] });
  };
  const act = async (run: () => Promise<unknown>, ok: string) => {
    setMessage(null);
    try {
      await run();
      await done(ok);
    } catch (err) {
      setMessage({ ok: false, text: describe(err) });
    }
  };
  if (!q.data) return <Loading error={q.error} />;
  const e: TEnrollmentDetail = q.data;
  const review = (ev: FormEvent<HTMLFormElement>, scope: 'TPM' | 'UK', sequence: number) => {
    ev.preventDefault();
    const form = new FormData(ev.currentTarget);
    void act(
      () =>
        api.provider.assignments.review.mutate({
          enrollmentId: e.enrollmentId,
          scope,
          sequence,
          verdict: String(form.get('verdict')) === 'FAILED' ? 'FAILED' : 'ACCEPTED',
          notes: String(form.get('notes') ?? ''),
        }),
      pt('feedbackSent'),
    );
  };
  const record = (ev: FormEvent<HTMLFormElement>) => {
    ev.preventDefault();
    const form = new FormData(ev.currentTarget);
    const file = form.get('file');
    void act(async () => {
      if (!(file instanceof File) || file.size === 0) throw new Error(pt('assignmentFile'));
      await api.provider.assignments.submit.mutate({
        enrollmentId: e.enrollmentId,
        url: String(form.get('url')),
        contentHash: await sha256Of(file),
      });
    }, pt('assignmentSaved'));
  };
  const revoke = (ev: FormEvent<HTMLFormElement>) => {
    ev.preventDefault();
    const form = new FormData(ev.currentTarget);
    const number = e.certificate?.number ?? '';
    void act(
      () => api.provider.certificates.revoke.mutate({ number, reason: String(form.get('reason') ?? '') }),
      pt('certificateRevoked'),
    );
  };
  const postTest = (ev: FormEvent<HTMLFormElement>) => {
    ev.preventDefault();
    const form = new FormData(ev.currentTarget);
    void act(
      () =>
        api.provider.postTests.record.mutate({
          enrollmentId: e.enrollmentId,
          score: Number(form.get('score')),
        }),
      pt('postTestSaved'),
    );
  };
  return (
    <section aria-labelledby="h-file" className="panel">
      <h2 id="h-file">
        {pt('detailTitle')}: {e.participant.name}
      </h2>
      <button type="button" onClick={onClose}>
        {pt('close')}
      </button>
      <dl>
        <dt>{pt('nikLast4')}</dt>
        <dd>•••• {e.participant.nikLast4}</dd>
        <dt>{pt('status')}</dt>
        <dd>{e.status}</dd>
        <dt>{pt('missing')}</dt>
        <dd>{missingText(pt, e.missing)}</dd>
      </dl>
      <h3>{pt('attendance')}</h3>
      <Table
        caption={`${pt('attendance')}: ${e.participant.name}`}
        rows={e.attendance}
        rowKey={(a) => String(a.sequence)}
        columns={[
          { key: 'seq', label: pt('session'), render: (a) => a.sequence },
          { key: 'start', label: pt('when'), render: (a) => dateTime(a.startsAt, locale, zone) },
          { key: 'status', label: pt('status'), render: (a) => a.status ?? pt('notRecorded') },
          {
            key: 'method',
            label: pt('method'),
            render: (a) => (a.method ? pt(`method_${a.method}` as ProviderKey) : ''),
          },
        ]}
      />
      <h3>{pt('assignments')}</h3>
      {e.assignments.length === 0 && <p>{pt('noAssignments')}</p>}
      {e.assignments.map((a) => (
        <article key={`${a.scope}-${a.sequence}`}>
          <p>
            {a.scope} {a.sequence} · <a href={a.url}>{a.url}</a> · {pt('submittedAt')}{' '}
            {dateTime(a.submittedAt, locale, zone)} · {a.status}
          </p>
          {a.feedback && (
            <p>
              {pt('feedback')}: {a.feedback.notes}
            </p>
          )}
          {can('provider.assignments.review') && (
            <form onSubmit={(ev) => review(ev, a.scope, a.sequence)} className="filters">
              <Field label={`${pt('verdict')} (${a.scope} ${a.sequence})`}>
                {(fid) => (
                  <select id={fid} name="verdict" defaultValue="ACCEPTED">
                    <option value="ACCEPTED">{pt('verdict_ACCEPTED')}</option>
                    <option value="FAILED">{pt('verdict_FAILED')}</option>
                  </select>
                )}
              </Field>
              <Field label={`${pt('notes')} (${a.scope} ${a.sequence})`}>
                {(fid) => <textarea id={fid} name="notes" required maxLength={5000} rows={2} />}
              </Field>
              <button type="submit">{pt('sendFeedback')}</button>
            </form>
          )}
        </article>
      ))}
      {can('provider.assignments.submit') && e.status === 'IN_TRAINING' && (
        <form onSubmit={record} className="filters">
          <Field label={pt('assignmentUrl')}>
            {(fid) => <input id={fid} name="url" type="url" required pattern="https://.*" />}
          </Field>
          <Field label={pt('assignmentFile')}>
            {(fid) => <input id={fid} name="file" type="file" required />}
          </Field>
          <button type="submit">{pt('saveAssignment')}</button>
        </form>
      )}
      <h3>{pt('postTest')}</h3>
      <p>{e.postTest ? `${e.postTest.score}` : pt('notRecorded')}</p>
      {can('provider.postTests.record') && e.status === 'IN_TRAINING' && (
        <form onSubmit={postTest} className="filters">
          <Field label={pt('score')}>
            {(fid) => <input id={fid} name="score" type="number" min={0} max={100} required />}
          </Field>
          <button type="submit">{pt('savePostTest')}</button>
        </form>
      )}
      <h3>{pt('certificate')}</h3>
      {e.certificate ? (
        <p>
          <code>{e.certificate.number}</code> · {e.certificate.status} ·{' '}
          {dateTime(e.certificate.issuedAt, locale, zone)} ·{' '}
          <a href={`/verify/${encodeURIComponent(e.certificate.number)}`}>{pt('verifyCertificate')}</a>
        </p>
      ) : (
        <p>{pt('noCertificate')}</p>
      )}
      {e.certificate?.status === 'VALID' && can('provider.certificates.revoke') && (
        <form onSubmit={revoke} className="filters">
          <Field label={pt('revokeReason')}>
            {(fid) => <input id={fid} name="reason" required minLength={10} maxLength={2000} />}
          </Field>
          <button type="submit" className="danger">
            {pt('revokeCertificate')}
          </button>
        </form>
      )}
      {message && (
        <p role={message.ok ? 'status' : 'alert'} className={message.ok ? undefined : 'error'}>
          {message.text}
        </p>
      )}
    </section>
  );
}
