/**
 * The runs a request made, for its request log line (`run_ids`, `views`): a route notes them on the context
 * (`noteRuns`), and an error answer names them in its details (`run_id` and `view`, or one `views` entry per view
 * of a Feast push). A Feast client drops the body of a 503, so the log line is where its run is found.
 *
 * @example
 * noteRuns(c, [{ view: result.view, run_id: result.run_id }]);
 * requestRuns(c); // { run_ids: ['…'], views: ['airport_hourly'] }
 */
import type { Context } from 'hono';
import { isFeatureguardError } from '../errors.js';

export interface RequestRun {
  readonly view: string | null;
  readonly run_id: string | null;
}

const KEY = 'featureguard.runs' as never;

/** Add the runs (or the views, while their runs are not known) a request made. */
export function noteRuns(c: Context, runs: readonly RequestRun[]): void {
  const before = (c.get(KEY) as RequestRun[] | undefined) ?? [];
  c.set(KEY, [...before, ...runs] as never);
}

/** The runs and views of a request: noted ones, then those its error names; undefined when it made none. */
export function requestRuns(c: Context): { run_ids: string[]; views: string[] } | undefined {
  const runs = [...((c.get(KEY) as RequestRun[] | undefined) ?? []), ...errorRuns(c.error)];
  const run_ids = [...new Set(runs.map((r) => r.run_id).filter((id): id is string => typeof id === 'string'))];
  const views = [...new Set(runs.map((r) => r.view).filter((v): v is string => typeof v === 'string'))];
  return run_ids.length + views.length > 0 ? { run_ids, views } : undefined;
}

function errorRuns(err: unknown): RequestRun[] {
  if (!isFeatureguardError(err) || err.details === null || typeof err.details !== 'object' || Array.isArray(err.details)) return [];
  const d = err.details as { run_id?: unknown; view?: unknown; views?: unknown; failed_view?: unknown };
  const one = (x: { run_id?: unknown; view?: unknown }): RequestRun => ({
    view: typeof x.view === 'string' ? x.view : null,
    run_id: typeof x.run_id === 'string' ? x.run_id : null,
  });
  const views = Array.isArray(d.views) ? d.views.filter((v): v is { run_id?: unknown; view?: unknown } => v !== null && typeof v === 'object').map(one) : [];
  return [...views, one(d), one({ view: d.failed_view })];
}
