import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createSealer, runWebhookWorkerOnce } from '@latih/core';
import { schema } from '@latih/db';
import { and, asc, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { engines } from '../support/db';
import { complete, enrolled } from '../support/delivery-fixtures';
import { codeOf, sampleCourse, useHarness } from '../support/harness';
import { minutes, plantAttendance, plantCourse, plantEnrollment } from '../support/oversight-fixtures';

const code = (p: Promise<unknown>) =>
  p.then(
    () => 'OK',
    (e: unknown) => codeOf(e),
  );

describe.each(engines())('control cases on %s', (engine) => {
  const h = useHarness(engine);
  const cases = () => h.caller('pmo').pmo.cases;

  it('from a signal to evidence the provider answers through its API; other providers see nothing', async () => {
    // A planted shared-device pattern at provider A.
    const providerA = h.orgs.providerA.organisationId;
    const course = await plantCourse(h, providerA);
    const t = new Date(Date.now() - 86_400_000);
    for (let i = 0; i < 5; i++) {
      const e = await plantEnrollment(h, { providerId: providerA, courseId: course, redeemedAt: t });
      await plantAttendance(h, e.enrollmentId, { deviceId: 'hp-operator', at: minutes(t, i) });
    }
    await h.caller('pmo').pmo.signals.detect({});
    const [signal] = (
      await h.caller('pmo').pmo.signals.list({ type: 'SHARED_DEVICE', providerId: providerA })
    ).items;
    expect(signal).toBeDefined();

    const opened = await cases().open({ signalId: signal?.id, summary: 'Satu perangkat untuk lima peserta' });
    expect(opened).toMatchObject({
      status: 'OPEN',
      subjectType: 'PROVIDER',
      subjectId: providerA,
      providerId: providerA,
      signalId: signal?.id,
    });
    expect((await h.caller('pmo').pmo.signals.get({ id: signal?.id ?? '' })).status).toBe('CASE_OPENED');
    expect(await code(cases().open({ signalId: signal?.id, summary: 'Kasus kedua' }))).toBe('INVALID_STATE');

    const asked = await cases().requestEvidence({
      caseId: opened.id,
      question: 'Kirimkan daftar hadir bertanda tangan dan foto kelas untuk sesi 1.',
      dueInDays: 5,
    });
    expect(asked.status).toBe('AWAITING_EVIDENCE');
    const [request] = asked.evidenceRequests;

    // Provider A sees it (and a webhook event went to it); provider B sees nothing of it.
    const mine = await h.caller('providerA').provider.evidenceRequests.list({});
    expect(mine.items.map((r) => r.id)).toContain(request?.id);
    expect((await h.caller('providerB').provider.evidenceRequests.list({})).items).toEqual([]);
    expect(await code(h.caller('providerB').provider.evidenceRequests.get({ id: request?.id ?? '' }))).toBe(
      'EVIDENCE_REQUEST_NOT_FOUND',
    );
    expect(
      await code(
        h.caller('providerB').provider.evidenceRequests.answer({
          id: request?.id ?? '',
          answer: 'Bukan urusan kami, tetapi...',
        }),
      ),
    ).toBe('EVIDENCE_REQUEST_NOT_FOUND');
    expect(await code(h.caller('platformA').provider.evidenceRequests.list({}))).toBe('FORBIDDEN_ROLE');
    const [event] = await h.db
      .select()
      .from(schema.events)
      .where(eq(schema.events.type, 'evidence_request.created'));
    expect(event).toMatchObject({ organisationId: providerA, entityId: opened.id });

    const answered = await h.caller('providerA').provider.evidenceRequests.answer({
      id: request?.id ?? '',
      answer: 'Perangkat itu milik pendamping kelas; daftar hadir terlampir.',
      attachments: [
        { url: 'https://berkas.example.id/hadir.pdf', sha256: 'a'.repeat(64), description: 'Daftar hadir' },
      ],
    });
    expect(answered).toMatchObject({ status: 'ANSWERED', attachments: [{ sha256: 'a'.repeat(64) }] });
    expect(
      await code(
        h
          .caller('providerA')
          .provider.evidenceRequests.answer({ id: request?.id ?? '', answer: 'Jawaban kedua saya' }),
      ),
    ).toBe('EVIDENCE_ALREADY_ANSWERED');

    const decided = await cases().decide({
      id: opened.id,
      outcome: 'WARNING',
      reason: 'Pendamping tidak boleh memakai satu perangkat.',
    });
    expect(decided.status).toBe('DECIDED');
    expect(decided.decision).toMatchObject({
      outcome: 'WARNING',
      effects: [`Provider ${providerA} warned.`],
    });
    expect(decided.timeline.map((s) => s.action)).toEqual([
      'control_case.opened',
      'control_case.evidence_requested',
      'control_case.evidence_answered',
      'control_case.decided',
    ]);
    expect(decided.timeline[2]?.actorOrganisationId).toBe(providerA);
    expect(
      await code(cases().decide({ id: opened.id, outcome: 'NO_ACTION', reason: 'Berubah pikiran saja' })),
    ).toBe('CASE_ALREADY_DECIDED');
    expect(
      await code(
        cases().requestEvidence({ caseId: opened.id, question: 'Satu pertanyaan lagi untuk kasus ini' }),
      ),
    ).toBe('CASE_ALREADY_DECIDED');
  });

  it('a case opened from a signal carries the enrollments it implicates, fixed at opening; a case about an enrollment carries it', async () => {
    const providerA = h.orgs.providerA.organisationId;
    const course = await plantCourse(h, providerA);
    const t = new Date(Date.now() - 86_400_000);
    const ring: string[] = [];
    for (let i = 0; i < 6; i++) {
      const e = await plantEnrollment(h, { providerId: providerA, courseId: course, redeemedAt: t });
      ring.push(e.enrollmentId);
      await plantAttendance(h, e.enrollmentId, { deviceId: 'hp-cincin', at: minutes(t, i) });
    }
    const pmo = h.caller('pmo').pmo;
    await pmo.signals.detect({});
    const [signal] = (await pmo.signals.list({ type: 'SHARED_DEVICE', providerId: providerA })).items;
    const opened = await cases().open({ signalId: signal?.id, summary: 'Satu perangkat untuk enam peserta' });
    expect(opened.enrollmentCount).toBe(6);
    expect(opened.timeline[0]?.data).toMatchObject({ enrollments: 6 });
    const carried = await cases().enrollments({ id: opened.id, limit: 4 });
    expect(carried.items.map((r) => r.enrollmentId)).toEqual(ring.slice(0, 4));
    expect(carried.items[0]).toMatchObject({
      courseId: course,
      providerId: providerA,
      status: 'IN_TRAINING',
    });
    const rest = await cases().enrollments({ id: opened.id, limit: 4, cursor: carried.nextCursor ?? '' });
    expect(rest.items.map((r) => r.enrollmentId)).toEqual(ring.slice(4));
    expect(rest.nextCursor).toBeNull();

    // The ring grows and the signal follows it; the case keeps the scope it was opened with.
    const late = await plantEnrollment(h, { providerId: providerA, courseId: course, redeemedAt: t });
    await plantAttendance(h, late.enrollmentId, { deviceId: 'hp-cincin', at: minutes(t, 30) });
    await pmo.signals.detect({});
    expect((await pmo.signals.get({ id: signal?.id ?? '' })).implicatedEnrollments).toBe(7);
    expect((await cases().get({ id: opened.id })).enrollmentCount).toBe(6);
    expect((await cases().list({})).items.find((c) => c.id === opened.id)?.enrollmentCount).toBe(6);

    const one = await cases().open({
      subjectType: 'ENROLLMENT',
      subjectId: late.enrollmentId,
      summary: 'Peserta ketujuh',
    });
    expect(one.enrollmentCount).toBe(1);
    expect((await cases().enrollments({ id: one.id })).items.map((r) => r.enrollmentId)).toEqual([
      late.enrollmentId,
    ]);
    const byHand = await cases().open({
      subjectType: 'PROVIDER',
      subjectId: providerA,
      summary: 'Tinjauan umum lembaga',
    });
    expect(byHand.enrollmentCount).toBe(0);
    expect(await code(cases().enrollments({ id: 'case_01jw0000000000000000000000' }))).toBe('CASE_NOT_FOUND');
  });

  it('VOID_COMPLETION: the enrollment and voucher become NOT_COMPLETED and the certificate is revoked, in one step', async () => {
    const { ids } = await enrolled(h, 1);
    const [enrollmentId] = ids;
    h.clock.reset();
    await complete(h, enrollmentId ?? '');
    const opened = await cases().open({
      subjectType: 'ENROLLMENT',
      subjectId: enrollmentId,
      summary: 'Tugas praktik disalin',
    });
    expect(await code(cases().decide({ id: opened.id, outcome: 'SUSPEND_PROVIDER', reason: 'x' }))).toBe(
      'VALIDATION_FAILED',
    );
    const decided = await cases().decide({
      id: opened.id,
      outcome: 'VOID_COMPLETION',
      reason: 'Tugas praktik terbukti disalin dari peserta lain.',
    });
    expect(decided.decision?.effects).toEqual([
      expect.stringContaining('COMPLETED → NOT_COMPLETED'),
      expect.stringMatching(/^Certificate .* revoked\.$/),
      'Not yet settled: the price goes back to the program fund in the next batch.',
    ]);
    const [enr] = await h.db
      .select()
      .from(schema.enrollments)
      .where(eq(schema.enrollments.id, enrollmentId ?? ''));
    const [v] = await h.db
      .select()
      .from(schema.vouchers)
      .where(eq(schema.vouchers.id, enr?.voucherId ?? ''));
    const [cert] = await h.db
      .select()
      .from(schema.certificates)
      .where(eq(schema.certificates.enrollmentId, enrollmentId ?? ''));
    expect([enr?.status, v?.status, cert?.status]).toEqual(['NOT_COMPLETED', 'NOT_COMPLETED', 'REVOKED']);
    const [decidedAudit] = await h.db
      .select()
      .from(schema.auditLog)
      .where(eq(schema.auditLog.entityId, opened.id))
      .orderBy(asc(schema.auditLog.id))
      .then((rows) => rows.filter((r) => r.action === 'control_case.decided'));
    const types = (
      await h.db
        .select()
        .from(schema.events)
        .where(eq(schema.events.requestId, decidedAudit?.requestId ?? 'none'))
        .orderBy(asc(schema.events.seq))
    ).map((e) => e.type);
    expect(types).toEqual(['enrollment.completion_voided', 'certificate.revoked', 'control_case.decided']);
  });

  it('one decision over a selection of a signal case: completions voided with their certificates, the rest refused with a code, audited per item', async () => {
    const { ids } = await enrolled(h, 6);
    h.clock.reset();
    for (const id of ids.slice(0, 4)) await complete(h, id);
    // The planted ring: one phone confirming all six (beside the venue gates of their real sessions).
    const t = new Date(Date.now() - 3_600_000);
    for (const [i, id] of ids.entries())
      await plantAttendance(h, id, {
        sequence: 9,
        deviceId: 'hp-joki-18',
        method: 'ONLINE_PRESENCE',
        at: minutes(t, i),
      });
    const providerA = h.orgs.providerA.organisationId;
    const elsewhere = await plantEnrollment(h, {
      providerId: providerA,
      courseId: await plantCourse(h, providerA),
      redeemedAt: t,
      status: 'COMPLETED',
      completedAt: t,
    });
    const pmo = h.caller('pmo').pmo;
    await pmo.signals.detect({});
    const [signal] = (await pmo.signals.list({ type: 'SHARED_DEVICE', providerId: providerA })).items;
    const opened = await cases().open({
      signalId: signal?.id,
      summary: 'Joki: satu ponsel untuk enam peserta',
    });
    expect(opened).toMatchObject({ subjectType: 'PROVIDER', enrollmentCount: 6 });
    const reason = 'Kehadiran dikonfirmasi dari satu ponsel joki untuk semua peserta.';

    // The per-subject outcome still refuses a provider case; other outcomes do not take a selection.
    expect(await code(cases().decide({ id: opened.id, outcome: 'VOID_COMPLETION', reason }))).toBe(
      'CASE_OUTCOME_NOT_APPLICABLE',
    );
    expect(
      await code(
        cases().decide({ id: opened.id, outcome: 'WARNING', reason, enrollmentIds: [ids[0] ?? ''] }),
      ),
    ).toBe('CASE_OUTCOME_NOT_APPLICABLE');
    // A selection nothing applies to decides nothing: the case stays open.
    expect(
      await code(
        cases().decide({
          id: opened.id,
          outcome: 'VOID_COMPLETION',
          reason,
          enrollmentIds: [ids[4] ?? '', elsewhere.enrollmentId],
        }),
      ),
    ).toBe('CASE_OUTCOME_NOT_APPLICABLE');
    expect((await cases().get({ id: opened.id })).status).toBe('OPEN');

    const selection = [ids[0], ids[1], ids[2], ids[4], elsewhere.enrollmentId, ids[0]].map((x) => x ?? '');
    const decided = await cases().decide({
      id: opened.id,
      outcome: 'VOID_COMPLETION',
      reason,
      enrollmentIds: selection,
    });
    expect(decided.status).toBe('DECIDED');
    expect(decided.decision?.effects).toEqual([
      'VOID_COMPLETION over 5 selected enrollment(s): 3 applied, 2 refused.',
    ]);
    expect(decided.decision?.items.map((i) => [i.enrollmentId, i.result, i.code])).toEqual([
      [ids[0], 'APPLIED', null],
      [ids[1], 'APPLIED', null],
      [ids[2], 'APPLIED', null],
      [ids[4], 'REFUSED', 'NOT_COMPLETED'],
      [elsewhere.enrollmentId, 'REFUSED', 'NOT_IN_CASE'],
    ]);
    expect(decided.decision?.items[0]?.effects).toEqual([
      expect.stringContaining('COMPLETED → NOT_COMPLETED'),
      expect.stringMatching(/^Certificate .* revoked\.$/),
      expect.stringMatching(/settled|settlement/),
    ]);
    const now = (await cases().enrollments({ id: opened.id, limit: 10 })).items;
    expect(now.map((r) => [r.status, r.certificateStatus])).toEqual([
      ['NOT_COMPLETED', 'REVOKED'],
      ['NOT_COMPLETED', 'REVOKED'],
      ['NOT_COMPLETED', 'REVOKED'],
      ['COMPLETED', 'VALID'],
      ['IN_TRAINING', null],
      ['IN_TRAINING', null],
    ]);
    const [outside] = await h.db
      .select()
      .from(schema.enrollments)
      .where(eq(schema.enrollments.id, elsewhere.enrollmentId));
    expect(outside?.status).toBe('COMPLETED');
    // Audited per item, each with the reason and the case; the decision's row has every answer.
    const audit = (await h.db.select().from(schema.auditLog).orderBy(asc(schema.auditLog.id))).filter(
      (a) => a.entityId === opened.id || (a.data as { caseId?: string }).caseId === opened.id,
    );
    const voided = audit.filter((a) => a.action === 'enrollment.completion_voided');
    expect(voided.map((a) => a.entityId)).toEqual(ids.slice(0, 3));
    for (const a of voided) expect(a.data).toMatchObject({ reason, caseId: opened.id });
    expect(audit.filter((a) => a.action === 'certificate.revoked')).toHaveLength(3);
    const decidedRow = audit.find((a) => a.action === 'control_case.decided' && a.entityId === opened.id);
    expect((decidedRow?.data as { items?: unknown[] } | undefined)?.items).toHaveLength(5);
    // The provider's webhook event names each enrollment's answer, not what it changed.
    const [decidedEvent] = await h.db
      .select()
      .from(schema.events)
      .where(and(eq(schema.events.type, 'control_case.decided'), eq(schema.events.entityId, opened.id)));
    const eventItems =
      (decidedEvent?.data as { items?: { result: string; code: string | null }[] } | undefined)?.items ?? [];
    expect(eventItems).toHaveLength(5);
    expect(eventItems.filter((i) => i.result === 'APPLIED')).toHaveLength(3);
    expect(Object.keys(eventItems[0] ?? {}).sort()).toEqual(['code', 'enrollmentId', 'result']);
    expect(await code(cases().decide({ id: opened.id, outcome: 'NO_ACTION', reason }))).toBe(
      'CASE_ALREADY_DECIDED',
    );

    // REVOKE_CERTIFICATE over a selection: the certificate goes, the completion stays.
    const byHand = await cases().open({
      subjectType: 'ENROLLMENT',
      subjectId: ids[3],
      summary: 'Sertifikat peserta keempat',
    });
    const revoked = await cases().decide({
      id: byHand.id,
      outcome: 'REVOKE_CERTIFICATE',
      reason: 'Sertifikat diterbitkan atas kehadiran yang dikonfirmasi joki.',
      enrollmentIds: [ids[3] ?? ''],
    });
    expect(revoked.decision?.items).toEqual([
      {
        enrollmentId: ids[3],
        result: 'APPLIED',
        code: null,
        effects: [expect.stringMatching(/^Certificate .* revoked\.$/)],
      },
    ]);
    expect((await cases().enrollments({ id: byHand.id })).items[0]).toMatchObject({
      status: 'COMPLETED',
      certificateStatus: 'REVOKED',
    });
    // Where no certificate is valid, there is nothing to revoke.
    const none = await cases().open({
      subjectType: 'ENROLLMENT',
      subjectId: ids[4],
      summary: 'Peserta kelima',
    });
    const refused = await cases()
      .decide({ id: none.id, outcome: 'REVOKE_CERTIFICATE', reason, enrollmentIds: [ids[4] ?? ''] })
      .catch((e) => e);
    expect(codeOf(refused)).toBe('CASE_OUTCOME_NOT_APPLICABLE');
    expect(String(refused.message)).toContain('NO_VALID_CERTIFICATE');
  });

  it('SUSPEND_COURSE and SUSPEND_PROVIDER apply their effects; a decision that cannot apply leaves nothing behind', async () => {
    const { course, ids } = await enrolled(h, 1);
    h.clock.reset();
    const onCourse = await cases().open({
      subjectType: 'COURSE',
      subjectId: course.id,
      summary: 'Materi tidak sesuai silabus',
    });
    const suspended = await cases().decide({
      id: onCourse.id,
      outcome: 'SUSPEND_COURSE',
      reason: 'Materi tidak sesuai silabus yang disetujui.',
    });
    expect(suspended.decision?.effects).toEqual([`Course ${course.id} suspended: it left the catalog.`]);
    const [c] = await h.db.select().from(schema.courses).where(eq(schema.courses.id, course.id));
    expect(c?.status).toBe('SUSPENDED');

    // The same course again: it is no longer PUBLISHED, so the decision fails and the case stays open.
    const again = await cases().open({
      subjectType: 'ENROLLMENT',
      subjectId: ids[0],
      summary: 'Kasus kedua di kursus yang sama',
    });
    expect(
      await code(
        cases().decide({
          id: again.id,
          outcome: 'SUSPEND_COURSE',
          reason: 'Ditangguhkan lagi karena hal yang sama.',
        }),
      ),
    ).toBe('INVALID_STATE');
    const still = await cases().get({ id: again.id });
    expect([still.status, still.decision, still.timeline.map((t) => t.action)]).toEqual([
      'OPEN',
      null,
      ['control_case.opened'],
    ]);
    expect(
      await code(
        cases().decide({
          id: again.id,
          outcome: 'VOID_COMPLETION',
          reason: 'Belum selesai, tidak bisa dibatalkan.',
        }),
      ),
    ).toBe('CASE_OUTCOME_NOT_APPLICABLE');

    const providerB = h.orgs.providerB.organisationId;
    const onProvider = await cases().open({
      subjectType: 'PROVIDER',
      subjectId: providerB,
      summary: 'Pola kecurangan berulang',
    });
    const out = await cases().decide({
      id: onProvider.id,
      outcome: 'SUSPEND_PROVIDER',
      reason: 'Pola kecurangan berulang di tiga kursus.',
    });
    expect(out.decision?.effects[0]).toMatch(/^Provider .* suspended: \d+ course\(s\) left the catalog feed/);
    const [org] = await h.db
      .select()
      .from(schema.organisations)
      .where(eq(schema.organisations.id, providerB));
    expect(org?.status).toBe('SUSPENDED');
    const audit = await h.caller('pmo').pmo.audit.list({ entityId: providerB });
    expect(audit.items[0]).toMatchObject({
      action: 'organisation.suspended',
      fromState: 'ACTIVE',
      toState: 'SUSPENDED',
    });
    expect(
      await code(
        cases().open({
          subjectType: 'COURSE',
          subjectId: 'crs_01jz8k6d3v7m2r5w9x4q1t0abc',
          summary: 'Tidak ada',
        }),
      ),
    ).toBe('CASE_SUBJECT_NOT_FOUND');
    const listed = await cases().list({ providerId: providerB });
    expect(listed.items.map((i) => i.id)).toEqual([onProvider.id]);
  });

  it("the PMO sees every partner's webhook deliveries, with where they went and why they failed", async () => {
    const { endpoint } = await h
      .caller('providerB')
      .provider.webhooks.create({ url: 'http://127.0.0.1:9/hooks', eventTypes: ['course.created'] });
    await h.caller('providerB').provider.courses.create({ ...sampleCourse, title: 'Kursus pemicu webhook' });
    const sealer = createSealer(h.services.nikHashKey, 'webhook-secrets');
    await runWebhookWorkerOnce({
      db: h.db,
      now: new Date(),
      sealer,
      fetch: async () => new Response('unavailable', { status: 503 }),
    });
    const all = await h
      .caller('pmo')
      .pmo.webhooks.deliveries({ organisationId: h.orgs.providerB.organisationId });
    expect(all.items[0]).toMatchObject({
      endpointId: endpoint.id,
      organisationId: h.orgs.providerB.organisationId,
      url: 'http://127.0.0.1:9/hooks',
      eventType: 'course.created',
      status: 'PENDING',
      lastStatusCode: 503,
      attempts: 1,
    });
    expect(
      (await h.caller('pmo').pmo.webhooks.deliveries({ organisationId: h.orgs.platformB.organisationId }))
        .items,
    ).toEqual([]);
    expect(await code(h.caller('providerB').pmo.webhooks.deliveries({}))).toBe('FORBIDDEN_ROLE');
  });

  it('the audit log has no update or delete path in the code, and the database refuses both', async () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (name === 'node_modules' || name === 'dist') continue;
        if (statSync(path).isDirectory()) walk(path);
        else if (/\.(ts|sql)$/.test(name)) {
          const text = readFileSync(path, 'utf8');
          if (
            /\.(update|delete)\(\s*auditLog\b|(update|delete\s+from|truncate)\s+"?audit_log"?\s/i.test(text)
          )
            offenders.push(path);
        }
      }
    };
    walk(join(import.meta.dirname, '../../packages'));
    walk(join(import.meta.dirname, '../../apps'));
    expect(offenders).toEqual([]);
    const refused = (e: unknown) => /append-only/.test(String((e as { cause?: Error }).cause?.message));
    const { sql } = await import('drizzle-orm');
    await expect(h.db.execute(sql`update audit_log set action = 'tampered'`)).rejects.toSatisfy(refused);
    await expect(
      h.db.execute(sql`delete from audit_log where action = 'control_case.decided'`),
    ).rejects.toSatisfy(refused);
  });
});
