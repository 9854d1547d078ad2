/**
 * What the duplicates warning says beyond the row pass's count, read only when that found duplicates: how many
 * (keys, event_timestamp) keys repeat, how many of those hold conflicting feature values (the same key and time
 * with other values: which one is served is arbitrary, where exact copies are harmless), and the first few keys with
 * their row counts. Above `exact_duplicates_max_rows` the row pass counted 1/16 of the key space (the keys whose
 * hash is 0 mod 16) and scaled up: this reads the same 1/16, so the figures agree.
 *
 * @example
 * const sql = duplicateKeysSql('fg_rows', ['airport'], ['delay'], { sampled: false, limit: 5 });
 */
import { ident } from '../../offline/engine.js';
import { queryRows, type CheckContext } from '../check.js';

/** Example keys the warning carries at most. */
export const DUPLICATE_EXAMPLES = 5;

export interface DuplicateKeys {
  /** Keys (join keys and event time) with more than one row (of the 1/16 read when `sampled`). */
  readonly keys: number;
  /** Of those, the keys whose rows differ in some feature value. */
  readonly conflictingKeys: number;
  /** Conflicting keys first, then by rows (most first), then by time and key. */
  readonly examples: readonly { readonly key: Record<string, unknown>; readonly rows: number; readonly conflicting: boolean }[];
}

/**
 * One query: the repeated keys with their row count and whether their feature values differ (compared by
 * `hash(features…)`, which treats NULLs and NaN as values), then the first `limit` with the totals. On the 3M flights
 * keyed by origin (418,558 repeated keys, 1/16 read) it takes about 0.7 of the row pass's own time.
 */
export function duplicateKeysSql(table: string, keys: readonly string[], features: readonly string[], opts: { sampled: boolean; limit: number }): string {
  const key = [...keys.map(ident), 'event_timestamp'];
  // min <> max of the values' hash: the same answer as count(DISTINCT …) > 1, without a distinct set per key.
  const valuesHash = `hash(${features.map(ident).join(', ')})`;
  const conflicting = features.length ? `min(${valuesHash}) <> max(${valuesHash})` : 'false';
  return `WITH d AS (
      SELECT ${key.join(', ')}, count(*) AS fg_rows, ${conflicting} AS fg_conflicting
      FROM ${ident(table)}${opts.sampled ? ` WHERE hash(${key.join(', ')}) % 16 = 0` : ''}
      GROUP BY ${key.join(', ')} HAVING count(*) > 1)
    SELECT *, count(*) OVER () AS fg_keys, count_if(fg_conflicting) OVER () AS fg_conflicting_keys
    FROM d ORDER BY fg_conflicting DESC, fg_rows DESC, event_timestamp, ${keys.map(ident).join(', ')}
    LIMIT ${Math.max(1, Math.floor(opts.limit))}`;
}

/** The repeated keys of the checked rows (`sampled`: of the 1/16 of the key space the row pass counted). */
export async function duplicateKeys(ctx: CheckContext, keys: readonly string[], sampled: boolean): Promise<DuplicateKeys> {
  const present = new Set(ctx.columns.map((c) => c.name));
  const features = ctx.features.map((f) => f.column).filter((c) => present.has(c) && !keys.includes(c));
  const rows = await queryRows(ctx, duplicateKeysSql(ctx.table, keys, features, { sampled, limit: DUPLICATE_EXAMPLES }));
  return {
    keys: Number(rows[0]?.fg_keys ?? 0),
    conflictingKeys: Number(rows[0]?.fg_conflicting_keys ?? 0),
    examples: rows.map((r) => ({
      key: Object.fromEntries([...keys, 'event_timestamp'].map((k) => [k, r[k]])),
      rows: Number(r.fg_rows),
      conflicting: r.fg_conflicting === true,
    })),
  };
}
