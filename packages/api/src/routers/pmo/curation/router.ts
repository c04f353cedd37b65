import { router } from '../../../trpc';
import { approveRoute } from './approve';
import { getReviewRoute } from './get-review';
import { curationQueueRoute } from './queue';
import { reinstateRoute } from './reinstate';
import { rejectRoute } from './reject';
import { suspendRoute } from './suspend';

export const pmoCurationRouter = router({
  queue: curationQueueRoute,
  get: getReviewRoute,
  approve: approveRoute,
  reject: rejectRoute,
  suspend: suspendRoute,
  reinstate: reinstateRoute,
});
