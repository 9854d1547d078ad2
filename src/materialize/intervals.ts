/**
 * Materialized intervals in the state database: which windows of each view have
 * been written to the online store, by which run, into which of its epochs
 * (`OnlineStore.epoch`). `--incremental` starts where the last successful window
 * of the store's current epoch ended: windows written into a store that lost them
 * since (a Redis restarted without persistence) are written again; so are windows that did not store every feature
 * the view has now, as it is read now (`stored-features.ts`: a feature added, read from another column, or from
 * another file, table or source).
 */
import { ensureColumn, ensureTables, writeWhenFree, type StateDb } from '../state/state-db.js';
import { comparableEntry, isSourceEntry } from './stored-features.js';

const DDL = `
CREATE TABLE IF NOT EXISTS materialized_intervals (
  view TEXT NOT NULL,
  window_start TEXT NOT NULL,
  window_end TEXT NOT NULL,
  run_id TEXT NOT NULL,
  recorded_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS materialized_intervals_view ON materialized_intervals (view, window_end);
`;

export interface MaterializedInterval {
  readonly view: string;
  /** ISO 8601 UTC. */
  readonly window_start: string;
  readonly window_end: string;
  readonly run_id: string;
  readonly recorded_at: string;
  /** The online store's epoch the window was written into; null for windows recorded before epochs were kept. */
  readonly store_epoch: string | null;
  /** The features the window stored (JSON: `storedFeatures`); null for windows recorded before they were kept. */
  readonly stored_features: string | null;
}

/** The table, with `store_epoch` and `stored_features` added to one made by an earlier version (false: read-only, none to read). */
function table(db: StateDb): boolean {
  ensureTables(db, 'materialized_intervals', DDL);
  featuresKept(db);
  return ensureColumn(db, 'materialized_intervals', 'store_epoch', 'TEXT');
}

/** Whether the table has `stored_features` (added to one made by an earlier version; false: read-only, none kept). */
const featuresKept = (db: StateDb): boolean => ensureColumn(db, 'materialized_intervals', 'stored_features', 'TEXT');

/** The table and its columns, made outside a transaction (an apply's `forgetStoredFeatures` runs inside one). */
export function ensureIntervalTable(db: StateDb): void {
  table(db);
}

/**
 * For an apply that changes what `views` store (`Plan.rereads`), inside its transaction: their windows recorded
 * before stored features, or their source, were kept count as having stored none, so the next `--incremental` run
 * re-reads the ttl window (the windows recorded since say what they stored, and from which source). Call
 * `ensureIntervalTable` before the transaction.
 */
export function forgetStoredFeatures(db: StateDb, views: readonly string[]): void {
  // A source entry is the only element of the JSON list that starts with '{' (`isSourceEntry`): its text holds
  // `"{\"source\":` there, which a feature's entry, escaped once more, cannot.
  const mark = db.prepare(`UPDATE materialized_intervals SET stored_features = '[]' WHERE view = ? AND (stored_features IS NULL OR instr(stored_features, ?) = 0)`);
  for (const v of views) mark.run(v, SOURCE_ENTRY_START);
}

/** How a source entry starts inside the JSON text of a window's stored features. */
const SOURCE_ENTRY_START = JSON.stringify([JSON.stringify({ source: {} })]).slice(1, 12);

/**
 * Whether a window that stored `stored` (null: recorded before they were kept) stored every one of `features`. A
 * window recorded before its source was kept (no source entry) counts for any source: an upgrade re-reads nothing.
 */
function storedAll(stored: string | null, features: readonly string[] | undefined): boolean {
  if (features === undefined || stored === null) return true;
  const entries = JSON.parse(stored) as string[];
  const had = new Set(entries.map(comparableEntry));
  const sourceKept = entries.some(isSourceEntry);
  return features.every((f) => had.has(comparableEntry(f)) || (!sourceKept && isSourceEntry(f)));
}

/**
 * Record a window written by run `runId`. Waits for another process's write lock on a timer (`writeWhenFree`), not
 * in SQLite's synchronous busy wait (a server materializing goes on answering requests); uncontended, it is
 * recorded before the call returns.
 */
export async function recordInterval(
  db: StateDb,
  view: string,
  start: Date,
  end: Date,
  runId: string,
  storeEpoch: string | null = null,
  features: readonly string[] | null = null,
): Promise<void> {
  table(db);
  const recordedAt = new Date().toISOString();
  await writeWhenFree(db, () => db.prepare('INSERT INTO materialized_intervals (view, window_start, window_end, run_id, recorded_at, store_epoch, stored_features) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
    view,
    start.toISOString(),
    end.toISOString(),
    runId,
    recordedAt,
    storeEpoch,
    features === null ? null : JSON.stringify(features),
  ));
}

/**
 * A window's end as it counts: a window recorded as ending after it was recorded (an `--end` in the future,
 * accepted by earlier versions) counts only up to when it was recorded: rows arriving later were never read, and
 * incremental runs must not wait for that future time to pick them up. Both are ISO 8601 texts, compared as text;
 * a year beyond 9999 is written '+010000-…', which sorts first.
 */
const COUNTED_END = `CASE WHEN window_end > recorded_at OR window_end LIKE '+%' THEN recorded_at ELSE window_end END`;

/** The condition (and its parameters) selecting `view`'s windows of the store's epoch, and those recorded before epochs were kept (null: nothing says they were lost). */
function ofViewAndEpoch(db: StateDb, view: string, storeEpoch?: string): { where: string; params: string[] } {
  const epochs = table(db);
  return storeEpoch !== undefined && epochs
    ? { where: 'view = ? AND (store_epoch IS NULL OR store_epoch = ?)', params: [view, storeEpoch] }
    : { where: 'view = ?', params: [view] };
}

/**
 * End of the latest successful window of `view` (as it counts: `COUNTED_END`), or null when it was never materialized.
 * With `features` (`storedFeatures` of the view now), only windows that stored every one of them count.
 */
export function lastMaterializedEnd(db: StateDb, view: string, storeEpoch?: string, features?: readonly string[]): Date | null {
  if (features !== undefined) {
    const ends = coveredWindows(db, view, storeEpoch, features).map((w) => w.end);
    return ends.length === 0 ? null : new Date(ends.reduce((a, b) => (b > a ? b : a)));
  }
  const { where, params } = ofViewAndEpoch(db, view, storeEpoch);
  const row = db.prepare(`SELECT max(${COUNTED_END}) AS e FROM materialized_intervals WHERE ${where}`).get(...params) as { e: string | null };
  return row.e === null ? null : new Date(row.e);
}

/** The windows of `view` written into the store's epoch (and storing every one of `features`), oldest start first, each ending as it counts. */
function coveredWindows(db: StateDb, view: string, storeEpoch?: string, features?: readonly string[]): { start: string; end: string; run_id: string }[] {
  const { where, params } = ofViewAndEpoch(db, view, storeEpoch);
  const rows = db
    .prepare(`SELECT window_start AS start, ${COUNTED_END} AS "end", run_id, ${featuresKept(db) ? 'stored_features' : 'NULL AS stored_features'} FROM materialized_intervals WHERE ${where} ORDER BY window_start`)
    .all(...params) as { start: string; end: string; run_id: string; stored_features: string | null }[];
  return rows.filter((r) => storedAll(r.stored_features, features)).map(({ start, end, run_id }) => ({ start, end, run_id }));
}

/**
 * The first instant at or after `from` (null: the earliest recorded window's start) that no recorded window of
 * the store's epoch covers, or null when none was recorded. `--incremental` starts there: a gap left before or
 * between windows (a manual window first, a window never written) is materialized instead of skipped for good.
 */
export function firstUncovered(db: StateDb, view: string, from: Date | null, storeEpoch?: string, features?: readonly string[]): Date | null {
  const windows = coveredWindows(db, view, storeEpoch, features);
  if (windows.length === 0) return null;
  let cursor = from ?? new Date(windows[0].start);
  for (const w of windows) {
    const start = new Date(w.start);
    const end = new Date(w.end);
    if (start.getTime() > cursor.getTime()) break;
    if (end.getTime() > cursor.getTime()) cursor = end;
  }
  return cursor;
}

/** Intervals of a view, newest first. */
export function listIntervals(db: StateDb, view: string, limit = 100): MaterializedInterval[] {
  const epochs = table(db);
  const missing = `${epochs ? '' : ', NULL AS store_epoch'}${featuresKept(db) ? '' : ', NULL AS stored_features'}`;
  if (missing !== '') return db.prepare(`SELECT *${missing} FROM materialized_intervals WHERE view = ? ORDER BY window_end DESC LIMIT ?`).all(view, limit) as MaterializedInterval[];
  return db.prepare('SELECT * FROM materialized_intervals WHERE view = ? ORDER BY window_end DESC LIMIT ?').all(view, limit) as MaterializedInterval[];
}

/**
 * Forget every materialized window of `view` (its online values were dropped):
 * the next `--incremental` run starts afresh. Returns how many were forgotten.
 *
 * @example
 * forgetIntervals(project.state, 'origin_delays'); // lastMaterializedEnd(...) is null again
 */
export function forgetIntervals(db: StateDb, view: string): number {
  table(db);
  return db.prepare('DELETE FROM materialized_intervals WHERE view = ?').run(view).changes;
}
