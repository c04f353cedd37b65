import { checkLedger, PROGRAM_FUND, schema } from '@latih/db';
import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { engines, postgresAvailable } from '../support/db';
import { codeOf, useHarness } from '../support/harness';
import { accountBalance } from '../support/ledger';

/** A plausible NIK: Kota Bandung (32.73), district 01, the birth date (day + 40 for women), a serial. */
function nik(birth: string, gender: 'M' | 'F', serial: number, region = '327301'): string {
  const [y, m, d] = birth.split('-');
  const day = Number(d) + (gender === 'F' ? 40 : 0);
  return `${region}${String(day).padStart(2, '0')}${m}${y?.slice(2)}${String(serial).padStart(4, '0')}`;
}

let cards = 1_000_000_000;
function person(serial: number, over: Record<string, unknown> = {}) {
  const gender = serial % 2 === 0 ? 'F' : 'M';
  return {
    nik: nik('1995-08-17', gender, serial),
    cardNumber: `5${String(cards++).padStart(15, '0')}`,
    name: `Peserta ${serial}`,
    gender,
    birthDate: '1995-08-17',
    regencyCode: '32.73',
    ...over,
  };
}

describe.each(engines())('participants import on %s', (engine) => {
  const h = useHarness(engine);

  it('validates each item and reports code and field; valid ones are created with the scheme’s balance and deadline', async () => {
    const items = [
      person(1),
      person(2),
      person(3, { nik: '32730117089' }),
      person(4, { nik: nik('1995-08-17', 'M', 4, '997301') }),
      person(5, { nik: nik('1995-02-30', 'M', 5) }),
      person(6, { birthDate: '1995-08-18' }),
      person(7, { gender: 'F' }),
      person(8, { regencyCode: '32.99' }),
      person(9, { cardNumber: '123' }),
      person(10, { nik: `${nik('1995-08-17', 'F', 10).slice(0, 12)}0000` }),
    ];
    const r = await h.caller('pmo').pmo.participants.import({ cohort: 61, items });
    expect(r.results.map((x) => [x.status, x.error?.code ?? null, x.error?.field ?? null])).toEqual([
      ['CREATED', null, null],
      ['CREATED', null, null],
      ['ERROR', 'NIK_INVALID', 'nik'],
      ['ERROR', 'NIK_INVALID', 'nik'],
      ['ERROR', 'NIK_INVALID', 'nik'],
      ['ERROR', 'NIK_INVALID', 'birthDate'],
      ['ERROR', 'NIK_INVALID', 'gender'],
      ['ERROR', 'REGENCY_UNKNOWN', 'regencyCode'],
      ['ERROR', 'VALIDATION_FAILED', 'cardNumber'],
      ['ERROR', 'NIK_INVALID', 'nik'],
    ]);
    expect(r.summary).toEqual({
      created: 2,
      duplicate: 0,
      error: 8,
      credited: 7_000_000,
      blocked: 0,
      pending: 0,
    });
    const [row] = await h.db
      .select()
      .from(schema.participants)
      .where(eq(schema.participants.id, r.results[0]?.participantId ?? ''));
    expect(row).toMatchObject({
      balance: 3_500_000,
      schemeId: 'PRAKERJA_2023',
      cohort: 61,
      gender: 'M',
      status: 'ACTIVE',
    });
    const windowDays = ((row?.purchaseDeadline.getTime() ?? 0) - Date.now()) / 86_400_000;
    expect(windowDays).toBeGreaterThan(14.9);
    expect(windowDays).toBeLessThanOrEqual(15);
  });

  it('never keeps or answers the full NIK: a keyed hash and the last four digits only', async () => {
    const p = person(11);
    const r = await h.caller('pmo').pmo.participants.import({ cohort: 61, items: [p] });
    expect(JSON.stringify(r)).not.toContain(p.nik);
    expect(r.results[0]?.nikLast4).toBe(p.nik.slice(-4));
    for (const table of [
      'participants',
      'audit_log',
      'events',
      'ledger_entries',
      'ledger_transactions',
      'idempotency_keys',
    ]) {
      const dump = (await h.db.execute(sql.raw(`select * from ${table}`))) as unknown as { rows: unknown[] };
      expect(JSON.stringify(dump.rows), table).not.toContain(p.nik);
    }
  });

  it('a NIK imported again is a DUPLICATE pointing at the first, and is never credited twice', async () => {
    const p = person(12);
    const first = await h.caller('pmo').pmo.participants.import({ cohort: 61, items: [p] });
    const fundBefore = await accountBalance(h.db, PROGRAM_FUND);
    const again = await h.caller('pmo').pmo.participants.import({
      cohort: 62,
      items: [{ ...p, cardNumber: '5999999999999999', name: 'Nama lain' }, p],
    });
    expect(again.results.map((x) => [x.status, x.participantId])).toEqual([
      ['DUPLICATE', first.results[0]?.participantId],
      ['DUPLICATE', first.results[0]?.participantId],
    ]);
    expect(await accountBalance(h.db, PROGRAM_FUND)).toBe(fundBefore);
    // The same NIK twice in one new batch: the second is the duplicate of the first.
    const twice = await h.caller('pmo').pmo.participants.import({
      cohort: 62,
      items: [person(13), { ...person(13), cardNumber: '5888888888888888' }],
    });
    expect(twice.results.map((x) => x.status)).toEqual(['CREATED', 'DUPLICATE']);
    expect(twice.results[1]?.participantId).toBe(twice.results[0]?.participantId);
  });

  it('a card number belongs to one participant', async () => {
    const a = person(14);
    await h.caller('pmo').pmo.participants.import({ cohort: 61, items: [a] });
    const r = await h
      .caller('pmo')
      .pmo.participants.import({ cohort: 61, items: [{ ...person(15), cardNumber: a.cardNumber }] });
    expect(r.results[0]).toMatchObject({
      status: 'ERROR',
      error: { code: 'EXTERNAL_ID_TAKEN', field: 'cardNumber' },
    });
  });

  it('the 2020 scheme credits Rp1.000.000 with a 30-day window; the books balance after every import', async () => {
    const r = await h
      .caller('pmo')
      .pmo.participants.import({ cohort: 1, schemeId: 'PRAKERJA_2020', items: [person(16)] });
    const [row] = await h.db
      .select()
      .from(schema.participants)
      .where(eq(schema.participants.id, r.results[0]?.participantId ?? ''));
    expect(row?.balance).toBe(1_000_000);
    expect(Math.round(((row?.purchaseDeadline.getTime() ?? 0) - Date.now()) / 86_400_000)).toBe(30);
    const books = await checkLedger(h.db);
    expect(books).toMatchObject({ balanced: true, total: 0, balanceMismatches: [] });
    const [n] = await h.db.select({ n: sql<number>`count(*)`.mapWith(Number) }).from(schema.participants);
    expect(await accountBalance(h.db, PROGRAM_FUND)).toBeLessThan(0);
    expect(n?.n).toBeGreaterThan(0);
  });

  it('the ledger is append-only', async () => {
    const refused = (e: unknown) => /append-only/.test(String((e as { cause?: Error }).cause?.message));
    await expect(h.db.execute(sql`update ledger_entries set amount = amount + 1`)).rejects.toSatisfy(refused);
    await expect(h.db.execute(sql`delete from ledger_transactions`)).rejects.toSatisfy(refused);
  });

  it('only the PMO imports participants', async () => {
    const err = await h
      .caller('providerA')
      .pmo.participants.import({ cohort: 1, items: [person(17)] })
      .catch((e: unknown) => e);
    expect(codeOf(err)).toBe('FORBIDDEN_ROLE');
  });

  it('takes 10 000 participants in one call and refuses 10 001', async () => {
    const items = Array.from({ length: 10_000 }, (_, i) =>
      person(i, {
        // Serials have four digits: spread over districts 10, 11, … of Kota Makassar.
        nik: nik('1990-01-15', 'M', 1 + (i % 9000), `7371${10 + Math.floor(i / 9000)}`),
        gender: 'M',
        birthDate: '1990-01-15',
        regencyCode: '73.71',
      }),
    );
    const r = await h.caller('pmo').pmo.participants.import({ cohort: 70, items });
    expect(r.results.filter((x) => x.status === 'ERROR')).toEqual([]);
    expect(r.summary).toMatchObject({ created: 10_000, error: 0, credited: 35_000_000_000 });
    expect(await checkLedger(h.db)).toMatchObject({ balanced: true, balanceMismatches: [] });
    const over = await h
      .caller('pmo')
      .pmo.participants.import({ cohort: 70, items: [...items, person(1)] })
      .catch((e: unknown) => e);
    expect(codeOf(over)).toBe('VALIDATION_FAILED');
  });
});

describe.runIf(postgresAvailable())('participants import races on real PostgreSQL', () => {
  const h = useHarness('postgres', { poolSize: 8 });

  it('concurrent imports of overlapping cohorts store and credit each NIK once', async () => {
    const people = Array.from({ length: 200 }, (_, i) => person(100 + i));
    const batches = Array.from({ length: 6 }, (_, b) =>
      people.filter((_, i) => (i + b) % 2 === 0 || i % 7 === b),
    );
    const results = await Promise.all(
      batches.map((items) => h.caller('pmo').pmo.participants.import({ cohort: 80, items })),
    );
    const created = results.flatMap((r) => r.results.filter((x) => x.status === 'CREATED'));
    expect(created).toHaveLength(200);
    const [n] = await h.db.select({ n: sql<number>`count(*)`.mapWith(Number) }).from(schema.participants);
    expect(n?.n).toBe(200);
    expect(await checkLedger(h.db)).toMatchObject({ balanced: true, balanceMismatches: [] });
    expect(await accountBalance(h.db, PROGRAM_FUND)).toBe(-200 * 3_500_000);
  });
});
