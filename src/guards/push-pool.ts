/**
 * The pool a small push is judged on: a push of fewer rows than drift's `min_rows` holds too few values for drift,
 * null-rate or outlier-rate to mean anything on its own, so a stream sent one row at a time would never be judged,
 * and could pass a batch the guards block. Its rows are pooled with those of the view's latest earlier small pushes
 * (newest first, written or still writing, started within the last `POOL_WINDOW_MS`, since the view's history last
 * started over), up to `POOL_ROWS_PER_MIN_ROWS`
 * × `min_rows` rows: from the push that brings the pool to `min_rows` rows, every small push is judged on the
 * stream's latest rows, and under `block` refused when they drift. The pool goes on growing past `min_rows` (to 300
 * rows by default) since 30 values of a real feature are far from its reference by chance alone: 30 real
 * airport-hours of a day are 0.1 to 0.2 standard deviations (normed Wasserstein) from the day before's rows, a
 * drift under the defaults, 300 rarely more than 0.1. The pushes' stored profiles are pooled (their samples
 * hold every value of a small push), so no pushed value is kept beyond the profiles the quality log keeps anyway.
 * Pooling is asked for by `drift.pool_pushes` (by default under `policy: block` only, see config.ts).
 *
 * A refused push is not pooled: one drifted row refused would otherwise stay in the pool of the next 300 pushes and
 * refuse them all, clean ones too. Rows written before a block (up to `min_rows` − 1 of a drifted stream) stay in the
 * pool until they are older than `POOL_WINDOW_MS`: for at most that long a clean stream after a drifted one is judged
 * with them.
 *
 * @example
 * const pool = pushPool(project.state, project.runs, { view: 'airport_hourly', runId: run.id, rows: 1, minRows: 30, current, reference, outlierZ });
 * pool?.profiles.get('mean_delay')?.count; // 30: this push's row and 29 earlier pushes' rows
 */
import type { RunStore } from '../runs/run-store.js';
import { ensureViewHistoryTable, inViewHistorySql } from '../runs/view-history.js';
import type { StateDb } from '../state/state-db.js';
import { poolProfiles } from './pooled-profile.js';
import { outlierShareVsReference } from './profile.js';
import type { ColumnProfile, ReferenceProfiles } from './profile-types.js';
import { fromStored } from './reference.js';

/** How many times `min_rows` rows the pool holds at most. */
export const POOL_ROWS_PER_MIN_ROWS = 10;

/** How far back a pool reaches: pushes started earlier are not pooled (an hour). */
export const POOL_WINDOW_MS = 60 * 60 * 1000;

/** A small push's rows pooled with earlier small pushes of its view. */
export interface PushPool {
  /** The earlier pushes pooled, newest first. */
  readonly runIds: readonly string[];
  /** Rows of the pool: this push's and those of the earlier pushes. */
  readonly rows: number;
  /** This push's rows. */
  readonly ownRows: number;
  /** The pooled profile of each column this push profiled. */
  readonly profiles: ReadonlyMap<string, ColumnProfile>;
}

export interface PushPoolQuery {
  readonly view: string;
  /** The current push (never pooled with itself). */
  readonly runId: string;
  /** Rows of the current push. */
  readonly rows: number;
  /** Pushes of fewer rows are pooled, until the pool holds `POOL_ROWS_PER_MIN_ROWS` times as many rows. */
  readonly minRows: number;
  /** The current push's profiles. */
  readonly current: ReadonlyMap<string, ColumnProfile>;
  /** The drift reference: each numeric column's outlier rate is measured against it again on the pooled values. */
  readonly reference: ReferenceProfiles | null;
  /** The robust z of a column's outlier definition. */
  readonly outlierZ: (column: string) => number;
}

/**
 * The pool of a push of fewer than `minRows` rows, or null when the push is not small or no earlier small push
 * can be pooled with it. Pushes of the last `POOL_WINDOW_MS` whose guards ran (profiles stored) count, written or
 * still writing (a concurrent push judged before this one; its rows counted from its options until it records them),
 * not refused ones (see the module comment). Pushes judged at the same moment do not see each other.
 */
export function pushPool(db: StateDb, runs: Pick<RunStore, 'profiles'>, q: PushPoolQuery, now = Date.now()): PushPool | null {
  if (q.rows >= q.minRows || q.rows === 0) return null;
  const most = q.minRows * POOL_ROWS_PER_MIN_ROWS;
  ensureViewHistoryTable(db);
  const earlier = db
    .prepare(`SELECT id, rows FROM (SELECT id, view, status, started_at, rowid AS r, coalesce(rows_in, json_extract(options, '$.rows')) AS rows FROM runs
        WHERE view = @view AND kind = 'push' AND id <> @run) runs
      WHERE status IN ('success', 'warned', 'running') AND started_at >= @since AND rows > 0 AND rows < @min
      AND EXISTS (SELECT 1 FROM profiles p WHERE p.run_id = runs.id) AND ${inViewHistorySql('runs')}
      ORDER BY started_at DESC, r DESC LIMIT @limit`)
    .all({ view: q.view, run: q.runId, min: q.minRows, since: new Date(now - POOL_WINDOW_MS).toISOString(), limit: most - q.rows }) as { id: string; rows: number }[];
  const taken: { id: string; profiles: ReadonlyMap<string, ColumnProfile> }[] = [];
  let rows = q.rows;
  for (const r of earlier) {
    if (rows + Number(r.rows) > most) break;
    taken.push({ id: r.id, profiles: fromStored('push', r.id, runs.profiles(r.id)).profiles });
    rows += Number(r.rows);
  }
  if (taken.length === 0) return null;
  const profiles = new Map<string, ColumnProfile>();
  for (const [column, own] of q.current) {
    const z = q.outlierZ(column);
    const pooled = poolProfiles([own, ...taken.map((t) => t.profiles.get(column)).filter((p) => p !== undefined)], { outlierZ: z });
    profiles.set(column, withOutlierRate(pooled, q.reference?.profiles.get(column), z));
  }
  return { runIds: taken.map((t) => t.id), rows, ownRows: q.rows, profiles };
}

/** The pooled profile with its share of values beyond `z` robust deviations of the reference's median (profile.ts measures a push's own so). */
function withOutlierRate(p: ColumnProfile, ref: ColumnProfile | undefined, z: number): ColumnProfile {
  if (p.kind !== 'numeric' || !ref || ref.kind !== 'numeric') return p;
  const rate = outlierShareVsReference(p.sample.filter((v): v is number => typeof v === 'number'), ref, z);
  return rate === null ? p : { ...p, outlier_rate_vs_reference: rate };
}

/**
 * What a pooled record's details say of its pool, empty without one: the pushes (this one included) and rows pooled,
 * and the oldest earlier push (the pool is this push and the view's small pushes since). Not every run id: a pool
 * of up to 299 pushes named in each of a push's records would make each one-row push store tens of kilobytes.
 */
export function poolDetails(pool: PushPool | null | undefined): Record<string, unknown> {
  return pool ? { pooled: { pushes: pool.runIds.length + 1, rows: pool.rows, oldest_run_id: pool.runIds[pool.runIds.length - 1] } } : {};
}

/** How a pooled record's message names its pool: `(pooled: this push's 1 row and 29 earlier pushes', 30 rows)`. */
export function poolNote(pool: PushPool | null | undefined): string {
  if (!pool) return '';
  const n = pool.runIds.length;
  return ` (pooled: this push's ${pool.ownRows} row${pool.ownRows === 1 ? '' : 's'} and ${n} earlier push${n === 1 ? "'s" : "es'"}, ${pool.rows} rows)`;
}
