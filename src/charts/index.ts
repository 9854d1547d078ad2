/** Server-side SVG charts: overlaid histograms, grouped category bars, line charts with thresholds. */
export { histogramOverlay, categoryBars, closeEdges, type HistogramOverlaySpec, type CategoryBarsSpec, type CountSeries } from './histogram.js';
export { lineChart, type LineChartSpec, type LineSeries, type LinePoint, type ThresholdLine } from './line-chart.js';
export { niceTicks, timeTicks, formatNumber, formatTick, linearScale, type Ticks } from './scale.js';
export { escapeXml } from './escape.js';
export { OKABE_ITO, SERIES_STYLES, THRESHOLD_STYLES, seriesStyle, type SeriesStyle } from './palette.js';
