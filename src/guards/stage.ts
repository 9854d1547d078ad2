/**
 * The guard stage: an explicit pipeline step that every materialization, dataset
 * build, push and `check` runs before anything becomes visible. It profiles the
 * rows, runs every check family under its policy, stores profiles and results in
 * the quality log, and returns the verdict. A blocked verdict is data, not an
 * exception: the caller leaves the online store untouched and records the run.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { FeatureServiceDef, FeatureViewDef } from '../definitions/types.js';
import type { Project } from '../project.js';
import type { CheckResult, Run, RunKind } from '../runs/types.js';

/** Extra facts a dataset build gives the guards (leakage, class imbalance, overlap). */
export interface DatasetGuardInfo {
  /** Column of the entity timestamp in `table` (normally `event_timestamp`). */
  readonly entityTimestampColumn: string;
  /** Join key columns of the entity rows. */
  readonly joinKeyColumns: readonly string[];
  /** Output column holding the label, when the build joined one. */
  readonly labelColumn?: string;
  /** Feature columns in `table` and where they came from. */
  readonly features: readonly { readonly column: string; readonly view: string; readonly feature: string }[];
  /** Per joined view: hidden columns in `table` with the chosen feature row's event and created timestamps. */
  readonly viewTimestamps: readonly { readonly view: string; readonly eventTsColumn: string; readonly createdTsColumn: string | null }[];
  readonly availability: 'event' | 'created';
  /** When the build splits: tables (on the same connection) with the train and test rows. */
  readonly split?: { readonly trainTable: string; readonly testTable: string };
}

export interface GuardStageInput {
  readonly project: Project;
  /** The run, already created in the quality log with status `running`. */
  readonly run: Run;
  readonly kind: RunKind;
  /** The view whose rows are checked (materialize, push, check on a view). */
  readonly view?: FeatureViewDef;
  /** The service of a dataset build, if built from one. */
  readonly service?: FeatureServiceDef;
  /** DuckDB connection on which `table` exists. */
  readonly conn: DuckDBConnection;
  /**
   * Table or view with the rows to check. For views: join keys, `event_timestamp`,
   * `created_timestamp`, features (canonical columns, all rows of the window, not
   * only the latest per entity). For dataset builds: the joined rows.
   */
  readonly table: string;
  readonly window?: { readonly start: Date; readonly end: Date };
  readonly dataset?: DatasetGuardInfo;
  /** Skip every check (benchmarks measuring guard overhead). */
  readonly disabled?: boolean;
}

export interface GuardStageResult {
  /** `block` when a check with policy `block` failed or errored. */
  readonly verdict: 'pass' | 'warn' | 'block';
  /** Every result, already stored in the quality log. */
  readonly results: readonly CheckResult[];
  /** First line of why the run is blocked, else null. */
  readonly blockedReason: string | null;
  readonly counts: { pass: number; warn: number; fail: number; error: number; skipped: number };
}

/** Run the guards. (Placeholder until the guards land: records no checks.) */
export async function runGuardStage(input: GuardStageInput): Promise<GuardStageResult> {
  void input;
  return { verdict: 'pass', results: [], blockedReason: null, counts: { pass: 0, warn: 0, fail: 0, error: 0, skipped: 0 } };
}
