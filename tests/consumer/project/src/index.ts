// An ESM consumer: what a provider's integration looks like, type-checked with skipLibCheck off.
import {
  createLatihClient,
  isLatihError,
  type LatihError,
  type LatihErrorCode,
  paginate,
  type TCourse,
  type TCreateCourseInput,
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
