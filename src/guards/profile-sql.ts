/**
 * SQL of the profiling passes, as pure functions. Three passes over the rows:
 * exact aggregates (counts, nulls, NaN/Inf, min/max, mean, population stddev),
 * a uniform reservoir sample (quantiles, deciles, histograms and outlier rates
 * are computed from it in JS: exact when the table fits the sample), and the top
 * values of categorical columns. Optionally grouped by a slice column.
 */
import { ident, literal } from '../offline/engine.js';
import type { ProfileKind } from './profile-types.js';
import type { TableColumn } from './check.js';

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

export interface GroupSpec {
  readonly groupBy?: string;
  readonly groups?: readonly string[];
}

/** Aggregate pass: one row (or one per group `g`), columns `n`, `c<i>_<stat>`. */
export function aggregateSql(table: string, columns: readonly TableColumn[], opts: GroupSpec = {}): string {
  const sel: string[] = ['count(*) AS n'];
  columns.forEach((col, i) => {
    const x = ident(col.name);
    const kind = columnKind(col.type);
    const c = `c${i}_`;
    sel.push(`count(${x}) AS ${c}nn`);
    if (kind === 'numeric') {
      if (isFloatType(col.type)) {
        const fin = `isfinite(${x})`;
        sel.push(
          `count(*) FILTER (WHERE isnan(${x})) AS ${c}nan`, `count(*) FILTER (WHERE isinf(${x})) AS ${c}inf`,
          `min(${x}) FILTER (WHERE ${fin}) AS ${c}min`, `max(${x}) FILTER (WHERE ${fin}) AS ${c}max`,
          `avg(${x}) FILTER (WHERE ${fin}) AS ${c}mean`, `stddev_pop(${x}) FILTER (WHERE ${fin}) AS ${c}std`,
        );
      } else {
        const d = col.type.startsWith('DECIMAL') || /HUGEINT/.test(col.type) ? `${x}::DOUBLE` : x;
        sel.push(`min(${d}) AS ${c}min`, `max(${d}) AS ${c}max`, `avg(${d}) AS ${c}mean`, `stddev_pop(${d}) AS ${c}std`);
      }
    } else if (kind === 'timestamp') {
      sel.push(`min(${x})::VARCHAR AS ${c}min`, `max(${x})::VARCHAR AS ${c}max`);
    }
  });
  return groupedSelect(table, sel, opts);
}

/**
 * Reservoir-sample pass over the given columns: up to `size` rows (per group).
 * Numbers come back as DOUBLE, categorical values as VARCHAR.
 */
export function sampleSql(table: string, columns: readonly TableColumn[], size: number, seed: number, opts: GroupSpec & { all?: boolean } = {}): string {
  const cols = columns.map((c) => {
    const k = columnKind(c.type);
    return k === 'numeric' ? `${ident(c.name)}::DOUBLE AS ${ident(c.name)}` : `${ident(c.name)}::VARCHAR AS ${ident(c.name)}`;
  });
  if (!opts.groupBy) {
    return `SELECT ${cols.join(', ')} FROM ${ident(table)}${opts.all ? '' : ` USING SAMPLE reservoir(${size} ROWS) REPEATABLE (${seed})`}`;
  }
  const g = ident(opts.groupBy);
  return `SELECT ${g}::VARCHAR AS g, ${cols.join(', ')} FROM ${ident(table)} WHERE ${inGroups(opts.groupBy, opts.groups)}
    QUALIFY row_number() OVER (PARTITION BY ${g} ORDER BY hash(random())) <= ${size}`;
}

/** Top values of categorical columns: rows (ci, g, v, n), the `k` most frequent per column (and group). */
export function topSql(table: string, columns: readonly { index: number; column: TableColumn }[], k: number, opts: GroupSpec = {}): string {
  if (!opts.groupBy) {
    const parts = columns.map(({ index, column }) => {
      const x = ident(column.name);
      return `(SELECT ${index} AS ci, NULL::VARCHAR AS g, ${x}::VARCHAR AS v, count(*) AS n FROM ${ident(table)} WHERE ${x} IS NOT NULL GROUP BY 3 ORDER BY n DESC, v LIMIT ${k})`;
    });
    return parts.join(' UNION ALL ');
  }
  const g = `${ident(opts.groupBy)}::VARCHAR`;
  const parts = columns.map(({ index, column }) => {
    const x = ident(column.name);
    return `SELECT ${index} AS ci, ${g} AS g, ${x}::VARCHAR AS v, count(*) AS n FROM ${ident(table)} WHERE ${x} IS NOT NULL AND ${inGroups(opts.groupBy!, opts.groups)} GROUP BY ALL`;
  });
  return `SELECT ci, g, v, n FROM (${parts.join(' UNION ALL ')}) QUALIFY row_number() OVER (PARTITION BY ci, g ORDER BY n DESC, v) <= ${k}`;
}

function inGroups(col: string, groups?: readonly string[]): string {
  if (!groups || groups.length === 0) return 'true';
  return `${ident(col)}::VARCHAR IN (${groups.map(literal).join(', ')})`;
}

function groupedSelect(table: string, sel: readonly string[], opts: GroupSpec): string {
  if (!opts.groupBy) return `SELECT ${sel.join(', ')} FROM ${ident(table)}`;
  return `SELECT ${ident(opts.groupBy)}::VARCHAR AS g, ${sel.join(', ')} FROM ${ident(table)} WHERE ${inGroups(opts.groupBy, opts.groups)} GROUP BY 1`;
}
