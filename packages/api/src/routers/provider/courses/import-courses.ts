import { ZImportCoursesInputSchema, ZImportCoursesResultSchema } from '@latih/contracts';
import { importCourses } from '@latih/core';
import { providerProcedure } from '../../../trpc';

export const importCoursesRoute = providerProcedure
  .meta({
    scope: 'catalog:write',
    openapi: {
      method: 'POST',
      path: '/provider/courses/import',
      tags: ['provider'],
      summary: 'Import up to 1 000 courses with their runs',
      description:
        'Each item is validated and written on its own and answered with CREATED, UPDATED, REVISION, UNCHANGED or ERROR (code, field). externalId makes a re-import an upsert; a course with the same title, mode and hours as another of yours is refused as DUPLICATE_COURSE. dryRun checks everything and writes nothing. Body up to 10 MB.',
      protect: true,
    },
  })
  .input(ZImportCoursesInputSchema)
  .output(ZImportCoursesResultSchema)
  .mutation(({ ctx, input }) =>
    importCourses({ db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, input, now: ctx.now }),
  );
