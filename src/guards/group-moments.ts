/**
 * Grouped aggregate rows (slices, days) corrected where the table-wide stddev pivot of `aggregateSelects` lies far
 * from a group's values (`c<i>_far`): a constant group takes its value as mean and stddev 0, the others are
 * recomputed with their own min as pivot, in one query over their rows only. No query when no group is far.
 *
 * @example
 * const rows = await refineGroupMoments(conn, 'fg_rows', columns, aggRows, `"airport"::VARCHAR`, (r) => String(r.__fg_g));
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { literal } from '../offline/engine.js';
import { columnKind, groupMomentsSql, HUGE, isFloatType, KEY_ALIAS, type GroupPivot, type ProfiledColumn } from './profile-sql.js';

type AggRow = Record<string, unknown>;

/** `rows` with the mean and stddev of far groups recomputed (see the module comment); `keyOf` gives a row's `keyExpr` value. */
export async function refineGroupMoments(
  conn: DuckDBConnection, table: string, columns: readonly ProfiledColumn[], rows: readonly AggRow[], keyExpr: string, keyOf: (row: AggRow) => string,
): Promise<AggRow[]> {
  const out = rows.map((r) => ({ ...r }));
  const pivots: GroupPivot[] = [];
  const byKey = new Map<string, AggRow>();
  columns.forEach((col, i) => {
    if (columnKind(col.type) !== 'numeric') return;
    const c = `c${i}_`;
    const float = isFloatType(col.type);
    for (const r of out) {
      if (r[`${c}far`] !== true) continue;
      const [lo, hi] = [r[`${c}min`], r[`${c}max`]];
      // A float column holding values beyond HUGE has its plain mean and no stddev: nothing to correct.
      if (float && Math.max(Math.abs(Number(lo)), Math.abs(Number(hi))) >= HUGE) continue;
      if (String(lo) === String(hi)) {
        if (float) r[`${c}mean`] = Number(lo);
        r[`${c}std`] = 0;
        continue;
      }
      const key = keyOf(r);
      byKey.set(key, r);
      pivots.push({ key, index: i, pivot: float || typeof lo === 'number' ? `${literal(String(lo))}::DOUBLE` : `${literal(String(lo))}::HUGEINT` });
    }
  });
  if (pivots.length === 0) return out;
  const fixed = (await conn.runAndReadAll(groupMomentsSql(table, columns, keyExpr, pivots))).getRowObjectsJson() as AggRow[];
  const fixedByKey = new Map(fixed.map((f) => [String(f[KEY_ALIAS]), f]));
  for (const { key, index } of pivots) {
    const [r, f, c] = [byKey.get(key)!, fixedByKey.get(key), `c${index}_`];
    if (f === undefined) continue;
    r[`${c}std`] = f[`${c}std`];
    if (isFloatType(columns[index].type)) r[`${c}mean`] = Number(r[`${c}min`]) + Number(f[`${c}dmean`]);
  }
  return out;
}
