/**
 * The plan: what applying the desired definitions would add, change and remove,
 * field by field, and which of those changes are breaking for consumers:
 * - a feature's type changed;
 * - a feature removed (or its whole view removed) that a current or desired
 *   feature service uses (by `view`, `view:*`, `view:feature` or as its label);
 * - a view set to `online: false` (or `online` left out) that a current or desired feature service reads features of
 *   (its label is read offline);
 * - join keys changed: an entity's join keys, or a view's entities;
 * - a source's `timestamp_field` changed, or the column its event times or a reading view's join keys come from
 *   (`field_mapping`), or a view moved to a source that reads either from other columns;
 *   (a source reading other rows with the same columns, another `path`, is not breaking: its views are in `rereads`);
 * - a feature added back to a view with another type than it had in an earlier version (since the view was last
 *   removed): removing a feature leaves its online values, which would then be served as the new type.
 * Pure functions over definitions: the registry runs them inside its transaction.
 */
import { InputError } from '../errors.js';
import type { Definition, DefinitionKind, FeatureServiceDef, FeatureViewDef, EntityDef, SourceDef } from '../definitions/types.js';
import { describeSourceLocation, sourceColumnName } from '../definitions/source-location.js';
import { sourceIdentityChanges } from '../materialize/stored-features.js';
import { canonicalJson } from './canonical.js';
import { ttlLength } from '../definitions/row-shape.js';
import { diffFields } from './diff.js';
import { withoutDefaults } from './without-defaults.js';
import type { DropReason, ObjectChange, Plan } from './types.js';

/** Kinds in dependency order (what plans and listings are sorted by). */
export const KIND_ORDER: readonly DefinitionKind[] = ['entity', 'source', 'feature_view', 'feature_service'];

/** `kind/name`, the registry's key of an object. */
export const objectKey = (kind: DefinitionKind, name: string): string => `${kind}/${name}`;

/** Index definitions by `kind/name`; a duplicate is an `InputError`. */
export function indexDefinitions(defs: readonly Definition[]): Map<string, Definition> {
  const out = new Map<string, Definition>();
  for (const d of defs) {
    const key = objectKey(d.kind, d.name);
    if (out.has(key)) throw new InputError(`${d.kind} '${d.name}' is defined twice`, { kind: d.kind, name: d.name }, 'duplicate_definition');
    out.set(key, d);
  }
  return out;
}

/** The earlier versions of a view since it was last removed, oldest first (see `computePlan`). */
export type PastViews = (view: string) => readonly FeatureViewDef[];

/**
 * Compare the current (applied) definitions with the desired ones.
 *
 * @example
 * const plan = computePlan(allDefinitions(registry.current()), loadDefinitions(root, config));
 * if (plan.breaking) console.log(plan.changes.flatMap((c) => c.breaking));
 */
export function computePlan(current: readonly Definition[], desired: readonly Definition[], pastViews: PastViews = () => []): Plan {
  const cur = indexDefinitions(current);
  const want = indexDefinitions(desired);
  const services = [...cur.values(), ...want.values()].filter((d): d is FeatureServiceDef => d.kind === 'feature_service');
  const changes: ObjectChange[] = [];
  for (const key of new Set([...cur.keys(), ...want.keys()])) {
    const before = cur.get(key);
    const after = want.get(key);
    const { kind, name } = (before ?? after) as Definition;
    if (!before) {
      changes.push({ action: 'add', kind, name, changes: diffFields(null, after), breaking: [] });
    } else if (!after) {
      changes.push({ action: 'remove', kind, name, changes: diffFields(before, null), breaking: breakingReasons(before, undefined, services, want) });
    } else if (canonicalJson(withoutDefaults(before)) === canonicalJson(withoutDefaults(after))) {
      changes.push({ action: 'unchanged', kind, name, changes: [], breaking: [] });
    } else {
      changes.push({ action: 'change', kind, name, changes: diffFields(before, after), breaking: breakingReasons(before, after, services, want, pastViews, cur) });
    }
  }
  changes.sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const drops = viewsToDrop(changes, desired, cur);
  return {
    changes,
    hasChanges: changes.some((c) => c.action !== 'unchanged'),
    breaking: changes.some((c) => c.breaking.length > 0),
    ...dropsOf(drops, cur, want),
    ...withNewViewNotes(rereadsOf(drops, cur, want, pastViews), changes, want),
  };
}

/**
 * An online view added that a service of `want` reads: it has no online values until materialized (a renamed view
 * too: the service's reads of the names it now takes from it are NOT_FOUND meanwhile). Added to `notes`.
 */
function withNewViewNotes(r: Pick<Plan, 'rereads' | 'notes'>, changes: readonly ObjectChange[], want: ReadonlyMap<string, Definition>): Pick<Plan, 'rereads' | 'notes'> {
  const notes = [...r.notes];
  for (const c of changes) {
    const view = c.action === 'add' && c.kind === 'feature_view' ? want.get(objectKey('feature_view', c.name)) : undefined;
    if (view?.kind !== 'feature_view' || view.online !== true) continue;
    const readers = [...want.values()].filter((d): d is FeatureServiceDef => d.kind === 'feature_service' && view.features.some((f) => serviceUses(d, view.name, f.name))).map((s) => s.name);
    if (readers.length === 0) continue;
    const many = readers.length > 1;
    notes.push(`Apply adds ${view.name}: feature service${many ? 's' : ''} ${readers.join(', ')} read${many ? '' : 's'} it, and ${many ? 'their' : 'its'} online reads of ${view.name} return NOT_FOUND until ${view.name} is materialized.`);
  }
  return { rereads: r.rereads, notes };
}

/**
 * Online views (kept, not dropped) whose stored features an apply changes (`Plan.rereads`): a feature added, one
 * read from another source column (`field_mapping`), or rows read from elsewhere: the source's file, table or query
 * changed, or the view moved to another source (`sourceIdentity`). The stored windows do not hold that
 * (`stored-features.ts`), so the next materialization, `--incremental` too, re-reads the ttl window; until then an
 * added feature is NOT_FOUND and a remapped or re-sourced one keeps its old values. Said in `notes`.
 */
function rereadsOf(drops: readonly string[], cur: ReadonlyMap<string, Definition>, want: ReadonlyMap<string, Definition>, pastViews: PastViews = () => []): Pick<Plan, 'rereads' | 'notes'> {
  const rereads: string[] = [];
  const notes: string[] = [];
  for (const after of want.values()) {
    if (after.kind !== 'feature_view' || after.online !== true || drops.includes(after.name)) continue;
    const before = cur.get(objectKey('feature_view', after.name));
    if (before?.kind !== 'feature_view' || before.online !== true) continue;
    const [from, to] = [cur.get(objectKey('source', before.source)) as SourceDef | undefined, want.get(objectKey('source', after.source)) as SourceDef | undefined];
    const column = (source: SourceDef | undefined, f: string) => (source ? sourceColumnName(source, f) : f);
    const had = new Set(before.features.map((f) => f.name));
    const added = after.features.filter((f) => !had.has(f.name)).map((f) => f.name);
    const moved = after.features.filter((f) => had.has(f.name) && column(from, f.name) !== column(to, f.name)).map((f) => f.name);
    const resourced = from && to ? sourceIdentityChanges(from, to) : [];
    if (added.length === 0 && moved.length === 0 && resourced.length === 0) continue;
    rereads.push(after.name);
    const ttl = ttlLength(after.ttl ?? 0) === 0 ? 'the source from its earliest row' : `the last ${after.ttl}`;
    const until = `until the next materialization, which re-reads ${ttl}`;
    // A feature an earlier version (since the view's values were last dropped) had with this type: removing it kept
    // its values, which reads return again unless a materialization since rewrote the entity.
    const past = pastViews(after.name);
    const kept = (f: string) => past.some((v) => v.features.some((g) => g.name === f && g.type === after.features.find((h) => h.name === f)?.type));
    const back = added.filter(kept);
    const fresh = added.filter((f) => !kept(f));
    if (fresh.length > 0) {
      notes.push(`Apply adds ${fresh.join(', ')} to ${after.name}: online reads return NOT_FOUND for ${fresh.length > 1 ? 'them' : 'it'} ${until}.`);
    }
    if (back.length > 0) {
      notes.push(`Apply adds ${back.join(', ')} back to ${after.name}: online reads return the values kept from before ${back.length > 1 ? 'their' : 'its'} removal, or NOT_FOUND where none is kept (an entity never materialized, or materialized since), ${until}.`);
    }
    for (const f of moved) {
      notes.push(`Apply reads ${f} of ${after.name} from column '${column(to, f)}' instead of '${column(from, f)}': online reads return the values read from '${column(from, f)}' ${until}.`);
    }
    if (from && to && resourced.length > 0) notes.push(`${sourceNote(after.name, from, to, resourced)} ${until}.`);
  }
  return { rereads: rereads.sort(), notes };
}

/** The note for a view whose source now gives other rows (`rereadsOf`), up to "until …". */
function sourceNote(view: string, from: SourceDef, to: SourceDef, changed: readonly string[]): string {
  const [a, b] = [describeSourceLocation(from), describeSourceLocation(to)];
  if (from.name !== to.name) {
    return `Apply reads ${view} from source '${to.name}' (${b}) instead of source '${from.name}' (${a}): online reads return the values read from source '${from.name}'`;
  }
  if (a !== b) return `Apply reads ${view} from ${b} instead of ${a} (source '${from.name}'): online reads return the values read from ${a}`;
  const fields = changed.map((k) => ({ timestamp_column: 'event time column', created_column: 'created time column' })[k as string] ?? k);
  return `Apply changes the ${fields.join(', ')} of source '${from.name}', which ${view} reads: online reads return the values read before`;
}

/** The drops, with what dropping means for each (`Plan.dropReasons`): its online state before and after. */
function dropsOf(views: string[], cur: ReadonlyMap<string, Definition>, want: ReadonlyMap<string, Definition>): Pick<Plan, 'drops' | 'dropReasons'> {
  const online = (d: Definition | undefined) => d?.kind === 'feature_view' && d.online === true;
  const reasons: Record<string, DropReason> = {};
  for (const v of views) {
    const before = cur.get(objectKey('feature_view', v));
    const after = want.get(objectKey('feature_view', v));
    if (online(after)) reasons[v] = 'changed';
    else if (!online(before)) reasons[v] = 'offline';
    else reasons[v] = after ? 'no_longer_online' : 'removed';
  }
  return { drops: views, dropReasons: reasons };
}

/**
 * The views whose online values applying the changes invalidates (`Plan.drops`): removed views,
 * views with a breaking change (join keys, a feature's type, a feature in use
 * removed), views no longer online (`online: true` to false or left out: their values are never read or
 * re-materialized again, and would be served if the view went online again), and views of `desired` keyed by an
 * entity whose join keys changed or reading a source whose time column or key columns changed.
 */
function viewsToDrop(changes: readonly ObjectChange[], desired: readonly Definition[], current: ReadonlyMap<string, Definition>): string[] {
  const out = new Set<string>();
  const rekeyed = new Set<string>();
  // A source whose time or key columns changed: its views' values and windows are on another time axis or keyed otherwise.
  const retimed = new Set<string>();
  for (const c of changes) {
    if (c.kind === 'entity' && c.action === 'change' && c.breaking.length > 0) rekeyed.add(c.name);
    if (c.kind === 'source' && c.action === 'change' && c.breaking.length > 0) retimed.add(c.name);
    if (c.kind === 'feature_view' && (c.action === 'remove' || (c.action === 'change' && c.breaking.length > 0))) out.add(c.name);
  }
  for (const d of desired) {
    if (d.kind !== 'feature_view') continue;
    if (d.entities.some((e) => rekeyed.has(e)) || retimed.has(d.source)) out.add(d.name);
    const before = current.get(objectKey('feature_view', d.name));
    if (before?.kind === 'feature_view' && before.online === true && d.online !== true) out.add(d.name);
  }
  return [...out].sort();
}


function breakingReasons(
  before: Definition,
  after: Definition | undefined,
  services: readonly FeatureServiceDef[],
  desired: ReadonlyMap<string, Definition>,
  pastViews: PastViews = () => [],
  current: ReadonlyMap<string, Definition> = new Map(),
): string[] {
  switch (before.kind) {
    case 'entity':
      return entityBreaking(before, after as EntityDef | undefined, desired);
    case 'source':
      return sourceBreaking(before, after as SourceDef | undefined, desired);
    case 'feature_view':
      return [
        ...viewBreaking(before, after as FeatureViewDef | undefined, services, desired),
        ...readdedFeatures(before, after as FeatureViewDef | undefined, pastViews),
        ...sourceSwitched(before, after as FeatureViewDef | undefined, current, desired),
      ];
    default:
      return [];
  }
}

function entityBreaking(before: EntityDef, after: EntityDef | undefined, desired: ReadonlyMap<string, Definition>): string[] {
  if (!after) return [];
  const keys = (e: EntityDef) => e.join_keys.map((k) => `${k.name}:${k.type}`).join(', ');
  if (keys(before) === keys(after)) return [];
  const users = [...desired.values()]
    .filter((d): d is FeatureViewDef => d.kind === 'feature_view' && d.entities.includes(before.name))
    .map((v) => v.name);
  const usedBy = users.length ? ` (used by feature view${users.length > 1 ? 's' : ''} ${users.join(', ')})` : '';
  return [`join keys of entity '${before.name}' changed from [${keys(before)}] to [${keys(after)}]${usedBy}`];
}

/** The source column a source's event times are read from (its `timestamp_field`, through `field_mapping`). */
const timeColumn = (source: SourceDef): string => sourceColumnName(source, source.timestamp_field);

function sourceBreaking(before: SourceDef, after: SourceDef | undefined, desired: ReadonlyMap<string, Definition>): string[] {
  if (!after) return [];
  if (before.timestamp_field !== after.timestamp_field) {
    return [`timestamp field of source '${before.name}' changed from '${before.timestamp_field}' to '${after.timestamp_field}'`];
  }
  // The same name read from another column (field_mapping changed): another time axis all the same.
  if (timeColumn(before) !== timeColumn(after)) {
    return [`event times of source '${before.name}' are read from column '${timeColumn(after)}' instead of '${timeColumn(before)}' (field_mapping changed)`];
  }
  // A join key read from another column: the rows are keyed by other entities, and the values stored under
  // keys the new column does not have would be served on (re-materializing overwrites only the keys it reads).
  const keys = [...desired.values()]
    .filter((d): d is FeatureViewDef => d.kind === 'feature_view' && d.source === before.name)
    .flatMap((v) => joinKeyNames(v, desired));
  return [...new Set(keys)]
    .filter((k) => sourceColumnName(before, k) !== sourceColumnName(after, k))
    .map((k) => `join key '${k}' of source '${before.name}' is read from column '${sourceColumnName(after, k)}' instead of '${sourceColumnName(before, k)}' (field_mapping changed)`);
}

/** The join key names of a view, from its entities in `definitions`. */
function joinKeyNames(view: FeatureViewDef, definitions: ReadonlyMap<string, Definition>): string[] {
  return view.entities.flatMap((e) => (definitions.get(objectKey('entity', e)) as EntityDef | undefined)?.join_keys.map((k) => k.name) ?? []);
}

function viewBreaking(before: FeatureViewDef, after: FeatureViewDef | undefined, services: readonly FeatureServiceDef[], desired: ReadonlyMap<string, Definition> = new Map()): string[] {
  const out: string[] = [];
  // A removed view whose service now reads every feature it read from it from other views (a rename): said once.
  const moved = after ? new Map<string, string[]>() : readElsewhere(before, services, desired);
  for (const [service, views] of moved) {
    const read = before.features.filter((f) => services.some((s) => s.name === service && serviceUses(s, before.name, f.name))).map((f) => f.name);
    out.push(`feature view '${before.name}' removed, but feature service ${service} reads ${read.join(', ')} from it; after the apply it reads the same names from ${views.join(', ')}`);
  }
  if (after && before.entities.join(',') !== after.entities.join(',')) {
    out.push(`join keys of feature view '${before.name}' changed: entities [${before.entities.join(', ')}] -> [${after.entities.join(', ')}]`);
  }
  // Set to `online: false` (or `online` left out): every online read of a service reading it fails (`view_not_online`).
  if (after && before.online === true && after.online !== true) {
    const users = [...new Set(services.filter((s) => s.features.some((r) => r === before.name || r.startsWith(`${before.name}:`))).map((s) => s.name))];
    if (users.length) {
      out.push(`feature view '${before.name}' is no longer online but feature service${users.length > 1 ? 's' : ''} ${users.join(', ')} use${users.length > 1 ? '' : 's'} it`);
    }
  }
  const afterFeatures = new Map((after?.features ?? []).map((f) => [f.name, f]));
  for (const f of before.features) {
    const g = afterFeatures.get(f.name);
    if (g && g.type !== f.type) {
      out.push(`type of feature '${before.name}:${f.name}' changed from ${f.type} to ${g.type}`);
    } else if (!g) {
      const users = [...new Set(services.filter((s) => serviceUses(s, before.name, f.name)).map((s) => s.name))].filter((s) => !moved.has(s));
      if (users.length) {
        const what = after ? `feature '${before.name}:${f.name}' removed` : `feature '${before.name}:${f.name}' removed with its view`;
        out.push(`${what} but feature service${users.length > 1 ? 's' : ''} ${users.join(', ')} use${users.length > 1 ? '' : 's'} it`);
      }
    }
  }
  return out;
}

/**
 * The services (current version) reading `removed` whose desired version reads none of it but reads every feature
 * name they read from it from another view, with those views: a rename, which `viewBreaking` says once.
 */
function readElsewhere(removed: FeatureViewDef, services: readonly FeatureServiceDef[], desired: ReadonlyMap<string, Definition>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const views = [...desired.values()].filter((d): d is FeatureViewDef => d.kind === 'feature_view' && d.name !== removed.name);
  for (const s of services) {
    const read = removed.features.filter((f) => serviceUses(s, removed.name, f.name));
    const next = desired.get(objectKey('feature_service', s.name));
    if (read.length === 0 || next?.kind !== 'feature_service' || out.has(s.name)) continue;
    if (removed.features.some((f) => serviceUses(next, removed.name, f.name))) continue;
    const from = read.map((f) => views.find((v) => v.features.some((g) => g.name === f.name && g.type === f.type) && serviceUses(next, v.name, f.name))?.name);
    if (from.every((v) => v !== undefined)) out.set(s.name, [...new Set(from as string[])]);
  }
  return out;
}

/**
 * A view moved to a source whose event times or join keys come from other columns: its materialized windows and
 * stored values are on the old source's time axis, or keyed by other entities. (A move between sources that read
 * them from the same columns, a copy of the data in another format, is not flagged.)
 */
function sourceSwitched(before: FeatureViewDef, after: FeatureViewDef | undefined, current: ReadonlyMap<string, Definition>, desired: ReadonlyMap<string, Definition>): string[] {
  if (!after || before.source === after.source) return [];
  const from = current.get(objectKey('source', before.source)) as SourceDef | undefined;
  const to = desired.get(objectKey('source', after.source)) as SourceDef | undefined;
  if (!from || !to) return [];
  if (timeColumn(from) !== timeColumn(to)) {
    return [`feature view '${before.name}' moved from source '${from.name}' (event times in '${timeColumn(from)}') to '${to.name}' (in '${timeColumn(to)}')`];
  }
  return joinKeyNames(after, desired)
    .filter((k) => sourceColumnName(from, k) !== sourceColumnName(to, k))
    .map((k) => `feature view '${before.name}' moved from source '${from.name}' (join key '${k}' in '${sourceColumnName(from, k)}') to '${to.name}' (in '${sourceColumnName(to, k)}')`);
}

/**
 * Features added to a view that an earlier version had with another type: removing a feature keeps its online
 * values (the view's other values stay good), and those would be served as the new type.
 */
function readdedFeatures(before: FeatureViewDef, after: FeatureViewDef | undefined, pastViews: PastViews): string[] {
  if (!after) return [];
  const now = new Set(before.features.map((f) => f.name));
  const added = after.features.filter((f) => !now.has(f.name));
  if (added.length === 0) return [];
  const past = pastViews(before.name);
  const out: string[] = [];
  for (const f of added) {
    const earlier = past.flatMap((v) => v.features.filter((g) => g.name === f.name && g.type !== f.type).map((g) => g.type));
    if (earlier.length) {
      out.push(`feature '${before.name}:${f.name}' added back as ${f.type}, but an earlier version had it as ${earlier.at(-1)} and its online values may still be stored`);
    }
  }
  return out;
}

/** Whether a service references `view:feature` (directly, through the whole view, or as its label). */
export function serviceUses(service: FeatureServiceDef, view: string, feature: string): boolean {
  const refs = [...service.features, ...(service.label ? [service.label] : [])];
  return refs.some((r) => r === view || r === `${view}:*` || r === `${view}:${feature}`);
}
