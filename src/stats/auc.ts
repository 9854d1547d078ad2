/**
 * Area under the ROC curve from the Mann–Whitney U statistic.
 */
import { InputError } from '../errors.js';
import { rankdata } from './sort.js';

/**
 * AUC = U / (n1 · n0), where U is the Mann–Whitney statistic of the scores of
 * the positive rows (label 1) against the negative rows (label 0), using average
 * ranks for ties (a tie counts one half). 0.5 means no separation; 1 (or 0)
 * means the score alone separates the classes. NaN when a class is missing or a
 * score is NaN (SciPy's `mannwhitneyu` propagates it).
 *
 * @example
 * import { mannWhitneyAuc } from 'featureguard/stats';
 * mannWhitneyAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]); // 0.75
 */
export function mannWhitneyAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  if (labels.length !== n) throw new InputError(`mannWhitneyAuc: ${n} scores but ${labels.length} labels`);
  const ranks = rankdata(scores);
  let n1 = 0;
  let rankSum = 0;
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    if (l !== 0 && l !== 1) throw new InputError(`mannWhitneyAuc: labels must be 0 or 1, got ${l}`);
    if (l === 1) {
      n1++;
      rankSum += ranks[i];
    }
  }
  const n0 = n - n1;
  if (n1 === 0 || n0 === 0) return Number.NaN;
  const u = rankSum - (n1 * (n1 + 1)) / 2;
  return u / (n1 * n0);
}
