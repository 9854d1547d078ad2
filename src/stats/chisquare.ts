/**
 * Pearson's chi-square goodness-of-fit test, as `scipy.stats.chisquare`.
 */
import { InputError } from '../errors.js';
import type { TestResult } from './ks.js';
import { chi2Sf } from './special.js';

/**
 * Chi-square test that `observed` counts follow `expected` counts (default: all
 * categories equally likely). Statistic Σ (o − e)² / e; p-value from the
 * chi-square distribution with k − 1 degrees of freedom. As SciPy, the two sums
 * must agree to a relative tolerance of √ε (≈ 1.5e-8), else an `InputError`.
 *
 * @example
 * import { chisquare } from 'featureguard/stats';
 * chisquare([16, 18, 16, 14, 12, 12], [16, 16, 16, 16, 16, 8]);
 * // { statistic: 3.5, pvalue: 0.62338762774958... }
 */
export function chisquare(observed: ArrayLike<number>, expected?: ArrayLike<number>): TestResult {
  const k = observed.length;
  let obsSum = 0;
  for (let i = 0; i < k; i++) obsSum += observed[i];
  let exp: ArrayLike<number>;
  if (expected === undefined) {
    exp = new Float64Array(k).fill(obsSum / k);
  } else {
    if (expected.length !== k) {
      throw new InputError(`chisquare: observed has ${k} categories but expected has ${expected.length}`);
    }
    let expSum = 0;
    for (let i = 0; i < k; i++) expSum += expected[i];
    const rel = Math.abs(obsSum - expSum) / Math.min(obsSum, expSum);
    if (rel > Math.sqrt(Number.EPSILON)) {
      throw new InputError(
        `chisquare: observed and expected sums differ (${obsSum} vs ${expSum}); they must agree to a relative tolerance of ${Math.sqrt(Number.EPSILON)}`,
      );
    }
    exp = expected;
  }
  let statistic = 0;
  for (let i = 0; i < k; i++) statistic += (observed[i] - exp[i]) ** 2 / exp[i];
  return { statistic, pvalue: k > 1 ? chi2Sf(statistic, k - 1) : Number.NaN };
}
