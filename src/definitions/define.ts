/**
 * Typed builders for definitions. Each returns a deeply frozen object equal to
 * what the YAML loader produces for the same content.
 *
 * @example
 * const airport = defineEntity({ name: 'airport', join_keys: [{ name: 'origin', type: 'string' }] });
 */
import type { EntityDef, FeatureServiceDef, FeatureViewDef, SourceDef, SourceSpec } from './types.js';

/** Settings that take a duration (`6h`, `0`): every property of the schemas with the `featureguard-duration` format. */
type DurationKey = 'ttl' | 'allowed_lateness' | 'max_clock_skew' | 'landing_delay' | 'min_interval' | 'redeliver_for' | 'max_staleness';

/**
 * What a builder takes: the definition, where any duration may also be the number 0, as YAML's unquoted
 * `ttl: 0` is (the result holds it as '0', as the loader's does).
 */
export type DefinitionInput<T> = T extends readonly (infer U)[]
  ? readonly DefinitionInput<U>[]
  : T extends object
    ? { [K in keyof T]: K extends DurationKey ? T[K] | 0 : DefinitionInput<T[K]> }
    : T;

type WithoutKind<T> = DefinitionInput<Omit<T, 'kind'>>;

export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}

/** The same keys at run time (the record makes the compiler check that both lists agree). */
const DURATION_KEY_SET: Record<DurationKey, true> = { ttl: true, allowed_lateness: true, max_clock_skew: true, landing_delay: true, min_interval: true, redeliver_for: true, max_staleness: true };
export const DURATION_KEYS: ReadonlySet<string> = new Set(Object.keys(DURATION_KEY_SET));

/**
 * A duration of zero is written unquoted in YAML (`ttl: 0`, a number); definitions and settings hold it as the
 * string '0', wherever it is (a view's ttl, a quality policy's `max_clock_skew`, an alert's `min_interval`).
 */
export function normalizeDurations<T>(value: T): T {
  if (Array.isArray(value)) return value.map(normalizeDurations) as T;
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, DURATION_KEYS.has(k) && v === 0 ? '0' : normalizeDurations(v)])) as T;
}

/**
 * A definition as the YAML loader makes it: `kind` as named here (a `kind` in `spec` does not win) and first, as a
 * file writes it (`describe` prints the keys in order), durations normalized, frozen.
 */
function make<T extends { kind: string }>(kind: T['kind'], spec: object): T {
  const { kind: _stray, ...rest } = spec as { kind?: unknown };
  return deepFreeze(normalizeDurations(structuredClone({ kind, ...rest })) as T);
}

/**
 * An entity (`kind: entity`), as the YAML loader makes it: a frozen copy, a zero duration held as `'0'`. Checked
 * (names, join key types, references) when planned or applied, as a file's objects are, not here.
 *
 * @example
 * const airport = defineEntity({ name: 'airport', join_keys: [{ name: 'origin', type: 'string' }] });
 */
export const defineEntity = (spec: WithoutKind<EntityDef>): EntityDef => make<EntityDef>('entity', spec);
/**
 * A source (`kind: source`): exactly one of a `path` (file or glob, relative to the project, with an optional
 * `format`), a `database` + `table`, or a `query` (the types refuse none, two, or a `database` without its `table`),
 * with its `timestamp_field`. A copy of a source (`{ ...source, description: … }`, with its `kind`) is taken as a
 * `SourceDef`. A frozen copy, checked when planned or applied (the file itself when used or validated).
 *
 * @example
 * const flights = defineSource({ name: 'flights', path: 'data/flights.parquet', timestamp_field: 'dep_time' });
 */
export function defineSource(spec: DefinitionInput<SourceSpec>): SourceDef;
/** A copy of a source (`{ ...source, description: … }`, its `kind` with it), typed as a source is: no cast needed. */
export function defineSource(spec: SourceDef): SourceDef;
export function defineSource(spec: object): SourceDef {
  return make<SourceDef>('source', spec);
}
/**
 * A feature view (`kind: feature_view`): entities, source and typed features; `ttl: 0` (a number, as YAML's
 * unquoted `0`) is held as `'0'`, as is `allowed_lateness: 0`. A frozen copy, checked when planned or applied, as a
 * file's objects are.
 *
 * @example
 * const delays = defineFeatureView({ name: 'delays', entities: ['airport'], source: 'flights', ttl: '6h',
 *   allowed_lateness: '2h', online: true, features: [{ name: 'mean_delay', type: 'float64' }] });
 */
export const defineFeatureView = (spec: WithoutKind<FeatureViewDef>): FeatureViewDef =>
  make<FeatureViewDef>('feature_view', spec);
/**
 * A feature service (`kind: feature_service`): the feature references a model reads (`view`, `view:*`,
 * `view:feature`) and optionally its `label`. A frozen copy, checked when planned or applied.
 *
 * @example
 * const model = defineFeatureService({ name: 'delay_model', features: ['delays:mean_delay'] });
 */
export const defineFeatureService = (spec: WithoutKind<FeatureServiceDef>): FeatureServiceDef =>
  make<FeatureServiceDef>('feature_service', spec);
