/**
 * The lineage record of a run over a feature view's rows (materialize, `check
 * --view`): job, definition versions, the view's source fingerprinted as the
 * input, the output, package version, host and user. File sources larger than
 * the view's `provenance.full_hash_max_bytes` get a partial hash (labelled
 * `partial: true`).
 *
 * @example
 * const lineage = await viewLineage(project, set, view, conn, rel.select, { job: `check:${view.name}`, output: null });
 * project.runs.update(run.id, { lineage });
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { hostname, userInfo } from 'node:os';
import type { Definition, DefinitionKind, DefinitionSet, FeatureServiceDef, FeatureViewDef } from '../definitions/types.js';
import { resolveQuality } from '../guards/config.js';
import { fingerprintFile, fingerprintSource } from '../offline/fingerprint.js';
import type { Project } from '../project.js';
import { contentHash } from '../registry/canonical.js';
import type { Registry } from '../registry/types.js';
import { VERSION } from '../version.js';
import { fileUri, sourceUri } from './dataset-names.js';
import type { Lineage } from './types.js';

/** The OS user running the process (`unknown` without a passwd entry, as in containers). */
export function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

function definitionIn(set: DefinitionSet, kind: DefinitionKind, name: string): Definition | undefined {
  if (kind === 'entity') return set.entities.get(name);
  if (kind === 'source') return set.sources.get(name);
  if (kind === 'feature_view') return set.views.get(name);
  return set.services.get(name);
}

/**
 * Version and content hash of each `kind/name` in `keys` as the run used it: the definition in `set` (read when
 * the run began), not whatever is applied when its lineage is written. An `apply` landing meanwhile would
 * otherwise record versions the run did not use, and `dataset verify` would call a rebuild that gives other rows
 * reproducible. The current version when `set` is still its snapshot; else the latest version with that content.
 *
 * @example
 * const versions = usedDefinitionVersions(project.registry, set, ['feature_view/user_stats', 'source/user_src']);
 */
export function usedDefinitionVersions(
  registry: Pick<Registry, 'currentVersions' | 'versions'>,
  set: DefinitionSet,
  keys: readonly string[],
): Record<string, { version: number; hash: string }> {
  const current = registry.currentVersions();
  const out: Record<string, { version: number; hash: string }> = {};
  for (const key of [...new Set(keys)].sort()) {
    const [kind, name] = key.split('/') as [DefinitionKind, string];
    const def = definitionIn(set, kind, name);
    if (!def) continue;
    const now = current.get(key);
    // The registry hands out the same frozen objects until something is applied: identity is the cheap check.
    let rec = now?.definition === def ? now : undefined;
    if (!rec) {
      const hash = contentHash(def);
      rec = registry.versions(kind, name).findLast((v) => v.hash === hash);
    }
    if (rec) out[key] = { version: rec.version, hash: rec.hash };
  }
  return out;
}

/**
 * Lineage of a run reading `relationSql` (the view's source relation) on `conn`.
 * The source is fingerprinted under the view's resolved quality settings.
 */
export async function viewLineage(
  project: Pick<Project, 'root' | 'config' | 'registry'>,
  set: DefinitionSet,
  view: FeatureViewDef,
  conn: DuckDBConnection,
  relationSql: string,
  opts: { job: string; output: Lineage['output'] },
): Promise<Lineage> {
  const definition_versions = usedDefinitionVersions(project.registry, set, viewKeys(view));
  const source = set.sources.get(view.source);
  const partialThresholdBytes = resolveQuality(project.config.quality, view.quality).provenance.full_hash_max_bytes;
  const inputs = source ? [await fingerprintSource(conn, project.root, source, relationSql, { partialThresholdBytes })] : [];
  return { job: opts.job, definition_versions, inputs, output: opts.output, package_version: VERSION, host: hostname(), user: currentUser() };
}

/** The definitions a run over a view's rows uses: the view, its source and its entities. */
function viewKeys(view: FeatureViewDef): string[] {
  return [`feature_view/${view.name}`, `source/${view.source}`, ...view.entities.map((e) => `entity/${e}`)];
}

/**
 * The lineage of a run over a view's rows that failed before it read them (its source unreadable): the datasets it
 * would have read and written, named as a run that read them names them, without fingerprints.
 */
export function plannedViewLineage(
  project: Pick<Project, 'root' | 'registry'>,
  set: DefinitionSet,
  view: FeatureViewDef,
  opts: { job: string; output: Lineage['output'] },
): Lineage {
  const source = set.sources.get(view.source);
  const kind = source?.path !== undefined ? 'file' : source?.database !== undefined ? 'table' : 'query';
  return {
    job: opts.job,
    definition_versions: usedDefinitionVersions(project.registry, set, viewKeys(view)),
    inputs: source ? [{ name: source.name, kind, uri: sourceUri(project.root, source), fingerprint: {} }] : [],
    output: opts.output,
    package_version: VERSION,
    host: hostname(),
    user: currentUser(),
  };
}

/**
 * Lineage of `check --dataset`: the file judged (size, mtime, SHA-256, as a manifest hashes its outputs; partial
 * above the service's `provenance.full_hash_max_bytes`) and its manifest's, when there is one, the versions of the
 * service and of the views, sources and entities whose policies judged it, no output.
 */
export async function datasetFileLineage(
  project: Pick<Project, 'config' | 'registry'>,
  set: DefinitionSet,
  service: FeatureServiceDef,
  views: readonly FeatureViewDef[],
  file: string,
  manifestFile: string | null,
): Promise<Lineage> {
  const keys = [`feature_service/${service.name}`, ...views.flatMap(viewKeys)];
  const partialThresholdBytes = resolveQuality(project.config.quality, service.quality).provenance.full_hash_max_bytes;
  const [print, manifest] = await Promise.all([
    fingerprintFile(file, { partialThresholdBytes }),
    manifestFile === null ? null : fingerprintFile(manifestFile, { partialThresholdBytes }),
  ]);
  return {
    job: `check:${service.name}`,
    definition_versions: usedDefinitionVersions(project.registry, set, keys),
    inputs: [{ name: 'dataset', kind: 'file', uri: fileUri(file), fingerprint: { files: [print], ...(manifest ? { manifest } : {}) } }],
    output: null,
    package_version: VERSION,
    host: hostname(),
    user: currentUser(),
  };
}
