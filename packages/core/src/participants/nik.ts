import { createHmac } from 'node:crypto';
import { findProvince } from '@latih/contracts';

/**
 * A NIK is PPRRDD (province, regency, district of registration) + DDMMYY (birth date; women add 40
 * to the day) + NNNN (serial). "Plausible" here: a known province, a possible birth date, a
 * non-zero serial. It proves nothing about the person; the keyed hash only lets us spot repeats.
 */
export type ParsedNik = { provinceCode: string; birthDate: string; gender: 'M' | 'F' };

export function parseNik(nik: string, now: Date): ParsedNik | { error: string } {
  if (!/^\d{16}$/.test(nik)) return { error: 'A NIK has exactly 16 digits.' };
  const provinceCode = nik.slice(0, 2);
  if (!findProvince(provinceCode)) return { error: `The NIK names no known province (${provinceCode}).` };
  if (nik.slice(2, 4) === '00' || nik.slice(4, 6) === '00')
    return { error: 'The NIK has no regency or district part.' };
  let day = Number(nik.slice(6, 8));
  const month = Number(nik.slice(8, 10));
  const yy = Number(nik.slice(10, 12));
  const gender = day > 40 ? 'F' : 'M';
  if (day > 40) day -= 40;
  // The century that makes the person between 0 and 99 years old today.
  const year = 2000 + yy <= now.getUTCFullYear() ? 2000 + yy : 1900 + yy;
  const birth = new Date(Date.UTC(year, month - 1, day));
  if (birth.getUTCMonth() !== month - 1 || birth.getUTCDate() !== day || day < 1) {
    return { error: 'The NIK’s birth-date part is not a date.' };
  }
  if (birth > now) return { error: 'The NIK’s birth date is in the future.' };
  if (nik.slice(12) === '0000') return { error: 'The NIK’s serial part is zero.' };
  return { provinceCode, birthDate: birth.toISOString().slice(0, 10), gender };
}

/** HMAC-SHA256 under a server key: equal NIKs give equal hashes, and no table of NIKs reverses it. */
export function hashNik(key: Buffer, nik: string): string {
  return createHmac('sha256', key).update(nik, 'utf8').digest('base64url');
}
