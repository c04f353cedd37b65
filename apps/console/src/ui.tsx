import { useInfiniteQuery, useQuery, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { api, setCsrf, signOut } from './api';
import { usePrefs } from './i18n';

export type Column<T> = {
  key: string;
  label: string;
  render: (row: T) => ReactNode;
  /** The value to sort the rows on the page by; columns without it do not sort. */
  sort?: (row: T) => number | string | null;
  /** The server's sort field, for tables whose order comes from the server (see `Table.order`). */
  serverSort?: string;
};

/** A server-side order: the field and its direction, as the report procedures take them. */
export type Order = { key: string; dir: 'asc' | 'desc' };

/**
 * A table whose headers sort (click or Enter), with a caption for screen readers.
 * With `order` and `onOrder`, the server sorts (every page, not only the rows loaded) and the
 * columns with a `serverSort` field are the sortable ones; without, the rows given are sorted here.
 */
export function Table<T>({
  caption,
  columns,
  rows,
  rowKey,
  order,
  onOrder,
}: {
  caption: string;
  columns: Column<T>[];
  rows: T[];
  rowKey: (r: T) => string;
  order?: Order;
  onOrder?: (o: Order) => void;
}) {
  const [local, setLocal] = useState<Order | null>(null);
  const server = onOrder !== undefined;
  const sort = server ? (order ?? null) : local;
  const sortKey = (c: Column<T>) => (server ? c.serverSort : c.sort ? c.key : undefined);
  const col = !server && sort ? columns.find((c) => c.key === sort.key) : undefined;
  const sorted = col?.sort
    ? [...rows].sort((a, b) => {
        const x = col.sort?.(a) ?? '';
        const y = col.sort?.(b) ?? '';
        return (x < y ? -1 : x > y ? 1 : 0) * (sort?.dir === 'desc' ? -1 : 1);
      })
    : rows;
  const toggle = (key: string) => {
    const next: Order = { key, dir: sort?.key === key && sort.dir === 'asc' ? 'desc' : 'asc' };
    if (server) onOrder(next);
    else setLocal(next);
  };
  return (
    <ScrollBox label={caption}>
      <table>
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => {
              const k = sortKey(c);
              const active = k !== undefined && sort?.key === k;
              return (
                <th
                  key={c.key}
                  scope="col"
                  aria-sort={active ? (sort?.dir === 'asc' ? 'ascending' : 'descending') : undefined}
                >
                  {k !== undefined ? (
                    <button type="button" className="sort" onClick={() => toggle(k)}>
                      {c.label}
                      {active ? (sort?.dir === 'asc' ? ' ▲' : ' ▼') : ''}
                    </button>
                  ) : (
                    c.label
                  )}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {sorted.map((r) => (
            <tr key={rowKey(r)}>
              {columns.map((c) => (
                <td key={c.key}>{c.render(r)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollBox>
  );
}

/** A wide table scrolls inside its box; the box takes focus so that keyboards can scroll it too. */
export function ScrollBox({ label, children }: { label: string; children: ReactNode }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a box that scrolls must be reachable by keyboard (WCAG 2.1.1; axe scrollable-region-focusable)
    <section className="table-scroll" aria-label={label} tabIndex={0}>
      {children}
    </section>
  );
}

export function Loading({ error }: { error?: unknown }) {
  const { t } = usePrefs();
  if (error)
    return (
      <p role="alert" className="error">
        {t('error')}: {error instanceof Error ? error.message : String(error)}
      </p>
    );
  return <p aria-live="polite">{t('loading')}</p>;
}

export function Field({ label, children }: { label: string; children: (id: string) => ReactNode }) {
  const id = `f-${label.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children(id)}
    </div>
  );
}

/** A cursor-paged list read page after page ("load more"), as every `*.list` procedure pages. */
export function useCursorList<P extends { items: unknown[]; nextCursor: string | null }>(
  key: unknown[],
  page: (cursor: string | undefined) => Promise<P>,
) {
  const q = useInfiniteQuery({
    queryKey: key,
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) => page(pageParam),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const rows: P['items'][number][] = q.data?.pages.flatMap((p) => p.items) ?? [];
  return { ...q, rows, first: q.data?.pages[0] };
}

type CursorList<T> = ReturnType<typeof useCursorList<{ items: T[]; nextCursor: string | null }>>;

/** A cursor-paged list as a table: loading or its error, the rows so far, and "load more". */
export function ListTable<T>({
  list,
  total,
  empty,
  ...table
}: { list: CursorList<T>; total?: number; empty?: ReactNode } & Omit<
  Parameters<typeof Table<T>>[0],
  'rows'
>) {
  if (!list.data) return <Loading error={list.error} />;
  if (empty !== undefined && list.rows.length === 0) return <p>{empty}</p>;
  return (
    <>
      <Table {...table} rows={list.rows} />
      <MoreButton list={list} total={total} />
    </>
  );
}

/** How many rows are shown (and of how many, when the server counts), and "load more" while there are more. */
export function MoreButton({
  list,
  total,
}: {
  list: { rows: unknown[]; hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage: () => unknown };
  total?: number;
}) {
  const { t, locale } = usePrefs();
  const n = new Intl.NumberFormat(locale === 'id' ? 'id-ID' : 'en-GB');
  return (
    <p className="paging">
      <span aria-live="polite">
        {t('shown')}: {n.format(list.rows.length)}
        {total !== undefined ? ` / ${n.format(total)}` : ''}
      </span>{' '}
      {list.hasNextPage && (
        <button type="button" onClick={() => void list.fetchNextPage()} disabled={list.isFetchingNextPage}>
          {t('more')}
        </button>
      )}
    </p>
  );
}

/** A labelled whole-number filter ("at least …"); empty means no filter. */
export function NumberField({
  label,
  value,
  onChange,
  max,
}: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  max?: number;
}) {
  return (
    <Field label={label}>
      {(id) => (
        <input
          id={id}
          type="number"
          min={0}
          max={max}
          className="short"
          value={value}
          onChange={(e) => onChange(e.target.value)}
        />
      )}
    </Field>
  );
}

/** A labelled select over fixed values, with an empty "all" choice. */
export function SelectField<V extends string>({
  label,
  value,
  values,
  onChange,
  labelOf,
}: {
  label: string;
  value: V | '';
  values: readonly V[];
  onChange: (v: V | '') => void;
  /** How to show a value (the value itself by default). */
  labelOf?: (v: V) => string;
}) {
  const { t } = usePrefs();
  return (
    <Field label={label}>
      {(id) => (
        <select id={id} value={value} onChange={(e) => onChange(e.target.value as V | '')}>
          <option value="">{t('all')}</option>
          {values.map((v) => (
            <option key={v} value={v}>
              {labelOf ? labelOf(v) : v}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

/**
 * Pick an organisation by name: the select lists the first 100 of that kind by name; the
 * value is its id, which every `*.list` filter takes.
 */
export function OrganisationField({
  label,
  kind,
  value,
  onChange,
}: {
  label: string;
  kind?: 'PROVIDER' | 'PLATFORM';
  value: string;
  onChange: (id: string) => void;
}) {
  const { t } = usePrefs();
  const orgs = useQuery({
    queryKey: ['organisations', kind ?? 'all'],
    queryFn: () => api.pmo.organisations.list.query({ limit: 100, ...(kind ? { kind } : {}) }),
    staleTime: 60_000,
  });
  const items = (orgs.data?.items ?? [])
    .filter((o) => o.kind !== 'PMO')
    .sort((a, b) => a.name.localeCompare(b.name));
  return (
    <Field label={label}>
      {(id) => (
        <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
          <option value="">{t('all')}</option>
          {items.map((o) => (
            <option key={o.id} value={o.id}>
              {o.name}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

/** A course category, from the shipped taxonomy (`public.categories`), named in the user's language. */
export function CategoryField({ value, onChange }: { value: string; onChange: (code: string) => void }) {
  const { t, locale } = usePrefs();
  const q = useQuery({
    queryKey: ['categories'],
    queryFn: () => api.public.categories.query({}),
    staleTime: Number.POSITIVE_INFINITY,
  });
  return (
    <Field label={t('category')}>
      {(id) => (
        <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
          <option value="">{t('all')}</option>
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

/** A province, by its official name (`public.regions`); the value is its two-digit code. */
export function ProvinceField({ value, onChange }: { value: string; onChange: (code: string) => void }) {
  const { t } = usePrefs();
  const q = useProvinces();
  return (
    <Field label={t('province')}>
      {(id) => (
        <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
          <option value="">{t('all')}</option>
          {(q.data?.items ?? []).map((p) => (
            <option key={p.code} value={p.code}>
              {p.code} {p.name}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

export function useProvinces() {
  return useQuery({
    queryKey: ['provinces'],
    queryFn: () => api.public.regions.query({}),
    staleTime: Number.POSITIVE_INFINITY,
  });
}

/** Ends the console session (either console's): the cookie, the CSRF token, the cached session. */
export function SignOutButton() {
  const { t } = usePrefs();
  const qc = useQueryClient();
  return (
    <button
      type="button"
      onClick={async () => {
        await signOut();
        setCsrf(null);
        qc.setQueryData(['session'], null);
      }}
    >
      {t('signOut')}
    </button>
  );
}
