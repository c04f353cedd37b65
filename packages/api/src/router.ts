import { whoamiRoute } from './routers/auth/whoami';
import { listEventsRoute } from './routers/events/list-events';
import {
  platformMoneyRoutes,
  pmoIncentivesRouter,
  pmoSettlementsRouter,
  providerMoneyRoutes,
  setParticipantPayoutAccountRoute,
} from './routers/payouts/routes';
import { platformBalanceChecksRouter } from './routers/platform/balance-checks/routes';
import { platformCatalogRouter } from './routers/platform/catalog/router';
import { confirmCheckoutRoute } from './routers/platform/checkout/confirm-checkout';
import { createCheckoutRoute } from './routers/platform/checkout/create-checkout';
import { platformCommunitiesRouter } from './routers/platform/communities/routes';
import { createPassportRoute } from './routers/platform/passport/create-passport';
import { requestPassportConsentRoute } from './routers/platform/passport/request-consent';
import { recommendationsForParticipantRoute } from './routers/platform/recommendations/for-participant';
import { submitReviewRoute } from './routers/platform/reviews/submit-review';
import { platformSurveysRouter } from './routers/platform/surveys/routes';
import { cancelVoucherRoute } from './routers/platform/vouchers/cancel-voucher';
import { getVoucherRoute } from './routers/platform/vouchers/get-voucher';
import { listVouchersRoute } from './routers/platform/vouchers/list-vouchers';
import { pmoRevokeCertificateRoute } from './routers/pmo/certificates/revoke-certificate';
import { pmoCommunitiesRouter } from './routers/pmo/communities/routes';
import { pmoCurationRouter } from './routers/pmo/curation/router';
import { pmoIntegrationRouter } from './routers/pmo/integration/routes';
import {
  pmoCasesRouter,
  pmoSignalsRouter,
  pmoWebhooksRouter,
  providerEvidenceRouter,
} from './routers/pmo/oversight/control';
import { pmoAuditRouter, pmoOrganisationsRouter } from './routers/pmo/oversight/organisations';
import { pmoReportsRouter, pmoStatisticsRoute, publicStatisticsRoute } from './routers/pmo/oversight/reports';
import { importParticipantsRoute } from './routers/pmo/participants/import-participants';
import { participantLookupRoute, searchParticipantsRoute } from './routers/pmo/participants/lookup';
import { pmoRegistryRouter } from './routers/pmo/participants/registry';
import { pmoCancelRunRoute } from './routers/pmo/runs/cancel-run';
import { pmoSurveysRouter } from './routers/pmo/surveys/routes';
import { getCertificateRoute } from './routers/provider/certificates/get-certificate';
import { revokeCertificateRoute } from './routers/provider/certificates/revoke-certificate';
import { providerCoursesRouter } from './routers/provider/courses/router';
import { recordAttendanceRoute } from './routers/provider/delivery/record-attendance';
import { recordAttendanceBulkRoute } from './routers/provider/delivery/record-attendance-bulk';
import { recordPostTestRoute } from './routers/provider/delivery/record-post-test';
import { reportCompletionRoute } from './routers/provider/delivery/report-completion';
import { reportCompletionBulkRoute } from './routers/provider/delivery/report-completion-bulk';
import { reviewAssignmentRoute } from './routers/provider/delivery/review-assignment';
import { submitAssignmentRoute } from './routers/provider/delivery/submit-assignment';
import { verificationLinkRoute } from './routers/provider/delivery/verification-link';
import { providerEnrollmentsRouter } from './routers/provider/enrollments/routes';
import { providerRedirectUrisRouter } from './routers/provider/redirect-uris/routes';
import { ownFiguresRoute } from './routers/provider/reports/figures';
import { providerRunsRouter } from './routers/provider/runs/router';
import { providerCredentialsRouter, providerStaffRouter } from './routers/provider/staff/routes';
import { bulkRedeemRoute } from './routers/provider/vouchers/bulk-redeem';
import { checkVoucherRoute } from './routers/provider/vouchers/check-voucher';
import { redeemVoucherRoute } from './routers/provider/vouchers/redeem-voucher';
import { alumniStatisticsRoute } from './routers/public/alumni-statistics';
import { errorCodesRoute } from './routers/public/error-codes';
import { categoriesRoute, regionsRoute, schemesRoute } from './routers/public/reference';
import { statusListRoute } from './routers/public/status-list';
import { verifyCertificateRoute } from './routers/public/verify-certificate';
import { sandboxRouter } from './routers/sandbox/clock';
import { platformWebhooksRouter, providerWebhooksRouter } from './routers/webhooks/routes';
import { router } from './trpc';

/** The one router: three audiences, a public corner, and auth. It only composes. */
export const appRouter = router({
  auth: router({ whoami: whoamiRoute }),
  events: router({ list: listEventsRoute }),
  provider: router({
    courses: providerCoursesRouter,
    runs: providerRunsRouter,
    vouchers: router({ check: checkVoucherRoute, redeem: redeemVoucherRoute, redeemBulk: bulkRedeemRoute }),
    attendance: router({
      record: recordAttendanceRoute,
      recordBulk: recordAttendanceBulkRoute,
      verificationLink: verificationLinkRoute,
    }),
    redirectUris: providerRedirectUrisRouter,
    enrollments: providerEnrollmentsRouter,
    reports: router({ figures: ownFiguresRoute }),
    assignments: router({ submit: submitAssignmentRoute, review: reviewAssignmentRoute }),
    postTests: router({ record: recordPostTestRoute }),
    completions: router({ report: reportCompletionRoute, reportBulk: reportCompletionBulkRoute }),
    certificates: router({ get: getCertificateRoute, revoke: revokeCertificateRoute }),
    webhooks: providerWebhooksRouter,
    evidenceRequests: providerEvidenceRouter,
    staff: providerStaffRouter,
    credentials: providerCredentialsRouter,
    ...providerMoneyRoutes,
  }),
  platform: router({
    catalog: platformCatalogRouter,
    checkout: router({ create: createCheckoutRoute, confirm: confirmCheckoutRoute }),
    balanceChecks: platformBalanceChecksRouter,
    vouchers: router({ get: getVoucherRoute, list: listVouchersRoute, cancel: cancelVoucherRoute }),
    passport: router({ requestConsent: requestPassportConsentRoute, create: createPassportRoute }),
    recommendations: router({ forParticipant: recommendationsForParticipantRoute }),
    communities: platformCommunitiesRouter,
    reviews: router({ submit: submitReviewRoute }),
    surveys: platformSurveysRouter,
    webhooks: platformWebhooksRouter,
    ...platformMoneyRoutes,
  }),
  pmo: router({
    organisations: pmoOrganisationsRouter,
    integration: pmoIntegrationRouter,
    curation: pmoCurationRouter,
    runs: router({ cancel: pmoCancelRunRoute }),
    participants: router({
      search: searchParticipantsRoute,
      get: participantLookupRoute,
      import: importParticipantsRoute,
      setPayoutAccount: setParticipantPayoutAccountRoute,
      registry: pmoRegistryRouter,
    }),
    settlements: pmoSettlementsRouter,
    incentives: pmoIncentivesRouter,
    surveys: pmoSurveysRouter,
    certificates: router({ revoke: pmoRevokeCertificateRoute }),
    audit: pmoAuditRouter,
    signals: pmoSignalsRouter,
    cases: pmoCasesRouter,
    webhooks: pmoWebhooksRouter,
    reports: pmoReportsRouter,
    statistics: pmoStatisticsRoute,
    communities: pmoCommunitiesRouter,
  }),
  public: router({
    errorCodes: errorCodesRoute,
    categories: categoriesRoute,
    regions: regionsRoute,
    schemes: schemesRoute,
    certificates: router({ verify: verifyCertificateRoute }),
    credentials: router({ status: statusListRoute }),
    statistics: publicStatisticsRoute,
    alumniStatistics: alumniStatisticsRoute,
  }),
  sandbox: sandboxRouter,
});

export type AppRouter = typeof appRouter;
