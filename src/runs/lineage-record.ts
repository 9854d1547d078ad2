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
import type { DefinitionSet, FeatureViewDef } from '../definitions/types.js';
import { resolveQuality } from '../guards/config.js';
import { fingerprintSource } from '../offline/fingerprint.js';
import type { Project } from '../project.js';
import { VERSION } from '../version.js';
import type { Lineage } from './types.js';

/** The OS user running the process (`unknown` without a passwd entry, as in containers). */
export function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
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
  const versions = project.registry.currentVersions();
  const definition_versions: Lineage['definition_versions'] = {};
  for (const k of [`feature_view/${view.name}`, `source/${view.source}`, ...view.entities.map((e) => `entity/${e}`)]) {
    const v = versions.get(k);
    if (v) definition_versions[k] = { version: v.version, hash: v.hash };
  }
  const source = set.sources.get(view.source);
  const partialThresholdBytes = resolveQuality(project.config.quality, view.quality).provenance.full_hash_max_bytes;
  const inputs = source ? [await fingerprintSource(conn, project.root, source, relationSql, { partialThresholdBytes })] : [];
  return { job: opts.job, definition_versions, inputs, output: opts.output, package_version: VERSION, host: hostname(), user: currentUser() };
}
