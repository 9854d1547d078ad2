/**
 * Online reads in Feast's `get-online-features` shape: the hot path behind
 * `POST /v1/online-features`, `featureguard online get` and the SDK. No DuckDB
 * here: a cached read plan, entity validation and one store read per view.
 *
 * @example
 * const res = await getOnlineFeatures(project, {
 *   features: ['airport_hourly:mean_delay'],
 *   entities: { origin: ['SEA', 'SFO'] },
 * });
 * // res.metadata.feature_names: ['origin', 'mean_delay']
 * // res.results[1]: { values: [12.5, null], statuses: ['PRESENT', 'NOT_FOUND'], event_timestamps: [...] }
 */
import type { JoinKey } from '../definitions/types.js';
import { FeatureguardError, InputError } from '../errors.js';
import type { OnlineKey, OnlineStore, StoredText, StoredValue } from '../online/types.js';
import type { Project } from '../project.js';
import { viewsWithPendingDrops } from '../registry/online-drops.js';
import { feastJsonFromTexts } from './online-json.js';
import { createPlanCache, type OnlineReadPlan } from './online-plan.js';

export type FeatureStatus = 'PRESENT' | 'NOT_FOUND' | 'NULL_VALUE' | 'OUTSIDE_MAX_AGE';

export interface OnlineFeaturesRequest {
  /** Feature references `view:feature` or `view` (all its features). */
  readonly features?: readonly string[];
  /** A feature service name (instead of `features`). */
  readonly service?: string;
  /** Columnar entity rows, Feast's shape: `{origin: ['SEA', 'SFO']}`. */
  readonly entities: Readonly<Record<string, readonly unknown[]>>;
  /** Name features `view__feature` (default: `feature`). */
  readonly fullFeatureNames?: boolean;
}

export type OnlineFeatureVector = ResponseVector<unknown>;

export interface OnlineFeaturesResponse {
  metadata: { feature_names: string[] };
  results: OnlineFeatureVector[];
}

export interface OnlineReadOptions {
  /** Cap on entity rows (default `server.max_entities` or 1000). */
  readonly maxEntities?: number;
  /** Reference time for ttl checks (tests). Default now. */
  readonly now?: Date;
}

export const DEFAULT_MAX_ENTITIES = 1_000;
const EPOCH = '1970-01-01T00:00:00Z';

const planCaches = new WeakMap<Project, ReturnType<typeof createPlanCache>>();

/** RFC 3339 UTC with `Z` from microseconds since epoch (fraction only when non-zero). */
export function formatMicros(us: number): string {
  const frac = ((us % 1_000_000) + 1_000_000) % 1_000_000;
  const iso = new Date(((us - frac) / 1000)).toISOString().slice(0, 19);
  if (frac === 0) return `${iso}Z`;
  return `${iso}.${String(frac).padStart(6, '0').replace(/0+$/, '')}Z`;
}

const formatted = new Map<number, string>();

/** `formatMicros` with a small cache: entities of one window share few distinct timestamps. */
function formatCached(us: number): string {
  let text = formatted.get(us);
  if (text === undefined) {
    if (formatted.size >= 10_000) formatted.clear();
    formatted.set(us, (text = formatMicros(us)));
  }
  return text;
}

function normalizeKey(value: unknown, key: JoinKey, row: number): string | number {
  if (key.type === 'string') {
    if (typeof value === 'string') return value;
    throw new InputError(`entity '${key.name}' row ${row}: expected a string, got ${value === null ? 'null' : typeof value}`, { join_key: key.name, row }, 'bad_entity');
  }
  // Digit strings are accepted: JSON clients send int64 as text, and the CLI has only text.
  if (typeof value === 'string' && /^-?\d{1,19}$/.test(value) && Number.isSafeInteger(Number(value))) value = Number(value);
  if (typeof value === 'number' && Number.isSafeInteger(value)) {
    if (key.type === 'int32' && (value < -2_147_483_648 || value > 2_147_483_647)) {
      throw new InputError(`entity '${key.name}' row ${row}: ${value} is out of int32 range`, { join_key: key.name, row }, 'bad_entity');
    }
    return value;
  }
  throw new InputError(`entity '${key.name}' row ${row}: expected an integer (${key.type}), got ${JSON.stringify(value) ?? typeof value}`, { join_key: key.name, row }, 'bad_entity');
}

/** Validate the entity columns against the plan: returns the normalized columns and the row count. */
function entityColumns(plan: OnlineReadPlan, entities: OnlineFeaturesRequest['entities'], max: number): { columns: Map<string, (string | number)[]>; n: number } {
  if (entities === null || typeof entities !== 'object' || Array.isArray(entities)) {
    throw new InputError('entities must be an object of join key name to a list of values, e.g. {"origin": ["SEA"]}', undefined, 'bad_entity');
  }
  for (const name of Object.keys(entities)) {
    if (!plan.joinKeys.some((k) => k.name === name)) {
      throw new InputError(`unknown join key '${name}' in entities; the requested features need ${plan.joinKeys.map((k) => k.name).join(', ')}`, { join_key: name }, 'bad_entity');
    }
  }
  let n = -1;
  const columns = new Map<string, (string | number)[]>();
  for (const key of plan.joinKeys) {
    const values = entities[key.name];
    if (values === undefined) throw new InputError(`missing join key '${key.name}' in entities`, { join_key: key.name }, 'missing_join_key');
    if (!Array.isArray(values)) throw new InputError(`entities.${key.name} must be a list of values`, { join_key: key.name }, 'bad_entity');
    if (n === -1) n = values.length;
    else if (values.length !== n) throw new InputError(`entity columns have different lengths (${key.name} has ${values.length}, expected ${n})`, undefined, 'bad_entity');
    if (values.length > max) {
      throw new FeatureguardError('too_many_entities', `${values.length} entity rows exceed the limit of ${max} per request (server.max_entities)`, {
        status: 413,
        exitCode: 2,
        details: { limit: max, got: values.length },
      });
    }
    columns.set(key.name, values.map((v, i) => normalizeKey(v, key, i)));
  }
  return { columns, n: Math.max(n, 0) };
}

/**
 * How stale the registry generation and the pending drops may be on the online
 * read path: what another process applied is served within this time (queries
 * saved per request; an apply in this process is seen at once).
 */
const REGISTRY_MAX_AGE_MS = 50;

/** One of the two forms a response is built in: JS values (SDK) or JSON texts (HTTP, see `getOnlineFeaturesJson`). */
interface ResponseForm<S, V> {
  read(store: OnlineStore, view: string, features: readonly string[], keys: readonly OnlineKey[]): Promise<(S | undefined)[]>;
  /** A join key value as shown. */
  key(value: string | number): V;
  /** Feature `j` of a stored row as shown, or `null` when the stored value is null (status `NULL_VALUE`). */
  cell(stored: S, j: number): V | null;
  /** How a missing value (`NOT_FOUND`, `OUTSIDE_MAX_AGE`, `NULL_VALUE`) is shown. */
  readonly missing: V;
}

export interface ResponseVector<V> {
  values: V[];
  statuses: FeatureStatus[];
  event_timestamps: string[];
}

const VALUES: ResponseForm<StoredValue, unknown> = {
  read: (store, view, features, keys) => store.readMany(view, features, keys),
  key: (value) => value,
  cell: (stored, j) => stored.values[j] ?? null,
  missing: null,
};

const TEXTS: ResponseForm<StoredText, string> = {
  read: (store, view, features, keys) => store.readManyText(view, features, keys),
  key: (value) => JSON.stringify(value),
  cell(stored, j) {
    const t = stored.texts[j];
    if (t === 'null') return null;
    // Non-finite numbers are PRESENT and shown as null, as JSON.stringify shows them.
    return t === 'NaN' || t === 'Infinity' || t === '-Infinity' ? 'null' : t;
  },
  missing: 'null',
};

/**
 * The read shared by both forms: plan (cached), entity validation, one store
 * read per view, then per cell its status (`PRESENT`, `NOT_FOUND`, `NULL_VALUE`,
 * `OUTSIDE_MAX_AGE`: older than the view's ttl, value null).
 */
async function readOnline<S extends { readonly eventTs: number }, V>(
  project: Project,
  request: OnlineFeaturesRequest,
  options: OnlineReadOptions,
  form: ResponseForm<S, V>,
): Promise<{ plan: OnlineReadPlan; results: ResponseVector<V>[] }> {
  let plans = planCaches.get(project);
  if (!plans) planCaches.set(project, (plans = createPlanCache()));
  const plan = plans(() => project.registry.current(), project.registry.generation(REGISTRY_MAX_AGE_MS), request);
  const max = options.maxEntities ?? project.config.server?.max_entities ?? DEFAULT_MAX_ENTITIES;
  const { columns, n } = entityColumns(plan, request.entities, max);
  const store = await project.onlineStore();
  // A view whose values an apply invalidated and that are not dropped yet: nothing of it is served.
  const dropping = viewsWithPendingDrops(project.state, REGISTRY_MAX_AGE_MS);
  const stored = await Promise.all(
    plan.views.map((vp) => {
      if (dropping.size > 0 && dropping.has(vp.view)) return new Array<S | undefined>(n).fill(undefined);
      const cols = vp.joinKeys.map((k) => columns.get(k.name)!);
      const keys: OnlineKey[] = new Array(n);
      for (let i = 0; i < n; i++) keys[i] = cols.length === 1 ? [cols[0][i]] : cols.map((c) => c[i]);
      return form.read(store, vp.view, vp.features, keys);
    }),
  );

  const nowUs = (options.now ?? new Date()).getTime() * 1000;
  const results: ResponseVector<V>[] = [];
  for (const key of plan.joinKeys) {
    results.push({ values: columns.get(key.name)!.map(form.key), statuses: new Array<FeatureStatus>(n).fill('PRESENT'), event_timestamps: new Array<string>(n).fill(EPOCH) });
  }
  const offset = results.length;
  for (let f = 0; f < plan.featureNames.length; f++) {
    results.push({ values: new Array<V>(n), statuses: new Array<FeatureStatus>(n), event_timestamps: new Array<string>(n) });
  }
  plan.views.forEach((vp, v) => {
    const rows = stored[v];
    for (let i = 0; i < n; i++) {
      const s = rows[i];
      const expired = s !== undefined && vp.ttlUs > 0 && s.eventTs < nowUs - vp.ttlUs;
      const ts = s === undefined ? EPOCH : formatCached(s.eventTs);
      for (let j = 0; j < vp.outputIndex.length; j++) {
        const out = results[offset + vp.outputIndex[j]];
        out.event_timestamps[i] = ts;
        if (s === undefined) {
          out.values[i] = form.missing;
          out.statuses[i] = 'NOT_FOUND';
        } else if (expired) {
          out.values[i] = form.missing;
          out.statuses[i] = 'OUTSIDE_MAX_AGE';
        } else {
          const value = form.cell(s, j);
          out.values[i] = value ?? form.missing;
          out.statuses[i] = value === null ? 'NULL_VALUE' : 'PRESENT';
        }
      }
    }
  });
  return { plan, results };
}

/**
 * Read online features for entity rows. Statuses: `PRESENT`, `NOT_FOUND` (no value
 * stored), `NULL_VALUE` (stored null), `OUTSIDE_MAX_AGE` (older than the view's
 * ttl: value null). Unknown features or services, missing join keys, wrong key
 * types and too many entities are `InputError`s (413 for too many entities).
 */
export async function getOnlineFeatures(project: Project, request: OnlineFeaturesRequest, options: OnlineReadOptions = {}): Promise<OnlineFeaturesResponse> {
  const { plan, results } = await readOnline(project, request, options, VALUES);
  return { metadata: { feature_names: [...plan.joinKeys.map((k) => k.name), ...plan.featureNames] }, results };
}

/**
 * `getOnlineFeatures` as JSON text, byte for byte `JSON.stringify` of its
 * result, built without parsing the stored values or printing them again: the
 * stores hand over each value's JSON text (`readManyText`). This is the HTTP
 * API's read; printing 50 doubles anew was the largest cost of a 1 × 50 response.
 */
export async function getOnlineFeaturesJson(project: Project, request: OnlineFeaturesRequest, options: OnlineReadOptions = {}): Promise<string> {
  const { plan, results } = await readOnline(project, request, options, TEXTS);
  return feastJsonFromTexts(plan, results);
}
