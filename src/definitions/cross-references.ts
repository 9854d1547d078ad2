/**
 * Checks across definitions (after each passed its JSON Schema; the references of one that did not, too): references to
 * entities, sources, views and features exist, names are unique, services have no
 * colliding feature names, labels come from label views, constraints fit types,
 * paths stay under the project root, schedules are valid cron expressions.
 */
import type { DefinitionProblem } from '../errors.js';
import { cronProblem } from '../scheduler/cron.js';
import { definitionOrigin, problemAt } from './origins.js';
import { patternMessage, re2Problem } from './pattern-check.js';
import { OWN_FILES_RULE, offLimitsGlobReason, offLimitsReason } from './own-files.js';
import { asSourceRoots, isGlob, ownPlacesUnder, resolveSourcePath, sourceFormat, sourcePlaces, type SourceRoots } from './source-location.js';
import { didYouMean, suggestionBudget, type SuggestionBudget } from './suggest.js';
import type { Definition, DefinitionKind, EntityDef, FeatureDef, FeatureServiceDef, FeatureViewDef, SourceDef } from './types.js';
import { pointerToken } from '../json-pointer.js';
import type { ReferenceFields, ServiceReferences, ViewReferences } from './reference-fields.js';

/** Column names featureguard itself puts next to join keys and features. */
export const RESERVED_COLUMNS = ['event_timestamp', 'created_timestamp'] as const;

/** Names seen per kind, including objects that failed their schema (so they do not also show up as "unknown"). */
export type KnownNames = ReadonlyMap<DefinitionKind, ReadonlySet<string>>;

const NUMERIC = new Set(['int32', 'int64', 'float32', 'float64']);
const FLOAT = new Set(['float32', 'float64', 'float32[]', 'float64[]']);

/**
 * All cross-reference problems of a set of schema-valid definitions, and of the references of views and services
 * that failed their schema (`partial`, `referenceFields`: as far as the fields they are in are well-typed).
 */
export function checkCrossReferences(defs: readonly Definition[], root: string | SourceRoots, known?: KnownNames, partial: readonly ReferenceFields[] = []): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  // One budget for every suggestion below: a set naming thousands of unknown names would otherwise compare each
  // with every known name (a request of a hundred kilobytes held the server for seconds).
  const budget = suggestionBudget();
  const byKind = {
    entity: new Map<string, EntityDef>(),
    source: new Map<string, SourceDef>(),
    feature_view: new Map<string, FeatureViewDef>(),
    feature_service: new Map<string, FeatureServiceDef>(),
  };
  for (const d of defs) {
    const map = byKind[d.kind] as Map<string, Definition>;
    const first = map.get(d.name);
    if (first) {
      const o = definitionOrigin(first);
      const pos = o.locate('/name');
      const where = pos.line === undefined ? o.file : `${o.file}:${pos.line}:${pos.column}`;
      problems.push(problemAt(d, '/name', `duplicate ${d.kind} name '${d.name}' (first defined at ${where})`));
    } else map.set(d.name, d);
  }
  const isKnown = (kind: DefinitionKind, name: string): boolean => (byKind[kind] as Map<string, unknown>).has(name) || (known?.get(kind)?.has(name) ?? false);
  const unknown = (kind: DefinitionKind, name: string): string => {
    return `unknown ${kind.replace('_', ' ')} '${name}'${didYouMean(name, (byKind[kind] as Map<string, unknown>).keys(), budget)}`;
  };

  for (const e of byKind.entity.values()) checkEntity(e, problems);
  const roots = asSourceRoots(root);
  for (const s of byKind.source.values()) checkSource(s, roots, problems);
  for (const v of byKind.feature_view.values()) {
    const keyOwner = checkViewReferences(v, byKind.entity, isKnown, unknown, problems);
    checkFeatures(v, new Set(keyOwner.keys()), budget, problems);
    const cronIssue = v.schedule === undefined ? null : cronProblem(v.schedule);
    if (cronIssue) {
      // Also a cron node-cron's validate accepts but that never fires: serve could not schedule it.
      problems.push(problemAt(v, '/schedule', cronIssue));
    } else if (v.schedule !== undefined && v.online !== true) {
      problems.push(problemAt(v, '/schedule', `a schedule materializes the view into the online store, which it is not in: set online: true, or remove the schedule`));
    }
  }
  for (const s of byKind.feature_service.values()) checkService(s, byKind.feature_view, byKind.entity, isKnown, unknown, budget, problems);
  for (const p of partial) {
    if (p.kind === 'feature_view') checkViewReferences(p, byKind.entity, isKnown, unknown, problems);
    else checkService(p, byKind.feature_view, byKind.entity, isKnown, unknown, budget, problems);
  }
  return problems;
}

/** A view's source and entities exist, and no two of its entities share a join key; returns its join keys (key -> entity). */
function checkViewReferences(
  v: ViewReferences,
  entities: ReadonlyMap<string, EntityDef>,
  isKnown: (kind: DefinitionKind, name: string) => boolean,
  unknown: (kind: DefinitionKind, name: string) => string,
  problems: DefinitionProblem[],
): Map<string, string> {
  if (v.source !== undefined && !isKnown('source', v.source)) problems.push(problemAt(v, '/source', unknown('source', v.source)));
  const keyOwner = new Map<string, string>();
  v.entities.forEach((name, i) => {
    if (typeof name !== 'string') return;
    const ent = entities.get(name);
    if (!ent) {
      if (!isKnown('entity', name)) problems.push(problemAt(v, `/entities/${i}`, unknown('entity', name)));
      return;
    }
    for (const k of ent.join_keys) {
      const other = keyOwner.get(k.name);
      if (other !== undefined && other !== name) {
        problems.push(problemAt(v, `/entities/${i}`, `entities '${other}' and '${name}' both have join key '${k.name}'`));
      }
      keyOwner.set(k.name, name);
    }
  });
  return keyOwner;
}

function checkEntity(e: EntityDef, problems: DefinitionProblem[]): void {
  const seen = new Map<string, number>();
  e.join_keys.forEach((k, i) => {
    const first = seen.get(k.name);
    if (first !== undefined) problems.push(problemAt(e, `/join_keys/${i}/name`, `duplicate join key '${k.name}' (also /join_keys/${first})`));
    else seen.set(k.name, i);
    if ((RESERVED_COLUMNS as readonly string[]).includes(k.name)) {
      problems.push(problemAt(e, `/join_keys/${i}/name`, `'${k.name}' is reserved for featureguard's own timestamp column; rename it (field_mapping can rename source columns)`));
    }
  });
}

function checkSource(s: SourceDef, roots: SourceRoots, problems: DefinitionProblem[]): void {
  for (const key of ['path', 'database'] as const) {
    const p = s[key];
    if (p === undefined) continue;
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(p) || p.includes('\0')) {
      problems.push(problemAt(s, `/${key}`, `'${p.replaceAll('\0', '\\0')}' is not a file path; sources are files inside the project folder or a data root (no URLs, no NUL characters)`));
    } else {
      const abs = resolveSourcePath(roots, p);
      if (abs === undefined) {
        problems.push(problemAt(s, `/${key}`, `'${p}' is outside ${sourcePlaces(roots)}; sources must be files inside the project folder, or under a folder listed in data_roots in featureguard.yaml`));
        continue;
      }
      const own = key === 'path' && isGlob(p) ? offLimitsGlobReason(ownPlacesUnder(roots), abs) : offLimitsReason(ownPlacesUnder(roots), abs);
      if (own !== undefined) problems.push(problemAt(s, `/${key}`, `'${p}' ${own}; ${OWN_FILES_RULE}`));
    }
  }
  if (s.path !== undefined && sourceFormat(s) === undefined) {
    problems.push(problemAt(s, '/path', `cannot tell the format of '${s.path}' from its extension; add format: parquet or format: csv`));
  }
  const target = new Map<string, string>();
  const folded = new Map<string, string>();
  for (const [column, name] of Object.entries(s.field_mapping ?? {})) {
    const same = folded.get(column.toLowerCase());
    if (same !== undefined) {
      problems.push(problemAt(s, `/field_mapping/${pointerToken(column)}`, `columns '${same}' and '${column}' differ only in letter case: DuckDB matches column names case-insensitively, so both name one column; map it once`));
    }
    folded.set(column.toLowerCase(), column);
    const other = target.get(name);
    if (other !== undefined) problems.push(problemAt(s, `/field_mapping/${pointerToken(column)}`, `columns '${other}' and '${column}' are both mapped to '${name}'`));
    target.set(name, column);
  }
}

function checkFeatures(v: FeatureViewDef, joinKeys: ReadonlySet<string>, budget: SuggestionBudget, problems: DefinitionProblem[]): void {
  const seen = new Map<string, number>();
  v.features.forEach((f, i) => {
    const at = `/features/${i}`;
    const first = seen.get(f.name);
    if (first !== undefined) problems.push(problemAt(v, `${at}/name`, `duplicate feature name '${f.name}' (also /features/${first})`));
    else seen.set(f.name, i);
    if (joinKeys.has(f.name)) problems.push(problemAt(v, `${at}/name`, `feature '${f.name}' has the name of a join key of this view; rename it`));
    if ((RESERVED_COLUMNS as readonly string[]).includes(f.name)) {
      problems.push(problemAt(v, `${at}/name`, `'${f.name}' is reserved for featureguard's own timestamp column; rename the feature (field_mapping can rename source columns)`));
    }
    for (const m of constraintProblems(f)) problems.push(problemAt(v, `${at}/${m.key}`, m.message));
  });
  (v.slices ?? []).forEach((s, i) => {
    if (!seen.has(s) && !joinKeys.has(s)) {
      problems.push(problemAt(v, `/slices/${i}`, `unknown column '${s}': slices name a join key or a feature of this view${didYouMean(s, [...joinKeys, ...seen.keys()], budget)}`));
    }
  });
}

/**
 * An integer constraint beyond ±(2^53 - 1): definitions are read as JavaScript numbers, which hold such
 * integers only approximately (9007199254740993 reads as 9007199254740992), so the check would compare
 * against another value than the one written.
 */
function inexactInteger(f: FeatureDef, value: unknown): boolean {
  return (f.type === 'int64' || f.type === 'int32') && typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value);
}

function inexactMessage(value: number): string {
  return `${BigInt(value)} is beyond ±9007199254740991: integers this large are not read exactly from a definition (it may have been written as another number); use a smaller bound`;
}

function constraintProblems(f: FeatureDef): { key: string; message: string }[] {
  const out: { key: string; message: string }[] = [];
  const numeric = NUMERIC.has(f.type);
  for (const key of ['min', 'max'] as const) {
    if (f[key] !== undefined && !numeric) out.push({ key, message: `'${key}' applies to numeric features only (this one is ${f.type})` });
  }
  if (f.min !== undefined && f.max !== undefined && f.min > f.max) out.push({ key: 'max', message: `max (${f.max}) is smaller than min (${f.min})` });
  for (const key of ['pattern', 'min_length', 'max_length'] as const) {
    if (f[key] !== undefined && f.type !== 'string') out.push({ key, message: `'${key}' applies to string features only (this one is ${f.type})` });
  }
  const re2 = f.type === 'string' && typeof f.pattern === 'string' ? re2Problem(f.pattern) : undefined;
  if (re2 !== undefined) out.push({ key: 'pattern', message: patternMessage(f.pattern!, re2) });
  if (f.min_length !== undefined && f.max_length !== undefined && f.min_length > f.max_length) {
    out.push({ key: 'max_length', message: `max_length (${f.max_length}) is smaller than min_length (${f.min_length})` });
  }
  if (f.allow_nan !== undefined && !FLOAT.has(f.type)) out.push({ key: 'allow_nan', message: `'allow_nan' applies to float features only (this one is ${f.type})` });
  (f.allowed_values ?? []).forEach((value, i) => {
    const ok = f.type === 'string' ? typeof value === 'string' : f.type === 'bool' ? typeof value === 'boolean' : numeric ? typeof value === 'number' && (f.type.startsWith('float') || Number.isInteger(value)) : false;
    if (!ok) out.push({ key: `allowed_values/${i}`, message: `${JSON.stringify(value)} is not a valid ${f.type} value` });
    else if (inexactInteger(f, value)) out.push({ key: `allowed_values/${i}`, message: inexactMessage(value as number) });
  });
  for (const key of ['min', 'max'] as const) {
    if (inexactInteger(f, f[key])) out.push({ key, message: inexactMessage(f[key] as number) });
  }
  return out;
}

/** Feature name -> the views that have it (sorted), per set of views: built once, on the first bare reference. */
const viewsByFeature = new WeakMap<ReadonlyMap<string, FeatureViewDef>, Map<string, string[]>>();

/**
 * The problem of a service reference naming no view: a bare feature name (`txn_count`, no `view:`) is offered as the
 * reference to the view that has that feature (`user_stats:txn_count`), or to each of those that do; anything else
 * gets the closest view name.
 */
function unknownView(viewName: string, featureName: string | undefined, views: ReadonlyMap<string, FeatureViewDef>, unknown: (kind: DefinitionKind, name: string) => string): string {
  if (featureName === undefined) {
    let index = viewsByFeature.get(views);
    if (!index) {
      index = new Map();
      for (const v of views.values()) {
        for (const f of v.features) {
          const names = index.get(f.name);
          if (names) names.push(v.name);
          else index.set(f.name, [v.name]);
        }
      }
      for (const names of index.values()) names.sort();
      viewsByFeature.set(views, index);
    }
    const owners = index.get(viewName);
    if (owners) {
      // At most five named: a feature name many views share (`value`) would otherwise make the message a list.
      return `unknown feature view '${viewName}' (did you mean ${listReferences(owners.map((v) => `${v}:${viewName}`))}? a service names a feature as view:feature)`;
    }
  }
  return unknown('feature_view', viewName);
}

/** `'a'`, `'a' or 'b'`, `'a', 'b' or 'c'`; at most five named (a name many views share would make the message a list). */
function listReferences(refs: readonly string[]): string {
  const shown = refs.slice(0, 5).map((r) => `'${r}'`);
  const more = refs.length - shown.length;
  if (more > 0) return `${shown.join(', ')} or ${more} more`;
  return shown.length <= 2 ? shown.join(' or ') : `${shown.slice(0, -1).join(', ')} or ${shown[shown.length - 1]}`;
}

function checkService(
  s: ServiceReferences,
  views: ReadonlyMap<string, FeatureViewDef>,
  entities: ReadonlyMap<string, EntityDef>,
  isKnown: (kind: DefinitionKind, name: string) => boolean,
  unknown: (kind: DefinitionKind, name: string) => string,
  budget: SuggestionBudget,
  problems: DefinitionProblem[],
): void {
  checkServiceKeys(s, views, entities, problems);
  // feature name -> the view and reference that first brought it in
  const provided = new Map<string, { view: string; at: string }>();
  const add = (name: string, view: string, at: string): void => {
    const first = provided.get(name);
    if (first && first.view !== view) {
      problems.push(problemAt(s, at, `feature name '${name}' comes from both views '${first.view}' (${first.at}) and '${view}'; datasets and online reads would have two '${name}' columns`));
    } else if (!first) provided.set(name, { view, at });
  };
  s.features.forEach((ref, i) => {
    if (typeof ref !== 'string') return;
    const at = `/features/${i}`;
    const [viewName, featureName] = ref.split(':', 2) as [string, string | undefined];
    const view = views.get(viewName);
    if (!view) {
      if (!isKnown('feature_view', viewName)) problems.push(problemAt(s, at, unknownView(viewName, featureName, views, unknown)));
      return;
    }
    if (featureName === undefined || featureName === '*') {
      for (const f of view.features) add(f.name, viewName, at);
      return;
    }
    if (!view.features.some((f) => f.name === featureName)) {
      problems.push(problemAt(s, at, `feature view '${viewName}' has no feature '${featureName}'${didYouMean(featureName, view.features.map((f) => f.name), budget)}`));
      return;
    }
    add(featureName, viewName, at);
  });
  if (s.label !== undefined) {
    // Without ':' (`label: churn_label`, which its schema refuses too) featureName is undefined.
    const [viewName, featureName] = s.label.split(':', 2) as [string, string | undefined];
    const view = views.get(viewName);
    if (!view) {
      if (!isKnown('feature_view', viewName)) problems.push(problemAt(s, '/label', unknownView(viewName, featureName, views, unknown)));
    } else if (view.role !== 'label') {
      problems.push(problemAt(s, '/label', `'${viewName}' is not a label view: a label must come from a feature view with role: label`));
    } else if (featureName === undefined) {
      const refs = view.features.map((f) => `${viewName}:${f.name}`);
      problems.push(problemAt(s, '/label', `label '${s.label}' names a view, not a feature: use the form view:feature, ${refs.length === 1 ? 'i.e.' : 'e.g.'} ${listReferences(refs)}`));
    } else if (!view.features.some((f) => f.name === featureName)) {
      problems.push(problemAt(s, '/label', `label view '${viewName}' has no feature '${featureName}'${didYouMean(featureName, view.features.map((f) => f.name), budget)}`));
    } else add(featureName, viewName, '/label');
    const listed = s.features.findIndex((ref) => typeof ref === 'string' && ref.split(':', 1)[0] === viewName);
    if (view?.role === 'label' && listed >= 0) {
      problems.push(problemAt(s, `/features/${listed}`, `label view '${viewName}' is the service's label (${s.label}): it is joined once, through label; remove it from features`));
    }
  }
}

/**
 * The join keys of a service's views, which requests and entity rows give once for all of them: one name must
 * mean one type. (A feature named like one of them is refused where it collides: a read or build without full
 * feature names.)
 */
function checkServiceKeys(s: ServiceReferences, views: ReadonlyMap<string, FeatureViewDef>, entities: ReadonlyMap<string, EntityDef>, problems: DefinitionProblem[]): void {
  const listed = s.features.flatMap((ref, i) => (typeof ref === 'string' ? [{ ref, at: `/features/${i}` }] : []));
  const refs = [...listed, ...(s.label ? [{ ref: s.label, at: '/label' }] : [])];
  const keys = new Map<string, { type: string; entity: string; at: string }>();
  for (const { ref, at } of refs) {
    for (const e of views.get(ref.split(':', 1)[0])?.entities ?? []) {
      for (const k of entities.get(e)?.join_keys ?? []) {
        const first = keys.get(k.name);
        if (!first) keys.set(k.name, { type: k.type, entity: e, at });
        else if (first.type !== k.type) {
          problems.push(problemAt(s, at, `join key '${k.name}' is ${k.type} in entity '${e}' but ${first.type} in entity '${first.entity}' (${first.at}); a request gives one '${k.name}' for both`));
        }
      }
    }
  }
}

/**
 * Alerts of `featureguard.yaml` filtering on a view or service the definitions do not have: such an alert never
 * fires for it (a misspelt name is a dead retraining trigger). `validate` reports them; a name may also be
 * stale, left after a view was removed.
 */
export function alertReferenceProblems(alerts: readonly { readonly name: string; readonly views?: readonly string[]; readonly services?: readonly string[] }[], defs: readonly Definition[]): DefinitionProblem[] {
  const names = (kind: DefinitionKind) => defs.filter((d) => d.kind === kind).map((d) => d.name);
  const problems: DefinitionProblem[] = [];
  const budget = suggestionBudget();
  alerts.forEach((alert, i) => {
    for (const [field, kind, what] of [['views', 'feature_view', 'feature view'], ['services', 'feature_service', 'feature service']] as const) {
      const known = names(kind);
      (alert[field] ?? []).forEach((name, j) => {
        if (known.includes(name)) return;
        problems.push({ file: 'featureguard.yaml', path: `/alerts/${i}/${field}/${j}`, message: `alert '${alert.name}' filters on ${what} '${name}', which is not defined: it never fires for it${didYouMean(name, known, budget)}` });
      });
    }
  });
  return problems;
}

/**
 * Service features named like a join key of another view of the same service: the dataset's (and an online read's)
 * column of that name would be both the key and the feature, so every build or read without full feature names
 * fails. A warning of `validate` (full feature names do work), at the service's reference that brings the feature in.
 */
export function serviceKeyNameWarnings(defs: readonly Definition[]): DefinitionProblem[] {
  const views = new Map(defs.filter((d): d is FeatureViewDef => d.kind === 'feature_view').map((v) => [v.name, v]));
  const entities = new Map(defs.filter((d): d is EntityDef => d.kind === 'entity').map((e) => [e.name, e]));
  const out: DefinitionProblem[] = [];
  for (const s of defs) {
    if (s.kind !== 'feature_service') continue;
    const viewNames = [...new Set([...s.features, ...(s.label ? [s.label] : [])].map((ref) => ref.split(':', 1)[0]))];
    // join key -> the first view of the service keyed by it
    const keyOwner = new Map<string, string>();
    for (const name of viewNames) for (const e of views.get(name)?.entities ?? []) for (const k of entities.get(e)?.join_keys ?? []) if (!keyOwner.has(k.name)) keyOwner.set(k.name, name);
    s.features.forEach((ref, i) => {
      const [viewName, featureName] = ref.split(':', 2) as [string, string | undefined];
      const view = views.get(viewName);
      if (!view) return;
      const own = new Set(view.entities.flatMap((e) => entities.get(e)?.join_keys.map((k) => k.name) ?? []));
      for (const f of view.features) {
        if (featureName !== undefined && featureName !== '*' && f.name !== featureName) continue;
        const keyView = keyOwner.get(f.name);
        if (keyView === undefined || own.has(f.name)) continue;
        out.push(problemAt(s, `/features/${i}`, `feature '${viewName}:${f.name}' is named like join key '${f.name}' of view '${keyView}' in this service: datasets and online reads without full feature names fail; rename the feature`));
      }
    });
  }
  return out;
}
