import { createHash, randomInt } from 'node:crypto';

/** Crockford's base32: no I, L, O or U, so a code read aloud or typed is hard to get wrong. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const N = ALPHABET.length;

/**
 * Luhn mod 32 check character: catches every single-character typo, and every swap of two
 * neighbours but 0↔Z (the one blind spot of Luhn mod N), before any lookup.
 */
export function checkCharacter(body: string): string {
  let factor = 2;
  let sum = 0;
  for (let i = body.length - 1; i >= 0; i--) {
    const v = ALPHABET.indexOf(body.charAt(i));
    let addend = factor * v;
    factor = factor === 2 ? 1 : 2;
    addend = Math.floor(addend / N) + (addend % N);
    sum += addend;
  }
  return ALPHABET.charAt((N - (sum % N)) % N);
}

/** 15 random characters (75 bits) and a check character, grouped by four: `K7QM-3XTA-9WHD-2RPF`. */
export function generateVoucherCode(): string {
  let body = '';
  for (let i = 0; i < 15; i++) body += ALPHABET.charAt(randomInt(N));
  const code = body + checkCharacter(body);
  return code.match(/.{4}/g)?.join('-') ?? code;
}

/**
 * What a person typed → the canonical code, or undefined when it cannot be one (wrong length,
 * foreign characters, or a failed check character). Lower case, spaces, hyphens and the usual
 * look-alikes (O→0, I/L→1) are forgiven, and so is the sandbox's `PRAT-` prefix of a test code.
 */
export function normalizeVoucherCode(input: string): string | undefined {
  let s = input.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  // A sandbox test code carries the program's `PRAT-` prefix (sandbox.testCodes.issue).
  if (s.length === 20 && s.startsWith('PRAT')) s = s.slice(4);
  if (!/^[0-9A-HJKMNP-TV-Z]{16}$/.test(s)) return undefined;
  return checkCharacter(s.slice(0, 15)) === s.charAt(15) ? s : undefined;
}

/** 75 random bits need no slow hash: SHA-256 of the canonical form. */
export function hashVoucherCode(canonical: string): string {
  return createHash('sha256').update(canonical).digest('base64url');
}
