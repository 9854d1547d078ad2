/** "Did you mean ...?" suggestions for misspelled names, by edit distance. */

/**
 * Edit distance between two strings: insertions, deletions, substitutions and swaps of two neighbouring
 * characters (`drfit` for `drift`, the commonest typo), each costing one (optimal string alignment).
 */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  let before: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) cur[j] = Math.min(cur[j], before[j - 2] + 1);
    }
    [before, prev] = [prev, cur];
  }
  return prev[b.length];
}

/** The candidate closest to `word` if it is close enough to be a likely typo. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const l = c.toLowerCase();
    // A prefix (`hour` for `hour_utc`) is a likely intent too.
    const prefix = Math.min(w.length, l.length) >= 3 && (w.startsWith(l) || l.startsWith(w));
    const d = prefix ? Math.min(1, editDistance(w, l)) : editDistance(w, l);
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  if (best === undefined) return undefined;
  const limit = Math.max(1, Math.floor(Math.max(word.length, best.length) / 3));
  return bestDistance <= limit ? best : undefined;
}

/** ` (did you mean 'x'?)` or `''`. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const c = closest(word, candidates);
  return c === undefined ? '' : ` (did you mean '${c}'?)`;
}
