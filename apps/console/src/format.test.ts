import { describe, expect, it } from 'vitest';
import { dateTime, dayAfter, rupiah, todayWib, wibStart } from './format';
import { DICTIONARIES } from './i18n';

describe('console formats', () => {
  it('writes rupiah as the program does, with no decimals and no space', () => {
    expect(rupiah(3_500_000)).toBe('Rp3.500.000');
    expect(rupiah(600_000)).toBe('Rp600.000');
    expect(rupiah(0)).toBe('Rp0');
    expect(rupiah(null)).toBe('—');
  });

  it('shows instants in the chosen zone, WIB by default, with its name', () => {
    const iso = '2026-11-23T01:30:00.000Z';
    expect(dateTime(iso, 'id')).toMatch(/08[.:]30 WIB$/);
    expect(dateTime(iso, 'id', 'WITA')).toMatch(/09[.:]30 WITA$/);
    expect(dateTime(iso, 'en', 'WIT')).toMatch(/10:30 WIT$/);
  });

  it('has every text in both languages', () => {
    expect(Object.keys(DICTIONARIES.en).sort()).toEqual(Object.keys(DICTIONARIES.id).sort());
    for (const v of Object.values(DICTIONARIES.en)) expect(v.trim()).not.toBe('');
  });
});

describe('console day helpers', () => {
  it('turns an inclusive WIB day into the API’s exclusive bound and UTC instants', () => {
    expect(dayAfter('2026-12-31')).toBe('2027-01-01');
    expect(dayAfter('2028-02-28')).toBe('2028-02-29');
    expect(wibStart('2026-11-23')).toBe('2026-11-22T17:00:00.000Z');
    expect(todayWib()).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });
});
