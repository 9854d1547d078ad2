/**
 * SQL of the profiling passes, as pure functions: one aggregate pass (counts,
 * moments, quantiles, histogram on given edges, outliers against a reference),
 * one reservoir-sample pass and one top-values pass. Optionally grouped by a
 * slice column.
 */
import { ident, literal } from '../offline/engine.js';
import type { ProfileKind } from './profile-types.js';
import type { TableColumn } from './check.js';

export const QUANTILE_LEVELS = [0.01, 0.05, 0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.9, 0.95, 0.99] as const;

const INT_TYPES = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)$/;
const FLOAT_TYPES = /^(FLOAT|DOUBLE|REAL)$/;

/** How a DuckDB type is profiled. */
export function columnKind(type: string): ProfileKind {
  if (INT_TYPES.test(type) || FLOAT_TYPES.test(type) || type.startsWith('DECIMAL')) return 'numeric';
  if (type === 'VARCHAR' || type === 'BOOLEAN' || type.startsWith('ENUM')) return 'categorical';
  if (type.startsWith('TIMESTAMP') || type === 'DATE') return 'timestamp';
  return 'other';
}

export function isFloatType(type: string): boolean {
  return FLOAT_TYPES.test(type);
}

/** Per-column extra inputs of the aggregate pass. */
export interface AggregateColumnPlan {
  readonly column: TableColumn;
  /** Inner histogram edges (numeric). */
  readonly edges?: readonly number[];
  /** Reference median and MAD for the outlier count (numeric, MAD > 0). */
  readonly outlier?: { readonly median: number; readonly mad: number; readonly z: number };
}

function finite(x: string, type: string): string {
  return isFloatType(type) ? `isfinite(${x})` : `${x} IS NOT NULL`;
}

/** Aggregate pass: one row (or one per group `g`), columns `n`, `c<i>_<stat>`. */
export function aggregateSql(table: string, plans: readonly AggregateColumnPlan[], opts: { groupBy?: string; groups?: readonly string[]; exactQuantiles?: boolean } = {}): string {
  const sel: string[] = ['count(*) AS n'];
  plans.forEach((p, i) => {
    const x = ident(p.column.name);
    const t = p.column.type;
    const kind = columnKind(t);
    const c = `c${i}_`;
    sel.push(`count(${x}) AS ${c}nn`);
    if (kind === 'other') return;
    sel.push(`approx_count_distinct(${x}) AS ${c}distinct`);
    if (kind === 'numeric') {
      const fin = finite(x, t);
      const d = `${x}::DOUBLE`;
      if (isFloatType(t)) {
        sel.push(`count(*) FILTER (WHERE isnan(${x})) AS ${c}nan`, `count(*) FILTER (WHERE isinf(${x})) AS ${c}inf`);
      }
      sel.push(
        `min(${d}) FILTER (WHERE ${fin}) AS ${c}min`,
        `max(${d}) FILTER (WHERE ${fin}) AS ${c}max`,
        `avg(${d}) FILTER (WHERE ${fin}) AS ${c}mean`,
        `stddev_pop(${d}) FILTER (WHERE ${fin}) AS ${c}std`,
        `${opts.exactQuantiles ? 'quantile_cont' : 'approx_quantile'}(${d}, [${QUANTILE_LEVELS.join(', ')}]) FILTER (WHERE ${fin}) AS ${c}q`,
      );
      if (p.edges) sel.push(`[${histogramBins(d, fin, p.edges).join(', ')}] AS ${c}hist`);
      if (p.outlier) {
        const lim = p.outlier.z * 1.4826 * p.outlier.mad;
        sel.push(`count(*) FILTER (WHERE ${fin} AND abs(${d} - ${p.outlier.median}) > ${lim}) AS ${c}outliers`);
      }
    } else {
      sel.push(`min(${x})::VARCHAR AS ${c}min`, `max(${x})::VARCHAR AS ${c}max`);
    }
  });
  return groupedSelect(table, sel, opts.groupBy, opts.groups);
}

function histogramBins(d: string, fin: string, edges: readonly number[]): string[] {
  const out: string[] = [];
  for (let k = 0; k <= edges.length; k++) {
    const conds = [fin];
    if (k > 0) conds.push(`${d} >= ${num(edges[k - 1])}`);
    if (k < edges.length) conds.push(`${d} < ${num(edges[k])}`);
    out.push(`count(*) FILTER (WHERE ${conds.join(' AND ')})`);
  }
  return out;
}

/** Histogram-only pass (first run: bins on the column's own deciles). */
export function histogramSql(table: string, plans: readonly { column: TableColumn; edges: readonly number[] }[], opts: { groupBy?: string; groups?: readonly string[] } = {}): string {
  const sel = plans.map((p, i) => {
    const x = ident(p.column.name);
    return `[${histogramBins(`${x}::DOUBLE`, finite(x, p.column.type), p.edges).join(', ')}] AS c${i}_hist`;
  });
  return groupedSelect(table, sel.length ? sel : ['count(*) AS n'], opts.groupBy, opts.groups);
}

/** Reservoir-sample pass: up to `size` rows (per group). */
export function sampleSql(table: string, columns: readonly TableColumn[], size: number, seed: number, opts: { groupBy?: string; groups?: readonly string[] } = {}): string {
  const cols = columns.map((c) => (columnKind(c.type) === 'numeric' ? `${ident(c.name)}::DOUBLE AS ${ident(c.name)}` : ident(c.name)));
  if (!opts.groupBy) return `SELECT ${cols.join(', ')} FROM ${ident(table)} USING SAMPLE reservoir(${size} ROWS) REPEATABLE (${seed})`;
  const g = ident(opts.groupBy);
  return `SELECT ${g}::VARCHAR AS g, ${cols.join(', ')} FROM ${ident(table)} WHERE ${inGroups(opts.groupBy, opts.groups)}
    QUALIFY row_number() OVER (PARTITION BY ${g} ORDER BY hash(random())) <= ${size}`;
}

/** Top values of categorical columns: rows (ci, g, v, n). */
export function topSql(table: string, columns: readonly { index: number; column: TableColumn }[], k: number, opts: { groupBy?: string; groups?: readonly string[] } = {}): string {
  const g = opts.groupBy ? `${ident(opts.groupBy)}::VARCHAR` : 'NULL::VARCHAR';
  const where = opts.groupBy ? ` AND ${inGroups(opts.groupBy, opts.groups)}` : '';
  const parts = columns.map(({ index, column }) => {
    const x = ident(column.name);
    return `SELECT ${index} AS ci, ${g} AS g, ${x}::VARCHAR AS v, count(*) AS n FROM ${ident(table)} WHERE ${x} IS NOT NULL${where} GROUP BY ALL`;
  });
  return `SELECT ci, g, v, n FROM (${parts.join(' UNION ALL ')}) QUALIFY row_number() OVER (PARTITION BY ci, g ORDER BY n DESC, v) <= ${k}`;
}

function inGroups(col: string, groups?: readonly string[]): string {
  if (!groups || groups.length === 0) return 'true';
  return `${ident(col)}::VARCHAR IN (${groups.map(literal).join(', ')})`;
}

function groupedSelect(table: string, sel: readonly string[], groupBy?: string, groups?: readonly string[]): string {
  if (!groupBy) return `SELECT ${sel.join(', ')} FROM ${ident(table)}`;
  return `SELECT ${ident(groupBy)}::VARCHAR AS g, ${sel.join(', ')} FROM ${ident(table)} WHERE ${inGroups(groupBy, groups)} GROUP BY 1`;
}

function num(v: number): string {
  if (!Number.isFinite(v)) throw new Error(`non-finite histogram edge ${v}`);
  return `${v}::DOUBLE`;
}
