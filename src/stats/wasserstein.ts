/**
 * First Wasserstein distance between two 1-D samples, as `scipy.stats.wasserstein_distance`
 * (unweighted), and the normed variant the drift check uses.
 */
import { sortedCopy } from './sort.js';

/**
 * W1 = ∫ |F_a(x) − F_b(x)| dx between the empirical CDFs of two samples
 * (the earth mover's distance in the data's units). NaN for an empty sample or NaN values; with ±Infinity,
 * Infinity or NaN as SciPy's.
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
  // SciPy's sum over the merged sorted values x_0 ≤ … ≤ x_{N−1}, ties included (np.diff of them):
  // |F_a(x_k) − F_b(x_k)|·(x_{k+1} − x_k), the CDFs counting the values ≤ x_k. With ±Infinity this gives SciPy's
  // Infinity or NaN (Inf − Inf and 0·Inf are NaN); skipping ties and starting from min(a, b) did not.
  let ia = 0;
  let ib = 0;
  const next = () => (ib >= n2 || (ia < n1 && sa[ia] <= sb[ib]) ? sa[ia++] : sb[ib++]);
  let ca = 0;
  let cb = 0;
  let total = 0;
  let x = next();
  for (let k = 1; k < n1 + n2; k++) {
    const y = next();
    while (ca < n1 && sa[ca] <= x) ca++;
    while (cb < n2 && sb[cb] <= x) cb++;
    total += Math.abs(ca / n1 - cb / n2) * (y - x);
    x = y;
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
  // Computed in units of a power of two near the largest magnitude: the squares of values beyond about 1e154
  // overflow to Infinity, which made the standard deviation infinite and the score 0 — drift of any size read
  // as none. A power of two divides exactly; a scale such as max|x| rounded every value, and large values close
  // together (int64 ids near 2^53, epoch µs) kept only a few ulps of their spread (the score came out ~2× low).
  const scale = powerOfTwoScale(reference, current);
  const a = Float64Array.from(reference, (x) => x / scale);
  const b = Float64Array.from(current, (x) => x / scale);
  const std = populationStd(a);
  const w = wassersteinDistance(a, b);
  // W / max(std, 0.001) in the data's units: the scale cancels unless the floor applies.
  return std * scale >= 0.001 ? w / std : (w * scale) / 0.001;
}

/** A power of two within a factor 2 of the largest finite magnitude of the samples (1 when there is none). */
function powerOfTwoScale(...samples: ArrayLike<number>[]): number {
  let max = 0;
  for (const sample of samples) for (let i = 0; i < sample.length; i++) if (Math.abs(sample[i]) < Infinity) max = Math.max(max, Math.abs(sample[i]));
  // log2 rounds up to 1024 for values near Number.MAX_VALUE: 2^1024 is Infinity.
  return max > 0 ? 2 ** Math.min(1023, Math.floor(Math.log2(max))) : 1;
}

/**
 * Population standard deviation, shifted and two-pass: the deviations are taken from the first value (exact for
 * values within a factor 2 of it), then from their mean, with the rounding error of that mean corrected
 * (Chan, Golub & LeVeque's corrected two-pass). Summing the raw values of a large, narrow sample cancelled.
 */
function populationStd(x: Float64Array): number {
  const n = x.length;
  const pivot = x[0];
  let sum = 0;
  for (let i = 0; i < n; i++) sum += x[i] - pivot;
  const mean = sum / n;
  let ss = 0;
  let err = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i] - pivot - mean;
    ss += d * d;
    err += d;
  }
  return Math.sqrt(Math.max(0, ss - (err * err) / n) / n);
}
