/**
 * How a run's failed checks are counted in text (`materialize`, `dataset build`, `runs list`, `runs show`): a warned
 * run's failures are all under a warn policy (a failure under block would have blocked it), and "4 fail" alone
 * reads as a run that failed. A dataset written despite blocking checks is warned too, with block failures: those
 * are counted as they are.
 *
 * @example
 * failCount(run, 'fail'); // '4 fail (warn policy)' for a warned run, '4 fail' otherwise
 */
import type { Run } from './types.js';

/** How a dataset build written despite blocking checks (`allowFailedChecks`) starts its run's message (re-exported by reference.ts). */
export const WRITTEN_DESPITE_BLOCK = 'written despite blocking checks (allowFailedChecks)';

/** Whether every failed check of the run had a warn policy: a warned run, not a dataset written despite blocking checks. */
export function failsOnlyWarned(run: Pick<Run, 'status' | 'message' | 'counts'>): boolean {
  return run.status === 'warned' && run.counts.fail > 0 && !(run.message ?? '').startsWith(WRITTEN_DESPITE_BLOCK);
}

/** `4 fail`, or `4 fail (warn policy)` when the run's failures only warned (`word`: `fail`, `failed`). */
export function failCount(run: Pick<Run, 'status' | 'message' | 'counts'>, word: string): string {
  return `${run.counts.fail} ${word}${failsOnlyWarned(run) ? ' (warn policy)' : ''}`;
}
