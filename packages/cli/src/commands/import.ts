import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { TImportResult } from '@latih/sdk';
import cliProgress from 'cli-progress';
import { parse } from 'csv-parse/sync';
import { clientFor } from '../client';
import { loadProfile } from '../config';
import { CliError, type Output } from '../output';
import { positiveInt } from '../util';

export type ImportOptions = { dryRun: boolean; batchSize: string };

/** Cells holding a list, separated by `|` (e.g. `C.107900.001.01|C.107900.002.01`). */
const LIST_FIELDS = new Set([
  'competencyCodes',
  'occupationCodes',
  'learningOutcomes',
  'certificateTemplate.skills',
]);
/** Cells holding JSON (the runs with their sessions, or a whole object). */
const JSON_FIELDS = new Set(['runs', 'completionRule', 'certificateTemplate']);
const NUMBER_FIELDS = new Set([
  'hours',
  'price',
  'completionRule.minAttendancePercent',
  'completionRule.postTestPassScore',
]);
const BOOLEAN_FIELDS = new Set(['completionRule.assignmentRequired']);

function cellValue(column: string, raw: string): unknown {
  if (LIST_FIELDS.has(column))
    return raw
      .split('|')
      .map((s) => s.trim())
      .filter(Boolean);
  if (JSON_FIELDS.has(column)) {
    try {
      return JSON.parse(raw);
    } catch {
      return raw; // the gateway then names the field in its VALIDATION_FAILED answer
    }
  }
  if (NUMBER_FIELDS.has(column) && /^-?\d+(\.\d+)?$/.test(raw.trim())) return Number(raw.trim());
  if (NUMBER_FIELDS.has(column) && raw.trim() === 'null') return null;
  if (BOOLEAN_FIELDS.has(column) && /^(true|false)$/i.test(raw.trim()))
    return raw.trim().toLowerCase() === 'true';
  return raw;
}

/**
 * A CSV row as an ImportCourse: one course per row, columns named as its fields; a dotted column
 * (`certificateTemplate.title`) sets a nested field; empty cells are left out (the default applies).
 */
export function courseFromRow(row: Record<string, string>): Record<string, unknown> {
  const course: Record<string, unknown> = {};
  const set = (column: string, value: unknown, onlyIfParent: boolean) => {
    const path = column.split('.');
    let target = course;
    for (const key of path.slice(0, -1)) {
      const next = target[key];
      if (!(next && typeof next === 'object')) {
        if (onlyIfParent) return;
        target[key] = {};
      }
      target = target[key] as Record<string, unknown>;
    }
    target[path[path.length - 1] as string] = value;
  };
  for (const [column, raw] of Object.entries(row))
    if (raw.trim() !== '') set(column, cellValue(column, raw), false);
  // An empty list cell is an empty list, inside an object the row fills (a certificate without skills).
  for (const [column, raw] of Object.entries(row))
    if (raw.trim() === '' && LIST_FIELDS.has(column) && column.includes('.')) set(column, [], true);
  return course;
}

export function readItems(file: string): unknown[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError('FILE_UNREADABLE', `${file}: ${(err as Error).message}`);
  }
  const ext = extname(file).toLowerCase();
  if (ext === '.json') {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (err) {
      throw new CliError('FILE_INVALID', `${file} is not valid JSON: ${(err as Error).message}`);
    }
    const items = Array.isArray(data) ? data : (data as { items?: unknown })?.items;
    if (!Array.isArray(items))
      throw new CliError('FILE_INVALID', `${file}: a JSON array of courses, or {"items": [...]}`);
    return items;
  }
  if (ext === '.csv') {
    try {
      const rows = parse(text, { columns: true, bom: true, skip_empty_lines: true, trim: false }) as Record<
        string,
        string
      >[];
      return rows.map(courseFromRow);
    } catch (err) {
      throw new CliError('FILE_INVALID', `${file} is not valid CSV: ${(err as Error).message}`);
    }
  }
  throw new CliError('FILE_INVALID', `${file}: a .csv or .json file`);
}

type Row = {
  row: number;
  externalId: string | null;
  status: TImportResult['status'];
  courseId: string | null;
  runIds: string[];
  error: TImportResult['error'];
};

/**
 * provider.courses.import in batches (the API takes up to 1 000 items a call), with a progress bar
 * on stderr. --dry-run sends `dryRun: true`: the gateway checks every item as it would import it
 * (duplicates and the provider's own courses included) and writes nothing. Rows are numbered from
 * 1 in file order (the CSV header is not a row). Exits 1 when any row failed.
 */
export async function importCourses(
  profileName: string,
  file: string,
  opts: ImportOptions,
  out: Output,
): Promise<number> {
  const batchSize = positiveInt(opts.batchSize, '--batch-size');
  if (batchSize > 1000) throw new CliError('INVALID_ARGUMENT', '--batch-size: at most 1000');
  const items = readItems(file);
  if (items.length === 0) throw new CliError('FILE_INVALID', `${file} holds no course`);
  const latih = clientFor(loadProfile(profileName));
  const bar = new cliProgress.SingleBar(
    {
      format: `${opts.dryRun ? 'checking' : 'importing'} |{bar}| {value}/{total} rows | {errors} failed`,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  const rows: Row[] = [];
  let errors = 0;
  bar.start(items.length, 0, { errors });
  try {
    for (let start = 0; start < items.length; start += batchSize) {
      const chunk = items.slice(start, start + batchSize);
      const answer = await latih.provider.courses.import.mutate({ items: chunk, dryRun: opts.dryRun });
      for (const r of answer.results) {
        if (r.status === 'ERROR') errors++;
        rows.push({
          row: start + r.index + 1,
          externalId: r.externalId,
          status: r.status,
          courseId: r.courseId,
          runIds: r.runIds,
          error: r.error,
        });
      }
      bar.update(start + chunk.length, { errors });
    }
  } finally {
    bar.stop();
  }
  const summary = { created: 0, updated: 0, revision: 0, unchanged: 0, error: 0 };
  for (const r of rows) summary[r.status.toLowerCase() as keyof typeof summary]++;
  out.result({ file, dryRun: opts.dryRun, summary, results: rows });
  for (const r of rows) {
    // A dry run's ids name nothing that was written: leave them out of the text.
    const id = opts.dryRun ? '' : (r.courseId ?? '');
    const what = r.error
      ? `${r.error.code}${r.error.field ? ` (${r.error.field})` : ''}: ${r.error.message}`
      : id;
    out.text(
      `row ${String(r.row).padStart(4)}  ${r.status.padEnd(9)}  ${(r.externalId ?? '-').padEnd(20)}  ${what}`,
    );
  }
  out.text(
    `${opts.dryRun ? 'Dry run, nothing written: ' : ''}${rows.length} row(s): ${summary.created} created, ${summary.updated} updated, ` +
      `${summary.revision} revision(s), ${summary.unchanged} unchanged, ${summary.error} failed.`,
  );
  return summary.error > 0 ? 1 : 0;
}
