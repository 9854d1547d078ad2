/**
 * The contract every check family implements: a `Check` receives the run's
 * context (rows in a DuckDB table, resolved policies, current and reference
 * profiles) and returns result records (QUALITY-CHECKS.md §1). A check never
 * throws for bad data: a failed check is a record with status `fail`. If a check
 * throws anyway, the stage records `error` for it (never a silent pass).
 *
 * @example
 * export const myCheck: Check = async (ctx) => [
 *   result(ctx, { check: 'schema', method: 'type', feature: 'x', status: 'pass', message: 'x is DOUBLE' }),
 * ];
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { DefinitionSet, FeatureDef, FeatureServiceDef, FeatureViewDef } from '../definitions/types.js';
import type { Project } from '../project.js';
import type { CheckResult, CheckStatus, Run, RunKind } from '../runs/types.js';
import { subPolicy, type Policy, type QualityFamily, type ResolvedQuality } from './config.js';
import type { ColumnProfile, ReferenceProfiles } from './profile-types.js';
import type { PushPool } from './push-pool.js';
import type { RowPass } from './row-pass.js';
import type { DatasetGuardInfo } from './stage.js';

/** A feature column under check, with its definition. */
export interface CheckedFeature {
  /** Column name in `ctx.table`. */
  readonly column: string;
  /** The view it belongs to. */
  readonly view: string;
  readonly def: FeatureDef;
  /** Quality resolved for this feature (project ← view/service ← feature). */
  readonly quality: ResolvedQuality;
}

/** A column of `ctx.table` with its DuckDB type. */
export interface TableColumn {
  readonly name: string;
  /** DuckDB type as `DESCRIBE` prints it (`DOUBLE`, `VARCHAR`, `TIMESTAMP`, `FLOAT[]`...). */
  readonly type: string;
}

export interface CheckContext {
  readonly project: Project;
  /** The definitions the run's rows were built with: checks read sources, entities and views here, never from the registry. */
  readonly definitions: DefinitionSet;
  /** Connection on which `table` exists. Checks may create temp tables/views prefixed `fg_<check>_`. */
  readonly conn: DuckDBConnection;
  /** The rows under check (see `GuardStageInput.table`). */
  readonly table: string;
  readonly kind: RunKind;
  readonly run: Run;
  readonly view?: FeatureViewDef;
  readonly service?: FeatureServiceDef;
  readonly dataset?: DatasetGuardInfo;
  readonly window?: { readonly start: Date; readonly end: Date };
  /** Wall clock of the stage (checks use this, never `new Date()`, so tests can pin it). */
  readonly now: Date;
  /** Quality resolved at view (or service) level: project ← view/service. */
  readonly quality: ResolvedQuality;
  /** The checked feature columns (view features, or the dataset's joined features). */
  readonly features: readonly CheckedFeature[];
  /** Join key column names (view or dataset entity rows). */
  readonly joinKeys: readonly string[];
  /** Column holding the event timestamp (`event_timestamp`), null when the table has none. */
  readonly eventTimestampColumn: string | null;
  /** Column holding the created timestamp, null when absent or always null. */
  readonly createdTimestampColumn: string | null;
  /** Every column of `table` as DuckDB describes it. */
  readonly columns: readonly TableColumn[];
  readonly rowCount: number;
  /** Current profiles by column name. */
  readonly profiles: ReadonlyMap<string, ColumnProfile>;
  /** Current slice profiles: slice column → slice value → column → profile. */
  readonly sliceProfiles: ReadonlyMap<string, ReadonlyMap<string, ReadonlyMap<string, ColumnProfile>>>;
  /**
   * A push of fewer rows than drift's `min_rows` pooled with the view's latest earlier small pushes (push-pool.ts):
   * drift and the null and outlier rates judge its features on the pool's profiles (`judgedProfile`).
   */
  readonly pool?: PushPool | null;
  /** The drift reference, or null on a first run without a baseline. */
  readonly reference: ReferenceProfiles | null;
  /** Why there is no reference when one was configured but is missing (drift records `error`). */
  readonly referenceProblem?: string | null;
  /** Why there is no reference (no baseline, no earlier run that qualifies), for the drift check's message. */
  readonly referenceReason?: string;
  /** The stage's one pass over the rows (profile aggregates, day checksums, row counts), when it ran. */
  readonly rowPass?: RowPass;
  /** SQL relation (usable after FROM) over the view's whole source in canonical columns, for re-reading history. */
  readonly sourceRelation?: string | null;
}

/** The profile drift and the null and outlier rates judge a column on: the push's pool when pooled, else the rows' own. */
export function judgedProfile(ctx: Pick<CheckContext, 'profiles' | 'pool'>, column: string): ColumnProfile | undefined {
  return ctx.pool?.profiles.get(column) ?? ctx.profiles.get(column);
}

/** A check family. */
export type Check = (ctx: CheckContext) => Promise<CheckResult[]>;

/** A named family the stage runs. */
export interface CheckFamily {
  readonly family: QualityFamily;
  /** Sub-name when a family has several parts (e.g. `pii` in leakage). */
  readonly name?: string;
  /** Run kinds the family applies to (default: all). */
  readonly kinds?: readonly RunKind[];
  readonly run: Check;
}

/** Fields of a result record a check sets; the rest get defaults. */
export interface ResultInit {
  /** Family name: schema, provenance, class_imbalance, leakage, drift, anomaly. */
  check: QualityFamily;
  status: CheckStatus;
  message: string;
  /** Sub-check or statistical method (`type`, `tampering`, `psi`, `volume`...). */
  method?: string | null;
  feature?: string | null;
  slice?: string | null;
  value?: number | null;
  thresholds?: Record<string, number> | null;
  metrics?: Record<string, number | null> | null;
  details?: Record<string, unknown> | null;
  /** Policy in force; default: the family's (sub-)policy for this feature. */
  policy?: Policy;
  /** Sub-policy key when it differs from `method` (`tampering`, `future_timestamps`, `temporal`, `pii`). */
  sub?: string;
}

/** Build a result record with defaults (run id, nulls, the policy in force). */
export function result(ctx: Pick<CheckContext, 'run' | 'features' | 'quality'>, init: ResultInit): CheckResult {
  const feature = init.feature ?? null;
  const q = (feature && ctx.features.find((f) => f.column === feature)?.quality) || ctx.quality;
  return {
    run_id: ctx.run.id,
    check: init.check,
    feature,
    slice: init.slice ?? null,
    status: init.status,
    policy: init.policy ?? subPolicy(q, init.check, init.sub),
    method: init.method ?? null,
    value: init.value ?? null,
    thresholds: init.thresholds ?? null,
    metrics: init.metrics ?? null,
    message: init.message,
    details: init.details ?? null,
  };
}

/** Policy of a family (or sub-check) for a feature column, or at view level when `feature` is omitted. */
export function policyOf(ctx: CheckContext, family: QualityFamily, sub?: string, feature?: string): Policy {
  const q = (feature && ctx.features.find((f) => f.column === feature)?.quality) || ctx.quality;
  return subPolicy(q, family, sub);
}

/** A `skipped` record with the reason. */
export function skipped(ctx: CheckContext, check: QualityFamily, message: string, extra: Partial<ResultInit> = {}): CheckResult {
  return result(ctx, { ...extra, check, status: 'skipped', message });
}

/** Rows of a query as JSON-friendly objects (BIGINT → string, so use `Number()` on counts). */
export async function queryRows(ctx: Pick<CheckContext, 'conn'>, sql: string): Promise<Record<string, unknown>[]> {
  const reader = await ctx.conn.runAndReadAll(sql);
  return reader.getRowObjectsJson() as Record<string, unknown>[];
}
