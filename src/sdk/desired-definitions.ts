/**
 * What an SDK `plan`/`apply` asks the registry to hold. Without a list: the project's files, the complete desired
 * registry (removals included), as the CLI applies them. With a list: Feast's `apply(objects)`, the applied
 * registry with those objects added or updated and the ones named in `remove` removed, nothing else; with
 * `replace: true`, the list itself is the complete desired registry.
 *
 * @example
 * const { defs, check } = desiredDefinitions(project, [carrier], { remove: ['feature_view:old_view'] });
 * await applyDefinitions(project, defs, { allowRemovals: true, checkPlan: check });
 */
import { didYouMean } from '../definitions/suggest.js';
import { loadDefinitions, validateDefinitions } from '../definitions/loader.js';
import type { Definition, DefinitionKind } from '../definitions/types.js';
import { ConflictError, InputError, NotFoundError } from '../errors.js';
import type { Project } from '../project.js';
import type { Plan } from '../registry/types.js';
import { KIND_NAMES, kindOfAlias, kindSuggestion, type KindName } from './kind-aliases.js';

/** An applied object, as `'kind:name'` (`'feature_view:airport_hourly'`, or with an alias of the kind as the CLI takes it: `'view:airport_hourly'`) or `{ kind, name }`. */
export type ObjectRef = `${KindName}:${string}` | { readonly kind: KindName; readonly name: string };

/** How `store.plan(definitions, options)` reads a list of definitions (see `FeatureStore.apply`). */
export interface PlanOptions {
  /** Applied objects to remove (only with a list of definitions, which may be empty, and not with `replace`). */
  readonly remove?: readonly ObjectRef[];
  /** The list is the complete desired registry: every applied object not in it is removed. */
  readonly replace?: boolean;
}

/** `store.apply` options: `PlanOptions`, `allowBreaking` and `expectedGeneration`. */
export interface ApplyOptions extends PlanOptions {
  /** Apply breaking changes too (removed features in use, changed types, join keys). */
  readonly allowBreaking?: boolean;
  /**
   * Apply only if the registry is still at this generation (a plan's `generation`), checked inside the apply's
   * transaction: otherwise a `ConflictError` `registry_changed` (details `expected_generation`, `generation`) and
   * nothing is applied, so a set reviewed before another process applied does not revert that apply.
   */
  readonly expectedGeneration?: number;
}

export interface DesiredDefinitions {
  readonly defs: Definition[];
  /**
   * For a merged list, run inside the registry's transaction: a change to an object neither given nor removed (an
   * apply by another process after the merge read the registry) is a `registry_changed` conflict, rolled back.
   */
  readonly check?: (plan: Plan) => void;
}

const key = (kind: string, name: string) => `${kind}:${name}`;

/**
 * The definitions `store.plan`/`store.apply` ask for (`given` undefined: the project's files).
 * @internal Not in the published declarations, which do not name the internal `Project`.
 */
export function desiredDefinitions(project: Project, given: readonly Definition[] | undefined, options: PlanOptions = {}): DesiredDefinitions {
  const remove = options.remove === undefined ? undefined : removals(options.remove);
  if (given === undefined) {
    if (remove) throw new InputError("remove takes a list of definitions (apply([], { remove })): without one, the project's files are the complete desired registry; delete the object from its file instead", undefined, 'invalid_request');
    return { defs: loadDefinitions(project.root, project.config) };
  }
  if (!Array.isArray(given)) throw new InputError('definitions must be a list, e.g. [defineEntity(…), defineFeatureView(…)]', undefined, 'invalid_request');
  // Definitions from code are validated exactly as files are (schemas, then cross-references).
  if (options.replace === true) {
    if (remove) throw new InputError('remove and replace: true do not go together: with replace, every applied object the list leaves out is removed', undefined, 'invalid_request');
    return { defs: validateDefinitions(given, project.sourceRoots) };
  }
  const current = project.registry.current();
  const applied = new Map<string, Definition>();
  for (const map of [current.entities, current.sources, current.views, current.services]) for (const d of map.values()) applied.set(key(d.kind, d.name), d);
  const named = new Set(given.map((d) => (d !== null && typeof d === 'object' ? key(String(d.kind), String(d.name)) : '')));
  for (const ref of remove ?? []) {
    if (named.has(ref.key)) throw new InputError(`${ref.kind} '${ref.name}' is both in the list of definitions and in remove`, { remove: ref.key }, 'invalid_request');
    if (!applied.has(ref.key)) throw new NotFoundError(`no ${ref.kind} '${ref.name}' is applied, so none can be removed${didYouMean(ref.name, [...applied.values()].filter((d) => d.kind === ref.kind).map((d) => d.name))}`, { remove: ref.key });
  }
  const removed = new Set((remove ?? []).map((r) => r.key));
  // The list first, so a problem in it is named by its index there (`(code)[0]`); the applied objects keep theirs.
  const rest = [...applied].filter(([k]) => !named.has(k) && !removed.has(k)).map(([, d]) => d);
  const defs = validateDefinitions([...given, ...rest], project.sourceRoots);
  const expected = new Set([...named, ...removed]);
  return {
    defs,
    check: (plan) => {
      const other = plan.changes.filter((c) => c.action !== 'unchanged' && !expected.has(key(c.kind, c.name)));
      if (other.length === 0) return;
      throw new ConflictError(
        `the registry changed while applying (${other.map((c) => `${c.kind} '${c.name}'`).join(', ')}, applied by another process): apply again`,
        { changed: other.map((c) => key(c.kind, c.name)) },
        'registry_changed',
      );
    },
  };
}

/** `remove` checked: a list of `'kind:name'` or `{ kind, name }` with a known kind (or an alias of one: `view`, `entities`). */
function removals(refs: unknown): { kind: DefinitionKind; name: string; key: string }[] {
  const shape = "a list of 'kind:name' or { kind, name }, e.g. ['feature_view:airport_hourly']";
  if (!Array.isArray(refs)) throw new InputError(`remove must be ${shape}`, undefined, 'invalid_request');
  return refs.map((ref: unknown) => {
    let kind: unknown;
    let name: unknown;
    if (typeof ref === 'string' && ref.includes(':')) [kind, name] = [ref.slice(0, ref.indexOf(':')), ref.slice(ref.indexOf(':') + 1)];
    else if (ref !== null && typeof ref === 'object' && !Array.isArray(ref)) ({ kind, name } = ref as { kind?: unknown; name?: unknown });
    else throw new InputError(`invalid remove entry ${JSON.stringify(ref) ?? String(ref)}: ${shape}`, undefined, 'invalid_request');
    // The kind as the CLI's `list` and `describe` take it: `view:old_view` too.
    const canonical = typeof kind === 'string' ? kindOfAlias(kind) : undefined;
    if (canonical === undefined) {
      throw new InputError(`invalid kind ${JSON.stringify(kind) ?? String(kind)} in remove: ${KIND_NAMES}${typeof kind === 'string' ? kindSuggestion(kind) : ''}`, undefined, 'invalid_request');
    }
    if (typeof name !== 'string' || name === '') throw new InputError(`invalid name in remove entry ${JSON.stringify(ref)}: ${shape}`, undefined, 'invalid_request');
    return { kind: canonical, name, key: key(canonical, name) };
  });
}
