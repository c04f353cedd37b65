import { AppError } from '@latih/contracts';
import { describe, expect, it } from 'vitest';
import { fullCourse, publishedCourse, sessions } from '../support/catalog-fixtures';
import { engines } from '../support/db';
import { useHarness } from '../support/harness';
import { onSale, participants } from '../support/marketplace-fixtures';

/** What a caller sees of a refusal, with the id it named taken out of the message. */
async function answer(call: Promise<unknown>, id: string) {
  try {
    await call;
    return 'OK';
  } catch (err) {
    const app = (err as { cause?: unknown }).cause;
    if (!(app instanceof AppError)) throw err;
    return {
      code: app.code,
      status: app.status,
      field: app.field,
      message: app.message.replaceAll(id, '<id>'),
    };
  }
}

// Well formed, never issued.
const UNKNOWN_COURSE = 'crs_01jz8k6d3v7m2r5w9x4q1t0abc';
const UNKNOWN_RUN = 'run_01jz8k6d3v7m2r5w9x4q1t0abc';

describe.each(engines())("another provider's unpublished course, as a platform sees it, on %s", (engine) => {
  const h = useHarness(engine);

  it('answers checkout and the catalog exactly as for an unknown id, in every state before publication', async () => {
    const [p] = await participants(h, 1);
    const card = p?.cardNumber ?? '';
    const provider = h.caller('providerB').provider;
    const platform = h.caller('platformA').platform;
    const course = async (title: string, submit: boolean) => {
      const c = await provider.courses.create({ ...fullCourse, title });
      await provider.runs.create({ courseId: c.id, capacity: 10, sessions: sessions(4, 4) });
      if (submit) await provider.courses.submit({ id: c.id });
      return c;
    };
    const draft = await course('Masih draf', false);
    const inReview = await course('Sedang ditinjau', true);
    const rejected = await course('Ditolak', true);
    await h
      .caller('pmo')
      .pmo.curation.reject({ id: rejected.id, reasons: ['QUALITY'], note: 'Kurang rinci' });
    const withdrawn = await course('Ditarik sebelum terbit', false);
    await provider.courses.withdraw({ id: withdrawn.id });

    const unknownCheckout = await answer(
      platform.checkout.create({ cardNumber: card, courseId: UNKNOWN_COURSE }),
      UNKNOWN_COURSE,
    );
    const unknownCatalog = await answer(platform.catalog.get({ id: UNKNOWN_COURSE }), UNKNOWN_COURSE);
    expect(unknownCheckout).toMatchObject({ code: 'NOT_FOUND', status: 404, field: 'courseId' });
    expect(unknownCatalog).toMatchObject({ code: 'NOT_FOUND', status: 404 });

    for (const c of [draft, inReview, rejected, withdrawn]) {
      const state = (await h.caller('providerB').provider.courses.get({ id: c.id })).status;
      expect([
        state,
        await answer(platform.checkout.create({ cardNumber: card, courseId: c.id }), c.id),
      ]).toEqual([state, unknownCheckout]);
      expect([state, await answer(platform.catalog.get({ id: c.id }), c.id)]).toEqual([
        state,
        unknownCatalog,
      ]);
    }
  });

  it('answers a run that was never opened as an unknown run; one that was on sale says why it no longer is', async () => {
    const [p] = await participants(h, 1);
    const card = p?.cardNumber ?? '';
    const checkout = h.caller('platformA').platform.checkout;
    const { course, run: scheduled } = await publishedCourse(h, 'providerB');
    const opened = await h.caller('providerB').provider.runs.create({
      courseId: course.id,
      capacity: 10,
      sessions: sessions(4, 4, { startDay: 40 }),
    });
    await h.caller('providerB').provider.runs.open({ id: opened.id });

    const unknownRun = await answer(
      checkout.create({ cardNumber: card, courseId: course.id, runId: UNKNOWN_RUN }),
      UNKNOWN_RUN,
    );
    expect(unknownRun).toMatchObject({ code: 'NOT_FOUND', status: 404, field: 'runId' });
    expect(
      await answer(
        checkout.create({ cardNumber: card, courseId: course.id, runId: scheduled.id }),
        scheduled.id,
      ),
    ).toEqual(unknownRun);

    // Once on sale, platforms saw it in the catalog and its feed: the answer may say why it is not now.
    const { course: suspended, run } = await onSale(h, { who: 'providerB' });
    await h.caller('pmo').pmo.curation.suspend({ id: suspended.id, reason: 'Menunggu klarifikasi' });
    expect(
      await answer(
        checkout.create({ cardNumber: card, courseId: suspended.id, runId: run.id }),
        suspended.id,
      ),
    ).toMatchObject({
      code: 'COURSE_NOT_ON_SALE',
      field: 'courseId',
    });
    await h.caller('providerB').provider.runs.cancel({ id: opened.id, reason: 'Instruktur berhalangan' });
    expect(
      await answer(checkout.create({ cardNumber: card, courseId: course.id, runId: opened.id }), opened.id),
    ).toMatchObject({
      code: 'RUN_CANCELLED',
      field: 'runId',
    });
  });
});
