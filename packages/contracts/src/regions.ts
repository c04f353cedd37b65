import { PROVINCES, REGENCIES, type TTimeZone } from './regions-data';

export { PROVINCES, REGENCIES, type TTimeZone } from './regions-data';

export type TRegency = {
  code: string;
  name: string;
  provinceCode: string;
  provinceName: string;
  timeZone: TTimeZone;
};

const provinces = new Map(PROVINCES.map(([code, name, timeZone]) => [code, { code, name, timeZone }]));
const regencies = new Map<string, TRegency>();
for (const [code, name] of REGENCIES) {
  const provinceCode = code.slice(0, 2);
  const province = provinces.get(provinceCode);
  if (province) {
    regencies.set(code, {
      code,
      name,
      provinceCode,
      provinceName: province.name,
      timeZone: province.timeZone,
    });
  }
}

/** A regency or city by its official code (`32.73` is Kota Bandung), or undefined. */
export function findRegency(code: string): TRegency | undefined {
  return regencies.get(code);
}

export function findProvince(code: string) {
  return provinces.get(code);
}

export const REGENCY_COUNT = regencies.size;
export const PROVINCE_COUNT = provinces.size;

/** Indonesia's three time zones, by their IANA names and local abbreviations. */
export const INDONESIAN_TIME_ZONES = {
  'Asia/Jakarta': 'WIB',
  'Asia/Makassar': 'WITA',
  'Asia/Jayapura': 'WIT',
} as const satisfies Record<TTimeZone, string>;
