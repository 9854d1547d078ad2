/**
 * Column profiles (QUALITY-CHECKS.md §2): computed once per run, stored with it,
 * and used as the reference of later runs so drift never re-reads old data.
 */

/** How a column is compared: numbers (int, float, bool as 0/1 excluded), categories (strings, bools), timestamps, or not at all. */
export type ProfileKind = 'numeric' | 'categorical' | 'timestamp' | 'other';

export interface Quantiles {
  p1: number;
  p5: number;
  p25: number;
  p50: number;
  p75: number;
  p95: number;
  p99: number;
}

export interface ColumnProfile {
  readonly column: string;
  /** DuckDB type of the column (e.g. `DOUBLE`, `VARCHAR`). */
  readonly type: string;
  readonly kind: ProfileKind;
  /** Rows (including nulls). */
  readonly count: number;
  readonly nulls: number;
  /** NaN values (floats only). */
  readonly nan: number;
  /** ±Inf values (floats only). */
  readonly inf: number;
  /** Distinct non-null values: exact when they fit the sample or the top list, else a lower bound; null when not counted (timestamps). */
  readonly distinct: number | null;
  /** True when quantiles, histogram and outlier rates were estimated from the sample (more rows than the sample). */
  readonly sampled: boolean;
  /** Numbers for numeric columns, ISO strings for timestamps, strings for categorical. */
  readonly min: number | string | null;
  readonly max: number | string | null;
  readonly mean: number | null;
  /** Population standard deviation. */
  readonly stddev: number | null;
  readonly quantiles: Quantiles | null;
  /**
   * Histogram for PSI: `edges` are the inner bin edges (the reference's edges,
   * or this column's own deciles when there is no reference); `counts` has
   * `edges.length + 1` bins: (-inf, e0), [e0, e1), ..., [e_last, +inf), counted
   * on the sample (all rows when `sampled` is false). Finite values only.
   */
  readonly histogram: { readonly edges: number[]; readonly counts: number[] } | null;
  /** Own deciles (p10..p90), the edges a later run bins against when this profile is its reference. */
  readonly deciles: number[] | null;
  /** Uniform sample of up to 10,000 non-null finite values (numbers for numeric, strings for categorical). */
  readonly sample: (number | string)[];
  /** Median absolute deviation from the median, from the sample (numeric only). */
  readonly mad: number | null;
  /** Share of sample values with robust z > the outlier threshold (numeric only), against this profile's own median/MAD. */
  readonly outlier_rate: number | null;
  /** Share of finite values with robust z > the outlier threshold against the reference's median/MAD (numeric, when profiled against a reference). */
  readonly outlier_rate_vs_reference: number | null;
  /** Non-null values the `top` counts are out of: all rows' non-null count, or the sample's when counted on the sample (large tables). */
  readonly top_total: number | null;
  /** Top 50 values with counts (strings and bools). */
  readonly top: readonly { readonly value: string; readonly count: number }[] | null;
  /** True when the column holds personal data: `top`, `sample`, `min` and `max` hold hashes of the values, not the values (profile-mask.ts). */
  readonly masked?: boolean;
  /**
   * Timestamp columns of rows with an event time: the numeric profile (DOUBLE, seconds) of their age, the rows'
   * event time minus the value (profile-age.ts). Drift compares it (a timestamp's own values only ever move on).
   * Absent in profiles stored before ages were profiled.
   */
  readonly age?: ColumnProfile;
}

/** A reference for drift: a pinned baseline or the last successful run. */
export interface ReferenceProfiles {
  /** `previous`, `previous:<n>` (n runs pooled) or `baseline:<name>`. */
  readonly description: string;
  /** Run the profiles come from (for a baseline: the run it was pinned from, if any). */
  readonly runId: string | null;
  /** Every run pooled into the reference, newest first (`previous:<n>`). */
  readonly runIds?: readonly string[];
  /** The runs are pushes: the reference of a view no materialization feeds. */
  readonly pushes?: boolean;
  readonly profiles: ReadonlyMap<string, ColumnProfile>;
  /** Slice profiles: slice column → slice value → column → profile. */
  readonly slices?: ReadonlyMap<string, ReadonlyMap<string, ReadonlyMap<string, ColumnProfile>>>;
}

/**
 * Share of rows without a value: NULL, NaN or ±Inf (a float feature that allows NaN and turns all NaN has lost its
 * values as surely as one that turns NULL). 0 for no rows.
 */
export function missingRate(p: ColumnProfile): number {
  return p.count > 0 ? (p.count - valueCount(p)) / p.count : 0;
}

/** Values a profile describes: rows that are not NULL, NaN or ±Inf (what means, samples and top values are out of). */
export function valueCount(p: ColumnProfile): number {
  return p.count - p.nulls - p.nan - p.inf;
}
