import { schema } from '@latih/db';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { engines } from '../support/db';
import { codeOf, useHarness } from '../support/harness';
import { minutes, plantCourse, plantEnrollment, plantProvider } from '../support/oversight-fixtures';

const HOUR = 3_600_000;
const base = () => new Date(Math.floor((Date.now() - 2 * 86_400_000) / HOUR) * HOUR);

/*
 * pmo.participants.search / .get: the program office answers "why was my incentive not paid?"
 * without the database. Found by card, NIK (hashed), name prefix and regency; one page with all that
 * names the participant; every search and view audited; the NIK never shown or logged in full.
 */
describe.each(engines())('the participant lookup on %s', (engine) => {
  const h = useHarness(engine);

  it('finds a participant by name or regency and shows everything that names them, audited', async () => {
    const pmo = h.caller('pmo').pmo;
    const provider = await plantProvider(h, 'Lembaga Dompet');
    const course = await plantCourse(h, provider);
    // Four participants paid into one e-wallet: a SHARED_PAYOUT_ACCOUNT signal names each of them.
    const planted = [];
    for (let i = 0; i < 4; i++) {
      const e = await plantEnrollment(h, {
        providerId: provider,
        courseId: course,
        redeemedAt: minutes(base(), i),
      });
      planted.push(e);
      await pmo.participants.setPayoutAccount({
        participantId: e.participantId,
        destination: { kind: 'ewallet', provider: 'gopay', phone: '081355509876' },
      });
    }
    const detected = await pmo.signals.detect({});
    expect(detected.found.SHARED_PAYOUT_ACCOUNT).toBe(1);
    const [first] = planted;
    if (!first) throw new Error('nothing planted');
    const opened = await pmo.cases.open({
      subjectType: 'ENROLLMENT',
      subjectId: first.enrollmentId,
      summary: 'Satu dompet untuk empat peserta',
    });

    const [row] = await h.db
      .select()
      .from(schema.participants)
      .where(eq(schema.participants.id, first.participantId));
    if (!row) throw new Error('no participant');
    // By name prefix in any case, by regency (card and NIK below, with an imported participant).
    const byName = await pmo.participants.search({ name: row.name.slice(0, 6).toUpperCase(), limit: 50 });
    expect(byName.items.map((i) => i.id)).toContain(row.id);
    const byRegency = await pmo.participants.search({ regencyCode: row.regencyCode, limit: 50 });
    expect(byRegency.items.map((i) => i.id)).toContain(row.id);
    expect((await pmo.participants.search({ name: 'Tidak Ada Orang Ini' })).items).toEqual([]);
    // A LIKE wildcard in the name is a character, not "anything".
    expect((await pmo.participants.search({ name: '%%%' })).items).toEqual([]);
    expect(codeOf(await pmo.participants.search({}).catch((e: unknown) => e))).toBe('VALIDATION_FAILED');

    const page = await pmo.participants.get({ id: row.id });
    expect(page.participant).toMatchObject({
      id: row.id,
      cardNumber: row.cardNumber,
      nikLast4: row.nikLast4,
    });
    expect(JSON.stringify(page)).not.toContain(row.nikHash);
    expect(page.vouchers.map((v) => v.id)).toEqual([first.voucherId]);
    expect(page.enrollments).toEqual([
      expect.objectContaining({ id: first.enrollmentId, courseId: course, providerName: 'Lembaga Dompet' }),
    ]);
    expect(page.payoutAccount).toMatchObject({ label: expect.stringContaining('9876') });
    expect(JSON.stringify(page.payoutAccount)).not.toContain('081355509876');
    expect(page.signals).toEqual([
      expect.objectContaining({ type: 'SHARED_PAYOUT_ACCOUNT', status: 'OPEN' }),
    ]);
    expect(page.cases).toEqual([expect.objectContaining({ id: opened.id, subjectId: first.enrollmentId })]);
    expect(page.incentives.length).toBeGreaterThan(0);
    expect(page.incentives[0]?.participantId).toBe(row.id);

    // The second participant: named by the same signal, by no case.
    const second = await pmo.participants.get({ id: planted[1]?.participantId ?? '' });
    expect(second.signals.map((s) => s.type)).toEqual(['SHARED_PAYOUT_ACCOUNT']);
    expect(second.cases).toEqual([]);

    // Audited: every view, every search (by what, never the values).
    const audit = await pmo.audit.list({ action: 'participant.', limit: 100 });
    expect(audit.items.filter((a) => a.action === 'participant.viewed').map((a) => a.entityId)).toEqual(
      expect.arrayContaining([row.id, planted[1]?.participantId]),
    );
    const searches = audit.items.filter((a) => a.action === 'participant.searched');
    expect(searches.length).toBeGreaterThanOrEqual(4);
    expect(JSON.stringify(searches)).not.toContain(row.cardNumber);

    // Only the program office looks people up.
    expect(
      codeOf(
        await h
          .caller('providerA')
          .pmo.participants.get({ id: row.id })
          .catch((e: unknown) => e),
      ),
    ).toBe('FORBIDDEN_ROLE');
    expect(
      codeOf(await pmo.participants.get({ id: 'par_01jw0000000000000000000000' }).catch((e: unknown) => e)),
    ).toBe('NOT_FOUND');
  });

  it('finds by NIK through its keyed hash, never storing or logging it', async () => {
    const pmo = h.caller('pmo').pmo;
    const nik = '3273014508950007';
    const imported = await pmo.participants.import({
      cohort: 7,
      items: [
        {
          nik,
          cardNumber: '8100000000000007',
          name: 'Siti Lookup',
          gender: 'F',
          birthDate: '1995-08-05',
          regencyCode: '32.73',
        },
      ],
    });
    const id = imported.results[0]?.participantId;
    const found = await pmo.participants.search({ nik });
    expect(found.items).toEqual([expect.objectContaining({ id, nikLast4: '0007', name: 'Siti Lookup' })]);
    expect(
      (await pmo.participants.search({ cardNumber: '8100000000000007' })).items.map((i) => i.id),
    ).toEqual([id]);
    // Criteria narrow: the right card in another regency finds nobody.
    expect(
      (await pmo.participants.search({ cardNumber: '8100000000000007', regencyCode: '31.71' })).items,
    ).toEqual([]);
    const audit = await pmo.audit.list({ action: 'participant.searched', limit: 100 });
    expect(JSON.stringify(audit)).not.toContain(nik);
    expect(audit.items.some((a) => JSON.stringify(a.data).includes('"nik"'))).toBe(true);
  });
});
