/**
 * A small line chart over time (or any numeric x) with threshold lines drawn
 * and labelled, markers per point (each with a tooltip and optional link),
 * and gaps where a value is missing.
 */
import { el, text } from './escape.js';
import { chartId, emptyChart, legend, marker, plotArea, svgRoot, xAxis, yAxis } from './frame.js';
import { seriesStyle, THRESHOLD_STYLES } from './palette.js';
import { formatNumber, formatTick, linearScale, niceTicks, timeTicks } from './scale.js';

export interface LinePoint {
  readonly x: number;
  readonly y: number | null;
  /** Link of the point's marker (e.g. the run). */
  readonly href?: string;
  /** Tooltip (defaults to x and y). */
  readonly label?: string;
}

export interface LineSeries {
  readonly label: string;
  readonly points: readonly LinePoint[];
}

export interface ThresholdLine {
  readonly label: string;
  readonly value: number;
  readonly kind: 'warn' | 'fail' | 'info';
}

export interface LineChartSpec {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  /** `time`: x is epoch milliseconds (UTC). */
  readonly xType: 'time' | 'number';
  readonly series: readonly LineSeries[];
  readonly thresholds?: readonly ThresholdLine[];
  /** Lower end of the y axis (e.g. 0 for rates); default: from the data. */
  readonly yMin?: number;
  readonly id?: string;
  readonly width?: number;
  readonly height?: number;
}

/**
 * SVG line chart.
 *
 * @example
 * lineChart({ title: 'psi', xLabel: 'run start (UTC)', yLabel: 'PSI', xType: 'time',
 *   series: [{ label: 'psi', points: [{ x: Date.parse('2026-01-01'), y: 0.02 }] }],
 *   thresholds: [{ label: 'warn', value: 0.1, kind: 'warn' }] });
 */
export function lineChart(spec: LineChartSpec): string {
  const width = spec.width ?? 640;
  const height = spec.height ?? 260;
  const id = chartId(spec.id, spec.title);
  const frame = { id, width, height, title: spec.title, className: 'chart line-chart' };
  const pts = spec.series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.x));
  const ys = pts.map((p) => p.y).filter((v): v is number => v !== null && Number.isFinite(v));
  if (pts.length === 0 || ys.length === 0) return emptyChart(frame, 'no values to draw');
  const thresholds = (spec.thresholds ?? []).filter((t) => Number.isFinite(t.value));
  const xs = pts.map((p) => p.x);
  let xMin = Math.min(...xs);
  let xMax = Math.max(...xs);
  if (xMin === xMax) {
    const pad = spec.xType === 'time' ? 3_600_000 : 1;
    xMin -= pad;
    xMax += pad;
  }
  const allY = [...ys, ...thresholds.map((t) => t.value)];
  const lo = spec.yMin ?? Math.min(...allY);
  let hi = Math.max(...allY);
  // All values at the floor (a null rate of 0 everywhere): show 0..1 rather than a band around 0.
  if (spec.yMin !== undefined && hi <= lo) hi = lo === 0 ? 1 : lo + Math.abs(lo);
  const yt = niceTicks(lo, hi, 5);
  const yTicks = yt.values.map((v) => ({ value: v, label: formatTick(v, yt.step) }));
  const plot = plotArea(width, height, Math.max(...yTicks.map((t) => t.label.length)));
  const y = linearScale(yt.min, yt.max, plot.top + plot.height, plot.top);
  let xTicks: { pos: number; label: string }[];
  let x: (v: number) => number;
  let fmtX: (v: number) => string;
  if (spec.xType === 'time') {
    const tt = timeTicks(xMin, xMax, 5);
    x = linearScale(xMin, xMax, plot.left + 8, plot.left + plot.width - 8);
    xTicks = tt.values.map((v) => ({ pos: x(v), label: tt.format(v) }));
    fmtX = (v) => new Date(v).toISOString().replace('.000Z', 'Z');
  } else {
    const xt = niceTicks(xMin, xMax, 6);
    x = linearScale(xt.min, xt.max, plot.left, plot.left + plot.width);
    xTicks = xt.values.map((v) => ({ pos: x(v), label: formatTick(v, xt.step) }));
    fmtX = (v) => formatNumber(v);
  }
  // Each threshold's label sits above its line, at least a line of text above the label below it: close
  // thresholds (warn 0.1 and fail 0.25 on a 0..6 axis) would print over each other. Stacked upwards from the
  // lowest, so that none is pushed down onto the x axis (stacked downwards, "warn 0.1" sat on the axis, under
  // "fail 0.25", when a run's PSI of 8 stretched the axis); then down again where that ran above the plot.
  const LINE = 13;
  const labelY = new Map<number, number>();
  const bottomUp = [...thresholds.entries()].sort((a, b) => y(b[1].value) - y(a[1].value));
  let highest = plot.top + plot.height;
  for (const [i, t] of bottomUp) {
    highest = Math.min(y(t.value) - 4, highest - LINE);
    labelY.set(i, highest);
  }
  let lowest = plot.top + 10 - LINE;
  for (const [i] of [...bottomUp].reverse()) {
    lowest = Math.max(labelY.get(i)!, lowest + LINE);
    labelY.set(i, lowest);
  }
  const thr = thresholds.map((t, i) => {
    const st = THRESHOLD_STYLES[t.kind];
    const ty = y(t.value);
    return el(
      'g',
      { class: `threshold threshold-${t.kind}`, 'data-threshold': t.kind },
      el('line', { x1: plot.left, x2: plot.left + plot.width, y1: ty, y2: ty, stroke: st.color, 'stroke-width': 1.5, 'stroke-dasharray': st.dash }),
      text(`${t.label} ${formatNumber(t.value)}`, { x: plot.left + plot.width - 4, y: labelY.get(i) ?? ty - 4, 'text-anchor': 'end', fill: t.kind === 'info' ? '#555555' : '#8a3b00', 'font-size': 11 }),
    );
  });
  const series = spec.series.map((s, si) => {
    const st = seriesStyle(si);
    const sorted = [...s.points].filter((p) => Number.isFinite(p.x)).sort((a, b) => a.x - b.x);
    let d = '';
    let pen = false;
    for (const p of sorted) {
      if (p.y === null || !Number.isFinite(p.y)) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${Math.round(x(p.x) * 100) / 100} ${Math.round(y(p.y) * 100) / 100}`;
      pen = true;
    }
    const marks = sorted
      .filter((p): p is LinePoint & { y: number } => p.y !== null && Number.isFinite(p.y))
      .map((p) => {
        const m = marker(st.marker, x(p.x), y(p.y), st.color, p.label ?? `${s.label} ${formatNumber(p.y)} at ${fmtX(p.x)}`);
        return p.href ? el('a', { href: p.href }, m) : m;
      });
    return el('g', { class: 'series', 'data-series': s.label }, d ? el('path', { d, fill: 'none', stroke: st.color, 'stroke-width': 2, 'stroke-dasharray': st.dash }) : '', ...marks);
  });
  const body =
    yAxis(plot, yTicks.map((t) => ({ pos: y(t.value), label: t.label })), spec.yLabel) +
    xAxis(plot, xTicks, spec.xLabel) +
    thr.join('') +
    series.join('') +
    legend(plot, spec.series.map((s, i) => ({ label: s.label, style: seriesStyle(i), swatch: 'line' as const })));
  // Only the points drawn: a run without a value (a skipped check) is no point, and counting it told a screen reader
  // of 413 points where 6 were drawn.
  const pointCount = (s: LineSeries) => {
    const drawn = s.points.filter((p) => p.y !== null && Number.isFinite(p.y)).length;
    const missing = s.points.length - drawn;
    return `${drawn} point${drawn === 1 ? '' : 's'}${missing ? ` (${missing} without a value)` : ''}`;
  };
  const desc = `${spec.series.map((s) => `${s.label}: ${pointCount(s)}`).join('; ')}${thresholds.length ? `; thresholds ${thresholds.map((t) => `${t.label} ${formatNumber(t.value)}`).join(', ')}` : ''}.`;
  return svgRoot({ ...frame, desc }, body);
}
