import { publishedCourse } from './catalog-fixtures';
import type { Harness } from './harness';

let serial = 1;
let card = 6_000_000_000;

/** Imports `n` participants (2023 scheme unless given) and returns their card numbers and ids. */
export async function participants(h: Harness, n: number, opts: { schemeId?: string } = {}) {
  const items = Array.from({ length: n }, () => {
    const s = serial++;
    return {
      nik: `327301170895${String(s).padStart(4, '0')}`,
      cardNumber: `7${String(card++).padStart(15, '0')}`,
      name: `Peserta Uji ${s}`,
      gender: 'M',
      birthDate: '1995-08-17',
      regencyCode: '32.73',
    };
  });
  const r = await h
    .caller('pmo')
    .pmo.participants.import({ cohort: 90, items, ...(opts.schemeId ? { schemeId: opts.schemeId } : {}) });
  return r.results.map((x, i) => {
    if (x.status !== 'CREATED' || !x.participantId)
      throw new Error(`participant ${i} not created: ${JSON.stringify(x.error)}`);
    return { id: x.participantId, cardNumber: items[i]?.cardNumber ?? '' };
  });
}

/** A published course with one OPEN run (capacity as given). */
export async function onSale(
  h: Harness,
  opts: { capacity?: number; price?: number; who?: 'providerA' | 'providerB'; startDay?: number } = {},
) {
  const { course, run } = await publishedCourse(
    h,
    opts.who ?? 'providerA',
    { ...(opts.price ? { price: opts.price } : {}) },
    opts.startDay,
  );
  if (opts.capacity !== undefined)
    await h.caller(opts.who ?? 'providerA').provider.runs.update({ id: run.id, capacity: opts.capacity });
  await h.caller(opts.who ?? 'providerA').provider.runs.open({ id: run.id });
  return { course, run };
}

/** Create + confirm with the code the participant received. */
export async function buy(h: Harness, cardNumber: string, courseId: string, runId?: string) {
  const platform = h.caller('platformA').platform.checkout;
  const checkout = await platform.create({ cardNumber, courseId, ...(runId ? { runId } : {}) });
  return platform.confirm({ id: checkout.id, code: h.otp.read(checkout.id) ?? '' });
}
