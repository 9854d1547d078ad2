/**
 * Sorting and ranking helpers shared by the statistics.
 */

/** A sorted copy as a Float64Array (numeric order; NaN last). */
export function sortedCopy(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values).sort();
}

/**
 * Ranks 1..n with ties given their average rank (SciPy's `rankdata(method='average')`).
 * A NaN anywhere makes every rank NaN, as SciPy's default `nan_policy='propagate'`.
 *
 * @example
 * import { rankdata } from 'featureguard/stats';
 * rankdata([10, 20, 20, 30]); // Float64Array [1, 2.5, 2.5, 4]
 */
export function rankdata(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const ranks = new Float64Array(n);
  // NaN compares neither below nor above anything: the sort's order around it was arbitrary, and it got a
  // rank as if it were a number.
  for (let i = 0; i < n; i++) if (Number.isNaN(values[i])) return ranks.fill(Number.NaN);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((i, j) => values[i] - values[j]);
  let start = 0;
  while (start < n) {
    let end = start + 1;
    while (end < n && values[order[end]] === values[order[start]]) end++;
    // positions start..end−1 hold equal values: ranks start+1..end, average (start+1+end)/2
    const avg = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) ranks[order[k]] = avg;
    start = end;
  }
  return ranks;
}
