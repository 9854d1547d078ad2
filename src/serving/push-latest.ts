/**
 * Which of a push's rows go online when several share an entity: the one a
 * materialization would write and a training set built now would hold
 * (`latestPerEntitySql`: the greatest event time, then created time, then the
 * greatest hash of the feature values). An online store keeps the first of rows
 * with equal timestamps, which may be another.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { FeatureDef, JoinKey } from '../definitions/types.js';
import { latestPerEntitySql } from '../materialize/latest-sql.js';
import { ident } from '../offline/engine.js';

/** Whether two of the rows have the same online key (key values as the store encodes them). */
export function hasRepeatedKeys(keys: readonly (readonly unknown[])[]): boolean {
  const seen = new Set<string>();
  for (const k of keys) {
    const text = JSON.stringify(k);
    if (seen.has(text)) return true;
    seen.add(text);
  }
  return false;
}

/**
 * The indexes of the rows of push table `table` (loaded in row order by `loadPushTable`, so a row's `rowid` is
 * its index) that `latestPerEntitySql` picks, one per entity. Its output has the rows' values, not their
 * indexes: each is matched back to the first row holding the same keys, timestamps and values (rows that equal
 * it in all of them are the same online row).
 */
export async function latestPushedRows(conn: DuckDBConnection, table: string, joinKeys: readonly JoinKey[], features: readonly FeatureDef[]): Promise<Set<number>> {
  const t = ident(table);
  const same = [
    ...joinKeys.map((k) => `p.${ident(k.name)} = w.${ident(k.name)}`),
    'epoch_us(p.event_timestamp) = w.__fg_ets',
    'coalesce(epoch_us(p.created_timestamp), 0) = w.__fg_cts',
    // The latest rows' timestamp features are RFC 3339 text, as they go online.
    ...features.map((f) => {
      const mine = f.type === 'timestamp' ? `strftime(p.${ident(f.name)}, '%Y-%m-%dT%H:%M:%S.%fZ')` : `p.${ident(f.name)}`;
      return `${mine} IS NOT DISTINCT FROM w.${ident(f.name)}`;
    }),
  ];
  const sql = `WITH w AS (${latestPerEntitySql({ table: t, joinKeys, features })})
SELECT min(p.rowid) FROM ${t} AS p JOIN w ON ${same.join(' AND ')} GROUP BY ${joinKeys.map((k) => `w.${ident(k.name)}`).join(', ')}`;
  const rows = (await conn.runAndReadAll(sql)).getRowsJS();
  return new Set(rows.map((r) => Number(r[0])));
}
