/**
 * The request and result of `getHistoricalFeatures` (historical.ts; the request is read by dataset-request.ts),
 * apart from the build: the SDK's published declarations import them from here, so a user's compiler never reaches
 * DuckDB's types or the internal `Project` through them.
 */
import type { Table } from 'apache-arrow';
import type { GuardStageResult } from '../guards/stage-types.js';
import type { Run } from '../runs/types.js';
import type { DatasetFormat } from './dataset-format-types.js';
import type { EntityInput } from './entity-input-types.js';
import type { DatasetManifest, ManifestOutput } from './manifest-types.js';

/** Entity rows: an `EntityInput`, a file path, an array of objects (typed by an `interface` or a type alias), or an Arrow table. */
export type EntitySpec = EntityInput | string | readonly object[] | Table;

export interface DatasetProgress {
  readonly phase: 'entities' | 'join' | 'guards' | 'write' | 'done';
  readonly step: number;
  readonly steps: number;
  readonly rows?: number;
}

export interface HistoricalFeaturesRequest {
  readonly entities: EntitySpec;
  /** Feature references: `view`, `view:*`, `view:feature`. */
  readonly features?: readonly string[];
  /** A feature service (its features, plus its label as a column named after the label feature). */
  readonly service?: string;
  /** Output columns `view__feature` instead of `feature`. */
  readonly fullFeatureNames?: boolean;
  /** `event` (default): event_ts <= ts; `created`: also created_ts <= ts. */
  readonly availability?: 'event' | 'created';
  /** Timestamp column of the entity rows (default `event_timestamp`); output as `event_timestamp`. */
  readonly timestampColumn?: string;
  /** Split by time: rows with event_timestamp >= splitAt go to the test part. */
  readonly splitAt?: string | Date;
  /** Split by time so that about this fraction of rows (the latest) goes to the test part. */
  readonly testFraction?: number;
  /** Write to this file (or `<name>.train.<ext>` / `<name>.test.<ext>` when splitting) instead of returning a table. */
  readonly out?: string;
  /** Format of the files written to `out`; inferred from `out`'s extension when absent. Without `out` it is refused (the result is an Arrow table). */
  readonly format?: DatasetFormat;
  /** Write the outputs even when a blocking check failed. */
  readonly allowFailedChecks?: boolean;
  /** Skip the guard stage (benchmarks). */
  readonly disableGuards?: boolean;
  /** Folder relative entity and output paths resolve against (default: the working directory). */
  readonly baseDir?: string;
  readonly onProgress?: (event: DatasetProgress) => void;
  /**
   * Cancels the build: the running DuckDB statement is interrupted, the build fails with `cancelled` (HTTP 499)
   * and its run is recorded failed. The HTTP API passes its request's signal (a client that went away).
   */
  readonly signal?: AbortSignal;
}

export interface HistoricalFeaturesResult {
  /** `blocked`: a blocking check failed and nothing was written or returned. */
  readonly status: 'success' | 'warned' | 'blocked';
  /** The rows in memory (no `out`, not blocked); with a split, all rows. */
  readonly table: Table | null;
  /** With a split and no `out`: the train and test parts. */
  readonly split: { readonly train: Table; readonly test: Table } | null;
  readonly outputs: readonly ManifestOutput[];
  readonly manifest: DatasetManifest;
  readonly run: Run;
  readonly checks: GuardStageResult;
}
