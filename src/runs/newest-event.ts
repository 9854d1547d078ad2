/**
 * The newest event timestamp a view's online values hold, from the quality log: the largest `max_event_ts` the
 * guards recorded (`guard_run_stats`) of the runs that wrote to the online store. Those are the view's successful or
 * warned materializations whose window went into the store's current epoch (as `materialized_until` counts them)
 * that wrote an entity, and its successful or warned pushes to `online` or `both` that wrote a row; runs since the
 * view's history last started over (its online values dropped). An empty window moves nothing, so this goes stale
 * when upstream stops producing rows, while the end of the materialized windows keeps moving.
 *
 * A view fed by a push a second has millions of runs: each view's answer is kept in memory and a later read only
 * looks at the runs started since the oldest run not finished at the last read (by the index on view, kind and
 * start), not at all of them.
 */
import { timestampTextMs } from '../guards/timestamp-text.js';
import { ensureColumn, hasTable, type StateDb } from '../state/state-db.js';
import { viewHistoryStart } from './view-history.js';

export interface NewestEventReader {
  /** Milliseconds since the Unix epoch of the newest event written online for `view`, or null when none is known. */
  read(view: string, storeEpoch: string): number | null;
}

interface ViewState {
  readonly epoch: string;
  readonly since: string;
  /** Every run of the view started before this (ISO 8601) was finished when last read ('': read from the start). */
  from: string;
  newest: number | null;
}

interface Row {
  started_at: string;
  status: string;
  max_event_ts: string | null;
  wrote: number;
}

const FINISHED = new Set(['success', 'warned', 'blocked', 'failed']);

/**
 * A reader of views' newest events written online, keeping what it read (one per server: `/metrics`).
 *
 * @example
 * const newest = newestEventReader(project.state);
 * const ms = newest.read('origin_delays', await (await project.onlineStore()).epoch());
 */
export function newestEventReader(db: StateDb): NewestEventReader {
  const states = new Map<string, ViewState>();
  let query: ((view: string, epoch: string, from: string) => Row[]) | null = null;
  /** The query, once the guards' stats exist (before, no run recorded an event timestamp). */
  const prepared = () => {
    if (query) return query;
    if (!hasTable(db, 'guard_run_stats') || !hasTable(db, 'runs')) return null;
    const intervals = hasTable(db, 'materialized_intervals');
    const epochs = intervals && ensureColumn(db, 'materialized_intervals', 'store_epoch', 'TEXT');
    const inEpoch = !intervals
      ? '0'
      : `EXISTS (SELECT 1 FROM materialized_intervals i WHERE i.view = r.view AND i.window_end = r.window_end AND i.run_id = r.id${epochs ? ' AND (i.store_epoch IS NULL OR i.store_epoch = @epoch)' : ''})`;
    const stmt = db.prepare(`
      SELECT r.started_at AS started_at, r.status AS status, s.max_event_ts AS max_event_ts,
        CASE WHEN r.kind = 'materialize' THEN coalesce(r.rows_out, 0) > 0 AND ${inEpoch}
             ELSE coalesce(r.rows_out, 0) > 0 AND coalesce(json_extract(r.options, '$.to'), 'online') <> 'offline' END AS wrote
      FROM runs r LEFT JOIN guard_run_stats s ON s.run_id = r.id
      WHERE r.view = @view AND r.kind IN ('materialize', 'push') AND r.started_at >= @from
      ORDER BY r.started_at`);
    const run = (view: string, epoch: string, from: string) => (epochs ? stmt.all({ view, epoch, from }) : stmt.all({ view, from })) as Row[];
    // Kept once the windows' table exists (before it, only pushes can have written: asked again next time).
    if (intervals) query = run;
    return run;
  };
  return {
    read(view, storeEpoch) {
      const q = prepared();
      if (!q) return null;
      const since = viewHistoryStart(db, view) ?? '';
      let state = states.get(view);
      // Another epoch (the store lost its data) or a restarted history: read the view's runs again from the start.
      if (!state || state.epoch !== storeEpoch || state.since !== since) states.set(view, (state = { epoch: storeEpoch, since, from: since, newest: null }));
      // Runs read again next time (from the first unfinished one, or the last start read: a run started in the same
      // millisecond may come later) change nothing: the newest of the same values.
      let firstUnfinished: string | null = null;
      let last = state.from;
      for (const row of q(view, storeEpoch, state.from)) {
        if (firstUnfinished === null && !FINISHED.has(row.status)) firstUnfinished = row.started_at;
        last = row.started_at;
        if ((row.status !== 'success' && row.status !== 'warned') || !row.wrote || row.max_event_ts === null) continue;
        const ms = timestampTextMs(row.max_event_ts);
        if (Number.isFinite(ms) && (state.newest === null || ms > state.newest)) state.newest = ms;
      }
      state.from = firstUnfinished ?? last;
      return state.newest;
    },
  };
}
