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
import { decodeValueTexts } from '../online/record-codec.js';
import type { OnlineKey, OnlineStore, StoredEncoded, StoredValue } from '../online/types.js';
import type { Project } from '../project.js';
import { viewsWithPendingDrops } from '../registry/online-drops.js';
import { feastJsonFromTexts, feastJsonHead } from './online-json.js';
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
interface ResponseForm<S, R, V> {
  read(store: OnlineStore, view: string, features: readonly string[], keys: readonly OnlineKey[]): Promise<(S | undefined)[]>;
  /** A stored row's values, decoded once per row. */
  row(stored: S): R;
  /** Feature `j` of a row as shown, or `null` when the stored value is null (status `NULL_VALUE`). */
  cell(row: R, j: number): V | null;
  /** A join key value as shown. */
  key(value: string | number): V;
  /** How a missing value (`NOT_FOUND`, `OUTSIDE_MAX_AGE`, `NULL_VALUE`) is shown. */
  readonly missing: V;
}

export interface ResponseVector<V> {
  values: V[];
  statuses: FeatureStatus[];
  event_timestamps: string[];
}

const VALUES: ResponseForm<StoredValue, readonly unknown[], unknown> = {
  read: (store, view, features, keys) => store.readMany(view, features, keys),
  row: (stored) => stored.values,
  cell: (values, j) => values[j] ?? null,
  key: (value) => value,
  missing: null,
};

const TEXTS: ResponseForm<StoredEncoded, string[], string> = {
  read: (store, view, features, keys) => store.readManyEncoded(view, features, keys),
  row: (stored) => decodeValueTexts(stored.encoded, stored.projection),
  cell(texts, j) {
    const t = texts[j];
    if (t === 'null') return null;
    // Non-finite numbers are PRESENT and shown as null, as JSON.stringify shows them.
    return t === 'NaN' || t === 'Infinity' || t === '-Infinity' ? 'null' : t;
  },
  key: (value) => JSON.stringify(value),
  missing: 'null',
};

/** What both forms read: the plan (cached), the validated entity columns and each view's stored rows. */
interface StoredRead<S> {
  readonly plan: OnlineReadPlan;
  readonly columns: Map<string, (string | number)[]>;
  readonly n: number;
  /** Per view of the plan, per entity row. */
  readonly stored: readonly (readonly (S | undefined)[])[];
  readonly nowUs: number;
}

async function readStored<S>(
  project: Project,
  request: OnlineFeaturesRequest,
  options: OnlineReadOptions,
  read: ResponseForm<S, unknown, unknown>['read'],
): Promise<StoredRead<S>> {
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
      return read(store, vp.view, vp.features, keys);
    }),
  );
  return { plan, columns, n, stored, nowUs: (options.now ?? new Date()).getTime() * 1000 };
}

/** Whether a stored row is older than its view's ttl (its values are then shown as `OUTSIDE_MAX_AGE`). */
function expired(vp: OnlineReadPlan['views'][number], eventTs: number, nowUs: number): boolean {
  return vp.ttlUs > 0 && eventTs < nowUs - vp.ttlUs;
}

/**
 * The response vectors, join keys first, with per cell its status (`PRESENT`,
 * `NOT_FOUND`, `NULL_VALUE`, `OUTSIDE_MAX_AGE`: older than the view's ttl, value null).
 */
function assemble<S extends { readonly eventTs: number }, R, V>(read: StoredRead<S>, form: ResponseForm<S, R, V>): ResponseVector<V>[] {
  const { plan, columns, n, stored, nowUs } = read;
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
      const old = s !== undefined && expired(vp, s.eventTs, nowUs);
      const row = s === undefined || old ? undefined : form.row(s);
      const ts = s === undefined ? EPOCH : formatCached(s.eventTs);
      for (let j = 0; j < vp.outputIndex.length; j++) {
        const out = results[offset + vp.outputIndex[j]];
        out.event_timestamps[i] = ts;
        if (row === undefined) {
          out.values[i] = form.missing;
          out.statuses[i] = s === undefined ? 'NOT_FOUND' : 'OUTSIDE_MAX_AGE';
        } else {
          const value = form.cell(row, j);
          out.values[i] = value ?? form.missing;
          out.statuses[i] = value === null ? 'NULL_VALUE' : 'PRESENT';
        }
      }
    }
  });
  return results;
}

/**
 * Read online features for entity rows. Statuses: `PRESENT`, `NOT_FOUND` (no value
 * stored), `NULL_VALUE` (stored null), `OUTSIDE_MAX_AGE` (older than the view's
 * ttl: value null). Unknown features or services, missing join keys, wrong key
 * types and too many entities are `InputError`s (413 for too many entities).
 */
export async function getOnlineFeatures(project: Project, request: OnlineFeaturesRequest, options: OnlineReadOptions = {}): Promise<OnlineFeaturesResponse> {
  const read = await readStored(project, request, options, VALUES.read);
  return { metadata: { feature_names: [...read.plan.joinKeys.map((k) => k.name), ...read.plan.featureNames] }, results: assemble(read, VALUES) };
}

/**
 * `getOnlineFeatures` as JSON text, byte for byte `JSON.stringify` of its
 * result, built without parsing the stored values or printing them again: the
 * stores hand over the vectors as stored (`readManyEncoded`, JSON arrays), whose
 * element texts are written as they are. This is the HTTP API's read; printing
 * 50 doubles anew was the largest cost of a 1 × 50 response.
 */
export async function getOnlineFeaturesJson(project: Project, request: OnlineFeaturesRequest, options: OnlineReadOptions = {}): Promise<string> {
  const read = await readStored(project, request, options, TEXTS.read);
  return (read.n === 1 ? plainRowJson(read) : null) ?? feastJsonFromTexts(read.plan, assemble(read, TEXTS));
}

/** Anything in a stored vector's text but numbers and booleans: a string, list or object (which may hold a comma) or a null. */
const NOT_PLAIN = /["[{n]/;

/**
 * The common case of one entity row, written with one `replaceAll` per view
 * instead of one string per feature: every view's row is found, within its
 * ttl, stored with exactly the features asked for in that order, and holds only
 * numbers and booleans (all `PRESENT`; no comma inside a value). `null` when
 * any of that does not hold (the general path then writes the response). Same
 * text as the general path (property test in `online-features.test.ts`).
 */
function plainRowJson(read: StoredRead<StoredEncoded>): string | null {
  const { plan, columns, stored, nowUs } = read;
  let body = '';
  // Each view's features are one block of output positions, in plan order (`ViewReadPlan.outputIndex`).
  for (let v = 0; v < plan.views.length; v++) {
    const vp = plan.views[v];
    const s = stored[v][0];
    if (s === undefined || s.projection !== null || vp.features.length === 0) return null;
    if (expired(vp, s.eventTs, nowUs) || s.encoded.charCodeAt(0) !== 91 /* [ (not a tagged vector) */) return null;
    const inner = s.encoded.slice(1, -1);
    if (inner.length === 0 || NOT_PLAIN.test(inner)) return null;
    const tail = `],"statuses":["PRESENT"],"event_timestamps":["${formatCached(s.eventTs)}"]}`;
    body += `,{"values":[${inner.replaceAll(',', `${tail},{"values":[`)}${tail}`;
  }
  const keys = plan.joinKeys.map((k) => `{"values":[${JSON.stringify(columns.get(k.name)![0])}],"statuses":["PRESENT"],"event_timestamps":["${EPOCH}"]}`);
  return feastJsonHead(plan) + keys.join(',') + body + ']}';
}
