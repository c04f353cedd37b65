/** Rupiah as the program writes it: Rp3.500.000 (id-ID grouping, no decimals, no space). */
export function rupiah(amount: number | null | undefined): string {
  if (amount === null || amount === undefined) return '—';
  return `Rp${new Intl.NumberFormat('id-ID', { maximumFractionDigits: 0 }).format(amount)}`;
}

export const ZONES = { WIB: 'Asia/Jakarta', WITA: 'Asia/Makassar', WIT: 'Asia/Jayapura' } as const;
export type Zone = keyof typeof ZONES;

/** An instant in the user's zone (WIB by default), with the zone's name. */
export function dateTime(iso: string | null | undefined, locale: string, zone: Zone = 'WIB'): string {
  if (!iso) return '—';
  const text = new Intl.DateTimeFormat(locale === 'en' ? 'en-GB' : 'id-ID', {
    timeZone: ZONES[zone],
    dateStyle: 'medium',
    timeStyle: 'short',
  }).format(new Date(iso));
  return `${text} ${zone}`;
}

export function percent(rate: number | null | undefined, locale: string): string {
  if (rate === null || rate === undefined) return '—';
  return new Intl.NumberFormat(locale === 'en' ? 'en-GB' : 'id-ID', {
    style: 'percent',
    maximumFractionDigits: 1,
  }).format(rate);
}

export function count(n: number | null | undefined, locale: string): string {
  if (n === null || n === undefined) return '—';
  return new Intl.NumberFormat(locale === 'en' ? 'en-GB' : 'id-ID').format(n);
}
