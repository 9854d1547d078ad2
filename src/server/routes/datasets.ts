/**
 * `POST /v1/datasets` (read scope): a point-in-time dataset for inline entity
 * rows, streamed as Arrow IPC (default) or Parquet, CSV, JSON (`format`). The
 * guards run first; a blocked build answers 422 `guard_blocked` with the run id.
 * The run id, status and row count are in `X-Featureguard-Run-Id`,
 * `X-Featureguard-Status` and `X-Featureguard-Rows`.
 */
import { Hono } from 'hono';
import type { DatasetFormat } from '../../offline/dataset-format-types.js';
import { FeatureguardError } from '../../errors.js';
import { buildDatasetStream, type DatasetStream } from '../../offline/historical.js';
import { checkCells, rowsFromColumns } from '../../serving/push-rows.js';
import { ExactInteger } from '../../serving/push-schema.js';
import { readJson, validateBody } from '../body.js';
import { holdUntilBodyEnds } from '../open-bodies.js';
import { maxCells, type ServerContext } from '../context.js';
import { noteRuns } from '../request-runs.js';

interface DatasetBody {
  features?: string[];
  feature_service?: string;
  entities?: Record<string, unknown[]>;
  entity_rows?: Record<string, unknown>[];
  full_feature_names?: boolean;
  availability?: 'event' | 'created';
  timestamp_column?: string;
  format?: DatasetFormat;
}

/**
 * A web stream over a dataset's body; cancelling it (client gone, connection cut) ends the body so resources
 * are freed. `ended` is told once whether the whole of it was sent; `settled` resolves once the body's own work
 * is done (its run recorded, its build released), which a cancelled web stream does not wait for.
 */
function toWebStream(stream: DatasetStream, ended: (sent: boolean) => void): { body: ReadableStream<Uint8Array>; settled: Promise<void> } {
  const it = stream.body[Symbol.asyncIterator]();
  let over = false;
  let settle!: () => void;
  const settled = new Promise<void>((resolve) => (settle = resolve));
  const end = (sent: boolean) => {
    if (!over) (over = true), ended(sent);
  };
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { value, done } = await it.next();
        if (done) (controller.close(), end(true), settle());
        else controller.enqueue(value);
      } catch (e) {
        end(false);
        settle();
        controller.error(e);
      }
    },
    async cancel() {
      end(false);
      try {
        await it.return?.();
        // A body cancelled before its first read: return() skipped its cleanup (the connection, the temp file).
        await stream.cancel();
      } finally {
        settle();
      }
    },
  });
  return { body, settled };
}

/**
 * Most entity columns (join keys, timestamp and pass-through columns) one `POST /v1/datasets` may send: each costs
 * about a millisecond of the build, and one row of 30,000 columns, well under the body limit, held DuckDB for
 * over a minute and a gigabyte of memory. Wider pass-through data belongs in a dataset build from a file.
 */
export const MAX_ENTITY_COLUMNS = 1_000;

/** 413 `too_many_columns` when `columns` is over `MAX_ENTITY_COLUMNS`, before any row is built. */
function checkColumns(columns: number, field: string): void {
  if (columns <= MAX_ENTITY_COLUMNS) return;
  throw new FeatureguardError('too_many_columns', `'${field}' has ${columns} columns; a dataset request takes at most ${MAX_ENTITY_COLUMNS.toLocaleString('en-US')} entity columns (join keys, timestamp and pass-through columns): send fewer, or build the dataset from an entity file (featureguard dataset build --entities)`, {
    status: 413, exitCode: 2, details: { field, columns, limit: MAX_ENTITY_COLUMNS },
  });
}

/** How many distinct column names the row objects hold together. */
function columnUnion(rows: readonly Record<string, unknown>[]): number {
  const names = new Set<string>();
  for (const row of rows) for (const name in row) names.add(name);
  return names.size;
}

/**
 * The rows' integers beyond ±2^53, read with every digit (`readJson`), as bigints (in place): entity columns take
 * a bigint exactly, as from the SDK (an int64 key or pass-through column), and a float column as the nearest
 * double. A row that is such an integer is the number, for the entity rows' own error.
 */
function exactIntegersAsBigints(rows: unknown[]): Record<string, unknown>[] {
  rows.forEach((row, i) => {
    if (row instanceof ExactInteger) rows[i] = row.valueOf();
    else if (row !== null && typeof row === 'object' && !Array.isArray(row)) {
      const values = row as Record<string, unknown>;
      for (const k of Object.keys(values)) {
        const v = values[k];
        if (v instanceof ExactInteger) values[k] = BigInt(v.digits);
      }
    }
  });
  return rows as Record<string, unknown>[];
}

export function datasetRoutes(ctx: ServerContext): Hono {
  const app = new Hono();
  app.post('/', ctx.auth.requireScope('read'), async (c) => {
    // Int64 ids beyond ±2^53 come as bare numbers from Python clients: read exactly, as online reads and pushes are.
    const body = validateBody<DatasetBody>('datasets', await readJson(c, ctx.limits.bodyLimit));
    if (body.entities) checkColumns(Object.keys(body.entities).length, 'entities');
    const rows = exactIntegersAsBigints(body.entity_rows ?? rowsFromColumns(body.entities ?? {}, 'entities', 'bad_entity', maxCells(ctx.limits)));
    // Every row object's own columns are columns of all rows (null where a row lacks them).
    if (body.entity_rows) {
      const columns = columnUnion(body.entity_rows);
      checkCells(rows.length, columns, maxCells(ctx.limits), 'entity_rows');
      checkColumns(columns, 'entity_rows');
    }
    let stream: DatasetStream;
    try {
      stream = await buildDatasetStream(
        ctx.project,
        {
          entities: rows,
          features: body.features,
          service: body.feature_service,
          fullFeatureNames: body.full_feature_names === true,
          availability: body.availability,
          timestampColumn: body.timestamp_column,
          // A client that goes away cancels the build (DuckDB interrupted, the run failed), not only the answer.
          signal: c.req.raw.signal,
        },
        body.format ?? 'arrow',
        { deliverAlerts: (d) => ctx.background.track(d), trigger: ctx.auth.runTrigger(c) },
      );
    } catch (e) {
      // Counted as the run ends: blocked by the guards (422), or failed (a server error, the client gone).
      if (e instanceof FeatureguardError && e.code === 'guard_blocked') ctx.metrics.recordRun('dataset', null, 'blocked');
      else if (!(e instanceof FeatureguardError) || e.status >= 500 || e.code === 'cancelled') ctx.metrics.recordRun('dataset', null, 'failed');
      throw e;
    }
    const { status } = stream;
    noteRuns(c, [{ view: null, run_id: stream.run.id }]);
    // Counted once the body ends, with the run's final status: one that fails or is abandoned after the headers
    // went out is a failed run.
    const counted = (sent: boolean) => ctx.metrics.recordRun('dataset', null, sent ? status : 'failed');
    const { body: bytes, settled } = toWebStream(stream, counted);
    // `serve` counts the request open until then (its shutdown waits for it; a cut stream records its run).
    holdUntilBodyEnds((c.env as { outgoing?: unknown } | undefined)?.outgoing, settled);
    return new Response(bytes, {
      status: 200,
      headers: {
        'content-type': stream.contentType,
        'x-featureguard-run-id': stream.run.id,
        'x-featureguard-status': stream.status,
        'x-featureguard-rows': String(stream.rows),
      },
    });
  });
  return app;
}
