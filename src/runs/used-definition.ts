/**
 * `runs list --definition NAME@N`: the registry object version a run's lineage must record
 * (`definition_versions`), from `NAME@N`, `NAME@vN` or `KIND/NAME@N`. The object must have that version
 * (`objectVersion`'s errors: unknown name, 404 `unknown_version` naming the versions it has).
 *
 * @example
 * usedDefinition(project.registry, 'route_daily@2'); // { key: 'feature_view/route_daily', version: 2 }
 */
import type { DefinitionKind } from '../definitions/types.js';
import { InputError } from '../errors.js';
import { objectVersion, parseVersionSelector } from '../registry/object-version.js';
import type { Registry } from '../registry/types.js';

const KINDS: readonly DefinitionKind[] = ['entity', 'source', 'feature_view', 'feature_service'];

export function usedDefinition(registry: Pick<Registry, 'versions' | 'currentVersions' | 'removedVersions'>, ref: string, flag = '--definition'): { key: string; version: number } {
  const at = ref.lastIndexOf('@');
  if (at <= 0) throw new InputError(`invalid ${flag} '${ref}': give NAME@N (a version of a registry object, as \`describe NAME@N\` takes)`);
  const slash = ref.indexOf('/');
  const name = ref.slice(slash + 1, at);
  const selector = parseVersionSelector(ref.slice(at + 1), `${name}@1`);
  const kinds = slash < 0 ? KINDS.filter((k) => registry.versions(k, name).length > 0) : [ref.slice(0, slash) as DefinitionKind];
  if (kinds.length > 1) throw new InputError(`invalid ${flag} '${ref}': '${name}' names several objects (${kinds.join(', ')}): give KIND/${name}@N`);
  // No object of any kind: said as for a view (the usual case), with its did-you-mean.
  const { version } = objectVersion(registry, kinds[0] ?? 'feature_view', name, selector);
  return { key: `${version.kind}/${version.name}`, version: version.version };
}
