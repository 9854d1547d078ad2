/**
 * Tests and distances on category shares: the two-proportion z-test and the
 * L-infinity distance (TFDV), with a helper aligning two count maps.
 */
import { InputError } from '../errors.js';
import type { TestResult } from './ks.js';
import { normSf } from './special.js';

/**
 * Two-proportion z-test (pooled), as Evidently's `proportions_diff_z_test`:
 * z = (p1 − p2) / sqrt(P(1 − P)(1/n1 + 1/n2)) with P the pooled share; two-sided
 * p-value 2·P(Z > |z|). When both samples hold only one value (P is 0 or 1) the
 * shares are equal: statistic 0, p-value 1.
 *
 * @example
 * import { ztest2prop } from 'featureguard/stats';
 * ztest2prop(30, 100, 45, 100); // { statistic: -2.19089..., pvalue: 0.0284597... }
 */
export function ztest2prop(successesRef: number, nRef: number, successesCur: number, nCur: number): TestResult {
  if (!(nRef > 0 && nCur > 0)) return { statistic: Number.NaN, pvalue: Number.NaN };
  const p1 = successesRef / nRef;
  const p2 = successesCur / nCur;
  const pooled = (successesRef + successesCur) / (nRef + nCur);
  const variance = pooled * (1 - pooled) * (1 / nRef + 1 / nCur);
  if (variance === 0) return { statistic: 0, pvalue: 1 };
  const z = (p1 - p2) / Math.sqrt(variance);
  return { statistic: z, pvalue: Math.min(1, 2 * normSf(Math.abs(z))) };
}

/**
 * L-infinity distance max_i |p_i − q_i| between two distributions over the same
 * categories (TFDV's categorical drift measure). Inputs are counts or shares:
 * both are normalized to sum to 1 first.
 *
 * @example
 * import { linf } from 'featureguard/stats';
 * linf([0.5, 0.5], [0.7, 0.3]); // 0.2
 */
export function linf(p: ArrayLike<number>, q: ArrayLike<number>): number {
  if (p.length !== q.length) throw new InputError(`linf: p has ${p.length} entries but q has ${q.length}`);
  let sp = 0;
  let sq = 0;
  for (let i = 0; i < p.length; i++) {
    sp += p[i];
    sq += q[i];
  }
  let max = 0;
  for (let i = 0; i < p.length; i++) max = Math.max(max, Math.abs(p[i] / sp - q[i] / sq));
  return max;
}

/** Counts of two samples aligned over the union of their categories. */
export interface AlignedCounts {
  readonly categories: string[];
  readonly ref: number[];
  readonly cur: number[];
}

/**
 * Align two category → count maps over the union of categories (reference order
 * first, then categories new in the current sample), ready for `chisquare`,
 * `jensenshannon`, `linf` or `psi`.
 *
 * @example
 * import { alignCounts } from 'featureguard/stats';
 * alignCounts({ a: 3, b: 1 }, { b: 2, c: 5 });
 * // { categories: ['a', 'b', 'c'], ref: [3, 1, 0], cur: [0, 2, 5] }
 */
export function alignCounts(
  ref: ReadonlyMap<string, number> | Readonly<Record<string, number>>,
  cur: ReadonlyMap<string, number> | Readonly<Record<string, number>>,
): AlignedCounts {
  const r = ref instanceof Map ? ref : new Map(Object.entries(ref));
  const c = cur instanceof Map ? cur : new Map(Object.entries(cur));
  const categories = [...new Set([...r.keys(), ...c.keys()])];
  return { categories, ref: categories.map((k) => r.get(k) ?? 0), cur: categories.map((k) => c.get(k) ?? 0) };
}
