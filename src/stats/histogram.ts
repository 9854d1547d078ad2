/**
 * Binning helpers for PSI and histograms: quantiles (NumPy's default linear
 * interpolation), decile edges of a reference sample, and counts per bin.
 */
import { sortedCopy } from './sort.js';

/**
 * Quantiles of a sample at probabilities `probs` (each in [0, 1]), with linear
 * interpolation between order statistics (`np.quantile`'s default method).
 * NaN at every probability when the sample is empty or holds a NaN, as NumPy.
 *
 * @example
 * import { quantiles } from 'featureguard/stats';
 * quantiles([1, 2, 3, 4], [0.5, 0.25]); // [2.5, 1.75]
 */
export function quantiles(values: ArrayLike<number>, probs: readonly number[]): number[] {
  const s = sortedCopy(values);
  const n = s.length;
  // NaN sorts last: without this check the upper quantiles read it and the lower ones ignored it.
  if (n === 0 || Number.isNaN(s[n - 1])) return probs.map(() => Number.NaN);
  return probs.map((p) => {
    const pos = p * (n - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(lo + 1, n - 1);
    const frac = pos - lo;
    if (frac === 0) return s[lo];
    const d = s[hi] - s[lo];
    // Between two finite values whose difference overflows (−1.7e308 and 1.7e308) the weighted sum, whose terms
    // stay finite: the difference gave ±Infinity, an edge that broke every bin count after it.
    return Number.isFinite(d) || !Number.isFinite(s[lo]) || !Number.isFinite(s[hi]) ? s[lo] + d * frac : s[lo] * (1 - frac) + s[hi] * frac;
  });
}

/**
 * The nine interior decile edges (10%, 20%, …, 90%) of a reference sample,
 * deduplicated: the bin edges PSI compares the current data on. None (`[]`)
 * for an empty sample or one that holds a NaN.
 *
 * @example
 * import { decileEdges } from 'featureguard/stats';
 * decileEdges([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]); // [2, 3, 4, 5, 6, 7, 8, 9, 10]
 */
export function decileEdges(reference: ArrayLike<number>): number[] {
  const qs = quantiles(reference, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
  return qs.filter((q, i) => !Number.isNaN(q) && (i === 0 || q !== qs[i - 1]));
}

/**
 * Counts per bin for ascending `edges` e_0 < … < e_{k−1}: k + 1 left-closed bins,
 * (−∞, e_0), [e_0, e_1), …, [e_{k−1}, +∞) — the convention of the guard profiles'
 * histograms. NaN values are skipped.
 *
 * @example
 * import { binCounts } from 'featureguard/stats';
 * binCounts([1, 2, 2, 3, 9], [2, 5]); // [1, 3, 1]
 */
export function binCounts(values: ArrayLike<number>, edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) continue;
    let lo = 0;
    let hi = edges.length;
    // first edge index with edge > v
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (edges[mid] <= v) lo = mid + 1;
      else hi = mid;
    }
    counts[lo]++;
  }
  return counts;
}
