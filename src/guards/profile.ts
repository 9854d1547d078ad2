/**
 * Column profiles (QUALITY-CHECKS.md §2) in three DuckDB passes over the rows:
 * aggregates (counts, NaN/Inf, approx distinct, min/max/mean/stddev, quantiles,
 * the histogram on the reference's edges, outliers against the reference), a
 * reservoir sample, and the top values of categorical columns. A fourth pass
 * bins on the column's own deciles only when there is no reference.
 *
 * @example
 * const profiles = await profileTable(conn, 'rows', { reference: ref?.profiles });
 * profiles.get('dep_delay')?.quantiles?.p50;
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { ident, literal } from '../offline/engine.js';
import type { TableColumn } from './check.js';
import type { ColumnProfile, Quantiles } from './profile-types.js';
import { aggregateSql, columnKind, histogramSql, QUANTILE_LEVELS, sampleSql, topSql, type AggregateColumnPlan } from './profile-sql.js';

export interface ProfileOptions {
  /** Columns to profile (default: every column of the table). */
  readonly columns?: readonly TableColumn[];
  /** Reference profiles by column: their histogram edges and median/MAD are used. */
  readonly reference?: ReadonlyMap<string, ColumnProfile>;
  /** Reservoir sample size (default 10,000). */
  readonly sampleSize?: number;
  readonly seed?: number;
  /** Top values kept for categorical columns (default 50). */
  readonly topK?: number;
  /** Robust z of the outlier definition (default 5). */
  readonly outlierZ?: number;
  /** Exact quantiles (`quantile_cont`, default) or `approx_quantile` (`false`, faster on millions of rows). */
  readonly exactQuantiles?: boolean;
}

type Row = Record<string, unknown>;

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
  const groups = await profileGroups(conn, table, opts);
  return groups.get('') ?? new Map();
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
  // One grouped pass for all slices. Histogram edges must be shared by the pass: the reference slices' edges are used
  // when they all agree (they descend from one ancestor), else each slice is binned on its own deciles.
  return profileGroups(conn, table, { ...opts, reference: undefined }, { groupBy: sliceColumn, groups: values, sliceReference: opts.reference });
}

interface GroupOpts {
  groupBy: string;
  groups: readonly string[];
  sliceReference?: ReadonlyMap<string, ReadonlyMap<string, ColumnProfile>>;
}

async function profileGroups(conn: DuckDBConnection, table: string, opts: ProfileOptions, group?: GroupOpts): Promise<Map<string, Map<string, ColumnProfile>>> {
  const columns = (opts.columns ?? (await describeTable(conn, table))).filter((c) => c.name !== group?.groupBy);
  const sampleSize = opts.sampleSize ?? (group ? 2000 : 10_000);
  const topK = opts.topK ?? 50;
  const z = opts.outlierZ ?? 5;
  const gopts = group ? { groupBy: group.groupBy, groups: group.groups } : {};
  // Reference per group value ('' when ungrouped).
  const refFor = (g: string): ReadonlyMap<string, ColumnProfile> | undefined => (group ? group.sliceReference?.get(g) : opts.reference);

  // Edges and outlier parameters must be the same for every group of one SQL pass; in grouped mode use the
  // reference edges only when every slice's reference agrees (they normally share the ancestor's edges).
  const plans: AggregateColumnPlan[] = columns.map((column) => {
    if (columnKind(column.type) !== 'numeric') return { column };
    const refs = group ? group.groups.map((g) => refFor(g)?.get(column.name)) : [refFor('')?.get(column.name)];
    const edges = refs.map((r) => r?.histogram?.edges);
    const same = edges.every((e) => e && JSON.stringify(e) === JSON.stringify(edges[0]));
    const ref0 = refs[0];
    const outlier = !group && ref0 && ref0.mad && ref0.mad > 0 && ref0.quantiles ? { median: ref0.quantiles.p50, mad: ref0.mad, z } : undefined;
    return { column, edges: same && edges[0] && edges[0].length > 0 ? edges[0] : undefined, outlier };
  });

  const aggRows = await rows(conn, aggregateSql(table, plans, { ...gopts, exactQuantiles: opts.exactQuantiles ?? true }));
  const numericCols = columns.filter((c) => columnKind(c.type) === 'numeric' || columnKind(c.type) === 'categorical');
  const sampleRows = numericCols.filter((c) => columnKind(c.type) === 'numeric').length
    ? await rows(conn, sampleSql(table, columns.filter((c) => columnKind(c.type) === 'numeric'), sampleSize, opts.seed ?? 42, gopts))
    : [];
  const cats = columns.map((column, index) => ({ column, index })).filter((c) => columnKind(c.column.type) === 'categorical');
  const topRows = cats.length ? await rows(conn, topSql(table, cats, topK, gopts)) : [];

  const out = new Map<string, Map<string, ColumnProfile>>();
  const keyOf = (r: Row) => (group ? String(r.g) : '');
  const needOwnHist: { group: string; index: number; edges: number[] }[] = [];
  for (const agg of aggRows) {
    const g = keyOf(agg);
    const gSample = sampleRows.filter((r) => keyOf(r) === g);
    const gTop = topRows.filter((r) => (group ? String(r.g) === g : true));
    const m = new Map<string, ColumnProfile>();
    plans.forEach((plan, i) => {
      const p = buildProfile(agg, i, plan, gSample, gTop, z);
      if (p.kind === 'numeric' && !plan.edges && p.deciles && p.deciles.length > 0) needOwnHist.push({ group: g, index: i, edges: p.deciles });
      m.set(plan.column.name, p);
    });
    out.set(g, m);
  }
  // Guarantee every requested group exists even when it had no rows.
  if (group) for (const g of group.groups) if (!out.has(g)) out.set(g, new Map());

  if (needOwnHist.length > 0) await fillOwnHistograms(conn, table, columns, needOwnHist, out, group);
  return out;
}

async function fillOwnHistograms(
  conn: DuckDBConnection,
  table: string,
  columns: readonly TableColumn[],
  need: { group: string; index: number; edges: number[] }[],
  out: Map<string, Map<string, ColumnProfile>>,
  group?: GroupOpts,
): Promise<void> {
  // One pass per group (grouped slices have different own deciles).
  const byGroup = new Map<string, typeof need>();
  for (const n of need) byGroup.set(n.group, [...(byGroup.get(n.group) ?? []), n]);
  for (const [g, items] of byGroup) {
    const src = group ? `(SELECT * FROM ${ident(table)} WHERE ${ident(group.groupBy)}::VARCHAR = ${literal(g)})` : null;
    const view = src ? `fg_prof_slice_${Math.random().toString(36).slice(2, 10)}` : table;
    if (src) await conn.run(`CREATE OR REPLACE TEMP VIEW ${ident(view)} AS ${src.slice(1, -1)}`);
    try {
      const [r] = await rows(conn, histogramSql(view, items.map((n) => ({ column: columns[n.index], edges: n.edges }))));
      items.forEach((n, k) => {
        const name = columns[n.index].name;
        const p = out.get(g)!.get(name)!;
        out.get(g)!.set(name, { ...p, histogram: { edges: n.edges, counts: (r[`c${k}_hist`] as unknown[]).map(Number) } });
      });
    } finally {
      if (src) await conn.run(`DROP VIEW IF EXISTS ${ident(view)}`);
    }
  }
}

function n(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  const x = Number(v);
  return Number.isFinite(x) ? x : null;
}

function buildProfile(agg: Row, i: number, plan: AggregateColumnPlan, sample: Row[], top: Row[], z: number): ColumnProfile {
  const { column } = plan;
  const kind = columnKind(column.type);
  const c = `c${i}_`;
  const count = Number(agg.n);
  const nonNull = Number(agg[`${c}nn`]);
  const base = {
    column: column.name,
    type: column.type,
    kind,
    count,
    nulls: count - nonNull,
    nan: Number(agg[`${c}nan`] ?? 0),
    inf: Number(agg[`${c}inf`] ?? 0),
    distinct: Number(agg[`${c}distinct`] ?? 0),
  };
  if (kind === 'numeric') {
    const q = (agg[`${c}q`] as unknown[] | null)?.map(Number) ?? null;
    const at = (lvl: number) => (q ? q[QUANTILE_LEVELS.indexOf(lvl as (typeof QUANTILE_LEVELS)[number])] : NaN);
    const quantiles: Quantiles | null = q ? { p1: at(0.01), p5: at(0.05), p25: at(0.25), p50: at(0.5), p75: at(0.75), p95: at(0.95), p99: at(0.99) } : null;
    const deciles = q ? [...new Set([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9].map(at))].sort((a, b) => a - b) : null;
    const values = sample.map((r) => n(r[column.name])).filter((v): v is number => v !== null);
    const { mad, outlierRate } = robustStats(values, z);
    const hist = agg[`${c}hist`] as unknown[] | undefined;
    const outliers = agg[`${c}outliers`];
    const finiteCount = nonNull - base.nan - base.inf;
    return {
      ...base,
      min: n(agg[`${c}min`]),
      max: n(agg[`${c}max`]),
      mean: n(agg[`${c}mean`]),
      stddev: n(agg[`${c}std`]),
      quantiles,
      deciles,
      histogram: plan.edges && hist ? { edges: [...plan.edges], counts: hist.map(Number) } : null,
      sample: values,
      mad,
      outlier_rate: outlierRate,
      outlier_rate_vs_reference: outliers !== undefined && finiteCount > 0 ? Number(outliers) / finiteCount : null,
      top: null,
    };
  }
  const topValues = kind === 'categorical' ? top.filter((r) => Number(r.ci) === i).map((r) => ({ value: String(r.v), count: Number(r.n) })) : null;
  return {
    ...base,
    min: (agg[`${c}min`] as string | null) ?? null,
    max: (agg[`${c}max`] as string | null) ?? null,
    mean: null,
    stddev: null,
    quantiles: null,
    deciles: null,
    histogram: null,
    sample: [],
    mad: null,
    outlier_rate: null,
    outlier_rate_vs_reference: null,
    top: topValues,
  };
}

/** Median absolute deviation and the share of robust-z outliers, from a sample. */
export function robustStats(values: readonly number[], z: number): { median: number | null; mad: number | null; outlierRate: number | null } {
  if (values.length === 0) return { median: null, mad: null, outlierRate: null };
  const median = medianOf(values);
  const mad = medianOf(values.map((v) => Math.abs(v - median)));
  if (mad === 0) return { median, mad, outlierRate: null };
  const lim = z * 1.4826 * mad;
  const outliers = values.filter((v) => Math.abs(v - median) > lim).length;
  return { median, mad, outlierRate: outliers / values.length };
}

/** Median of numbers (average of the two middle values for even lengths). */
export function medianOf(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
