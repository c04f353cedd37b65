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
  await attendAll(h, enrollmentId);
  await p.assignments.submit({
    enrollmentId,
    url: 'https://drive.example.id/tugas/hasil.mp4',
    contentHash: `sha256:${createHash('sha256').update(enrollmentId).digest('hex')}`,
  });
  await p.postTests.record({ enrollmentId, score: 85 });
  return p.completions.report({ enrollmentId, outcome: 'COMPLETED' });
}

/**
 * Every session of the enrollment's run attended, each recorded as it takes place: the clock is
 * set five minutes into each session in turn (attendance cannot be recorded before a session
 * opens), then put back where it was. Throws if any record was refused.
 */
export async function attendAll(
  h: Harness,
  enrollmentId: string,
  who: 'providerA' | 'providerB' = 'providerA',
) {
  const e = await h.caller(who).provider.enrollments.get({ id: enrollmentId });
  const before = h.services.now();
  for (const s of e.attendance) {
    const at = new Date(Date.parse(s.startsAt) + 5 * 60_000);
    if (at.getTime() > h.services.now()) h.clock.set(at);
    const r = await h
      .caller(who)
      .provider.attendance.recordBulk({ items: [present(enrollmentId, s.sequence)] });
    if (r.summary.refused > 0) throw new Error(`attendance ${s.sequence}: ${JSON.stringify(r.results)}`);
  }
  h.clock.set(new Date(before));
}

/** Sets the clock five minutes into the enrollment's last session: every session has opened. */
export async function classHeld(
  h: Harness,
  enrollmentId: string,
  who: 'providerA' | 'providerB' = 'providerA',
) {
  const e = await h.caller(who).provider.enrollments.get({ id: enrollmentId });
  const last = e.attendance.at(-1);
  if (last) h.clock.set(new Date(Date.parse(last.startsAt) + 5 * 60_000));
}
