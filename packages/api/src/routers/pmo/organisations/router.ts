import { router } from '../../../trpc';
import { listOrganisationsRoute } from './list-organisations';

export const pmoOrganisationsRouter = router({ list: listOrganisationsRoute });
