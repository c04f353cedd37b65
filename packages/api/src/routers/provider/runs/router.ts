import { router } from '../../../trpc';
import { cancelRunRoute } from './cancel-run';
import { createRunRoute } from './create-run';
import { getRunRoute } from './get-run';
import { listRunsRoute } from './list-runs';
import { openRunRoute } from './open-run';
import { updateRunRoute } from './update-run';

export const providerRunsRouter = router({
  create: createRunRoute,
  update: updateRunRoute,
  open: openRunRoute,
  cancel: cancelRunRoute,
  get: getRunRoute,
  list: listRunsRoute,
});
