/**
 * Read plans for online features: which views to read, which of their features,
 * under which output names, with which join keys and ttl. Computed once per
 * (feature list or service, full names) and cached per registry generation, so
 * a request only validates its entities and reads the store.
 */
import { getService, resolveFeatureRefs, serviceRefs, viewJoinKeys } from '../definitions/definition-set.js';
import type { DefinitionSet, FeatureType, JoinKey } from '../definitions/types.js';
import { storedDuration } from '../definitions/ttl.js';
import { InputError } from '../errors.js';
import { FULL_NAMES } from '../definitions/full-names.js';

export interface ViewReadPlan {
  readonly view: string;
  /** Features of the view to read, in output order. */
  readonly features: readonly string[];
  /** Their types, in the same order (how Feast's route writes some values: `online-json.ts`). */
  readonly types: readonly FeatureType[];
  /** The view's join keys, in its key order. */
  readonly joinKeys: readonly JoinKey[];
  /** 0 = unlimited. */
  readonly ttlUs: number;
  /**
   * Position of each feature among the response's feature entries (after the join
   * keys): consecutive, each view's block after the previous view's (the one-row
   * fast path of `getOnlineFeaturesJson` relies on this).
   */
  readonly outputIndex: readonly number[];
  /**
   * The first view of the plan with the same join keys in the same order (this one's own position when none before
   * it): the views of one entity share its key list, built and encoded once per request.
   */
  readonly keysOf: number;
}

export interface OnlineReadPlan {
  /** Union of the join keys of every view, first-mention order. */
  readonly joinKeys: readonly JoinKey[];
  /** Output names of the features (`feature` or `view__feature`). */
  readonly featureNames: readonly string[];
  readonly views: readonly ViewReadPlan[];
}

export interface PlanRequest {
  readonly features?: readonly string[];
  readonly service?: string;
  readonly fullFeatureNames?: boolean;
}

/**
 * A request names features or a service, one of them, the service by name. `service` is the caller's spelling of
 * the field: `feature_service` (the HTTP body's, the default) or `service` (the SDK's, which checks it first).
 */
export function checkFeaturesOrService(request: PlanRequest, service = 'feature_service'): void {
  if (request.service !== undefined && typeof request.service !== 'string') throw new InputError(`${service} must be the name of a feature service`, undefined, 'invalid_request');
  const hasFeatures = request.features !== undefined && request.features.length > 0;
  if (hasFeatures && request.service !== undefined) {
    // The request body schema cannot say this clearly (a `not` only reports "must NOT be valid"), so it is checked here.
    const message = `give either features or ${service}, not both`;
    throw new InputError(message, { problems: [{ path: '/', message }] }, 'invalid_request');
  }
  if (!hasFeatures && request.service === undefined) {
    throw new InputError(`give either features (view:feature references) or ${service} (a feature service)`, undefined, 'bad_request');
  }
}

/** Build the read plan of a request (no caching). */
export function buildOnlineReadPlan(set: DefinitionSet, request: PlanRequest): OnlineReadPlan {
  checkFeaturesOrService(request);
  let refs: readonly string[];
  if (request.service !== undefined) {
    // An unknown one: `getService` suggests the closest name.
    refs = serviceRefs(getService(set, request.service));
  } else {
    refs = request.features ?? [];
  }
  const selections = resolveFeatureRefs(set, refs);
  const joinKeys: JoinKey[] = [];
  const featureNames: string[] = [];
  const owner = new Map<string, string>();
  const views: ViewReadPlan[] = [];
  for (const sel of selections) {
    if (sel.view.online !== true) {
      const has = sel.view.online === false ? 'has online: false' : 'does not set online: true';
      throw new InputError(`feature view '${sel.view.name}' is not online (its definition ${has}) and has no online values`, { view: sel.view.name }, 'view_not_online');
    }
    const keys = viewJoinKeys(set, sel.view);
    for (const k of keys) {
      const seen = joinKeys.find((j) => j.name === k.name);
      if (!seen) joinKeys.push(k);
      else if (seen.type !== k.type) throw new InputError(`join key '${k.name}' has type ${seen.type} in one view and ${k.type} in '${sel.view.name}'`);
    }
    const outputIndex: number[] = [];
    for (const f of sel.features) {
      const name = request.fullFeatureNames ? `${sel.view.name}__${f.name}` : f.name;
      const prev = owner.get(name);
      if (prev !== undefined) {
        throw new InputError(
          `feature name '${name}' comes from both '${prev}' and '${sel.view.name}'; use full feature names (${FULL_NAMES})`,
          { feature: name, views: [prev, sel.view.name] },
          'feature_name_collision',
        );
      }
      owner.set(name, sel.view.name);
      outputIndex.push(featureNames.length);
      featureNames.push(name);
    }
    const same = views.findIndex((vp) => vp.joinKeys.length === keys.length && vp.joinKeys.every((k, i) => k.name === keys[i].name));
    const keysOf = same === -1 ? views.length : same;
    views.push({ view: sel.view.name, features: sel.features.map((f) => f.name), types: sel.features.map((f) => f.type), joinKeys: keys, ttlUs: storedDuration(sel.view.ttl) * 1000, outputIndex, keysOf });
  }
  // A feature named like a join key of another requested view would be a second column of that name.
  const clash = featureNames.find((n) => joinKeys.some((k) => k.name === n));
  if (clash !== undefined) {
    throw new InputError(
      `feature '${clash}' of view '${owner.get(clash)}' is named like a join key of another requested view; use full feature names (${FULL_NAMES})`,
      { feature: clash, views: [owner.get(clash)] },
      'feature_name_collision',
    );
  }
  return { joinKeys, featureNames, views };
}

/**
 * The status of a view's stored row for an entity before looking at its values:
 * `NOT_FOUND` (none), `OUTSIDE_MAX_AGE` (older than the view's ttl) or `PRESENT`
 * (its null values are then `NULL_VALUE`).
 */
export function rowStatus(vp: ViewReadPlan, stored: { readonly eventTs: number } | undefined, nowUs: number): 'NOT_FOUND' | 'OUTSIDE_MAX_AGE' | 'PRESENT' {
  if (stored === undefined) return 'NOT_FOUND';
  return vp.ttlUs > 0 && stored.eventTs < nowUs - vp.ttlUs ? 'OUTSIDE_MAX_AGE' : 'PRESENT';
}

interface PlanCache {
  generation: number;
  plans: Map<string, OnlineReadPlan>;
}

const MAX_PLANS = 1_000;
/**
 * Requests whose key is longer (hundreds of references) are planned each time instead of cached: the cache
 * then holds at most ~16 MB of keys and their plans, where 1,000 requests of 50,000 references held 1.5 GB.
 */
const MAX_CACHED_KEY = 16 * 1024;

/** A cache of read plans, emptied whenever the registry generation changes. */
export function createPlanCache(): (set: () => DefinitionSet, generation: number, request: PlanRequest) => OnlineReadPlan {
  const cache: PlanCache = { generation: -1, plans: new Map() };
  return (set, generation, request) => {
    if (cache.generation !== generation) {
      cache.generation = generation;
      cache.plans.clear();
    }
    // Untyped callers: a list of strings, or a clear error (not a TypeError from join).
    if (request.features !== undefined && (!Array.isArray(request.features) || request.features.some((f) => typeof f !== 'string'))) {
      throw new InputError('features must be a list of feature references (view, view:* or view:feature)', undefined, 'invalid_request');
    }
    if (request.service !== undefined && typeof request.service !== 'string') checkFeaturesOrService(request);
    // `service: ''` is a service (an unknown one), not the absence of one: the key keeps them apart.
    const key = `${request.fullFeatureNames ? 1 : 0}|${request.service === undefined ? '\u0001' : request.service}|${request.features?.join('\u0000') ?? ''}`;
    if (key.length > MAX_CACHED_KEY) return buildOnlineReadPlan(set(), request);
    let plan = cache.plans.get(key);
    if (!plan) {
      plan = buildOnlineReadPlan(set(), request);
      if (cache.plans.size >= MAX_PLANS) cache.plans.clear();
      cache.plans.set(key, plan);
    }
    return plan;
  };
}
