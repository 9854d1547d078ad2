/**
 * The names a kind of definition goes by where a user names one (`fg list view`, `describe --kind`, the SDK's
 * `apply([], { remove: ['view:old'] })`): the kind itself, its plural, and `view` / `service` for short, in any
 * case, with `-` for `_`.
 */
import type { DefinitionKind } from '../definitions/types.js';

const KIND_ALIASES = {
  entity: 'entity', entities: 'entity',
  source: 'source', sources: 'source',
  feature_view: 'feature_view', feature_views: 'feature_view', view: 'feature_view', views: 'feature_view',
  feature_service: 'feature_service', feature_services: 'feature_service', service: 'feature_service', services: 'feature_service',
} as const satisfies Record<string, DefinitionKind>;

/** A kind, or one of its aliases (`view`, `entities`, …). */
export type KindName = keyof typeof KIND_ALIASES;

/** How refusals list the kinds and their short names. */
export const KIND_NAMES = 'entity, source, feature_view (view) or feature_service (service)';

/**
 * The kind `value` names, or undefined.
 *
 * @example
 * kindOfAlias('Feature-Views'); // 'feature_view'
 */
export function kindOfAlias(value: string): DefinitionKind | undefined {
  const key = value.toLowerCase().replaceAll('-', '_');
  return Object.hasOwn(KIND_ALIASES, key) ? KIND_ALIASES[key as KindName] : undefined;
}
