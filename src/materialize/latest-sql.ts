/**
 * SQL of materialization, as pure functions: the window's rows and the latest row
 * per entity, shaped for the online store.
 */
import type { FeatureDef, JoinKey } from '../definitions/types.js';
import { ident, literal } from '../offline/engine.js';

/** A `TIMESTAMP` literal (naive UTC, millisecond precision of a JS Date). */
export function timestampLiteral(d: Date): string {
  return `TIMESTAMP ${literal(d.toISOString().replace('T', ' ').replace('Z', ''))}`;
}

/** Rows of `relationSql` with `start <= event_timestamp < end`. */
export function windowSql(relationSql: string, start: Date, end: Date): string {
  return `SELECT * FROM (${relationSql}) AS __fg_rel
WHERE event_timestamp >= ${timestampLiteral(start)} AND event_timestamp < ${timestampLiteral(end)}`;
}

/** How a feature column leaves DuckDB for the online store: timestamps as RFC 3339 UTC text. */
function featureExpr(f: FeatureDef): string {
  if (f.type === 'timestamp') return `strftime(${ident(f.name)}, '%Y-%m-%dT%H:%M:%S.%fZ') AS ${ident(f.name)}`;
  return ident(f.name);
}

export interface LatestSpec {
  /** Table (or subquery in parentheses) with canonical columns. */
  readonly table: string;
  readonly joinKeys: readonly JoinKey[];
  readonly features: readonly FeatureDef[];
  /**
   * Order the output like the online key text (`["SEA"]`, `[42]`): B-tree stores
   * (SQLite) then insert nearly in key order, about twice as fast as random order.
   */
  readonly orderByKeyText?: boolean;
}

/** A DuckDB expression close to `encodeKey`'s JSON text of the join keys (only used to order rows). */
function keyTextExpr(joinKeys: readonly JoinKey[]): string {
  const parts = joinKeys.map((k) => (k.type === 'string' ? `'"' || ${ident(k.name)} || '"'` : `CAST(${ident(k.name)} AS VARCHAR)`));
  return `'[' || ${parts.join(` || ',' || `)} || ']'`;
}

/**
 * The latest row per entity by (event_timestamp, created_timestamp), ties broken
 * by the feature values so the same input always gives the same output. Rows with
 * a NULL join key are left out. Columns: keys, `__fg_ets` and `__fg_cts`
 * (microseconds since epoch, created 0 when NULL), then the features.
 */
export function latestPerEntitySql(spec: LatestSpec): string {
  const keys = spec.joinKeys.map((k) => ident(k.name));
  const tiebreak = spec.features.map((f) => `${ident(f.name)} DESC NULLS LAST`);
  return `SELECT ${keys.join(', ')}, epoch_us(event_timestamp) AS __fg_ets, coalesce(epoch_us(created_timestamp), 0) AS __fg_cts${spec.features.length ? ', ' : ''}${spec.features.map(featureExpr).join(', ')}
FROM ${spec.table}
WHERE ${keys.map((k) => `${k} IS NOT NULL`).join(' AND ')} AND event_timestamp IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY ${keys.join(', ')} ORDER BY event_timestamp DESC, created_timestamp DESC NULLS LAST${tiebreak.length ? ', ' : ''}${tiebreak.join(', ')}) = 1${
    spec.orderByKeyText ? `\nORDER BY ${keyTextExpr(spec.joinKeys)}` : ''
  }`;
}
