/**
 * The guard stage's verdict, a type of the public results (`HistoricalFeaturesResult.checks`,
 * `MaterializeResult.counts`): kept apart from `stage.ts`, whose input names DuckDB's connection, so the package's
 * declarations a user's compiler reads do not reach DuckDB's.
 */
import type { CheckResult } from '../runs/types.js';

export interface GuardStageResult {
  /** `block` when a check with policy `block` failed or errored. */
  readonly verdict: 'pass' | 'warn' | 'block';
  /** Every result, already stored in the quality log. */
  readonly results: readonly CheckResult[];
  /** First line of why the run is blocked, else null. */
  readonly blockedReason: string | null;
  readonly counts: { pass: number; warn: number; fail: number; error: number; skipped: number };
  /** Milliseconds spent per phase (profiles, each family, storing, alerts). */
  readonly timings?: Readonly<Record<string, number>>;
}
