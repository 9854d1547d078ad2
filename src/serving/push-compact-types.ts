/**
 * The options and result of `compactPushedFiles` (push-compact.ts), apart from the implementation: the SDK's
 * published declarations import them from here, so a user's compiler never reaches DuckDB's types or the internal
 * `Project` through them.
 */

export interface CompactOptions {
  /** Only the folders these views read (default: every folder holding pushed files). Every view reading a folder is still locked. */
  readonly views?: readonly string[];
  /** Only the files of pushes that finished at least this long ago: `10m`, `6h`, `2d` (default `0`: every finished push). */
  readonly olderThan?: string;
  /** Say what would be merged, and what would refuse it now (a live check reading the files); change nothing (no lease is taken). */
  readonly dryRun?: boolean;
}

/** One merged file, or files left as they are. */
export interface CompactedGroup {
  readonly folder: string;
  readonly format: 'parquet' | 'csv';
  /** The sources reading the files, and the views reading those (whose leases a compaction holds). */
  readonly sources: readonly string[];
  readonly views: readonly string[];
  /**
   * `compacted`: merged into `file`; `planned`: would be (a dry run); `skipped`: left as they are (`reason`);
   * `failed`: the merge failed (`reason` says why, and what became of the files).
   */
  readonly status: 'compacted' | 'planned' | 'skipped' | 'failed';
  /** The files merged (to be merged, or left). */
  readonly files: readonly string[];
  /** The file written (null unless `compacted`). */
  readonly file: string | null;
  /** Rows of the merged file (null unless `compacted`). */
  readonly rows: number | null;
  /** The push runs whose rows the files hold. */
  readonly runs: readonly string[];
  /**
   * How many of `files` are earlier compactions' merged files, merged again (with `runs` empty: all of them, whose
   * push runs `runs prune` removed).
   */
  readonly earlier_merged: number;
  /**
   * How many of `files` are push files whose run `runs prune` removed (`runs` still holds the id each one's name
   * carries, which `runs show` no longer finds).
   */
  readonly pruned_push_files: number;
  /**
   * Why the files are left (`skipped`) or could not be merged (`failed`); on a `planned` group of a dry run, what
   * would make a compaction refuse now (a live check reading the files, `check_running`), else null.
   */
  readonly reason: string | null;
  /** The error code of a `failed` group (`compaction_mismatch`, `lease_lost`, …); null otherwise. */
  readonly code: string | null;
}

export interface CompactResult {
  readonly dry_run: boolean;
  readonly groups: readonly CompactedGroup[];
  /** Files merged (to be merged on a dry run) and files written. */
  readonly files_merged: number;
  readonly files_written: number;
  /** Compactions a stopped process left midway that this one finished first (their journals). */
  readonly recovered: number;
  /**
   * Compactions a stopped process left midway (their journals under `.featureguard/compacting/`), which the next
   * compaction finishes first, or that a live one is merging now: listed by a dry run (which touches none); empty
   * otherwise (a compaction finishes them, `recovered`).
   */
  readonly pending: readonly PendingCompaction[];
  /** The compaction's run in the quality log (kind `compact`); null when it merged nothing (a dry run, nothing to merge). */
  readonly run_id: string | null;
}

/** A compaction's journal still there. */
export interface PendingCompaction {
  /** The journal file. */
  readonly journal: string;
  readonly folder: string;
  /** The merged file. */
  readonly file: string;
  /** How many files it merges, and which. */
  readonly files: number;
  readonly merged: readonly string[];
  /** The rows it merges, when the journal recorded them (null: a journal of an earlier version). */
  readonly rows: number | null;
  /**
   * `interrupted`: its process stopped; the next compaction finishes it (or, if its merged file does not read as the
   * journal recorded, removes that and keeps the files). `running`: a live compaction holds its folder's lease.
   */
  readonly state: 'interrupted' | 'running';
  /** The pid of the compaction holding the folder (`running`). */
  readonly pid?: number;
}
