import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useRef, useState } from 'react';
import { api, describe } from '../api';
import { dateTime } from '../format';
import { Field, Loading, Table } from '../ui';
import { useCourseTitles } from './class';
import { usePT } from './t';

type CheckIn = { key: string; at: string; code: string; ok: boolean; text: string };

/**
 * Redeeming at the door: one field that keeps the focus. A code typed, or scanned by a scanner
 * in keyboard mode (it types the code and Enter), is redeemed for the chosen class; the field
 * empties for the next participant, and the answer is read out (aria-live). Many codes at once
 * from a list, each answered on its own.
 */
export function DoorPage({ runId }: { runId?: string | undefined }) {
  const { pt, locale, zone } = usePT();
  const qc = useQueryClient();
  const titles = useCourseTitles();
  const runs = useQuery({
    queryKey: ['provider', 'door-runs'],
    queryFn: async () => {
      const pages = await Promise.all(
        (['OPEN', 'FULL', 'RUNNING'] as const).map((status) =>
          api.provider.runs.list.query({ status, limit: 100 }),
        ),
      );
      return pages.flatMap((p) => p.items);
    },
  });
  const [chosen, setChosen] = useState(runId ?? '');
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [log, setLog] = useState<CheckIn[]>([]);
  const [bulk, setBulk] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);
  if (!runs.data) return <Loading error={runs.error} />;
  const run = runs.data.find((r) => r.id === chosen);
  const label = (id: string, courseId: string, startsAt: string | undefined) =>
    `${titles.get(courseId) ?? courseId} · ${dateTime(startsAt, locale, zone)} (${id.slice(-6)})`;

  const redeemOne = async (ev: FormEvent<HTMLFormElement>) => {
    ev.preventDefault();
    const typed = code.trim();
    if (!run || !typed || busy) return;
    setBusy(true);
    const at = new Date().toISOString();
    const shown = typed.slice(-4);
    try {
      const e = await api.provider.vouchers.redeem.mutate({
        code: typed,
        courseId: run.courseId,
        runId: run.id,
        deviceId: 'konsol-pintu',
      });
      setLog((l) => [
        {
          key: `${at}-${shown}`,
          at,
          code: shown,
          ok: true,
          text: `${pt('redeemedFor')}: ${e.participant.name}`,
        },
        ...l,
      ]);
      await qc.invalidateQueries({ queryKey: ['provider'] });
    } catch (err) {
      setLog((l) => [{ key: `${at}-${shown}`, at, code: shown, ok: false, text: describe(err) }, ...l]);
    } finally {
      setCode('');
      setBusy(false);
      input.current?.focus();
    }
  };
  const redeemMany = async (ev: FormEvent<HTMLFormElement>) => {
    ev.preventDefault();
    if (!run) return;
    const box = ev.currentTarget;
    const form = new FormData(box);
    const codes = String(form.get('codes') ?? '')
      .split(/\r?\n/)
      .map((c) => c.trim())
      .filter(Boolean);
    if (codes.length === 0) return;
    setBulk(null);
    try {
      const r = await api.provider.vouchers.redeemBulk.mutate({
        courseId: run.courseId,
        runId: run.id,
        codes,
        deviceId: 'konsol-pintu',
      });
      const at = new Date().toISOString();
      setLog((l) => [
        ...r.results.map((x) => ({
          key: `${at}-${x.index}`,
          at,
          // A code that is not one (a typo) has no last four on the server's side: show what was typed.
          code: x.codeLast4 ?? (codes[x.index] ?? '').slice(-4),
          ok: x.status === 'REDEEMED',
          text:
            x.status === 'REDEEMED'
              ? `${pt('redeemedFor')}: ${x.enrollment?.participant.name ?? ''}`
              : `${x.error?.code}: ${x.error?.message}`,
        })),
        ...l,
      ]);
      setBulk(
        pt('bulkSummary')
          .replace('{ok}', String(r.summary.redeemed))
          .replace('{refused}', String(r.summary.refused)),
      );
      box.reset();
      await qc.invalidateQueries({ queryKey: ['provider'] });
    } catch (err) {
      setBulk(describe(err));
    }
  };
  const last = log[0];
  return (
    <section aria-labelledby="h-door">
      <h1 id="h-door">{pt('doorTitle')}</h1>
      <Field label={pt('chooseClass')}>
        {(fid) => (
          <select
            id={fid}
            value={chosen}
            onChange={(e) => {
              setChosen(e.target.value);
              window.location.hash = e.target.value ? `#/door/${e.target.value}` : '#/door';
            }}
          >
            <option value="">—</option>
            {runs.data.map((r) => (
              <option key={r.id} value={r.id}>
                {label(r.id, r.courseId, r.sessions[0]?.startsAt)}
              </option>
            ))}
          </select>
        )}
      </Field>
      {!run ? (
        <p>{pt('chooseClassFirst')}</p>
      ) : (
        <>
          <p>
            {run.seatsTaken} / {run.capacity} · <a href={`#/classes/${run.id}`}>{pt('roster')}</a>
          </p>
          <form onSubmit={redeemOne} className="door">
            <Field label={pt('voucherCode')}>
              {(fid) => (
                <input
                  id={fid}
                  ref={input}
                  value={code}
                  onChange={(e) => setCode(e.target.value)}
                  autoComplete="off"
                  autoCapitalize="characters"
                  spellCheck={false}
                  // biome-ignore lint/a11y/noAutofocus: the door's one field: staff scan code after code without touching anything else
                  autoFocus
                  aria-describedby="door-hint"
                  maxLength={40}
                />
              )}
            </Field>
            <button type="submit" disabled={busy}>
              {pt('redeem')}
            </button>
            <p id="door-hint">{pt('doorHint')}</p>
          </form>
          <p aria-live="assertive" className={last && !last.ok ? 'error' : undefined}>
            {last ? `${last.code ? `…${last.code}: ` : ''}${last.text}` : ''}
          </p>
          <form onSubmit={redeemMany}>
            <h2>{pt('bulkTitle')}</h2>
            <Field label={pt('bulkCodes')}>
              {(fid) => <textarea id={fid} name="codes" rows={5} cols={30} />}
            </Field>
            <button type="submit">{pt('redeemAll')}</button>
            {bulk && <p role="status">{bulk}</p>}
          </form>
          {log.length > 0 && (
            <>
              <h2>{pt('recentCheckIns')}</h2>
              <Table
                caption={pt('recentCheckIns')}
                rows={log}
                rowKey={(c) => c.key}
                columns={[
                  { key: 'at', label: pt('when'), render: (c) => dateTime(c.at, locale, zone) },
                  { key: 'code', label: pt('code'), render: (c) => (c.code ? `…${c.code}` : '') },
                  { key: 'result', label: pt('result'), render: (c) => c.text },
                ]}
              />
            </>
          )}
        </>
      )}
    </section>
  );
}
