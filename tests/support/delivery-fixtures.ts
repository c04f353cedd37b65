import { createHash } from 'node:crypto';
import type { Harness } from './harness';
import { buy, onSale, participants } from './marketplace-fixtures';

/** `n` participants redeemed into one run (4 sessions of 4 h; 100 % attendance, assignment, post-test ≥ 70). */
export async function enrolled(h: Harness, n: number, opts: { startDay?: number } = {}) {
  const people = await participants(h, n);
  const { course, run } = await onSale(h, opts.startDay !== undefined ? { startDay: opts.startDay } : {});
  const codes = [];
  for (const p of people) codes.push((await buy(h, p.cardNumber, course.id, run.id)).code);
  const startsAt = new Date(
    (await h.caller('providerA').provider.runs.get({ id: run.id })).sessions[0]?.startsAt ?? 0,
  );
  h.clock.set(new Date(startsAt.getTime() - 10 * 60_000));
  const ids = [];
  for (const code of codes)
    ids.push(
      (await h.caller('providerA').provider.vouchers.redeem({ code, courseId: course.id, runId: run.id })).id,
    );
  return { ids, course, run };
}

export const present = (enrollmentId: string, sequence: number) => ({
  enrollmentId,
  sequence,
  status: 'CONFIRMED' as const,
  method: 'VENUE_QR' as const,
  deviceId: `gate-${sequence}`,
  ip: '10.1.2.3',
});

/** Meets the rule of `enrolled`'s course (all sessions, assignment, post-test 85) and reports COMPLETED. */
export async function complete(h: Harness, enrollmentId: string) {
  const p = h.caller('providerA').provider;
  await p.attendance.recordBulk({ items: [1, 2, 3, 4].map((n) => present(enrollmentId, n)) });
  await p.assignments.submit({
    enrollmentId,
    url: 'https://drive.example.id/tugas/hasil.mp4',
    contentHash: `sha256:${createHash('sha256').update(enrollmentId).digest('hex')}`,
  });
  await p.postTests.record({ enrollmentId, score: 85 });
  return p.completions.report({ enrollmentId, outcome: 'COMPLETED' });
}
