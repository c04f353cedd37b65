import { schema } from '@latih/db';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { fullCourse, sessions } from '../support/catalog-fixtures';
import { engines } from '../support/db';
import { codeOf, type Harness, useHarness } from '../support/harness';

const item = (externalId: string, over: Record<string, unknown> = {}) => ({
  ...fullCourse,
  externalId,
  title: `Impor ${externalId}`,
  runs: [{ externalId: `${externalId}-r1`, capacity: 25, sessions: sessions(4, 4) }],
  ...over,
});

async function counts(h: Harness) {
  const n = async (
    t: typeof schema.courses | typeof schema.runs | typeof schema.events | typeof schema.auditLog,
  ) => (await h.db.select({ n: sql<number>`count(*)`.mapWith(Number) }).from(t))[0]?.n;
  return {
    courses: await n(schema.courses),
    runs: await n(schema.runs),
    events: await n(schema.events),
    audit: await n(schema.auditLog),
  };
}

describe.each(engines())('bulk import on %s', (engine) => {
  const h = useHarness(engine);

  it('answers per item; a dry run reports the same and writes nothing', async () => {
    const p = h.caller('providerA').provider.courses;
    await p.create({ ...fullCourse, title: 'Sudah ada di katalog' });
    const items = [
      item('A-1'),
      item('A-2', { price: 9_000_000 }),
      item('A-3', { title: 'SUDAH ADA DI KATALOG', runs: [] }),
      item('A-4', { runs: [{ externalId: 'A-4-r1', capacity: 10, sessions: sessions(3, 4) }] }),
      { title: 'no external id' },
      item('A-1'),
    ];
    const before = await counts(h);
    const dry = await p.import({ items, dryRun: true });
    expect(await counts(h)).toEqual(before);
    const expected = [
      { index: 0, externalId: 'A-1', status: 'CREATED', error: null },
      { index: 1, status: 'ERROR', error: { code: 'SCHEME_PRICE_ABOVE_BALANCE', field: 'price' } },
      { index: 2, status: 'ERROR', error: { code: 'DUPLICATE_COURSE', field: 'title' } },
      { index: 3, status: 'ERROR', error: { code: 'SESSION_HOURS_MISMATCH', field: 'runs.0.sessions' } },
      { index: 4, externalId: null, status: 'ERROR', error: { code: 'VALIDATION_FAILED' } },
      { index: 5, status: 'ERROR', error: { code: 'EXTERNAL_ID_TAKEN', field: 'externalId' } },
    ];
    expect(dry).toMatchObject({ dryRun: true, summary: { created: 1, error: 5 }, results: expected });

    const real = await p.import({ items });
    expect(real).toMatchObject({ dryRun: false, summary: { created: 1, error: 5 }, results: expected });
    const after = await counts(h);
    // One course and its run, with their audit rows and events; nothing of the failed items.
    expect(after.courses).toBe((before.courses ?? 0) + 1);
    expect(after.runs).toBe((before.runs ?? 0) + 1);
    const created = real.results[0];
    const course = await p.get({ id: created?.courseId ?? '' });
    expect(course).toMatchObject({ externalId: 'A-1', status: 'DRAFT', title: 'Impor A-1' });
    expect(created?.runIds).toHaveLength(1);
  });

  it('re-import upserts on externalId: unchanged, updated in place, or a revision once published', async () => {
    const p = h.caller('providerB').provider;
    const first = await p.courses.import({ items: [item('B-1')] });
    const id = first.results[0]?.courseId ?? '';
    expect((await p.courses.import({ items: [item('B-1')] })).results[0]).toMatchObject({
      status: 'UNCHANGED',
      courseId: id,
    });

    const changed = await p.courses.import({
      items: [item('B-1', { summary: 'Ringkasan yang diperbarui lewat impor' })],
    });
    expect(changed.results[0]).toMatchObject({ status: 'UPDATED', courseId: id });
    expect((await p.courses.get({ id })).summary).toBe('Ringkasan yang diperbarui lewat impor');

    const moved = await p.courses.import({
      items: [
        item('B-1', {
          summary: 'Ringkasan yang diperbarui lewat impor',
          runs: [{ externalId: 'B-1-r1', capacity: 40, sessions: sessions(4, 4) }],
        }),
      ],
    });
    expect(moved.results[0]).toMatchObject({ status: 'UPDATED' });
    expect((await p.runs.list({ courseId: id })).items[0]?.capacity).toBe(40);

    await p.courses.submit({ id });
    await h.caller('pmo').pmo.curation.approve({ id });
    const revised = await p.courses.import({ items: [item('B-1', { price: 1_250_000 })] });
    expect(revised.results[0]).toMatchObject({ status: 'REVISION', courseId: id });
    const course = await p.courses.get({ id });
    expect(course).toMatchObject({
      status: 'PUBLISHED',
      price: 1_500_000,
      pendingRevision: { content: { price: 1_250_000 } },
    });
  });

  it('another provider’s externalIds are its own', async () => {
    await h.caller('providerA').provider.courses.import({ items: [item('SHARED-1')] });
    const r = await h.caller('providerB').provider.courses.import({ items: [item('SHARED-1')] });
    expect(r.results[0]).toMatchObject({ status: 'CREATED' });
  });

  it('takes 1 000 items in one call and refuses 1 001', async () => {
    const items = Array.from({ length: 1000 }, (_, i) =>
      item(`BULK-${i}`, {
        title: `Kursus massal nomor ${i}`,
        runs: i % 10 === 0 ? [{ externalId: `BULK-${i}-r`, capacity: 30, sessions: sessions(2, 8) }] : [],
      }),
    );
    const r = await h.caller('providerA').provider.courses.import({ items, dryRun: true });
    expect(r.summary).toMatchObject({ created: 1000, error: 0 });
    const over = await h
      .caller('providerA')
      .provider.courses.import({ items: [...items, item('ONE-TOO-MANY')], dryRun: true })
      .catch((e: unknown) => e);
    expect(codeOf(over)).toBe('VALIDATION_FAILED');
  });
});
