import { describe, expect, it } from 'vitest';
import { checkCharacter, generateVoucherCode, normalizeVoucherCode } from './code';

describe('voucher codes', () => {
  it('look like XXXX-XXXX-XXXX-XXXX in an unambiguous alphabet and carry a valid check character', () => {
    for (let i = 0; i < 200; i++) {
      const code = generateVoucherCode();
      expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
      expect(normalizeVoucherCode(code)).toBe(code.replaceAll('-', ''));
    }
    expect(new Set(Array.from({ length: 1000 }, generateVoucherCode)).size).toBe(1000);
  });

  it('forgive case, spacing and look-alikes', () => {
    const code = generateVoucherCode()
      .replaceAll('0', 'O')
      .replaceAll('1', 'l')
      .toLowerCase()
      .replaceAll('-', ' ');
    expect(normalizeVoucherCode(code)).toBeDefined();
  });

  it('catch every single-character typo and every swap of neighbours (but 0↔Z) without a lookup', () => {
    const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
    const code = normalizeVoucherCode(generateVoucherCode()) ?? '';
    let caught = 0;
    let tried = 0;
    for (let i = 0; i < 16; i++) {
      for (const c of alphabet) {
        if (c === code[i]) continue;
        tried++;
        if (normalizeVoucherCode(code.slice(0, i) + c + code.slice(i + 1)) === undefined) caught++;
      }
    }
    for (let i = 0; i < 15; i++) {
      // Luhn mod 32's one blind spot: swapping 0 and Z keeps the sum.
      if (code[i] === code[i + 1] || [code[i], code[i + 1]].sort().join('') === '0Z') continue;
      tried++;
      const swapped = code.slice(0, i) + code[i + 1] + code[i] + code.slice(i + 2);
      if (normalizeVoucherCode(swapped) === undefined) caught++;
    }
    expect(caught).toBe(tried);
    expect(checkCharacter('')).toBe('0');
  });
});
