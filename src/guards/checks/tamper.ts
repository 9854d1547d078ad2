/**
 * Tamper detection: every materialization stores an order-independent checksum
 * per day-partition of its window (`sum(hash(row))` and the row count, over the
 * exact time range it read). Each later run recomputes the checksums of the
 * partitions of the previous `recheck_days` that successful materializations
 * recorded, from its own rows when the range is inside its window and from the
 * source otherwise. A changed checksum is a retroactive edit of history.
 * The rows a run read that were not settled yet (created within the landing
 * delay before it read) are recorded by their hashes: see `tamperCheck`.
 */
import { createHash } from 'node:crypto';
import { ident, literal } from '../../offline/engine.js';
import type { CheckResult } from '../../runs/types.js';
import { ensureColumn, ensureTables, writeWhenFree, type StateDb } from '../../state/state-db.js';
import { policyOf, queryRows, result, type CheckContext } from '../check.js';
import { durationMs } from '../config.js';
import type { RowPass } from '../row-pass.js';
import type { FeatureViewDef } from '../../definitions/types.js';
import { sourceShape, viewFeatureShape } from '../../definitions/row-shape.js';
import { storedDuration } from '../../definitions/ttl.js';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { BAND_HASHES_MAX, bandHoldsAll, queryHashRows, packHashes, unpackHashes, type HashList } from './tamper-band.js';

const DDL = `
CREATE TABLE IF NOT EXISTS guard_partitions (
  view TEXT NOT NULL,
  day TEXT NOT NULL,
  range_start TEXT NOT NULL,
  range_end TEXT NOT NULL,
  columns_hash TEXT NOT NULL,
  rows INTEGER NOT NULL,
  checksum TEXT NOT NULL,
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  PRIMARY KEY (view, day, run_id)
);
CREATE INDEX IF NOT EXISTS guard_partitions_view_day ON guard_partitions (view, day);
-- Removing a run cascades here: without it every removed run scanned the whole table (a prune of 5,000 runs: 58 s).
CREATE INDEX IF NOT EXISTS guard_partitions_run ON guard_partitions (run_id);
`;

/**
 * Re-record one checksum range of an earlier run (rolled forward or accepted). By its whole primary key (view, day,
 * run_id): without `day` SQLite searched the primary key by view alone and read every range of the view for each
 * update, so a window of many days (a Feast `materialize` from 1970: 20,000 of them) took minutes of CPU in one
 * transaction, blocking a server's event loop.
 */
export const UPDATE_PARTITION_SQL =
  'UPDATE guard_partitions SET rows = ?, checksum = ?, known_by = ?, read_at = ?, rows_read = ?, checksum_read = ?, band_hashes = ?, column_types = ? WHERE view = ? AND day = ? AND run_id = ? AND range_start = ? AND range_end = ?';

/** Create the tamper checksums' table on this connection if needed. */
export function ensureTamperTables(db: StateDb): void {
  ensureTables(db, 'guard_partitions', DDL);
  // When the rows a partition's checksum covers were read: created timestamps after it are late arrivals.
  ensureColumn(db, 'guard_partitions', 'known_by', 'TEXT');
  // What its run read in all (rows created up to `read_at`), beside the rows settled by `known_by` (see tamperCheck).
  ensureColumn(db, 'guard_partitions', 'read_at', 'TEXT');
  ensureColumn(db, 'guard_partitions', 'rows_read', 'INTEGER');
  ensureColumn(db, 'guard_partitions', 'checksum_read', 'TEXT');
  // The hashes of that band's rows (tamper-band.ts). A column, not a table: it goes wherever its range's row goes
  // (a removed run's cascade, a dropped view, a range recorded again).
  ensureColumn(db, 'guard_partitions', 'band_hashes', 'BLOB');
  // The source's column types its checksum hashed (`{column: DuckDB type}`): a range recorded under other types is
  // compared cast back to them (the same values hash differently as another type); null for older records, whose
  // types come from their run's column profiles (`profiledTypes`).
  ensureColumn(db, 'guard_partitions', 'column_types', 'TEXT');
}

const DAY = 86_400_000;

interface Partition {
  day: string;
  range_start: string;
  range_end: string;
  rows: number;
  checksum: string;
  columns_hash: string;
  /** When the rows its checksum covers were read (rows created later were not there); its run's start for older records. */
  known_by?: string;
  /** The run that recorded it. */
  run_id?: string;
  /** When its run read (`known_by` is that less `landing_delay`), and what it read in all; null for older records. */
  read_at?: string | null;
  rows_read?: number | null;
  checksum_read?: string | null;
  /**
   * Bytes of the hashes of the rows in (known_by, read_at] (`packHashes`, 8 each); null for older records, above
   * `BAND_HASHES_MAX` and for records superseded by a newer one of the range. The hashes themselves are read only for
   * the ranges whose band is compared (`BAND_HASHES_SQL`).
   */
  band_bytes?: number | null;
  /** The source's column types its checksum hashed (JSON, `{column: type}`); null for older records. */
  column_types?: string | null;
}

/**
 * Rows and checksum of a range; `hashes`: of its rows created after `bandAfter` when asked (null above the cap);
 * `uncast`: with a cast to recorded types, the rows whose value of a retyped column did not cast (not comparable).
 */
type Sums = { rows: number; checksum: string; hashes?: HashList | null; uncast?: number };

/** Column -> the type a range recorded it under, for the checksum columns retyped since (`castBack`). */
type CastTo = ReadonlyMap<string, { then: string; now: string }>;

/** DuckDB hashes these types' values alike (the stored microseconds): no cast needed, and a cast would move by the time zone. */
const SAME_HASH = [['TIMESTAMP', 'TIMESTAMP WITH TIME ZONE']];

/**
 * A checksum column's value as the type a range recorded it under: equal values hash equal again, an edit does
 * not. A value that does not cast back exactly (5.5 recorded as BIGINT: 6) hashes as NULL, so it differs; one that
 * does not cast at all counts in `failed` (the range is then not compared).
 */
function castBack(col: string, to: { then: string; now: string } | undefined): { expr: string; failed?: string } {
  const c = `t.${ident(col)}`;
  if (!to || SAME_HASH.some((g) => g.includes(to.then.toUpperCase()) && g.includes(to.now.toUpperCase()))) return { expr: c };
  const cast = `TRY_CAST(${c} AS ${to.then})`;
  return { expr: `CASE WHEN TRY_CAST(${cast} AS ${to.now}) IS NOT DISTINCT FROM ${c} THEN ${cast} END`, failed: `(${c} IS NOT NULL AND ${cast} IS NULL)` };
}

/**
 * How long after its created time a row may land and count as a late arrival, not an edit: `provenance.landing_delay`,
 * or the view's `allowed_lateness` when longer. A view re-reads its last `allowed_lateness` of event time on every
 * incremental run to pick up rows that land late; their created times are as old as the producer made them (an hour
 * computed at :05 that lands at :40), so with only `landing_delay` (15 minutes) every such row was an edit of history,
 * the run blocked, and the view stuck (its last end never moved).
 */
export function landingDelayMs(ctx: Pick<CheckContext, 'quality' | 'view'>): number {
  return Math.max(durationMs(ctx.quality.provenance.landing_delay) ?? 0, ctx.view ? storedDuration(ctx.view.allowed_lateness) : 0);
}

/** Columns a checksum covers: keys, timestamps, features (declaration order). */
export function checksumColumns(ctx: Pick<CheckContext, 'columns' | 'joinKeys' | 'features'>): string[] {
  const names = new Set(ctx.columns.map((c) => c.name));
  return [...ctx.joinKeys, 'event_timestamp', 'created_timestamp', ...ctx.features.map((f) => f.column)].filter((c, i, a) => names.has(c) && a.indexOf(c) === i);
}

function sqlTs(d: Date): string {
  return `TIMESTAMP ${literal(d.toISOString().replace('T', ' ').replace('Z', ''))}`;
}

function iso(d: Date): string {
  return d.toISOString();
}

/**
 * Checksums of `[start, end)` ranges over a relation, by index. With `knownBy`, only the rows created by then
 * (or without a created timestamp): what a run at that time could have read. With `bandAfter`, in the same query,
 * the hashes of those rows created after it, in no order (null above `BAND_HASHES_MAX`).
 */
async function rangeChecksums(ctx: CheckContext, relation: string, cols: string[], ranges: { start: Date; end: Date; knownBy?: Date; bandAfter?: Date }[], castTo?: CastTo): Promise<Map<number, Sums>> {
  if (ranges.length === 0) return new Map();
  const values = ranges.map((r, i) => `(${i}, ${sqlTs(r.start)}, ${sqlTs(r.end)}, ${r.knownBy ? sqlTs(r.knownBy) : 'NULL::TIMESTAMP'}, ${r.bandAfter ? sqlTs(r.bandAfter) : 'NULL::TIMESTAMP'})`).join(', ');
  const exprs = cols.map((c) => castBack(c, castTo?.get(c)));
  const hashed = `hash(${exprs.map((e) => e.expr).join(', ')})`;
  const failed = exprs.flatMap((e) => (e.failed ? [e.failed] : []));
  const uncast = failed.length ? `, count_if(${failed.join(' OR ')}) AS f` : '';
  // Rows of the band: created after `bandAfter` (none when it is NULL).
  const band = ranges.some((r) => r.bandAfter)
    ? `, count_if(t.created_timestamp > r.a) AS bn, CASE WHEN count_if(t.created_timestamp > r.a) <= ${BAND_HASHES_MAX} THEN list(${hashed}) FILTER (WHERE t.created_timestamp > r.a) END AS bh`
    : '';
  // Band lists leave DuckDB unsorted and as bigints, sorted as typed arrays (`queryHashRows`).
  const sql =
    // A range without rows joins one row of NULLs: it must not be hashed (an empty day's checksum is 0).
    `SELECT r.i AS i, count(t.event_timestamp) AS n, coalesce(sum(${hashed}) FILTER (WHERE t.event_timestamp IS NOT NULL), 0)::VARCHAR AS s${uncast}${band}
     FROM (VALUES ${values}) AS r(i, s, e, k, a) LEFT JOIN ${relation} AS t ON t.event_timestamp >= r.s AND t.event_timestamp < r.e
       AND (r.k IS NULL OR t.created_timestamp IS NULL OR t.created_timestamp <= r.k) GROUP BY r.i`;
  const rows = band ? await queryHashRows(ctx.conn, sql) : await queryRows(ctx, sql);
  const hashes = (r: Record<string, unknown>) => (Number(r.bn) > BAND_HASHES_MAX ? null : (r.bh as HashList | null) ?? new BigUint64Array(0));
  return new Map(rows.map((r) => [Number(r.i), { rows: Number(r.n), checksum: String(r.s), ...(uncast ? { uncast: Number(r.f) } : {}), ...(ranges[Number(r.i)].bandAfter ? { hashes: hashes(r) } : {}) }]));
}

/**
 * What shapes a view's rows besides its columns' names: where its source reads, which fields are its timestamps,
 * the field mapping, the features' types. Checksums recorded under another shape are not compared (the
 * definition changed, not the history: a view pointed at a new timestamp field would otherwise be blocked as
 * tampered for `recheck_days`).
 */
function shapeOf(ctx: CheckContext, view: FeatureViewDef): string {
  const src = ctx.definitions.sources.get(view.source);
  return JSON.stringify([src ? sourceShape(src) : null, viewFeatureShape(view)]);
}

/** Record the column types of a range recorded without them (by an older version), by its whole primary key. */
export const TYPE_LEGACY_PARTITION_SQL =
  'UPDATE guard_partitions SET column_types = ? WHERE view = ? AND day = ? AND run_id = ? AND range_start = ? AND range_end = ? AND column_types IS NULL';

/** The band hashes of one record, by its primary key (view, day, run_id): read per compared range, not with the others. */
export const BAND_HASHES_SQL = 'SELECT band_hashes FROM guard_partitions WHERE view = ? AND day = ? AND run_id = ?';

/**
 * Drop the band hashes of the older records of a range a run records again: only the newest record of a range is
 * compared with (`LATEST_PARTITIONS_SQL`), and every run records its window's days again, so kept copies grew the
 * state database by 8 bytes per band row per run.
 */
export const CLEAR_OLDER_BAND_HASHES_SQL =
  'UPDATE guard_partitions SET band_hashes = NULL WHERE view = ? AND day = ? AND range_start = ? AND range_end = ? AND run_id <> ? AND band_hashes IS NOT NULL';

/**
 * The record to compare per checksum range: one group per range, whose bare columns SQLite takes from the row of
 * max(): the preferred hash, then the newest run (padded, so that started_at then rowid compare as the pair).
 */

export const LATEST_PARTITIONS_SQL = `
  SELECT day, range_start, range_end, rows, checksum, columns_hash, known_by, run_id, read_at, rows_read, checksum_read, band_bytes, column_types FROM (
    SELECT p.day, p.range_start, p.range_end, p.rows, p.checksum, p.columns_hash, coalesce(p.known_by, r.started_at) AS known_by, p.run_id,
           p.read_at, p.rows_read, p.checksum_read, length(p.band_hashes) AS band_bytes, p.column_types, r.started_at, r.rowid AS seq,
           max(printf('%d%-40s%020d', p.columns_hash = @colsHash, r.started_at, r.rowid)) AS pick
    FROM guard_partitions p JOIN runs r ON r.id = p.run_id
    -- A range lies in its day: it ends after @from only if its day is @from's or later, and starts before @end only
    -- if its day is @end's or earlier.
    WHERE p.view = @view AND p.day >= substr(@from, 1, 10) AND p.day <= substr(@end, 1, 10)
      AND p.range_end > @from AND p.range_start < @end AND p.columns_hash IN (@colsHash, @legacyHash)
      AND r.kind = 'materialize' AND r.status IN ('success', 'warned') AND p.run_id <> @exceptRun
      -- A range that ended after its run started (a window ending in the future, which earlier versions
      -- accepted) had not seen all its rows yet: no reference for the rows that arrived since. A window
      -- always ends before its run starts now.
      AND p.range_end <= r.started_at
    GROUP BY p.day, p.range_start, p.range_end
  ) ORDER BY started_at DESC, seq DESC, range_start, range_end`;

/**
 * The record to compare per checksum range overlapping `[from, end)`, of the successful materializations other than
 * `exceptRun`: the newest recorded under this row shape (`colsHash`); else the newest recorded before checksums
 * were keyed by the row shape (`legacyHash`, column names only), so that upgrading does not leave `recheck_days`
 * unchecked. Ranges come by their record, newest first, then by range.
 *
 * Chosen in SQL: every run records each day of its window again, so a window materialized k times has k records a
 * day, and handing them all to JavaScript (a rematerialization from 1970: 20,000 days) blocked a server's event
 * loop for seconds, more with every run. The `day` bounds let the (view, day) index narrow the read.
 */
export function latestPartitions(db: StateDb, q: { view: string; exceptRun: string; from: string; end: string; colsHash: string; legacyHash: string }): Partition[] {
  return db.prepare(LATEST_PARTITIONS_SQL).all(q) as Partition[];
}

/**
 * The last `@days` days before `start` that successful materializations other than `exceptRun` recorded comparable
 * ranges of (under `colsHash` or `legacyHash`), newest first. Walks the (view, day) index backwards from `start`'s day.
 */
export const LAST_RECORDED_DAYS_SQL = `
  SELECT p.day FROM guard_partitions p JOIN runs r ON r.id = p.run_id
  WHERE p.view = @view AND p.day <= substr(@start, 1, 10) AND p.range_start < @start AND p.columns_hash IN (@colsHash, @legacyHash)
    AND r.kind = 'materialize' AND r.status IN ('success', 'warned') AND p.run_id <> @exceptRun AND p.range_end <= r.started_at
  GROUP BY p.day ORDER BY p.day DESC LIMIT @days`;

/**
 * Where the re-check begins: `recheck_days` before the window, or earlier, at the first of the last `recheck_days`
 * days recorded before it: a window starting after a pause (the schedule stopped, history recorded up to weeks
 * before) re-checks the last `recheck_days` of that history, not nothing.
 */
function recheckFrom(db: StateDb, q: { view: string; exceptRun: string; start: Date; colsHash: string; legacyHash: string }, recheckDays: number): Date {
  const calendar = q.start.getTime() - recheckDays * DAY;
  const days = db.prepare(LAST_RECORDED_DAYS_SQL).all({ ...q, start: iso(q.start), days: Math.max(1, Math.ceil(recheckDays)) }) as { day: string }[];
  const first = days.length ? Date.parse(`${days[days.length - 1].day}T00:00:00Z`) : calendar;
  return new Date(Math.min(calendar, first));
}

/**
 * The types each run read the checksum columns as, by its column profiles (`{column: type}` JSON per run id), for
 * the ranges recorded without types (by an older version): every version stored the type of each column it
 * profiled, and it profiled the rows it hashed. A run without profiles (pruned) has no entry.
 */
export const PROFILED_TYPES_SQL = `
  SELECT run_id, "column", json_extract(profile, '$.type') AS type FROM profiles
  WHERE run_id IN (SELECT value FROM json_each(@runs)) AND "column" IN (SELECT value FROM json_each(@cols)) AND slice = ''`;

function profiledTypes(db: StateDb, ranges: readonly Partition[], cols: readonly string[]): Map<string, string> {
  const runs = [...new Set(ranges.filter((p) => !p.column_types && p.run_id).map((p) => p.run_id!))];
  const byRun = new Map<string, Record<string, string>>();
  if (runs.length === 0) return new Map();
  const rows = db.prepare(PROFILED_TYPES_SQL).all({ runs: JSON.stringify(runs), cols: JSON.stringify(cols) }) as { run_id: string; column: string; type: unknown }[];
  for (const r of rows) {
    if (typeof r.type === 'string') byRun.set(r.run_id, { ...byRun.get(r.run_id), [r.column]: r.type });
  }
  return new Map([...byRun].map(([run, types]) => [run, JSON.stringify(types)]));
}

/**
 * The checksum columns whose type differs from the one a range was recorded under: `departures BIGINT -> DOUBLE`
 * each, and the recorded types to cast them back to (`castBack`).
 */
function retypedColumns(recorded: string | null | undefined, cols: readonly string[], typeOf: ReadonlyMap<string, string>): { labels: string[]; castTo: CastTo } {
  const none = { labels: [], castTo: new Map() };
  if (!recorded) return none;
  let then: Record<string, unknown>;
  try {
    then = JSON.parse(recorded) as Record<string, unknown>;
  } catch {
    return none;
  }
  const retyped = cols.filter((c) => typeof then[c] === 'string' && then[c] !== typeOf.get(c));
  return {
    labels: retyped.map((c) => `${c} ${String(then[c])} -> ${typeOf.get(c) ?? '?'}`),
    castTo: new Map(retyped.filter((c) => typeOf.has(c)).map((c) => [c, { then: String(then[c]), now: typeOf.get(c)! }])),
  };
}

/** The tamper check of a materialization (and partition bookkeeping for later runs). */
export async function tamperCheck(ctx: CheckContext, pass: Pick<RowPass, 'checksumColumns' | 'days' | 'settled'> | undefined): Promise<CheckResult[]> {
  const view = ctx.view;
  if (!view || !ctx.window || ctx.kind === 'push' || ctx.dataset || ctx.eventTimestampColumn !== 'event_timestamp' || !pass?.days) {
    return [result(ctx, { check: 'provenance', method: 'tampering', sub: 'tampering', status: 'skipped', message: 'tamper detection needs a view window' })];
  }
  const db = ctx.project.state;
  ensureTamperTables(db);
  const cols = [...pass.checksumColumns];
  const days = pass.days;
  const shortHash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);
  const colsHash = shortHash(`${cols.join('\u0000')}\u0000\u0000${shapeOf(ctx, view)}`);
  const { start, end } = ctx.window;
  const legacyHash = shortHash(cols.join('\u0000'));
  const from = recheckFrom(db, { view: view.name, exceptRun: ctx.run.id, start, colsHash, legacyHash }, ctx.quality.provenance.recheck_days);
  // The source's types of the checksum columns, recorded with each range: the same values hash differently as another type.
  const typeOf = new Map(ctx.columns.map((c) => [c.name, c.type]));
  const columnTypes = JSON.stringify(Object.fromEntries(cols.map((c) => [c, typeOf.get(c) ?? null])));

  // This window's partitions: [max(day, start), min(day + 1d, end)) for every day the window touches.
  const byDay = new Map(days.map((d) => [d.day, d]));
  const mine: Partition[] = [];
  for (let d = Math.floor(start.getTime() / DAY) * DAY; d < end.getTime(); d += DAY) {
    const r = byDay.get(d);
    mine.push({
      day: iso(new Date(d)).slice(0, 10), range_start: iso(new Date(Math.max(d, start.getTime()))), range_end: iso(new Date(Math.min(d + DAY, end.getTime()))),
      rows: r?.rows ?? 0, checksum: r?.checksum ?? '0', columns_hash: colsHash,
    });
  }
  const mineByRange = new Map(mine.map((p) => [`${p.range_start}|${p.range_end}`, p]));

  // Latest recorded checksum per partition range of successful materializations.
  const toCheck = latestPartitions(db, { view: view.name, exceptRun: ctx.run.id, from: iso(from), end: iso(end), colsHash, legacyHash });
  // Ranges recorded under other source column types (a retype, same values or not): compared with the retyped
  // columns cast back to the recorded types (`castBack`: BIGINT -> INTEGER or DOUBLE with equal values is unchanged,
  // an edit in any column is not); not compared only when a value does not cast back. Recorded again under this
  // run's types below (as rolled ranges are), so that the next run compares without a cast.
  // A range recorded without types (an older version) takes them from its run's column profiles, so that a retype
  // before the first run of this version is cast back as well; without them (pruned) it is compared as it is.
  const typesByRun = profiledTypes(db, toCheck, cols);
  const recordedTypes = (p: Partition) => p.column_types ?? (p.run_id ? typesByRun.get(p.run_id) : undefined);
  const untyped = new Set(toCheck.filter((p) => !recordedTypes(p)).map((p) => `${p.range_start}|${p.range_end}`));
  const retypedAll = new Map(toCheck.map((p) => [p, retypedColumns(recordedTypes(p), cols, typeOf)] as const).filter(([, r]) => r.labels.length > 0));

  type Change = { day: string; range: [string, string]; before: { rows: number; checksum: string }; now: { rows: number; checksum: string } };
  const changed: Change[] = [];
  // Looked up per re-checked range: a set, not a search of `changed` (20,000 ranges of an edited history from 1970).
  const changedRanges = new Set<string>();
  const addChanged = (c: Change) => {
    changed.push(c);
    changedRanges.add(`${c.range[0]}|${c.range[1]}`);
  };
  const note = (p: Partition, now: Sums | undefined) => {
    if (now && now.checksum !== p.checksum) addChanged({ day: p.day, range: [p.range_start, p.range_end], before: { rows: p.rows, checksum: p.checksum }, now: { rows: now.rows, checksum: now.checksum } });
  };
  const key = (p: Pick<Partition, 'range_start' | 'range_end'>) => `${p.range_start}|${p.range_end}`;
  /**
   * Checksums of each entry's range as of its `knownBy` (all rows when undefined), from this window's rows when
   * the range is inside it and from the source otherwise (one scan for all entries), each handed to `each`.
   * Returns how many could not be computed (outside the window, with no source relation).
   */
  const compareEntries = async <E extends { p: Partition; knownBy: Date | undefined; bandAfter?: Date; cast?: CastTo }>(entries: E[], each: (e: E, now: Sums | undefined) => void): Promise<number> => {
    // Entries cast back to recorded types go in a query per set of types; one that fails leaves them not compared.
    const groups = new Map<string, E[]>();
    for (const e of entries) {
      const k = e.cast ? JSON.stringify([...e.cast]) : '';
      groups.set(k, [...(groups.get(k) ?? []), e]);
    }
    let unchecked = 0;
    for (const [k, group] of groups) {
      if (!k) unchecked += await compareGroup(group, each);
      else await compareGroup(group, each, group[0].cast).catch(() => undefined);
    }
    return unchecked;
  };
  const compareGroup = async <E extends { p: Partition; knownBy: Date | undefined; bandAfter?: Date }>(entries: E[], each: (e: E, now: Sums | undefined) => void, castTo?: CastTo): Promise<number> => {
    const inside = (e: E) => new Date(e.p.range_start) >= start && new Date(e.p.range_end) <= end;
    const inWindow = entries.filter(inside);
    const outside = entries.filter((e) => !inside(e));
    const asRanges = (l: E[]) => l.map((e) => ({ start: new Date(e.p.range_start), end: new Date(e.p.range_end), knownBy: e.knownBy, bandAfter: e.bandAfter }));
    const cmp = (l: E[], now: Map<number, Sums>) => l.forEach((e, i) => each(e, now.get(i)));
    if (inWindow.length) cmp(inWindow, await rangeChecksums(ctx, ident(ctx.table), cols, asRanges(inWindow), castTo));
    if (outside.length === 0) return 0;
    if (!ctx.sourceRelation) return new Set(outside.map((e) => e.p)).size;
    // Read only the span of the re-checked ranges from the source (filter pushdown into the scan).
    const lo = new Date(Math.min(...outside.map((e) => Date.parse(e.p.range_start))));
    const hi = new Date(Math.max(...outside.map((e) => Date.parse(e.p.range_end))));
    const rel = `(SELECT * FROM (${ctx.sourceRelation}) WHERE event_timestamp >= ${sqlTs(lo)} AND event_timestamp < ${sqlTs(hi)})`;
    cmp(outside, await rangeChecksums(ctx, rel, cols, asRanges(outside), castTo));
    return 0;
  };
  // With created timestamps a row that arrived after a run read its day (created later: a late arrival, normal
  // ingest lag) is no edit of what that run read: each range is compared as of when its run read it. Without them
  // every row counts, and a range equal to one of this window's partitions is compared with the GROUP BY result.
  const src = ctx.definitions.sources.get(view.source);
  // The row pass counted the rows settled by its time less the delay, per day, and the newest created timestamp.
  const settledInPass = src?.created_timestamp_field === undefined ? null : pass?.settled ?? null;
  const landingMs = landingDelayMs(ctx);
  const newestCreated = src?.created_timestamp_field === undefined ? null
    : settledInPass ? (settledInPass.newestMs ?? 0)
      : Number((await queryRows(ctx, `SELECT coalesce(epoch_ms(max(created_timestamp)), 0) AS m FROM ${ident(ctx.table)}`))[0]?.m ?? 0);
  // When this run read: the row pass's time (else now), or the newest created timestamp among its rows (a
  // producer's clock ahead; read in milliseconds: one more covers its microseconds).
  const passedAt = settledInPass ? settledInPass.at.getTime() + landingMs : Date.now();
  const readAtMs = Math.max(passedAt, newestCreated === null ? 0 : newestCreated + 1);
  // A row may still land up to `landing_delay` after its created timestamp (a file written a little after its rows
  // were computed): checksums cover the rows created up to `cutoff`, and each run records the unchanged ranges it
  // re-checks again as of its own cutoff, so rows that landed late within the delay join what later runs compare
  // (an edit is a change of rows created before a range's cutoff; without created timestamps, of any row).
  const cutoff = newestCreated === null ? undefined : new Date(readAtMs - landingMs);
  const knownBy = (cutoff ?? new Date(readAtMs)).toISOString();
  const asOf = (p: Partition): Date | undefined => (newestCreated !== null && p.known_by ? new Date(p.known_by) : undefined);
  // This window's partitions as recorded: as of the cutoff when rows of the window were created after it, with the
  // hashes of those rows (the band; none when every row is settled, null without created timestamps).
  const recorded = new Map(mine.map((p) => [key(p), { rows: p.rows, checksum: p.checksum, hashes: newestCreated === null ? null : new BigUint64Array(0) } as Sums]));
  if (cutoff !== undefined && newestCreated! > cutoff.getTime()) {
    const none: Sums = { rows: 0, checksum: '0', hashes: new BigUint64Array(0) };
    if (settledInPass && settledInPass.at.getTime() === cutoff.getTime()) {
      // Counted (and the band hashed) by the row pass as a rule: no second pass over the window.
      const settledByDay = new Map(days.map((d) => [d.day, d.settled]));
      for (const p of mine) {
        const s = settledByDay.get(Date.parse(`${p.day}T00:00:00Z`));
        recorded.set(key(p), s ? { rows: s.rows, checksum: s.checksum, hashes: s.unsettledHashes ?? null } : none);
      }
    } else {
      // A producer's clock ahead moved the cutoff past the pass's: counted again here, as of the cutoff, and the
      // band hashed among all the rows (one query, each range twice).
      const ranges = mine.map((p) => ({ start: new Date(p.range_start), end: new Date(p.range_end) }));
      const sums = await rangeChecksums(ctx, ident(ctx.table), cols, [...ranges.map((r) => ({ ...r, knownBy: cutoff })), ...ranges.map((r) => ({ ...r, bandAfter: cutoff }))]);
      mine.forEach((p, i) => {
        const band = sums.get(mine.length + i);
        recorded.set(key(p), { ...(sums.get(i) ?? none), hashes: band ? band.hashes ?? null : new BigUint64Array(0) });
      });
    }
  }
  // Rows its run read in the band (known_by, read_at] — created within `landing_delay` before it read, not settled
  // yet — are checked too: late landings can only add rows there, so each row hash recorded of the band must be
  // there still (tamper-band.ts). A band recorded without hashes (above `BAND_HASHES_MAX` rows then or now, or by
  // an older version) is checked by its count and sum: fewer rows, or as many with another checksum, is an edit.
  // Unchanged ranges recorded before this run's cutoff are then recorded again as of it (`rolled`): settled as of
  // the cutoff, read as of now, with the hashes of the band between.
  const rolls = (p: Partition) => cutoff !== undefined && p.known_by !== undefined && Date.parse(p.known_by) < cutoff.getTime();
  const readAsOf = new Date(readAtMs);
  type Role = 'check' | 'band' | 'settle' | 'read';
  const found = new Map<string, Partial<Record<Role, Sums>>>();
  const put = (p: Partition, role: Role, now: Sums | undefined) => {
    if (!now) return;
    const k = key(p);
    found.set(k, { ...found.get(k), [role]: now });
  };
  const entries: { p: Partition; knownBy: Date | undefined; role: Role; bandAfter?: Date; cast?: CastTo }[] = [];
  const bandOf = (p: Partition) => (newestCreated !== null && p.read_at && p.rows_read != null && p.checksum_read != null ? new Date(p.read_at) : undefined);
  // Whether the band of a range was recorded with hashes (it had rows and they were hashed); read when compared.
  const hashedBand = (p: Partition) => Boolean(bandOf(p) && p.band_bytes && p.known_by);
  const bandHashesOf = db.prepare(BAND_HASHES_SQL);
  for (const p of toCheck) {
    const k = asOf(p);
    // As of a time no row of this window was created after, a range of this window is the window's own rows.
    const mineAsOf = (t: Date | undefined) => (t === undefined || newestCreated! <= t.getTime() ? mineByRange.get(key(p)) : undefined);
    const asOfEntry = (t: Date | undefined, role: Role) => {
      const mineNow = mineAsOf(t);
      if (mineNow) put(p, role, mineNow);
      else entries.push({ p, knownBy: t, role });
    };
    const isRetyped = retypedAll.has(p);
    // Compared from the source or this window's rows with the retyped columns cast back (not this window's sums).
    if (isRetyped) entries.push({ p, knownBy: k, role: 'check', cast: retypedAll.get(p)!.castTo });
    else {
      asOfEntry(k, 'check');
      const band = bandOf(p);
      // With hashes recorded, the band's rows now are hashed (from the source or this window's rows, in the query
      // that counts them): this window's own sums hold no hashes of that band.
      if (band && hashedBand(p)) entries.push({ p, knownBy: band, role: 'band', bandAfter: new Date(p.known_by!) });
      else if (band) asOfEntry(band, 'band');
    }
    if (rolls(p) || isRetyped) {
      const settled = mineByRange.has(key(p)) ? recorded.get(key(p)) : undefined;
      if (settled) put(p, 'settle', settled);
      else entries.push({ p, knownBy: cutoff, role: 'settle' });
      // Read as of now, with the band this run records: its rows created after the cutoff (for a range of this
      // window, the hashes recorded for it above).
      const mineNow = mineAsOf(readAsOf);
      if (mineNow) put(p, 'read', { rows: mineNow.rows, checksum: mineNow.checksum, hashes: recorded.get(key(p))?.hashes ?? null });
      else entries.push({ p, knownBy: readAsOf, role: 'read', bandAfter: cutoff });
    }
  }
  // A range with a value that did not cast back to its recorded type gets no 'check': not compared.
  const unchecked = await compareEntries(entries, (e, now) => put(e.p, e.role, e.cast && now?.uncast ? undefined : now));
  const retyped = new Map([...retypedAll].filter(([p]) => !found.get(key(p))?.check).map(([p, r]) => [p, r.labels] as const));
  const isChanged = (p: Partition) => changedRanges.has(key(p));
  for (const p of toCheck) {
    const got = found.get(key(p));
    note(p, got?.check);
    const band = bandOf(p);
    if (!band || !got?.check || !got.band || isChanged(p)) continue;
    const before = { rows: p.rows_read!, checksum: p.checksum_read! };
    const now = { rows: got.band.rows, checksum: got.band.checksum };
    if (hashedBand(p) && got.band.hashes) {
      // One range's blob at a time, read and unpacked only here; the loop lets a server's requests in between.
      const blob = (bandHashesOf.get(view.name, p.day, p.run_id) as { band_hashes: Uint8Array | null } | undefined)?.band_hashes;
      if (blob && !bandHoldsAll(got.band.hashes, unpackHashes(blob))) addChanged({ day: p.day, range: [p.range_start, p.range_end], before, now });
      await yieldToLoop();
      if (blob) continue;
    }
    const thenRows = p.rows_read! - p.rows;
    const nowRows = got.band.rows - got.check.rows;
    const thenSum = BigInt(p.checksum_read!) - BigInt(p.checksum);
    const nowSum = BigInt(got.band.checksum) - BigInt(got.check.checksum);
    if (nowRows < thenRows || (nowRows === thenRows && nowSum !== thenSum)) {
      addChanged({ day: p.day, range: [p.range_start, p.range_end], before, now });
    }
  }

  // A recorded day reached only because the schedule paused (before the usual `recheck_days`) whose rows are all
  // gone now is no edit: a source with retention no longer keeps it (the re-check never reached there before).
  // Not compared, left as recorded; a day with rows left that changed is still a change.
  const calendarFrom = start.getTime() - ctx.quality.provenance.recheck_days * DAY;
  const rangesOfDay = new Map<string, Partition[]>();
  for (const p of toCheck) rangesOfDay.set(p.day, [...(rangesOfDay.get(p.day) ?? []), p]);
  const goneDays = [...new Set(changed.map((c) => c.day))].filter((d) => rangesOfDay.get(d)!.every((p) => Date.parse(p.range_end) <= calendarFrom && found.get(key(p))?.check?.rows === 0)).sort();
  const gone = new Set(goneDays);
  for (let i = changed.length - 1; i >= 0; i--) {
    if (!gone.has(changed[i].day)) continue;
    changedRanges.delete(`${changed[i].range[0]}|${changed[i].range[1]}`);
    changed.splice(i, 1);
  }

  // Under a policy that lets the run on (`warn`), a changed range is accepted as it is now once reported: its record
  // is updated in place (one edit, one report); under `block` it stays until a run is let on.
  const accept = changed.length > 0 && policyOf(ctx, 'provenance', 'tampering') !== 'block';
  const accepted = accept ? toCheck.filter(isChanged) : [];
  await compareEntries(
    accepted.flatMap((p) => [{ p, knownBy: cutoff, role: 'settle' as Role }, { p, knownBy: readAsOf, role: 'read' as Role, bandAfter: cutoff }]),
    (e, now) => put(e.p, e.role, now),
  );
  const insert = db.prepare('INSERT OR REPLACE INTO guard_partitions (view, day, range_start, range_end, columns_hash, rows, checksum, run_id, known_by, read_at, rows_read, checksum_read, band_hashes, column_types) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const packed = (s: Sums) => (s.hashes ? packHashes(s.hashes) : null);
  const update = db.prepare(UPDATE_PARTITION_SQL);
  const clearOlder = db.prepare(CLEAR_OLDER_BAND_HASHES_SQL);
  const typeLegacy = db.prepare(TYPE_LEGACY_PARTITION_SQL);
  const readAt = readAsOf.toISOString();
  // Waiting for another process's write lock on a timer (`writeWhenFree`): a server goes on answering meanwhile.
  await writeWhenFree(db, () => db.transaction(() => {
    // Empty days too: rows appearing there later are edits of history.
    for (const p of mine) {
      const sums = recorded.get(key(p))!;
      insert.run(view.name, p.day, p.range_start, p.range_end, colsHash, sums.rows, sums.checksum, ctx.run.id, knownBy, readAt, p.rows, p.checksum, packed(sums), columnTypes);
    }
    for (const p of toCheck) {
      if (gone.has(p.day)) continue;
      // A range recorded before types were (an older version) and found unchanged under this run's types: recorded
      // under them, so that a retype later is told from an edit.
      if (p.run_id && !p.column_types && found.get(key(p))?.check && !isChanged(p) && !rolls(p)) typeLegacy.run(columnTypes, view.name, p.day, p.run_id, p.range_start, p.range_end);
      if (!p.run_id || (isChanged(p) ? !accept : !(rolls(p) || retypedAll.has(p)))) continue;
      // Rolled and accepted ranges were counted both ways above (nothing when they could not be re-read).
      const { settle, read } = found.get(key(p)) ?? {};
      // A range of this window keeps its hashes in this run's record only (cleared below).
      if (settle && read) update.run(settle.rows, settle.checksum, knownBy, readAt, read.rows, read.checksum, mineByRange.has(key(p)) ? null : packed(read), columnTypes, view.name, p.day, p.run_id, p.range_start, p.range_end);
    }
    // This run's record of each range is now the newest: older records of the range keep no hashes.
    for (const p of mine) clearOlder.run(view.name, p.day, p.range_start, p.range_end, ctx.run.id);
  }).immediate());

  // Counted in days (a day may have been recorded as several ranges): value, metrics and message count the same unit.
  const daysOf = (l: readonly Partition[]) => [...new Set(l.map((p) => p.day))].sort();
  const changedDays = [...new Set(changed.map((c) => c.day))].sort();
  // Changed days compared without knowing the types they were hashed as: a retype reads as an edit there.
  const untypedDays = new Set(changed.filter((c) => untyped.has(`${c.range[0]}|${c.range[1]}`)).map((c) => c.day));
  const untypedNote = untypedDays.size
    ? ` (${untypedDays.size < changedDays.length ? `${untypedDays.size} of them ` : ''}recorded before column types were kept; if the source was retyped, this may be the retype: run one materialization with quality: {provenance: {tampering: warn}} on the view to accept it)`
    : '';
  const checkedDays = daysOf(toCheck.filter((p) => found.get(key(p))?.check && !gone.has(p.day)));
  const checkedSet = new Set(checkedDays);
  const uncheckedDays = unchecked ? daysOf(toCheck.filter((p) => !retypedAll.has(p) && !found.get(key(p))?.check && !checkedSet.has(p.day))) : [];
  const retypedDays = daysOf([...retyped.keys()].filter((p) => !checkedSet.has(p.day)));
  const retypes = [...new Set([...retyped.values()].flat())];
  // Every retype seen, compared cast back or not.
  const retypesAll = [...new Set([...retypedAll.values()].flatMap((r) => r.labels))];
  const notCompared = retypedDays.length ? `not compared: ${retypes.join(', ')} (source type changed)` : '';
  const withoutSource = uncheckedDays.length ? `${uncheckedDays.length} not re-checkable without the source` : '';
  const goneSpan = goneDays.length > 1 ? `${goneDays[0]} .. ${goneDays[goneDays.length - 1]}` : goneDays[0];
  const noRows = goneDays.length ? `${goneDays.length} earlier partition(s) not compared: no rows now for ${goneSpan} (source retention?)` : '';
  const status = changed.length > 0 ? 'fail' : checkedDays.length > 0 ? 'pass' : 'skipped';
  const message = changed.length > 0
    ? `already-materialized history changed in ${changedDays.length} partition(s): ${changedDays.join(', ')}${untypedNote}${notCompared ? `; ${retypedDays.length} other(s) ${notCompared}` : ''}${noRows ? `; ${noRows}` : ''}`
    : status === 'pass'
      ? `${checkedDays.length} earlier partition(s) unchanged${withoutSource ? ` (${withoutSource})` : ''}${notCompared ? `; ${retypedDays.length} ${notCompared}` : ''}${noRows ? `; ${noRows}` : ''}`
      : toCheck.length === 0
        ? 'no earlier partitions to re-check: no successful materialization recorded checksums of this view before this window under its current definition'
        : `${[notCompared && `${retypedDays.length} earlier partition(s) ${notCompared}`, withoutSource && `${uncheckedDays.length} earlier partition(s) not re-checkable without the source`, noRows].filter(Boolean).join('; ')}`;
  return [result(ctx, {
    check: 'provenance', method: 'tampering', sub: 'tampering',
    status, value: changedDays.length,
    metrics: {
      partitions_checked: checkedDays.length, partitions_changed: changedDays.length, partitions_unchecked: uncheckedDays.length,
      ...(retypedDays.length ? { partitions_not_compared: retypedDays.length } : {}),
      ...(goneDays.length ? { partitions_no_rows_now: goneDays.length } : {}),
    },
    message,
    details: { changed, recheck_days: ctx.quality.provenance.recheck_days, ...(retypesAll.length ? { retyped: retypesAll } : {}), ...(goneDays.length ? { no_rows_now: goneDays } : {}) },
  })];
}
