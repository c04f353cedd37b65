import { expireDueBalances, expireDueVouchers } from '@latih/core';
import { checkLedger, schema } from '@latih/db';
import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { fullCourse, publishedCourse } from '../support/catalog-fixtures';
import { engines, postgresAvailable } from '../support/db';
import { codeOf, type Harness, useHarness } from '../support/harness';
import { accountBalance } from '../support/ledger';
import { buy, onSale, participants } from '../support/marketplace-fixtures';

const code = (p: Promise<unknown>) =>
  p.then(
    () => 'OK',
    (e: unknown) => codeOf(e),
  );

async function booksBalance(h: Harness) {
  expect(await checkLedger(h.db)).toMatchObject({ balanced: true, total: 0, balanceMismatches: [] });
}

describe.each(engines())('checkout with consent and vouchers on %s', (engine) => {
  const h = useHarness(engine);

  it('create sends a code; confirm debits, takes a seat and issues the voucher, once', async () => {
    const [p] = await participants(h, 1);
    const { course, run } = await onSale(h);
    const platform = h.caller('platformA').platform;
    const checkout = await platform.checkout.create({
      cardNumber: p?.cardNumber ?? '',
      courseId: course.id,
      runId: run.id,
    });
    expect(checkout).toMatchObject({ status: 'PENDING', price: 1_500_000, attemptsLeft: 5, voucherId: null });
    expect(checkout.participant.nikLast4).toHaveLength(4);
    const otp = h.otp.read(checkout.id);
    expect(otp).toMatch(/^\d{6}$/);

    // Under an idempotency key, as the SDK sends it: the stored response must not reveal the code.
    const keyed = () => h.caller('platformA', { idempotencyKey: 'confirm-the-first' }).platform.checkout;
    const result = await keyed().confirm({ id: checkout.id, code: otp ?? '' });
    const replayed = await keyed().confirm({ id: checkout.id, code: otp ?? '' });
    expect(replayed).toEqual(result); // the replay still carries the code, for a client that lost the answer
    expect(result.code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
    expect(result.voucher).toMatchObject({
      status: 'ISSUED',
      courseId: course.id,
      runId: run.id,
      price: 1_500_000,
    });
    expect(result.voucher.codeLast4).toBe(result.code.replaceAll('-', '').slice(-4));
    expect(result.balanceLeft).toBe(2_000_000);
    expect((await h.caller('providerA').provider.runs.get({ id: run.id })).seatsTaken).toBe(1);
    expect(await accountBalance(h.db, 'escrow:vouchers')).toBeGreaterThanOrEqual(1_500_000);
    await booksBalance(h);

    // The code is a bearer secret: nowhere in the database, not even in the idempotency records.
    for (const table of ['vouchers', 'checkouts', 'events', 'audit_log', 'idempotency_keys']) {
      const rows = (await h.db.execute(sql.raw(`select * from ${table}`))) as unknown as { rows: unknown[] };
      const dump = JSON.stringify(rows.rows);
      expect(dump, table).not.toContain(result.code);
      expect(dump, table).not.toContain(result.code.replaceAll('-', ''));
    }
    expect(await platform.vouchers.get({ id: result.voucher.id })).toEqual(result.voucher);
    expect((await platform.vouchers.list({ status: 'ISSUED' })).items.map((v) => v.id)).toContain(
      result.voucher.id,
    );
    const [event] = await h.db
      .select()
      .from(schema.events)
      .where(eq(schema.events.entityId, result.voucher.id));
    expect(event?.type).toBe('voucher.issued');

    expect(await code(platform.checkout.confirm({ id: checkout.id, code: otp ?? '' }))).toBe('INVALID_STATE');
    expect(
      await code(
        platform.checkout.create({ cardNumber: p?.cardNumber ?? '', courseId: course.id, runId: run.id }),
      ),
    ).toBe('COURSE_ALREADY_PURCHASED');
  });

  it('refuses what cannot be bought, with typed codes', async () => {
    const [p, q, r] = await participants(h, 3);
    const [old] = await participants(h, 1, { schemeId: 'PRAKERJA_2020' });
    const { course, run } = await onSale(h);
    const create = (cardNumber: string, courseId: string, runId?: string) =>
      code(
        h.caller('platformA').platform.checkout.create({ cardNumber, courseId, ...(runId ? { runId } : {}) }),
      );

    expect(await create('7999999999999999', course.id, run.id)).toBe('NOT_FOUND');
    expect(await create(p?.cardNumber ?? '', course.id)).toBe('VALIDATION_FAILED'); // run required
    expect(await create(old?.cardNumber ?? '', course.id, run.id)).toBe('COURSE_NOT_ON_SALE'); // other scheme

    const draft = await h
      .caller('providerA')
      .provider.courses.create({ ...fullCourse, title: 'Belum dijual' });
    // Never on sale: answered as an unknown id (see unpublished-isolation.test.ts).
    expect(await create(p?.cardNumber ?? '', draft.id)).toBe('NOT_FOUND');
    const scheduled = await publishedCourse(h); // run not opened
    expect(await create(p?.cardNumber ?? '', scheduled.course.id, scheduled.run.id)).toBe('NOT_FOUND');

    await h.db
      .update(schema.participants)
      .set({ purchaseDeadline: new Date(Date.now() - 1000) })
      .where(eq(schema.participants.id, p?.id ?? ''));
    expect(await create(p?.cardNumber ?? '', course.id, run.id)).toBe('PURCHASE_WINDOW_CLOSED');
    await h.db
      .update(schema.participants)
      .set({ status: 'INACTIVE' })
      .where(eq(schema.participants.id, q?.id ?? ''));
    expect(await create(q?.cardNumber ?? '', course.id, run.id)).toBe('PARTICIPANT_NOT_ACTIVE');

    const pricey = await onSale(h, { price: 3_000_000 });
    await buy(h, r?.cardNumber ?? '', course.id, run.id); // 3.5M − 1.5M = 2M left
    expect(await create(r?.cardNumber ?? '', pricey.course.id, pricey.run.id)).toBe('INSUFFICIENT_BALANCE');

    const full = await onSale(h, { capacity: 1 });
    const [s, t] = await participants(h, 2);
    await buy(h, s?.cardNumber ?? '', full.course.id, full.run.id);
    expect(await create(t?.cardNumber ?? '', full.course.id, full.run.id)).toBe('RUN_FULL');
    expect(
      await code(
        h
          .caller('providerA')
          .platform.checkout.create({ cardNumber: t?.cardNumber ?? '', courseId: course.id, runId: run.id }),
      ),
    ).toBe('FORBIDDEN_ROLE');
  });

  it('wrong codes count even though the call fails; the fifth locks; codes expire after 10 minutes', async () => {
    const [p, q] = await participants(h, 2);
    const { course, run } = await onSale(h);
    const platform = h.caller('platformA').platform.checkout;
    const checkout = await platform.create({
      cardNumber: p?.cardNumber ?? '',
      courseId: course.id,
      runId: run.id,
    });
    const right = h.otp.read(checkout.id) ?? '';
    const wrong = right === '000000' ? '111111' : '000000';
    for (let i = 1; i <= 4; i++) {
      const err = await platform.confirm({ id: checkout.id, code: wrong }).catch((e: unknown) => e);
      expect(codeOf(err)).toBe('OTP_INVALID');
      expect((err as Error).message).toContain(`${5 - i} attempts left`);
    }
    const [row] = await h.db.select().from(schema.checkouts).where(eq(schema.checkouts.id, checkout.id));
    expect(row?.attempts).toBe(4);
    // The same wrong code again under one idempotency key is one attempt, replayed.
    const keyed = h.caller('platformA', { idempotencyKey: 'otp-try-5' }).platform.checkout;
    expect(await code(keyed.confirm({ id: checkout.id, code: wrong }))).toBe('OTP_LOCKED');
    expect(
      await code(
        h
          .caller('platformA', { idempotencyKey: 'otp-try-5' })
          .platform.checkout.confirm({ id: checkout.id, code: wrong }),
      ),
    ).toBe('OTP_LOCKED');
    expect(await code(platform.confirm({ id: checkout.id, code: right }))).toBe('OTP_LOCKED');
    const [locked] = await h.db.select().from(schema.checkouts).where(eq(schema.checkouts.id, checkout.id));
    expect(locked).toMatchObject({ attempts: 5, status: 'LOCKED' });

    const late = await platform.create({
      cardNumber: q?.cardNumber ?? '',
      courseId: course.id,
      runId: run.id,
    });
    await h.db
      .update(schema.checkouts)
      .set({ otpExpiresAt: new Date(Date.now() - 1) })
      .where(eq(schema.checkouts.id, late.id));
    expect(await code(platform.confirm({ id: late.id, code: h.otp.read(late.id) ?? '' }))).toBe(
      'OTP_EXPIRED',
    );
    const [expired] = await h.db.select().from(schema.checkouts).where(eq(schema.checkouts.id, late.id));
    expect(expired?.status).toBe('EXPIRED');
    // Nothing was charged by any of it.
    const [row2] = await h.db
      .select()
      .from(schema.participants)
      .where(eq(schema.participants.id, q?.id ?? ''));
    expect(row2?.balance).toBe(3_500_000);
    await booksBalance(h);
  });

  it('the balance is checked again, atomically, at confirmation', async () => {
    const [p] = await participants(h, 1);
    const a = await onSale(h, { price: 2_000_000 });
    const b = await onSale(h, { price: 2_000_000, who: 'providerB' });
    const platform = h.caller('platformA').platform.checkout;
    const ca = await platform.create({
      cardNumber: p?.cardNumber ?? '',
      courseId: a.course.id,
      runId: a.run.id,
    });
    const cb = await platform.create({
      cardNumber: p?.cardNumber ?? '',
      courseId: b.course.id,
      runId: b.run.id,
    });
    await platform.confirm({ id: ca.id, code: h.otp.read(ca.id) ?? '' });
    expect(await code(platform.confirm({ id: cb.id, code: h.otp.read(cb.id) ?? '' }))).toBe(
      'INSUFFICIENT_BALANCE',
    );
    await booksBalance(h);
  });

  it('another platform sees and confirms nothing of it', async () => {
    const { orgs } = h;
    const [p] = await participants(h, 1);
    const { course, run } = await onSale(h);
    const checkout = await h
      .caller('platformA')
      .platform.checkout.create({ cardNumber: p?.cardNumber ?? '', courseId: course.id, runId: run.id });
    const { createOrganisationWithClient } = await import('@latih/core');
    const other = await createOrganisationWithClient(h.db, { kind: 'PLATFORM', name: 'Platform B' });
    const token = h.tokens.issue({
      organisationId: other.organisationId,
      role: 'platform',
      clientId: other.clientId,
      scopes: ['catalog:read', 'orders:write'],
    }).token;
    const b = h.caller(null, { authorization: `Bearer ${token}` }).platform;
    expect(await code(b.checkout.confirm({ id: checkout.id, code: h.otp.read(checkout.id) ?? '' }))).toBe(
      'NOT_FOUND',
    );
    const result = await h
      .caller('platformA')
      .platform.checkout.confirm({ id: checkout.id, code: h.otp.read(checkout.id) ?? '' });
    expect(await code(b.vouchers.get({ id: result.voucher.id }))).toBe('NOT_FOUND');
    expect(await code(b.vouchers.cancel({ id: result.voucher.id }))).toBe('NOT_FOUND');
    expect((await b.vouchers.list()).items).toEqual([]);
    expect(orgs.platformA.organisationId).not.toBe(other.organisationId);
  });

  it('cancelling an unredeemed voucher refunds the balance and frees the seat; it can be bought again', async () => {
    const [p, q] = await participants(h, 2);
    const { course, run } = await onSale(h, { capacity: 1 });
    const bought = await buy(h, p?.cardNumber ?? '', course.id, run.id);
    expect((await h.caller('providerA').provider.runs.get({ id: run.id })).status).toBe('FULL');
    const cancelled = await h.caller('platformA').platform.vouchers.cancel({ id: bought.voucher.id });
    expect(cancelled).toMatchObject({ status: 'CANCELLED', closedAt: expect.any(String) });
    expect(await code(h.caller('platformA').platform.vouchers.cancel({ id: bought.voucher.id }))).toBe(
      'VOUCHER_NOT_CANCELLABLE',
    );
    const [row] = await h.db
      .select()
      .from(schema.participants)
      .where(eq(schema.participants.id, p?.id ?? ''));
    expect(row?.balance).toBe(3_500_000);
    expect(await h.caller('providerA').provider.runs.get({ id: run.id })).toMatchObject({
      status: 'OPEN',
      seatsTaken: 0,
    });
    await expect(buy(h, q?.cardNumber ?? '', course.id, run.id)).resolves.toMatchObject({
      voucher: { status: 'ISSUED' },
    });
    await booksBalance(h);
  });

  /** The two deadline jobs of the schedule, in its order: vouchers, then balances. */
  const expireDue = async (o: { db: typeof h.db; now: Date }) => ({
    vouchers: (await expireDueVouchers(o)).expired,
    balances: (await expireDueBalances(o)).expired,
  });

  it('the deadlines: unredeemed vouchers expire back to the balance, unused balances back to the program, once', async () => {
    const [p] = await participants(h, 1);
    const { course, run } = await onSale(h);
    const bought = await buy(h, p?.cardNumber ?? '', course.id, run.id);
    const after = new Date(Date.parse(bought.voucher.expiresAt) + 1000);
    const first = await expireDue({ db: h.db, now: after });
    expect(first.vouchers).toBeGreaterThanOrEqual(1);
    expect((await h.caller('platformA').platform.vouchers.get({ id: bought.voucher.id })).status).toBe(
      'EXPIRED',
    );
    // The purchase window (15 days) closed before the run started: the refunded balance goes back too.
    const [row] = await h.db
      .select()
      .from(schema.participants)
      .where(eq(schema.participants.id, p?.id ?? ''));
    expect(row?.balance).toBe(0);
    expect(await expireDue({ db: h.db, now: after })).toEqual({ vouchers: 0, balances: 0 });
    await booksBalance(h);
  });
});

describe.runIf(postgresAvailable())('checkout races on real PostgreSQL', () => {
  const h = useHarness('postgres', { poolSize: 16 });

  it('50 concurrent confirmations for the last 3 seats: exactly 3 vouchers', async () => {
    const { course, run } = await onSale(h, { capacity: 3 });
    const people = await participants(h, 50);
    const platform = h.caller('platformA').platform.checkout;
    const checkouts = [];
    for (const p of people)
      checkouts.push(await platform.create({ cardNumber: p.cardNumber, courseId: course.id, runId: run.id }));
    const results = await Promise.allSettled(
      checkouts.map((c) => platform.confirm({ id: c.id, code: h.otp.read(c.id) ?? '' })),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r) => r.status === 'rejected').map((r) => codeOf(r.reason));
    expect(ok).toHaveLength(3);
    expect(new Set(refused)).toEqual(new Set(['RUN_FULL']));
    expect(await h.caller('providerA').provider.runs.get({ id: run.id })).toMatchObject({
      status: 'FULL',
      seatsTaken: 3,
    });
    const [n] = await h.db
      .select({ n: sql<number>`count(*)`.mapWith(Number) })
      .from(schema.vouchers)
      .where(eq(schema.vouchers.runId, run.id));
    expect(n?.n).toBe(3);
    await booksBalance(h);
  });

  it('concurrent purchases draining one balance never take it below zero', async () => {
    const [p] = await participants(h, 1);
    const offers = [];
    for (let i = 0; i < 6; i++)
      offers.push(await onSale(h, { price: 1_500_000, who: i % 2 ? 'providerA' : 'providerB' }));
    const platform = h.caller('platformA').platform.checkout;
    const checkouts = [];
    for (const o of offers)
      checkouts.push(
        await platform.create({ cardNumber: p?.cardNumber ?? '', courseId: o.course.id, runId: o.run.id }),
      );
    const results = await Promise.allSettled(
      checkouts.map((c) => platform.confirm({ id: c.id, code: h.otp.read(c.id) ?? '' })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2); // 2 × 1.5M of 3.5M
    const [row] = await h.db
      .select()
      .from(schema.participants)
      .where(eq(schema.participants.id, p?.id ?? ''));
    expect(row?.balance).toBe(500_000);
    await booksBalance(h);
  });

  it('one idempotency key sent 20 times concurrently: one voucher', async () => {
    const [p] = await participants(h, 1);
    const { course, run } = await onSale(h);
    const checkout = await h
      .caller('platformA')
      .platform.checkout.create({ cardNumber: p?.cardNumber ?? '', courseId: course.id, runId: run.id });
    const otp = h.otp.read(checkout.id) ?? '';
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () =>
        h
          .caller('platformA', { idempotencyKey: 'confirm-once' })
          .platform.checkout.confirm({ id: checkout.id, code: otp }),
      ),
    );
    const ok = results.filter((r) => r.status === 'fulfilled').map((r) => r.value);
    expect(ok.length).toBeGreaterThan(0);
    expect(new Set(ok.map((r) => r.voucher.id)).size).toBe(1);
    expect(
      results
        .filter((r) => r.status === 'rejected')
        .every((r) => codeOf(r.reason) === 'IDEMPOTENCY_IN_PROGRESS'),
    ).toBe(true);
    const [n] = await h.db
      .select({ n: sql<number>`count(*)`.mapWith(Number) })
      .from(schema.vouchers)
      .where(eq(schema.vouchers.participantId, p?.id ?? ''));
    expect(n?.n).toBe(1);
    await booksBalance(h);
  });
});
