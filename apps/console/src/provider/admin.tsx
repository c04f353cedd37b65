import { PROVIDER_STAFF_ROLES } from '@latih/sdk';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useContext, useState } from 'react';
import { api, describe } from '../api';
import { dateTime } from '../format';
import { SessionContext, useCan } from '../session';
import { Field, Loading, Table } from '../ui';
import './money.css';
import { type ProviderKey, usePT } from './t';

type Client = Awaited<ReturnType<typeof api.provider.credentials.list.query>>['items'][number];

/**
 * Kredensial API: the provider's own API clients (never a secret, only its last four characters),
 * issue a new one, rotate one with a grace period, revoke one with a reason. A new secret is shown
 * once, as `clientId · clientSecret`.
 */
export function CredentialsPage() {
  const { pt, locale, zone } = usePT();
  const can = useCan();
  const qc = useQueryClient();
  const [secret, setSecret] = useState<{ clientId: string; clientSecret: string } | null>(null);
  const [acting, setActing] = useState<{ kind: 'rotate' | 'revoke'; client: Client } | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const q = useQuery({ queryKey: ['p-credentials'], queryFn: () => api.provider.credentials.list.query({}) });
  const refresh = () => qc.invalidateQueries({ queryKey: ['p-credentials'] });
  const issue = useMutation({
    mutationFn: (label: string) => api.provider.credentials.issue.mutate({ label }),
    onSuccess: (r) => {
      setSecret({ clientId: r.client.id, clientSecret: r.clientSecret });
      return refresh();
    },
  });
  const rotate = useMutation({
    mutationFn: (v: { clientId: string; graceHours: number }) => api.provider.credentials.rotate.mutate(v),
    onSuccess: (r) => {
      setSecret({ clientId: r.client.id, clientSecret: r.clientSecret });
      setActing(null);
      return refresh();
    },
  });
  const revoke = useMutation({
    mutationFn: (v: { clientId: string; reason: string }) => api.provider.credentials.revoke.mutate(v),
    onSuccess: () => {
      setActing(null);
      setDone(pt('m_revoked'));
      return refresh();
    },
  });
  const mayIssue = can('provider.credentials.issue');
  const mayRotate = can('provider.credentials.rotate');
  const mayRevoke = can('provider.credentials.revoke');
  const failure = issue.error ?? rotate.error ?? revoke.error;
  // Where the last action was asked for: its answer (a secret, an error) is shown there.
  const [where, setWhere] = useState<'add' | 'panel'>('add');
  const reset = (at: 'add' | 'panel') => {
    for (const m of [issue, rotate, revoke]) m.reset();
    setDone(null);
    setSecret(null);
    setWhere(at);
  };
  const feedback = (
    <>
      {secret && (
        <div role="status" className="m-secret">
          <p className="done">{pt('m_secretOnce')}</p>
          <code>
            {secret.clientId} · {secret.clientSecret}
          </code>
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
  const now = Date.now();
  return (
    <section aria-labelledby="h-credentials">
      <h1 id="h-credentials">{pt('m_credentialsTitle')}</h1>
      <p>{pt('m_credentialsIntro')}</p>
      <h2>{pt('m_credentialsList')}</h2>
      {!q.data ? (
        <Loading error={q.error} />
      ) : q.data.items.length === 0 ? (
        <p>{pt('m_credentialsNone')}</p>
      ) : (
        <Table
          caption={pt('m_credentialsList')}
          rows={q.data.items}
          rowKey={(r) => r.id}
          columns={[
            { key: 'label', label: pt('m_label'), render: (r) => r.label, sort: (r) => r.label },
            { key: 'id', label: pt('m_clientId'), render: (r) => <code>{r.id}</code> },
            { key: 'secret', label: pt('m_secretEnd'), render: (r) => <code>…{r.secretLast4}</code> },
            { key: 'scopes', label: pt('m_scopes'), render: (r) => r.scopes.join(', ') },
            {
              key: 'status',
              label: pt('m_staffStatus'),
              render: (r) =>
                r.status === 'REVOKED'
                  ? pt('m_cs_REVOKED')
                  : r.expiresAt && Date.parse(r.expiresAt) <= now
                    ? pt('m_cs_EXPIRED')
                    : r.expiresAt
                      ? pt('m_cs_GRACE')
                      : pt('m_cs_ACTIVE'),
              sort: (r) => r.status,
            },
            {
              key: 'created',
              label: pt('m_createdAt'),
              render: (r) => dateTime(r.createdAt, locale, zone),
              sort: (r) => r.createdAt,
            },
            {
              key: 'ends',
              label: `${pt('m_expiresAt')} / ${pt('m_revokedAt')}`,
              render: (r) =>
                r.revokedAt
                  ? `${pt('m_cs_REVOKED')}: ${dateTime(r.revokedAt, locale, zone)}`
                  : r.expiresAt
                    ? dateTime(r.expiresAt, locale, zone)
                    : '—',
            },
            {
              key: 'actions',
              label: pt('m_actions'),
              render: (r) =>
                r.status === 'ACTIVE' && (!r.expiresAt || Date.parse(r.expiresAt) > now) ? (
                  <span className="m-row-actions">
                    {mayRotate && !r.expiresAt && (
                      <button
                        type="button"
                        onClick={() => {
                          reset('panel');
                          setActing({ kind: 'rotate', client: r });
                        }}
                      >
                        {pt('m_rotate')}
                      </button>
                    )}
                    {mayRevoke && (
                      <button
                        type="button"
                        className="danger"
                        onClick={() => {
                          reset('panel');
                          setActing({ kind: 'revoke', client: r });
                        }}
                      >
                        {pt('m_revoke')}
                      </button>
                    )}
                  </span>
                ) : null,
            },
          ]}
        />
      )}
      {where === 'panel' && !acting && feedback}
      {acting?.kind === 'rotate' && (
        <form
          className="m-form"
          onSubmit={(e) => {
            e.preventDefault();
            const hours = Number(new FormData(e.currentTarget).get('graceHours') ?? 24);
            rotate.mutate({ clientId: acting.client.id, graceHours: hours });
          }}
        >
          <h2 id="h-rotate">
            {pt('m_rotateTitle')}: {acting.client.label}
          </h2>
          <p className="m-note">{pt('m_rotateIntro')}</p>
          <Field label={pt('m_graceHours')}>
            {(fid) => (
              <input
                id={fid}
                name="graceHours"
                type="number"
                min={0}
                max={168}
                step={1}
                defaultValue={24}
                required
                className="short"
              />
            )}
          </Field>
          <span className="m-row-actions">
            <button type="submit" disabled={rotate.isPending}>
              {pt('m_rotateConfirm')}
            </button>
            <button type="button" className="secondary" onClick={() => setActing(null)}>
              {pt('m_cancel')}
            </button>
          </span>
          {where === 'panel' && feedback}
        </form>
      )}
      {acting?.kind === 'revoke' && (
        <form
          className="m-form"
          onSubmit={(e) => {
            e.preventDefault();
            const reason = String(new FormData(e.currentTarget).get('reason') ?? '');
            revoke.mutate({ clientId: acting.client.id, reason });
          }}
        >
          <h2 id="h-revoke">
            {pt('m_revokeTitle')}: {acting.client.label}
          </h2>
          <Field label={pt('m_revokeReason')}>
            {(fid) => <textarea id={fid} name="reason" required minLength={5} maxLength={2000} />}
          </Field>
          <span className="m-row-actions">
            <button type="submit" className="danger" disabled={revoke.isPending}>
              {pt('m_revokeConfirm')}
            </button>
            <button type="button" className="secondary" onClick={() => setActing(null)}>
              {pt('m_cancel')}
            </button>
          </span>
          {where === 'panel' && feedback}
        </form>
      )}
      {mayIssue && (
        <form
          className="m-form"
          onSubmit={(e) => {
            e.preventDefault();
            const form = e.currentTarget;
            reset('add');
            issue.mutate(String(new FormData(form).get('label') ?? ''), { onSuccess: () => form.reset() });
          }}
        >
          <h2 id="h-issue">{pt('m_issueTitle')}</h2>
          <Field label={pt('m_newCredential')}>
            {(fid) => <input id={fid} name="label" required maxLength={100} autoComplete="off" />}
          </Field>
          <button type="submit" disabled={issue.isPending}>
            {pt('m_issue')}
          </button>
          {where === 'add' && feedback}
        </form>
      )}
    </section>
  );
}

type Member = Awaited<ReturnType<typeof api.provider.staff.list.query>>['items'][number];
type Role = Member['role'];
const ROLES: readonly Role[] = PROVIDER_STAFF_ROLES;
const roleKey = (r: Role): ProviderKey => `role_${r}`;

/**
 * Staf: the provider's console accounts; its admin adds one (the first password shown once),
 * changes a role, gives a new password (shown once), disables an account.
 */
export function StaffPage() {
  const { pt, locale, zone } = usePT();
  const can = useCan();
  const me = useContext(SessionContext)?.user.id;
  const qc = useQueryClient();
  const [password, setPassword] = useState<{ text: string; who: string } | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [editing, setEditing] = useState<Member | null>(null);
  const q = useQuery({ queryKey: ['p-staff'], queryFn: () => api.provider.staff.list.query({}) });
  const refresh = () => qc.invalidateQueries({ queryKey: ['p-staff'] });
  const add = useMutation({
    mutationFn: (v: { name: string; email: string; role: Role }) => api.provider.staff.add.mutate(v),
    onSuccess: (r) => {
      setPassword({ text: r.password, who: `${pt('m_staffAdded')} ${r.member.name} (${r.member.email})` });
      return refresh();
    },
  });
  const setRole = useMutation({
    mutationFn: (v: { id: string; role: Role }) => api.provider.staff.setRole.mutate(v),
    onSuccess: () => {
      setEditing(null);
      setDone(pt('m_roleSaved'));
      return refresh();
    },
  });
  const resetPw = useMutation({
    mutationFn: (id: string) => api.provider.staff.resetPassword.mutate({ id }),
    onSuccess: (r) => {
      setPassword({ text: r.password, who: `${pt('m_passwordOnce')} ${r.member.name} (${r.member.email})` });
      return refresh();
    },
  });
  const disable = useMutation({
    mutationFn: (id: string) => api.provider.staff.disable.mutate({ id }),
    onSuccess: () => {
      setDone(pt('m_disabled'));
      return refresh();
    },
  });
  const failure = add.error ?? setRole.error ?? resetPw.error ?? disable.error;
  // Where the last action was asked for (the add form, a row, the role form): its answer is shown there.
  const [where, setWhere] = useState<'add' | 'row' | 'role'>('row');
  const clear = (at: 'add' | 'row' | 'role') => {
    for (const m of [add, setRole, resetPw, disable]) m.reset();
    setPassword(null);
    setDone(null);
    setWhere(at);
  };
  const feedback = (
    <>
      {password && (
        <div role="status" className="m-secret">
          <p className="done">{password.who}</p>
          <code>{password.text}</code>
          <p>{pt('m_handOver')}</p>
        </div>
      )}
      {done && !password && <p className="done">{done}</p>}
      {failure && (
        <p role="alert" className="error">
          {describe(failure)}
        </p>
      )}
    </>
  );
  const busy = setRole.isPending || resetPw.isPending || disable.isPending;
  const onAdd = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = e.currentTarget;
    const data = new FormData(form);
    clear('add');
    add.mutate(
      {
        name: String(data.get('name') ?? '').trim(),
        email: String(data.get('email') ?? '').trim(),
        role: String(data.get('role') ?? 'instructor') as Role,
      },
      { onSuccess: () => form.reset() },
    );
  };
  return (
    <section aria-labelledby="h-staff">
      <h1 id="h-staff">{pt('m_staffTitle')}</h1>
      <p className="m-note">{pt('m_roleHelp')}</p>
      <h2>{pt('m_staffList')}</h2>
      {!q.data ? (
        <Loading error={q.error} />
      ) : (
        <Table
          caption={pt('m_staffList')}
          rows={q.data.items}
          rowKey={(r) => r.id}
          columns={[
            {
              key: 'name',
              label: pt('m_staffName'),
              render: (r) => (r.id === me ? `${r.name} ${pt('m_you')}` : r.name),
              sort: (r) => r.name,
            },
            { key: 'email', label: pt('m_staffEmail'), render: (r) => r.email, sort: (r) => r.email },
            {
              key: 'role',
              label: pt('m_staffRole'),
              render: (r) => pt(roleKey(r.role)),
              sort: (r) => r.role,
            },
            {
              key: 'status',
              label: pt('m_staffStatus'),
              render: (r) =>
                r.status === 'DISABLED' && r.disabledAt
                  ? `${pt('m_ss_DISABLED')} (${dateTime(r.disabledAt, locale, zone)})`
                  : pt(`m_ss_${r.status}`),
              sort: (r) => r.status,
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
              render: (r) =>
                r.status === 'DISABLED' ? null : (
                  <span className="m-row-actions">
                    {can('provider.staff.setRole') && (
                      <button
                        type="button"
                        onClick={() => {
                          clear('role');
                          setEditing(r);
                        }}
                      >
                        {pt('m_changeRole')}
                      </button>
                    )}
                    {can('provider.staff.resetPassword') && (
                      <button
                        type="button"
                        disabled={busy}
                        onClick={() => {
                          setEditing(null);
                          clear('row');
                          resetPw.mutate(r.id);
                        }}
                      >
                        {pt('m_resetPassword')}
                      </button>
                    )}
                    {can('provider.staff.disable') && r.id !== me && (
                      <button
                        type="button"
                        className="danger"
                        disabled={busy}
                        onClick={() => {
                          setEditing(null);
                          clear('row');
                          disable.mutate(r.id);
                        }}
                      >
                        {pt('m_disable')}
                      </button>
                    )}
                  </span>
                ),
            },
          ]}
        />
      )}
      {(where === 'row' || (where === 'role' && !editing)) && feedback}
      {editing && (
        <form
          className="m-form"
          onSubmit={(e) => {
            e.preventDefault();
            const role = String(new FormData(e.currentTarget).get('role') ?? editing.role) as Role;
            setRole.mutate({ id: editing.id, role });
          }}
        >
          <h2 id="h-role">
            {pt('m_changeRoleTitle')}: {editing.name}
          </h2>
          <Field label={pt('m_newRole')}>
            {(fid) => (
              <select id={fid} name="role" defaultValue={editing.role}>
                {ROLES.map((r) => (
                  <option key={r} value={r}>
                    {pt(roleKey(r))}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <span className="m-row-actions">
            <button type="submit" disabled={setRole.isPending}>
              {pt('m_saveRole')}
            </button>
            <button type="button" className="secondary" onClick={() => setEditing(null)}>
              {pt('m_cancel')}
            </button>
          </span>
          {feedback}
        </form>
      )}
      {can('provider.staff.add') && (
        <form className="m-form" onSubmit={onAdd}>
          <h2 id="h-add-staff">{pt('m_addStaffTitle')}</h2>
          <Field label={pt('m_staffName')}>
            {(fid) => <input id={fid} name="name" required maxLength={200} autoComplete="off" />}
          </Field>
          <Field label={pt('m_staffEmail')}>
            {(fid) => (
              <input id={fid} name="email" type="email" required maxLength={320} autoComplete="off" />
            )}
          </Field>
          <Field label={pt('m_staffRole')}>
            {(fid) => (
              <select id={fid} name="role" defaultValue="instructor">
                {ROLES.map((r) => (
                  <option key={r} value={r}>
                    {pt(roleKey(r))}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <button type="submit" disabled={add.isPending}>
            {pt('m_addStaff')}
          </button>
          {where === 'add' && feedback}
        </form>
      )}
    </section>
  );
}
