/**
 * Whether `runs prune` cut a run to its summary: its counts say checks ran, but none of their results is left.
 * Reports and exports say so, rather than presenting an empty list as "no checks".
 *
 * @example
 * if (resultsPruned(run, project.runs.results(run.id))) console.log('results pruned');
 */
import type { CheckResult, Run } from './types.js';

export function resultsPruned(run: Pick<Run, 'counts'>, results: readonly CheckResult[]): boolean {
  const c = run.counts;
  return results.length === 0 && c.pass + c.warn + c.fail + c.error + c.skipped > 0;
}
