/**
 * The guard stage's one pass over every row. A `GROUP BY` day of the event
 * timestamp (or one group when the rows have no days to partition) computes at
 * once what used to take four passes: the profile aggregates (combined over the
 * days afterwards), the per-day content checksums for tamper detection and the
 * fingerprint (and the tamper check's rows settled by a cutoff, and the hashes
 * of the rows created after it), counts of rows matching named conditions (future timestamps,
 * constraint violations...). Duplicate (keys, event_ts) rows are counted by a
 * query of their own, with the rest of their warning (checks/duplicate-keys.ts):
 * a per-day list of key hashes here cost more than that whole query.
 *
 * @example
 * const pass = await rowPass(conn, 'fg_rows', { columns, byDay: true, checksumColumns: ['airport', 'event_timestamp', 'delay'], counts: { future: 'event_timestamp > now()' } });
 * pass.totals.future; pass.days[0].checksum; pass.aggregate.c0_mean;
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { ident, literal } from '../offline/engine.js';
import type { TableColumn } from './check.js';
import { aggregateSelects, combineAggregates } from './profile-sql.js';
import { queryHashRows, type HashList } from './checks/tamper-band.js';

/** Checksum and row count of one day of the rows. */
export interface DayChecksum {
  /** Day start, epoch ms (UTC). */
  day: number;
  rows: number;
  checksum: string;
  /**
   * With `settledBy`: the rows created by then (or without a created timestamp), and their checksum; with its
   * `unsettledHashesMax`, the content hash of each row created after it, in no order (null when more rows were).
   */
  settled?: { rows: number; checksum: string; unsettledHashes?: HashList | null };
}

export interface RowPassOptions {
  /** Columns to profile (the aggregate part of their profiles). */
  readonly columns: readonly TableColumn[];
  /** Group by the day of `event_timestamp` (the per-day checksums need it). */
  readonly byDay: boolean;
  /** Columns of the content checksum (per day when `byDay`, and the fingerprint of all rows). */
  readonly checksumColumns?: readonly string[];
  /** Name → SQL condition: rows matching each are counted. */
  readonly counts?: Readonly<Record<string, string>>;
  /**
   * With `byDay` and checksum columns: per day also the rows whose `column` (a created timestamp) is at most `at`
   * or NULL, and their checksum, and the newest value of `column` (the tamper check's settled rows, same pass); with
   * `unsettledHashesMax`, the hashes of the other rows too, when a day has at most that many (the tamper check's band).
   */
  readonly settledBy?: { readonly column: string; readonly at: Date; readonly unsettledHashesMax?: number };
}

export interface RowPass {
  /** The profile aggregate row (`n`, `c<i>_…` as `aggregateSql` names them). */
  readonly aggregate: Record<string, unknown>;
  /** Per-day checksums (null when not grouped by day; rows without a timestamp are in no day). */
  readonly days: DayChecksum[] | null;
  /** Rows and content checksum of all rows (the sum of the per-day checksums), with `checksumColumns`. */
  readonly fingerprint: { readonly rows: number; readonly checksum: string } | null;
  readonly checksumColumns: readonly string[];
  /** Rows matching each named condition. */
  readonly totals: Record<string, number>;
  /** With `settledBy`: the cutoff it used and the newest value of its column (epoch ms; null without rows). */
  readonly settled: { readonly at: Date; readonly newestMs: number | null } | null;
}

/** Run the pass (see the module comment). */
export async function rowPass(conn: DuckDBConnection, table: string, opts: RowPassOptions): Promise<RowPass> {
  const names = Object.keys(opts.counts ?? {});
  const sel = ['count(*) AS n', ...aggregateSelects(opts.columns, table), ...names.map((n, i) => `count_if(${opts.counts![n]}) AS x${i}`)];
  const checksumColumns = opts.checksumColumns ?? [];
  if (checksumColumns.length) sel.push(`coalesce(sum(hash(${checksumColumns.map(ident).join(', ')})), 0)::VARCHAR AS s`);
  const settledBy = opts.byDay && checksumColumns.length ? opts.settledBy : undefined;
  if (settledBy) {
    const c = ident(settledBy.column);
    const by = `(${c} IS NULL OR ${c} <= ${literal(settledBy.at.toISOString().replace('T', ' ').replace('Z', ''))}::TIMESTAMP)`;
    sel.push(`count_if(${by}) AS sn`, `coalesce(sum(hash(${checksumColumns.map(ident).join(', ')})) FILTER (WHERE ${by}), 0)::VARCHAR AS ss`, `epoch_ms(max(${c})) AS sm`);
    // Built for every day and dropped above the limit (a bounded top-n aggregate, `min(x, n)`, reserved megabytes
    // per group and took ten times longer); only lists within it leave DuckDB, unsorted (sorted as typed arrays:
    // list_sort in the GROUP BY took seconds on 3M band rows) and read as bigints (`queryHashRows`).
    const max = settledBy.unsettledHashesMax;
    if (max !== undefined) sel.push(`CASE WHEN count_if(NOT ${by}) <= ${Math.floor(max)} THEN list(hash(${checksumColumns.map(ident).join(', ')})) FILTER (WHERE NOT ${by}) END AS sh`);
  }
  // Grouped by a DATE (not an epoch number): DuckDB aggregates a small DATE domain far faster (perfect hashing).
  // Without days, one ungrouped aggregate (a third faster than grouping by a constant; it answers one row even for no rows).
  const inner = opts.byDay
    ? `SELECT event_timestamp::DATE AS g, ${sel.join(', ')} FROM ${ident(table)} GROUP BY 1`
    : `SELECT NULL::DATE AS g, ${sel.join(', ')} FROM ${ident(table)}`;
  const sql = `SELECT epoch_ms(g::TIMESTAMP) AS d, * EXCLUDE (g) FROM (${inner})`;
  const rows = settledBy?.unsettledHashesMax !== undefined ? await queryHashRows(conn, sql) : ((await conn.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[]);
  const parts = rows.length ? rows : [{ n: 0 }];
  const totals = Object.fromEntries(names.map((n, i) => [n, rows.reduce((a, r) => a + Number(r[`x${i}`] ?? 0), 0)]));
  return {
    aggregate: combineAggregates(parts, opts.columns),
    days: opts.byDay
      ? rows.filter((r) => r.d !== null).map((r) => ({
        day: Number(r.d), rows: Number(r.n), checksum: checksumColumns.length ? String(r.s) : '0',
        ...(settledBy ? { settled: { rows: Number(r.sn), checksum: String(r.ss), ...unsettledHashes(settledBy, r) } } : {}),
      }))
      : null,
    fingerprint: checksumColumns.length
      ? { rows: rows.reduce((a, r) => a + Number(r.n), 0), checksum: rows.reduce((a, r) => a + BigInt(String(r.s)), 0n).toString() }
      : null,
    checksumColumns,
    totals,
    settled: settledBy ? { at: settledBy.at, newestMs: rows.reduce<number | null>((m, r) => (r.sm == null ? m : Math.max(m ?? -Infinity, Number(r.sm))), null) } : null,
  };
}

/** A day's hashes of the rows not settled: none listed for a day of no such rows, null above the limit. */
function unsettledHashes(settledBy: NonNullable<RowPassOptions['settledBy']>, r: Record<string, unknown>): { unsettledHashes?: HashList | null } {
  const max = settledBy.unsettledHashesMax;
  if (max === undefined) return {};
  if (Number(r.n) - Number(r.sn) > max) return { unsettledHashes: null };
  return { unsettledHashes: (r.sh as HashList | null) ?? new BigUint64Array(0) };
}

/**
 * Rows of `table` matching each named condition: taken from `counted` (a row
 * pass's `totals`) when it has them all, else counted in a pass of their own
 * (when the stage's row pass failed, each check then reports its own error).
 */
export async function countMatching(
  conn: DuckDBConnection,
  table: string,
  conds: Readonly<Record<string, string>>,
  counted?: Readonly<Record<string, number>>,
): Promise<Record<string, number>> {
  const names = Object.keys(conds);
  if (counted && names.every((n) => n in counted)) return Object.fromEntries(names.map((n) => [n, counted[n]]));
  const [row] = (await conn.runAndReadAll(`SELECT ${names.map((n, i) => `count_if(${conds[n]}) AS x${i}`).join(', ')} FROM ${ident(table)}`)).getRowObjectsJson();
  return Object.fromEntries(names.map((n, i) => [n, Number(row[`x${i}`])]));
}
