/**
 * Category counts from profiles' top-50 lists, comparable across profiles. A
 * profile keeps the counts of its 50 most frequent values and the total; a value
 * outside an incomplete list sits in its `__other__` with an unknown count, at
 * most the list's smallest count. Such values get that bound, and together never
 * all of what `__other__` holds (an equal share of it each when the bounds would
 * exceed it, one share left to `__other__`). So a value that changes rank near the boundary keeps about its count
 * (no false drift), while a value that is frequent on one side and absent from the
 * other side's list still differs by nearly its whole share (a real swap shows).
 *
 * @example
 * const values = [...new Set([...topValues(ref), ...topValues(cur)])];
 * psi([...countsOver(ref, values).values()], [...countsOver(cur, values).values()]);
 */
import { valueCount, type ColumnProfile } from './profile-types.js';

/** Name of the remainder category. */
export const OTHER = '__other__';

/** The values of a profile's top list. */
export function topValues(p: ColumnProfile): string[] {
  return (p.top ?? []).map((t) => t.value);
}

/** What the top counts are out of: `top_total`, else the non-null finite count. */
export function topTotal(p: ColumnProfile): number {
  return p.top_total ?? valueCount(p);
}

/** Counts of `values` in `p` (bounded where unknown, see the module comment), in that order, then `__other__` when positive. */
export function countsOver(p: ColumnProfile, values: readonly string[]): Map<string, number> {
  const listed = new Map((p.top ?? []).map((t) => [t.value, t.count] as const));
  const total = topTotal(p);
  let listedSum = 0;
  for (const n of listed.values()) listedSum += n;
  const complete = listedSum >= total;
  const bound = listed.size ? Math.min(...listed.values()) : total;
  const out = new Map<string, number>();
  let known = 0;
  const missing: string[] = [];
  for (const v of values) {
    const n = listed.get(v);
    if (n !== undefined) {
      out.set(v, n);
      known += n;
    } else if (complete) out.set(v, 0);
    else missing.push(v);
  }
  // Listed values not asked for stay in the remainder too. The bounds never take all of it: values outside
  // both lists exist on an incomplete side, and an empty `__other__` would read as "no such values here".
  const rest = Math.max(0, total - known);
  const each = missing.length === 0 ? 0 : Math.min(bound, rest / (missing.length + 1));
  for (const v of missing) out.set(v, each);
  const other = rest - each * missing.length;
  if (other > 1e-9) out.set(OTHER, other);
  return out;
}
