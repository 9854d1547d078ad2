/**
 * Point-in-time-correct training datasets: `getHistoricalFeatures` (SDK, CLI
 * `dataset build`) and `buildDatasetStream` (HTTP `POST /v1/datasets`, in `dataset-stream.ts`).
 *
 * A build: resolve the request against the applied registry (as Feast does),
 * load the entity rows, plan each view's join, run one point-in-time SQL statement
 * into a temp table and run the guard stage on it (`dataset-build.ts`), then —
 * unless a blocking check failed and `allowFailedChecks` is off — write the outputs
 * and a manifest beside each (`dataset-files.ts`). A blocked build writes
 * nothing (no output, no manifest); its run in the quality log says why.
 * The request's and result's types are in `historical-types.ts`; this module re-exports them.
 *
 * @example
 * const res = await getHistoricalFeatures(project, { entities: 'data/training_entities.parquet', service: 'delay_model' });
 * if (res.status !== 'blocked') console.log(res.table!.numRows);
 */
import type { Table } from 'apache-arrow';
import type { Project } from '../project.js';
import { onInterrupt } from '../state/interrupt.js';
import { arrowTableFromResult } from './arrow.js';
import { finishRun, prepareDataset } from './dataset-build.js';
import { fileOutputs, stagedFiles, stageManifests, writeParts } from './dataset-files.js';
import { recordedManifest, withoutEmptySplit } from './dataset-request.js';
import { interruptQuietly } from './engine.js';
import { buildManifest, plannedDatasetLineage } from './manifest.js';
import type { ManifestOutput } from './manifest-types.js';
import type { HistoricalFeaturesRequest, HistoricalFeaturesResult } from './historical-types.js';

export type { DatasetProgress, EntitySpec, HistoricalFeaturesRequest, HistoricalFeaturesResult } from './historical-types.js';
export { buildDatasetStream, type DatasetStream } from './dataset-stream.js';

/**
 * Build a point-in-time-correct dataset: in memory as an Arrow table, or
 * written to `out` (with a manifest beside each file). Resolves to the result
 * even when blocked (`status: 'blocked'`, nothing written); throws on bad input.
 */
export async function getHistoricalFeatures(project: Project, given: HistoricalFeaturesRequest): Promise<HistoricalFeaturesResult> {
  // One reading of "split or not" for the checks below and the build (`prepareDataset` normalizes the same way).
  const request = withoutEmptySplit(given);
  // The paths checked before any work: only these are ever written (a source, the state, the entity file are refused).
  const files = await fileOutputs(project, request);
  const p = await prepareDataset(project, request, files?.format ?? 'memory');
  // Files are written beside their target and renamed into place once every part is written: an interrupted
  // or failed build leaves an earlier dataset at that path as it was, and removes only its own temp files.
  const staged = stagedFiles();
  const undone = onInterrupt(() => {
    // Stop DuckDB writing first, so no temp file is written again after it is removed.
    interruptQuietly(p.conn);
    staged.discard();
  });
  try {
    let outputs: ManifestOutput[] = [];
    let table: Table | null = null;
    let split: HistoricalFeaturesResult['split'] = null;
    if (p.status !== 'blocked') {
      request.onProgress?.({ phase: 'write', step: 3, steps: 4 });
      if (files !== undefined) {
        outputs = await writeParts(p, files, staged);
      } else {
        table = await arrowTableFromResult(await p.conn.stream(p.selectAll));
        if (p.parts.length === 2) split = { train: await arrowTableFromResult(await p.conn.stream(p.parts[0].select)), test: await arrowTableFromResult(await p.conn.stream(p.parts[1].select)) };
        for (const part of p.parts) outputs.push({ part: part.part, path: null, format: 'memory', rows: part.rows, bytes: null, time_range: part.range });
      }
    }
    const manifest = await recordedManifest(request, await buildManifest(p.facts, outputs));
    const run = await finishRun(p, manifest, outputs);
    // Manifests too go to temp files; then every file is renamed into place, outputs and manifests together.
    stageManifests(outputs, manifest, run.id, staged);
    staged.commit();
    request.onProgress?.({ phase: 'done', step: 4, steps: 4, rows: manifest.rows });
    return { status: p.status, table, split, outputs, manifest, run, checks: p.guard };
  } catch (e) {
    const recorded = project.runs.get(p.run.id).lineage;
    await project.runs.updateWhenFree(p.run.id, {
      status: 'failed', finished_at: new Date().toISOString(), message: (e as Error).message.split('\n')[0],
      ...(recorded ? {} : { lineage: plannedDatasetLineage(p.facts, p.facts.loaded.description.uri) }),
    });
    staged.discard();
    throw e;
  } finally {
    undone();
    await p.cleanup();
    await p.alert();
  }
}
