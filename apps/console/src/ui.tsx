import { useInfiniteQuery } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { usePrefs } from './i18n';

export type Column<T> = {
  key: string;
  label: string;
  render: (row: T) => ReactNode;
  /** The value to sort by; columns without it do not sort. */
  sort?: (row: T) => number | string | null;
};

/** A table whose headers sort (click or Enter), with a caption for screen readers. */
export function Table<T>({
  caption,
  columns,
  rows,
  rowKey,
}: {
  caption: string;
  columns: Column<T>[];
  rows: T[];
  rowKey: (r: T) => string;
}) {
  const [sort, setSort] = useState<{ key: string; dir: 1 | -1 } | null>(null);
  const col = sort ? columns.find((c) => c.key === sort.key) : undefined;
  const sorted = col?.sort
    ? [...rows].sort((a, b) => {
        const x = col.sort?.(a) ?? '';
        const y = col.sort?.(b) ?? '';
        return (x < y ? -1 : x > y ? 1 : 0) * (sort?.dir ?? 1);
      })
    : rows;
  return (
    <table>
      <caption className="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          {columns.map((c) => (
            <th
              key={c.key}
              scope="col"
              aria-sort={sort?.key === c.key ? (sort.dir === 1 ? 'ascending' : 'descending') : undefined}
            >
              {c.sort ? (
                <button
                  type="button"
                  className="sort"
                  onClick={() =>
                    setSort((s) => ({ key: c.key, dir: s?.key === c.key && s.dir === 1 ? -1 : 1 }))
                  }
                >
                  {c.label}
                  {sort?.key === c.key ? (sort.dir === 1 ? ' ▲' : ' ▼') : ''}
                </button>
              ) : (
                c.label
              )}
            </th>
          ))}
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
export function useCursorList<T>(
  key: unknown[],
  page: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor: string | null }>,
) {
  const q = useInfiniteQuery({
    queryKey: key,
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) => page(pageParam),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  return { ...q, rows: q.data?.pages.flatMap((p) => p.items) ?? [] };
}

export function MoreButton({
  list,
}: {
  list: { hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage: () => unknown };
}) {
  const { t } = usePrefs();
  if (!list.hasNextPage) return null;
  return (
    <button type="button" onClick={() => void list.fetchNextPage()} disabled={list.isFetchingNextPage}>
      {t('more')}
    </button>
  );
}
