/**
 * Class balance of a label (pure): shares, minority share, imbalance ratio
 * IR = max count / min count, normalised entropy 1 − H(p)/ln K (0 balanced,
 * 1 a single class) and the reference classes that vanished.
 */

export interface ClassBalance {
  /** Classes with their counts, largest first. */
  readonly classes: readonly { readonly value: string; readonly count: number; readonly share: number }[];
  readonly total: number;
  readonly minorityClass: string | null;
  readonly minorityCount: number;
  readonly minorityShare: number;
  readonly imbalanceRatio: number;
  readonly normalizedEntropy: number;
  /** Reference classes absent now (empty without a reference). */
  readonly vanished: string[];
}

/**
 * Balance metrics of class counts, compared with the reference's classes if given.
 * Shares are exact (no rounding).
 *
 * @example
 * classBalance(new Map([['0', 900], ['1', 80]]), ['0', '1', '2']);
 * // { imbalanceRatio: 11.25, minorityShare: 0.0816…, vanished: ['2'], … }
 */
export function classBalance(counts: ReadonlyMap<string, number>, referenceClasses: readonly string[] = []): ClassBalance {
  const entries = [...counts.entries()].filter(([, c]) => c > 0).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const total = entries.reduce((s, [, c]) => s + c, 0);
  const classes = entries.map(([value, count]) => ({ value, count, share: count / total }));
  const k = classes.length;
  const min = classes[k - 1];
  let h = 0;
  for (const c of classes) h -= c.share * Math.log(c.share);
  const vanished = referenceClasses.filter((r) => !counts.get(r));
  return {
    classes,
    total,
    minorityClass: min?.value ?? null,
    minorityCount: min?.count ?? 0,
    minorityShare: min?.share ?? 0,
    imbalanceRatio: k ? classes[0].count / min.count : Number.NaN,
    normalizedEntropy: k > 1 ? 1 - h / Math.log(k) : k === 1 ? 1 : Number.NaN,
    vanished: [...new Set(vanished)],
  };
}

/**
 * Label for the bin of a numeric value with ascending `edges` (left-closed bins,
 * as `binCounts` in featureguard/stats): `(-inf, e0)`, `[e0, e1)`, …, `[e_last, inf)`.
 */
export function binLabel(value: number, edges: readonly number[]): string {
  let i = 0;
  while (i < edges.length && edges[i] <= value) i++;
  const lo = i === 0 ? '(-inf' : `[${edges[i - 1]}`;
  const hi = i === edges.length ? 'inf)' : `${edges[i]})`;
  return `${lo}, ${hi}`;
}
