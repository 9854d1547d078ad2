/**
 * The newest event timestamp a view's online values hold, from the quality log: the largest `max_event_ts` the
 * guards recorded (`guard_run_stats`) of the runs that wrote to the online store. Those are the view's successful or
 * warned materializations whose window went into the store's current epoch (as `materialized_until` counts them)
 * that wrote an entity, and its successful or warned pushes to `online` or `both` that wrote a row; runs since the
 * view's history last started over (its online values dropped). An empty window moves nothing, so this goes stale
 * when upstream stops producing rows, while the end of the materialized windows keeps moving.
 *
 * A view fed by a push a second has millions of runs: a view's first read takes the newest of its finished runs in one
 * aggregate (by the index on view, kind and start), and keeps it, with the ids of its runs not finished then and
 * the largest rowid of `runs` seen; a later read only looks at the runs added since (by rowid) and at those
 * unfinished ones (by id): its cost does not grow with the view's history.
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
  /** The largest rowid of `runs` when last read: later runs (added after) have larger ones. */
  seen: number;
  /** Ids of the view's runs not finished when last read. */
  pending: string[];
  newest: number | null;
}

interface Row {
  id: string;
  status: string;
  max_event_ts: string | null;
  wrote: number;
}

const FINISHED = ['success', 'warned', 'blocked', 'failed'];
const TS = 's.max_event_ts';
/**
 * DuckDB's text of a UTC timestamp or date (`2001-01-01`, `2001-01-01 23:00:00[.5][+00]`), years 1000 to 9999:
 * ordered as text as in time, so SQL's max() finds the newest. Others (another offset, BC, year 10000 on, infinity)
 * are compared in JS.
 */
const PLAIN = `(${TS} GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' OR (${TS} GLOB '[1-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'
  AND substr(${TS}, 20) NOT GLOB '*[^0-9.+]*' AND (substr(${TS}, 20) NOT GLOB '*+*' OR substr(${TS}, 20) GLOB '*+00') AND substr(${TS}, 20) NOT GLOB '*+*+*'))`;

interface Queries {
  /** The newest plain text, the other texts (JSON array), the unfinished runs' ids (JSON array): runs up to rowid `seen`. */
  first(view: string, epoch: string, since: string, seen: number): { plain: string | null; other: string; pending: string };
  /** The view's runs after rowid `seen`, up to `upto`. */
  added(view: string, epoch: string, since: string, seen: number, upto: number): Row[];
  /** The runs of these ids. */
  byId(ids: string[]): Row[];
}

/** The event timestamp text's milliseconds, or null when it is none (a BC date, an infinity, not a timestamp). */
function ms(text: string | null): number | null {
  if (text === null) return null;
  const v = timestampTextMs(text);
  return Number.isFinite(v) ? v : null;
}
const newer = (a: number | null, b: number | null) => (a === null ? b : b === null || a >= b ? a : b);

/**
 * A reader of views' newest events written online, keeping what it read (one per server: `/metrics`).
 *
 * @example
 * const newest = newestEventReader(project.state);
 * const ms = newest.read('origin_delays', await (await project.onlineStore()).epoch());
 */
export function newestEventReader(db: StateDb): NewestEventReader {
  const states = new Map<string, ViewState>();
  let queries: Queries | null = null;
  /** The queries, once the guards' stats exist (before, no run recorded an event timestamp). */
  const prepared = (): Queries | null => {
    if (queries) return queries;
    if (!hasTable(db, 'guard_run_stats') || !hasTable(db, 'runs')) return null;
    const intervals = hasTable(db, 'materialized_intervals');
    const epochs = intervals && ensureColumn(db, 'materialized_intervals', 'store_epoch', 'TEXT');
    const inEpoch = !intervals
      ? '0'
      : `EXISTS (SELECT 1 FROM materialized_intervals i WHERE i.view = r.view AND i.window_end = r.window_end AND i.run_id = r.id${epochs ? ' AND (i.store_epoch IS NULL OR i.store_epoch = @epoch)' : ''})`;
    // What wrote online: a successful or warned materialization that wrote an entity and whose window is in the
    // store's epoch, or a successful or warned push to `online` or `both` that wrote a row.
    const wrote = `CASE WHEN r.kind = 'materialize' THEN coalesce(r.rows_out, 0) > 0 AND ${inEpoch}
             ELSE coalesce(r.rows_out, 0) > 0 AND coalesce(json_extract(r.options, '$.to'), 'online') <> 'offline' END`;
    const counted = `r.status IN ('success', 'warned') AND ${TS} IS NOT NULL AND ${wrote}`;
    const first = db.prepare(`
      SELECT max(${TS}) FILTER (WHERE ${PLAIN} AND ${counted}) AS plain,
        json_group_array(${TS}) FILTER (WHERE NOT ${PLAIN} AND ${counted}) AS other,
        json_group_array(r.id) FILTER (WHERE r.status NOT IN (${FINISHED.map((f) => `'${f}'`).join(', ')})) AS pending
      FROM runs r LEFT JOIN guard_run_stats s ON s.run_id = r.id
      WHERE r.view = @view AND r.kind IN ('materialize', 'push') AND r.started_at >= @since AND r.rowid <= @seen`);
    const columns = `r.id AS id, r.status AS status, ${TS} AS max_event_ts, ${wrote} AS wrote FROM runs r`;
    // NOT INDEXED: by the rowid (the runs added since), never by the view's index (all its history).
    const added = db.prepare(`
      SELECT ${columns} NOT INDEXED LEFT JOIN guard_run_stats s ON s.run_id = r.id
      WHERE r.rowid > @seen AND r.rowid <= @upto AND r.view = @view AND r.kind IN ('materialize', 'push') AND r.started_at >= @since`);
    const byId = db.prepare(`SELECT ${columns} LEFT JOIN guard_run_stats s ON s.run_id = r.id WHERE r.id IN (SELECT value FROM json_each(@ids))`);
    const bind = (p: Record<string, unknown>, epoch: string) => (epochs ? { ...p, epoch } : p);
    const q: Queries = {
      first: (view, epoch, since, seen) => first.get(bind({ view, since, seen }, epoch)) as ReturnType<Queries['first']>,
      added: (view, epoch, since, seen, upto) => added.all(bind({ view, since, seen, upto }, epoch)) as Row[],
      byId: (ids) => (ids.length ? (byId.all(bind({ ids: JSON.stringify(ids) }, '')) as Row[]) : []),
    };
    // Kept once the windows' table exists (before it, only pushes can have written: asked again next time).
    if (intervals) queries = q;
    return q;
  };
  const lastRowid = () => db.prepare('SELECT coalesce(max(rowid), 0) FROM runs').pluck().get() as number;
  return {
    read(view, storeEpoch) {
      const q = prepared();
      if (!q) return null;
      const since = viewHistoryStart(db, view) ?? '';
      const seen = lastRowid();
      let state = states.get(view);
      // Another epoch (the store lost its data), a restarted history, or rowids that went back (a VACUUM renumbers
      // them): the view's runs read again from the start, in one aggregate.
      if (!state || state.epoch !== storeEpoch || state.since !== since || seen < state.seen) {
        const a = q.first(view, storeEpoch, since, seen);
        const other = (JSON.parse(a.other) as string[]).reduce<number | null>((n, t) => newer(n, ms(t)), null);
        states.set(view, (state = { epoch: storeEpoch, since, seen, pending: JSON.parse(a.pending) as string[], newest: newer(ms(a.plain), other) }));
        return state.newest;
      }
      const pending: string[] = [];
      for (const row of [...q.byId(state.pending), ...q.added(view, storeEpoch, since, state.seen, seen)]) {
        if (!FINISHED.includes(row.status)) pending.push(row.id);
        else if ((row.status === 'success' || row.status === 'warned') && row.wrote) state.newest = newer(state.newest, ms(row.max_event_ts));
      }
      state.pending = pending;
      state.seen = seen;
      return state.newest;
    },
  };
}
