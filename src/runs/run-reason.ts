/**
 * Why a run ended as it did, in words: one summary for the run page's verdict, the runs page's "Why" column and
 * `runs list`'s MESSAGE. A warned run stores no message (its checks say why), so each of them used to build its
 * own (the run page), or show none (the list and the CLI). Computed from the stored run and results; nothing stored.
 */
import type { CheckResult, CheckStatus, Run } from './types.js';

/** Check statuses worst first: the order a run's reason is picked in, and the checks table's default order. */
export const CHECK_SEVERITY: Readonly<Record<CheckStatus, number>> = { fail: 0, error: 1, warn: 2, skipped: 3, pass: 4 };

/** A run's reason and how many other checks did not pass besides the one it names. */
export interface RunReason {
  /** The stored message whole, else the worst result (`drift on mean_delay: …`); null when there is nothing to say. */
  readonly reason: string | null;
  /** For a warned run: the other warned or failed checks (`(and 5 more)`); 0 otherwise. */
  readonly more: number;
}

/**
 * Why the run was blocked, failed or warned: the stored message, else the worst result (a blocking one first for
 * blocked runs). A warned run whose results were pruned says how many checks did not pass.
 *
 * @example
 * runReason(warnedRun, results); // { reason: 'drift on mean_delay: mean_delay drifted …', more: 5 }
 */
export function runReason(run: Run, results: readonly CheckResult[]): RunReason {
  if (run.status === 'success' || run.status === 'running' || run.status === 'queued') return { reason: run.message, more: 0 };
  const notPassed = run.counts.warn + run.counts.fail;
  const more = run.status === 'warned' ? Math.max(0, notPassed - 1) : 0;
  if (run.message) return { reason: run.message, more };
  // Stable: ties keep the stored check order.
  const bad = results
    .map((r, i) => ({ r, i }))
    .filter(({ r }) => r.status === 'fail' || r.status === 'error' || r.status === 'warn')
    .sort((a, b) => CHECK_SEVERITY[a.r.status] - CHECK_SEVERITY[b.r.status] || a.i - b.i)
    .map(({ r }) => r);
  const r = (run.status === 'blocked' ? bad.find((x) => x.policy === 'block') : undefined) ?? bad[0];
  if (r) return { reason: `${r.check}${r.feature ? ` on ${r.feature}` : ''}: ${r.message}`, more };
  // No result to name: pruned by `runs prune` (its counts kept).
  if (run.status === 'warned') return { reason: `${run.counts.warn + run.counts.fail + run.counts.error} check(s) did not pass`, more: 0 };
  return { reason: null, more: 0 };
}

/**
 * The reason on one line for a list: its first line cut to `max` characters, then `(and N more)`.
 *
 * @example
 * runReasonLine(warnedRun, results, 80); // 'drift on mean_delay: mean_delay drifted from the previous run (… (and 5 more)'
 */
export function runReasonLine(run: Run, results: readonly CheckResult[], max: number): string {
  const { reason, more } = runReason(run, results);
  if (reason === null) return '';
  const line = reason.split('\n', 1)[0];
  const cut = line.length > max ? `${line.slice(0, max - 1)}…` : line;
  return more > 0 ? `${cut} (and ${more} more)` : cut;
}

/** The results a run's reason is picked from (`runReason` reads no other): a list reads only these. */
export const REASON_STATUSES: readonly CheckStatus[] = ['fail', 'error', 'warn'];

/** Whether a list must read a run's results for its reason (only a finished run without a stored message). */
export function reasonNeedsResults(run: Run): boolean {
  return !run.message && (run.status === 'warned' || run.status === 'blocked' || run.status === 'failed');
}
