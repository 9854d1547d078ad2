/**
 * Materialized intervals in the state database: which windows of each view have
 * been written to the online store, by which run. `--incremental` starts where the
 * last successful window ended.
 */
import { ensureTables, type StateDb } from '../state/state-db.js';

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
}

export function recordInterval(db: StateDb, view: string, start: Date, end: Date, runId: string): void {
  ensureTables(db, 'materialized_intervals', DDL);
  db.prepare('INSERT INTO materialized_intervals (view, window_start, window_end, run_id, recorded_at) VALUES (?, ?, ?, ?, ?)').run(
    view,
    start.toISOString(),
    end.toISOString(),
    runId,
    new Date().toISOString(),
  );
}

/**
 * End of the latest successful window of `view`, or null when it was never materialized. A window
 * recorded as ending after it was recorded (an `--end` in the future, accepted by earlier versions)
 * counts only up to when it was recorded: rows arriving later were never read, and incremental runs
 * must not wait for that future time to pick them up.
 */
export function lastMaterializedEnd(db: StateDb, view: string): Date | null {
  ensureTables(db, 'materialized_intervals', DDL);
  // Both are ISO 8601 texts, compared as text; a year beyond 9999 is written '+010000-…', which sorts first.
  const row = db
    .prepare("SELECT max(CASE WHEN window_end > recorded_at OR window_end LIKE '+%' THEN recorded_at ELSE window_end END) AS e FROM materialized_intervals WHERE view = ?")
    .get(view) as { e: string | null };
  return row.e === null ? null : new Date(row.e);
}

/** Intervals of a view, newest first. */
export function listIntervals(db: StateDb, view: string, limit = 100): MaterializedInterval[] {
  ensureTables(db, 'materialized_intervals', DDL);
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
  ensureTables(db, 'materialized_intervals', DDL);
  return db.prepare('DELETE FROM materialized_intervals WHERE view = ?').run(view).changes;
}
