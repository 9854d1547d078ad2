/**
 * The manifest written beside every dataset output (manifest.ts builds, writes and reads it), apart from the code
 * that fingerprints sources with DuckDB: the SDK's published declarations import its types from here, so a user's
 * compiler never reaches DuckDB's types or the internal `Project` through them.
 */
import type { CheckResult, CheckStatus, LineageInput } from '../runs/types.js';
import type { DatasetFormat } from './dataset-format-types.js';

export interface ManifestOutput {
  readonly part: 'all' | 'train' | 'test';
  /** Absolute path (null in memory). */
  readonly path: string | null;
  /** `path` relative to the manifest's folder, as written to the file: where `dataset verify` looks first. */
  readonly relative_path?: string;
  readonly format: DatasetFormat | 'memory';
  readonly rows: number;
  readonly bytes: number | null;
  /**
   * SHA-256 of the file as written (absent in memory, and in manifests written before outputs were hashed): of
   * the whole file, or, when `partial` (over `provenance.full_hash_max_bytes`), of size, mtime and first and last MiB.
   */
  readonly sha256?: string;
  readonly partial?: boolean;
  readonly time_range: { readonly min: string; readonly max: string } | null;
}

export interface DatasetManifest {
  readonly kind: 'featureguard.dataset';
  readonly format_version: number;
  readonly created_at: string;
  readonly package_version: string;
  readonly project: string;
  readonly run_id: string;
  /** The request as given (enough to rebuild with the same definitions and inputs). */
  readonly request: {
    readonly features: readonly string[];
    readonly service: string | null;
    readonly full_feature_names: boolean;
    readonly availability: 'event' | 'created';
    readonly timestamp_column: string;
    readonly split: { readonly at: string | null; readonly test_fraction: number | null } | null;
  };
  /** `kind/name` → version and content hash of each definition used. */
  readonly definitions: Readonly<Record<string, { readonly version: number; readonly hash: string }>>;
  readonly sources: readonly LineageInput[];
  /**
   * `uri` is absolute (`file:///…` for a file); `relative_path`, written with an entity file, is that file relative
   * to the manifest's folder: a project checked out or copied elsewhere is verified against its own files.
   */
  readonly entities: LineageInput & { readonly columns: readonly string[]; readonly rows: number; readonly relative_path?: string };
  readonly columns: readonly { readonly name: string; readonly type: string; readonly view?: string; readonly feature?: string }[];
  readonly label: string | null;
  readonly rows: number;
  readonly time_range: { readonly min: string; readonly max: string } | null;
  /** Split time: rows with `event_timestamp >= at` are in the test part. */
  readonly split_at: string | null;
  readonly outputs: readonly ManifestOutput[];
  readonly checks: {
    readonly verdict: 'pass' | 'warn' | 'block';
    readonly status: 'success' | 'warned' | 'blocked';
    readonly blocked_reason: string | null;
    readonly allowed_failed_checks: boolean;
    readonly counts: Readonly<Record<CheckStatus, number>>;
    /** Every check result as in the quality log (QUALITY-CHECKS.md §1), bulky `details` arrays left out. */
    readonly results: readonly ManifestCheckResult[];
  };
  readonly notes: readonly string[];
  /**
   * A dataset rebuilt at another manifest's definition versions (`dataset build --from-manifest`): that manifest
   * (absolute path, SHA-256 of its bytes, its run) and what changed since in the sources it read (the rows were
   * built from them as they are now; `sources` above records their new fingerprints).
   */
  readonly rebuilt_from?: { readonly manifest: string; readonly sha256: string; readonly run_id: string; readonly warnings: readonly string[] };
}

/**
 * A check result in the manifest: the full record of the quality log (run,
 * check, feature, slice, status, policy, method, value, thresholds, metrics,
 * message), with `details` minus the bulky parts (histograms, category counts,
 * value samples and examples, the lineage inputs already listed as `sources`).
 */
export type ManifestCheckResult = Readonly<CheckResult>;
