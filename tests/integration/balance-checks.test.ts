import { describe, expect, it } from 'vitest';
import { engines } from '../support/db';
import { codeOf, useHarness } from '../support/harness';
import { participants } from '../support/marketplace-fixtures';

/*
 * platform.balanceChecks.*: a participant's remaining balance before a checkout, only with the
 * participant's one-time code, and never a way to learn which card numbers are participants'.
 */
describe.each(engines())('balance checks on %s', (engine) => {
  const h = useHarness(engine);
  const platform = () => h.caller('platformA').platform.balanceChecks;
  const refusal = (p: Promise<unknown>) =>
    p.then(
      () => 'OK',
      (e: unknown) => codeOf(e),
    );

  it('with the participant’s code: the balance and the purchase deadline, once', async () => {
    const [p] = await participants(h, 1);
    const check = await platform().start({ cardNumber: p?.cardNumber ?? '' });
    expect(Object.keys(check).sort()).toEqual(['expiresAt', 'id']);
    const code = h.otp.read(check.id);
    expect(code).toMatch(/^\d{6}$/);
    const wrong = code === '000000' ? '000001' : '000000';
    expect(await refusal(platform().confirm({ id: check.id, code: wrong }))).toBe('OTP_INVALID');
    const seen = await platform().confirm({ id: check.id, code: code ?? '' });
    expect(seen).toMatchObject({
      cardNumberLast4: p?.cardNumber.slice(-4),
      balance: 3_500_000,
      canBuy: true,
    });
    expect(Date.parse(seen.purchaseDeadline)).toBeGreaterThan(Date.now());
    expect(await refusal(platform().confirm({ id: check.id, code: code ?? '' }))).toBe('INVALID_STATE');
    // Another platform cannot read this platform's check; a provider cannot start one.
    expect(
      await refusal(h.caller('platformB').platform.balanceChecks.confirm({ id: check.id, code: code ?? '' })),
    ).toBe('NOT_FOUND');
    expect(
      await refusal(h.caller('providerA').platform.balanceChecks.start({ cardNumber: p?.cardNumber ?? '' })),
    ).toBe('FORBIDDEN_ROLE');
  });

  it('a card number that is no participant’s answers exactly as one that is, to the last refusal', async () => {
    const [p] = await participants(h, 1);
    const known = await platform().start({ cardNumber: p?.cardNumber ?? '' });
    const unknown = await platform().start({ cardNumber: '9999888877776666' });
    expect(Object.keys(unknown).sort()).toEqual(Object.keys(known).sort());
    expect(Date.parse(unknown.expiresAt) - Date.parse(known.expiresAt)).toBeLessThan(60_000);
    expect(h.otp.read(unknown.id)).toBeUndefined(); // nobody to send it to
    // Five guesses each: the same four refusals, then locked, for both.
    const guesses = async (id: string) => {
      const out = [];
      for (const code of ['111111', '222222', '333333', '444444', '555555'])
        out.push(await refusal(platform().confirm({ id, code })));
      return out;
    };
    const knownCode = h.otp.read(known.id);
    const tries = await guesses(unknown.id);
    expect(tries).toEqual(['OTP_INVALID', 'OTP_INVALID', 'OTP_INVALID', 'OTP_INVALID', 'OTP_LOCKED']);
    if (!['111111', '222222', '333333', '444444', '555555'].includes(knownCode ?? ''))
      expect(await guesses(known.id)).toEqual(tries);
    // Locked stays locked, even with the right code.
    expect(await refusal(platform().confirm({ id: known.id, code: knownCode ?? '' }))).toBe('OTP_LOCKED');
  });

  it('three checks per card per hour, known or not; the next hour opens again', async () => {
    try {
      const [p] = await participants(h, 1);
      for (const card of [p?.cardNumber ?? '', '9999888877770001']) {
        for (let i = 0; i < 3; i++) await platform().start({ cardNumber: card });
        // By any platform: the limit is the card's.
        expect(await refusal(h.caller('platformB').platform.balanceChecks.start({ cardNumber: card }))).toBe(
          'BALANCE_CHECKS_TOO_MANY',
        );
      }
      // Retry-After: until the oldest of the hour's three leaves the window (the first whole second after).
      const t0 = Date.now() + 2 * 3_600_000;
      const card = '9999888877770003';
      for (const minutes of [0, 10, 20]) {
        h.clock.set(new Date(t0 + minutes * 60_000));
        await platform().start({ cardNumber: card });
      }
      h.clock.set(new Date(t0 + 30 * 60_000));
      const refused = h.session('platformB');
      expect(await refusal(refused.api.platform.balanceChecks.start({ cardNumber: card }))).toBe(
        'BALANCE_CHECKS_TOO_MANY',
      );
      expect(refused.headers.get('retry-after')).toBe(String(30 * 60 + 1));
      h.clock.set(new Date(t0 + 60 * 60_000 + 1_000));
      expect(await refusal(platform().start({ cardNumber: card }))).toBe('OK');
      h.clock.set(new Date(Date.now() + 61 * 60_000));
      expect(await refusal(platform().start({ cardNumber: p?.cardNumber ?? '' }))).toBe('OK');
      // Expired codes answer as expired.
      const late = await platform().start({ cardNumber: '9999888877770002' });
      h.clock.set(new Date(Date.now() + 72 * 60_000));
      expect(await refusal(platform().confirm({ id: late.id, code: '123456' }))).toBe('OTP_EXPIRED');
      expect(await refusal(platform().start({ cardNumber: '12345' }))).toBe('VALIDATION_FAILED');
    } finally {
      h.clock.reset();
    }
  });
});
