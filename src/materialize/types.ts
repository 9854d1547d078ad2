/** Options and results of materialization. */
import type { GuardStageInput } from '../guards/stage.js';
import type { GuardStageResult } from '../guards/stage-types.js';
import type { CheckResult, Run } from '../runs/types.js';

export interface MaterializeOptions {
  /** Window start (inclusive). Required unless `incremental`, refused with it (`incremental_with_start`). */
  readonly start?: Date | string;
  /** Window end (exclusive). Default now. */
  readonly end?: Date | string;
  /** Views to materialize (default: every view with `online: true`); an empty list is refused (`empty_views`). */
  readonly views?: readonly string[];
  /**
   * Start where the view's last successful window ended, less the view's `allowed_lateness` (first run: now − ttl,
   * or the source's earliest row when the ttl is 0); end now (or `end`).
   */
  readonly incremental?: boolean;
  /** `false` skips the guard stage (benchmarks of guard overhead). Default true. */
  readonly guards?: boolean;
  /** Rows per online store write (default 2048, one DuckDB chunk). */
  readonly batchSize?: number;
  /**
   * Replace the guard stage (tests).
   * @internal Left out of the published declarations: its input names DuckDB's connection.
   */
  readonly guardStage?: (input: GuardStageInput) => Promise<GuardStageResult>;
  /** Called after each written batch (progress bars). */
  readonly onProgress?: (progress: { view: string; entitiesWritten: number; entitiesTotal: number }) => void;
  /** Called as a view's run starts (a `queued` one becomes `running`). */
  readonly onRunStarted?: (view: string, runId: string) => void;
  /**
   * Stops the run's alert deliveries (a server stopping): the try in flight is cut and recorded as interrupted,
   * and what was not delivered is kept for redelivery by the next process, as for `serve`'s own alert sweeps.
   */
  readonly alertSignal?: AbortSignal;
  /**
   * Take over the run's alert delivery instead of the run waiting for the receiver (a server's background work,
   * which its stop awaits): resolves when the run may go on. Without it the run ends once every try is made.
   */
  readonly deliverAlerts?: (delivery: Promise<unknown>) => Promise<void>;
}

/**
 * - `success`: written, every check passed; `warned`: written with warnings;
 * - `blocked`: a blocking check failed, nothing written; `failed`: the run broke, nothing written;
 * - `up_to_date`: incremental run with an empty window (no run recorded).
 */
export type MaterializeStatus = 'success' | 'warned' | 'blocked' | 'failed' | 'up_to_date';

export interface MaterializeResult {
  readonly view: string;
  /** The run record in the quality log (null only for `up_to_date`). */
  readonly run: Run | null;
  readonly status: MaterializeStatus;
  /** ISO 8601 UTC. */
  readonly window: { readonly start: string; readonly end: string };
  /** Rows of the source in the window. */
  readonly rowsRead: number;
  /** Entities whose online value this run replaced. */
  readonly entitiesWritten: number;
  /** Entities skipped because the online store holds a newer value (or an equal one written under the same definitions). */
  readonly skipped: number;
  readonly checks: readonly CheckResult[];
  readonly counts: GuardStageResult['counts'];
  /** Why the run was blocked or failed, else null. */
  readonly message: string | null;
  readonly durationMs: number;
}

/**
 * A started materialization: runs exist and leases are held; `done` resolves to the results. The views run one
 * after another: the first view's run is `running`, the others' `queued` until their turn.
 */
export interface MaterializationHandle {
  readonly runs: readonly {
    readonly view: string;
    readonly runId: string | null;
    readonly status: 'running' | 'queued' | 'up_to_date';
    readonly window: { readonly start: string; readonly end: string };
  }[];
  readonly done: Promise<MaterializeResult[]>;
}
