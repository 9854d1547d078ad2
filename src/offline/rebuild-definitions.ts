/**
 * The definitions a dataset manifest recorded (`definitions`: `kind/name` → version and content hash), read back
 * from the registry's history (`objectVersion`): what `dataset build --from-manifest` builds with, and what
 * `dataset verify` checks a rebuilt dataset's manifest against. Read only.
 *
 * @example
 * const set = recordedDefinitions(project.registry, manifest.definitions);
 */
import type { Definition, DefinitionKind, DefinitionSet, EntityDef, FeatureServiceDef, FeatureViewDef, SourceDef } from '../definitions/types.js';
import { FeatureguardError } from '../errors.js';
import { objectVersion } from '../registry/object-version.js';
import type { Registry } from '../registry/types.js';
import type { DatasetManifest } from './manifest-types.js';

type HistoryReader = Pick<Registry, 'current' | 'versions' | 'currentVersions' | 'removedVersions'>;

/**
 * The applied definitions with every object the manifest recorded replaced by its recorded version. A version the
 * registry no longer holds, or holds as another definition (a state folder made anew numbers versions anew), is a
 * `FeatureguardError` `unknown_version` (exit 2) naming it: those rows cannot be rebuilt here.
 */
export function recordedDefinitions(registry: HistoryReader, recorded: DatasetManifest['definitions']): DefinitionSet {
  const now = registry.current();
  const maps = {
    entity: new Map(now.entities), source: new Map(now.sources), feature_view: new Map(now.views), feature_service: new Map(now.services),
  } as Record<DefinitionKind, Map<string, Definition>>;
  for (const [key, rec] of Object.entries(recorded)) {
    const [kind, name] = key.split('/') as [DefinitionKind, string];
    const held = heldVersion(registry, kind, name, rec.version);
    if (!held || held.hash !== rec.hash || held.definition === null) {
      throw new FeatureguardError(
        'unknown_version',
        `${kind} '${name}' version ${rec.version} of the manifest is not in this registry's history${held ? ' as it was recorded (its content hash differs: a state folder made anew since?)' : ''}; the dataset cannot be rebuilt at its definition versions`,
        { status: 404, exitCode: 2, details: { kind, name, version: rec.version } },
      );
    }
    maps[kind].set(name, held.definition);
  }
  return {
    entities: maps.entity as Map<string, EntityDef>,
    sources: maps.source as Map<string, SourceDef>,
    views: maps.feature_view as Map<string, FeatureViewDef>,
    services: maps.feature_service as Map<string, FeatureServiceDef>,
  };
}

/** Version `version` of the object, or null when the registry has no such object or version. */
function heldVersion(registry: HistoryReader, kind: DefinitionKind, name: string, version: number) {
  try {
    return objectVersion(registry, kind, name, version).version;
  } catch (e) {
    if (e instanceof FeatureguardError) return null;
    throw e;
  }
}
