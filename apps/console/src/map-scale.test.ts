import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { PROVINCES } from '@latih/contracts';
import { describe, expect, it } from 'vitest';
import { MAP_PROVINCES, SHADES, shadeBins, shadeOf } from './map-scale';

describe('province map', () => {
  it('draws every official province exactly once, on a path the map has', () => {
    const mapped = Object.values(MAP_PROVINCES).flat();
    const official = PROVINCES.map(([code]) => code);
    expect([...mapped].sort()).toEqual([...official].sort());
    const file = createRequire(import.meta.url).resolve('@svg-maps/indonesia/index.js');
    const ids = [...readFileSync(file, 'utf8').matchAll(/"id":"(id-[a-z]{2})"/g)].map((m) => m[1]);
    expect([...ids].sort()).toEqual(Object.keys(MAP_PROVINCES).sort());
  });

  it('shades linearly from 0 to the largest value, and the legend’s ranges agree with it', () => {
    expect(shadeOf(0, 100)).toBe(-1);
    expect(shadeOf(1, 100)).toBe(0);
    expect(shadeOf(19, 100)).toBe(0);
    expect(shadeOf(20, 100)).toBe(1);
    expect(shadeOf(100, 100)).toBe(SHADES.length - 1);
    for (const max of [1, 3, 7, 100, 12345]) {
      const bins = shadeBins(max);
      for (let v = 1; v <= Math.min(max, 500); v++) {
        const bin = bins.find((b) => b.low <= v && v <= b.high);
        expect(bin?.colour).toBe(SHADES[shadeOf(v, max)]);
      }
    }
    expect(shadeBins(3).map((b) => [b.low, b.high])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
  });
});
