/**
 * The options and result of `pruneRuns` (prune.ts), apart from the implementation: the SDK's published declarations
 * import them from here, so a user's compiler never reaches better-sqlite3's types through them.
 */

export interface PruneOptions {
  /** Runs that started before this instant may go: a `Date`, an ISO 8601 instant or an age before now (`90d`). */
  readonly before: Date | string;
  /** Newest successful or warned runs kept per (kind, view, service), whatever their age (default 100). */
  readonly keep?: number;
  /** Count what would go without removing anything. */
  readonly dryRun?: boolean;
}

export interface PruneResult {
  /** Runs removed with everything recorded about them. */
  readonly deleted: number;
  /** Runs cut to a summary row (their tamper checksums are the newest of a day): results, profiles and alert attempts removed. Runs cut earlier are not counted again. */
  readonly trimmed: number;
  /** Runs older than the cutoff kept whole (running, among the newest `keep` successful runs, or a drift reference). */
  readonly protected: number;
  readonly before: string;
  readonly dryRun: boolean;
}
