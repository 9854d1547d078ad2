/**
 * Column profiles (QUALITY-CHECKS.md §2) in three DuckDB passes over the rows:
 * exact aggregates (counts, NaN/Inf, min/max, mean, population stddev), a
 * uniform sample of up to 10,000 rows (hash bottom-k), and the top 50 values of
 * categorical columns. Quantiles, deciles, the histogram (on the reference's
 * edges, else on the column's own deciles), MAD and outlier rates come from the
 * sample: exact when the table fits in it, estimates on larger tables (the
 * profile says which with `sampled`). Distinct counts are exact when the values
 * fit the sample or the top list, else a lower bound from the sample.
 *
 * @example
 * const profiles = await profileTable(conn, 'rows', { reference: ref?.profiles });
 * profiles.get('dep_delay')?.quantiles?.p50;
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { ident } from '../offline/engine.js';
import { binCounts, quantiles as quantilesOf } from '../stats/index.js';
import type { TableColumn } from './check.js';
import type { ColumnProfile, Quantiles } from './profile-types.js';
import { aggregateSql, columnKind, GROUP_ALIAS, HUGE, sampleSql, topSql, type GroupSpec, type ProfiledColumn } from './profile-sql.js';
import { refineGroupMoments } from './group-moments.js';
import { ageColumns, type AgeOptions } from './profile-age.js';

export interface ProfileOptions {
  /** Columns to profile (default: every column of the table). */
  readonly columns?: readonly TableColumn[];
  /** Reference profiles by column: their histogram edges and median/MAD are used. */
  readonly reference?: ReadonlyMap<string, ColumnProfile>;
  /** Reservoir sample size (default 10,000; 2,000 per slice). */
  readonly sampleSize?: number;
  readonly seed?: number;
  /** Top values kept for categorical columns (default 50). */
  readonly topK?: number;
  /** Robust z of the outlier definition (default 5); per column when the features set their own. */
  readonly outlierZ?: number | ((column: string) => number);
  /** Tables up to this many rows get exact top values (default 1,000,000); larger ones count them on the sample. */
  readonly exactTopRows?: number;
  /** The aggregate row of these columns when already computed (the stage's row pass): no aggregate pass. */
  readonly aggregate?: Record<string, unknown>;
  /** Timestamp columns whose age at the rows' event time is profiled too (`ColumnProfile.age`, profile-age.ts). */
  readonly age?: AgeOptions;
}

/** Top values counted on the sample rows, in the shape of `topSql`'s rows. */
function sampleTop(sample: readonly Row[], cats: readonly { column: TableColumn; index: number }[], k: number): Row[] {
  const out: Row[] = [];
  for (const { column, index } of cats) {
    const counts = new Map<string, number>();
    for (const r of sample) {
      const v = r[column.name];
      if (v !== null && v !== undefined) counts.set(String(v), (counts.get(String(v)) ?? 0) + 1);
    }
    const sorted = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, k);
    for (const [v, n] of sorted) out.push({ ci: index, [GROUP_ALIAS]: null, v, n });
  }
  return out;
}

type Row = Record<string, unknown>;

const PROBS = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99];
const DECILES = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

/** What a profile estimates from its sorted sample of numbers: quantiles, own deciles (distinct), MAD and outlier rate. */
export function sampleEstimates(sorted: Float64Array, z: number): { quantiles: Quantiles | null; deciles: number[] | null; mad: number | null; outlierRate: number | null } {
  if (sorted.length === 0) return { quantiles: null, deciles: null, mad: null, outlierRate: null };
  const q = quantilesOf(sorted, PROBS);
  const { mad, outlierRate } = robustStats(sorted, z);
  return {
    quantiles: { p1: q[0], p5: q[1], p25: q[2], p50: q[3], p75: q[4], p95: q[5], p99: q[6] },
    deciles: [...new Set(quantilesOf(sorted, DECILES))],
    mad,
    outlierRate,
  };
}

/** Columns of a table or view as DuckDB describes them. */
export async function describeTable(conn: DuckDBConnection, table: string): Promise<TableColumn[]> {
  const r = await conn.runAndReadAll(`DESCRIBE ${ident(table)}`);
  return (r.getRowObjectsJson() as Row[]).map((x) => ({ name: String(x.column_name), type: String(x.column_type) }));
}

async function rows(conn: DuckDBConnection, sql: string): Promise<Row[]> {
  return (await conn.runAndReadAll(sql)).getRowObjectsJson() as Row[];
}

/** Profile every column of `table`. */
export async function profileTable(conn: DuckDBConnection, table: string, opts: ProfileOptions = {}): Promise<Map<string, ColumnProfile>> {
  const columns = opts.columns ?? (await describeTable(conn, table));
  const out = await profileGroups(conn, table, columns, opts, (col) => opts.reference?.get(col));
  return out.get('') ?? new Map();
}

/**
 * Profiles per value of `sliceColumn`, for its `maxSlices` most frequent values.
 * `reference` maps slice value → column → profile.
 */
export async function profileSlices(
  conn: DuckDBConnection,
  table: string,
  sliceColumn: string,
  opts: Omit<ProfileOptions, 'reference'> & { maxSlices?: number; reference?: ReadonlyMap<string, ReadonlyMap<string, ColumnProfile>> } = {},
): Promise<Map<string, Map<string, ColumnProfile>>> {
  const top = await rows(
    conn,
    `SELECT ${ident(sliceColumn)}::VARCHAR AS g, count(*) AS n FROM ${ident(table)} WHERE ${ident(sliceColumn)} IS NOT NULL GROUP BY 1 ORDER BY n DESC, g LIMIT ${opts.maxSlices ?? 20}`,
  );
  const values = top.map((r) => String(r.g));
  if (values.length === 0) return new Map();
  const columns = (opts.columns ?? (await describeTable(conn, table))).filter((c) => c.name !== sliceColumn);
  const out = await profileGroups(conn, table, columns, { ...opts, reference: undefined, sampleSize: opts.sampleSize ?? 2000 }, (col, g) => opts.reference?.get(g)?.get(col), {
    groupBy: sliceColumn,
    groups: values,
  });
  for (const g of values) if (!out.has(g)) out.set(g, new Map());
  return out;
}

async function profileGroups(
  conn: DuckDBConnection,
  table: string,
  columns: readonly TableColumn[],
  opts: ProfileOptions,
  refOf: (column: string, group: string) => ColumnProfile | undefined,
  group?: GroupSpec,
): Promise<Map<string, Map<string, ColumnProfile>>> {
  const sampleSize = opts.sampleSize ?? 10_000;
  const zOf = (column: string): number => (typeof opts.outlierZ === 'function' ? opts.outlierZ(column) : (opts.outlierZ ?? 5));
  const keyOf = (r: Row) => (group ? String(r[GROUP_ALIAS]) : '');
  const aggRows = !group && opts.aggregate ? [opts.aggregate] : await aggregatesOf(conn, table, columns, group);
  // Ages are expressions over the rows: their aggregates take one pass of their own (the row pass has the columns'),
  // their values ride on the sample of the same rows.
  const ages = ageColumns(columns, opts.age);
  const ageAggs = ages.length ? new Map((await aggregatesOf(conn, table, ages.map((a) => a.aged), group)).map((r) => [keyOf(r), r])) : new Map<string, Row>();
  const sampled: ProfiledColumn[] = [...columns.filter((c) => columnKind(c.type) === 'numeric' || columnKind(c.type) === 'categorical'), ...ages.map((a) => a.aged)];
  const maxRows = Math.max(0, ...aggRows.map((r) => Number(r.n)));
  const all = !group && maxRows <= sampleSize;
  // A column named rowid would shadow DuckDB's row id that the hash sample is keyed on.
  const rowidShadowed = columns.some((c) => c.name.toLowerCase() === 'rowid');
  const sampleRows = sampled.length ? await sampleOf(conn, table, sampled, sampleSize, opts.seed ?? 42, { ...group, all, rows: group || rowidShadowed ? undefined : maxRows }) : [];
  const cats = columns.map((column, index) => ({ column, index })).filter((c) => columnKind(c.column.type) === 'categorical');
  const topK = opts.topK ?? 50;
  // Exact top values up to `exactTopRows` rows; above, they come from the sample (counts are sample counts, `sampled`).
  const topFromSample = !group && maxRows > (opts.exactTopRows ?? 1_000_000);
  const topRows = cats.length ? (topFromSample ? sampleTop(sampleRows, cats, topK) : await rows(conn, topSql(table, cats, topK, group))) : [];

  const out = new Map<string, Map<string, ColumnProfile>>();
  for (const agg of aggRows) {
    const g = keyOf(agg);
    const gSample = group ? sampleRows.filter((r) => keyOf(r) === g) : sampleRows;
    const gTop = group ? topRows.filter((r) => keyOf(r) === g) : topRows;
    const complete = Number(agg.n) <= gSample.length;
    const m = new Map<string, ColumnProfile>();
    columns.forEach((column, i) => m.set(column.name, buildProfile(agg, i, column, gSample, gTop, complete, zOf(column.name), refOf(column.name, g), topFromSample)));
    const ageAgg = ageAggs.get(g);
    ages.forEach(({ column, aged }, i) => {
      if (!ageAgg) return;
      // The age is profiled as the number it is, against the reference's age (its deciles, median and MAD).
      const age = { ...buildProfile(ageAgg, i, aged, gSample, [], complete, zOf(column), refOf(column, g)?.age, false), column };
      m.set(column, { ...m.get(column)!, age });
    });
    out.set(g, m);
  }
  return out;
}

/** The aggregate rows of `columns` (one per group), far groups' moments refined (group-moments.ts). */
async function aggregatesOf(conn: DuckDBConnection, table: string, columns: readonly ProfiledColumn[], group?: GroupSpec): Promise<Row[]> {
  const plain = await rows(conn, aggregateSql(table, columns, group));
  // A slice far from the table-wide stddev pivot is recomputed around its own values (see group-moments.ts).
  return group?.groupBy ? refineGroupMoments(conn, table, columns, plain, `${ident(group.groupBy)}::VARCHAR`, (r) => String(r[GROUP_ALIAS])) : plain;
}

/** The sample rows: a hash bottom-k sample of a base table, DuckDB's reservoir sample when the relation has no `rowid` (a view). */
async function sampleOf(conn: DuckDBConnection, table: string, columns: readonly ProfiledColumn[], size: number, seed: number, opts: Parameters<typeof sampleSql>[4] = {}): Promise<Row[]> {
  // The sample is DOUBLE and VARCHAR only (see sampleSql): plain JS values, no JSON conversion needed.
  const read = async (o: typeof opts) => (await conn.runAndReadAll(sampleSql(table, columns, size, seed, o))).getRowObjectsJS() as Row[];
  if (opts.rows === undefined || opts.all) return read(opts);
  try {
    return await read(opts);
  } catch (e) {
    // A view or subquery has no rowid: DuckDB's binder says the column does not exist.
    if (!/"rowid"/i.test(String((e as Error).message).split('\n')[0])) throw e;
    return read({ ...opts, rows: undefined });
  }
}

function num(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  const x = Number(v);
  return Number.isFinite(x) ? x : null;
}

function buildProfile(agg: Row, i: number, column: TableColumn, sample: Row[], top: Row[], complete: boolean, z: number, ref: ColumnProfile | undefined, topFromSample: boolean): ColumnProfile {
  const kind = columnKind(column.type);
  const c = `c${i}_`;
  const count = Number(agg.n);
  const nonNull = Number(agg[`${c}nn`]);
  const base = {
    column: column.name, type: column.type, kind, count, nulls: count - nonNull,
    nan: Number(agg[`${c}nan`] ?? 0), inf: Number(agg[`${c}inf`] ?? 0), sampled: !complete,
  };
  const empty = { mean: null, stddev: null, quantiles: null, deciles: null, histogram: null, sample: [], mad: null, outlier_rate: null, outlier_rate_vs_reference: null, top: null, top_total: null };
  if (kind === 'numeric') {
    const values = sample.map((r) => num(r[column.name])).filter((v): v is number => v !== null);
    const s = Float64Array.from(values).sort();
    const { quantiles, deciles, mad, outlierRate } = sampleEstimates(s, z);
    // PSI bins are the reference's own deciles (never its histogram's edges, which are *its* reference's).
    const edges = ref?.deciles?.length ? ref.deciles : deciles;
    const vsRef = ref ? outlierShareVsReference(values, ref, z) : null;
    return {
      ...base, ...empty,
      distinct: new Set(values).size,
      min: num(agg[`${c}min`]), max: num(agg[`${c}max`]), mean: num(agg[`${c}mean`]),
      // Values beyond ±HUGE are left out of the SQL stddev (it would overflow): then there is none.
      stddev: Math.max(Math.abs(num(agg[`${c}min`]) ?? 0), Math.abs(num(agg[`${c}max`]) ?? 0)) >= HUGE ? null : num(agg[`${c}std`]),
      quantiles, deciles,
      histogram: edges && s.length ? { edges: [...edges], counts: binCounts(s, edges) } : null,
      sample: values, mad, outlier_rate: outlierRate, outlier_rate_vs_reference: vsRef,
    };
  }
  if (kind === 'categorical') {
    const topValues = top.filter((r) => Number(r.ci) === i).map((r) => ({ value: String(r.v), count: Number(r.n) }));
    const sampleValues = sample.map((r) => r[column.name]).filter((v) => v !== null && v !== undefined);
    const inSample = new Set(sampleValues).size;
    // Exact when fewer than topK values exist or the sample holds every row; else a lower bound.
    const distinct = Math.max(topValues.length, inSample);
    const profile: ColumnProfile = { ...base, ...empty, distinct, min: null, max: null, top: topValues, top_total: topFromSample ? sampleValues.length : nonNull };
    samplesOfRun.set(profile, sampleValues.map(String));
    return profile;
  }
  return { ...base, ...empty, distinct: null, min: (agg[`${c}min`] as string | null) ?? null, max: (agg[`${c}max`] as string | null) ?? null };
}

/**
 * Categorical profiles are stored without their sample (it would bloat the quality
 * log); during the run that profiled them the sample stays reachable here, so
 * checks such as PII can reuse it instead of sampling the rows again.
 */
const samplesOfRun = new WeakMap<ColumnProfile, readonly string[]>();

/** The non-null sampled values behind a categorical profile of this run (undefined for stored profiles). */
export function categoricalSample(profile: ColumnProfile): readonly string[] | undefined {
  return samplesOfRun.get(profile);
}

/**
 * Robust spread of `values` around their `median`, in units of a normal's standard deviation: 1.4826·MAD; when
 * more than half the values equal the median (a zero-inflated feature, counts that rarely change) the MAD is 0,
 * and the usual modified-z fallback (Iglewicz & Hoaglin; IBM) takes 1.2533·mean absolute deviation from the median
 * instead. 0 only when every value is the median.
 */
export function robustScale(values: ArrayLike<number>, median: number, mad?: number): number {
  if (mad !== undefined && mad > 0) return 1.4826 * mad;
  const arr = Array.from(values);
  const m = mad ?? medianOf(arr.map((v) => Math.abs(v - median)));
  if (m > 0) return 1.4826 * m;
  return arr.length ? (1.2533 * arr.reduce((a, v) => a + Math.abs(v - median), 0)) / arr.length : 0;
}

/** The scale outliers are measured in against a numeric reference profile (robustScale of its sample); 0 when it has none. */
/**
 * The share of `values` beyond `z` robust deviations of the reference's median (its outliers as the reference
 * defines them); null without values or when the reference has no spread.
 */
export function outlierShareVsReference(values: readonly number[], ref: ColumnProfile, z: number): number | null {
  const scale = referenceScale(ref);
  if (scale <= 0 || values.length === 0) return null;
  const median = ref.quantiles!.p50;
  return values.filter((v) => Math.abs(v - median) > z * scale).length / values.length;
}

export function referenceScale(ref: ColumnProfile): number {
  const median = ref.quantiles?.p50;
  if (ref.kind !== 'numeric' || median === undefined || median === null) return 0;
  // The stored MAD when it is above 0 (the common case): the sample is read only for the fallback.
  if (ref.mad !== null && ref.mad > 0) return 1.4826 * ref.mad;
  return robustScale(ref.sample.filter((v): v is number => typeof v === 'number'), median, ref.mad ?? undefined);
}

/** Median absolute deviation and the share of robust-z outliers (robustScale: MAD, else mean absolute deviation), from a sample. */
export function robustStats(values: ArrayLike<number>, z: number): { median: number | null; mad: number | null; outlierRate: number | null } {
  if (values.length === 0) return { median: null, mad: null, outlierRate: null };
  const arr = Array.from(values);
  const median = medianOf(arr);
  const mad = medianOf(arr.map((v) => Math.abs(v - median)));
  const scale = robustScale(arr, median, mad);
  if (scale === 0) return { median, mad, outlierRate: null };
  const lim = z * scale;
  return { median, mad, outlierRate: arr.filter((v) => Math.abs(v - median) > lim).length / arr.length };
}

/** Median of numbers (average of the two middle values for even lengths). */
export function medianOf(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
