import indonesia from '@svg-maps/indonesia';
import { count } from './format';
import { usePrefs } from './i18n';
import { EMPTY, MAP_PROVINCES, SHADES, shadeBins, shadeOf } from './map-scale';

/**
 * A choropleth of one figure by province: the paths come from @svg-maps/indonesia (MapSVG,
 * CC BY 4.0), the figures from the statistics answer. The table beside it carries the same
 * numbers for screen readers and keyboards; clicking a province drills into its regencies.
 */
export function ProvinceMap({
  values,
  names,
  label,
  onPick,
}: {
  /** The figure per two-digit province code; null when unknown (suppressed). */
  values: Map<string, number | null>;
  names: Map<string, string>;
  label: string;
  onPick?: (provinceCode: string) => void;
}) {
  const { t, locale } = usePrefs();
  const sums = indonesia.locations.map((loc) => {
    const codes = MAP_PROVINCES[loc.id] ?? [];
    const known = codes.map((c) => values.get(c)).filter((v): v is number => typeof v === 'number');
    return {
      loc,
      codes,
      value: known.length ? known.reduce((a, b) => a + b, 0) : null,
      name: codes.map((c) => names.get(c) ?? loc.name).join(' + '),
    };
  });
  const max = Math.max(0, ...sums.map((s) => s.value ?? 0));
  const bins = shadeBins(max);
  return (
    <figure className="map">
      <svg
        viewBox={indonesia.viewBox}
        role="img"
        aria-label={`${t('map')}: ${label}`}
        data-testid="province-map"
      >
        {sums.map(({ loc, codes, value, name }) => {
          const shade = value === null ? -1 : shadeOf(value, max);
          return (
            // biome-ignore lint/a11y/noStaticElementInteractions: the province select and the table offer the same choice by keyboard
            <path
              key={loc.id}
              d={loc.path}
              data-province={codes.join(',')}
              data-value={value ?? ''}
              fill={shade < 0 ? EMPTY : SHADES[shade]}
              stroke="#555"
              strokeWidth={0.4}
              onClick={onPick && codes[0] ? () => onPick(codes[0] as string) : undefined}
              style={onPick ? { cursor: 'pointer' } : undefined}
            >
              <title>
                {name}: {value === null ? t('noData') : count(value, locale)}
              </title>
            </path>
          );
        })}
      </svg>
      <figcaption>
        <ul className="legend" aria-label={label}>
          <li>
            <span className="swatch" style={{ background: EMPTY }} /> {t('noData')} / 0
          </li>
          {bins.map((b) => (
            <li key={b.colour}>
              <span className="swatch" style={{ background: b.colour }} /> {count(b.low, locale)}
              {b.high > b.low ? `–${count(b.high, locale)}` : ''}
            </li>
          ))}
        </ul>
        <small>
          {t('mapNote')} {t('mapCredit')}
        </small>
      </figcaption>
    </figure>
  );
}
