/**
 * A schedule's last run when the scheduler does not know it: its memory starts
 * empty after a restart and stays empty on replicas started with
 * `--no-scheduler`. The quality log has it: the view's newest materialize run
 * (scheduled, from the CLI or over HTTP), in any process.
 */
import type { RunStore } from '../runs/run-store.js';
import type { Run } from '../runs/types.js';
import type { ScheduleInfo, ScheduleLastRun } from './scheduler.js';

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

/** Schedules with each missing `last_run` filled from the quality log. */
export function withLastRunsFromLog(schedules: readonly ScheduleInfo[], runs: RunStore): ScheduleInfo[] {
  return schedules.map((s) => (s.last_run !== null ? s : { ...s, last_run: lastRunFromLog(runs, s.view) }));
}
