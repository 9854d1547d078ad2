/**
 * Small per-run facts the guards keep beside the quality log (row count, newest
 * event timestamp) so that volume history reads a few numbers, not profiles.
 */
import { ensureTables, type StateDb } from '../state/state-db.js';
import { ensureViewHistoryTable, inViewHistorySql } from '../runs/view-history.js';

const DDL = `
CREATE TABLE IF NOT EXISTS guard_run_stats (
  run_id TEXT PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
  rows INTEGER NOT NULL,
  max_event_ts TEXT
);
`;

/** Record the row count and newest event timestamp of a run's checked rows. */
export function recordRunStats(db: StateDb, s: { runId: string; rows: number; maxEventTs: string | null }): void {
  ensureTables(db, 'guard_run_stats', DDL);
  db.prepare('INSERT OR REPLACE INTO guard_run_stats (run_id, rows, max_event_ts) VALUES (?, ?, ?)').run(s.runId, s.rows, s.maxEventTs);
}

/** Row counts of the last `n` successful (or warned) materializations of a view, newest first, excluding `exceptRun`. */
export function volumeHistory(db: StateDb, view: string, n: number, exceptRun: string): number[] {
  ensureTables(db, 'guard_run_stats', DDL);
  ensureViewHistoryTable(db);
  const rows = db
    .prepare(
      `SELECT s.rows AS rows FROM guard_run_stats s JOIN runs r ON r.id = s.run_id
       WHERE r.view = ? AND r.kind = 'materialize' AND r.status IN ('success', 'warned') AND r.id <> ? AND ${inViewHistorySql('r')}
       ORDER BY r.started_at DESC, r.rowid DESC LIMIT ?`,
    )
    .all(view, exceptRun, n) as { rows: number }[];
  return rows.map((r) => r.rows);
}
