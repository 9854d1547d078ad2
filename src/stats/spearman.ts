/**
 * Spearman's rank correlation with its two-sided p-value, as `scipy.stats.spearmanr`.
 */
import { InputError } from '../errors.js';
import type { TestResult } from './ks.js';
import { rankdata } from './sort.js';
import { tSf } from './special.js';

/**
 * Pearson correlation of the arrays, as `np.corrcoef` computes it (clipped to [−1, 1]).
 *
 * @example
 * import { pearson } from 'featureguard/stats';
 * pearson([1, 2, 3], [2, 4, 7]); // 0.9933992677987828
 */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx;
    const dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  const r = sxy / Math.sqrt(sxx) / Math.sqrt(syy);
  return Math.min(1, Math.max(-1, r));
}

/**
 * Spearman's ρ: the Pearson correlation of the average ranks (ties get their mean
 * rank). The p-value is two-sided, from Student's t with n − 2 degrees of freedom,
 * t = ρ·sqrt((n − 2)/((1 + ρ)(1 − ρ))), SciPy's default. NaN (both fields) when
 * n < 2, an input is constant or holds NaN; the p-value is NaN when n = 2.
 *
 * @example
 * import { spearman } from 'featureguard/stats';
 * spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]);
 * // { statistic: 0.82078..., pvalue: 0.088587... }
 */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): TestResult {
  const n = x.length;
  if (y.length !== n) throw new InputError(`spearman: x has ${n} values but y has ${y.length}`);
  const nan = { statistic: Number.NaN, pvalue: Number.NaN };
  if (n <= 1) return nan;
  let xConst = true;
  let yConst = true;
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(x[i]) || Number.isNaN(y[i])) return nan;
    if (x[i] !== x[0]) xConst = false;
    if (y[i] !== y[0]) yConst = false;
  }
  if (xConst || yConst) return nan;
  const rs = pearson(rankdata(x), rankdata(y));
  const dof = n - 2;
  if (dof === 0) return { statistic: rs, pvalue: Number.NaN };
  const t = rs * Math.sqrt(Math.max(0, dof / ((rs + 1) * (1 - rs))));
  const pvalue = Math.abs(rs) === 1 ? 0 : Math.min(1, 2 * tSf(Math.abs(t), dof));
  return { statistic: rs, pvalue };
}
