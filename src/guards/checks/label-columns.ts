/**
 * How the leakage and class-imbalance checks read a label column: which columns
 * are labels, whether a label holds classes or numbers, and the SQL expression
 * that reads it.
 */
import { ident } from '../../offline/engine.js';
import { queryRows, type CheckContext } from '../check.js';

/** An integer label with more distinct values than this is treated as numeric. */
export const MAX_CLASSES = 50;

export type LabelType = 'classes' | 'numeric';

// Anchored: `FLOAT[3]`, `INTEGER[]` and `INTERVAL` are no numbers.
const FLOAT_TYPES = /^(FLOAT|DOUBLE|REAL|DECIMAL|NUMERIC)(\(\d+(,\s*\d+)?\))?$/;
const INT_TYPES = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|INT)$/;

/** Whether a DuckDB type holds lists (`FLOAT[]`, fixed-size `FLOAT[3]`), structs, maps or unions: no class, no number. */
export function isNestedType(type: string): boolean {
  const t = type.toUpperCase();
  return /\[\d*\]$/.test(t) || /^(STRUCT|MAP|LIST|UNION)\b/.test(t);
}

/** Whether a DuckDB type holds numbers (floats or integers). */
export function isNumberType(type: string | null): boolean {
  return type !== null && (FLOAT_TYPES.test(type) || INT_TYPES.test(type));
}

/** The label columns of the rows under check: the dataset's label, or every feature of a label view. */
export function labelColumns(ctx: CheckContext): string[] {
  if (ctx.dataset?.labelColumn) return [ctx.dataset.labelColumn];
  if (ctx.view?.role === 'label') return ctx.features.map((f) => f.column);
  return [];
}

/** DuckDB type of a column of `ctx.table` (upper case), or null when absent. */
export function columnType(ctx: CheckContext, column: string): string | null {
  return ctx.columns.find((c) => c.name === column)?.type.toUpperCase() ?? null;
}

/**
 * Classes or numbers: strings, booleans and integers with at most `MAX_CLASSES` distinct values are classes,
 * and so are floats whose values are all whole numbers with at most that many distinct ones (a 0/1 label
 * stored as DOUBLE: read as numbers, a perfectly leaking feature would score a |Spearman| of 0.69–0.87, below
 * the warn line, instead of an AUC of 1). Other floats and many-valued integers are numeric.
 */
export async function labelType(ctx: CheckContext, column: string): Promise<LabelType> {
  const type = columnType(ctx, column) ?? 'VARCHAR';
  const float = FLOAT_TYPES.test(type);
  if (!float && !INT_TYPES.test(type)) return 'classes';
  const c = ident(column);
  const x = `CAST(${c} AS DOUBLE)`;
  const [row] = await queryRows(
    ctx,
    `SELECT count(DISTINCT ${c}) AS d${float ? `, coalesce(bool_and(isfinite(${x}) AND ${x} = floor(${x})), false) AS whole` : ''} FROM ${ident(ctx.table)} WHERE ${labelPresent(ctx, column)}`,
  );
  if (float && row.whole !== true) return 'numeric';
  return Number(row.d) > MAX_CLASSES ? 'numeric' : 'classes';
}

/**
 * SQL: the row has a label. A float label's NaN or ±Infinity is a missing label, as a NULL is (a 0/1 label with
 * a few NaN allowed is still a label of classes, not numbers; one Infinity made every category mean, and so
 * every categorical feature's correlation ratio, NaN).
 */
export function labelPresent(ctx: CheckContext, column: string): string {
  const c = ident(column);
  return FLOAT_TYPES.test(columnType(ctx, column) ?? '') ? `${c} IS NOT NULL AND isfinite(CAST(${c} AS DOUBLE))` : `${c} IS NOT NULL`;
}

/**
 * SQL reading a label of classes as its class names: a float label's whole values as integers ('1', not
 * DuckDB's '1.0'), so that they match the reference's classes, which profiles keep as numbers.
 */
export function classExpr(ctx: CheckContext, column: string): string {
  const c = ident(column);
  // Beyond the int64 range (no label of classes, but whole all the same) the value's own text.
  return FLOAT_TYPES.test(columnType(ctx, column) ?? '')
    ? `CASE WHEN abs(CAST(${c} AS DOUBLE)) < 9.2e18 THEN CAST(CAST(${c} AS BIGINT) AS VARCHAR) ELSE CAST(${c} AS VARCHAR) END`
    : `CAST(${c} AS VARCHAR)`;
}

/** Whether a feature column is read as numbers (AUC / Spearman) or as categories (predictive power). */
export function featureReadAs(type: string): 'numeric' | 'categorical' | 'timestamp' | 'unsupported' {
  const t = type.toUpperCase();
  if (isNestedType(t)) return 'unsupported';
  if (t.startsWith('TIMESTAMP') || t === 'DATE') return 'timestamp';
  if (FLOAT_TYPES.test(t) || INT_TYPES.test(t) || t === 'BOOLEAN') return 'numeric';
  return 'categorical';
}

/** SQL reading a column as DOUBLE (numbers, booleans as 0/1, timestamps as epoch microseconds) or VARCHAR. */
export function readExpr(column: string, as: 'numeric' | 'categorical' | 'timestamp'): string {
  const c = ident(column);
  if (as === 'timestamp') return `CAST(epoch_us(CAST(${c} AS TIMESTAMP)) AS DOUBLE)`;
  return as === 'numeric' ? `CAST(${c} AS DOUBLE)` : `CAST(${c} AS VARCHAR)`;
}
