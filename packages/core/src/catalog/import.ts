import {
  AppError,
  type TImportResult,
  ZImportCourseSchema,
  ZImportCoursesInputSchema,
} from '@latih/contracts';
import {
  contentOf,
  type Db,
  findCourseByExternalId,
  findDuplicateCourse,
  findRunByExternalId,
} from '@latih/db';
import type { z } from 'zod';
import type { Actor } from '../auth/actor';
import { canonicalJson } from '../canonical-json';
import { createCourse, type DomainCall, updateCourse } from '../courses';
import { createRun, updateRun } from '../runs';

/** Thrown to roll a dry run back after every item was tried. */
class DryRunRollback extends Error {}

type ImportItem = z.infer<typeof ZImportCourseSchema>;

/**
 * Up to 1 000 courses with their runs. Each item runs in its own savepoint: one bad item is reported
 * and leaves no trace, the others go on. The provider's `externalId` makes a re-import an upsert.
 * With `dryRun`, everything is checked exactly as for real and then rolled back.
 */
export async function importCourses(opts: DomainCall<z.input<typeof ZImportCoursesInputSchema>>) {
  if (opts.actor.role !== 'provider') throw new AppError('FORBIDDEN_ROLE');
  const input = ZImportCoursesInputSchema.parse(opts.input);
  const now = opts.now ?? new Date();
  const results: TImportResult[] = [];
  const seenExternalIds = new Set<string>();
  try {
    await opts.db.transaction(async (tx) => {
      for (const [index, raw] of input.items.entries()) {
        const externalId = externalIdOf(raw);
        try {
          const result = await tx.transaction(async (sp) =>
            importOne(sp, opts.actor, opts.requestId, raw, now, seenExternalIds),
          );
          results.push({ index, externalId, ...result, error: null });
        } catch (err) {
          results.push({
            index,
            externalId,
            status: 'ERROR',
            courseId: null,
            runIds: [],
            error: errorOf(err),
          });
        }
      }
      if (input.dryRun) throw new DryRunRollback();
    });
  } catch (err) {
    if (!(err instanceof DryRunRollback)) throw err;
  }
  const count = (s: TImportResult['status']) => results.filter((r) => r.status === s).length;
  return {
    dryRun: input.dryRun,
    summary: {
      created: count('CREATED'),
      updated: count('UPDATED'),
      revision: count('REVISION'),
      unchanged: count('UNCHANGED'),
      error: count('ERROR'),
    },
    results,
  };
}

function externalIdOf(raw: unknown): string | null {
  const v = raw && typeof raw === 'object' ? (raw as { externalId?: unknown }).externalId : undefined;
  return typeof v === 'string' ? v : null;
}

function errorOf(err: unknown): TImportResult['error'] {
  if (err instanceof AppError)
    return { code: err.code, message: err.message, ...(err.field ? { field: err.field } : {}) };
  const issues = (err as { issues?: { path: PropertyKey[]; message: string }[] }).issues;
  if (Array.isArray(issues) && issues[0]) {
    const field = issues[0].path.map(String).join('.');
    return { code: 'VALIDATION_FAILED', message: `${field}: ${issues[0].message}`, field };
  }
  throw err;
}

async function importOne(
  db: Db,
  actor: Actor,
  requestId: string | null,
  raw: unknown,
  now: Date,
  seen: Set<string>,
): Promise<Omit<TImportResult, 'index' | 'externalId' | 'error'>> {
  const item: ImportItem = ZImportCourseSchema.parse(raw);
  if (seen.has(item.externalId)) {
    throw new AppError('EXTERNAL_ID_TAKEN', {
      message: `externalId ${item.externalId} appears twice in this batch.`,
      field: 'externalId',
    });
  }
  seen.add(item.externalId);
  const { runs, externalId, schemeId, ...content } = item;
  const call = { db, actor, requestId, now };
  const existing = await findCourseByExternalId(db, actor.organisationId, externalId);

  let courseId: string;
  let status: TImportResult['status'];
  if (!existing) {
    const duplicate = await findDuplicateCourse(db, {
      providerId: actor.organisationId,
      title: content.title,
      mode: content.mode,
      durationMinutes: Math.round(content.hours * 60),
    });
    if (duplicate) {
      throw new AppError('DUPLICATE_COURSE', {
        message: `Same title, mode and hours as your course ${duplicate.id}.`,
        field: 'title',
      });
    }
    const course = await createCourse({
      ...call,
      input: { externalId, ...(schemeId ? { schemeId } : {}), ...content },
    });
    courseId = course.id;
    status = 'CREATED';
  } else {
    courseId = existing.id;
    const same = canonicalJson(contentOf(existing)) === canonicalJson(content);
    if (same) {
      status = 'UNCHANGED';
    } else {
      const course = await updateCourse({ ...call, input: { id: existing.id, ...content } });
      status = course.pendingRevision ? 'REVISION' : 'UPDATED';
    }
  }

  const runIds: string[] = [];
  let runsChanged = false;
  for (const [i, run] of runs.entries()) {
    const prefix = `runs.${i}`;
    try {
      const found = await findRunByExternalId(db, actor.organisationId, run.externalId);
      if (!found) {
        runIds.push(
          (
            await createRun({
              ...call,
              input: { courseId, externalId: run.externalId, capacity: run.capacity, sessions: run.sessions },
            })
          ).id,
        );
        runsChanged = true;
      } else {
        if (found.courseId !== courseId) {
          throw new AppError('EXTERNAL_ID_TAKEN', {
            message: `Run ${run.externalId} belongs to another course.`,
            field: 'externalId',
          });
        }
        runIds.push(found.id);
        const updated = await updateRun({
          ...call,
          input: { id: found.id, capacity: run.capacity, sessions: run.sessions },
        });
        runsChanged ||= updated.updatedAt !== found.updatedAt.toISOString();
      }
    } catch (err) {
      if (err instanceof AppError) {
        throw new AppError(err.code, {
          message: err.message,
          field: err.field ? `${prefix}.${err.field}` : prefix,
        });
      }
      throw err;
    }
  }
  if (status === 'UNCHANGED' && runsChanged) status = 'UPDATED';
  return { status, courseId, runIds };
}
