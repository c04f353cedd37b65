import { checkLedger, schema, toVoucher } from '@latih/db';
import { and, eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { fullCourse } from '../support/catalog-fixtures';
import { engines, postgresAvailable } from '../support/db';
import { codeOf, type Harness, useHarness } from '../support/harness';
import { buy, onSale, participants } from '../support/marketplace-fixtures';

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => 'OK',
    (e: unknown) => codeOf(e),
  );

/** A sold voucher of provider A's course with a run whose first session starts 30 days from now. */
async function sold(h: Harness) {
  const [p] = await participants(h, 1);
  const { course, run } = await onSale(h);
  const bought = await buy(h, p?.cardNumber ?? '', course.id, run.id);
  const runView = await h.caller('providerA').provider.runs.get({ id: run.id });
  return {
    course,
    run,
    code: bought.code,
    voucher: bought.voucher,
    startsAt: new Date(runView.sessions[0]?.startsAt ?? 0),
  };
}

const minutes = (d: Date, m: number) => new Date(d.getTime() + m * 60_000);

/** A sold voucher of provider A's self-paced course (2020 scheme): redeemable until its deadline. */
async function soldSelfPaced(h: Harness) {
  const [p] = await participants(h, 1, { schemeId: 'PRAKERJA_2020' });
  const provider = h.caller('providerA').provider;
  const draft = await provider.courses.create({
    ...fullCourse,
    title: `Belajar mandiri ${Math.random()}`,
    mode: 'SELF_PACED',
    schemeId: 'PRAKERJA_2020',
    hours: 2,
    price: 900_000,
  });
  await provider.courses.submit({ id: draft.id });
  const course = await h.caller('pmo').pmo.curation.approve({ id: draft.id });
  const bought = await buy(h, p?.cardNumber ?? '', course.id);
  return { course, code: bought.code, voucher: bought.voucher, participant: p };
}

describe.each(engines())('check and redeem on %s', (engine) => {
  const h = useHarness(engine);

  it('a self-paced voucher redeems in one statement with its enrollment, audit row and event; refusals still name the reason', async () => {
    const { course, code, voucher, participant } = await soldSelfPaced(h);
    const p = () => h.caller('providerA').provider.vouchers;
    expect(await refusal(h.caller('providerB').provider.vouchers.redeem({ code, courseId: course.id }))).toBe(
      'VOUCHER_OTHER_PROVIDER',
    );
    const other = await onSale(h);
    expect(await refusal(p().redeem({ code, courseId: other.course.id }))).toBe('VOUCHER_WRONG_COURSE');
    expect(await refusal(p().redeem({ code, courseId: course.id, runId: other.run.id }))).toBe(
      'VOUCHER_WRONG_COURSE',
    );
    h.clock.set(new Date(Date.parse(voucher.expiresAt) + 1000));
    try {
      expect(await refusal(p().redeem({ code, courseId: course.id }))).toBe('REDEMPTION_WINDOW_CLOSED');
    } finally {
      h.clock.reset();
    }
    // None of the refusals wrote anything.
    const enrollmentsOf = () =>
      h.db.select().from(schema.enrollments).where(eq(schema.enrollments.voucherId, voucher.id));
    expect(await enrollmentsOf()).toHaveLength(0);

    const enrollment = await p().redeem({
      code,
      courseId: course.id,
      ip: '2001:db8::7',
      deviceId: 'app-install-5e1f',
    });
    expect(enrollment).toMatchObject({
      voucherId: voucher.id,
      participant: { id: participant?.id, name: expect.stringMatching(/^Peserta/) },
      courseId: course.id,
      runId: null,
      status: 'IN_TRAINING',
    });
    const [row] = await h.db.select().from(schema.vouchers).where(eq(schema.vouchers.id, voucher.id));
    expect(row?.status).toBe('REDEEMED');
    expect(row?.redeemedAt?.toISOString()).toBe(enrollment.redeemedAt);
    expect((await enrollmentsOf()).map((e) => [e.id, e.status, e.redeemedIp, e.redeemedDeviceId])).toEqual([
      [enrollment.id, 'IN_TRAINING', '2001:db8::7', 'app-install-5e1f'],
    ]);
    const audit = await h.db
      .select()
      .from(schema.auditLog)
      .where(and(eq(schema.auditLog.entityId, voucher.id), eq(schema.auditLog.action, 'voucher.redeemed')));
    expect(audit).toMatchObject([
      {
        fromState: 'ISSUED',
        toState: 'REDEEMED',
        actorOrganisationId: row?.providerId,
        data: { enrollmentId: enrollment.id },
      },
    ]);
    const events = await h.db
      .select()
      .from(schema.events)
      .where(and(eq(schema.events.entityId, voucher.id), eq(schema.events.type, 'voucher.redeemed')));
    expect(events).toHaveLength(1);
    // The event built in SQL carries the voucher exactly as the API shows it.
    expect(events[0]?.data).toEqual({ voucher: row ? toVoucher(row) : null, enrollmentId: enrollment.id });
    expect(events[0]?.organisationId).toBe(row?.platformId);

    expect(await refusal(p().redeem({ code, courseId: course.id }))).toBe('VOUCHER_ALREADY_REDEEMED');
    expect(await enrollmentsOf()).toHaveLength(1);
  });

  it('check tells state, course and window without any side effect; redeem works once inside the window', async () => {
    const { course, run, code, voucher, startsAt } = await sold(h);
    // Callers are made per call: their tokens follow the test clock.
    const p = () => h.caller('providerA').provider.vouchers;
    const before = (await h.db.select().from(schema.vouchers).where(eq(schema.vouchers.id, voucher.id)))[0];
    const checked = await p().check({ code: code.toLowerCase().replaceAll('-', ' ') });
    expect(checked).toMatchObject({
      voucher: { id: voucher.id, status: 'ISSUED', courseId: course.id, runId: run.id },
      redeemable: false,
      refusal: 'REDEMPTION_WINDOW_NOT_OPEN',
      window: {
        opensAt: minutes(startsAt, -60).toISOString(),
        closesAt: minutes(startsAt, 60).toISOString(),
      },
    });
    expect((await h.db.select().from(schema.vouchers).where(eq(schema.vouchers.id, voucher.id)))[0]).toEqual(
      before,
    );

    expect(await refusal(p().redeem({ code, courseId: course.id, runId: run.id }))).toBe(
      'REDEMPTION_WINDOW_NOT_OPEN',
    );
    h.clock.set(minutes(startsAt, -61));
    expect(await refusal(p().redeem({ code, courseId: course.id, runId: run.id }))).toBe(
      'REDEMPTION_WINDOW_NOT_OPEN',
    );
    h.clock.set(minutes(startsAt, -59));
    try {
      expect((await p().check({ code })).redeemable).toBe(true);
      const enrollment = await p().redeem({ code, courseId: course.id, runId: run.id });
      expect(enrollment).toMatchObject({
        voucherId: voucher.id,
        status: 'IN_TRAINING',
        courseId: course.id,
        runId: run.id,
      });
      expect(enrollment.id).toMatch(/^enr_/);
      expect(await refusal(p().redeem({ code, courseId: course.id, runId: run.id }))).toBe(
        'VOUCHER_ALREADY_REDEEMED',
      );
      expect((await p().check({ code })).refusal).toBe('VOUCHER_ALREADY_REDEEMED');
      const [event] = await h.db
        .select()
        .from(schema.events)
        .where(and(eq(schema.events.type, 'voucher.redeemed'), eq(schema.events.entityId, voucher.id)));
      expect(event?.data).toMatchObject({ enrollmentId: enrollment.id });
      // A redeemed voucher is not the platform's to cancel any more.
      expect(await refusal(h.caller('platformA').platform.vouchers.cancel({ id: voucher.id }))).toBe(
        'VOUCHER_NOT_CANCELLABLE',
      );
    } finally {
      h.clock.reset();
    }
  });

  it('closes one hour after the first session starts', async () => {
    const { course, run, code, startsAt } = await sold(h);
    // Callers are made per call: their tokens follow the test clock.
    const p = () => h.caller('providerA').provider.vouchers;
    h.clock.set(minutes(startsAt, 61));
    try {
      expect(await refusal(p().redeem({ code, courseId: course.id, runId: run.id }))).toBe(
        'REDEMPTION_WINDOW_CLOSED',
      );
      h.clock.set(minutes(startsAt, 59));
      await expect(p().redeem({ code, courseId: course.id, runId: run.id })).resolves.toMatchObject({
        status: 'IN_TRAINING',
      });
    } finally {
      h.clock.reset();
    }
  });

  it('refuses with a typed code: malformed, unknown, another provider’s, wrong course, cancelled, expired', async () => {
    const { course, run, code, voucher, startsAt } = await sold(h);
    const a = () => h.caller('providerA').provider.vouchers;
    const typo = `${code.slice(0, 3)}${code[3] === 'A' ? 'B' : 'A'}${code.slice(4)}`;
    expect(await refusal(a().check({ code: typo }))).toBe('CODE_MALFORMED');
    expect(await refusal(a().redeem({ code: 'NOT-A-CODE', courseId: course.id }))).toBe('CODE_MALFORMED');
    const { generateVoucherCode } = await import('@latih/core');
    expect(await refusal(a().check({ code: generateVoucherCode() }))).toBe('VOUCHER_NOT_FOUND');
    expect(await refusal(h.caller('providerB').provider.vouchers.check({ code }))).toBe(
      'VOUCHER_OTHER_PROVIDER',
    );
    expect(await refusal(h.caller('providerB').provider.vouchers.redeem({ code, courseId: course.id }))).toBe(
      'VOUCHER_OTHER_PROVIDER',
    );
    const other = await h
      .caller('providerA')
      .provider.courses.create({ ...fullCourse, title: 'Kursus lain' });
    h.clock.set(minutes(startsAt, 0));
    try {
      expect(await refusal(a().redeem({ code, courseId: other.id }))).toBe('VOUCHER_WRONG_COURSE');
      await h.caller('platformA').platform.vouchers.cancel({ id: voucher.id });
      expect(await refusal(a().redeem({ code, courseId: course.id, runId: run.id }))).toBe(
        'VOUCHER_CANCELLED',
      );
    } finally {
      h.clock.reset();
    }
    const second = await sold(h);
    await h.db
      .update(schema.vouchers)
      .set({ status: 'EXPIRED' })
      .where(eq(schema.vouchers.id, second.voucher.id));
    expect(await refusal(a().check({ code: second.code }))).toBe('OK');
    expect((await a().check({ code: second.code })).refusal).toBe('VOUCHER_EXPIRED');
    expect(await refusal(h.caller('platformA').provider.vouchers.check({ code }))).toBe('FORBIDDEN_ROLE');
  });

  it('bulk redeem at the door answers per code', async () => {
    const [p, q, r] = await participants(h, 3);
    const { course, run } = await onSale(h);
    const codes = [];
    for (const x of [p, q, r]) codes.push((await buy(h, x?.cardNumber ?? '', course.id, run.id)).code);
    const startsAt = new Date(
      (await h.caller('providerA').provider.runs.get({ id: run.id })).sessions[0]?.startsAt ?? 0,
    );
    h.clock.set(minutes(startsAt, -30));
    try {
      await h.caller('providerA').provider.vouchers.redeem({
        code: codes[2] ?? '',
        courseId: course.id,
        runId: run.id,
        ip: '198.51.100.20',
        deviceId: 'hp-peserta-3',
      });
      // The door's kiosk: its address and device on every code it redeems.
      const result = await h.caller('providerA').provider.vouchers.redeemBulk({
        courseId: course.id,
        runId: run.id,
        codes: [codes[0] ?? '', 'XXXX', codes[1] ?? '', codes[2] ?? ''],
        ip: '203.0.113.7',
        deviceId: 'kiosk-bdl-01',
      });
      expect(result.summary).toEqual({ redeemed: 2, refused: 2 });
      expect(result.results.map((x) => [x.status, x.error?.code ?? null])).toEqual([
        ['REDEEMED', null],
        ['REFUSED', 'CODE_MALFORMED'],
        ['REDEEMED', null],
        ['REFUSED', 'VOUCHER_ALREADY_REDEEMED'],
      ]);
      const rows = await h.db
        .select({ ip: schema.enrollments.redeemedIp, device: schema.enrollments.redeemedDeviceId })
        .from(schema.enrollments)
        .where(eq(schema.enrollments.runId, run.id));
      expect(rows.map((r) => `${r.ip} ${r.device}`).sort()).toEqual([
        '198.51.100.20 hp-peserta-3',
        '203.0.113.7 kiosk-bdl-01',
        '203.0.113.7 kiosk-bdl-01',
      ]);
    } finally {
      h.clock.reset();
    }
  });
});

describe.runIf(postgresAvailable())('redemption races on real PostgreSQL', () => {
  const h = useHarness('postgres', { poolSize: 16 });

  it('200 concurrent redeems of one code, each with its own idempotency key: exactly one enrollment', async () => {
    const { course, run, code, voucher, startsAt } = await sold(h);
    h.clock.set(minutes(startsAt, -10));
    try {
      const results = await Promise.allSettled(
        Array.from({ length: 200 }, (_, i) =>
          h
            .caller('providerA', { idempotencyKey: `redeem-${i}` })
            .provider.vouchers.redeem({ code, courseId: course.id, runId: run.id }),
        ),
      );
      const ok = results.filter((r) => r.status === 'fulfilled');
      expect(ok).toHaveLength(1);
      const refused = results.filter((r) => r.status === 'rejected').map((r) => codeOf(r.reason));
      expect(new Set(refused)).toEqual(new Set(['VOUCHER_ALREADY_REDEEMED']));
      const [n] = await h.db
        .select({ n: sql<number>`count(*)`.mapWith(Number) })
        .from(schema.enrollments)
        .where(eq(schema.enrollments.voucherId, voucher.id));
      expect(n?.n).toBe(1);
    } finally {
      h.clock.reset();
    }
  });

  it('a redeem racing the platform’s cancel: exactly one wins, and the books balance', async () => {
    for (let round = 0; round < 10; round++) {
      const { course, run, code, voucher, startsAt } = await sold(h);
      h.clock.set(minutes(startsAt, -10));
      try {
        const [redeem, cancel] = await Promise.allSettled([
          h.caller('providerA').provider.vouchers.redeem({ code, courseId: course.id, runId: run.id }),
          h.caller('platformA').platform.vouchers.cancel({ id: voucher.id }),
        ]);
        expect(
          [redeem.status, cancel.status].filter((s) => s === 'fulfilled'),
          `round ${round}`,
        ).toHaveLength(1);
        const [v] = await h.db.select().from(schema.vouchers).where(eq(schema.vouchers.id, voucher.id));
        const [n] = await h.db
          .select({ n: sql<number>`count(*)`.mapWith(Number) })
          .from(schema.enrollments)
          .where(eq(schema.enrollments.voucherId, voucher.id));
        expect(v?.status === 'REDEEMED' ? 1 : 0).toBe(n?.n);
        expect(await checkLedger(h.db)).toMatchObject({ balanced: true, balanceMismatches: [] });
      } finally {
        h.clock.reset();
      }
    }
  });

  it('the one-statement self-paced path: 200 concurrent redeems give one enrollment, and a racing cancel leaves the books balanced', async () => {
    const { course, code, voucher } = await soldSelfPaced(h);
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, () =>
        h.caller('providerA').provider.vouchers.redeem({ code, courseId: course.id }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.filter((r) => r.status === 'rejected').map((r) => codeOf(r.reason));
    expect(new Set(refused)).toEqual(new Set(['VOUCHER_ALREADY_REDEEMED']));
    const enrollmentsOf = async (id: string) => {
      const [n] = await h.db
        .select({ n: sql<number>`count(*)`.mapWith(Number) })
        .from(schema.enrollments)
        .where(eq(schema.enrollments.voucherId, id));
      return n?.n;
    };
    expect(await enrollmentsOf(voucher.id)).toBe(1);

    for (let round = 0; round < 10; round++) {
      const sold = await soldSelfPaced(h);
      const [redeem, cancel] = await Promise.allSettled([
        h.caller('providerA').provider.vouchers.redeem({ code: sold.code, courseId: sold.course.id }),
        h.caller('platformA').platform.vouchers.cancel({ id: sold.voucher.id }),
      ]);
      expect(
        [redeem.status, cancel.status].filter((s) => s === 'fulfilled'),
        `round ${round}`,
      ).toHaveLength(1);
      if (redeem.status === 'rejected') expect(codeOf(redeem.reason)).toBe('VOUCHER_CANCELLED');
      const [v] = await h.db.select().from(schema.vouchers).where(eq(schema.vouchers.id, sold.voucher.id));
      expect(v?.status === 'REDEEMED' ? 1 : 0).toBe(await enrollmentsOf(sold.voucher.id));
      expect(await checkLedger(h.db)).toMatchObject({ balanced: true, balanceMismatches: [] });
    }
  });
});

describe.runIf(postgresAvailable())('the single self-paced redemption on PostgreSQL', () => {
  // One connection, so the session that ran the redemption is the one asked about its statements.
  const h = useHarness('postgres', { poolSize: 1 });

  it('runs as a named prepared statement, parsed once per connection and reused', async () => {
    const first = await soldSelfPaced(h);
    const second = await soldSelfPaced(h);
    const p = h.caller('providerA').provider.vouchers;
    await p.redeem({ code: first.code, courseId: first.course.id });
    await p.redeem({ code: second.code, courseId: second.course.id });
    const rows = (await h.db.execute(
      sql`select generic_plans + custom_plans as runs from pg_prepared_statements where name = 'latih_redeem_self_paced'`,
    )) as unknown as { rows: Array<{ runs: number | string }> };
    expect(rows.rows.map((r) => Number(r.runs))).toEqual([2]);
  });
});
