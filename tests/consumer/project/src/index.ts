// An ESM consumer: what a provider's integration looks like, type-checked with skipLibCheck off.
import {
  advanceSandboxClock,
  createLatihClient,
  createLatihConsoleClient,
  type FeedBatch,
  followFeed,
  isLatihError,
  LatihClockTimeoutError,
  type LatihError,
  type LatihErrorCode,
  paginate,
  type TCatalogChange,
  type TCourse,
  type TCreateCourseInput,
  type TEvent,
  type TTestClock,
} from '@latih/sdk';
import { expectTypeOf } from 'expect-type';

const latih = createLatihClient({
  baseUrl: 'http://localhost:3000',
  clientId: 'cli_x',
  clientSecret: 'lts_x',
});

type CreateInput = Parameters<typeof latih.provider.courses.create.mutate>[0];
type Created = Awaited<ReturnType<typeof latih.provider.courses.create.mutate>>;
type Got = Awaited<ReturnType<typeof latih.provider.courses.get.query>>;
type Page = Awaited<ReturnType<typeof latih.pmo.organisations.list.query>>;

expectTypeOf<CreateInput>().not.toBeAny();
expectTypeOf<CreateInput>().toEqualTypeOf<TCreateCourseInput>();
expectTypeOf<CreateInput['title']>().toEqualTypeOf<string>();
expectTypeOf<CreateInput['mode']>().toEqualTypeOf<'SELF_PACED' | 'WEBINAR' | 'LURING' | 'HYBRID'>();
expectTypeOf<Created>().not.toBeAny();
expectTypeOf<Created>().toEqualTypeOf<TCourse>();
expectTypeOf<Got['price']>().toEqualTypeOf<number>();
expectTypeOf<Got['status']>().toEqualTypeOf<
  'DRAFT' | 'IN_REVIEW' | 'PUBLISHED' | 'REJECTED' | 'SUSPENDED' | 'WITHDRAWN'
>();
expectTypeOf<Page['items'][number]['kind']>().toEqualTypeOf<'PMO' | 'PROVIDER' | 'PLATFORM'>();
expectTypeOf<Page['nextCursor']>().toEqualTypeOf<string | null>();
expectTypeOf<LatihError['code']>().not.toBeAny();
expectTypeOf<'IDEMPOTENCY_KEY_REUSED'>().toExtend<LatihErrorCode>();
expectTypeOf<'NOT_A_CODE'>().not.toExtend<LatihErrorCode>();

export async function publish(): Promise<string | undefined> {
  try {
    const course = await latih.provider.courses.create.mutate(
      {
        title: 'Keripik Pisang',
        summary: 'Usaha rumahan keripik pisang',
        category: 'food-processing',
        mode: 'LURING',
        hours: 16,
        price: 1_500_000,
      },
      { context: { idempotencyKey: 'course-import-1' } },
    );
    // @ts-expect-error: price is an integer number of rupiah, not a string
    await latih.provider.courses.create.mutate({ ...course, price: '1500000' });
    // @ts-expect-error: no such procedure
    await latih.provider.courses.destroy.mutate({ id: course.id });
    return course.id;
  } catch (err) {
    if (isLatihError(err) && err.code === 'NOT_FOUND') return undefined;
    throw err;
  }
}

type CatalogCourse = Awaited<ReturnType<typeof latih.platform.catalog.get.query>>;
expectTypeOf<CatalogCourse['runs'][number]['availability']>().toEqualTypeOf<
  'AVAILABLE' | 'LIMITED' | 'FULL'
>();
expectTypeOf<CatalogCourse['runs'][number]['sessions'][number]>().not.toHaveProperty('meetingUrl');
type ImportResult = Awaited<ReturnType<typeof latih.provider.courses.import.mutate>>['results'][number];
expectTypeOf<ImportResult['status']>().toEqualTypeOf<
  'CREATED' | 'UPDATED' | 'REVISION' | 'UNCHANGED' | 'ERROR'
>();

// The SDK's own helpers: the catalog feed as batches, and any list as an async iterator.
export async function storefront(): Promise<number> {
  const titles = new Map<string, string>();
  for await (const batch of latih.catalog.sync({ limit: 100 })) {
    expectTypeOf(batch.cursor).toEqualTypeOf<string>();
    for (const change of batch.changes) {
      expectTypeOf(change.type).toEqualTypeOf<'UPSERT' | 'TOMBSTONE'>();
      if (change.course) titles.set(change.courseId, change.course.title);
    }
  }
  for await (const v of paginate(latih.platform.vouchers.list, { status: 'ISSUED' })) {
    expectTypeOf(v.codeLast4).toEqualTypeOf<string>();
  }
  return titles.size;
}

// Finite lists and feeds are told apart by their types. A list's cursor runs out (null on its last
// page); a feed's never does (it answers hasMore), so paginate would call it forever.
type EventsPage = Awaited<ReturnType<typeof latih.events.list.query>>;
expectTypeOf<EventsPage['nextCursor']>().toEqualTypeOf<string>();
expectTypeOf<EventsPage['hasMore']>().toEqualTypeOf<boolean>();
type VouchersPage = Awaited<ReturnType<typeof latih.platform.vouchers.list.query>>;
expectTypeOf<VouchersPage['nextCursor']>().toEqualTypeOf<string | null>();

export async function feeds(signal: AbortSignal, stored: string | undefined): Promise<string | undefined> {
  // @ts-expect-error: events.list is a feed, not a finite list: paginate refuses it
  paginate(latih.events.list);
  // @ts-expect-error: the catalog change feed is a feed too
  paginate(latih.platform.catalog.changes);
  // @ts-expect-error: and followFeed takes feeds only, not finite lists
  followFeed(latih.platform.vouchers.list);

  let cursor = stored;
  for await (const batch of followFeed(
    latih.events.list,
    { ...(cursor ? { cursor } : {}), types: ['voucher.issued'] },
    { follow: true, pollIntervalMs: 10_000, signal },
  )) {
    expectTypeOf(batch).toEqualTypeOf<FeedBatch<TEvent>>();
    expectTypeOf(batch.hasMore).toEqualTypeOf<boolean>();
    cursor = batch.cursor;
  }
  for await (const batch of followFeed(latih.platform.catalog.changes, { limit: 500 })) {
    expectTypeOf(batch.items).toEqualTypeOf<TCatalogChange[]>();
    // @ts-expect-error: the catalog feed's cursor parameter is `since`
    followFeed(latih.platform.catalog.changes, { cursor: batch.cursor });
  }
  return cursor;
}

// The sandbox clock: moved forward and awaited until every scheduled job ran at the new time.
export async function nextNight(signal: AbortSignal): Promise<string> {
  const ready = await advanceSandboxClock(latih, { seconds: 86_400 });
  expectTypeOf(ready).toEqualTypeOf<TTestClock>();
  expectTypeOf(ready.status).toEqualTypeOf<'READY' | 'ADVANCING'>();
  await advanceSandboxClock(latih, { to: new Date('2027-01-05T18:30:00.000Z') }, { pollIntervalMs: 500 });
  try {
    await advanceSandboxClock(latih, { to: '2027-02-05T18:30:00.000Z' }, { timeoutMs: 60_000, signal });
  } catch (err) {
    if (err instanceof LatihClockTimeoutError) expectTypeOf(err.clock).toEqualTypeOf<TTestClock>();
    throw err;
  }
  // The console's client has the same sandbox procedures.
  await advanceSandboxClock(createLatihConsoleClient({ csrfToken: () => 'x' }), { seconds: 60 });
  // @ts-expect-error: either `to` or `seconds`, and seconds is a number
  await advanceSandboxClock(latih, { seconds: '60' });
  // @ts-expect-error: a target is required
  await advanceSandboxClock(latih, {});
  // @ts-expect-error: the first argument is a Latih client
  await advanceSandboxClock({}, { seconds: 60 });
  return (await latih.sandbox.clock.get.query()).now;
}
