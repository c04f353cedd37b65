import { schema } from '@latih/db';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { engines } from '../support/db';
import { classHeld, enrolled, present } from '../support/delivery-fixtures';
import { codeOf, useHarness } from '../support/harness';

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => 'OK',
    (e: unknown) => codeOf(e),
  );

describe.each(engines())('training delivery on %s', (engine) => {
  const h = useHarness(engine);

  it('completion follows the course’s rule, naming what is missing, and closes the voucher', async () => {
    try {
      const { ids } = await enrolled(h, 1);
      const id = ids[0] ?? '';
      const p = () => h.caller('providerA').provider;
      const report = () => p().completions.report({ enrollmentId: id, outcome: 'COMPLETED' });

      const err = await report().catch((e: unknown) => e);
      expect(codeOf(err)).toBe('ATTENDANCE_INCOMPLETE');
      expect((err as Error).message).toContain('ATTENDANCE_INCOMPLETE, ASSIGNMENT_MISSING, POST_TEST_FAILED');

      // Entered after the last session began (each session has opened by then).
      await classHeld(h, id);
      const bulk = await p().attendance.recordBulk({
        items: [
          present(id, 1),
          present(id, 2),
          { ...present(id, 3), status: 'REJECTED' },
          present(id, 9),
          { enrollmentId: id },
        ],
      });
      expect(bulk.results.map((r) => [r.status, r.error?.field ?? null])).toEqual([
        ['RECORDED', null],
        ['RECORDED', null],
        ['RECORDED', null],
        ['REFUSED', 'sequence'],
        ['REFUSED', 'sequence'],
      ]);
      await p().attendance.record(present(id, 4));
      expect(await refusal(report())).toBe('ATTENDANCE_INCOMPLETE'); // session 3 rejected: 75 %
      await p().attendance.record(present(id, 3)); // recording again replaces it
      expect(await refusal(report())).toBe('ASSIGNMENT_MISSING');

      const afterTask = await p().assignments.submit({
        enrollmentId: id,
        url: 'https://drive.example.id/tugas/keripik.mp4',
        contentHash: `sha256:${'a'.repeat(64)}`,
        feedback: 'Kemasan rapi, takaran bumbu konsisten',
      });
      expect(afterTask).toMatchObject({
        sessions: 4,
        sessionsConfirmed: 4,
        attendancePercent: 100,
        assignmentSubmitted: true,
        missing: ['POST_TEST_FAILED'],
      });
      await p().postTests.record({ enrollmentId: id, score: 60 });
      expect(await refusal(report())).toBe('POST_TEST_FAILED');
      await p().postTests.record({ enrollmentId: id, score: 85 });

      const done = await report();
      expect(done).toMatchObject({
        status: 'COMPLETED',
        missing: [],
        postTestScore: 85,
        completedAt: expect.any(String),
      });
      const [e] = await h.db.select().from(schema.enrollments).where(eq(schema.enrollments.id, id));
      const [v] = await h.db
        .select()
        .from(schema.vouchers)
        .where(eq(schema.vouchers.id, e?.voucherId ?? ''));
      expect(v?.status).toBe('COMPLETED');
      const types = (await h.db.select().from(schema.events).where(eq(schema.events.entityId, id))).map(
        (x) => x.type,
      );
      expect(types).toEqual(expect.arrayContaining(['attendance.recorded', 'enrollment.completed']));
      expect(await refusal(report())).toBe('INVALID_STATE');
      expect(await refusal(p().attendance.record(present(id, 1)))).toBe('INVALID_STATE');
    } finally {
      h.clock.reset();
    }
  });

  it('NOT_COMPLETED needs nothing; bulk reports answer per item', async () => {
    try {
      const { ids } = await enrolled(h, 3);
      const [a, b, c] = ids;
      const r = await h.caller('providerA').provider.completions.reportBulk({
        items: [
          { enrollmentId: a, outcome: 'NOT_COMPLETED' },
          { enrollmentId: b, outcome: 'COMPLETED' },
          { enrollmentId: c, outcome: 'FINISHED' },
        ],
      });
      expect(r.summary).toEqual({ completed: 0, notCompleted: 1, refused: 2 });
      expect(r.results.map((x) => x.error?.code ?? x.status)).toEqual([
        'NOT_COMPLETED',
        'ATTENDANCE_INCOMPLETE',
        'VALIDATION_FAILED',
      ]);
      const [e] = await h.db
        .select()
        .from(schema.enrollments)
        .where(eq(schema.enrollments.id, a ?? ''));
      const [v] = await h.db
        .select()
        .from(schema.vouchers)
        .where(eq(schema.vouchers.id, e?.voucherId ?? ''));
      expect(v?.status).toBe('NOT_COMPLETED');
    } finally {
      h.clock.reset();
    }
  });

  it('VOIDED needs a reason; another provider sees no enrollment of yours', async () => {
    try {
      const { ids } = await enrolled(h, 1);
      const id = ids[0] ?? '';
      const err = await h
        .caller('providerA')
        .provider.attendance.record({ ...present(id, 1), status: 'VOIDED' })
        .catch((e: unknown) => e);
      expect(codeOf(err)).toBe('VALIDATION_FAILED');
      expect((err as { cause: { field: string } }).cause.field).toBe('voidReason');
      await expect(
        h.caller('providerA').provider.attendance.record({
          ...present(id, 1),
          status: 'VOIDED',
          voidReason: 'Wajah tidak cocok saat verifikasi',
        }),
      ).resolves.toMatchObject({ status: 'VOIDED' });
      for (const attempt of [
        () => h.caller('providerB').provider.attendance.record(present(id, 2)),
        () => h.caller('providerB').provider.postTests.record({ enrollmentId: id, score: 100 }),
        () =>
          h.caller('providerB').provider.completions.report({ enrollmentId: id, outcome: 'NOT_COMPLETED' }),
      ]) {
        expect(await refusal(attempt())).toBe('NOT_FOUND');
      }
    } finally {
      h.clock.reset();
    }
  });

  it('occurredAt: paper attendance entered the next day keeps both times; the future, before the session, too late are refused, by the scheme’s rule', async () => {
    try {
      const { ids, run } = await enrolled(h, 1); // the clock: 10 minutes before the first session
      const id = ids[0] ?? '';
      const p = () => h.caller('providerA').provider;
      const sessions = (await p().runs.get({ id: run.id })).sessions;
      const start = Date.parse(sessions[0]?.startsAt ?? '');
      const at = (ms: number) => new Date(start + ms).toISOString();
      const rowOf = async (sequence: number) =>
        (await h.db.select().from(schema.attendance).where(eq(schema.attendance.enrollmentId, id))).find(
          (r) => r.sequence === sequence,
        );
      const HOUR = 3_600_000;

      // The class took attendance on paper; the provider enters it 20 hours after the session started.
      h.clock.set(new Date(start + 20 * HOUR));
      const entered = await p().attendance.record({ ...present(id, 1), occurredAt: at(5 * 60_000) });
      expect(entered).toMatchObject({ occurredAt: at(5 * 60_000), recordedAt: at(20 * HOUR) });
      expect(await rowOf(1)).toMatchObject({
        occurredAt: new Date(start + 5 * 60_000),
        recordedAt: new Date(start + 20 * HOUR),
      });
      // Without occurredAt it happened now, so not before its session opens: session 2 starts a day
      // after session 1, and a register saved early would confirm a class not yet held.
      expect(await refusal(p().attendance.record(present(id, 2)))).toBe('OCCURRED_AT_OUT_OF_RANGE');
      expect(await rowOf(2)).toBeUndefined();
      // Nor in bulk, nor through the identity check: no link for a session that has not opened.
      const bulk = await p().attendance.recordBulk({ items: [present(id, 2), present(id, 4)] });
      expect(bulk.results.map((r) => [r.error?.code, r.error?.field])).toEqual([
        ['OCCURRED_AT_OUT_OF_RANGE', 'sequence'],
        ['OCCURRED_AT_OUT_OF_RANGE', 'sequence'],
      ]);
      await p().redirectUris.register({ uri: 'https://lms.example.id/latih/kembali' });
      expect(
        await refusal(
          p().attendance.verificationLink({
            enrollmentId: id,
            sequence: 2,
            redirectUri: 'https://lms.example.id/latih/kembali',
            state: 'st4te-sesi-2',
          }),
        ),
      ).toBe('OCCURRED_AT_OUT_OF_RANGE');
      expect(
        await h.db.select().from(schema.identityChecks).where(eq(schema.identityChecks.enrollmentId, id)),
      ).toEqual([]);

      // Refused, and nothing written: in the future, before the session opens (30 minutes before it
      // starts), more than the scheme's 72 hours late.
      const sequence3 = Date.parse(sessions[2]?.startsAt ?? '') - start;
      for (const occurredAt of [at(21 * HOUR), at(sequence3 - 31 * 60_000)])
        expect(await refusal(p().attendance.record({ ...present(id, 3), occurredAt })), occurredAt).toBe(
          'OCCURRED_AT_OUT_OF_RANGE',
        );
      expect(await rowOf(3)).toBeUndefined();
      // Once session 2 has opened, without occurredAt: now.
      const sequence2 = Date.parse(sessions[1]?.startsAt ?? '') - start;
      h.clock.set(new Date(start + sequence2 + 5 * 60_000));
      expect(await p().attendance.record(present(id, 2))).toMatchObject({
        occurredAt: at(sequence2 + 5 * 60_000),
        recordedAt: at(sequence2 + 5 * 60_000),
      });
      h.clock.set(new Date(start + 80 * HOUR));
      expect(await refusal(p().attendance.record({ ...present(id, 1), occurredAt: at(5 * 60_000) }))).toBe(
        'OCCURRED_AT_OUT_OF_RANGE',
      );
      expect((await rowOf(1))?.recordedAt).toEqual(new Date(start + 20 * HOUR));

      // Assignments and post-tests: not before the enrollment began; both times kept.
      const [e] = await h.db.select().from(schema.enrollments).where(eq(schema.enrollments.id, id));
      const beforeEnrollment = new Date((e?.redeemedAt.getTime() ?? 0) - 60_000).toISOString();
      const assignment = {
        enrollmentId: id,
        url: 'https://lms.example.id/tugas/1',
        contentHash: `sha256:${'a'.repeat(64)}`,
      };
      expect(await refusal(p().assignments.submit({ ...assignment, occurredAt: beforeEnrollment }))).toBe(
        'OCCURRED_AT_OUT_OF_RANGE',
      );
      await p().assignments.submit({ ...assignment, occurredAt: at(50 * HOUR) });
      await p().postTests.record({ enrollmentId: id, score: 90, occurredAt: at(60 * HOUR) });
      const [after] = await h.db.select().from(schema.enrollments).where(eq(schema.enrollments.id, id));
      expect(after).toMatchObject({
        assignmentSubmittedAt: new Date(start + 50 * HOUR),
        assignmentRecordedAt: new Date(start + 80 * HOUR),
        postTestScore: 90,
        postTestTakenAt: new Date(start + 60 * HOUR),
        postTestRecordedAt: new Date(start + 80 * HOUR),
      });

      // The rule is data: a scheme that accepts one hour refuses what three days allowed.
      const [course] = await h.db
        .select()
        .from(schema.courses)
        .where(eq(schema.courses.id, e?.courseId ?? ''));
      const [scheme] = await h.db
        .select()
        .from(schema.schemes)
        .where(eq(schema.schemes.id, course?.schemeId ?? ''));
      if (!scheme) throw new Error('no scheme');
      await h.db
        .update(schema.schemes)
        .set({ rules: { ...scheme.rules, reporting: { maxLateHours: 1, sessionOpensMinutesBefore: 30 } } })
        .where(eq(schema.schemes.id, scheme.id));
      try {
        expect(
          await refusal(p().postTests.record({ enrollmentId: id, score: 95, occurredAt: at(78 * HOUR) })),
        ).toBe('OCCURRED_AT_OUT_OF_RANGE');
        await p().postTests.record({ enrollmentId: id, score: 95, occurredAt: at(79.5 * HOUR) });
      } finally {
        await h.db
          .update(schema.schemes)
          .set({ rules: scheme.rules })
          .where(eq(schema.schemes.id, scheme.id));
      }
    } finally {
      h.clock.reset();
    }
  });
});
