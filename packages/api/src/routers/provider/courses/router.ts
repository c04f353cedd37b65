import { router } from '../../../trpc';
import { courseIndicatorsRoute } from './course-indicators';
import { createCourseRoute } from './create-course';
import { getCourseRoute } from './get-course';
import { importCoursesRoute } from './import-courses';
import { listCoursesRoute } from './list-courses';
import { submitCourseRoute } from './submit-course';
import { updateCourseRoute } from './update-course';
import { withdrawCourseRoute } from './withdraw-course';

export const providerCoursesRouter = router({
  create: createCourseRoute,
  update: updateCourseRoute,
  get: getCourseRoute,
  indicators: courseIndicatorsRoute,
  list: listCoursesRoute,
  submit: submitCourseRoute,
  withdraw: withdrawCourseRoute,
  import: importCoursesRoute,
});
