/**
 * A schedule's last run when the scheduler does not know it: its memory starts
 * empty after a restart and stays empty on replicas started with
 * `--no-scheduler`. The quality log has it: the view's newest materialize run
 * (scheduled, from the CLI or over HTTP), in any process; listed beside the
 * scheduler's own as `latest_run` too.
 */
import type { RunStore } from '../runs/run-store.js';
import type { RunTrigger } from '../runs/trigger.js';
import type { Run, RunStatus } from '../runs/types.js';
import type { ScheduleInfo, ScheduleLastRun } from './scheduler.js';

/**
 * The view's newest materialization in the quality log, whoever ran it (the scheduler, the CLI, an HTTP request,
 * another server): `GET /v1/schedules` shows it as `latest_run` beside the scheduler's own `last_run`, which keeps
 * the scheduler's last slot (`skipped` while a CLI run held the lease) even when a newer run exists.
 */
export interface ScheduleLatestRun {
  readonly id: string;
  readonly status: RunStatus;
  readonly started_at: string;
  readonly finished_at: string | null;
  readonly trigger: RunTrigger | null;
}

/** A schedule as `GET /v1/schedules` lists it. */
export type ListedSchedule = ScheduleInfo & { readonly latest_run: ScheduleLatestRun | null };

function fromRun(run: Run): ScheduleLastRun {
  return {
    source: 'quality_log',
    started_at: run.started_at,
    finished_at: run.finished_at,
    // A run that finished, blocked by the guards or not, is a done materialization; its own status is in `runs`.
    status: run.status === 'running' || run.status === 'queued' ? 'running' : run.status === 'failed' ? 'failed' : 'done',
    job_id: null,
    runs: [{ id: run.id, status: run.status }],
    message: run.message,
  };
}

/**
 * The newest materialize run of `view` as a last run, or null when it never ran.
 *
 * @example
 * lastRunFromLog(project.runs, 'origin_delays'); // { source: 'quality_log', status: 'done', runs: [{ id, status: 'success' }], ... }
 */
export function lastRunFromLog(runs: RunStore, view: string): ScheduleLastRun | null {
  const [newest] = runs.list({ view, kind: 'materialize', limit: 1 }).runs;
  return newest ? fromRun(newest) : null;
}

/**
 * Schedules with each missing `last_run` filled from the quality log, and each view's newest materialization there
 * as `latest_run` (null when it never ran).
 */
export function withLastRunsFromLog(schedules: readonly ScheduleInfo[], runs: RunStore): ListedSchedule[] {
  return schedules.map((s) => {
    const [newest] = runs.list({ view: s.view, kind: 'materialize', limit: 1 }).runs;
    const latest_run = newest
      ? { id: newest.id, status: newest.status, started_at: newest.started_at, finished_at: newest.finished_at, trigger: newest.trigger }
      : null;
    return { ...s, last_run: s.last_run ?? (newest ? fromRun(newest) : null), latest_run };
  });
}
