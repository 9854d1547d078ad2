/**
 * Colours and non-colour cues of the charts. Okabe & Ito's palette (2008) stays
 * distinguishable under the common colour-vision deficiencies; every series
 * also differs by fill pattern, dash style and marker shape so that no chart
 * relies on colour alone (WCAG 1.4.1).
 */

/** The Okabe–Ito palette. */
export const OKABE_ITO = {
  black: '#000000',
  orange: '#E69F00',
  skyBlue: '#56B4E9',
  bluishGreen: '#009E73',
  yellow: '#F0E442',
  blue: '#0072B2',
  vermillion: '#D55E00',
  reddishPurple: '#CC79A7',
} as const;

export interface SeriesStyle {
  readonly color: string;
  /** `stroke-dasharray` value, or null for a solid line. */
  readonly dash: string | null;
  /** Fill pattern id suffix used by histograms. */
  readonly pattern: 'hatch' | 'dots' | 'cross' | 'solid';
  readonly marker: 'circle' | 'square' | 'triangle' | 'diamond';
}

/** Styles of the 1st, 2nd, ... series; cycles after the last one. */
export const SERIES_STYLES: readonly SeriesStyle[] = [
  { color: OKABE_ITO.blue, dash: null, pattern: 'hatch', marker: 'circle' },
  { color: OKABE_ITO.vermillion, dash: '6 3', pattern: 'dots', marker: 'square' },
  { color: OKABE_ITO.bluishGreen, dash: '2 3', pattern: 'cross', marker: 'triangle' },
  { color: OKABE_ITO.reddishPurple, dash: '8 3 2 3', pattern: 'solid', marker: 'diamond' },
];

export function seriesStyle(i: number): SeriesStyle {
  return SERIES_STYLES[i % SERIES_STYLES.length];
}

/** Threshold lines: warn in orange dashes, fail in vermillion dash-dots, both labelled in text. */
export const THRESHOLD_STYLES = {
  warn: { color: OKABE_ITO.orange, dash: '5 4' },
  fail: { color: OKABE_ITO.vermillion, dash: '10 3 2 3' },
  info: { color: '#555555', dash: '2 2' },
} as const;

export const AXIS_COLOR = '#333333';
export const GRID_COLOR = '#e3e3e3';
