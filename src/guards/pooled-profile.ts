/**
 * One reference profile from the profiles of several runs (`reference:
 * previous:<n>`): the rows of the last n windows taken together. Counts add up,
 * mean and population stddev combine exactly, top values add their counts, and
 * everything estimated from samples (quantiles, deciles, MAD, outlier rate,
 * histogram) is recomputed on a pooled sample that draws from each run in
 * proportion to its values, at most `sampleSize` in all. A timestamp's age
 * profiles (profile-age.ts) pool as numeric profiles do, of the runs that have
 * one (`pooledAgeOf` names those).
 *
 * @example
 * const ref = poolProfiles([monday.get('delay'), tuesday.get('delay')]);
 * ref.count === monday.get('delay').count + tuesday.get('delay').count;
 */
import { binCounts } from '../stats/index.js';
import { countsOver, OTHER, topTotal, topValues } from './category-counts.js';
import { sampleEstimates } from './profile.js';
import { combineMoments } from './profile-sql.js';
import { valueCount, type ColumnProfile } from './profile-types.js';
import { maskProfile } from './profile-mask.js';
import { compareTimestampText } from './timestamp-text.js';
const DEFAULT_SAMPLE = 10_000;

/** `k` evenly spaced items of `xs` (all of them when `k >= xs.length`). */
function spaced<T>(xs: readonly T[], k: number): T[] {
  if (k >= xs.length) return [...xs];
  const out: T[] = new Array(k);
  for (let i = 0; i < k; i++) out[i] = xs[Math.floor(((i + 0.5) * xs.length) / k)];
  return out;
}

/** Each profile's share of a pooled sample of at most `size`, in proportion to its values. */
function pooledSample(profiles: readonly ColumnProfile[], size: number): (number | string)[] {
  const total = profiles.reduce((s, p) => s + Math.max(valueCount(p), 0), 0);
  const available = profiles.reduce((s, p) => s + p.sample.length, 0);
  if (available <= size || total === 0) return profiles.flatMap((p) => p.sample);
  return profiles.flatMap((p) => spaced(p.sample, Math.round((size * Math.max(valueCount(p), 0)) / total)));
}

function extreme(xs: readonly (number | string | null)[], pick: 'min' | 'max'): number | string | null {
  let out: number | string | null = null;
  for (const x of xs) {
    if (x === null) continue;
    const order = typeof x === 'string' && typeof out === 'string' ? compareTimestampText(x, out) : out === null ? 0 : x < out ? -1 : x > out ? 1 : 0;
    if (out === null || (pick === 'min' ? order < 0 : order > 0)) out = x;
  }
  return out;
}

function pooledMoments(profiles: readonly ColumnProfile[]): { mean: number | null; stddev: number | null } {
  const parts = profiles.filter((p) => p.mean !== null && valueCount(p) > 0);
  const moments = combineMoments(parts.map((p) => ({ n: valueCount(p), mean: p.mean!, std: p.stddev ?? 0 })));
  if (moments === null) return { mean: null, stddev: null };
  return { mean: moments.mean, stddev: parts.some((p) => p.stddev === null) ? null : moments.std };
}

/**
 * Top values of the pooled rows: each run's counts over the union of the runs'
 * top values (bounded where a run's incomplete list lacks a value, `countsOver`),
 * rescaled to that run's rows (runs above the exact-top limit count on their
 * sample), summed, the `k` largest kept.
 */
function pooledTop(profiles: readonly ColumnProfile[], k: number): { top: { value: string; count: number }[] | null; total: number | null } {
  if (profiles.every((p) => p.top === null)) return { top: null, total: null };
  const values = [...new Set(profiles.flatMap(topValues))];
  const counts = new Map<string, number>();
  let total = 0;
  for (const p of profiles) {
    const scale = topTotal(p) > 0 ? valueCount(p) / topTotal(p) : 0;
    total += valueCount(p);
    for (const [v, n] of countsOver(p, values)) if (v !== OTHER) counts.set(v, (counts.get(v) ?? 0) + n * scale);
  }
  const top = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, k).map(([value, count]) => ({ value, count }));
  return { top, total };
}

/** Which of the profiles pooled into a timestamp profile had an age profile (`pooledAgeOf`). */
export interface PooledAgeRuns {
  /** Positions, in the profiles given to `poolProfiles` (newest first), of those whose ages the pooled age holds. */
  readonly withAge: readonly number[];
  /** How many profiles were given. */
  readonly of: number;
}

/** The pooled timestamp profiles some of whose profiles had no age: kept beside them, not in the profile's data. */
const partialAges = new WeakMap<ColumnProfile, PooledAgeRuns>();

/**
 * Which of the profiles pooled into `profile` (a `poolProfiles` result of a timestamp column) lacked an age profile,
 * stored before ages were profiled; undefined when all had one, or `profile` pooled nothing.
 *
 * @example
 * const ref = poolProfiles([today, beforeUpgrade]);
 * pooledAgeOf(ref); // { withAge: [0], of: 2 }: ref.age is today's age alone
 */
export function pooledAgeOf(profile: ColumnProfile): PooledAgeRuns | undefined {
  return partialAges.get(profile);
}

/**
 * The pooled age of timestamp profiles: of those that have one. A run profiled before ages were has none: the age
 * pools fewer runs than the reference names, and `pooledAgeOf` says which (drift compares it only when those
 * hold `min_rows` values, and says how many runs predate age profiles otherwise).
 */
function pooledAge(profiles: readonly ColumnProfile[], opts: { sampleSize?: number; outlierZ?: number }): { age?: ColumnProfile } {
  const ages = profiles.map((p) => p.age).filter((a) => a !== undefined);
  if (profiles[0].kind !== 'timestamp' || ages.length === 0) return {};
  return { age: poolProfiles(ages, opts) };
}

/**
 * Pool profiles of one column (newest first). Profiles of another kind than the
 * newest (the column changed type) are left out. `outlierZ` is the robust z of
 * the outlier definition (default 5).
 */
export function poolProfiles(profiles: readonly ColumnProfile[], opts: { sampleSize?: number; outlierZ?: number } = {}): ColumnProfile {
  if (profiles.length === 0) throw new Error('poolProfiles needs at least one profile');
  const kindOf = profiles[0].kind;
  const sameKind = profiles.filter((p) => p.kind === kindOf);
  // Runs that masked the column (personal data) and runs that did not pool as masked.
  const same = sameKind.some((p) => p.masked) ? sameKind.map(maskProfile) : sameKind;
  const newest = same[0];
  if (same.length === 1) return newest;
  const sum = (f: (p: ColumnProfile) => number) => same.reduce((s, p) => s + f(p), 0);
  const size = opts.sampleSize ?? DEFAULT_SAMPLE;
  const sample = pooledSample(same, size);
  const { top, total } = pooledTop(same, Math.max(...same.map((p) => p.top?.length ?? 0)));
  const { age: _newestAge, ...rest } = newest;
  const base: ColumnProfile = {
    ...rest,
    count: sum((p) => p.count), nulls: sum((p) => p.nulls), nan: sum((p) => p.nan), inf: sum((p) => p.inf),
    // Not counted in any of them (timestamps; profiles stored before said 0 for those): not counted.
    distinct: same.some((p) => p.distinct === null) ? null : Math.max(...same.map((p) => p.distinct ?? 0)),
    sampled: same.some((p) => p.sampled) || sample.length < sum((p) => valueCount(p)),
    min: extreme(same.map((p) => p.min), 'min'), max: extreme(same.map((p) => p.max), 'max'),
    ...pooledMoments(same),
    sample, top, top_total: total,
    outlier_rate_vs_reference: null,
    ...pooledAge(same, opts),
  };
  if (newest.kind === 'timestamp') {
    const withAge = profiles.flatMap((p, i) => (p.kind === kindOf && p.age !== undefined ? [i] : []));
    if (withAge.length < profiles.length) partialAges.set(base, { withAge, of: profiles.length });
  }
  if (newest.kind !== 'numeric') return base;
  const nums = sample.filter((v): v is number => typeof v === 'number');
  const s = Float64Array.from(nums).sort();
  const { quantiles, deciles, mad, outlierRate } = sampleEstimates(s, opts.outlierZ ?? 5);
  return {
    ...base,
    distinct: Math.max(base.distinct ?? 0, new Set(nums).size),
    quantiles, deciles, histogram: deciles ? { edges: deciles, counts: binCounts(s, deciles) } : null, mad, outlier_rate: outlierRate,
  };
}
