/**
 * The frame every chart shares: the `<svg>` root with an accessible title and
 * description, the plot area, axes with ticks and labels, and the legend.
 */
import { el, escapeXml, text } from './escape.js';
import { AXIS_COLOR, GRID_COLOR, type SeriesStyle } from './palette.js';

export interface PlotArea {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

export interface Tick {
  /** Pixel position along the axis. */
  readonly pos: number;
  readonly label: string;
}

export const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

/** Plot area of a `width` × `height` chart with room for the legend, ticks and axis labels. */
export function plotArea(width: number, height: number, yTickChars = 0): PlotArea {
  // Room for the y tick labels (about 7 px a character, right-aligned 8 px left of the axis) and the axis label.
  const left = Math.max(64, 30 + 7 * yTickChars);
  const top = 36;
  return { left, top, width: width - left - 20, height: height - top - 54 };
}

/** A stable id prefix (for pattern and title ids) from a caller id or a title. */
export function chartId(id: string | undefined, title: string): string {
  const base = (id ?? title).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
  let h = 0;
  for (const c of id ?? title) h = (h * 31 + c.charCodeAt(0)) | 0;
  return `c-${base.slice(0, 32)}-${(h >>> 0).toString(36)}`;
}

/** The `<svg>` root: `role="img"` with `<title>` and `<desc>` for screen readers. */
export function svgRoot(o: { id: string; width: number; height: number; title: string; desc: string; className: string }, body: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="${escapeXml(o.className)}" width="${o.width}" height="${o.height}" ` +
    `viewBox="0 0 ${o.width} ${o.height}" role="img" aria-labelledby="${o.id}-t ${o.id}-d" font-family='${FONT}' font-size="12">` +
    `<title id="${o.id}-t">${escapeXml(o.title)}</title><desc id="${o.id}-d">${escapeXml(o.desc)}</desc>` +
    `${body}</svg>`
  );
}

/** Horizontal grid lines, the y axis with ticks and its (rotated) label. */
export function yAxis(plot: PlotArea, ticks: readonly Tick[], label: string): string {
  const x = plot.left;
  const parts: string[] = [];
  for (const t of ticks) {
    parts.push(el('line', { x1: x, x2: x + plot.width, y1: t.pos, y2: t.pos, stroke: GRID_COLOR }));
    parts.push(el('line', { x1: x - 5, x2: x, y1: t.pos, y2: t.pos, stroke: AXIS_COLOR }));
    parts.push(text(t.label, { x: x - 8, y: t.pos + 4, 'text-anchor': 'end', fill: AXIS_COLOR }));
  }
  parts.push(el('line', { x1: x, x2: x, y1: plot.top, y2: plot.top + plot.height, stroke: AXIS_COLOR }));
  const cy = plot.top + plot.height / 2;
  parts.push(text(label, { x: 14, y: cy, transform: `rotate(-90 14 ${cy})`, 'text-anchor': 'middle', fill: AXIS_COLOR, class: 'axis-label' }));
  return el('g', { class: 'axis y-axis' }, ...parts);
}

/** The x axis with ticks and its label below. */
export function xAxis(plot: PlotArea, ticks: readonly Tick[], label: string): string {
  const y = plot.top + plot.height;
  const parts: string[] = [el('line', { x1: plot.left, x2: plot.left + plot.width, y1: y, y2: y, stroke: AXIS_COLOR })];
  for (const t of ticks) {
    parts.push(el('line', { x1: t.pos, x2: t.pos, y1: y, y2: y + 5, stroke: AXIS_COLOR }));
    parts.push(text(t.label, { x: t.pos, y: y + 18, 'text-anchor': 'middle', fill: AXIS_COLOR }));
  }
  parts.push(text(label, { x: plot.left + plot.width / 2, y: y + 40, 'text-anchor': 'middle', fill: AXIS_COLOR, class: 'axis-label' }));
  return el('g', { class: 'axis x-axis' }, ...parts);
}

export interface LegendEntry {
  readonly label: string;
  readonly style: SeriesStyle;
  /** Swatch drawn as a filled box (histograms) or a line with marker (line charts). */
  readonly swatch: 'box' | 'line';
  readonly fill?: string;
}

/** One row of legend entries above the plot area. */
export function legend(plot: PlotArea, entries: readonly LegendEntry[]): string {
  let x = plot.left;
  const y = 14;
  const parts: string[] = [];
  for (const e of entries) {
    const swatch =
      e.swatch === 'box'
        ? el('rect', { x, y: y - 9, width: 18, height: 12, fill: e.fill ?? e.style.color, stroke: e.style.color, 'stroke-width': 1.5, 'stroke-dasharray': e.style.dash })
        : el('line', { x1: x, x2: x + 18, y1: y - 3, y2: y - 3, stroke: e.style.color, 'stroke-width': 2, 'stroke-dasharray': e.style.dash }) + marker(e.style.marker, x + 9, y - 3, e.style.color);
    parts.push(el('g', { class: 'legend-entry' }, swatch, text(e.label, { x: x + 24, y, fill: AXIS_COLOR })));
    x += 24 + Math.max(40, e.label.length * 7) + 18;
  }
  return el('g', { class: 'legend' }, ...parts);
}

/** A point marker of the given shape, so series differ without colour. */
export function marker(shape: SeriesStyle['marker'], x: number, y: number, color: string, title?: string): string {
  const r = 3.5;
  const t = title ? el('title', {}, escapeXml(title)) : '';
  const common = { fill: color, stroke: '#ffffff', 'stroke-width': 0.8, class: 'marker' };
  const children = t ? [t] : [];
  switch (shape) {
    case 'circle':
      return el('circle', { ...common, cx: x, cy: y, r }, ...children);
    case 'square':
      return el('rect', { ...common, x: x - r, y: y - r, width: 2 * r, height: 2 * r }, ...children);
    case 'triangle':
      return el('path', { ...common, d: `M${x} ${y - r - 0.5}L${x + r + 0.5} ${y + r}L${x - r - 0.5} ${y + r}Z` }, ...children);
    default:
      return el('path', { ...common, d: `M${x} ${y - r - 1}L${x + r + 1} ${y}L${x} ${y + r + 1}L${x - r - 1} ${y}Z` }, ...children);
  }
}

/** `<pattern>` definitions giving each series a texture besides its colour. */
export function patternDefs(id: string, styles: readonly SeriesStyle[]): string {
  const defs = styles.map((s, i) => {
    const pid = `${id}-p${i}`;
    const bg = el('rect', { width: 8, height: 8, fill: s.color, 'fill-opacity': 0.18 });
    switch (s.pattern) {
      case 'hatch':
        return el('pattern', { id: pid, width: 8, height: 8, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' }, bg, el('line', { x1: 0, y1: 0, x2: 0, y2: 8, stroke: s.color, 'stroke-width': 3 }));
      case 'dots':
        return el('pattern', { id: pid, width: 6, height: 6, patternUnits: 'userSpaceOnUse' }, el('rect', { width: 6, height: 6, fill: s.color, 'fill-opacity': 0.18 }), el('circle', { cx: 3, cy: 3, r: 1.4, fill: s.color }));
      case 'cross':
        return el('pattern', { id: pid, width: 8, height: 8, patternUnits: 'userSpaceOnUse' }, bg, el('path', { d: 'M0 0L8 8M8 0L0 8', stroke: s.color, 'stroke-width': 1 }));
      default:
        return el('pattern', { id: pid, width: 8, height: 8, patternUnits: 'userSpaceOnUse' }, el('rect', { width: 8, height: 8, fill: s.color, 'fill-opacity': 0.5 }));
    }
  });
  return el('defs', {}, ...defs);
}

/** A chart with nothing to draw: same frame, a centred note. */
export function emptyChart(o: { id: string; width: number; height: number; title: string; className: string }, note: string): string {
  const body = text(note, { x: o.width / 2, y: o.height / 2, 'text-anchor': 'middle', fill: AXIS_COLOR });
  return svgRoot({ ...o, desc: note }, body);
}
