/**
 * Where a view's history starts over: when its online values are dropped (the view removed and added back, or
 * changed in a breaking way), the guards stop comparing its runs with the runs before (the `previous` drift
 * reference, the volume history), as they stop comparing its day checksums. The runs stay in the quality log.
 */
import { ensureTables, hasTable, type StateDb } from '../state/state-db.js';

const DDL = `
CREATE TABLE IF NOT EXISTS view_history_starts (
  view TEXT PRIMARY KEY,
  since TEXT NOT NULL
) WITHOUT ROWID;
`;

/** The table (call it outside transactions). */
export function ensureViewHistoryTable(db: StateDb): void {
  ensureTables(db, 'view_history_starts', DDL);
}

/** The view's history starts over at `at` (ISO 8601 UTC): later runs are not compared with earlier ones. */
export function restartViewHistory(db: StateDb, view: string, at = new Date().toISOString()): void {
  db.prepare('INSERT OR REPLACE INTO view_history_starts (view, since) VALUES (?, ?)').run(view, at);
}

/** When the view's history last started over (ISO 8601 UTC), or null when it never did. */
export function viewHistoryStart(db: StateDb, view: string): string | null {
  if (!hasTable(db, 'view_history_starts')) return null;
  return (db.prepare('SELECT since FROM view_history_starts WHERE view = ?').pluck().get(view) as string | undefined) ?? null;
}

/**
 * SQL condition on a `runs` row (aliased `alias`) of the view bound at its place: it started after the view's
 * history last started over. Call `ensureViewHistoryTable` first.
 */
export function inViewHistorySql(alias = 'runs'): string {
  return `${alias}.started_at >= coalesce((SELECT h.since FROM view_history_starts h WHERE h.view = ${alias}.view), '')`;
}
