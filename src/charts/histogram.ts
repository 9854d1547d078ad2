/**
 * Overlaid histograms (reference vs current) on shared bin edges, and grouped
 * bars for categories. Heights are shares of each series' rows, so series of
 * different sizes compare; with unequal bins (the reference's deciles) the
 * numeric chart draws density (share per unit of x) so bar areas stay honest.
 */
import { el, escapeXml } from './escape.js';
import { chartId, emptyChart, legend, patternDefs, plotArea, svgRoot, xAxis, yAxis, type PlotArea } from './frame.js';
import { seriesStyle } from './palette.js';
import { formatNumber, formatTick, linearScale, niceTicks } from './scale.js';

export interface CountSeries {
  readonly label: string;
  /** One count per bin (or per category). */
  readonly counts: readonly number[];
}

export interface HistogramOverlaySpec {
  readonly title: string;
  /**
   * k + 1 bin edges. Non-finite outer edges (open-ended decile bins) are closed
   * at `range` (the data's min and max) when given, else at one typical bin width.
   */
  readonly edges: readonly (number | null)[];
  readonly range?: { readonly min: number; readonly max: number };
  readonly series: readonly CountSeries[];
  readonly xLabel: string;
  /** `auto` (default): density when bins are unequal, else share. Ignored with `xScale: 'bins'` (always share). */
  readonly yMode?: 'auto' | 'share' | 'density';
  /**
   * `value` (default): bars at their true x extent. `bins`: one equal-width
   * bar per bin with the edges as tick labels — the picture PSI measures, and
   * readable when a long tail would squash a value axis.
   */
  readonly xScale?: 'value' | 'bins';
  readonly id?: string;
  readonly width?: number;
  readonly height?: number;
}

/** Close open-ended outer edges (at `range` when it lies outside the inner edges); null when there are fewer than 2 usable edges. */
export function closeEdges(edges: readonly (number | null)[], range?: { readonly min: number; readonly max: number }): number[] | null {
  const e = edges.map((v) => (typeof v === 'number' && Number.isFinite(v) ? v : null));
  const inner = e.filter((v): v is number => v !== null);
  if (inner.length < 2 && e.length < 3) return null;
  const widths: number[] = [];
  for (let i = 1; i < e.length; i++) {
    const a = e[i - 1];
    const b = e[i];
    if (a !== null && b !== null && b > a) widths.push(b - a);
  }
  widths.sort((a, b) => a - b);
  const typical = widths.length ? widths[Math.floor(widths.length / 2)] : 1;
  const first = e[1];
  const last = e[e.length - 2];
  if (e[0] === null) e[0] = range && first !== null && Number.isFinite(range.min) && range.min < first ? range.min : (first ?? 0) - typical;
  if (e[e.length - 1] === null) e[e.length - 1] = range && last !== null && Number.isFinite(range.max) && range.max > last ? range.max : (last ?? 0) + typical;
  if (e.some((v) => v === null)) return null;
  return e as number[];
}

function shares(counts: readonly number[]): number[] {
  const total = counts.reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
  return counts.map((c) => (total > 0 && Number.isFinite(c) ? c / total : 0));
}

/**
 * SVG of several histograms overlaid on the same edges, each series with its
 * own colour, pattern and outline dash, a legend, axes and a `<title>` per bar.
 *
 * @example
 * histogramOverlay({ title: 'delay', xLabel: 'delay (min)', edges: [0, 10, 20],
 *   series: [{ label: 'reference', counts: [5, 5] }, { label: 'current', counts: [2, 8] }] });
 */
export function histogramOverlay(spec: HistogramOverlaySpec): string {
  const width = spec.width ?? 640;
  const height = spec.height ?? 300;
  const id = chartId(spec.id, spec.title);
  const edges = closeEdges(spec.edges, spec.range);
  const frame = { id, width, height, title: spec.title, className: 'chart histogram' };
  const k = edges ? edges.length - 1 : 0;
  if (!edges || k < 1 || spec.series.length === 0 || spec.series.some((s) => s.counts.length !== k)) {
    return emptyChart(frame, 'no histogram available');
  }
  const binWidths = edges.slice(1).map((b, i) => Math.max(b - edges[i], 0));
  const equal = binWidths.every((w) => Math.abs(w - binWidths[0]) <= 1e-9 * Math.max(1, Math.abs(binWidths[0])));
  const byBin = spec.xScale === 'bins';
  const density = !byBin && (spec.yMode === 'density' || ((spec.yMode ?? 'auto') === 'auto' && !equal));
  const heights = spec.series.map((s) => shares(s.counts).map((p, i) => (density ? (binWidths[i] > 0 ? p / binWidths[i] : 0) : p)));
  const plot = plotArea(width, height);
  let xAt: (edgeIndex: number) => number;
  let xTicks: { pos: number; label: string }[];
  if (byBin) {
    xAt = (i) => plot.left + (i / k) * plot.width;
    const every = Math.ceil((k + 1) / Math.max(2, Math.floor(plot.width / 52)));
    xTicks = edges
      .map((v, i) => ({ pos: xAt(i), label: (i === 0 && spec.edges[0] == null && !spec.range) ? '−∞' : (i === k && spec.edges[k] == null && !spec.range) ? '+∞' : formatNumber(v) }))
      .filter((_, i) => i % every === 0 || i === k);
  } else {
    const xt = niceTicks(edges[0], edges[k], 6);
    const x0 = Math.min(xt.min, edges[0]);
    const x1 = Math.max(xt.max, edges[k]);
    const x = linearScale(x0, x1, plot.left, plot.left + plot.width);
    xAt = (i) => x(edges[i]);
    xTicks = xt.values.filter((v) => v >= x0 && v <= x1).map((v) => ({ pos: x(v), label: formatTick(v, xt.step) }));
  }
  const yt = niceTicks(0, Math.max(...heights.flat(), 1e-12), 5);
  const y = linearScale(0, yt.max, plot.top + plot.height, plot.top);
  const styles = spec.series.map((_, i) => seriesStyle(i));
  const groups = spec.series.map((s, si) => {
    const st = styles[si];
    const own = shares(s.counts);
    const bars = heights[si].map((h, i) => {
      const top = y(h);
      const tip = `${s.label}: [${formatNumber(edges[i])}, ${formatNumber(edges[i + 1])}) ${formatNumber(own[i] * 100)}% of rows (${formatNumber(s.counts[i])})`;
      return el(
        'rect',
        { class: 'bar', x: xAt(i), y: top, width: Math.max(xAt(i + 1) - xAt(i), 0.5), height: Math.max(plot.top + plot.height - top, 0), fill: `url(#${id}-p${si})`, stroke: st.color, 'stroke-width': 1.5, 'stroke-dasharray': st.dash },
        el('title', {}, escapeXml(tip)),
      );
    });
    return el('g', { class: 'series', 'data-series': s.label }, ...bars);
  });
  const yLabel = density ? 'density (share of rows per unit)' : 'share of rows';
  const body =
    patternDefs(id, styles) +
    yAxis(plot, yt.values.map((v) => ({ pos: y(v), label: formatTick(v, yt.step) })), yLabel) +
    groups.join('') +
    xAxis(plot, xTicks, byBin ? `${spec.xLabel} (bins: edges of the reference deciles)` : spec.xLabel) +
    legend(plot, spec.series.map((s, i) => ({ label: s.label, style: styles[i], swatch: 'box' as const, fill: `url(#${id}-p${i})` })));
  const desc = `Histogram of ${spec.series.map((s) => s.label).join(' and ')} over ${k} bins from ${formatNumber(edges[0])} to ${formatNumber(edges[k])}.`;
  return svgRoot({ ...frame, desc }, body);
}

export interface CategoryBarsSpec {
  readonly title: string;
  readonly categories: readonly string[];
  readonly series: readonly CountSeries[];
  readonly xLabel: string;
  readonly id?: string;
  readonly width?: number;
  readonly height?: number;
}

/** SVG of grouped bars (share of rows per category), one bar per series in each group. */
export function categoryBars(spec: CategoryBarsSpec): string {
  const width = spec.width ?? 640;
  const height = spec.height ?? 300;
  const id = chartId(spec.id, spec.title);
  const frame = { id, width, height, title: spec.title, className: 'chart category-bars' };
  const n = spec.categories.length;
  if (n === 0 || spec.series.length === 0 || spec.series.some((s) => s.counts.length !== n)) return emptyChart(frame, 'no categories available');
  const plot: PlotArea = plotArea(width, height);
  const sh = spec.series.map((s) => shares(s.counts));
  const yt = niceTicks(0, Math.max(...sh.flat(), 1e-12), 5);
  const y = linearScale(0, yt.max, plot.top + plot.height, plot.top);
  const band = plot.width / n;
  const barW = (band * 0.8) / spec.series.length;
  const styles = spec.series.map((_, i) => seriesStyle(i));
  const groups = spec.series.map((s, si) =>
    el(
      'g',
      { class: 'series', 'data-series': s.label },
      ...sh[si].map((p, i) => {
        const bx = plot.left + i * band + band * 0.1 + si * barW;
        const top = y(p);
        return el(
          'rect',
          { class: 'bar', x: bx, y: top, width: barW, height: plot.top + plot.height - top, fill: `url(#${id}-p${si})`, stroke: styles[si].color, 'stroke-width': 1.5, 'stroke-dasharray': styles[si].dash },
          el('title', {}, escapeXml(`${s.label}: ${spec.categories[i]} ${formatNumber(p * 100)}% (${formatNumber(s.counts[i])})`)),
        );
      }),
    ),
  );
  const every = Math.ceil(n / Math.max(1, Math.floor(plot.width / 60)));
  const room = band * every - 8;
  const ticks = spec.categories
    .map((c, i) => ({ pos: plot.left + (i + 0.5) * band, label: fitLabel(c, room) }))
    .filter((_, i) => i % every === 0);
  const body =
    patternDefs(id, styles) +
    yAxis(plot, yt.values.map((v) => ({ pos: y(v), label: formatTick(v, yt.step) })), 'share of rows') +
    groups.join('') +
    xAxis(plot, ticks, spec.xLabel) +
    legend(plot, spec.series.map((s, i) => ({ label: s.label, style: styles[i], swatch: 'box' as const, fill: `url(#${id}-p${i})` })));
  return svgRoot({ ...frame, desc: `Share of rows per category for ${spec.series.map((s) => s.label).join(' and ')}, ${n} categories.` }, body);
}

/** Widest a character of the axis font may be, in px: wide (CJK, emoji) and everything else. */
const WIDE_CHAR_PX = 13;
const CHAR_PX = 8.5;

/** `label`, cut with `…` to fit `px` of axis text (its whole value is in the bars' tooltips). */
export function fitLabel(label: string, px: number): string {
  const chars = [...label];
  const width = (c: string) => ((c.codePointAt(0) ?? 0) >= 0x2e80 ? WIDE_CHAR_PX : CHAR_PX);
  if (chars.reduce((sum, c) => sum + width(c), 0) <= px) return label;
  let keep = 0;
  for (let used = CHAR_PX; keep < chars.length && used + width(chars[keep]) <= px; keep++) used += width(chars[keep]);
  return `${chars.slice(0, keep).join('')}…`;
}
