/**
 * Typed builders for definitions. Each returns a deeply frozen object equal to
 * what the YAML loader produces for the same content.
 *
 * @example
 * const airport = defineEntity({ name: 'airport', join_keys: [{ name: 'origin', type: 'string' }] });
 */
import type { EntityDef, FeatureServiceDef, FeatureViewDef, SourceDef } from './types.js';

/** Settings that take a duration (`6h`, `0`): every property of the schemas with the `featureguard-duration` format. */
type DurationKey = 'ttl' | 'max_clock_skew' | 'landing_delay' | 'min_interval' | 'redeliver_for' | 'max_staleness';

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
const DURATION_KEY_SET: Record<DurationKey, true> = { ttl: true, max_clock_skew: true, landing_delay: true, min_interval: true, redeliver_for: true, max_staleness: true };
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

/** A definition as the YAML loader makes it: `kind` as named here (a `kind` in `spec` does not win), durations normalized, frozen. */
function make<T extends { kind: string }>(kind: T['kind'], spec: object): T {
  return deepFreeze(normalizeDurations(structuredClone({ ...spec, kind })) as T);
}

export const defineEntity = (spec: WithoutKind<EntityDef>): EntityDef => make<EntityDef>('entity', spec);
export const defineSource = (spec: WithoutKind<SourceDef>): SourceDef => make<SourceDef>('source', spec);
export const defineFeatureView = (spec: WithoutKind<FeatureViewDef>): FeatureViewDef =>
  make<FeatureViewDef>('feature_view', spec);
export const defineFeatureService = (spec: WithoutKind<FeatureServiceDef>): FeatureServiceDef =>
  make<FeatureServiceDef>('feature_service', spec);
