/**
 * The duplicates warning's figures, all from one query over the checked rows: the rows that repeat a (keys,
 * event_timestamp) beyond the first, how many keys repeat, how many of those hold conflicting feature values (the
 * same key and time with other values: which one is served is arbitrary, where exact copies are harmless), and the
 * first few keys with their row counts. With a created time, rows of a key and time with distinct created times are
 * corrections (the newest created is served and trained on), counted apart; duplicates tie on the created time too. Above `exact_duplicates_max_rows` it reads only 1/16 of the key space (the
 * keys whose hash is 0 mod 16; duplicates share their hash) and the caller scales up.
 *
 * @example
 * const sql = duplicateKeysSql('fg_rows', ['airport'], ['delay'], { sampled: false, limit: 5 });
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { ident } from '../../offline/engine.js';
import type { CheckContext } from '../check.js';

/** Example keys the warning carries at most. */
export const DUPLICATE_EXAMPLES = 5;

export interface DuplicateKeys {
  /** Rows beyond the first per key (of the 1/16 read when `sampled`); with a created time, per key and created time. */
  readonly rows: number;
  /** Keys (join keys and event time) with more than one row; with a created time, more than one row of one created time. */
  readonly keys: number;
  /** Of those, the keys whose rows (of one created time) differ in some feature value. */
  readonly conflictingKeys: number;
  /**
   * With a created time: rows that correct an earlier row of their key (another, later created time: the newest is
   * served and trained on), and the keys with such corrections. 0 without a created time.
   */
  readonly corrections: number;
  readonly correctedKeys: number;
  /** Conflicting keys first, then duplicated ones, then by rows (most first), then by time and key. */
  readonly examples: readonly { readonly key: Record<string, unknown>; readonly rows: number; readonly conflicting: boolean; readonly corrections?: number }[];
}

/**
 * One query: the repeated keys with their row count and whether their feature values differ (compared by
 * `hash(features…)`, which treats NULLs and NaN as values), then the first `limit` with the totals. It replaced a
 * duplicate count in the row pass (a per-day list of key hashes) plus a second query for the rest, and costs about
 * what that count alone did (median CPU, on their own: the 3M flights with 1/16 read, 150 ms keyed by origin against
 * 133 ms for the count, 97 against 149 keyed by flight; 0.89M counted exactly, 210 against 322 and 244 against 295).
 */
export function duplicateKeysSql(table: string, keys: readonly string[], features: readonly string[], opts: { sampled: boolean; limit: number; created?: string | null }): string {
  const key = [...keys.map(ident), 'event_timestamp'];
  // min <> max of the values' hash: the same answer as count(DISTINCT …) > 1, without a distinct set per key.
  const valuesHash = `hash(${features.map(ident).join(', ')})`;
  const conflicting = features.length ? `min(${valuesHash}) <> max(${valuesHash})` : 'false';
  if (opts.created) return correctionsSql(table, key, keys, conflicting, { ...opts, created: opts.created });
  return `WITH d AS (
      SELECT ${key.join(', ')}, count(*) AS fg_rows, ${conflicting} AS fg_conflicting
      FROM ${ident(table)}${opts.sampled ? ` WHERE hash(${key.join(', ')}) % 16 = 0` : ''}
      GROUP BY ${key.join(', ')} HAVING count(*) > 1)
    SELECT *, sum(fg_rows - 1) OVER () AS fg_duplicate_rows, count(*) OVER () AS fg_keys, count_if(fg_conflicting) OVER () AS fg_conflicting_keys
    FROM d ORDER BY fg_conflicting DESC, fg_rows DESC, event_timestamp, ${keys.map(ident).join(', ')}
    LIMIT ${Math.max(1, Math.floor(opts.limit))}`;
}

/**
 * `duplicateKeysSql` for rows with a created time: rows of one key and event time with distinct created times are
 * a correction and its original (the newer created row is served and trained on), not duplicates. Grouped by
 * (keys, event time, created time), then by (keys, event time): the duplicates are the rows beyond the first of a
 * created time, conflicting when those differ in a feature value; the corrections the created times beyond the first.
 */
function correctionsSql(table: string, key: readonly string[], keys: readonly string[], conflicting: string, opts: { sampled: boolean; limit: number; created: string }): string {
  const created = ident(opts.created);
  const t = ident(table);
  // Only the keys and times of more than one row are grouped again: a semi join on them (NULL keys match as
  // values) keeps the query about as fast as the one without a created time (median wall time on airport_hourly's
  // 424k rows: 94 against 294 ms without duplicates, 178 against 174 with 47k corrections, on a loaded 2-core
  // machine), where grouping every row by its created time and then by key took about twice as long.
  const same = key.map((k) => `${t}.${k} IS NOT DISTINCT FROM fg_k.${k}`).join(' AND ');
  return `WITH fg_k AS (
      SELECT ${key.join(', ')} FROM ${t}${opts.sampled ? ` WHERE hash(${key.join(', ')}) % 16 = 0` : ''}
      GROUP BY ${key.join(', ')} HAVING count(*) > 1),
    fg_t AS (
      SELECT ${key.map((k) => `${t}.${k}`).join(', ')}, count(*) AS fg_n, ${conflicting} AS fg_c
      FROM ${t} SEMI JOIN fg_k ON ${same}
      GROUP BY ${key.map((k) => `${t}.${k}`).join(', ')}, ${t}.${created}),
    d AS (
      SELECT ${key.join(', ')}, sum(fg_n) AS fg_all, sum(fg_n - 1) AS fg_rows, count(*) - 1 AS fg_corrections, bool_or(fg_n > 1 AND fg_c) AS fg_conflicting
      FROM fg_t GROUP BY ${key.join(', ')})
    SELECT *, sum(fg_rows) OVER () AS fg_duplicate_rows, count_if(fg_rows > 0) OVER () AS fg_keys, count_if(fg_conflicting) OVER () AS fg_conflicting_keys,
      sum(fg_corrections) OVER () AS fg_correction_rows, count_if(fg_corrections > 0) OVER () AS fg_corrected_keys
    FROM d ORDER BY fg_conflicting DESC, fg_rows > 0 DESC, fg_all DESC, event_timestamp, ${keys.map(ident).join(', ')}
    LIMIT ${Math.max(1, Math.floor(opts.limit))}`;
}

/** The repeated keys of `table` (`sampled`: of the 1/16 of the key space whose hash is 0 mod 16). */
export async function countDuplicateKeys(
  conn: DuckDBConnection,
  table: string,
  opts: { keys: readonly string[]; features: readonly string[]; sampled: boolean; limit: number; created?: string | null },
): Promise<DuplicateKeys> {
  const rows = (await conn.runAndReadAll(duplicateKeysSql(table, opts.keys, opts.features, opts))).getRowObjectsJson() as Record<string, unknown>[];
  return {
    rows: Number(rows[0]?.fg_duplicate_rows ?? 0),
    keys: Number(rows[0]?.fg_keys ?? 0),
    conflictingKeys: Number(rows[0]?.fg_conflicting_keys ?? 0),
    corrections: Number(rows[0]?.fg_correction_rows ?? 0),
    correctedKeys: Number(rows[0]?.fg_corrected_keys ?? 0),
    examples: rows.map((r) => ({
      key: Object.fromEntries([...opts.keys, 'event_timestamp'].map((k) => [k, r[k]])),
      // Every row of the key and time (with a created time, corrections included).
      rows: Number(r.fg_all ?? r.fg_rows),
      conflicting: r.fg_conflicting === true,
      ...(opts.created ? { corrections: Number(r.fg_corrections) } : {}),
    })),
  };
}

/** The repeated keys of the checked rows, their features compared (`sampled`: of 1/16 of the key space). */
export async function duplicateKeys(ctx: CheckContext, keys: readonly string[], sampled: boolean): Promise<DuplicateKeys> {
  const present = new Set(ctx.columns.map((c) => c.name));
  const features = ctx.features.map((f) => f.column).filter((c) => present.has(c) && !keys.includes(c));
  return countDuplicateKeys(ctx.conn, ctx.table, { keys, features, sampled, limit: DUPLICATE_EXAMPLES, created: ctx.createdTimestampColumn });
}
