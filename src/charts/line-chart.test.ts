import { describe, expect, it } from 'vitest';
import { lineChart } from './line-chart.js';
import { plotArea } from './frame.js';

const t0 = Date.parse('2026-01-01T00:00:00Z');
const day = 86_400_000;

describe('lineChart', () => {
  const spec = {
    title: 'psi of dep_delay',
    xLabel: 'run start (UTC)',
    yLabel: 'PSI',
    xType: 'time' as const,
    yMin: 0,
    series: [
      { label: 'psi', points: [0.01, 0.04, null, 0.3].map((y, i) => ({ x: t0 + i * day, y, href: `/ui/runs/r${i}` })) },
      { label: 'null rate', points: [0, 0.01, 0.02, 0.01].map((y, i) => ({ x: t0 + i * day, y })) },
    ],
    thresholds: [
      { label: 'warn', value: 0.1, kind: 'warn' as const },
      { label: 'fail', value: 0.25, kind: 'fail' as const },
    ],
  };

  it('draws both series, the thresholds at the right height, and breaks at missing values', () => {
    const svg = lineChart(spec);
    expect(svg).toContain('data-series="psi"');
    expect(svg).toContain('data-series="null rate"');
    expect(svg).toContain('data-threshold="warn"');
    expect(svg).toContain('>fail 0.25</text>');
    const p = plotArea(640, 260);
    // y axis 0..0.3 (nice ticks 0, 0.05 .. 0.3)
    const warnY = Number(/data-threshold="warn"><line x1="[\d.]+" x2="[\d.]+" y1="([\d.]+)"/.exec(svg)![1]);
    expect(warnY).toBeCloseTo(p.top + p.height - (0.1 / 0.3) * p.height, 1);
    const psiPath = /data-series="psi"><path d="([^"]+)"/.exec(svg)![1];
    expect(psiPath.match(/M/g)).toHaveLength(2); // gap at the null
    expect(svg.match(/<a href="\/ui\/runs\/r\d"/g)).toHaveLength(3);
  });

  it('keeps every marker inside the plot area', () => {
    const svg = lineChart(spec);
    const p = plotArea(640, 260);
    let n = 0;
    for (const m of svg.matchAll(/<circle[^>]* cx="([\d.]+)" cy="([\d.]+)"[^>]*><title>/g)) {
      const [cx, cy] = [Number(m[1]), Number(m[2])];
      expect(cx).toBeGreaterThanOrEqual(p.left);
      expect(cx).toBeLessThanOrEqual(p.left + p.width);
      expect(cy).toBeGreaterThanOrEqual(p.top - 0.01);
      expect(cy).toBeLessThanOrEqual(p.top + p.height + 0.01);
      n++;
    }
    expect(n).toBe(3); // psi markers are circles: 3 non-null values
  });

  it('keeps threshold labels a line apart when their lines are close, and room for wide y tick labels', () => {
    // PSI of 5: the axis runs 0..6, and warn 0.1 and fail 0.25 are 4 px apart.
    const svg = lineChart({ ...spec, series: [{ label: 'psi', points: [0.05, 5].map((y, i) => ({ x: t0 + i * day, y })) }] });
    const labelY = (kind: string) => Number(new RegExp(`data-threshold="${kind}">.*?<text[^>]* y="([\\d.]+)"`).exec(svg)![1]);
    expect(Math.abs(labelY('warn') - labelY('fail'))).toBeGreaterThanOrEqual(12);
    const huge = lineChart({ ...spec, thresholds: [], series: [{ label: 'psi', points: [0, 1e300].map((y, i) => ({ x: t0 + i * day, y })) }] });
    const axisX = Number(/class="axis y-axis">.*?<line x1="([\d.]+)"/.exec(huge)![1]);
    const labels = [...huge.matchAll(/class="axis y-axis">(.*?)<\/g>/g)].flatMap((m) => [...m[1].matchAll(/text-anchor="end"[^>]*>([^<]+)</g)].map((x) => x[1]));
    const widest = Math.max(...labels.map((l) => l.length));
    expect(widest).toBeGreaterThanOrEqual(7);
    expect(axisX - 8 - 7 * widest).toBeGreaterThanOrEqual(22); // the label's left end clears the rotated axis title
  });

  it('keeps close threshold labels near the axis above it, apart, and off each other (PSI 0..10: warn 0.1, fail 0.25)', () => {
    // A review finding: on the history page's PSI chart (a run with PSI 8.3) "warn 0.1" was pushed down onto the
    // x axis, over "fail 0.25": labels were stacked downwards from the highest threshold.
    const svg = lineChart({ ...spec, series: [{ label: 'psi', points: [0.05, 8.3, 0.2].map((y, i) => ({ x: t0 + i * day, y })) }] });
    const axisY = Number(/class="axis x-axis"><line x1="[\d.]+" x2="[\d.]+" y1="([\d.]+)"/.exec(svg)![1]);
    const labelY = (kind: string) => Number(new RegExp(`data-threshold="${kind}">.*?<text[^>]* y="([\\d.]+)"`).exec(svg)![1]);
    const lineY = (kind: string) => Number(new RegExp(`data-threshold="${kind}"><line x1="[\\d.]+" x2="[\\d.]+" y1="([\\d.]+)"`).exec(svg)![1]);
    // 11 px text sits on its baseline: its bottom (descenders) a few px below, its top about 9 px above.
    for (const kind of ['warn', 'fail']) {
      expect(labelY(kind), kind).toBeLessThanOrEqual(axisY - 3);
      expect(labelY(kind), kind).toBeLessThanOrEqual(lineY(kind) - 3);
    }
    expect(labelY('warn') - labelY('fail')).toBeGreaterThanOrEqual(12);
  });

  it('escapes labels', () => {
    const svg = lineChart({ ...spec, title: '</svg><script>x()</script>', series: [{ label: '"><b>', points: [{ x: t0, y: 1 }] }] });
    expect(svg).not.toContain('<script>');
    expect(svg).not.toContain('"><b>');
  });

  it('keeps a floor of 0 when every value is 0', () => {
    const svg = lineChart({ ...spec, thresholds: [], series: [{ label: 'null rate', points: [{ x: t0, y: 0 }, { x: t0 + day, y: 0 }] }] });
    expect(svg).not.toContain('>-');
    expect(svg).toContain('>1.0</text>');
  });

  it('says so when there is nothing to draw', () => {
    expect(lineChart({ ...spec, series: [{ label: 'psi', points: [] }] })).toContain('no values to draw');
  });

  it('counts in its description only the points it draws (a run without a value is no point)', () => {
    const svg = lineChart(spec);
    expect(svg).toContain('>psi: 3 points (1 without a value); null rate: 4 points; thresholds warn 0.1, fail 0.25.</desc>');
  });
});
