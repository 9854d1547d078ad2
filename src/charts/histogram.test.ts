import { describe, expect, it } from 'vitest';
import { categoryBars, closeEdges, histogramOverlay } from './histogram.js';
import { plotArea } from './frame.js';

function rects(svg: string) {
  return [...svg.matchAll(/<rect class="bar" x="([-\d.]+)" y="([-\d.]+)" width="([-\d.]+)" height="([-\d.]+)"/g)].map((m) => ({
    x: Number(m[1]),
    y: Number(m[2]),
    w: Number(m[3]),
    h: Number(m[4]),
  }));
}

describe('histogramOverlay', () => {
  const spec = {
    title: 'dep_delay: reference vs current',
    xLabel: 'dep_delay (min)',
    edges: [null, -5, 0, 5, 15, 60, null],
    series: [
      { label: 'reference', counts: [100, 200, 300, 200, 150, 50] },
      { label: 'current', counts: [10, 50, 100, 300, 400, 140] },
    ],
  };

  it('draws both series inside the plot area, with legend and axis labels', () => {
    const svg = histogramOverlay(spec);
    expect(svg).toContain('data-series="reference"');
    expect(svg).toContain('data-series="current"');
    expect(svg).toContain('>dep_delay (min)</text>');
    expect(svg).toContain('class="legend"');
    const bars = rects(svg);
    expect(bars).toHaveLength(12);
    const p = plotArea(640, 300);
    for (const b of bars) {
      expect(b.x).toBeGreaterThanOrEqual(p.left - 0.01);
      expect(b.x + b.w).toBeLessThanOrEqual(p.left + p.width + 0.01);
      expect(b.y).toBeGreaterThanOrEqual(p.top - 0.01);
      expect(b.y + b.h).toBeCloseTo(p.top + p.height, 1);
    }
  });

  it('uses density for unequal bins so bar areas are proportional to shares', () => {
    const svg = histogramOverlay(spec);
    expect(svg).toContain('density (share of rows per unit)');
    const ref = rects(svg).slice(0, 6);
    const areas = ref.map((b) => b.w * b.h);
    const total = areas.reduce((a, b) => a + b, 0);
    const shares = [100, 200, 300, 200, 150, 50].map((c) => c / 1000);
    areas.forEach((a, i) => expect(a / total).toBeCloseTo(shares[i], 2));
  });

  it('uses plain shares for equal bins', () => {
    const svg = histogramOverlay({ ...spec, edges: [0, 1, 2, 3, 4, 5, 6] });
    expect(svg).toContain('>share of rows</text>');
  });

  it('escapes labels and titles', () => {
    const svg = histogramOverlay({ ...spec, title: '<script>alert(1)</script>', xLabel: 'a & "b"', series: [{ label: '<img src=x>', counts: [1, 1, 1, 1, 1, 1] }] });
    expect(svg).not.toContain('<script>');
    expect(svg).not.toContain('<img');
    expect(svg).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(svg).toContain('a &amp; &quot;b&quot;');
  });

  it('renders a note instead of bars when counts do not match the edges', () => {
    const svg = histogramOverlay({ ...spec, series: [{ label: 'x', counts: [1, 2] }] });
    expect(svg).toContain('no histogram available');
    expect(rects(svg)).toHaveLength(0);
  });
});

describe('histogramOverlay with xScale bins', () => {
  it('draws equal-width bars labelled with the edges, heights as shares', () => {
    const svg = histogramOverlay({ title: 't', xLabel: 'delay', xScale: 'bins', edges: [null, 0, 10, 1000, null], series: [{ label: 'reference', counts: [1, 1, 1, 1] }, { label: 'current', counts: [4, 0, 0, 0] }] });
    const bars = rects(svg);
    expect(bars).toHaveLength(8);
    const widths = new Set(bars.map((b) => b.w.toFixed(1)));
    expect(widths.size).toBe(1);
    expect(svg).toContain('>−∞</text>');
    expect(svg).toContain('>1000</text>');
    expect(svg).toContain('>share of rows</text>');
    const p = plotArea(640, 300);
    // current's first bar holds 100 % of rows: the tallest bar reaches the top tick (1.0)
    expect(bars[4].y).toBeCloseTo(p.top, 1);
    expect(bars[0].h / bars[4].h).toBeCloseTo(0.25, 2);
  });
});

describe('closeEdges', () => {
  it('closes open ends at a typical bin width', () => {
    expect(closeEdges([null, 0, 10, 20, null])).toEqual([-10, 0, 10, 20, 30]);
    expect(closeEdges([0, 1])).toEqual([0, 1]);
    expect(closeEdges([null, 0, 10, 20, null], { min: -3, max: 95 })).toEqual([-3, 0, 10, 20, 95]);
  });
});

describe('categoryBars', () => {
  it('draws one bar per category and series', () => {
    const svg = categoryBars({ title: 'origin', xLabel: 'origin', categories: ['SEA', 'JFK', '<x>'], series: [{ label: 'reference', counts: [1, 2, 3] }, { label: 'current', counts: [3, 2, 1] }] });
    expect(rects(svg)).toHaveLength(6);
    expect(svg).toContain('&lt;x&gt;');
    expect(svg).not.toContain('<x>');
  });
});
