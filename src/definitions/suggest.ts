/** "Did you mean ...?" suggestions for misspelled names, by edit distance. */

/**
 * Work a batch of suggestions may do (the problems of one definition set): a set listing thousands of unknown
 * names among thousands of known ones would otherwise compare every pair, and a request of a hundred
 * kilobytes held the server for many seconds. Spent as suggestions are looked for; the problems after it go
 * without one.
 */
export interface SuggestionBudget {
  /** Lookups left (one per problem that asks for a suggestion). */
  lookups: number;
  /** Cells of edit-distance tables left to compute. */
  cells: number;
}

/** A fresh budget: the first 20 problems get suggestions, at most 2 million table cells (well under a second). */
export function suggestionBudget(): SuggestionBudget {
  return { lookups: 20, cells: 2_000_000 };
}

/**
 * Edit distance between two strings: insertions, deletions, substitutions and swaps of two neighbouring
 * characters (`drfit` for `drift`, the commonest typo), each costing one (optimal string alignment).
 * With `max`, any distance beyond it is returned as `max + 1`, computed only in the band of the table that
 * can stay within it (and stopped when a whole row is beyond it).
 */
export function editDistance(a: string, b: string, max = Infinity): number {
  return boundedDistance(a, b, max, { lookups: 0, cells: Infinity });
}

function boundedDistance(a: string, b: string, max: number, budget: SuggestionBudget): number {
  if (a === b) return 0;
  const over = max + 1;
  // Each edit changes the length by one at most.
  if (Math.abs(a.length - b.length) > max) return over;
  // Three rows, reused: the one before the previous (for swaps), the previous, the current.
  let before = new Array<number>(b.length + 1).fill(over);
  let prev = Array.from({ length: b.length + 1 }, (_, j) => (j <= max ? j : over));
  let cur = new Array<number>(b.length + 1).fill(over);
  for (let i = 1; i <= a.length; i++) {
    // Cells further than `max` from the diagonal are beyond it: never computed, read as `over`.
    const lo = Math.max(1, i - max);
    const hi = Math.min(b.length, i + max);
    cur[lo - 1] = lo === 1 ? Math.min(i, over) : over;
    if (hi < b.length) cur[hi + 1] = over;
    let rowMin = cur[lo - 1];
    for (let j = lo; j <= hi; j++) {
      let d = prev[j - 1] + (a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1);
      if (prev[j] + 1 < d) d = prev[j] + 1;
      if (cur[j - 1] + 1 < d) d = cur[j - 1] + 1;
      if (i > 1 && j > 1 && a.charCodeAt(i - 1) === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === b.charCodeAt(j - 1) && before[j - 2] + 1 < d) d = before[j - 2] + 1;
      if (d > over) d = over;
      cur[j] = d;
      if (d < rowMin) rowMin = d;
    }
    budget.cells -= hi - lo + 1;
    // No row has a smaller minimum than the row above it: past `max` here, the distance is too.
    if (rowMin > max) return over;
    [before, prev, cur] = [prev, cur, before];
  }
  return prev[b.length];
}

/**
 * Whether two names differ by a whole part, not a typo in it: between their common start and end, both have two
 * characters or more and none of them stays in place (`avg_delay` and `p90_delay`: 'avg' against 'p90', three edits
 * in nine characters, yet another word, another column).
 */
function anotherWord(a: string, b: string, distance: number): boolean {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let end = 0;
  while (end < a.length - start && end < b.length - start && a[a.length - 1 - end] === b[b.length - 1 - end]) end++;
  const restA = a.length - start - end;
  const restB = b.length - start - end;
  return restA >= 2 && restB >= 2 && distance >= Math.max(restA, restB);
}

/**
 * A candidate close enough to `word` to be a likely typo (within a third of the longer name's length, at least
 * one edit, and not a whole part of it replaced: `anotherWord`), the closest one when the budget allows. With a budget, each call spends a lookup and the cells it
 * computes; none is looked for once it is spent.
 */
export function closest(word: string, candidates: Iterable<string>, budget: SuggestionBudget = { lookups: 1, cells: Infinity }): string | undefined {
  if (budget.lookups <= 0) return undefined;
  budget.lookups--;
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    if (budget.cells <= 0) break;
    const l = c.toLowerCase();
    // Only a candidate nearer than the best so far, and within its own limit, is worth computing exactly.
    const bound = Math.min(Math.max(1, Math.floor(Math.max(word.length, c.length) / 3)), bestDistance - 1);
    if (bound < 0) break;
    // A prefix (`hour` for `hour_utc`) is a likely intent too: one edit.
    const prefix = Math.min(w.length, l.length) >= 3 && (w.startsWith(l) || l.startsWith(w));
    const d = w === l ? 0 : prefix ? 1 : boundedDistance(w, l, bound, budget);
    if (d <= bound && !anotherWord(w, l, d)) [best, bestDistance] = [c, d];
  }
  return best;
}

/** ` (did you mean 'x'?)` or `''`. */
export function didYouMean(word: string, candidates: Iterable<string>, budget?: SuggestionBudget): string {
  const c = closest(word, candidates, budget);
  return c === undefined ? '' : ` (did you mean '${c}'?)`;
}
