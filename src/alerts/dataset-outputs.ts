/**
 * What a dataset build's alert body says it wrote (`run.outputs`): each file with its manifest, so a retraining job
 * triggered by the build reads the training set without calling back. Taken from the run's lineage, which records
 * the written files as `file://<absolute path>` (`fileUri`); a build that wrote no file (blocked, failed, or
 * streamed over HTTP) has none.
 *
 * @example
 * datasetOutputs(run); // [{ part: 'all', format: 'parquet', path: '/srv/train.parquet', manifest: '/srv/train.parquet.manifest.json', rows: 2 }]
 */
import { manifestPath } from '../offline/manifest.js';
import { fileUriPath } from '../runs/dataset-names.js';
import type { Run } from '../runs/types.js';

export interface AlertDatasetOutput {
  /** `all`, or `train` and `test` of a split build. */
  part: 'all' | 'train' | 'test';
  format: string;
  /** The file's absolute path on the host that built it. */
  path: string;
  /** Its manifest, beside it (`featureguard dataset verify` takes it). */
  manifest: string;
  rows: number | null;
}

/** The files a finished dataset build wrote; `status`: the run's status as the body says it (`success` and `warned` wrote). */
export function datasetOutputs(run: Run, status: string): AlertDatasetOutput[] {
  const lineage = run.lineage;
  if ((status !== 'success' && status !== 'warned') || !lineage?.output) return [];
  const others = lineage.other_outputs ?? [];
  const all = [{ ...lineage.output, rows: lineage.output.rows ?? (others.length === 0 ? run.rows_out : null) }, ...others];
  return all
    .map((o, i) => ({ o, part: others.length === 0 ? ('all' as const) : i === 0 ? ('train' as const) : ('test' as const) }))
    .flatMap(({ o, part }) => {
      const path = fileUriPath(o.uri);
      return path === undefined ? [] : [{ part, format: o.kind.replace(/^dataset:/, ''), path, manifest: manifestPath(path), rows: o.rows ?? null }];
    });
}
