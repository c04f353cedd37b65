import { whoamiRoute } from './routers/auth/whoami';
import { platformCatalogRouter } from './routers/platform/catalog/router';
import { confirmCheckoutRoute } from './routers/platform/checkout/confirm-checkout';
import { createCheckoutRoute } from './routers/platform/checkout/create-checkout';
import { cancelVoucherRoute } from './routers/platform/vouchers/cancel-voucher';
import { getVoucherRoute } from './routers/platform/vouchers/get-voucher';
import { listVouchersRoute } from './routers/platform/vouchers/list-vouchers';
import { pmoCurationRouter } from './routers/pmo/curation/router';
import { pmoOrganisationsRouter } from './routers/pmo/organisations/router';
import { importParticipantsRoute } from './routers/pmo/participants/import-participants';
import { pmoCancelRunRoute } from './routers/pmo/runs/cancel-run';
import { providerCoursesRouter } from './routers/provider/courses/router';
import { recordAttendanceRoute } from './routers/provider/delivery/record-attendance';
import { recordAttendanceBulkRoute } from './routers/provider/delivery/record-attendance-bulk';
import { recordPostTestRoute } from './routers/provider/delivery/record-post-test';
import { reportCompletionRoute } from './routers/provider/delivery/report-completion';
import { reportCompletionBulkRoute } from './routers/provider/delivery/report-completion-bulk';
import { submitAssignmentRoute } from './routers/provider/delivery/submit-assignment';
import { providerRunsRouter } from './routers/provider/runs/router';
import { bulkRedeemRoute } from './routers/provider/vouchers/bulk-redeem';
import { checkVoucherRoute } from './routers/provider/vouchers/check-voucher';
import { redeemVoucherRoute } from './routers/provider/vouchers/redeem-voucher';
import { errorCodesRoute } from './routers/public/error-codes';
import { categoriesRoute, regionsRoute, schemesRoute } from './routers/public/reference';
import { router } from './trpc';

/** The one router: three audiences, a public corner, and auth. It only composes. */
export const appRouter = router({
  auth: router({ whoami: whoamiRoute }),
  provider: router({
    courses: providerCoursesRouter,
    runs: providerRunsRouter,
    vouchers: router({ check: checkVoucherRoute, redeem: redeemVoucherRoute, redeemBulk: bulkRedeemRoute }),
    attendance: router({ record: recordAttendanceRoute, recordBulk: recordAttendanceBulkRoute }),
    assignments: router({ submit: submitAssignmentRoute }),
    postTests: router({ record: recordPostTestRoute }),
    completions: router({ report: reportCompletionRoute, reportBulk: reportCompletionBulkRoute }),
  }),
  platform: router({
    catalog: platformCatalogRouter,
    checkout: router({ create: createCheckoutRoute, confirm: confirmCheckoutRoute }),
    vouchers: router({ get: getVoucherRoute, list: listVouchersRoute, cancel: cancelVoucherRoute }),
  }),
  pmo: router({
    organisations: pmoOrganisationsRouter,
    curation: pmoCurationRouter,
    runs: router({ cancel: pmoCancelRunRoute }),
    participants: router({ import: importParticipantsRoute }),
  }),
  public: router({
    errorCodes: errorCodesRoute,
    categories: categoriesRoute,
    regions: regionsRoute,
    schemes: schemesRoute,
  }),
});

export type AppRouter = typeof appRouter;
