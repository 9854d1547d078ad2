/**
 * Online reads in Feast's `get-online-features` shape: `getOnlineFeatures`
 * (parsed values: the SDK and `featureguard online get`) and
 * `getOnlineFeaturesJson` (the response text: `POST /v1/online-features`). No
 * DuckDB here: a cached read plan, entity validation and one store read for all the views.
 *
 * @example
 * const res = await getOnlineFeatures(project, {
 *   features: ['airport_hourly:mean_delay'],
 *   entities: { origin: ['SEA', 'SFO'] },
 * });
 * // res.metadata.feature_names: ['origin', 'mean_delay']
 * // res.results[1]: { values: [12.5, null], statuses: ['PRESENT', 'NOT_FOUND'], event_timestamps: [...] }
 */
import type { DefinitionSet, JoinKey } from '../definitions/types.js';
import { FeatureguardError, InputError } from '../errors.js';
import { decodeValues, onlineInt64, project as projectValues } from '../online/record-codec.js';
import type { OnlineKey, OnlineReadRequest, OnlineStore, StoredEncoded } from '../online/types.js';
import type { Project } from '../project.js';
import { viewsWithPendingDrops } from '../registry/online-drops.js';
import { rowNumber } from '../row-number.js';
import { ExactInteger } from './push-schema.js';
import { feastJson } from './online-json.js';
import { EPOCH, formatCached } from './online-time.js';
import { createPlanCache, rowStatus, type OnlineReadPlan } from './online-plan.js';
import type { FeatureStatus, OnlineFeaturesRequest, OnlineFeaturesResponse, OnlineFeatureVector, OnlineReadOptions } from './online-features-types.js';

/** `getOnlineFeaturesJson`'s options. */
export interface OnlineJsonOptions extends OnlineReadOptions {
  /**
   * Write the answer as Feast's Python feature server does (its `/get-online-features`, read by Feast's Python
   * client): an int64 join key or feature as bare JSON digits, also beyond ±2^53, and NaN and ±Infinity bare
   * (`NaN`, `[1.5,NaN]`: then no strict JSON), where featureguard's own route writes the decimal text (for
   * JavaScript clients, whose JSON numbers would lose the last digits) and `"NaN"`.
   */
  readonly pythonJson?: boolean;
}

export const DEFAULT_MAX_ENTITIES = 1_000;

export { formatMicros } from './online-time.js';

const planCaches = new WeakMap<Project, ReturnType<typeof createPlanCache>>();
function normalizeKey(value: unknown, key: JoinKey, row: number, feast: boolean): string | number {
  // An integer of the HTTP body beyond ±2^53, exact (`readJson`): what a bigint is to the SDK.
  if (value instanceof ExactInteger) value = BigInt(value.digits);
  if (key.type === 'string') {
    if (typeof value === 'string') return value;
    if (feast && (Number.isSafeInteger(value) || typeof value === 'bigint')) return String(value);
    throw new InputError(`entity '${key.name}' ${rowNumber(row)}: expected a string, got ${value === null ? 'null' : typeof value === 'bigint' ? 'number' : typeof value}`, { join_key: key.name, row }, 'bad_entity');
  }
  // Digit strings are accepted: JSON clients send int64 as text (JavaScript ones must beyond ±2^53: their JSON
  // numbers that large have lost their last digits), and the CLI has only text. An int64 beyond ±2^53 is a text
  // key online, as materialization and push store it (`onlineInt64`).
  if ((typeof value === 'string' && /^-?\d{1,19}$/.test(value)) || typeof value === 'bigint') {
    const v = onlineInt64(value);
    if (v === undefined || (typeof v === 'string' && key.type !== 'int64')) {
      throw new InputError(`entity '${key.name}' ${rowNumber(row)}: ${String(value)} is out of ${key.type} range`, { join_key: key.name, row }, 'bad_entity');
    }
    value = v;
    if (typeof v === 'string') return v;
  }
  if (typeof value === 'number' && Number.isSafeInteger(value)) {
    if (key.type === 'int32' && (value < -2_147_483_648 || value > 2_147_483_647)) {
      throw new InputError(`entity '${key.name}' ${rowNumber(row)}: ${value} is out of int32 range`, { join_key: key.name, row }, 'bad_entity');
    }
    return value;
  }
  const shown = Number.isInteger(value) ? `${String(value)} (beyond ±2^53 a floating-point number is not exact: send it as a string of its digits, or a bigint)`
    : value === Infinity || value === -Infinity ? `${String(value)} (what a JSON number beyond ±1.8e308 reads as)` : describeScalar(value);
  throw new InputError(`entity '${key.name}' ${rowNumber(row)}: expected an integer (${key.type}), got ${shown}`, { join_key: key.name, row }, 'bad_entity');
}

/**
 * A bad key value as an error message shows it: numbers as JavaScript prints them (JSON would print NaN and
 * ±Infinity as null), other scalars as JSON (cut at 100 characters), lists and objects by kind (one nested 5,000
 * deep would overflow the stack of JSON.stringify).
 */
function describeScalar(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value) ?? typeof value;
  return text.length > 100 ? `${text.slice(0, 100)}…` : text;
}

/** Validate the entity columns against the plan: returns the normalized columns and the row count. */
function entityColumns(plan: OnlineReadPlan, entities: OnlineFeaturesRequest['entities'], max: number, definitions: () => DefinitionSet, feast = false): { columns: Map<string, (string | number)[]>; n: number } {
  if (entities === null || typeof entities !== 'object' || Array.isArray(entities)) {
    throw new InputError('entities must be an object of join key name to a list of values, e.g. {"origin": ["SEA"]}', undefined, 'bad_entity');
  }
  let n = -1;
  const columns = new Map<string, (string | number)[]>();
  for (const key of plan.joinKeys) {
    const values = entities[key.name];
    if (values === undefined) {
      // Columns that are no join key of the requested features are left out, as Feast does (a client may send the
      // whole entity row); they are named when a join key is missing (a typo?).
      const others = Object.keys(entities).filter((name) => !plan.joinKeys.some((k) => k.name === name));
      // An entity's name given for its join key (Feast's clients once took entity names): say which key it has.
      const entity = others.map((o) => definitions().entities.get(o)).find((e) => e?.join_keys.some((k) => k.name === key.name));
      const keys = entity?.join_keys.map((k) => `'${k.name}'`) ?? [];
      const given = entity && keys.length > 1
        ? ` ('${entity.name}' is the entity; its join keys are ${keys.slice(0, -1).join(', ')} and ${keys[keys.length - 1]}: name the columns after the join keys${feast ? '; an entity name is read as its key only for one-key entities' : ''})`
        : entity
        ? ` ('${entity.name}' is the entity; its join key is '${key.name}': name the column after the join key)`
        : others.length ? ` (given: ${others.map((o) => `'${o}'`).join(', ')}, which no requested feature is keyed by)` : '';
      throw new InputError(`missing join key '${key.name}' in entities${given}`, { join_key: key.name }, 'missing_join_key');
    }
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
    // Indexed, not map: a hole ([3, , 4]) is a missing value, not a row skipped.
    const normalized = new Array<string | number>(values.length);
    for (let i = 0; i < values.length; i++) normalized[i] = normalizeKey(values[i], key, i, feast);
    columns.set(key.name, normalized);
  }
  return { columns, n: Math.max(n, 0) };
}

/**
 * How stale the registry generation and the pending drops may be on the online
 * read path: what another process applied is served within this time (queries
 * saved per request; an apply in this process is seen at once).
 */
const REGISTRY_MAX_AGE_MS = 50;

/** What both forms read: the plan (cached), the validated entity columns and each view's stored rows. */
export interface StoredRead<S> {
  readonly plan: OnlineReadPlan;
  /** Normalized join key values per join key name. */
  readonly columns: Map<string, (string | number)[]>;
  readonly n: number;
  /** Per view of the plan, per entity row. */
  readonly stored: readonly (readonly (S | undefined)[])[];
  readonly nowUs: number;
}

/**
 * Each project's online store once it has opened: `project.onlineStore()` keeps handing out that one, and awaiting
 * it again costs the online read path a turn of the microtask queue per request.
 */
const openStores = new WeakMap<Project, OnlineStore>();

async function readStored(project: Project, request: OnlineFeaturesRequest, options: OnlineReadOptions): Promise<StoredRead<StoredEncoded>> {
  let plans = planCaches.get(project);
  if (!plans) planCaches.set(project, (plans = createPlanCache()));
  const plan = plans(() => project.registry.current(), project.registry.generation(REGISTRY_MAX_AGE_MS), request);
  const max = options.maxEntities ?? project.config.server?.max_entities ?? DEFAULT_MAX_ENTITIES;
  const { columns, n } = entityColumns(plan, request.entities, max, () => project.registry.current(), options.feastKeys === true);
  let store = openStores.get(project);
  if (store === undefined) openStores.set(project, (store = await project.onlineStore()));
  // A view whose values an apply invalidated and that are not dropped yet: nothing of it is served.
  const dropping = viewsWithPendingDrops(project.state, REGISTRY_MAX_AGE_MS);
  const stored = new Array<readonly (StoredEncoded | undefined)[]>(plan.views.length);
  const requests: OnlineReadRequest[] = [];
  const asked: number[] = [];
  // The key lists by the view that first has their join keys (`keysOf`): one list for the views of one entity.
  const keyLists = new Array<OnlineKey[] | undefined>(plan.views.length);
  for (let v = 0; v < plan.views.length; v++) {
    const vp = plan.views[v];
    if (dropping.size > 0 && dropping.has(vp.view)) {
      stored[v] = new Array<StoredEncoded | undefined>(n).fill(undefined);
      continue;
    }
    let keys = keyLists[vp.keysOf];
    if (keys === undefined) {
      keyLists[vp.keysOf] = keys = new Array<OnlineKey>(n);
      if (vp.joinKeys.length === 1) {
        const col = columns.get(vp.joinKeys[0].name)!;
        for (let i = 0; i < n; i++) keys[i] = [col[i]];
      } else {
        const cols = vp.joinKeys.map((k) => columns.get(k.name)!);
        for (let i = 0; i < n; i++) keys[i] = cols.map((c) => c[i]);
      }
    }
    requests.push({ view: vp.view, features: vp.features, keys });
    asked.push(v);
  }
  // Every view in one store call: one round trip (one SQLite pass), not one per view.
  const got = requests.length > 0 ? await store.readManyEncodedViews(requests) : [];
  for (let q = 0; q < asked.length; q++) stored[asked[q]] = got[q];
  return { plan, columns, n, stored, nowUs: (options.now ?? new Date()).getTime() * 1000 };
}

/**
 * Read online features for entity rows. Statuses: `PRESENT`, `NOT_FOUND` (no value
 * stored), `NULL_VALUE` (stored null), `OUTSIDE_MAX_AGE` (older than the view's
 * ttl: value null). Unknown features or services, missing join keys, wrong key
 * types and too many entities are `InputError`s (413 for too many entities).
 */
export async function getOnlineFeatures(project: Project, request: OnlineFeaturesRequest, options: OnlineReadOptions = {}): Promise<OnlineFeaturesResponse> {
  const { plan, columns, n, stored, nowUs } = await readStored(project, request, options);
  const results: OnlineFeatureVector[] = [];
  for (const key of plan.joinKeys) {
    results.push({ values: columns.get(key.name)!, statuses: new Array<FeatureStatus>(n).fill('PRESENT'), event_timestamps: new Array<string>(n).fill(EPOCH) });
  }
  const offset = results.length;
  for (let f = 0; f < plan.featureNames.length; f++) {
    results.push({ values: new Array<unknown>(n), statuses: new Array<FeatureStatus>(n), event_timestamps: new Array<string>(n) });
  }
  plan.views.forEach((vp, v) => {
    const rows = stored[v];
    for (let i = 0; i < n; i++) {
      const s = rows[i];
      const status = rowStatus(vp, s, nowUs);
      const ts = s === undefined ? EPOCH : formatCached(s.eventTs);
      const values = status === 'PRESENT' ? projectValues(decodeValues(s!.encoded), s!.projection) : undefined;
      for (let j = 0; j < vp.outputIndex.length; j++) {
        const out = results[offset + vp.outputIndex[j]];
        out.event_timestamps[i] = ts;
        const stored = values === undefined ? null : values[j];
        out.values[i] = stored ?? null;
        // Nothing stored for this feature (added to the view after the row was written): not found, not a null.
        out.statuses[i] = status !== 'PRESENT' ? status : stored === undefined ? 'NOT_FOUND' : stored === null ? 'NULL_VALUE' : status;
      }
    }
  });
  return { metadata: { feature_names: [...plan.joinKeys.map((k) => k.name), ...plan.featureNames] }, results };
}

/**
 * `getOnlineFeatures` as JSON text, byte for byte `JSON.stringify` of its
 * result (but for a float feature's whole numbers, stored as `30.0`, and NaN and
 * ±Infinity, written `"NaN"`, `"Infinity"`, `"-Infinity"` as protobuf's JSON mapping does), built without parsing the stored values or printing them again: the
 * stores hand over the vectors as stored (`readManyEncodedViews`, JSON arrays), whose
 * element texts are written as they are (`online-json.ts`). This is the HTTP
 * API's read; printing 50 doubles anew was the largest cost of a 1 × 50 response.
 */
export async function getOnlineFeaturesJson(project: Project, request: OnlineFeaturesRequest, options: OnlineJsonOptions = {}): Promise<string> {
  return feastJson(await readStored(project, request, options), options.pythonJson === true);
}
