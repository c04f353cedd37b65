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

/** Today's calendar day in WIB (the program's business day), as YYYY-MM-DD. */
export function todayWib(offsetDays = 0): string {
  return new Date(Date.now() + 7 * 3_600_000 + offsetDays * 86_400_000).toISOString().slice(0, 10);
}

/** The day after a YYYY-MM-DD day: the console's "to" fields are inclusive, the API's are exclusive. */
export function dayAfter(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

/** The instant a WIB calendar day starts (midnight WIB is 17:00 UTC the day before). */
export function wibStart(day: string): string {
  return new Date(`${day}T00:00:00+07:00`).toISOString();
}
