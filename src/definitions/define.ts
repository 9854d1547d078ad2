/**
 * Typed builders for definitions. Each returns a deeply frozen object equal to
 * what the YAML loader produces for the same content.
 *
 * @example
 * const airport = defineEntity({ name: 'airport', join_keys: [{ name: 'origin', type: 'string' }] });
 */
import type { EntityDef, FeatureServiceDef, FeatureViewDef, SourceDef } from './types.js';

type WithoutKind<T> = Omit<T, 'kind'>;

export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}

/** Settings that take a duration (`6h`, `0`): every property of the schemas with the `featureguard-duration` format. */
export const DURATION_KEYS: ReadonlySet<string> = new Set(['ttl', 'max_clock_skew', 'landing_delay', 'min_interval', 'redeliver_for', 'max_staleness']);

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
