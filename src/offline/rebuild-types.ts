/**
 * The options and result of `rebuildDataset` (rebuild.ts), apart from the build: the SDK's published declarations
 * import them from here, so a user's compiler never reaches the internal `Project` through them.
 */
import type { DatasetFormat } from './dataset-format-types.js';
import type { DatasetProgress, HistoricalFeaturesResult } from './historical-types.js';

export interface RebuildOptions {
  /** Write to this file (a split: `<name>.train.<ext>` / `<name>.test.<ext>`) with a manifest beside it; without it, an Arrow table. */
  readonly out?: string;
  /** Format of the files written to `out`; inferred from `out`'s extension when absent. */
  readonly format?: DatasetFormat;
  /** Refuse (`sources_changed`, nothing built) when a source the manifest records has changed since, instead of warning. */
  readonly strict?: boolean;
  /** Folder a relative manifest path and `out` resolve against (default: the working directory). */
  readonly baseDir?: string;
  readonly onProgress?: (event: DatasetProgress) => void;
  readonly signal?: AbortSignal;
}

export interface RebuildResult extends HistoricalFeaturesResult {
  /** What changed since the recorded build in the sources it read (built from them as they are now); also in `manifest.rebuilt_from`. */
  readonly warnings: readonly string[];
}
