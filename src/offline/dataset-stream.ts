/**
 * A dataset as a byte stream, for `POST /v1/datasets` (`buildDatasetStream`, re-exported by `historical.ts`):
 * the shared build stage (`prepareDataset`), then the bytes of one format made before the answer starts, and
 * a run that takes its status only once the body was sent whole (`stream-delivery.ts`).
 *
 * @example
 * const s = await buildDatasetStream(project, { entities: 'data/entities.parquet', service: 'delay_model' }, 'parquet');
 * for await (const chunk of s.body) res.write(chunk);
 */
import type { Project } from '../project.js';
import type { RunTrigger } from '../runs/trigger.js';
import type { Run } from '../runs/types.js';
import { FeatureguardError, InputError } from '../errors.js';
import { finishRun, prepareDataset, type DeliverAlerts } from './dataset-build.js';
import { datasetBytes, DATASET_CONTENT_TYPES, type DatasetBytes } from './dataset-output.js';
import type { DatasetFormat } from './dataset-format-types.js';
import { cancelled, isSplit, withoutEmptySplit } from './dataset-request.js';
import type { HistoricalFeaturesRequest } from './historical-types.js';
import { buildManifest } from './manifest.js';
import type { DatasetManifest, ManifestOutput } from './manifest-types.js';
import { notDeliveredMessage, streamDelivery } from './stream-delivery.js';

/** A dataset as a byte stream (for `POST /v1/datasets`). */
export interface DatasetStream {
  readonly format: DatasetFormat;
  /** HTTP content type (Arrow: `application/vnd.apache.arrow.stream`). */
  readonly contentType: string;
  readonly status: 'success' | 'warned';
  readonly rows: number;
  readonly manifest: DatasetManifest;
  /** The run: `running` until the body was sent whole (then `status`), or failed, not delivered. */
  readonly run: Run;
  /** The bytes; iterate once. Resources are released when it ends or is abandoned (`return()`). */
  readonly body: AsyncIterable<Uint8Array>;
  /** Release resources without reading `body` (or after abandoning it); a body not read whole is a failed run. */
  cancel(): Promise<void>;
}

/**
 * Build a dataset and stream it: Arrow IPC stream format by default, or
 * parquet, csv, json. A split is not supported here (ask for two datasets).
 * A blocked build (unless `allowFailedChecks`) throws a `FeatureguardError`
 * with code `guard_blocked` (HTTP 422, CLI exit 1) whose details hold the run id
 * and the failed checks. The bytes are made before it resolves (Parquet, CSV and JSON written to a temp file,
 * Arrow's first rows read): a failure there is a `FeatureguardError` `output_write_failed` (HTTP 500), the run
 * recorded failed, never a stream that breaks off.
 */
export async function buildDatasetStream(
  project: Project,
  request: HistoricalFeaturesRequest,
  format: DatasetFormat = 'arrow',
  options: { readonly deliverAlerts?: DeliverAlerts; readonly trigger?: RunTrigger } = {},
): Promise<DatasetStream> {
  if (isSplit(withoutEmptySplit(request))) throw new InputError('a streamed dataset cannot be split; build train and test separately or use `dataset build --split-at`');
  const p = await prepareDataset(project, { ...request, out: undefined }, `stream:${format}`, options.deliverAlerts, options.trigger);
  // The answer does not wait for webhook deliveries; a server tracks them (`serve` waits for them when it stops,
  // and past its limit of pending deliveries the answer waits for its own).
  const alertLater = async () => {
    const delivery = p.alert();
    if (options.deliverAlerts) await options.deliverAlerts(delivery);
  };
  // A build that ends here: its run recorded failed with `message`, its resources released, its alerts sent.
  const fail = async (runId: string, message: string) => {
    await project.runs.updateWhenFree(runId, { status: 'failed', finished_at: new Date().toISOString(), message });
    await p.cleanup();
    await alertLater();
  };
  const part = p.parts[0];
  const outputs: ManifestOutput[] = [{ part: 'all', path: null, format, rows: part.rows, bytes: null, time_range: part.range }];
  let manifest: DatasetManifest;
  let run: Run;
  try {
    manifest = await buildManifest(p.facts, outputs);
    run = await finishRun(p, manifest, outputs, true);
  } catch (e) {
    await fail(p.run.id, (e as Error).message.split('\n')[0]);
    throw e;
  }
  if (p.status === 'blocked') {
    await p.cleanup();
    await alertLater();
    throw new FeatureguardError('guard_blocked', `dataset blocked by checks: ${p.guard.blockedReason ?? 'a blocking check failed'}`, {
      status: 422,
      exitCode: 1,
      details: { run_id: run.id, results: p.guard.results.filter((r) => r.status === 'fail' || r.status === 'error') },
    });
  }
  // The bytes are made before the answer: a COPY that fails (a full temp folder) is this call's error, which the
  // HTTP API answers as such; it was a 200 whose body broke off.
  let bytes: DatasetBytes;
  try {
    bytes = await datasetBytes(p.conn, part.select, format);
  } catch (caught) {
    const e = request.signal?.aborted
      ? cancelled('stream:')
      : new FeatureguardError('output_write_failed', `could not write the dataset as ${format}: ${(caught as Error).message.split('\n')[0]}`, { status: 500, exitCode: 3, cause: caught });
    await fail(run.id, e.message);
    throw e;
  }
  let released = false;
  // Alerts go out when the stream has ended (or was abandoned), with the run's final status; the end of the
  // body does not wait for webhook deliveries.
  const release = async () => {
    if (!released) (released = true), await bytes.dispose(), await p.cleanup(), await alertLater();
  };
  // The run takes its status once the body was sent whole; its own `finally` records it otherwise.
  const delivery = streamDelivery(project.runs, run.id, p.status);
  async function* body(): AsyncGenerator<Uint8Array> {
    try {
      for await (const chunk of bytes.chunks) {
        delivery.count(chunk);
        yield chunk;
      }
      await delivery.delivered();
    } catch (e) {
      const why = request.signal?.aborted ? notDeliveredMessage(delivery.bytes) : `streaming failed: ${(e as Error).message.split('\n')[0]}`;
      await delivery.failed(why);
      throw request.signal?.aborted ? cancelled('stream:') : e;
    } finally {
      // A reader that stopped early (the client went away, the server cut the stream): not delivered.
      await delivery.notDelivered();
      await release();
    }
  }
  // A body never read (abandoned before its first chunk: a generator's `return()` then skips its `finally`) is
  // not delivered either.
  const cancel = async () => {
    await delivery.notDelivered();
    await release();
  };
  return { format, contentType: DATASET_CONTENT_TYPES[format], status: p.status, rows: part.rows, manifest, run, body: body(), cancel };
}
