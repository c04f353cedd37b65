/**
 * The map's provinces (svg-maps ids) to Kemendagri province codes. The map predates the 2022
 * split of Papua: Papua Selatan (93), Papua Tengah (94) and Papua Pegunungan (95) lie within
 * its Papua, and Papua Barat Daya (96) within its Papua Barat, so their figures are added there.
 */
export const MAP_PROVINCES: Record<string, string[]> = {
  'id-ac': ['11'],
  'id-su': ['12'],
  'id-sb': ['13'],
  'id-ri': ['14'],
  'id-ja': ['15'],
  'id-ss': ['16'],
  'id-be': ['17'],
  'id-la': ['18'],
  'id-bb': ['19'],
  'id-kr': ['21'],
  'id-jk': ['31'],
  'id-jb': ['32'],
  'id-jt': ['33'],
  'id-yo': ['34'],
  'id-ji': ['35'],
  'id-bt': ['36'],
  'id-ba': ['51'],
  'id-nb': ['52'],
  'id-nt': ['53'],
  'id-kb': ['61'],
  'id-kt': ['62'],
  'id-ks': ['63'],
  'id-ki': ['64'],
  'id-ku': ['65'],
  'id-sa': ['71'],
  'id-st': ['72'],
  'id-sn': ['73'],
  'id-sg': ['74'],
  'id-go': ['75'],
  'id-sr': ['76'],
  'id-ma': ['81'],
  'id-mu': ['82'],
  'id-pa': ['91', '93', '94', '95'],
  'id-pb': ['92', '96'],
};

/** Five steps of one blue, light to dark; the darkest two take white text in the legend. */
export const SHADES = ['#dbe9f6', '#9ecae1', '#5a9bd0', '#2a6fb5', '#0b3d6e'] as const;
export const EMPTY = '#f2f2f2';

/** Which of the five shades a value takes, on a linear scale from 0 to the largest value. */
export function shadeOf(value: number, max: number): number {
  if (max <= 0 || value <= 0) return -1;
  return Math.min(SHADES.length - 1, Math.floor((value / max) * SHADES.length));
}

/** The integer range each shade covers (v takes shade i when max·i/5 ≤ v < max·(i+1)/5), for the legend. */
export function shadeBins(max: number): { colour: string; low: number; high: number }[] {
  return SHADES.map((colour, i) => ({
    colour,
    low: Math.max(1, Math.ceil((max * i) / SHADES.length)),
    high: i === SHADES.length - 1 ? max : Math.ceil((max * (i + 1)) / SHADES.length) - 1,
  })).filter((b) => b.low <= b.high);
}
