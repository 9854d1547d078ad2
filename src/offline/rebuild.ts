/**
 * `dataset build --from-manifest` (SDK `rebuildDataset`): a dataset built again from its manifest — the same
 * entity input (refused when its fingerprint no longer matches), request and options, and the definitions at the
 * versions the manifest recorded, read from the registry's history (`recordedDefinitions`), not the applied ones.
 * A source whose data changed since is read as it is now and reported (`warnings`, and the new manifest's
 * `rebuilt_from.warnings` beside the sources' new fingerprints); `strict` refuses instead. The new manifest
 * records `rebuilt_from`: the old manifest's path and the SHA-256 of its bytes.
 *
 * @example
 * const res = await rebuildDataset(project, 'train.parquet.manifest.json', { out: 'train.rebuilt.parquet' });
 * for (const w of res.warnings) console.warn(w);
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { InputError } from '../errors.js';
import type { Project } from '../project.js';
import { readFailureText } from './source-sql.js';
import { planDataset } from './dataset-plan.js';
import { asRebuild } from './dataset-request.js';
import type { EntityInput } from './entity-input-types.js';
import { fingerprintFile, type FileFingerprint } from './fingerprint.js';
import { getHistoricalFeatures } from './historical.js';
import type { HistoricalFeaturesRequest } from './historical-types.js';
import { fingerprintEachSource } from './manifest.js';
import type { DatasetManifest } from './manifest-types.js';
import { recordedDefinitions } from './rebuild-definitions.js';
import type { RebuildOptions, RebuildResult } from './rebuild-types.js';
import { globPushNames, sourceDifferences } from './verify-dataset.js';

export type { RebuildOptions, RebuildResult } from './rebuild-types.js';

/** Build the dataset of the manifest at `manifestFile` again (see the module comment). */
export async function rebuildDataset(project: Project, manifestFile: string, options: RebuildOptions = {}): Promise<RebuildResult> {
  const baseDir = options.baseDir ?? process.cwd();
  const path = isAbsolute(manifestFile) ? manifestFile : resolve(baseDir, manifestFile);
  const { manifest: m, sha256 } = loadManifest(path);
  const entities = await recordedEntities(path, m);
  const definitions = recordedDefinitions(project.registry, m.definitions);
  const planned = m.request.service ? { service: m.request.service } : { features: m.request.features };
  const names = globPushNames(definitions);
  if (options.strict) {
    // Refused before any work: each source the manifest records, fingerprinted as the build would.
    const plan = planDataset(project.sourceRoots, definitions, { ...planned, fullFeatureNames: m.request.full_feature_names });
    const now = new Map((await fingerprintEachSource(await project.engine(), project.root, plan, project.config.quality)).map((s) => [s.name, s]));
    const changes: string[] = [];
    for (const s of m.sources) {
      const p = now.get(s.name);
      if (p && 'error' in p) changes.push(`source '${s.name}' cannot be read: ${readFailureText(p.error, project.root)}`);
      else changes.push(...(await sourceDifferences(project.root, s, p?.input, names)));
    }
    if (changes.length > 0) {
      throw new InputError(`not rebuilt (--strict): ${changes.join('; ')}`, { manifest: path, changes }, 'sources_changed');
    }
  }
  let warnings: string[] = [];
  const request: HistoricalFeaturesRequest = {
    entities,
    ...planned,
    fullFeatureNames: m.request.full_feature_names,
    availability: m.request.availability,
    timestampColumn: m.request.timestamp_column,
    splitAt: m.request.split?.at ?? undefined,
    testFraction: m.request.split?.test_fraction ?? undefined,
    allowFailedChecks: m.checks.allowed_failed_checks,
    out: options.out,
    format: options.format,
    baseDir,
    onProgress: options.onProgress,
    signal: options.signal,
  };
  const res = await getHistoricalFeatures(project, asRebuild(request, {
    definitions,
    amend: async (built) => {
      // Rows from other entity rows than the recorded ones (a SQL query answering otherwise, a glob's files) are refused.
      const was = m.entities.fingerprint as { rows?: number; checksum?: string };
      const now = built.entities.fingerprint as typeof was;
      if (was.rows !== now.rows || was.checksum !== now.checksum) {
        throw new InputError(
          `the entity rows of ${m.entities.uri} changed since the build (${was.rows} rows, checksum ${was.checksum} → ${now.rows} rows, checksum ${now.checksum}); a rebuild takes the same entity rows`,
          { manifest: path }, 'entity_input_changed',
        );
      }
      warnings = [];
      for (const s of m.sources) warnings.push(...(await sourceDifferences(project.root, s, built.sources.find((b) => b.name === s.name), names)));
      return { ...built, rebuilt_from: { manifest: path, sha256, run_id: m.run_id, warnings } };
    },
  }));
  return { ...res, warnings };
}

/**
 * The file a CLI rebuild writes without `--out`: the recorded one (before a split, `<name>.<ext>`) as
 * `<name>.rebuilt.<ext>`, beside it; `null` for a dataset built in memory.
 */
export function defaultRebuildOut(m: DatasetManifest): string | null {
  const all = m.outputs.find((o) => o.part === 'all' && o.path !== null)?.path;
  const train = m.outputs.find((o) => o.part === 'train' && o.path !== null)?.path;
  const recorded = all ?? train?.replace(/\.train(?=\.[^\\/]*$)/, '');
  if (!recorded) return null;
  return recorded.replace(/(\.[^.\\/]+(\.(gz|zst))?)$/i, '.rebuilt$1');
}

/** The manifest at `path` and the SHA-256 of its bytes; `bad_manifest` for anything else. */
export function loadManifest(path: string): { manifest: DatasetManifest; sha256: string } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new InputError(`cannot read dataset manifest ${path}: ${(e as Error).message.split('\n')[0]}`, { path }, 'bad_manifest');
  }
  let m: DatasetManifest | undefined;
  try {
    m = JSON.parse(bytes.toString('utf8')) as DatasetManifest;
  } catch {
    // (JSON.parse's message quotes the file's first bytes: not repeated.)
  }
  if (m?.kind !== 'featureguard.dataset' || !m.request || !m.definitions || !Array.isArray(m.sources) || !m.entities) {
    throw new InputError(`${path} is not a featureguard dataset manifest (kind 'featureguard.dataset'): give the FILE.manifest.json a dataset build wrote beside FILE`, { path }, 'bad_manifest');
  }
  return { manifest: m, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/**
 * The entity input the manifest recorded: its file (beside the manifest as recorded, else at its absolute path),
 * refused when gone or changed since (hashed as the build hashed it), or its SQL query (its rows are compared once
 * loaded, `amend`). Rows given in memory cannot be read again: refused.
 */
async function recordedEntities(path: string, m: DatasetManifest): Promise<EntityInput> {
  const uri = m.entities.uri;
  if (uri.startsWith('sql:')) return { kind: 'sql', sql: uri.slice('sql:'.length) };
  if (!uri.startsWith('file://')) {
    throw new InputError(`the entity rows came from memory (${uri}): the manifest has their fingerprint but not the rows, so the dataset cannot be rebuilt from it; build it again with the same rows`, { manifest: path }, 'entity_input_unavailable');
  }
  const absolute = uri.slice('file://'.length);
  const beside = m.entities.relative_path === undefined ? undefined : resolve(dirname(path), m.entities.relative_path);
  const file = beside !== undefined && existsSync(beside) ? beside : absolute;
  if (!existsSync(file)) throw new InputError(`the entity file ${file} is gone: the dataset cannot be rebuilt`, { manifest: path, path: file }, 'entity_input_changed');
  const recorded = (m.entities.fingerprint as { file?: FileFingerprint }).file;
  if (recorded) {
    const now = await fingerprintFile(file, { partialThresholdBytes: recorded.partial ? recorded.size - 1 : Number.MAX_SAFE_INTEGER });
    if (now.size !== recorded.size || now.sha256 !== recorded.sha256) {
      const what = now.size !== recorded.size ? `${recorded.size} → ${now.size} bytes` : recorded.partial ? 'size, modification time or first/last MiB' : 'content';
      throw new InputError(`the entity file ${file} changed since the build (${what}): a rebuild takes the same entity rows`, { manifest: path, path: file }, 'entity_input_changed');
    }
  }
  return { kind: 'file', path: file };
}
