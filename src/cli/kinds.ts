/** The kinds of definitions as the CLI takes them (`list KIND`, `describe --kind`). */
import type { DefinitionKind } from '../definitions/types.js';

export const KINDS: readonly DefinitionKind[] = ['entity', 'source', 'feature_view', 'feature_service'];
const KIND_ALIASES: Record<string, DefinitionKind> = {
  entity: 'entity', entities: 'entity',
  source: 'source', sources: 'source',
  feature_view: 'feature_view', feature_views: 'feature_view', view: 'feature_view', views: 'feature_view',
  feature_service: 'feature_service', feature_services: 'feature_service', service: 'feature_service', services: 'feature_service',
};

/** `view`, `feature-views`, … as a kind; an unknown one is an `InputError`. */
export async function parseKind(value: string): Promise<DefinitionKind> {
  const key = value.toLowerCase().replaceAll('-', '_');
  if (Object.hasOwn(KIND_ALIASES, key)) return KIND_ALIASES[key];
  const { InputError } = await import('../errors.js');
  throw new InputError(`unknown kind '${value}': use entity, source, feature_view (view) or feature_service (service)`);
}
