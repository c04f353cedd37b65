// Every procedure's input is as precise as its schema: no `unknown` where the schema knows the type.
// Checked by tsc in consumer.test.ts against the packed tarball (skipLibCheck off). The issue this
// guards: 29 coerced query fields (`limit` on 25 lists, `minAgeHours`, `minScore`, `minVouchersSold`
// twice) were typed `unknown` because `z.coerce.number()` types its input so, and a string compiled.
import { createLatihClient, type LatihClient, paginate } from '@latih/sdk';
import { expectTypeOf } from 'expect-type';

type Fn = (...args: never[]) => unknown;
type Procedure = { query: Fn } | { mutate: Fn };

/** The dotted path of every procedure on the client (`catalog.sync`, a helper, is not one). */
type ProcedurePaths<T, P extends string = ''> = {
  [K in keyof T & string]: T[K] extends Procedure
    ? `${P}${K}`
    : T[K] extends Fn
      ? never
      : ProcedurePaths<T[K], `${P}${K}.`>;
}[keyof T & string];
type Path = ProcedurePaths<LatihClient>;

type At<T, P extends string> = P extends `${infer H}.${infer R}` ? At<T[H & keyof T], R> : T[P & keyof T];
type Call<X> = X extends { query: infer F extends Fn }
  ? F
  : X extends { mutate: infer F extends Fn }
    ? F
    : never;
/** A procedure's input, as the caller writes it. */
// (`void` too: a procedure whose every field is optional takes `input?: X | void`.)
type In<P extends Path> = Exclude<Parameters<Call<At<LatihClient, P>>>[0], void>;

/** Paths (`procedure: field.sub[]`) of every `unknown` (or `any`) anywhere in an input. */
type UnknownLeaves<T, P extends string> = unknown extends T
  ? P
  : T extends readonly (infer E)[]
    ? UnknownLeaves<E, `${P}[]`>
    : T extends Fn | Date
      ? never
      : T extends object
        ? { [K in keyof T & string]-?: UnknownLeaves<Exclude<T[K], undefined>, `${P}.${K}`> }[keyof T &
            string]
        : never;
type UnknownInputs = { [P in Path]: UnknownLeaves<In<P>, `${P}:`> }[Path];

// Every procedure checked, by name: a new one fails here until it is added (and so is checked).
type AllProcedures =
  | 'auth.whoami'
  | 'pmo.audit.list'
  | 'pmo.organisations.checklist'
  | 'pmo.organisations.list'
  | 'pmo.organisations.create'
  | 'pmo.organisations.get'
  | 'pmo.organisations.approve'
  | 'pmo.organisations.reject'
  | 'pmo.organisations.suspend'
  | 'pmo.organisations.reinstate'
  | 'pmo.organisations.removeRedirectUri'
  | 'pmo.organisations.disableWebhookEndpoint'
  | 'pmo.organisations.credentials.revoke'
  | 'pmo.organisations.credentials.issue'
  | 'pmo.organisations.credentials.rotate'
  | 'pmo.integration.get'
  | 'pmo.integration.issue'
  | 'pmo.integration.rotate'
  | 'pmo.integration.revoke'
  | 'pmo.runs.cancel'
  | 'pmo.participants.search'
  | 'pmo.participants.get'
  | 'pmo.participants.import'
  | 'pmo.participants.setPayoutAccount'
  | 'pmo.participants.registry.list'
  | 'pmo.participants.registry.get'
  | 'pmo.participants.registry.recheck'
  | 'pmo.participants.registry.override'
  | 'pmo.certificates.revoke'
  | 'pmo.webhooks.deliveries'
  | 'pmo.settlements.run'
  | 'pmo.settlements.items'
  | 'pmo.settlements.list'
  | 'pmo.settlements.get'
  | 'pmo.settlements.retry'
  | 'pmo.settlements.reconcile'
  | 'pmo.curation.get'
  | 'pmo.curation.approve'
  | 'pmo.curation.reject'
  | 'pmo.curation.suspend'
  | 'pmo.curation.reinstate'
  | 'pmo.curation.queue'
  | 'pmo.incentives.list'
  | 'pmo.incentives.retry'
  | 'pmo.incentives.ofParticipant'
  | 'pmo.incentives.evaluate'
  | 'pmo.surveys.create'
  | 'pmo.surveys.list'
  | 'pmo.surveys.get'
  | 'pmo.surveys.close'
  | 'pmo.surveys.results'
  | 'pmo.signals.list'
  | 'pmo.signals.get'
  | 'pmo.signals.detect'
  | 'pmo.signals.dismiss'
  | 'pmo.signals.implicated'
  | 'pmo.cases.list'
  | 'pmo.cases.get'
  | 'pmo.cases.enrollments'
  | 'pmo.cases.open'
  | 'pmo.cases.requestEvidence'
  | 'pmo.cases.decide'
  | 'pmo.reports.courses'
  | 'pmo.reports.providers'
  | 'pmo.reports.providerTrend'
  | 'pmo.reports.platforms'
  | 'pmo.reports.rebuild'
  | 'pmo.statistics'
  | 'pmo.communities.create'
  | 'pmo.communities.list'
  | 'pmo.communities.get'
  | 'pmo.communities.members'
  | 'pmo.communities.appointCaptain'
  | 'pmo.communities.removeCaptain'
  | 'pmo.communities.events.record'
  | 'pmo.communities.events.list'
  | 'provider.courses.list'
  | 'provider.courses.create'
  | 'provider.courses.update'
  | 'provider.courses.indicators'
  | 'provider.courses.get'
  | 'provider.courses.submit'
  | 'provider.courses.withdraw'
  | 'provider.courses.import'
  | 'provider.runs.list'
  | 'provider.runs.create'
  | 'provider.runs.update'
  | 'provider.runs.get'
  | 'provider.runs.open'
  | 'provider.runs.cancel'
  | 'provider.vouchers.check'
  | 'provider.vouchers.redeem'
  | 'provider.vouchers.redeemBulk'
  | 'provider.attendance.record'
  | 'provider.attendance.recordBulk'
  | 'provider.attendance.verificationLink'
  | 'provider.redirectUris.list'
  | 'provider.redirectUris.register'
  | 'provider.redirectUris.remove'
  | 'provider.enrollments.list'
  | 'provider.enrollments.get'
  | 'provider.reports.figures'
  | 'provider.assignments.submit'
  | 'provider.assignments.review'
  | 'provider.postTests.record'
  | 'provider.completions.report'
  | 'provider.completions.reportBulk'
  | 'provider.certificates.get'
  | 'provider.certificates.revoke'
  | 'provider.staff.list'
  | 'provider.staff.add'
  | 'provider.staff.setRole'
  | 'provider.staff.resetPassword'
  | 'provider.staff.disable'
  | 'provider.credentials.list'
  | 'provider.credentials.issue'
  | 'provider.credentials.rotate'
  | 'provider.credentials.revoke'
  | 'provider.webhooks.list'
  | 'provider.webhooks.create'
  | 'provider.webhooks.update'
  | 'provider.webhooks.get'
  | 'provider.webhooks.delete'
  | 'provider.webhooks.rotateSecret'
  | 'provider.webhooks.deliveries'
  | 'provider.webhooks.delivery'
  | 'provider.webhooks.replay'
  | 'provider.evidenceRequests.list'
  | 'provider.evidenceRequests.get'
  | 'provider.evidenceRequests.answer'
  | 'provider.settlements.items'
  | 'provider.settlements.held'
  | 'provider.settlements.list'
  | 'provider.settlements.get'
  | 'provider.payoutAccount.set'
  | 'provider.payoutAccount.get'
  | 'platform.checkout.create'
  | 'platform.checkout.confirm'
  | 'platform.balanceChecks.start'
  | 'platform.balanceChecks.confirm'
  | 'platform.vouchers.list'
  | 'platform.vouchers.get'
  | 'platform.vouchers.cancel'
  | 'platform.passport.requestConsent'
  | 'platform.passport.create'
  | 'platform.recommendations.forParticipant'
  | 'platform.communities.forParticipant'
  | 'platform.communities.join'
  | 'platform.communities.leave'
  | 'platform.webhooks.list'
  | 'platform.webhooks.create'
  | 'platform.webhooks.update'
  | 'platform.webhooks.get'
  | 'platform.webhooks.delete'
  | 'platform.webhooks.rotateSecret'
  | 'platform.webhooks.deliveries'
  | 'platform.webhooks.delivery'
  | 'platform.webhooks.replay'
  | 'platform.settlements.items'
  | 'platform.settlements.held'
  | 'platform.settlements.list'
  | 'platform.settlements.get'
  | 'platform.payoutAccount.set'
  | 'platform.payoutAccount.get'
  | 'platform.catalog.list'
  | 'platform.catalog.get'
  | 'platform.catalog.changes'
  | 'platform.reviews.submit'
  | 'platform.surveys.open'
  | 'platform.surveys.answer'
  | 'events.list'
  | 'public.schemes'
  | 'public.certificates.verify'
  | 'public.credentials.status'
  | 'public.statistics'
  | 'public.alumniStatistics'
  | 'public.errorCodes'
  | 'public.categories'
  | 'public.regions'
  | 'sandbox.clock.get'
  | 'sandbox.clock.advance'
  | 'sandbox.testCodes.issue';
expectTypeOf<Path>().toEqualTypeOf<AllProcedures>();

// The only `unknown`s left in any input: the bulk endpoints' items, which the gateway validates one by
// one and answers per item (a bad row is an ERROR result, not a refused batch), so raw rows read
// from a file are accepted as they are.
expectTypeOf<UnknownInputs>().toEqualTypeOf<
  | 'pmo.participants.import:.items[]'
  | 'provider.courses.import:.items[]'
  | 'provider.attendance.recordBulk:.items[]'
  | 'provider.completions.reportBulk:.items[]'
>();

// The 29 coerced query fields: numbers for TypeScript callers (REST's query strings are coerced).
type Limit = number | undefined;
expectTypeOf<In<'events.list'>['limit']>().toEqualTypeOf<Limit>();
expectTypeOf<In<'pmo.audit.list'>['limit']>().toEqualTypeOf<Limit>();
expectTypeOf<In<'pmo.participants.registry.list'>['limit']>().toEqualTypeOf<Limit>();
expectTypeOf<In<'pmo.cases.list'>['limit']>().toEqualTypeOf<Limit>();
expectTypeOf<In<'pmo.cases.enrollments'>['limit']>().toEqualTypeOf<Limit>();
expectTypeOf<In<'pmo.signals.implicated'>['limit']>().toEqualTypeOf<Limit>();
expectTypeOf<In<'pmo.curation.queue'>['limit']>().toEqualTypeOf<Limit>();
expectTypeOf<In<'pmo.curation.queue'>['minAgeHours']>().toEqualTypeOf<Limit>();
expectTypeOf<In<'pmo.incentives.list'>['limit']>().toEqualTypeOf<Limit>();
expectTypeOf<In<'pmo.surveys.list'>['limit']>().toEqualTypeOf<Limit>();
expectTypeOf<In<'pmo.organisations.list'>['limit']>().toEqualTypeOf<Limit>();
expectTypeOf<In<'pmo.reports.courses'>['limit']>().toEqualTypeOf<Limit>();
expectTypeOf<In<'pmo.reports.courses'>['minVouchersSold']>().toEqualTypeOf<Limit>();
expectTypeOf<In<'pmo.reports.platforms'>['limit']>().toEqualTypeOf<Limit>();
expectTypeOf<In<'pmo.reports.providers'>['limit']>().toEqualTypeOf<Limit>();
expectTypeOf<In<'pmo.reports.providers'>['minVouchersSold']>().toEqualTypeOf<Limit>();
expectTypeOf<In<'pmo.settlements.items'>['limit']>().toEqualTypeOf<Limit>();
expectTypeOf<In<'pmo.settlements.list'>['limit']>().toEqualTypeOf<Limit>();
expectTypeOf<In<'pmo.signals.list'>['limit']>().toEqualTypeOf<Limit>();
expectTypeOf<In<'pmo.signals.list'>['minScore']>().toEqualTypeOf<Limit>();
expectTypeOf<In<'pmo.webhooks.deliveries'>['limit']>().toEqualTypeOf<Limit>();
expectTypeOf<In<'platform.catalog.changes'>['limit']>().toEqualTypeOf<Limit>();
expectTypeOf<In<'platform.catalog.list'>['limit']>().toEqualTypeOf<Limit>();
expectTypeOf<In<'platform.settlements.items'>['limit']>().toEqualTypeOf<Limit>();
expectTypeOf<In<'platform.settlements.list'>['limit']>().toEqualTypeOf<Limit>();
expectTypeOf<In<'platform.vouchers.list'>['limit']>().toEqualTypeOf<Limit>();
expectTypeOf<In<'platform.webhooks.deliveries'>['limit']>().toEqualTypeOf<Limit>();
expectTypeOf<In<'provider.courses.list'>['limit']>().toEqualTypeOf<Limit>();
expectTypeOf<In<'provider.evidenceRequests.list'>['limit']>().toEqualTypeOf<Limit>();
expectTypeOf<In<'provider.runs.list'>['limit']>().toEqualTypeOf<Limit>();
expectTypeOf<In<'provider.settlements.items'>['limit']>().toEqualTypeOf<Limit>();
expectTypeOf<In<'provider.settlements.list'>['limit']>().toEqualTypeOf<Limit>();
expectTypeOf<In<'provider.webhooks.deliveries'>['limit']>().toEqualTypeOf<Limit>();
// A coerced path parameter, required: a number.
expectTypeOf<In<'public.credentials.status'>['list']>().toEqualTypeOf<number>();

// And as a caller writes it: a string limit is a compile error, a number is fine.
export async function listsTakeNumbers(
  latih: LatihClient = createLatihClient({
    baseUrl: 'http://localhost:3000',
    clientId: 'cli_x',
    clientSecret: 'lts_x',
  }),
) {
  await latih.provider.courses.list.query({ limit: 20 });
  // @ts-expect-error: limit is a number
  await latih.provider.courses.list.query({ limit: '20' });
  // @ts-expect-error: limit is a number, also through paginate
  paginate(latih.platform.vouchers.list, { limit: '50' });
  // @ts-expect-error: minScore is a number
  await latih.pmo.signals.list.query({ minScore: '80' });
  // @ts-expect-error: minAgeHours is a number
  await latih.pmo.curation.queue.query({ minAgeHours: 'a day' });
}
