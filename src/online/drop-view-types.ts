/**
 * The answer of `dropOnlineValues` (drop-view.ts), apart from it: the SDK's public types import this file, which
 * imports nothing internal (the published declarations must not reach the Project, DuckDB or better-sqlite3).
 */

/** What `dropOnlineValues` did. */
export interface DropOnlineValuesResult {
  readonly view: string;
  /** The online store's type (`sqlite`, `redis`). */
  readonly store: string;
  /**
   * `dropped`: the values are gone and the windows forgotten. `deferred`: a materialization holds the view's lease
   * (or a push is writing it) and drops them when it ends. `pending`: another drop held the lease too long; a running
   * `serve`, the next materialization or this call again does it. Until then reads answer NOT_FOUND for the view.
   */
  readonly outcome: 'dropped' | 'deferred' | 'pending';
  /** Materialized windows forgotten (0 unless `dropped`). */
  readonly intervalsForgotten: number;
  /**
   * The command that writes the values again: `materialize --incremental` (the windows are forgotten: it reads the
   * ttl window); a ttl-0 view's whole history, `materialize --start <the source's earliest row>` (the start the
   * first incremental run takes too).
   */
  readonly rebuild: string;
}
