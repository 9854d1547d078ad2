/**
 * Two-sample Kolmogorov–Smirnov test, as `scipy.stats.ks_2samp(a, b)` with its
 * defaults (`alternative='two-sided'`, `method='auto'`).
 */
import { kstwoSf } from './kolmogorov.js';
import { sortedCopy } from './sort.js';

/** A test statistic with its p-value. */
export interface TestResult {
  readonly statistic: number;
  readonly pvalue: number;
}

/** Both samples at most this large: exact p-value (SciPy's `MAX_AUTO_N`). */
const MAX_EXACT_N = 10_000;

const NAN_RESULT: TestResult = Object.freeze({ statistic: Number.NaN, pvalue: Number.NaN });

/**
 * Largest distance between the two empirical CDFs, sup |F_a − F_b|, on sorted
 * samples. Ties are handled as SciPy does: both CDFs are evaluated after all
 * values equal to x (right-continuous).
 *
 * @example
 * import { ksStatistic } from 'featureguard/stats';
 * ksStatistic([1, 2, 3], [2, 3, 4]); // 0.33333333333333337
 */
export function ksStatistic(sortedA: ArrayLike<number>, sortedB: ArrayLike<number>): number {
  const n1 = sortedA.length;
  const n2 = sortedB.length;
  let i = 0;
  let j = 0;
  let maxDiff = 0;
  let minDiff = 0;
  while (i < n1 || j < n2) {
    const x = j >= n2 || (i < n1 && sortedA[i] <= sortedB[j]) ? sortedA[i] : sortedB[j];
    while (i < n1 && sortedA[i] <= x) i++;
    while (j < n2 && sortedB[j] <= x) j++;
    const diff = i / n1 - j / n2;
    if (diff > maxDiff) maxDiff = diff;
    if (diff < minDiff) minDiff = diff;
  }
  return Math.max(maxDiff, Math.min(1, -minDiff));
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** P(D ≥ h/n) for two samples of equal size n (Hodges' alternating sum in Horner form). */
function probOutsideSquare(n: number, h: number): number {
  let P = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    P = p1 * (1 - P);
  }
  return 2 * P;
}

/**
 * Share of lattice paths from (0,0) to (m,n) that leave the band
 * |x/m − y/n| < h/lcm(m,n), computed directly as 1 − p (Viehmann's stable form
 * of Hodges' inside method). O(m · band width).
 */
function probOutsideBand(m: number, n: number, g: number, h: number): number {
  if (m < n) [m, n] = [n, m];
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(lenA).fill(1);
  A.fill(0, minj, maxj);
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    const shift = minj - lastminj;
    for (let jj = 0, j = minj; j < maxj; jj++, j++) {
      val = (A[jj + shift] * i + val * j) / (i + j);
      A[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) A.fill(1, curlen, curlen + (lastlen - curlen));
  }
  return A[maxj - minj - 1];
}

/** Exact two-sided p-value; `null` when the computation is not usable (SciPy then goes asymptotic). */
function exactPvalue(n1: number, n2: number, g: number, h: number): number | null {
  const p = n1 === n2 ? probOutsideSquare(n1, h) : probOutsideBand(n1, n2, g, h);
  return p >= 0 && p <= 1 ? p : null;
}

/** Round half to even, as `np.round`. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Two-sample Kolmogorov–Smirnov test (SciPy's `ks_2samp`, two-sided, `method='auto'`):
 * the statistic is the largest distance between the empirical CDFs; the p-value
 * is exact (lattice path counting) when both samples have at most 10,000 values,
 * else Smirnov's asymptotic `kstwo.sf(d, round(n1·n2/(n1+n2)))`.
 * NaN in either sample or an empty sample gives NaN, as SciPy does.
 *
 * @example
 * import { ks2samp } from 'featureguard/stats';
 * ks2samp([1, 2, 3, 4, 5], [3, 4, 5, 6, 7, 8]);
 * // { statistic: 0.5, pvalue: 0.35714285714285715 }
 */
export function ks2samp(a: ArrayLike<number>, b: ArrayLike<number>): TestResult {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) return NAN_RESULT;
  const sa = sortedCopy(a);
  const sb = sortedCopy(b);
  if (Number.isNaN(sa[n1 - 1]) || Number.isNaN(sb[n2 - 1])) return NAN_RESULT;
  let d = ksStatistic(sa, sb);
  if (Math.max(n1, n2) <= MAX_EXACT_N) {
    const g = gcd(n1, n2);
    const lcm = (n1 / g) * n2;
    const h = Math.round(d * lcm);
    const dExact = h / lcm;
    if (h === 0) return { statistic: dExact, pvalue: 1 };
    const p = exactPvalue(n1, n2, g, h);
    if (p !== null) return { statistic: dExact, pvalue: p };
    d = dExact;
  }
  const en = (n1 * n2) / (n1 + n2);
  const pvalue = Math.min(1, Math.max(0, kstwoSf(roundHalfEven(en), d)));
  return { statistic: d, pvalue };
}
