/**
 * The manifest written beside every dataset output (`FILE.manifest.json`):
 * everything needed to rebuild the same rows and to audit them later — the
 * request, the definition versions, each source's fingerprint, the entity
 * input's fingerprint, row counts, time range, the package version, the run and
 * a summary of the checks.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { createHash } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { dirname, relative, resolve } from 'node:path';
import type { DefinitionSet } from '../definitions/types.js';
import { InputError } from '../errors.js';
import { isGlob } from '../definitions/source-location.js';
import { resolveQuality, type QualityConfig } from '../guards/config.js';
import type { GuardStageResult } from '../guards/stage.js';
import type { Project } from '../project.js';
import { fileUri, sourceUri } from '../runs/dataset-names.js';
import { currentUser, usedDefinitionVersions } from '../runs/lineage-record.js';
import type { CheckResult, Lineage, LineageInput, Run } from '../runs/types.js';
import { VERSION } from '../version.js';
import { splitOutputPath } from './dataset-output.js';
import { labelViewNotes, type DatasetPlan, type PlannedView } from './dataset-plan.js';
import { runSetup } from './source-sql.js';
import type { OfflineEngine } from './engine.js';
import type { LoadedEntities } from './entity-input.js';
import { fingerprintFile, fingerprintOrderedRelation, fingerprintSource, type FileFingerprint } from './fingerprint.js';
import { ROW_ORDINAL } from './point-in-time.js';
// The manifest's types are in a type-only module (the SDK's declarations import them there).
import type { DatasetManifest, ManifestCheckResult, ManifestOutput } from './manifest-types.js';

export const MANIFEST_FORMAT_VERSION = 1;


/** `details` keys that hold bulky arrays (or copies of the manifest's sources), not kept in the manifest. */
const BULKY_DETAILS = new Set(['histogram', 'categories', 'sample', 'samples', 'examples', 'inputs']);

/** A check result as recorded in the manifest. */
export function manifestCheckResult(r: CheckResult): ManifestCheckResult {
  let details: Record<string, unknown> | null = null;
  if (r.details) {
    details = {};
    for (const [k, v] of Object.entries(r.details)) if (!BULKY_DETAILS.has(k)) details[k] = v;
  }
  return {
    run_id: r.run_id, check: r.check, feature: r.feature, slice: r.slice, status: r.status, policy: r.policy,
    method: r.method, value: r.value, thresholds: r.thresholds, metrics: r.metrics, message: r.message, details,
  };
}

/** Path of the manifest beside an output file. */
export function manifestPath(outputPath: string): string {
  return `${outputPath}.manifest.json`;
}

/** Write `manifest` to `path`, with the entity file and outputs also relative to `path`'s folder (`locatedManifest`). */
export function writeManifest(path: string, manifest: DatasetManifest): void {
  writeFileSync(path, `${JSON.stringify(locatedManifest(path, manifest), null, 2)}\n`);
}

/**
 * `manifest` as it is written to `path`: the entity file and outputs also relative to `path`'s folder
 * (`relative_path`). What `dataset build --json` prints, the written manifest's content.
 */
export function locatedManifest(path: string, manifest: DatasetManifest): DatasetManifest {
  const folder = dirname(resolve(path));
  const file = (manifest.entities.fingerprint as { file?: unknown }).file !== undefined && manifest.entities.uri.startsWith('file://');
  return {
    ...manifest,
    entities: file ? { ...manifest.entities, relative_path: relative(folder, manifest.entities.uri.slice('file://'.length)) } : manifest.entities,
    outputs: manifest.outputs.map((o) => (o.path === null ? o : { ...o, relative_path: relative(folder, o.path) })),
  };
}

export function readManifest(path: string): DatasetManifest {
  return JSON.parse(readFileSync(path, 'utf8')) as DatasetManifest;
}

/** What a build knows when it writes its manifest (internal to the dataset modules). */
export interface BuildFacts {
  readonly project: Project;
  readonly set: DefinitionSet;
  readonly plan: DatasetPlan;
  readonly loaded: LoadedEntities;
  /** The entity file's fingerprint, taken as its rows were loaded (`entityFileFingerprint`); null for other inputs. */
  readonly entityFile: FileFingerprint | null;
  /** Temp table with the loaded entity rows (for their fingerprint). */
  readonly entTable: string;
  readonly conn: DuckDBConnection;
  /** Source fingerprints, started early (see `startSourceFingerprints`). */
  readonly sources: Promise<LineageInput[]>;
  readonly availability: 'event' | 'created';
  readonly options: {
    readonly features: readonly string[] | null;
    readonly service: string | null;
    readonly full_feature_names: boolean;
    readonly timestamp_column: string;
    readonly split_at: string | null;
    readonly test_fraction: number | null;
    readonly allow_failed_checks: boolean;
    /** The format written (`parquet`, …; `memory`, `stream:<format>`). */
    readonly output: string;
    /** The file asked for (absolute), when the build writes files. */
    readonly out?: string;
  };
  readonly splitAt: string | null;
  readonly types: readonly { readonly name: string; readonly type: string }[];
  readonly guard: GuardStageResult;
  readonly status: 'success' | 'warned' | 'blocked';
  readonly run: Run;
}

/** A source's fingerprint, or why it could not be taken (see `fingerprintEachSource`). */
export type SourceFingerprint = { readonly name: string } & ({ readonly input: LineageInput } | { readonly error: Error });

/**
 * Fingerprint each source of the plan on a connection of its own, so that
 * hashing files overlaps with the join running in DuckDB. Files are hashed
 * whole up to `provenance.full_hash_max_bytes` of the view reading them
 * (`projectQuality` ← the view's `quality`), partially above; a source read by
 * several views takes the largest of their limits. A glob source's files are the
 * ones the build read (`readFiles`, resolved once the build's setup listed them:
 * a file landing in the folder meanwhile is not in the dataset, nor in its manifest);
 * without it, as listed on this function's own connection. Other sources do not wait.
 * Fails with the first source that cannot be read (`fingerprintEachSource` goes on with the others).
 *
 * @example
 * const sources = startSourceFingerprints(engine, project.root, plan, project.config.quality, readFiles);
 */
export function startSourceFingerprints(
  engine: OfflineEngine,
  root: string,
  plan: DatasetPlan,
  projectQuality?: QualityConfig,
  readFiles?: Promise<ReadonlyMap<string, readonly string[]>>,
): Promise<LineageInput[]> {
  const task = fingerprintEachSource(engine, root, plan, projectQuality, readFiles).then((prints) =>
    prints.map((p) => {
      if ('error' in p) throw p.error;
      return p.input;
    }));
  task.catch(() => undefined); // awaited later; never an unhandled rejection if the build fails first
  return task;
}

/**
 * Each source of the plan fingerprinted as `startSourceFingerprints` does, one by one: a source that cannot be
 * read (its DuckDB file or a file its query reads gone) gives its error, and the others are still fingerprinted.
 *
 * @example
 * for (const s of await fingerprintEachSource(engine, project.root, plan, project.config.quality)) if ('error' in s) console.log(s.name, s.error.message);
 */
export async function fingerprintEachSource(
  engine: OfflineEngine,
  root: string,
  plan: DatasetPlan,
  projectQuality?: QualityConfig,
  readFiles?: Promise<ReadonlyMap<string, readonly string[]>>,
): Promise<SourceFingerprint[]> {
  const conn = await engine.connect();
  try {
    const out: SourceFingerprint[] = [];
    const limits = new Map<string, number>();
    for (const v of plan.views) {
      const limit = resolveQuality(projectQuality, v.view.quality).provenance.full_hash_max_bytes;
      limits.set(v.source.name, Math.max(limits.get(v.source.name) ?? 0, limit));
    }
    const readers = new Map<string, PlannedView[]>();
    for (const v of plan.views) readers.set(v.source.name, [...(readers.get(v.source.name) ?? []), v]);
    for (const [name, views] of readers) {
      try {
        const prints: LineageInput[] = [];
        // A table or query is fingerprinted by the rows each view reads of it (files are hashed whole, once).
        const read = views[0].source.path === undefined ? [...views].sort((a, b) => a.view.name.localeCompare(b.view.name)) : views.slice(0, 1);
        for (const v of read) {
          // A glob's files as the build listed and read them (waited for here only: other sources are hashed at
          // once), without listing the glob a second time; else as this connection's own setup lists them.
          const built = readFiles && v.source.path !== undefined && isGlob(v.source.path) ? (await readFiles).get(name) : undefined;
          if (built === undefined) await runSetup(conn, v.relation.setup);
          prints.push(await fingerprintSource(conn, root, v.source, v.relation.select, { partialThresholdBytes: limits.get(name), files: built }));
        }
        out.push({ name, input: prints.length === 1 ? prints[0] : combinedFingerprint(prints, read.map((v) => v.view.name)) });
      } catch (e) {
        out.push({ name, error: e instanceof Error ? e : new Error(String(e)) });
      }
    }
    return out;
  } finally {
    conn.closeSync();
  }
}

/**
 * One fingerprint of a table or query source read by several views, whose relations have other columns: the
 * checksums of every view's rows combined (in view-name order), so a change in any column a view reads shows.
 * Each view's own checksum is kept under `views` (a manifest written before held only one of them, which
 * `dataset verify` compares against these).
 */
function combinedFingerprint(prints: readonly LineageInput[], views: readonly string[]): LineageInput {
  const checksums = prints.map((p) => String((p.fingerprint as { checksum?: unknown }).checksum));
  const checksum = createHash('sha256').update(checksums.join('\n')).digest('hex').slice(0, 32);
  return { ...prints[0], fingerprint: { ...prints[0].fingerprint, checksum, views: Object.fromEntries(views.map((v, i) => [v, checksums[i]])) } };
}

/** The versions of the definitions the build used (`f.set`, read as it began; see `usedDefinitionVersions`). */
function definitionVersions(f: Pick<BuildFacts, 'project' | 'set' | 'plan'>): Record<string, { version: number; hash: string }> {
  const wanted: string[] = [];
  for (const v of f.plan.views) {
    wanted.push(`feature_view/${v.view.name}`, `source/${v.source.name}`, ...v.view.entities.map((e) => `entity/${e}`));
  }
  if (f.plan.service) wanted.push(`feature_service/${f.plan.service.name}`);
  return usedDefinitionVersions(f.project.registry, f.set, wanted);
}

/**
 * The fingerprint of an entity file whose rows were just loaded, as `before` (its state when the load began) saw
 * it. Hashed right after the load, not when the manifest is written minutes later: a file regenerated meanwhile
 * (a nightly job) would be recorded beside rows built from the old one, and `dataset verify` would call a
 * rebuild that gives other rows reproducible. A file that changed while the build read it fails the build.
 */
export async function entityFileFingerprint(path: string, before: { readonly size: number; readonly mtimeMs: number }, partialThresholdBytes: number): Promise<FileFingerprint> {
  const changed = () =>
    new InputError(`the entity file ${path} changed while the build read it; build again once it is written`, { path }, 'entity_input_changed');
  let fp: FileFingerprint;
  try {
    fp = await fingerprintFile(path, { partialThresholdBytes });
  } catch {
    throw changed();
  }
  // The file as it is once hashed, against the file as the load began, in one representation (stat's exact
  // numbers): any change in between shows there, however it fell between the load and the hash.
  const after = statSync(path, { throwIfNoEntry: false });
  if (after?.size !== before.size || after.mtimeMs !== before.mtimeMs) throw changed();
  return fp;
}

/** Fingerprint the sources and entity rows and assemble the manifest. */
export async function buildManifest(f: BuildFacts, outputs: readonly ManifestOutput[]): Promise<DatasetManifest> {
  const used = new Set(f.plan.views.map((v) => v.source.name));
  const sources = (await f.sources).filter((s) => used.has(s.name));
  const rel = await fingerprintOrderedRelation(f.conn, f.entTable, ROW_ORDINAL);
  const d = f.loaded.description;
  const file = f.entityFile;
  const featureOf = new Map(f.plan.views.flatMap((v) => v.features.map((x) => [x.column, { view: v.view.name, feature: x.feature }] as const)));
  const total = outputs.filter((o) => o.part !== 'all').reduce((n, o) => n + o.rows, 0) || (outputs[0]?.rows ?? f.loaded.rowCount);
  const g = f.guard;
  return {
    kind: 'featureguard.dataset',
    format_version: MANIFEST_FORMAT_VERSION,
    created_at: new Date().toISOString(),
    package_version: VERSION,
    project: f.project.config.project,
    run_id: f.run.id,
    request: {
      features: f.plan.refs,
      service: f.options.service,
      full_feature_names: f.options.full_feature_names,
      availability: f.availability,
      timestamp_column: f.options.timestamp_column,
      split: f.options.split_at !== null || f.options.test_fraction !== null ? { at: f.options.split_at, test_fraction: f.options.test_fraction } : null,
    },
    definitions: definitionVersions(f),
    sources,
    entities: { name: 'entities', kind: 'entities', uri: d.uri, fingerprint: { ...rel, ordered: true, ...(file ? { file } : {}) }, columns: f.loaded.columns, rows: f.loaded.rowCount },
    columns: f.types.map((t) => ({ ...t, ...(featureOf.get(t.name) ?? {}) })),
    label: f.plan.labelColumn ?? null,
    rows: total,
    time_range: f.loaded.timeRange,
    split_at: f.splitAt,
    outputs,
    checks: {
      verdict: g.verdict,
      status: f.status,
      blocked_reason: g.blockedReason,
      allowed_failed_checks: f.options.allow_failed_checks,
      counts: g.counts,
      results: g.results.map(manifestCheckResult),
    },
    notes: [
      ...(f.plan.labelColumn && !f.plan.views.some((v) => v.isLabel) ? [`label '${f.plan.labelColumn}' taken from the entity rows (they already had that column)`] : []),
      ...labelViewNotes(f.plan),
    ],
  };
}

/** The run's lineage record (OpenLineage-style inputs with fingerprints). */
export function buildLineage(f: BuildFacts, manifest: DatasetManifest, outputs: readonly ManifestOutput[]): Lineage {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (containers)
  }
  const written = outputs.filter((o) => o.path !== null);
  // Nothing written (blocked) though files were asked for: those files, with no rows, never an in-memory phantom.
  const files = written.length > 0 ? written.map((o) => ({ format: o.format, path: o.path!, rows: o.rows })) : requestedFiles(f.options).map((x) => ({ ...x, rows: 0 }));
  const out = files[0];
  // A split's test part beside its train part (`output`, the first, kept for readers of one output).
  const others = files.slice(1).map((o) => ({ kind: `dataset:${o.format}`, uri: fileUri(o.path), rows: o.rows }));
  return {
    job: `dataset:${f.plan.service?.name ?? 'features'}`,
    definition_versions: manifest.definitions,
    inputs: [...manifest.sources, { name: manifest.entities.name, kind: 'entities', uri: manifest.entities.uri, fingerprint: manifest.entities.fingerprint }],
    output: {
      kind: out ? `dataset:${out.format}` : `dataset:${outputs[0]?.format ?? 'memory'}`,
      uri: out ? fileUri(out.path) : `memory:dataset/${f.run.id}`,
      // The run's rows_out counts both parts of a split: the train part's own count beside it (and 0 for files not written).
      ...(others.length > 0 || (out && written.length === 0) ? { rows: out.rows } : {}),
    },
    ...(others.length > 0 ? { other_outputs: others } : {}),
    package_version: VERSION,
    host: hostname(),
    user,
  };
}

/**
 * The lineage of a build that failed before it recorded one: the datasets it would have read (each source, named as
 * a build that read it names it, and the entity rows, `entities` their URI when known) without fingerprints. It
 * writes nothing, and no online store ever.
 */
export function plannedDatasetLineage(f: Pick<BuildFacts, 'project' | 'set' | 'plan' | 'options'>, entities: string | null): Lineage {
  const sources = [...new Map(f.plan.views.map((v) => [v.source.name, v.source])).values()];
  const [out, ...others] = requestedFiles(f.options).map((x) => ({ kind: `dataset:${x.format}`, uri: fileUri(x.path) }));
  return {
    job: `dataset:${f.plan.service?.name ?? 'features'}`,
    definition_versions: definitionVersions(f),
    inputs: [
      ...sources.map((s): LineageInput => ({ name: s.name, kind: s.path !== undefined ? 'file' : s.database !== undefined ? 'table' : 'query', uri: sourceUri(f.project.root, s), fingerprint: {} })),
      ...(entities === null ? [] : [{ name: 'entities', kind: 'entities' as const, uri: entities, fingerprint: {} }]),
    ],
    output: out ?? null,
    ...(others.length > 0 ? { other_outputs: others.map((o) => ({ ...o, rows: 0 })) } : {}),
    package_version: VERSION,
    host: hostname(),
    user: currentUser(),
  };
}

/**
 * The lineage the guard stage sees (its provenance fingerprint lists these inputs): the sources as fingerprinted
 * while the join ran, and the entity rows (their file's fingerprint, when they came from one). The run records the
 * full lineage once its outputs are written (`buildLineage`); a source that could not be fingerprinted is named
 * without one, as `plannedDatasetLineage` names it.
 */
export async function guardStageLineage(f: Pick<BuildFacts, 'project' | 'set' | 'plan' | 'options' | 'loaded' | 'sources'>, entityFile: Promise<FileFingerprint | null>): Promise<Lineage> {
  const planned = plannedDatasetLineage(f, f.loaded.description.uri);
  const printed = new Map((await f.sources.catch(() => [] as LineageInput[])).map((s) => [s.name, s]));
  const file = await entityFile.catch(() => null);
  return {
    ...planned,
    inputs: planned.inputs.map((i) => (i.kind === 'entities' ? { ...i, fingerprint: file ? { file } : {} } : printed.get(i.name) ?? i)),
  };
}

/** The files a build was asked to write (`out`, or its train and test parts when split), with their format. */
function requestedFiles(options: BuildFacts['options']): { format: string; path: string }[] {
  if (options.out === undefined) return [];
  const split = options.split_at !== null || options.test_fraction !== null;
  const paths = split ? [splitOutputPath(options.out, 'train'), splitOutputPath(options.out, 'test')] : [options.out];
  return paths.map((path) => ({ format: options.output, path }));
}
