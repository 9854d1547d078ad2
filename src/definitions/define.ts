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

function make<T extends { kind: string }>(kind: T['kind'], spec: object): T {
  return deepFreeze(structuredClone({ kind, ...spec }) as T);
}

export const defineEntity = (spec: WithoutKind<EntityDef>): EntityDef => make<EntityDef>('entity', spec);
export const defineSource = (spec: WithoutKind<SourceDef>): SourceDef => make<SourceDef>('source', spec);
export const defineFeatureView = (spec: WithoutKind<FeatureViewDef>): FeatureViewDef =>
  make<FeatureViewDef>('feature_view', spec);
export const defineFeatureService = (spec: WithoutKind<FeatureServiceDef>): FeatureServiceDef =>
  make<FeatureServiceDef>('feature_service', spec);
