/**
 * Checks of the SDK's request and option objects, made before a service sees them: the HTTP API refuses a
 * field it does not know so that a misspelt one is not a silent default, and the SDK does the same for its
 * objects (TypeScript lets extra keys through in anything but an object literal). A snake_case key (the
 * HTTP body's spelling) is pointed to its camelCase name.
 *
 * @example
 * checkOptions('materialize options', { view: ['a'] }, MATERIALIZE_KEYS, '{ start, end?, views? } or { incremental: true }');
 * // InputError unknown_option: unknown option 'view' in materialize options (did you mean 'views'?)
 */
import { didYouMean } from '../definitions/suggest.js';
import { InputError } from '../errors.js';
import type { MaterializeOptions } from './materialize-options.js';
import type { HistoricalFeaturesRequest } from '../offline/historical-types.js';
import type { PruneOptions } from '../runs/prune-types.js';
import type { OnlineFeaturesRequest, OnlineReadOptions } from '../serving/online-features-types.js';
import type { PushRequest } from '../serving/push-types.js';
import type { ApplyOptions, PlanOptions } from './desired-definitions.js';
import type { QualityLogFilter } from './feature-store.js';

/** Every key of `T`, listed once (the compiler refuses a list that misses one or names another). */
const keys = <T>(all: Record<keyof T, true>): readonly string[] => Object.keys(all);

export const MATERIALIZE_KEYS = keys<MaterializeOptions>({ start: true, end: true, views: true, incremental: true, guards: true, onProgress: true });
export const HISTORICAL_KEYS = keys<HistoricalFeaturesRequest>({
  entities: true, features: true, service: true, fullFeatureNames: true, availability: true, timestampColumn: true, splitAt: true,
  testFraction: true, out: true, format: true, allowFailedChecks: true, disableGuards: true, baseDir: true, onProgress: true, signal: true,
});
export const ONLINE_KEYS = keys<OnlineFeaturesRequest>({ features: true, service: true, entities: true, fullFeatureNames: true });
export const ONLINE_READ_KEYS = keys<OnlineReadOptions>({ maxEntities: true, feastKeys: true, now: true });
export const PUSH_KEYS = keys<PushRequest>({ view: true, rows: true, to: true, ignoreUnknownColumns: true, idempotencyKey: true });
export const PRUNE_KEYS = keys<PruneOptions>({ before: true, keep: true, dryRun: true });
export const RUN_FILTER_KEYS = keys<QualityLogFilter>({ view: true, service: true, kind: true, status: true, since: true, until: true, limit: true, offset: true, cursor: true, definition: true });
export const APPLY_KEYS = keys<ApplyOptions>({ allowBreaking: true, remove: true, replace: true, expectedGeneration: true });
export const PLAN_KEYS = keys<PlanOptions>({ remove: true, replace: true });
export const REDELIVER_KEYS = keys<{ all?: boolean; runId?: string }>({ all: true, runId: true });

/** The keys of `T` whose values are booleans (`dryRun?: boolean`). */
type BooleanKeys<T> = { [K in keyof T]-?: NonNullable<T[K]> extends boolean ? K : never }[keyof T];
/** Every boolean key of `T`, listed once (the compiler refuses a list that misses one or names another key). */
const booleanKeys = <T>(all: Record<BooleanKeys<T>, true>): readonly string[] => Object.keys(all);

export const MATERIALIZE_BOOLEANS = booleanKeys<MaterializeOptions>({ incremental: true, guards: true });
export const HISTORICAL_BOOLEANS = booleanKeys<HistoricalFeaturesRequest>({ fullFeatureNames: true, allowFailedChecks: true, disableGuards: true });
export const ONLINE_BOOLEANS = booleanKeys<OnlineFeaturesRequest>({ fullFeatureNames: true });
export const ONLINE_READ_BOOLEANS = booleanKeys<OnlineReadOptions>({ feastKeys: true });
export const PUSH_BOOLEANS = booleanKeys<PushRequest>({ ignoreUnknownColumns: true });
export const PRUNE_BOOLEANS = booleanKeys<PruneOptions>({ dryRun: true });
export const APPLY_BOOLEANS = booleanKeys<ApplyOptions>({ allowBreaking: true, replace: true });
export const PLAN_BOOLEANS = booleanKeys<PlanOptions>({ replace: true });
export const REDELIVER_BOOLEANS = booleanKeys<{ all?: boolean; runId?: string }>({ all: true });

/** The options of `T` that take a callback (`onProgress`). */
type FunctionKeys<T> = { [K in keyof T]-?: NonNullable<T[K]> extends (...args: never[]) => unknown ? K : never }[keyof T];
/** Every callback option of `T`, listed once (the compiler refuses a list that misses one or names another key). */
const functionKeys = <T>(all: Record<FunctionKeys<T>, true>): readonly string[] => Object.keys(all);

export const MATERIALIZE_FUNCTIONS = functionKeys<MaterializeOptions>({ onProgress: true });
export const HISTORICAL_FUNCTIONS = functionKeys<HistoricalFeaturesRequest>({ onProgress: true });

/** What a value is, for a message: `null`, `a number`, `an object`, `an empty string`, `a list`. */
export function described(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (v === '') return 'an empty string';
  if (Array.isArray(v)) return 'a list';
  const type = typeof v;
  return `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
}

const camel = (key: string) => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/**
 * Refuse `value` unless it is an object (`optional`: or undefined) whose own keys are all in `known`: not an
 * object is `invalid_request` (what `shape` shows), an unknown key `unknown_option` with the likely intended one.
 */
export function checkOptions(what: string, value: unknown, known: readonly string[], shape: string, optional = false): void {
  if (value === undefined && optional) return;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InputError(`${what} must be an object ${shape}, not ${value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value}`, undefined, 'invalid_request');
  }
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const hint = known.includes(camel(key)) ? ` (did you mean '${camel(key)}'?)` : didYouMean(key, known);
    throw new InputError(`unknown option '${key}' in ${what}${hint}`, { option: key }, 'unknown_option');
  }
}

/**
 * The boolean options of `value` (checked by `checkOptions` first): `true`, `false` or absent. A string or a number
 * (`dryRun: 'yes'`, `process.env.DRY_RUN`) meant one thing to one test and another to the next: `pruneRuns` removed
 * nothing for `dryRun: 'yes'` yet answered `dryRun: false`.
 */
export function checkBooleans(what: string, value: object | undefined, booleans: readonly string[]): void {
  if (value === undefined) return;
  for (const key of booleans) {
    const v: unknown = (value as Record<string, unknown>)[key];
    if (v === undefined || typeof v === 'boolean') continue;
    throw new InputError(`invalid ${key} in ${what}: true or false (got ${v === null ? 'null' : `a ${typeof v}`})`, { option: key, value: String(v) }, 'bad_request');
  }
}

/** `features` of a request: a list (a single reference given as a string would be read one character at a time). */
export function checkFeatureList(features: unknown): void {
  if (features !== undefined && !Array.isArray(features)) {
    throw new InputError(`features must be a list of feature references (view, view:* or view:feature), e.g. ['${typeof features === 'string' ? features : 'view:feature'}']`, undefined, 'invalid_request');
  }
}

/** `maxEntities` of an online read: a whole number from 1 (otherwise the refusal would blame `server.max_entities`). */
export function checkMaxEntities(options: OnlineReadOptions | undefined): void {
  const max = options?.maxEntities;
  if (max !== undefined && (!Number.isSafeInteger(max) || max < 1)) {
    throw new InputError(`invalid maxEntities ${String(max)}: a whole number from 1`, { maxEntities: String(max) }, 'bad_request');
  }
}

/**
 * `now` of an online read (the instant ttl is measured from): a valid `Date`. An invalid one made every ttl
 * comparison false, so values of any age were served `PRESENT`; another value was a `TypeError`.
 */
export function checkNow(options: OnlineReadOptions | undefined): void {
  const now: unknown = options?.now;
  if (now === undefined || (now instanceof Date && Number.isFinite(now.getTime()))) return;
  const got = now instanceof Date ? 'an invalid Date' : now === null ? 'null' : `a ${typeof now}`;
  throw new InputError(`invalid now: a valid Date (got ${got})`, { now: String(now) }, 'bad_request');
}

/**
 * The callback options of `value` (checked by `checkOptions` first): a function or absent. Another value was a
 * `TypeError` only when first called: after a dataset build had recorded its run (then failed), after a
 * materialization had read its whole window and run the guards (then recorded failed).
 */
export function checkFunctions(what: string, value: object | undefined, functions: readonly string[]): void {
  if (value === undefined) return;
  for (const key of functions) {
    const v: unknown = (value as Record<string, unknown>)[key];
    if (v === undefined || typeof v === 'function') continue;
    throw new InputError(`invalid ${key} in ${what}: a function (got ${described(v)})`, { option: key }, 'bad_request');
  }
}

/** `signal` of a request: an `AbortSignal` or absent (another value was a `TypeError` from `addEventListener`). */
export function checkSignal(what: string, value: { readonly signal?: unknown }): void {
  const signal = value.signal;
  if (signal === undefined || signal instanceof AbortSignal) return;
  throw new InputError(`invalid signal in ${what}: an AbortSignal, e.g. AbortSignal.timeout(60_000) (got ${described(signal)})`, { option: 'signal' }, 'bad_request');
}

/** The path `verifyDataset` takes: a non-empty string (another value was Node's `TypeError` about `path`). */
export function checkManifestPath(path: unknown): void {
  if (typeof path === 'string' && path !== '') return;
  throw new InputError(`verifyDataset takes the path of a dataset's manifest (FILE.manifest.json, written beside the dataset), got ${described(path)}`, undefined, 'invalid_request');
}
