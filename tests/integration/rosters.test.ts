import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { engines } from '../support/db';
import { classHeld, complete, enrolled, present } from '../support/delivery-fixtures';
import { codeOf, useHarness } from '../support/harness';

/*
 * provider.enrollments.*: a provider's class rosters. Its own enrollments only; each row says what
 * the course's completion rule still needs; a session's register; the whole record of one.
 */
describe.each(engines())('class rosters on %s', (engine) => {
  const h = useHarness(engine);

  it('lists a run’s class with what each still needs, a session’s register, paged; another provider sees none of it', async () => {
    try {
      const { ids, course, run } = await enrolled(h, 5);
      const [a = '', b = '', c = '', d = ''] = ids;
      const p = h.caller('providerA').provider;
      // a: complete; b: two sessions and the task; c: all sessions, no post-test; d: session 1 rejected.
      await complete(h, a);
      // The class has been held: registers entered after its last session began.
      await classHeld(h, b);
      await p.attendance.recordBulk({ items: [present(b, 1), present(b, 2)] });
      await p.assignments.submit({
        enrollmentId: b,
        url: 'https://drive.example.id/tugas/b.mp4',
        contentHash: `sha256:${createHash('sha256').update(b).digest('hex')}`,
      });
      await p.attendance.recordBulk({ items: [1, 2, 3, 4].map((n) => present(c, n)) });
      await p.attendance.record({ ...present(d, 1), status: 'REJECTED' });

      const all = await p.enrollments.list({ runId: run.id, limit: 100 });
      expect(all.items).toHaveLength(5);
      expect(all.nextCursor).toBeNull();
      const row = (id: string) => all.items.find((i) => i.enrollmentId === id);
      expect(row(a)).toMatchObject({ status: 'COMPLETED', missing: [], sessions: 4, sessionsConfirmed: 4 });
      expect(row(b)).toMatchObject({
        status: 'IN_TRAINING',
        sessionsConfirmed: 2,
        attendancePercent: 50,
        missing: ['ATTENDANCE_INCOMPLETE', 'POST_TEST_FAILED'],
      });
      expect(row(c)?.missing).toEqual(['ASSIGNMENT_MISSING', 'POST_TEST_FAILED']);
      expect(row(d)?.missing).toEqual(['ATTENDANCE_INCOMPLETE', 'ASSIGNMENT_MISSING', 'POST_TEST_FAILED']);
      expect(row(a)?.participant.name).toBeTruthy();
      expect(JSON.stringify(all)).not.toMatch(/nik|cardNumber/i);

      // Session 1's register: who was there, how it was checked.
      const register = await p.enrollments.list({ runId: run.id, session: 1 });
      expect(
        Object.fromEntries(register.items.map((i) => [i.enrollmentId, i.session?.status ?? null])),
      ).toEqual({
        [a]: 'CONFIRMED',
        [b]: 'CONFIRMED',
        [c]: 'CONFIRMED',
        [d]: 'REJECTED',
        [ids[4] ?? '']: null,
      });
      expect(register.items.find((i) => i.enrollmentId === a)?.session).toEqual({
        sequence: 1,
        status: 'CONFIRMED',
        method: 'VENUE_QR',
      });

      // Filters and paging: two by two, every row once.
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await p.enrollments.list({
          courseId: course.id,
          limit: 2,
          ...(cursor ? { cursor } : {}),
        });
        expect(page.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.items.map((i) => i.enrollmentId));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect([...seen].sort()).toEqual([...ids].sort());
      expect((await p.enrollments.list({ status: 'COMPLETED' })).items.map((i) => i.enrollmentId)).toEqual([
        a,
      ]);
      expect(codeOf(await p.enrollments.list({ cursor: 'not-a-cursor' }).catch((e: unknown) => e))).toBe(
        'VALIDATION_FAILED',
      );

      // Tenant isolation: provider B sees no row of A's, and A's enrollment answers as missing.
      const other = h.caller('providerB').provider;
      expect((await other.enrollments.list({ runId: run.id })).items).toEqual([]);
      expect((await other.enrollments.list({})).items).toEqual([]);
      expect(codeOf(await other.enrollments.get({ id: a }).catch((e: unknown) => e))).toBe('NOT_FOUND');
      // Only providers read rosters.
      expect(
        codeOf(
          await h
            .caller('platformA')
            .provider.enrollments.list({})
            .catch((e: unknown) => e),
        ),
      ).toBe('FORBIDDEN_ROLE');
    } finally {
      h.clock.reset();
    }
  });

  it('one enrollment whole: each session with its record, tasks with their review, post-test, certificate', async () => {
    try {
      const { ids } = await enrolled(h, 2);
      const [a = '', b = ''] = ids;
      const p = h.caller('providerA').provider;
      await complete(h, a);
      await classHeld(h, b);
      await p.attendance.record({ ...present(b, 2), method: 'PROVIDER_FACE_CHECK' });
      await p.assignments.submit({
        enrollmentId: b,
        scope: 'TPM',
        sequence: 2,
        url: 'https://drive.example.id/tugas/b-2.mp4',
        contentHash: `sha256:${createHash('sha256').update(`${b}2`).digest('hex')}`,
      });
      await p.assignments.review({
        enrollmentId: b,
        scope: 'TPM',
        sequence: 2,
        verdict: 'FAILED',
        notes: 'Videonya terpotong.',
      });

      const done = await p.enrollments.get({ id: a });
      expect(done).toMatchObject({ status: 'COMPLETED', missing: [], postTest: { score: 85 } });
      expect(done.certificate).toMatchObject({ status: 'VALID' });
      expect(done.certificate?.number).toBeTruthy();
      expect(done.participant.nikLast4).toMatch(/^\d{4}$/);
      expect(JSON.stringify(done)).not.toMatch(/"nik"|nikHash|cardNumber/);
      expect(done.assignments).toEqual([
        expect.objectContaining({ scope: 'TPM', sequence: 1, status: 'SUBMITTED' }),
      ]);

      const open = await p.enrollments.get({ id: b });
      expect(open.attendance.map((m) => [m.sequence, m.status, m.method])).toEqual([
        [1, null, null],
        [2, 'CONFIRMED', 'PROVIDER_FACE_CHECK'],
        [3, null, null],
        [4, null, null],
      ]);
      expect(open.attendance[1]?.recordedAt).toBeTruthy();
      expect(open.assignments).toEqual([
        expect.objectContaining({
          scope: 'TPM',
          sequence: 2,
          status: 'FAILED',
          feedback: expect.objectContaining({ notes: 'Videonya terpotong.' }),
        }),
      ]);
      expect(open).toMatchObject({
        attendancePercent: 25,
        missing: ['ATTENDANCE_INCOMPLETE', 'POST_TEST_FAILED'],
        completionRule: { minAttendancePercent: 100, assignmentRequired: true },
        certificate: null,
        postTest: null,
      });
      expect(
        codeOf(await p.enrollments.get({ id: 'enr_01jw0000000000000000000000' }).catch((e: unknown) => e)),
      ).toBe('NOT_FOUND');
    } finally {
      h.clock.reset();
    }
  });
});
