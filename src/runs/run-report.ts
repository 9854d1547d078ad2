/**
 * A run as `featureguard runs show --json` and `GET /v1/runs/:id` report it:
 * the run, every check result (`results_pruned` when `runs prune` removed them), a compact summary of each column's profile (no
 * samples), the alert deliveries it caused, and those waiting to be sent again.
 *
 * @example
 * const { run, results, profiles, alerts } = runReport(project, 'run_123');
 */
import { listAlertAttempts } from '../alerts/attempts.js';
import type { AlertAttempt } from '../alerts/attempts-types.js';
import { listRedeliveries, type Redelivery } from '../alerts/redelivery.js';
import type { Project } from '../project.js';
import { resultsPruned } from './results-pruned.js';
import type { CheckResult, Run } from './types.js';

export interface RunReport {
  readonly run: Run;
  readonly results: readonly CheckResult[];
  /** `runs prune` removed the run's check results and profiles (its counts are kept): `results` is empty, not "no checks". */
  readonly results_pruned: boolean;
  /** One summary per column of the run's own rows (slice profiles left out). */
  readonly profiles: readonly Record<string, unknown>[];
  readonly alerts: readonly AlertAttempt[];
  /** Deliveries of its alerts that failed and wait to be sent again (`redeliver_for`). */
  readonly redeliveries: readonly Redelivery[];
}

/** The report of run `id` (`NotFoundError` when there is none). */
export function runReport(project: Project, id: string): RunReport {
  const run = project.runs.get(id);
  const results = project.runs.results(run.id);
  return {
    run,
    results,
    results_pruned: resultsPruned(run, results),
    profiles: project.runs.profiles(run.id).filter((p) => !p.slice).map((p) => summarizeProfile(p.column, p.profile)),
    alerts: listAlertAttempts(project, run.id),
    redeliveries: listRedeliveries(project, run.id),
  };
}

/** A compact profile summary: counts, range, mean, median and the five most frequent values (hashes for masked columns). */
export function summarizeProfile(column: string, p: unknown): Record<string, unknown> {
  const x = p as Record<string, unknown>;
  const q = x.quantiles as Record<string, number> | null;
  return {
    column, type: x.type, kind: x.kind, count: x.count, nulls: x.nulls, nan: x.nan, distinct: x.distinct,
    min: x.min, max: x.max, mean: x.mean, stddev: x.stddev, p50: q?.p50 ?? null,
    top: Array.isArray(x.top) ? (x.top as unknown[]).slice(0, 5) : null,
    ...(x.masked ? { masked: true } : {}),
  };
}
