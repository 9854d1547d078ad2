import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatNumber, niceStep, niceTicks, timeTicks } from './scale.js';

const isNice = (step: number) => {
  const m = step / 10 ** Math.floor(Math.log10(step) + 1e-12);
  return [1, 2, 5, 10].some((n) => Math.abs(m - n) < 1e-9);
};

describe('niceTicks', () => {
  it('covers the range with 1-2-5 steps', () => {
    expect(niceTicks(0.03, 0.91, 5)).toEqual({ min: 0, max: 1, step: 0.2, values: [0, 0.2, 0.4, 0.6, 0.8, 1] });
    expect(niceTicks(-37, 212, 5).values).toEqual([-50, 0, 50, 100, 150, 200, 250]);
    expect(niceTicks(3, 3).values.length).toBeGreaterThan(1);
    // Found by the property below: a minimum a hair below a tick is covered by the tick below it.
    expect(niceTicks(-1.0000000000000003e-9, 2, 2).values).toEqual([-2, 0, 2]);
  });

  it('always yields nice, increasing ticks that cover the data (property)', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.double({ min: 1e-3, max: 1e6, noNaN: true }), fc.integer({ min: 2, max: 10 }), (lo, span, n) => {
        const t = niceTicks(lo, lo + span, n);
        expect(isNice(t.step)).toBe(true);
        expect(t.min).toBeLessThanOrEqual(lo + 1e-9 * Math.max(1, Math.abs(lo)));
        expect(t.max).toBeGreaterThanOrEqual(lo + span - 1e-9 * Math.max(1, Math.abs(lo + span)));
        for (let i = 1; i < t.values.length; i++) expect(t.values[i]).toBeGreaterThan(t.values[i - 1]);
        expect(t.values.length).toBeLessThanOrEqual(2 * n + 3);
      }),
      { numRuns: 2000 },
    );
  });

  it('niceStep rounds up to 1, 2 or 5 times a power of ten', () => {
    expect(niceStep(0.13)).toBe(0.2);
    expect(niceStep(3)).toBe(5);
    expect(niceStep(700)).toBe(1000);
  });
});

describe('timeTicks', () => {
  it('puts day ticks on UTC midnights', () => {
    const t = timeTicks(Date.parse('2001-01-01T05:00:00Z'), Date.parse('2001-01-04T07:00:00Z'), 5);
    expect(t.values.map(t.format)).toEqual(['2001-01-02', '2001-01-03', '2001-01-04']);
  });
  it('uses seconds for runs seconds apart', () => {
    const t = timeTicks(Date.parse('2001-01-01T05:10:02Z'), Date.parse('2001-01-01T05:10:09Z'), 5);
    expect(t.values.map(t.format)).toEqual(['05:10:05']);
  });
  it('uses hours for short spans', () => {
    const t = timeTicks(Date.parse('2001-01-01T05:10:00Z'), Date.parse('2001-01-01T09:00:00Z'), 5);
    expect(t.values.map(t.format)[0]).toBe('01-01 06:00');
  });
});

describe('formatNumber', () => {
  it('prints 3 significant digits', () => {
    expect(formatNumber(0.132456)).toBe('0.132');
    expect(formatNumber(1234567.8)).toBe('1.23e+6');
    expect(formatNumber(4991847)).toBe('4991847');
    expect(formatNumber(null)).toBe('—');
    expect(formatNumber(42)).toBe('42');
  });
});
