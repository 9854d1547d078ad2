/**
 * Jensen–Shannon distance between two discrete distributions, as
 * `scipy.spatial.distance.jensenshannon` (natural log by default).
 */
import { InputError } from '../errors.js';

/** x·log(x/y) with SciPy's `rel_entr` conventions (0 when x = 0, ∞ when y = 0 < x, NaN when x or y is). */
function relEntr(x: number, y: number): number {
  if (Number.isNaN(x) || Number.isNaN(y)) return Number.NaN;
  if (x > 0 && y > 0) return x * Math.log(x / y);
  if (x === 0 && y >= 0) return 0;
  return Infinity;
}

/**
 * sqrt((KL(p‖m) + KL(q‖m)) / 2) with m = (p + q)/2, after normalizing p and q to
 * sum to 1. Counts or shares both work. Between 0 and sqrt(ln 2) with the
 * natural log (pass `base: 2` for a distance in [0, 1]). NaN when an entry is NaN
 * or a distribution sums to 0 (it cannot be normalized), as SciPy.
 *
 * @example
 * import { jensenshannon } from 'featureguard/stats';
 * jensenshannon([1, 0], [0.5, 0.5]); // 0.46450140402245893
 */
export function jensenshannon(p: ArrayLike<number>, q: ArrayLike<number>, base?: number): number {
  if (p.length !== q.length) throw new InputError(`jensenshannon: p has ${p.length} entries but q has ${q.length}`);
  let sp = 0;
  let sq = 0;
  for (let i = 0; i < p.length; i++) {
    sp += p[i];
    sq += q[i];
  }
  let left = 0;
  let right = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i] / sp;
    const qi = q[i] / sq;
    const m = (pi + qi) / 2;
    left += relEntr(pi, m);
    right += relEntr(qi, m);
  }
  let js = left + right;
  if (base !== undefined) js /= Math.log(base);
  return Math.sqrt(js / 2);
}
