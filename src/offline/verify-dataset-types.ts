/**
 * The result of `verifyDataset` (verify-dataset.ts), apart from the implementation: the SDK's published
 * declarations import it from here, so a user's compiler never reaches the internal `Project` through it.
 */

export interface DatasetDifference {
  readonly what: 'definition' | 'source' | 'entities' | 'output';
  /** `feature_view/airport_hourly`, a source name, `entities`, or an output path. */
  readonly name: string;
  readonly message: string;
}

export interface DatasetVerification {
  readonly manifest: string;
  readonly run_id: string;
  readonly created_at: string;
  /** True when nothing below differs: a rebuild with the recorded request gives the same rows. */
  readonly reproducible: boolean;
  readonly differences: readonly DatasetDifference[];
  /** What could not be checked (entity rows from memory or SQL). */
  readonly notes: readonly string[];
}
