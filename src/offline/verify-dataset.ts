/**
 * `featureguard dataset verify FILE.manifest.json`: would building this dataset
 * again give the same rows? It compares what the manifest recorded at build time
 * with the project now — the applied definitions the build used (kind, name,
 * content hash), each source's fingerprint (files: SHA-256; tables and queries:
 * row count and checksum), the entity file's fingerprint — and checks that the
 * output files are still there with their recorded sizes and SHA-256.
 *
 * @example
 * const v = await verifyDataset(project, 'data/train.parquet.manifest.json');
 * if (!v.reproducible) console.log(v.differences.map((d) => d.message));
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import type { DefinitionKind, DefinitionSet } from '../definitions/types.js';
import { rowShape } from '../definitions/row-shape.js';
import { contentHash } from '../registry/canonical.js';
import { InputError } from '../errors.js';
import type { Project } from '../project.js';
import type { LineageInput } from '../runs/types.js';
import { planDataset, type DatasetPlan } from './dataset-plan.js';
import { fingerprintFile, type FileFingerprint } from './fingerprint.js';
import { fingerprintEachSource, manifestPath, readManifest } from './manifest.js';
import type { DatasetManifest } from './manifest-types.js';
import { pushFileNames, type PushFileNames } from './push-file-name.js';
import { recordedDefinitions } from './rebuild-definitions.js';
import { COMPACTED_FILE, readFailureText } from './source-sql.js';
import type { DatasetDifference, DatasetVerification } from './verify-dataset-types.js';

function loadManifest(path: string): DatasetManifest {
  let m: DatasetManifest;
  try {
    m = readManifest(path);
  } catch (e) {
    // JSON.parse's message quotes the file's first bytes (a Parquet file's are control characters): not repeated.
    if (e instanceof SyntaxError) throw notJson(path);
    throw new InputError(`cannot read dataset manifest ${path}: ${(e as Error).message.split('\n')[0]}`, { path }, 'bad_manifest');
  }
  if (m?.kind !== 'featureguard.dataset' || !m.request || !m.definitions || !Array.isArray(m.sources)) {
    throw new InputError(`${path} is not a featureguard dataset manifest (kind 'featureguard.dataset')`, { path }, 'bad_manifest');
  }
  return m;
}

/** A file that is no JSON (the dataset itself, given for its manifest): says which file to give. */
function notJson(path: string): InputError {
  const beside = manifestPath(path);
  const manifest = existsSync(beside) ? beside : undefined;
  const give = manifest ? `give ${manifest}` : 'give the FILE.manifest.json a dataset build wrote beside FILE';
  return new InputError(`${path} is not a dataset manifest (not JSON): ${give}`, { path, manifest: manifest ?? null }, 'bad_manifest');
}

/** How a recorded file was hashed (whole, or partially: size, modification time, first and last MiB), to hash it so again. */
function hashedAsRecorded(f: FileFingerprint): { partialThresholdBytes: number } {
  return { partialThresholdBytes: f.partial ? f.size - 1 : Number.MAX_SAFE_INTEGER };
}

/** What changed in a file hashed as recorded (`f`, then `g`), or null. */
function fileChange(f: FileFingerprint, g: FileFingerprint): string | null {
  if (g.size !== f.size) return `${f.size} → ${g.size} bytes`;
  if (g.sha256 === f.sha256) return null;
  return f.partial ? 'size, modification time or first/last MiB' : 'content';
}

/**
 * The current files of a source, each recorded one hashed the way the build hashed it: a
 * `provenance.full_hash_max_bytes` changed since decides how new builds hash, it is no change in the data.
 */
async function filesAsRecorded(root: string, was: readonly FileFingerprint[], now: readonly FileFingerprint[]): Promise<FileFingerprint[]> {
  const recorded = new Map(was.map((f) => [f.path, f]));
  return Promise.all(now.map(async (g) => {
    const f = recorded.get(g.path);
    if (!f || f.partial === g.partial) return g;
    return { ...(await fingerprintFile(resolve(root, g.path), hashedAsRecorded(f))), path: g.path };
  }));
}

/** Where a file the manifest names is, and, when that is in another project, the original's path if it is still there. */
interface Located {
  readonly at: string;
  readonly original: string | null;
}

/**
 * Where a file the manifest names is now: beside the manifest as recorded (`relative`: the project may have been
 * moved, or copied, checked out elsewhere by CI), else, when the manifest is still where the build wrote it (`home`),
 * at its recorded absolute path (a manifest moved away from its outputs). A manifest elsewhere (a copied project)
 * never looks in the original project: a file missing in the copy is gone, whether or not the original has it.
 * A manifest written before relative paths were has the absolute path alone.
 */
function located(manifest: string, home: boolean, relativePath: string | undefined, absolute: string): Located {
  if (relativePath === undefined) return { at: absolute, original: null };
  const beside = resolve(dirname(manifest), relativePath);
  if (existsSync(beside) || beside === absolute || !existsSync(absolute)) return { at: beside, original: null };
  return home ? { at: absolute, original: null } : { at: beside, original: absolute };
}

/** `what … is gone`, naming the original when the manifest is a copy's and the original is still there. */
function gone(what: string, l: Located): string {
  return `${what} ${l.at} is gone${l.original ? ` (the original at ${l.original} is still there)` : ''}`;
}

/**
 * The names pushes and compactions give files in the folders of `set`'s glob sources (`pushFileNames` of each glob's
 * file name; `part-*.parquet`: `part-push-….parquet`, merged into `part-push-…-compacted-….parquet`). Every glob's,
 * not only a source's own: `*.parquet` reads what pushes to `part-*.parquet` in its folder wrote.
 */
export function globPushNames(set: DefinitionSet): PushFileNames[] {
  const globs = new Set<string>();
  for (const source of set.sources.values()) {
    const file = source.path?.split(/[\\/]/).pop();
    if (file?.includes('*')) globs.add(file);
  }
  return [...globs].map((glob) => pushFileNames(glob));
}

/**
 * Differences between the files of a recorded fingerprint and of the current one. `names`: the pushed and merged
 * files' names of the project's globs (`globPushNames`), besides the plain `push-…` ones.
 */
function fileDifferences(root: string, name: string, was: readonly FileFingerprint[], now: readonly FileFingerprint[], names: readonly PushFileNames[]): string[] {
  const before = new Map(was.map((f) => [f.path, f]));
  const after = new Map(now.map((f) => [f.path, f]));
  const out: string[] = [];
  // Files the source no longer reads though they are still there: its path changed (a file still there is not gone).
  const left = [...before.keys()].filter((p) => !after.has(p) && existsSync(resolve(root, p)));
  if (left.length > 0) {
    const added = [...after.keys()].filter((p) => !before.has(p));
    const reads = added.length > 0 ? `now reads ${added.join(', ')} instead of` : 'no longer reads';
    out.push(`source '${name}' ${reads} ${left.join(', ')} (which ${left.length === 1 ? 'is' : 'are'} still there)`);
    for (const p of left) before.delete(p);
    for (const p of added) after.delete(p);
  }
  // A file `featureguard compact` wrote (push-<time>-compacted-<id>, a glob's part-push-<time>-compacted-<id>) in a
  // folder a pushed file is gone from: name it. Gone, any push-… file (a push's, a merged file merged again) and a
  // glob's pushed or merged file.
  const isCompacted = (file: string) => COMPACTED_FILE.test(file) || names.some((n) => n.compacted.test(file));
  const isPushed = (file: string) => /^push-/.test(file) || names.some((n) => n.parse(file) !== null || n.compacted.test(file));
  const compacted = [...after.keys()].filter((p) => !before.has(p) && isCompacted(basename(p)));
  const mergedInto = (path: string) => (isPushed(basename(path)) ? compacted.find((c) => dirname(c) === dirname(path)) : undefined);
  for (const [path, f] of before) {
    const g = after.get(path);
    const change = g && fileChange(f, g);
    const into = g ? undefined : mergedInto(path);
    if (!g) out.push(`file ${path} of source '${name}' is gone${into ? ` (probably merged by \`featureguard compact\` into ${into}: the rows may be the same, but the build read other files)` : ''}`);
    else if (change) out.push(`file ${path} of source '${name}' changed (${change})`);
  }
  for (const path of after.keys()) {
    if (!before.has(path)) out.push(`file ${path} was added to source '${name}'${compacted.includes(path) ? ' (a file `featureguard compact` merged pushed files into)' : ''}`);
  }
  return out;
}

export async function sourceDifferences(root: string, was: LineageInput, now: LineageInput | undefined, names: readonly PushFileNames[]): Promise<string[]> {
  if (!now) return [`source '${was.name}' is no longer read by the build`];
  const a = was.fingerprint as { files?: FileFingerprint[]; rows?: number; checksum?: string; database?: FileFingerprint; views?: Record<string, string> };
  const b = now.fingerprint as typeof a;
  if (a.files) return fileDifferences(root, was.name, a.files, await filesAsRecorded(root, a.files, b.files ?? []), names);
  // A manifest from before sources read by several views were fingerprinted per view holds one view's checksum.
  const same = a.checksum === b.checksum || (a.views === undefined && b.views !== undefined && Object.values(b.views).includes(a.checksum ?? ''));
  if (a.rows !== b.rows || !same) {
    return [`source '${was.name}' holds other rows (${a.rows} rows, checksum ${a.checksum} → ${b.rows} rows, checksum ${b.checksum})`];
  }
  return [];
}

/** Compare a dataset's manifest with the project as it is now (see the module comment). */
export async function verifyDataset(project: Project, manifestFile: string, baseDir = process.cwd()): Promise<DatasetVerification> {
  const path = isAbsolute(manifestFile) ? manifestFile : resolve(baseDir, manifestFile);
  const m = loadManifest(path);
  const differences: DatasetDifference[] = [];
  const notes: string[] = [];

  // A rebuilt dataset (`dataset build --from-manifest`) was built at its recorded versions: checked against those.
  let pinned: DefinitionSet | null = null;
  if (m.rebuilt_from) {
    try {
      pinned = recordedDefinitions(project.registry, m.definitions);
    } catch (e) {
      differences.push({ what: 'definition', name: 'definitions', message: (e as Error).message });
    }
  }
  const versions = project.registry.currentVersions();
  for (const [key, rec] of m.rebuilt_from ? [] : Object.entries(m.definitions)) {
    const now = versions.get(key);
    if (!now) differences.push({ what: 'definition', name: key, message: `${key.replace('/', " '")}' is no longer applied` });
    else if (now.hash !== rec.hash) {
      // A change that cannot change the rows (a description, owner, tags, quality policy, constraints): a note.
      const [kind, name] = key.split('/') as [DefinitionKind, string];
      // The version the build used, if this registry holds it (a state folder made anew numbers versions anew).
      const then = project.registry.versions(kind, name).find((v) => v.version === rec.version && v.hash === rec.hash)?.definition;
      if (then && now.definition && contentHash(rowShape(then)) === contentHash(rowShape(now.definition))) {
        notes.push(`${key.replace('/', " '")}' changed since the build (version ${rec.version} → ${now.version}), not in what decides the rows`);
      } else differences.push({ what: 'definition', name: key, message: `${key.replace('/', " '")}' changed since the build (version ${rec.version} → ${now.version})` });
    }
  }

  // The sources as the build fingerprints them (same relations, same full-hash limits).
  const set = pinned ?? project.registry.current();
  let plan: DatasetPlan | null = null;
  try {
    plan = planDataset(project.sourceRoots, set, m.request.service ? { service: m.request.service, fullFeatureNames: m.request.full_feature_names } : { features: m.request.features, fullFeatureNames: m.request.full_feature_names });
  } catch (e) {
    differences.push({ what: 'definition', name: m.request.service ? `feature_service/${m.request.service}` : 'features', message: `the request cannot be planned with the applied definitions: ${(e as Error).message.split('\n')[0]}` });
  }
  if (plan) {
    // Each source on its own: one that cannot be read is a difference of its own, and hides no other's.
    const byName = new Map((await fingerprintEachSource(await project.engine(), project.root, plan, project.config.quality)).map((s) => [s.name, s]));
    const names = globPushNames(set);
    for (const s of m.sources) {
      const now = byName.get(s.name);
      if (now && 'error' in now) differences.push({ what: 'source', name: s.name, message: `source '${s.name}' cannot be read: ${readFailureText(now.error, project.root)}` });
      else for (const message of await sourceDifferences(project.root, s, now?.input, names)) differences.push({ what: 'source', name: s.name, message });
    }
  }

  // Still where the build wrote it: beside one of its outputs' recorded paths.
  const home = m.outputs.some((o) => o.path !== null && manifestPath(o.path) === path);
  const file = (m.entities.fingerprint as { file?: FileFingerprint }).file;
  if (file) {
    const entities = located(path, home, m.entities.relative_path, m.entities.uri.replace(/^file:\/\//, ''));
    const abs = entities.at;
    if (!existsSync(abs)) differences.push({ what: 'entities', name: 'entities', message: gone('entity file', entities) });
    else {
      const change = fileChange(file, await fingerprintFile(abs, hashedAsRecorded(file)));
      if (change) differences.push({ what: 'entities', name: 'entities', message: `entity file ${abs} changed (${change})` });
    }
  } else {
    const from = m.entities.uri.startsWith('sql:') ? 'a SQL query' : m.entities.uri.startsWith('file://') ? 'a glob of files' : 'memory';
    notes.push(`entity rows came from ${from}: the manifest has their fingerprint (${String((m.entities.fingerprint as { checksum?: string }).checksum)}) but not their source, so they are not re-read`);
  }

  for (const o of m.outputs) {
    if (!o.path) continue;
    const output = located(path, home, o.relative_path, o.path);
    const at = output.at;
    if (!existsSync(at)) differences.push({ what: 'output', name: at, message: gone('output', output) });
    else if (o.bytes !== null && statSync(at).size !== o.bytes) differences.push({ what: 'output', name: at, message: `output ${at} has ${statSync(at).size} bytes, the build wrote ${o.bytes}` });
    else if (o.bytes !== null && o.sha256 !== undefined) {
      // A manifest from before outputs were hashed has their size alone.
      const recorded: FileFingerprint = { path: at, size: o.bytes, mtime: '', sha256: o.sha256, partial: o.partial === true };
      const change = fileChange(recorded, await fingerprintFile(at, hashedAsRecorded(recorded)));
      if (change) differences.push({ what: 'output', name: at, message: `output ${at} changed (${change})` });
    }
  }
  return { manifest: path, run_id: m.run_id, created_at: m.created_at, reproducible: differences.length === 0, differences, notes };
}
