import type { TCatalogCourse } from '@latih/contracts';
import {
  type Actor,
  approveInTransaction,
  changeCourseSuspension,
  changeOrganisationSuspension,
  createOrganisationWithClient,
  renderCatalogEntries,
  withdrawInTransaction,
} from '@latih/core';
import { type Db, execRows } from '@latih/db';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { fullCourse, sessions } from '../support/catalog-fixtures';
import { postgresAvailable } from '../support/db';
import { feedsCaughtUp, feedsServe } from '../support/feed-horizon';
import { codeOf, type Harness, useHarness } from '../support/harness';

/**
 * Whether a course is on sale depends on two rows, the course's and its provider's, written by
 * different transactions. The feed serves each change row with the course's state at read time, so
 * after any two such writes commit, some change row for the course must be read after both. These
 * tests force each order of two such transactions on real PostgreSQL (PGlite runs one transaction
 * at a time, so it cannot interleave them) with a storefront polling the feed between every step.
 */

const PROVIDER_SCOPES = ['catalog:read', 'catalog:write'] as const;

type Provider = { id: string; actor: Actor; api: ReturnType<Harness['caller']> };

let serial = 0;

async function freshProvider(h: Harness): Promise<Provider> {
  serial++;
  const org = await createOrganisationWithClient(h.database.db, {
    kind: 'PROVIDER',
    name: `Lembaga Uji Antrean ${serial}`,
  });
  const actor: Actor = {
    organisationId: org.organisationId,
    role: 'provider',
    clientId: org.clientId,
    scopes: [...PROVIDER_SCOPES],
  };
  const token = h.tokens.issue(actor).token;
  return { id: org.organisationId, actor, api: h.session(null, { authorization: `Bearer ${token}` }).api };
}

function pmoActor(h: Harness): Actor {
  return {
    organisationId: h.orgs.pmo.organisationId,
    role: 'pmo',
    clientId: h.orgs.pmo.clientId,
    scopes: ['pmo:read', 'pmo:write', 'catalog:read'],
  };
}

/** A course with one run, submitted: IN_REVIEW. */
async function inReview(p: Provider): Promise<{ id: string; runId: string }> {
  serial++;
  const course = await p.api.provider.courses.create({
    ...fullCourse,
    title: `${fullCourse.title} ${serial}`,
  });
  const run = await p.api.provider.runs.create({
    courseId: course.id,
    capacity: 20,
    sessions: sessions(4, 4),
  });
  await p.api.provider.courses.submit({ id: course.id });
  return { id: course.id, runId: run.id };
}

/** A course on sale: approved, its run open. */
async function onSale(h: Harness, p: Provider): Promise<string> {
  const c = await inReview(p);
  await h.caller('pmo').pmo.curation.approve({ id: c.id });
  await p.api.provider.runs.open({ id: c.runId });
  return c.id;
}

/** A storefront that follows the feed from its stored cursor, as the marketplace-sync guide does. */
function storefront(h: Harness) {
  const courses = new Map<string, TCatalogCourse>();
  let cursor: string | undefined;
  return {
    courses,
    async poll() {
      for (;;) {
        // catalog.render stores a few courses first, as the job may have at any moment: pages then
        // mix stored courses with ones the feed renders itself (docs/adr/0009), and the storefront
        // must still end up equal to the catalog.
        await renderCatalogEntries({ db: h.db, max: 3 });
        const page = await h
          .caller('platformA')
          .platform.catalog.changes({ limit: 500, ...(cursor ? { since: cursor } : {}) });
        for (const c of page.changes) {
          if (c.type === 'UPSERT' && c.course) courses.set(c.courseId, c.course);
          else courses.delete(c.courseId);
        }
        cursor = page.nextCursor;
        if (!page.hasMore) return;
      }
    },
    /** Polls once every transaction that committed before this call can be served. */
    async catchUp() {
      await feedsCaughtUp(h.db);
      await this.poll();
    },
  };
}

/** Everything `platform.catalog.list` has on sale, by id. */
async function catalog(h: Harness): Promise<Map<string, TCatalogCourse>> {
  const all = new Map<string, TCatalogCourse>();
  let cursor: string | undefined;
  for (;;) {
    const page = await h
      .caller('platformA')
      .platform.catalog.list({ limit: 100, ...(cursor ? { cursor } : {}) });
    for (const c of page.items) all.set(c.id, c);
    if (!page.nextCursor) return all;
    cursor = page.nextCursor;
  }
}

async function expectStorefrontIsCatalog(h: Harness, store: ReturnType<typeof storefront>) {
  const shown = await catalog(h);
  expect([...store.courses.keys()].sort()).toEqual([...shown.keys()].sort());
  for (const [id, course] of shown) expect(store.courses.get(id)).toEqual(course);
}

/** The course as `platform.catalog.get` answers it, or NOT_FOUND. */
async function getCourse(h: Harness, id: string): Promise<TCatalogCourse | string | undefined> {
  return h
    .caller('platformA')
    .platform.catalog.get({ id })
    .catch((e: unknown) => codeOf(e));
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Handled here so that a failure is reported where the test awaits it, not as an unhandled one.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/**
 * A transaction on its own pooled connection that runs `steps`, then stays open until released:
 * the test decides when it commits.
 */
function hold(db: Db, steps: (tx: Db) => Promise<unknown>) {
  const pid = deferred<number>();
  const xid = deferred<string>();
  const stepped = deferred<void>();
  const gate = deferred<void>();
  let state: 'running' | 'stepped' | 'failed' = 'running';
  const done = db.transaction(async (tx) => {
    const [row] = await execRows<{ pid: number | string }>(tx, sql`select pg_backend_pid() as pid`);
    pid.resolve(Number(row?.pid));
    await steps(tx);
    const [own] = await execRows<{ xid: string }>(tx, sql`select pg_current_xact_id()::text as xid`);
    xid.resolve(own?.xid ?? '0');
    state = 'stepped';
    stepped.resolve();
    await gate.promise;
  });
  done.catch((e: unknown) => {
    state = 'failed';
    pid.reject(e);
    xid.reject(e);
    stepped.reject(e);
  });
  return {
    pid: pid.promise,
    xid: xid.promise,
    stepped: stepped.promise,
    state: () => state,
    release: () => gate.resolve(),
    done,
  };
}

type Held = ReturnType<typeof hold>;

/**
 * Waits until `t` has either finished its steps or is waiting for a lock held by `other`'s backend
 * (as PostgreSQL's pg_blocking_pids reports it): the point where the interleaving is fixed.
 */
async function steppedOrBlockedBy(h: Harness, t: Held, other: Held): Promise<'stepped' | 'blocked'> {
  const [pid, otherPid] = [await t.pid, await other.pid];
  for (;;) {
    if (t.state() === 'stepped') return 'stepped';
    if (t.state() === 'failed') await t.stepped;
    const [row] = await execRows<{ blocked: boolean }>(
      h.database.db,
      sql`select ${otherPid}::int = any(pg_blocking_pids(${pid}::int)) as blocked`,
    );
    if (row?.blocked) return 'blocked';
    await new Promise((r) => setTimeout(r, 5));
  }
}

type Step = (tx: Db) => Promise<unknown>;

/**
 * `first` runs its steps and stays open; `second` starts and either finishes its steps or waits
 * for `first`; `first` commits; `second` finishes and commits. The storefront polls between every
 * step, as a storefront polling often would. Answers what `second` did while `first` was open.
 */
async function interleave(
  h: Harness,
  store: ReturnType<typeof storefront>,
  first: Step,
  second: Step,
): Promise<'stepped' | 'blocked'> {
  const a = hold(h.database.db, first);
  await a.stepped;
  const b = hold(h.database.db, second);
  const meanwhile = await steppedOrBlockedBy(h, b, a);
  await store.poll();
  a.release();
  await a.done;
  // The poll that hands out `first`'s change row while `second` is still open (`second` took its
  // transaction id after `first`, so it does not hold `first`'s row back).
  await feedsServe(h.db, await a.xid);
  await store.poll();
  await b.stepped;
  await store.poll();
  b.release();
  await b.done;
  await store.catchUp();
  return meanwhile;
}

type CourseWrite = 'approve' | 'approve revision' | 'suspend course' | 'reinstate course' | 'withdraw';
type ProviderChange = 'suspend' | 'reinstate';

/** Prepares the course each write starts from, and the write itself as a transaction step. */
async function courseWrite(h: Harness, p: Provider, write: CourseWrite) {
  const pmo = pmoActor(h);
  const now = new Date();
  let id: string;
  if (write === 'approve') id = (await inReview(p)).id;
  else id = await onSale(h, p);
  if (write === 'approve revision') {
    await p.api.provider.courses.update({ id, summary: `Ringkasan yang diperbarui untuk uji ${serial}` });
    await p.api.provider.courses.submit({ id });
  }
  if (write === 'reinstate course')
    await h.caller('pmo').pmo.curation.suspend({ id, reason: 'Menunggu klarifikasi' });
  const step: Step = (tx) => {
    switch (write) {
      case 'approve':
      case 'approve revision':
        return approveInTransaction(tx, { actor: pmo, requestId: null, id, note: '', now });
      case 'suspend course':
      case 'reinstate course':
        return changeCourseSuspension(tx, {
          actor: pmo,
          requestId: null,
          id,
          reason: 'Uji antrean',
          suspended: write === 'suspend course',
          now,
        });
      case 'withdraw':
        return withdrawInTransaction(tx, { actor: p.actor, requestId: null, id, now });
    }
  };
  // Whether the course is on sale once the write is done, if the provider is ACTIVE.
  const onSaleAfter = write === 'approve' || write === 'approve revision' || write === 'reinstate course';
  return { id, step, onSaleAfter };
}

function providerStep(h: Harness, p: Provider, change: ProviderChange): Step {
  return (tx) =>
    changeOrganisationSuspension(tx, {
      actor: pmoActor(h),
      requestId: null,
      id: p.id,
      reason: 'Uji antrean',
      suspended: change === 'suspend',
      now: new Date(),
    });
}

const WRITES: CourseWrite[] = [
  'approve',
  'approve revision',
  'suspend course',
  'reinstate course',
  'withdraw',
];
const CHANGES: ProviderChange[] = ['suspend', 'reinstate'];
const ORDERS = ['course write first', 'provider change first'] as const;

describe.runIf(postgresAvailable())('catalog visibility decided by two rows, on real PostgreSQL', () => {
  const h = useHarness('postgres', { poolSize: 8 });

  describe.each(CHANGES)('provider %s', (change) => {
    it.each(WRITES.flatMap((w) => ORDERS.map((o) => [w, o] as const)))(
      'racing %s, %s: the storefront ends equal to the catalog',
      async (write, order) => {
        const p = await freshProvider(h);
        // A course already on sale: the provider change re-announces it.
        const bystander = await onSale(h, p);
        const course = await courseWrite(h, p, write);
        if (change === 'reinstate')
          await h.caller('pmo').pmo.organisations.suspend({ id: p.id, reason: 'Dugaan kehadiran fiktif' });
        const store = storefront(h);
        await store.catchUp();
        await expectStorefrontIsCatalog(h, store);

        const provider = providerStep(h, p, change);
        if (order === 'course write first') await interleave(h, store, course.step, provider);
        else await interleave(h, store, provider, course.step);

        const providerActive = change === 'reinstate';
        expect(store.courses.has(course.id)).toBe(providerActive && course.onSaleAfter);
        expect(store.courses.has(bystander)).toBe(providerActive);
        expect(await getCourse(h, course.id)).toEqual(store.courses.get(course.id) ?? 'NOT_FOUND');
        await expectStorefrontIsCatalog(h, store);
      },
    );
  });

  it('20 rounds of approvals racing a suspension or a reinstatement through the API end consistent', async () => {
    const store = storefront(h);
    await store.catchUp();
    for (let round = 0; round < 20; round++) {
      const p = await freshProvider(h);
      const bystander = await onSale(h, p);
      const ids = [(await inReview(p)).id, (await inReview(p)).id, (await inReview(p)).id];
      const suspend = round % 2 === 0;
      if (!suspend)
        await h.caller('pmo').pmo.organisations.suspend({ id: p.id, reason: 'Dugaan kehadiran fiktif' });
      await store.catchUp();
      const pmo = h.caller('pmo').pmo;
      let racing = true;
      const writes = Promise.all([
        ...ids.map((id) => pmo.curation.approve({ id })),
        suspend
          ? pmo.organisations.suspend({ id: p.id, reason: 'Dugaan kehadiran fiktif' })
          : pmo.organisations.reinstate({ id: p.id, reason: 'Klarifikasi diterima' }),
      ]).finally(() => {
        racing = false;
      });
      // A storefront polling as fast as it can while the writes race.
      const poller = (async () => {
        while (racing) await store.poll();
      })();
      await writes;
      await poller;
      await store.catchUp();
      for (const id of [...ids, bystander]) expect(store.courses.has(id)).toBe(!suspend);
      await expectStorefrontIsCatalog(h, store);
    }
  });
});
