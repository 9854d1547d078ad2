/** The quality log's records: runs and check results (QUALITY-CHECKS.md §1). */
import type { RunTrigger } from './trigger.js';

/**
 * What a run is: a materialization of a view, a dataset build, a push, a check, or a compaction of pushed files
 * (`compact`: no view of its own, the views whose leases it held in `options.views`).
 */
export type RunKind = 'materialize' | 'dataset' | 'push' | 'check' | 'compact';
/**
 * `queued`: created with the other views of one materialization, waiting for those before it (its `started_at` is
 * set when its work begins); `running`: its work began; `success`: every check passed; `warned`: done with
 * warnings; `blocked`: a blocking check failed; `failed`: the run broke.
 */
export type RunStatus = 'queued' | 'running' | 'success' | 'warned' | 'blocked' | 'failed';

/** Every run kind and every status, in this order (the compiler refuses a list that misses one or names another). */
export const RUN_KINDS = Object.keys({ materialize: true, dataset: true, push: true, check: true, compact: true } satisfies Record<RunKind, true>) as readonly RunKind[];
export const RUN_STATUSES = Object.keys({ queued: true, running: true, success: true, warned: true, blocked: true, failed: true } satisfies Record<RunStatus, true>) as readonly RunStatus[];
/** The statuses of a run that has not finished: its process owns it (`run_owners`), and prune keeps it. */
export const UNFINISHED_STATUSES: readonly RunStatus[] = ['queued', 'running'];
/** `UNFINISHED_STATUSES` as an SQL list: `status IN ${UNFINISHED_SQL}`. */
export const UNFINISHED_SQL = "('queued', 'running')";
/**
 * The kinds no alert selects (an alert's filters pick runs by views, services, checks and statuses, none by kind): a
 * compaction changes no row a view reads, so one that fails, or is killed, is not made due for alerts either.
 */
export const UNALERTED_KINDS: readonly RunKind[] = ['compact'];
export type CheckStatus = 'pass' | 'warn' | 'fail' | 'error' | 'skipped';

export interface CheckResult {
  run_id: string;
  check: string;
  feature: string | null;
  slice: string | null;
  status: CheckStatus;
  /** Policy in force when the check ran. */
  policy?: 'block' | 'warn' | 'off';
  method: string | null;
  value: number | null;
  thresholds: Record<string, number> | null;
  metrics: Record<string, number | null> | null;
  message: string;
  details: Record<string, unknown> | null;
}

export interface LineageInput {
  name: string;
  kind: 'file' | 'table' | 'query' | 'entities' | 'push';
  uri: string;
  fingerprint: Record<string, unknown>;
}

export interface Lineage {
  job: string;
  definition_versions: Record<string, { version: number; hash: string }>;
  inputs: LineageInput[];
  /** `rows`: the output's own row count where the run's `rows_out` counts more (a split build's train part). */
  output: { kind: string; uri: string; rows?: number } | null;
  /**
   * Further outputs of the run, with their row counts (a push `to: both`: the file appended to the offline source;
   * a split dataset build: the test part, `output` being the train part).
   */
  other_outputs?: { kind: string; uri: string; rows: number }[];
  package_version: string;
  host: string;
  user: string;
}

export interface Run {
  id: string;
  kind: RunKind;
  view: string | null;
  service: string | null;
  status: RunStatus;
  started_at: string;
  finished_at: string | null;
  window_start: string | null;
  window_end: string | null;
  rows_in: number | null;
  rows_out: number | null;
  /** First line of why it was blocked or failed. */
  message: string | null;
  counts: { pass: number; warn: number; fail: number; error: number; skipped: number };
  lineage: Lineage | null;
  options: Record<string, unknown> | null;
  /** What started it (null: a run of a version that did not record it). */
  trigger: RunTrigger | null;
}

export interface RunFilter {
  view?: string;
  service?: string;
  kind?: RunKind;
  status?: RunStatus;
  since?: string;
  until?: string;
  limit?: number;
  offset?: number;
  /** Only the runs whose lineage records this registry version (`definition_versions`: `feature_view/x`, 2). */
  definition?: { readonly key: string; readonly version: number };
  /**
   * Only the runs listed after the run this names (`runCursor` of the last run of a page: `GET /v1/runs` answers it
   * as `next_cursor`): pages that repeat no row while new runs arrive, as `offset` ones do.
   */
  cursor?: string;
}
