import { ZCatalogCourseSchema, ZCourseIdInputSchema } from '@latih/contracts';
import { getCatalogCourse } from '@latih/core';
import { platformProcedure } from '../../../trpc';

export const getCatalogCourseRoute = platformProcedure
  .meta({
    scope: 'catalog:read',
    reads: 'replica',
    openapi: {
      method: 'GET',
      path: '/platform/catalog/courses/{id}',
      tags: ['platform'],
      summary: 'Get a course on sale',
      description: 'Only published courses are visible to platforms; anything else answers NOT_FOUND.',
      protect: true,
    },
  })
  .input(ZCourseIdInputSchema)
  .output(ZCatalogCourseSchema)
  .query(({ ctx, input }) => getCatalogCourse({ db: ctx.db, id: input.id }));
