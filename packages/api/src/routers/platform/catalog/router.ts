import { router } from '../../../trpc';
import { catalogChangesRoute } from './catalog-changes';
import { getCatalogCourseRoute } from './get-catalog-course';
import { listCatalogRoute } from './list-catalog';

export const platformCatalogRouter = router({
  get: getCatalogCourseRoute,
  list: listCatalogRoute,
  changes: catalogChangesRoute,
});
