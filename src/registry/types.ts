/** The registry: every version of every applied definition, with plan/apply. */
import type { AppliedBy } from './applied-by.js';
import type { Definition, DefinitionKind, DefinitionSet } from '../definitions/types.js';

export interface FieldChange {
  /** JSON path inside the object, e.g. `/features/2/type`. */
  readonly path: string;
  readonly before: unknown;
  readonly after: unknown;
}

export interface ObjectChange {
  readonly action: 'add' | 'change' | 'remove' | 'unchanged';
  readonly kind: DefinitionKind;
  readonly name: string;
  readonly changes: readonly FieldChange[];
  /** Reasons this change is breaking (empty when it is not). */
  readonly breaking: readonly string[];
}

export interface Plan {
  readonly changes: readonly ObjectChange[];
  readonly hasChanges: boolean;
  readonly breaking: boolean;
  /**
   * Views whose online values applying drops (sorted): removed, no longer online (`online: true` to false), changed
   * in a breaking way, keyed by an entity whose join keys changed, or reading a source whose time or join key columns
   * changed.
   */
  readonly drops: readonly string[];
  /**
   * What dropping means for each view of `drops`: `changed`, it stays online and answers NOT_FOUND until
   * materialized again; `removed` or `no_longer_online` (now `online: false`), its online values are deleted and
   * not served again; `offline`, it is not online before or after (no online values), only its materialized
   * windows and quality history start afresh.
   */
  readonly dropReasons: Readonly<Record<string, DropReason>>;
  /**
   * Online views, not dropped, whose stored features applying changes (a feature added, or read from another source
   * column): their next materialization, `--incremental` too, re-reads the ttl window (sorted).
   */
  readonly rereads: readonly string[];
  /** What applying means for reads beyond `drops`, one sentence each (`rereads`: what reads return until then). */
  readonly notes: readonly string[];
  /**
   * The registry's generation the plan was made against (`Registry.generation`; set by `Registry.plan` and in apply
   * results, absent from `computePlan` alone): give it as `expectedGeneration` to apply only onto that registry.
   */
  readonly generation?: number;
}

export type DropReason = 'changed' | 'removed' | 'no_longer_online' | 'offline';

export interface VersionRecord {
  readonly kind: DefinitionKind;
  readonly name: string;
  readonly version: number;
  readonly hash: string;
  readonly applied_at: string;
  /** null when this version records a removal. */
  readonly definition: Definition | null;
  /** Who applied it (`Registry.versions` only; null: applied before this was recorded). */
  readonly applied_by?: AppliedBy | null;
}

export interface ApplyResult {
  readonly plan: Plan;
  readonly applied: readonly VersionRecord[];
  /** The registry's generation after the apply (the plan's own when nothing changed): the next apply's `expectedGeneration`. */
  readonly generation: number;
}

export interface ApplyOptions {
  readonly allowBreaking?: boolean;
  /**
   * Apply only if the registry is still at this generation (`Registry.generation`, a plan's `generation`), checked
   * inside the apply's transaction; otherwise a 409 `registry_changed` `ConflictError` (details `expected_generation`
   * and `generation`) and nothing is written: a full set reviewed before a teammate's apply must not revert it.
   */
  readonly expectedGeneration?: number;
  /** Who applies (recorded with the versions): default this process's user and host (`localAppliedBy`). */
  readonly appliedBy?: AppliedBy;
  /** Runs inside the apply's transaction, see `Registry.apply`. */
  readonly inTransaction?: (result: ApplyResult) => void;
  /**
   * Runs inside the apply's transaction as soon as the change is planned, before the breaking-change check and any
   * write: throwing rolls it back (the SDK's merged apply, which a concurrent apply must send to merge again rather
   * than be refused as a breaking change the caller never made).
   */
  readonly checkPlan?: (plan: Plan) => void;
}

export interface Registry {
  /** The currently applied definitions (re-read when another process applied). */
  current(): DefinitionSet;
  /** Version and hash of each current object, keyed `kind/name`. */
  currentVersions(): ReadonlyMap<string, VersionRecord>;
  /** The removal of each object whose last version removed it (its history stays in `versions`), keyed `kind/name`. */
  removedVersions(): ReadonlyMap<string, VersionRecord>;
  plan(defs: readonly Definition[]): Plan;
  /**
   * Apply in one transaction. `inTransaction` runs inside it once the change is
   * planned and written (before the commit): what it writes commits with the
   * change or not at all.
   */
  apply(defs: readonly Definition[], options?: ApplyOptions): ApplyResult;
  /**
   * `apply`, waiting for another process's write lock on a timer instead of in SQLite's synchronous busy handler
   * (for as long as the latter would: the state database's busy timeout): a server applying goes on answering
   * other requests meanwhile. A lock held longer is a 409 `registry_busy`, as with `apply`.
   */
  applyWhenFree(defs: readonly Definition[], options?: ApplyOptions): Promise<ApplyResult>;
  versions(kind: DefinitionKind, name: string): VersionRecord[];
  /**
   * Changes whenever anything is applied, by any process. With `maxAgeMs`, a
   * value read from the database at most that long ago may be returned (an
   * apply through this registry is always seen at once): the online read path
   * asks once per request and this saves it a query.
   */
  generation(maxAgeMs?: number): number;
}
