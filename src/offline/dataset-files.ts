/**
 * A dataset build's files (`getHistoricalFeatures` with `out`): the paths it may write, checked before any work
 * (`fileOutputs`); each part written beside its target under a temp name and fingerprinted as written
 * (`writeParts`), a manifest beside each (`stageManifests`); then every file renamed into place together
 * (`StagedFiles.commit`). An interrupted or failed build leaves an earlier dataset at those paths as it was, and
 * removes only its own temp files (`StagedFiles.discard`).
 *
 * @example
 * const files = await fileOutputs(project, request); // undefined: the rows are returned as an Arrow table
 * const staged = stagedFiles();
 * const outputs = await writeParts(prepared, files!, staged);
 * stageManifests(outputs, manifest, run.id, staged);
 * staged.commit();
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { FeatureguardError, InputError } from '../errors.js';
import { resolveQuality } from '../guards/config.js';
import type { Project } from '../project.js';
import type { PreparedDataset } from './dataset-build.js';
import { datasetCompression, datasetFormat, splitOutputPath, writeDatasetFile, type DatasetCompression } from './dataset-output.js';
import type { DatasetFormat } from './dataset-format-types.js';
import { isSplit, normalizeEntities } from './dataset-request.js';
import type { HistoricalFeaturesRequest } from './historical-types.js';
import { fingerprintFile } from './fingerprint.js';
import { manifestPath, writeManifest } from './manifest.js';
import type { DatasetManifest, ManifestOutput } from './manifest-types.js';
import { checkOutputTargets } from './output-targets.js';

/** The files a build writes: `out` (absolute), their format and compression, and every path it will write. */
export interface FileOutputs {
  readonly out: string;
  readonly format: DatasetFormat;
  readonly compression: DatasetCompression | null;
  /** The paths checked before any work: only these are ever written (a source, the state, the entity file are refused). */
  readonly targets: readonly string[];
}

/**
 * The files of a request (read by `withoutEmptySplit`), checked before any work; undefined without `out` (the
 * result is an Arrow table). A `format` without `out` is refused (an unknown one as `bad_format`).
 */
export async function fileOutputs(project: Project, request: HistoricalFeaturesRequest): Promise<FileOutputs | undefined> {
  if (request.out === undefined) {
    if (request.format === undefined) return undefined;
    // The format of the files `out` names: without it (an Arrow table) it would be ignored, a typo included.
    datasetFormat('', request.format); // an unknown one is `bad_format`, with or without `out`
    throw new InputError(
      `format '${request.format}' applies to the files written with out; without out the result is an Arrow table (give out, e.g. out: 'train.${request.format}')`,
      { format: request.format },
    );
  }
  const out = resolve(request.baseDir ?? process.cwd(), request.out);
  const format = datasetFormat(out, request.format);
  const compression = datasetCompression(out, format);
  const input = normalizeEntities(request.entities);
  const dir = request.baseDir ?? process.cwd();
  const targets = isSplit(request) ? [splitOutputPath(out, 'train'), splitOutputPath(out, 'test')] : [out];
  await checkOutputTargets(project, targets, input.kind === 'file' ? { file: resolve(dir, input.path) } : input.kind === 'sql' ? { sql: input.sql, dir } : {});
  return { out, format, compression, targets };
}

/** Files written under temp names beside their targets, renamed into place together or removed. */
export interface StagedFiles {
  /** The temp name to write `path` under until `commit`. */
  stage(path: string): string;
  /** Rename every staged file into place, in the order staged. */
  commit(): void;
  /** Remove the temp files not renamed (any error is left to the build's own). */
  discard(): void;
}

/** Temp names `<path>.featureguard-<tag>.tmp`, one tag per build. */
export function stagedFiles(): StagedFiles {
  const tag = randomUUID().slice(0, 8);
  const written: string[] = [];
  const renames: [string, string][] = [];
  return {
    stage(path) {
      const temp = `${path}.featureguard-${tag}.tmp`;
      written.push(temp);
      renames.push([temp, path]);
      return temp;
    },
    commit() {
      for (const [from, to] of renames) renameSync(from, to);
      written.length = 0;
    },
    discard() {
      for (const f of written) {
        try {
          rmSync(f, { force: true });
        } catch {
          // the error that matters is the build's
        }
      }
    },
  };
}

/** Write each part of a prepared build to its file (staged), hashed as written; an `output_write_failed` error names the file. */
export async function writeParts(p: PreparedDataset, files: FileOutputs, staged: StagedFiles): Promise<ManifestOutput[]> {
  const { out, format, compression, targets } = files;
  const outputHashLimit = resolveQuality(p.facts.project.config.quality, p.facts.plan.service?.quality).provenance.full_hash_max_bytes;
  const outputs: ManifestOutput[] = [];
  for (const part of p.parts) {
    const path = part.part === 'all' ? out : splitOutputPath(out, part.part);
    if (!targets.includes(path)) throw new Error(`internal error: output ${path} was not checked before the build`);
    let temp: string;
    let bytes: number;
    try {
      mkdirSync(dirname(path), { recursive: true });
      temp = staged.stage(path);
      bytes = await writeDatasetFile(p.conn, part.select, temp, format, compression);
    } catch (e) {
      throw new FeatureguardError('output_write_failed', `could not write the dataset to ${path}: ${(e as Error).message.split('\n')[0]}`, { status: 500, exitCode: 3, details: { path } });
    }
    // Hashed as written, under the name it is renamed from (rename keeps the mtime a partial hash holds).
    const print = await fingerprintFile(temp, { partialThresholdBytes: outputHashLimit });
    outputs.push({ part: part.part, path, format, rows: part.rows, bytes, sha256: print.sha256, partial: print.partial, time_range: part.range });
  }
  return outputs;
}

/** Stage a manifest beside each output file: `manifest` with the finished run's id. */
export function stageManifests(outputs: readonly ManifestOutput[], manifest: DatasetManifest, runId: string, staged: StagedFiles): void {
  for (const o of outputs) {
    if (!o.path) continue;
    writeManifest(staged.stage(manifestPath(o.path)), { ...manifest, run_id: runId });
  }
}
