/**
 * Small per-run facts the guards keep beside the quality log (row count, newest
 * event timestamp) so that volume history reads a few numbers, not profiles.
 */
import { ensureTables, writeWhenFree, type StateDb } from '../state/state-db.js';
import { ensureViewHistoryTable, inViewHistorySql } from '../runs/view-history.js';

const DDL = `
CREATE TABLE IF NOT EXISTS guard_run_stats (
  run_id TEXT PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
  rows INTEGER NOT NULL,
  max_event_ts TEXT
);
`;

/** Record the row count and newest event timestamp of a run's checked rows, waiting for the write lock on a timer (`writeWhenFree`). */
export async function recordRunStats(db: StateDb, s: { runId: string; rows: number; maxEventTs: string | null }): Promise<void> {
  ensureTables(db, 'guard_run_stats', DDL);
  await writeWhenFree(db, () => db.prepare('INSERT OR REPLACE INTO guard_run_stats (run_id, rows, max_event_ts) VALUES (?, ?, ?)').run(s.runId, s.rows, s.maxEventTs));
}

/**
 * Row counts of the view's last `n` successful or warned materializations (newest first), with their windows'
 * lengths in hours (null when a run has no window), since the view's history last started over. Each window
 * counts once (its newest run: a window materialized again, a retry, is not a second sample of the same size,
 * which made the spread 0 and any other size "infinitely unusual"), and empty windows not at all (allowed by
 * `allow_empty`, they are judged by that rule; as samples they made the median of a batch-fed view 0 rows).
 */
export function volumeHistory(db: StateDb, view: string, n: number, exceptRun: string): { rows: number; hours: number | null }[] {
  ensureTables(db, 'guard_run_stats', DDL);
  ensureViewHistoryTable(db);
  const rows = db
    .prepare(
      `SELECT rows, ws, we FROM (
         SELECT s.rows AS rows, r.window_start AS ws, r.window_end AS we, r.started_at AS started, r.rowid AS seq,
           ROW_NUMBER() OVER (PARTITION BY COALESCE(r.window_start, r.id), COALESCE(r.window_end, r.id) ORDER BY r.started_at DESC, r.rowid DESC) AS nth
         FROM guard_run_stats s JOIN runs r ON r.id = s.run_id
         WHERE r.view = ? AND r.kind = 'materialize' AND r.status IN ('success', 'warned') AND r.id <> ? AND s.rows > 0 AND ${inViewHistorySql('r')}
       ) WHERE nth = 1 ORDER BY started DESC, seq DESC LIMIT ?`,
    )
    .all(view, exceptRun, n) as { rows: number; ws: string | null; we: string | null }[];
  return rows.map((r) => ({ rows: r.rows, hours: r.ws && r.we ? (Date.parse(r.we) - Date.parse(r.ws)) / 3_600_000 : null }));
}
