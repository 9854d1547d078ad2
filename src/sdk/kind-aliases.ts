/**
 * The names a kind of definition goes by where a user names one (`fg list view`, `describe --kind`, the SDK's
 * `apply([], { remove: ['view:old'] })`): the kind itself, its plural, and `view` / `service` for short, in any
 * case, with `-` for `_`.
 */
import { closest } from '../definitions/suggest.js';
import type { DefinitionKind } from '../definitions/types.js';
import { InputError } from '../errors.js';

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

/**
 * ` (did you mean 'view'?)` for a word that is no kind nor alias, or `''`: the closest of every name a kind goes by,
 * a camelCase or spaced spelling read as its snake_case first (`featureView` → `feature_view`).
 *
 * @example
 * kindSuggestion('veiw'); // " (did you mean 'view'?)"
 */
export function kindSuggestion(value: string): string {
  const snake = value.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/[-\s]+/g, '_').toLowerCase();
  const meant = kindOfAlias(snake) !== undefined ? snake : closest(snake, Object.keys(KIND_ALIASES));
  return meant === undefined ? '' : ` (did you mean '${meant}'?)`;
}

/**
 * The refusal of a kind that is none (`invalid_request`): the kinds and their aliases listed, the closest suggested.
 *
 * @example
 * unknownKind('veiw').message; // "unknown kind 'veiw': use entity, source, feature_view (view) or feature_service (service), … (did you mean 'view'?)"
 */
export function unknownKind(value: unknown): InputError {
  const shown = typeof value === 'string' ? `'${value}'` : value === undefined ? 'undefined' : JSON.stringify(value) ?? typeof value;
  const hint = typeof value === 'string' ? kindSuggestion(value) : '';
  return new InputError(`unknown kind ${shown}: use ${KIND_NAMES}, or their plurals (entities, views, …), in any case${hint}`, { kind: String(value) }, 'invalid_request');
}
