/**
 * SQL of the profiling passes, as pure functions: exact aggregates (counts,
 * nulls, NaN/Inf, min/max, mean, population stddev; in the guard stage they ride
 * on its one `GROUP BY` day pass, see row-pass.ts, and `combineAggregates` folds
 * the days), a uniform sample (quantiles, deciles, histograms and outlier rates
 * are computed from it in JS: exact when the table fits the sample), and the top
 * values of categorical columns. Optionally grouped by a slice column.
 */
import { ident, literal } from '../offline/engine.js';
import type { ProfileKind } from './profile-types.js';
import type { TableColumn } from './check.js';
import { compareTimestampText } from './timestamp-text.js';

const INT_TYPES = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)$/;
const FLOAT_TYPES = /^(FLOAT|DOUBLE|REAL)$/;
const DECIMAL_TYPE = /^DECIMAL\(\d+,\s*\d+\)$/;
const TIMESTAMP_TYPES = /^(TIMESTAMP|TIMESTAMP WITH TIME ZONE|TIMESTAMP_S|TIMESTAMP_MS|TIMESTAMP_NS|DATE)$/;

/**
 * How a DuckDB type is profiled. Whole types only: a list or array of decimals or timestamps (`DECIMAL(10,2)[]`,
 * an entity column a build passes through) is `other`, since the numeric pass casts to DOUBLE, which a list is not.
 */
export function columnKind(type: string): ProfileKind {
  if (INT_TYPES.test(type) || FLOAT_TYPES.test(type) || DECIMAL_TYPE.test(type)) return 'numeric';
  // A UUID is read as its text, as a `string` feature declared on it is.
  if (type === 'VARCHAR' || type === 'BOOLEAN' || type === 'UUID' || (type.startsWith('ENUM(') && type.endsWith(')'))) return 'categorical';
  if (TIMESTAMP_TYPES.test(type)) return 'timestamp';
  return 'other';
}

export function isFloatType(type: string): boolean {
  return FLOAT_TYPES.test(type);
}

/**
 * A column the profiling passes read: a column of the table, or with `sql` an expression over its columns (a
 * timestamp feature's age, profile-age.ts) that the passes select under `name`.
 */
export interface ProfiledColumn extends TableColumn {
  readonly sql?: string;
  /**
   * A DOUBLE expression known to be finite or NULL, and far below 1e150 (an age in seconds): its aggregates need no
   * NaN/Inf or overflow guards, which took about a quarter of the pass's time (3M rows).
   */
  readonly finite?: boolean;
}

/** The SQL of a profiled column's values: its expression, else the quoted column. */
export function valueSql(col: ProfiledColumn): string {
  return col.sql !== undefined ? `(${col.sql})` : ident(col.name);
}

/**
 * Alias of the group (slice value) column in grouped profile queries: the sample query selects the columns under
 * their own names beside it, so a plain `g` would collide with a feature named `g` (its slice samples were lost).
 */
export const GROUP_ALIAS = '__fg_g';

export interface GroupSpec {
  readonly groupBy?: string;
  readonly groups?: readonly string[];
}

/** Aggregate pass: one row (or one per group `__fg_g`), columns `n`, `c<i>_<stat>`. */
export function aggregateSql(table: string, columns: readonly ProfiledColumn[], opts: GroupSpec = {}): string {
  return groupedSelect(table, ['count(*) AS n', ...aggregateSelects(columns, table, opts.groupBy !== undefined)], opts);
}

/** The per-column aggregates of the aggregate pass (`c<i>_nn`, `_nan`, `_inf`, `_min`, `_max`, `_mean`, `_std`). */
/** Magnitude from which a float's squared deviation may overflow a DOUBLE in DuckDB's stddev. */
export const HUGE = 1e150;

/**
 * How many times its spread (max − min) a group's values may lie from the pivot before its shifted stddev (and a
 * float's shifted mean) are recomputed with a pivot of its own (`c<i>_far`, see group-moments.ts): 2^20, so the
 * shifted values keep 32 of a DOUBLE's 52 bits for the spread.
 */
export const FAR_FROM_PIVOT = 2 ** 20;

/**
 * The aggregate selects of `columns` of `table`. The stddev is of the values minus one of them (`pivot`, read by
 * a scalar subquery that stops at the first row): DuckDB's stddev_pop of large values close together (int64 ids
 * near 2^53, epoch µs near 1.7e15) rounded its running mean and was off by up to 2×; integers are shifted exactly
 * (in HUGEINT) before they become DOUBLE. The pivot is one value of the whole table, but the selects may be grouped
 * (slices, days), and a group far from it loses its spread in the shift (1..100 minus 4e18 is −4e18 in a DOUBLE:
 * stddev 0, float mean 0): with `far` (grouped selects), `c<i>_far` says so, from the group's min and max, and
 * `refineGroupMoments` recomputes those groups alone with their own min as pivot (no cost where no group is far, the
 * usual case). Slices need it; the row pass's days do not: they are only combined, and a far day's error (below the
 * ulp of its distance to the pivot, a value of the table) is below what the combined moments can resolve.
 */
export function aggregateSelects(columns: readonly ProfiledColumn[], table: string, far = false): string[] {
  const sel: string[] = [];
  const pivot = (expr: string, where: string) => `(SELECT ${expr} FROM ${ident(table)} WHERE ${where} LIMIT 1)`;
  columns.forEach((col, i) => {
    const x = valueSql(col);
    const kind = columnKind(col.type);
    const c = `c${i}_`;
    sel.push(`count(${x}) AS ${c}nn`);
    if (kind === 'numeric') {
      if (col.finite) {
        const p = pivot(x, `${x} IS NOT NULL`);
        if (far) sel.push(`greatest(abs(max(${x}) - ${p}), abs(min(${x}) - ${p})) > ${FAR_FROM_PIVOT} * (max(${x}) - min(${x})) AS ${c}far`);
        sel.push(`0 AS ${c}nan`, `0 AS ${c}inf`, `min(${x}) AS ${c}min`, `max(${x}) AS ${c}max`, `${p} + avg(${x} - ${p}) AS ${c}mean`, `stddev_pop(${x} - ${p}) AS ${c}std`);
      } else if (isFloatType(col.type)) {
        // NaN and ±Inf become NULL, which aggregates skip: the same as `FILTER (WHERE isfinite(x))` and 2.5× faster
        // on 3M rows × 8 DOUBLE columns (DuckDB evaluates each FILTER on its own; the CASE is computed once).
        const fin = `CASE WHEN isfinite(${x}) THEN ${x} END`;
        const [lo, hi, pm, ps] = [`min(${fin})`, `max(${fin})`, pivot(x, `isfinite(${x})`), pivot(x, `abs(${x}) < ${HUGE}`)];
        if (far) sel.push(`greatest(abs(${hi} - ${pm}), abs(${lo} - ${pm}), abs(${hi} - ${ps}), abs(${lo} - ${ps})) > ${FAR_FROM_PIVOT} * (${hi} - ${lo}) AS ${c}far`);
        sel.push(
          `count_if(isnan(${x})) AS ${c}nan`, `count_if(isinf(${x})) AS ${c}inf`,
          `${lo} AS ${c}min`, `${hi} AS ${c}max`,
          // The mean of the values minus one of them, plus it: DuckDB's avg of large DOUBLEs close together (1e15 +
          // {0..10}) lost units (1e15 + 0.6 for 1e15 + 5). Values of 1e154 and up, whose differences may overflow,
          // keep the plain avg.
          `CASE WHEN max(abs(${fin})) < ${HUGE} THEN ${pivot(x, `isfinite(${x})`)} + avg(${fin} - ${pivot(x, `isfinite(${x})`)}) ELSE avg(${fin}) END AS ${c}mean`,
          // DuckDB's stddev squares deviations and throws once they overflow (|x| near 1e154 and up): such values are
          // left out here, and a column holding any (its min or max says so) gets no stddev (see profileFromAggregates).
          `stddev_pop(CASE WHEN abs(${x}) < ${HUGE} THEN ${x} - ${pivot(x, `abs(${x}) < ${HUGE}`)} END) AS ${c}std`,
        );
      } else {
        const asDouble = col.type.startsWith('DECIMAL') || /HUGEINT/.test(col.type);
        const d = asDouble ? `${x}::DOUBLE` : x;
        const p = pivot(asDouble ? d : `${x}::HUGEINT`, `${x} IS NOT NULL`);
        const shifted = asDouble ? `${d} - ${p}` : `(${x}::HUGEINT - ${p})::DOUBLE`;
        const [lo, hi] = asDouble ? [`min(${d})`, `max(${d})`] : [`min(${x})::HUGEINT`, `max(${x})::HUGEINT`];
        sel.push(`min(${d}) AS ${c}min`, `max(${d}) AS ${c}max`, `avg(${d}) AS ${c}mean`, `stddev_pop(${shifted}) AS ${c}std`);
        if (far) sel.push(`greatest(abs(${hi} - ${p}), abs(${lo} - ${p})) > ${FAR_FROM_PIVOT} * (${hi} - ${lo}) AS ${c}far`);
      }
    } else if (kind === 'timestamp') {
      sel.push(`min(${x})::VARCHAR AS ${c}min`, `max(${x})::VARCHAR AS ${c}max`);
    }
  });
  return sel;
}

type AggRow = Record<string, unknown>;

/** The group key's alias in `groupMomentsSql`. */
export const KEY_ALIAS = '__fg_k';

/** A group (its key) and a numeric column (its index) whose moments are recomputed around `pivot` (an SQL literal). */
export interface GroupPivot {
  readonly key: string;
  readonly index: number;
  readonly pivot: string;
}

/**
 * The stddev (`c<i>_std`) and, for a float column, the mean minus the pivot (`c<i>_dmean`) of the groups in `pivots`,
 * each column shifted by its group's own pivot (one row per key, `KEY_ALIAS`). `keyExpr` is the group's key as VARCHAR,
 * as the grouped pass names it. Only the rows of those groups are aggregated.
 */
export function groupMomentsSql(table: string, columns: readonly ProfiledColumn[], keyExpr: string, pivots: readonly GroupPivot[]): string {
  const keys = [...new Set(pivots.map((p) => p.key))];
  const sel: string[] = [];
  for (const index of new Set(pivots.map((p) => p.index))) {
    const col = columns[index];
    const x = valueSql(col);
    const piv = `CASE ${KEY_ALIAS} ${pivots.filter((p) => p.index === index).map((p) => `WHEN ${literal(p.key)} THEN ${p.pivot}`).join(' ')} END`;
    const c = `c${index}_`;
    if (isFloatType(col.type)) {
      sel.push(`avg(CASE WHEN isfinite(${x}) THEN ${x} - ${piv} END) AS ${c}dmean`, `stddev_pop(CASE WHEN abs(${x}) < ${HUGE} THEN ${x} - ${piv} END) AS ${c}std`);
    } else if (col.type.startsWith('DECIMAL') || /HUGEINT/.test(col.type)) {
      sel.push(`stddev_pop(${x}::DOUBLE - ${piv}) AS ${c}std`);
    } else {
      sel.push(`stddev_pop((${x}::HUGEINT - ${piv})::DOUBLE) AS ${c}std`);
    }
  }
  return `SELECT ${KEY_ALIAS}, ${sel.join(', ')} FROM (SELECT ${keyExpr} AS ${KEY_ALIAS}, * FROM ${ident(table)}) WHERE ${KEY_ALIAS} IN (${keys.map(literal).join(', ')}) GROUP BY 1`;
}

const asNumber = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/**
 * Count, mean and population stddev of disjoint parts taken together, from theirs (null for no parts):
 * Σ nᵢ·(stdᵢ² + (meanᵢ − mean)²) / n. The means are taken relative to the first part's: n·mean summed as is
 * lost the spread of large values close together (int64 ids near 2^53), where meanᵢ − mean is a few units.
 */
export function combineMoments(parts: readonly { n: number; mean: number; std: number }[]): { n: number; mean: number; std: number } | null {
  const n = parts.reduce((a, p) => a + p.n, 0);
  if (n === 0) return null;
  const pivot = parts[0].mean;
  const shift = parts.reduce((a, p) => a + p.n * (p.mean - pivot), 0) / n;
  const ss = parts.reduce((a, p) => a + p.n * (p.std ** 2 + (p.mean - pivot - shift) ** 2), 0);
  return { n, mean: pivot + shift, std: Math.sqrt(ss / n) };
}

/**
 * One aggregate row from the rows of the same aggregates over disjoint parts
 * of a table (for example its days): counts add up, min/max of the parts
 * (timestamps as DuckDB text, in time order: `compareTimestampText`), mean weighted by each part's values and the
 * population stddev combined exactly from the parts' means and stddevs (no
 * sums of squares, so no cancellation).
 */
export function combineAggregates(parts: readonly AggRow[], columns: readonly TableColumn[]): AggRow {
  const out: AggRow = { n: parts.reduce((a, r) => a + Number(r.n), 0) };
  columns.forEach((col, i) => {
    const c = `c${i}_`;
    const sum = (k: string) => parts.reduce((a, r) => a + Number(r[`${c}${k}`] ?? 0), 0);
    out[`${c}nn`] = sum('nn');
    const kind = columnKind(col.type);
    if (kind === 'numeric') {
      const float = isFloatType(col.type);
      if (float) [out[`${c}nan`], out[`${c}inf`]] = [sum('nan'), sum('inf')];
      const stats = parts
        .map((r) => ({ n: Number(r[`${c}nn`]) - (float ? Number(r[`${c}nan`]) + Number(r[`${c}inf`]) : 0), min: asNumber(r[`${c}min`]), max: asNumber(r[`${c}max`]), mean: asNumber(r[`${c}mean`]), std: asNumber(r[`${c}std`]) }))
        .filter((p) => p.n > 0 && p.mean !== null);
      const moments = combineMoments(stats.map((p) => ({ n: p.n, mean: p.mean!, std: p.std ?? 0 })));
      out[`${c}min`] = stats.length ? Math.min(...stats.map((p) => p.min!)) : null;
      out[`${c}max`] = stats.length ? Math.max(...stats.map((p) => p.max!)) : null;
      out[`${c}mean`] = moments?.mean ?? null;
      out[`${c}std`] = moments?.std ?? null;
    } else if (kind === 'timestamp') {
      const texts = (k: string) => parts.map((r) => r[`${c}${k}`]).filter((v): v is string => typeof v === 'string');
      const mins = texts('min').sort(compareTimestampText);
      const maxs = texts('max').sort(compareTimestampText);
      out[`${c}min`] = mins[0] ?? null;
      out[`${c}max`] = maxs[maxs.length - 1] ?? null;
    }
  });
  return out;
}

/**
 * The `UBIGINT` literal below which a fraction `share` (0 to 1) of uniform 64-bit
 * hashes lie: for pre-filters of hash-ordered samples (exact in 53 bits of
 * `share`, then scaled to the 64-bit range).
 */
export function hashBelow(share: number): string {
  return `${BigInt(Math.floor(share * 2 ** 53)) << 11n}::UBIGINT`;
}

/**
 * Sample pass over the given columns: up to `size` rows (per group), uniform.
 * With `rows` (the table's row count; `table` must be a base table, which has
 * `rowid`) a hash bottom-k sample, else DuckDB's reservoir sample. Numbers come
 * back as DOUBLE, categorical values as VARCHAR.
 */
export function sampleSql(table: string, columns: readonly ProfiledColumn[], size: number, seed: number, opts: GroupSpec & { all?: boolean; rows?: number } = {}): string {
  const cols = columns.map((c) => `${valueSql(c)}::${columnKind(c.type) === 'numeric' ? 'DOUBLE' : 'VARCHAR'} AS ${ident(c.name)}`);
  if (!opts.groupBy) {
    if (opts.all) return `SELECT ${cols.join(', ')} FROM ${ident(table)}`;
    if (opts.rows === undefined) return `SELECT ${cols.join(', ')} FROM ${ident(table)} USING SAMPLE reservoir(${size} ROWS) REPEATABLE (${seed})`;
    // Bottom-k by a hash of the row id: the `size` rows with the smallest hashes are a uniform sample
    // without replacement, and deterministic for a seed. A cheap pre-filter keeps about 1.25 × size
    // candidates (falling short is a ~20-sigma event for size 10,000) so the top-k sorts few rows;
    // it runs in parallel, unlike DuckDB's reservoir sample, and takes about half its time.
    const h = `hash(rowid + ${Math.trunc(seed)})`;
    const share = Math.min(1, (1.25 * size + 100) / Math.max(opts.rows, 1));
    const filter = share < 1 ? ` WHERE ${h} < ${hashBelow(share)}` : '';
    return `SELECT ${cols.join(', ')} FROM ${ident(table)}${filter} ORDER BY ${h} LIMIT ${size}`;
  }
  const g = ident(opts.groupBy);
  return `SELECT ${g}::VARCHAR AS ${GROUP_ALIAS}, ${cols.join(', ')} FROM ${ident(table)} WHERE ${inGroups(opts.groupBy, opts.groups)}
    QUALIFY row_number() OVER (PARTITION BY ${g} ORDER BY hash(random())) <= ${size}`;
}

/** Top values of categorical columns: rows (ci, __fg_g, v, n), the `k` most frequent per column (and group). */
export function topSql(table: string, columns: readonly { index: number; column: TableColumn }[], k: number, opts: GroupSpec = {}): string {
  if (!opts.groupBy) {
    const parts = columns.map(({ index, column }) => {
      const x = ident(column.name);
      return `(SELECT ${index} AS ci, NULL::VARCHAR AS ${GROUP_ALIAS}, ${x}::VARCHAR AS v, count(*) AS n FROM ${ident(table)} WHERE ${x} IS NOT NULL GROUP BY 3 ORDER BY n DESC, v LIMIT ${k})`;
    });
    return parts.join(' UNION ALL ');
  }
  const g = `${ident(opts.groupBy)}::VARCHAR`;
  const parts = columns.map(({ index, column }) => {
    const x = ident(column.name);
    return `SELECT ${index} AS ci, ${g} AS ${GROUP_ALIAS}, ${x}::VARCHAR AS v, count(*) AS n FROM ${ident(table)} WHERE ${x} IS NOT NULL AND ${inGroups(opts.groupBy!, opts.groups)} GROUP BY ALL`;
  });
  return `SELECT ci, ${GROUP_ALIAS}, v, n FROM (${parts.join(' UNION ALL ')}) QUALIFY row_number() OVER (PARTITION BY ci, ${GROUP_ALIAS} ORDER BY n DESC, v) <= ${k}`;
}

function inGroups(col: string, groups?: readonly string[]): string {
  if (!groups || groups.length === 0) return 'true';
  return `${ident(col)}::VARCHAR IN (${groups.map(literal).join(', ')})`;
}

function groupedSelect(table: string, sel: readonly string[], opts: GroupSpec): string {
  if (!opts.groupBy) return `SELECT ${sel.join(', ')} FROM ${ident(table)}`;
  return `SELECT ${ident(opts.groupBy)}::VARCHAR AS ${GROUP_ALIAS}, ${sel.join(', ')} FROM ${ident(table)} WHERE ${inGroups(opts.groupBy, opts.groups)} GROUP BY 1`;
}
