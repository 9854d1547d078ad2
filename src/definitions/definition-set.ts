/** Helpers over a project's definitions: lookup by name and feature references. */
import { contentHash } from '../registry/canonical.js';
import { NotFoundError, InputError } from '../errors.js';
import { didYouMean } from './suggest.js';
import type { Definition, DefinitionSet, EntityDef, FeatureDef, FeatureServiceDef, FeatureViewDef, JoinKey } from './types.js';

export function definitionSet(defs: readonly Definition[]): DefinitionSet {
  const entities = new Map<string, EntityDef>();
  const sources = new Map();
  const views = new Map<string, FeatureViewDef>();
  const services = new Map<string, FeatureServiceDef>();
  for (const d of defs) {
    if (d.kind === 'entity') entities.set(d.name, d);
    else if (d.kind === 'source') sources.set(d.name, d);
    else if (d.kind === 'feature_view') views.set(d.name, d);
    else services.set(d.name, d);
  }
  return { entities, sources, views, services };
}

export function allDefinitions(set: DefinitionSet): Definition[] {
  return [...set.entities.values(), ...set.sources.values(), ...set.views.values(), ...set.services.values()];
}

export function getView(set: DefinitionSet, name: string): FeatureViewDef {
  const v = set.views.get(name);
  // A name given in a request body or a flag: a bad request (400), as an unknown feature is, not a missing URL.
  if (!v) throw new InputError(`unknown feature view '${name}'${didYouMean(name, set.views.keys())}`, { known: [...set.views.keys()] }, 'unknown_view');
  return v;
}

export function getService(set: DefinitionSet, name: string): FeatureServiceDef {
  const s = set.services.get(name);
  if (!s) throw new InputError(`unknown feature service '${name}'${didYouMean(name, set.services.keys())}`, { known: [...set.services.keys()] }, 'unknown_service');
  return s;
}

/** Join keys of a view, in entity order. */
export function viewJoinKeys(set: DefinitionSet, view: FeatureViewDef): JoinKey[] {
  return view.entities.flatMap((e) => {
    const ent = set.entities.get(e);
    if (!ent) throw new NotFoundError(`feature view '${view.name}' names unknown entity '${e}'`);
    return ent.join_keys;
  });
}

/**
 * The identity of what a view's online values are computed from: its features' names and types, where its
 * source reads them (path, table or query, time columns, field mapping) and its join keys (a content hash). Online stores write a row of equal timestamps again when this differs (`BeginWriteOptions`).
 */
export function onlineDefinition(set: DefinitionSet, view: FeatureViewDef): string {
  // Only what decides the values: a description, a constraint or the ttl (applied on reads) rewrites nothing.
  const source = set.sources.get(view.source);
  const from = source && { path: source.path, format: source.format, database: source.database, table: source.table, query: source.query,
    timestamp_field: source.timestamp_field, created_timestamp_field: source.created_timestamp_field, field_mapping: source.field_mapping };
  return contentHash({
    features: view.features.map((f) => [f.name, f.type]), source: from ?? null, join_keys: viewJoinKeys(set, view).map((k) => [k.name, k.type]),
  }).slice(0, 16);
}

/** Features of one view selected for a request. */
export interface ViewSelection {
  readonly view: FeatureViewDef;
  readonly features: readonly FeatureDef[];
}

/**
 * Resolve references (`view`, `view:*`, `view:feature`) into per-view selections,
 * in first-mention order. Unknown views or features are an `InputError`.
 */
export function resolveFeatureRefs(set: Pick<DefinitionSet, 'views'>, refs: readonly string[]): ViewSelection[] {
  const out = new Map<string, { view: FeatureViewDef; features: FeatureDef[] }>();
  for (const ref of refs) {
    if (typeof ref !== 'string' || ref.split(':').length > 2) {
      throw new InputError(`'${String(ref)}' is not a feature reference: use view, view:* or view:feature`, { reference: String(ref) }, 'unknown_feature');
    }
    const [viewName, featureName] = ref.split(':', 2) as [string, string | undefined];
    const view = set.views.get(viewName);
    if (!view) throw new InputError(`unknown feature view '${viewName}' in reference '${ref}'${didYouMean(viewName, set.views.keys())}`, { known: [...set.views.keys()] }, 'unknown_feature');
    let sel = out.get(viewName);
    if (!sel) out.set(viewName, (sel = { view, features: [] }));
    const wanted = featureName === undefined || featureName === '*' ? view.features : view.features.filter((f) => f.name === featureName);
    if (wanted.length === 0) {
      throw new InputError(`unknown feature '${featureName}' in view '${viewName}'${didYouMean(featureName ?? '', view.features.map((f) => f.name))}`, { known: view.features.map((f) => f.name) }, 'unknown_feature');
    }
    for (const f of wanted) if (!sel.features.includes(f)) sel.features.push(f);
  }
  return [...out.values()];
}

/** Names of the features of `view` that references select (empty when none names the view). */
export function featuresOfView(set: Pick<DefinitionSet, 'views'>, refs: readonly string[], view: string): string[] {
  return resolveFeatureRefs(set, refs).filter((s) => s.view.name === view).flatMap((s) => s.features.map((f) => f.name));
}

/** The feature references of a service (without its label). */
export function serviceRefs(service: FeatureServiceDef): string[] {
  return [...service.features];
}
