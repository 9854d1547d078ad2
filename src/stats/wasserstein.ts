/**
 * First Wasserstein distance between two 1-D samples, as `scipy.stats.wasserstein_distance`
 * (unweighted), and the normed variant the drift check uses.
 */
import { sortedCopy } from './sort.js';

/**
 * W1 = ∫ |F_a(x) − F_b(x)| dx between the empirical CDFs of two samples
 * (the earth mover's distance in the data's units). NaN for an empty sample or NaN values.
 *
 * @example
 * import { wassersteinDistance } from 'featureguard/stats';
 * wassersteinDistance([0, 1, 3], [5, 6, 8]); // 5
 */
export function wassersteinDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) return Number.NaN;
  const sa = sortedCopy(a);
  const sb = sortedCopy(b);
  if (Number.isNaN(sa[n1 - 1]) || Number.isNaN(sb[n2 - 1])) return Number.NaN;
  // Walk the merged order: between consecutive values x_k < x_{k+1}, the CDFs are
  // (#a ≤ x_k)/n1 and (#b ≤ x_k)/n2.
  let i = 0;
  let j = 0;
  let total = 0;
  let prev = Math.min(sa[0], sb[0]);
  while (i < n1 || j < n2) {
    const x = j >= n2 || (i < n1 && sa[i] <= sb[j]) ? sa[i] : sb[j];
    total += Math.abs(i / n1 - j / n2) * (x - prev);
    while (i < n1 && sa[i] <= x) i++;
    while (j < n2 && sb[j] <= x) j++;
    prev = x;
  }
  return total;
}

/**
 * Wasserstein distance divided by the reference's population standard deviation
 * (floored at 0.001), Evidently's "normed Wasserstein" drift score.
 *
 * @example
 * import { wassersteinNormed } from 'featureguard/stats';
 * wassersteinNormed([0, 1, 2, 3], [1, 2, 3, 4]); // 1 / 1.118... = 0.894...
 */
export function wassersteinNormed(reference: ArrayLike<number>, current: ArrayLike<number>): number {
  // Computed in units of the largest magnitude: the squares of values beyond about 1e154 overflow to Infinity,
  // which made the standard deviation infinite and the score 0 — drift of any size read as none.
  let scale = 0;
  for (const sample of [reference, current]) for (let i = 0; i < sample.length; i++) scale = Math.max(scale, Math.abs(sample[i]));
  if (!(scale > 0 && Number.isFinite(scale))) scale = 1;
  const a = Float64Array.from(reference, (x) => x / scale);
  const b = Float64Array.from(current, (x) => x / scale);
  const n = a.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += a[i];
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (a[i] - mean) ** 2;
  const std = Math.sqrt(ss / n);
  const w = wassersteinDistance(a, b);
  // W / max(std, 0.001) in the data's units: the scale cancels unless the floor applies.
  return std * scale >= 0.001 ? w / std : (w * scale) / 0.001;
}
