/**
 * What a dataset request asks for, resolved against the applied definitions:
 * the views to join (in order), their selected features and output column
 * names, the join keys the entity rows need, and the label column of a service.
 * Name collisions are `InputError`s that name both sides.
 */
import type { SourceRoots } from '../definitions/source-location.js';
import { getService, resolveFeatureRefs, viewJoinKeys, type ViewSelection } from '../definitions/definition-set.js';
import { storedDuration } from '../definitions/ttl.js';
import type { DefinitionSet, FeatureServiceDef, FeatureViewDef, JoinKey, SourceDef } from '../definitions/types.js';
import { InputError } from '../errors.js';
import { FULL_NAMES } from '../definitions/full-names.js';
import { foldAscii } from './engine.js';
import type { PitViewSpec } from './point-in-time.js';
import { viewRelationSql, type SourceRelation } from './source-sql.js';

export interface PlannedView {
  readonly view: FeatureViewDef;
  readonly source: SourceDef;
  readonly relation: SourceRelation;
  readonly features: readonly { readonly feature: string; readonly column: string }[];
  /** True for the service's label view (joined for the label column). */
  readonly isLabel: boolean;
  readonly ttlMicros: number;
}

export interface DatasetPlan {
  readonly views: readonly PlannedView[];
  /** Join keys the entity rows must carry, each with the entity that declares it. */
  readonly joinKeys: readonly (JoinKey & { readonly entity: string })[];
  readonly service?: FeatureServiceDef;
  /** Output column of the label (service builds). */
  readonly labelColumn?: string;
  /** The feature references resolved (`view:feature`), in output order. */
  readonly refs: readonly string[];
  /** Feature columns are named `view__feature`. */
  readonly fullFeatureNames: boolean;
}

export interface PlanRequest {
  readonly features?: readonly string[];
  readonly service?: string;
  readonly fullFeatureNames?: boolean;
}

/** Resolve a request into a join plan. */
export function planDataset(roots: SourceRoots, set: DefinitionSet, request: PlanRequest): DatasetPlan {
  if (request.features?.length && request.service) throw new InputError('give features or a service, not both', undefined, 'bad_request');
  if (!request.features?.length && !request.service) throw new InputError('give features (e.g. airport_hourly:mean_delay) or a service', undefined, 'bad_request');
  const service = request.service ? getService(set, request.service) : undefined;
  const selections: { sel: ViewSelection; isLabel: boolean }[] = resolveFeatureRefs(set, service ? service.features : request.features!).map((sel) => ({ sel, isLabel: false }));
  let labelColumn: string | undefined;
  if (service?.label) {
    const [labelSel] = resolveFeatureRefs(set, [service.label]);
    if (labelSel.features.length !== 1) throw new InputError(`label '${service.label}' of service '${service.name}' must name one feature`);
    labelColumn = labelSel.features[0].name;
    selections.push({ sel: labelSel, isLabel: true });
  }
  const full = request.fullFeatureNames ?? false;
  const owner = new Map<string, string>();
  const views = selections.map(({ sel, isLabel }): PlannedView => {
    const source = set.sources.get(sel.view.source);
    if (!source) throw new InputError(`feature view '${sel.view.name}' names unknown source '${sel.view.source}'`);
    const features = sel.features.map((f) => {
      const column = full && !isLabel ? `${sel.view.name}__${f.name}` : f.name;
      const prev = owner.get(column);
      if (prev !== undefined) {
        throw new InputError(
          full
            ? `features of '${prev}' and '${sel.view.name}' both become column '${column}' with full feature names (view__feature: a view or feature name holds '__'); select only one of them`
            : `feature name '${f.name}' is in both '${prev}' and '${sel.view.name}'; use full feature names (${FULL_NAMES}) or select only one`,
          { column, views: [prev, sel.view.name] },
          'feature_name_collision',
        );
      }
      owner.set(column, sel.view.name);
      return { feature: f.name, column };
    });
    return { view: sel.view, source, relation: viewRelationSql(roots, set, sel.view), features, isLabel, ttlMicros: storedDuration(sel.view.ttl) * 1000 };
  });
  const keys = new Map<string, JoinKey & { entity: string }>();
  for (const { view } of views) {
    for (const entity of view.entities) {
      for (const k of viewJoinKeys(set, { ...view, entities: [entity] })) {
        const prev = keys.get(k.name);
        if (prev && prev.type !== k.type) {
          throw new InputError(`join key '${k.name}' is ${prev.type} in entity '${prev.entity}' but ${k.type} in entity '${entity}'`, undefined, 'join_key_conflict');
        }
        if (!prev) keys.set(k.name, { ...k, entity });
      }
    }
  }
  const refs = views.flatMap((v) => v.features.map((f) => `${v.view.name}:${f.feature}`));
  return { views, joinKeys: [...keys.values()], service, labelColumn, refs, fullFeatureNames: full };
}

/**
 * A note for each label view selected as features (`--features churn_label`, no service): its features are
 * written as plain features, the manifest has no label and the label checks (class balance, label coverage,
 * target leakage) are skipped. That is what was asked for; the note says so, and how to build with the label.
 */
export function labelViewNotes(plan: DatasetPlan): string[] {
  if (plan.service) return [];
  return plan.views
    .filter((v) => v.view.role === 'label' && !v.isLabel)
    .map((v) => `${v.view.name} is a label view: its features are written as features and the label checks are skipped; use a service with label: ${v.features.map((f) => `${v.view.name}:${f.feature}`).join(' or ')}`);
}

/**
 * Check output column names against the entity columns. A label the entity rows
 * already carry is taken from them (its view is not joined); any other clash is an error.
 */
export function reconcileWithEntities(plan: DatasetPlan, entityColumns: readonly string[]): DatasetPlan {
  let views = plan.views;
  let joinKeys = plan.joinKeys;
  if (plan.labelColumn && entityColumns.includes(plan.labelColumn)) {
    views = views.filter((v) => !v.isLabel);
    // Keys only the label view needed may be missing (the entity loader let them be, `keysUnless`).
    joinKeys = joinKeys.filter((k) => entityColumns.includes(k.name));
  }
  // DuckDB's column names ignore case: `RISK` and `risk` are one name in a table.
  const have = new Map(entityColumns.map((c) => [foldAscii(c), c]));
  for (const v of views) {
    for (const f of v.features) {
      const clash = have.get(foldAscii(f.column));
      if (clash !== undefined) {
        const same = clash === f.column ? '' : ` (column names ignore case)`;
        // The column is a join key another view of the plan needs: renaming it would break that join.
        const key = joinKeys.find((k) => foldAscii(k.name) === foldAscii(clash));
        const keyView = key && views.find((w) => w !== v && w.view.entities.includes(key.entity))?.view.name;
        const fix = keyView !== undefined
          ? `rename the feature (it clashes with join key '${key!.name}' of view '${keyView}')${plan.fullFeatureNames ? '' : ` or use full feature names (${FULL_NAMES})`}`
          : plan.fullFeatureNames ? 'rename that column' : `rename that column or use full feature names (${FULL_NAMES})`;
        throw new InputError(
          `feature '${v.view.name}:${f.feature}' would be output as '${f.column}', which is already a column of the entity rows${same ? `, '${clash}'${same}` : ''}; ${fix}`,
          { column: clash, view: v.view.name },
          'feature_name_collision',
        );
      }
    }
  }
  return { ...plan, views, joinKeys, refs: views.flatMap((v) => v.features.map((f) => `${v.view.name}:${f.feature}`)) };
}

/** The point-in-time join spec of each planned view. */
export function pitViews(plan: DatasetPlan, set: DefinitionSet): PitViewSpec[] {
  return plan.views.map((v) => ({
    name: v.view.name,
    relationSql: v.relation.select,
    joinKeys: viewJoinKeys(set, v.view).map((k) => k.name),
    features: v.features,
    allFeatures: v.view.features.map((f) => f.name),
    ttlMicros: v.ttlMicros,
    hasCreated: v.source.created_timestamp_field !== undefined,
  }));
}
