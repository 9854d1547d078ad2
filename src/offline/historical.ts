/**
 * Point-in-time-correct training datasets: `getHistoricalFeatures` (SDK, CLI
 * `dataset build`) and `buildDatasetStream` (HTTP `POST /v1/datasets`).
 *
 * A build: resolve the request against the applied registry (as Feast does),
 * load the entity rows, plan each view's join (are its rows unique on keys and
 * event time, so that it needs no tie-break key? see `planViewJoins`),
 * run one point-in-time SQL statement into a temp table
 * (with hidden per-view timestamp columns for the leakage check), run the guard
 * stage on it, then — unless a blocking check failed and `allowFailedChecks` is
 * off — write the outputs and a manifest beside each. A blocked build writes
 * nothing (no output, no manifest); its run in the quality log says why.
 *
 * @example
 * const res = await getHistoricalFeatures(project, { entities: 'data/training_entities.parquet', service: 'delay_model' });
 * if (res.status !== 'blocked') console.log(res.table!.numRows);
 */
import type { RunTrigger } from '../runs/trigger.js';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Table } from 'apache-arrow';
import { randomUUID } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { NOT_JUDGED, alertFinishedRun } from '../alerts/dispatch.js';
import { viewJoinKeys } from '../definitions/definition-set.js';
import { isGlob, sourceFormat } from '../definitions/source-location.js';
import { globBase } from '../definitions/own-files.js';
import type { DefinitionSet } from '../definitions/types.js';
import { FeatureguardError, InputError, isCallerError } from '../errors.js';
import { parseInstantMicros } from '../time/instant.js';
import { resolveQuality } from '../guards/config.js';
import { runGuardStage, type DatasetGuardInfo, type GuardStageResult } from '../guards/stage.js';
import { WRITTEN_DESPITE_BLOCK } from '../guards/reference.js';
import type { Project } from '../project.js';
import type { Run } from '../runs/types.js';
import { arrowTableFromResult } from './arrow.js';
import { datasetBytes, datasetCompression, datasetFormat, splitOutputPath, writeDatasetFile, DATASET_CONTENT_TYPES, type DatasetBytes, type DatasetFormat } from './dataset-output.js';
import { pitViews, planDataset, reconcileWithEntities, type DatasetPlan, type PlannedView } from './dataset-plan.js';
import { ident, interruptQuietly } from './engine.js';
import { entityInputUri, loadEntityInput, type EntityInput, type LoadEntityOptions } from './entity-input.js';
import { buildLineage, buildManifest, entityFileFingerprint, manifestPath, plannedDatasetLineage, startSourceFingerprints, writeManifest, type BuildFacts, type DatasetManifest, type ManifestOutput } from './manifest.js';
import { ENTITY_TS, hiddenTimestampColumns, planViewJoins, pointInTimeJoinSql } from './point-in-time.js';
import { checkOutputTargets } from './output-targets.js';
import { runSetup, sourceUnreadable, vanishedFile } from './source-sql.js';
import type { RetypedColumn } from './key-types.js';
import { recordRetypedBlock } from './retyped-block.js';
import { fingerprintFile, readFilesOf } from './fingerprint.js';
import { onInterrupt } from '../state/interrupt.js';
import { notDeliveredMessage, streamDelivery } from './stream-delivery.js';

/** Entity rows: an `EntityInput`, a file path, an array of objects (typed by an `interface` or a type alias), or an Arrow table. */
export type EntitySpec = EntityInput | string | readonly object[] | Table;

export interface DatasetProgress {
  readonly phase: 'entities' | 'join' | 'guards' | 'write' | 'done';
  readonly step: number;
  readonly steps: number;
  readonly rows?: number;
}

export interface HistoricalFeaturesRequest {
  readonly entities: EntitySpec;
  /** Feature references: `view`, `view:*`, `view:feature`. */
  readonly features?: readonly string[];
  /** A feature service (its features, plus its label as a column named after the label feature). */
  readonly service?: string;
  /** Output columns `view__feature` instead of `feature`. */
  readonly fullFeatureNames?: boolean;
  /** `event` (default): event_ts <= ts; `created`: also created_ts <= ts. */
  readonly availability?: 'event' | 'created';
  /** Timestamp column of the entity rows (default `event_timestamp`); output as `event_timestamp`. */
  readonly timestampColumn?: string;
  /** Split by time: rows with event_timestamp >= splitAt go to the test part. */
  readonly splitAt?: string | Date;
  /** Split by time so that about this fraction of rows (the latest) goes to the test part. */
  readonly testFraction?: number;
  /** Write to this file (or `<name>.train.<ext>` / `<name>.test.<ext>` when splitting) instead of returning a table. */
  readonly out?: string;
  /** Format of the files written to `out`; inferred from `out`'s extension when absent. Without `out` it is refused (the result is an Arrow table). */
  readonly format?: DatasetFormat;
  /** Write the outputs even when a blocking check failed. */
  readonly allowFailedChecks?: boolean;
  /** Skip the guard stage (benchmarks). */
  readonly disableGuards?: boolean;
  /** Folder relative entity and output paths resolve against (default: the working directory). */
  readonly baseDir?: string;
  readonly onProgress?: (event: DatasetProgress) => void;
  /**
   * Cancels the build: the running DuckDB statement is interrupted, the build fails with `cancelled` (HTTP 499)
   * and its run is recorded failed. The HTTP API passes its request's signal (a client that went away).
   */
  readonly signal?: AbortSignal;
}

/**
 * The error of a build whose signal aborted. A stream is what the HTTP API builds (its signal is the request's:
 * the client went away); a build through the SDK was cancelled by its caller's signal.
 */
function cancelled(outputKind: string): FeatureguardError {
  const why = outputKind.startsWith('stream:') ? 'the client went away' : 'its signal was aborted';
  return new FeatureguardError('cancelled', `the dataset build was cancelled (${why})`, { status: 499, exitCode: 130 });
}

export interface HistoricalFeaturesResult {
  /** `blocked`: a blocking check failed and nothing was written or returned. */
  readonly status: 'success' | 'warned' | 'blocked';
  /** The rows in memory (no `out`, not blocked); with a split, all rows. */
  readonly table: Table | null;
  /** With a split and no `out`: the train and test parts. */
  readonly split: { readonly train: Table; readonly test: Table } | null;
  readonly outputs: readonly ManifestOutput[];
  readonly manifest: DatasetManifest;
  readonly run: Run;
  readonly checks: GuardStageResult;
}

/** A prepared build: the joined rows in a temp table, guards done. */
interface Prepared {
  readonly conn: DuckDBConnection;
  readonly facts: BuildFacts;
  readonly parts: readonly { readonly part: 'all' | 'train' | 'test'; readonly select: string; readonly rows: number; readonly range: ManifestOutput['time_range'] }[];
  /** All rows (also when split). */
  readonly selectAll: string;
  readonly status: 'success' | 'warned' | 'blocked';
  readonly guard: GuardStageResult;
  readonly run: Run;
  cleanup(): Promise<void>;
  /** Fire the run's alerts once it has its final status (the first call only; nothing when guards were off). */
  alert(): Promise<void>;
}

function normalizeEntities(spec: EntitySpec): EntityInput {
  if (typeof spec === 'string') return { kind: 'file', path: spec };
  if (Array.isArray(spec)) return { kind: 'rows', rows: spec as readonly Record<string, unknown>[] };
  if (spec !== null && typeof spec === 'object') {
    if (typeof (spec as Table).schema === 'object' && typeof (spec as Table).getChildAt === 'function') return { kind: 'arrow', table: spec as Table };
    const input = spec as Partial<EntityInput> & { kind?: unknown };
    if (input.kind === 'file' && typeof (input as { path?: unknown }).path === 'string') return input as EntityInput;
    if (input.kind === 'sql' && typeof (input as { sql?: unknown }).sql === 'string') return input as EntityInput;
    if (input.kind === 'rows' && Array.isArray((input as { rows?: unknown }).rows)) return input as EntityInput;
    if (input.kind === 'arrow' && typeof (input as { table?: Table }).table?.getChildAt === 'function') return input as EntityInput;
  }
  // Untyped JavaScript: a clear error rather than a TypeError from deep inside.
  throw new InputError(
    `entities must be a file path, an array of row objects, an apache-arrow Table, or {kind: 'file', path} / {kind: 'sql', sql} / {kind: 'rows', rows}; got ${describeValue(spec)}`,
    undefined,
    'bad_entities',
  );
}

function describeValue(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v !== 'object') return `a ${typeof v}`;
  const kind = (v as { kind?: unknown }).kind;
  return kind === undefined ? 'an object without kind (columns are given as an array of row objects)' : `{kind: ${JSON.stringify(kind)}} without its ${kind === 'file' ? 'path' : kind === 'sql' ? 'sql' : kind === 'rows' ? 'rows array' : 'fields'}`;
}

/** `splitAt` and `testFraction` given as null or '' by JavaScript callers mean "no split", as before strict parsing. */
function withoutEmptySplit(request: HistoricalFeaturesRequest): HistoricalFeaturesRequest {
  const empty = (v: unknown) => v === null || v === '';
  if (!empty(request.splitAt) && !empty(request.testFraction)) return request;
  return { ...request, splitAt: empty(request.splitAt) ? undefined : request.splitAt, testFraction: empty(request.testFraction) ? undefined : request.testFraction };
}

const PASS: GuardStageResult = { verdict: 'pass', results: [], blockedReason: null, counts: { pass: 0, warn: 0, fail: 0, error: 0, skipped: 0 } };

/** How a build hands over its alert deliveries: a server tracks them instead of answering after them. */
type DeliverAlerts = (delivery: Promise<void>) => unknown;

async function prepare(project: Project, given: HistoricalFeaturesRequest, outputKind: string, deliverAlerts?: DeliverAlerts, trigger?: RunTrigger): Promise<Prepared> {
  const request = withoutEmptySplit(given);
  const set = project.registry.current();
  if (set.views.size === 0) throw new InputError('no feature views are applied in this project; run `featureguard apply` first', undefined, 'nothing_applied');
  let plan = planDataset(project.sourceRoots, set, request);
  const availability = request.availability ?? 'event';
  if (availability !== 'event' && availability !== 'created') throw new InputError(`availability must be 'event' or 'created', not '${String(availability)}'`);
  if (request.splitAt !== undefined && request.testFraction !== undefined) throw new InputError('give splitAt or testFraction, not both');
  if (request.testFraction !== undefined && !(request.testFraction > 0 && request.testFraction < 1)) throw new InputError(`test fraction must be between 0 and 1 (exclusive), got ${request.testFraction}`);
  // Read before the connection opens: a split point that is no instant (or lies past 9999) leaves nothing open.
  const splitAtMicros = request.splitAt === undefined ? null : parseInstantMicros(request.splitAt, 'splitAt');
  const steps = 4;
  const progress = (phase: DatasetProgress['phase'], step: number, rows?: number) => {
    if (request.signal?.aborted) throw cancelled(outputKind);
    request.onProgress?.({ phase, step, steps, rows });
  };
  const engine = await project.engine();
  const conn = await engine.connect();
  const tag = randomUUID().replaceAll('-', '').slice(0, 12);
  const entTable = `__fg_ds_${tag}_entities`;
  const dsTable = `__fg_ds_${tag}`;
  // Until cleanup (the end of a stream too), an abort interrupts whatever DuckDB runs for this build.
  const interrupt = () => interruptQuietly(conn);
  request.signal?.addEventListener('abort', interrupt, { once: true });
  const cleanup = async () => {
    request.signal?.removeEventListener('abort', interrupt);
    for (const t of [`${dsTable}_train`, `${dsTable}_test`]) await conn.run(`DROP VIEW IF EXISTS ${ident(t)}`).catch(() => {});
    for (const t of [dsTable, entTable]) await conn.run(`DROP TABLE IF EXISTS ${ident(t)}`).catch(() => {});
    conn.closeSync();
  };
  const options = {
    features: request.features ?? null, service: request.service ?? null, full_feature_names: request.fullFeatureNames ?? false, availability,
    timestamp_column: request.timestampColumn ?? ENTITY_TS, split_at: splitAtMicros,
    test_fraction: request.testFraction ?? null, output: outputKind, allow_failed_checks: request.allowFailedChecks ?? false,
    // The file asked for (resolved): a run that writes nothing (blocked, failed) still says what it was to write.
    ...(request.out !== undefined ? { out: resolve(request.baseDir ?? process.cwd(), request.out) } : {}),
    ...(request.disableGuards ? { guards: false } : {}),
  };
  // The run's records wait for another process's write lock on a timer (`createWhenFree`, `updateWhenFree`): a
  // server building a dataset goes on answering requests meanwhile.
  const run = await project.runs.createWhenFree({ kind: 'dataset', service: plan.service?.name ?? null, options, trigger });
  let guarded: GuardStageResult | null = null;
  // The glob sources' files as the build lists them (below), for the manifest.
  let listed!: (files: ReadonlyMap<string, readonly string[]>) => void;
  const sources = startSourceFingerprints(engine, project.root, plan, project.config.quality, new Promise((r) => (listed = r)));
  // The entity rows' URI, for the lineage of a build that fails before it records its own.
  let entityUri: string | null = null;
  try {
    progress('entities', 0);
    // An entity file as the load begins: fingerprinted once its rows are loaded, while the join runs.
    const input = normalizeEntities(request.entities);
    entityUri = entityInputUri(input, request.baseDir, run.id);
    const entityPath = input.kind === 'file' && !isGlob(input.path) ? resolve(request.baseDir ?? process.cwd(), input.path) : null;
    const before = entityPath === null ? undefined : statSync(entityPath, { throwIfNoEntry: false });
    const loaded = await loadEntityInput(conn, input, {
      timestampColumn: request.timestampColumn, joinKeys: plan.joinKeys, keysUnless: labelOnlyKeys(plan, set), table: entTable, baseDir: request.baseDir,
    });
    plan = reconcileWithEntities(plan, loaded.columns);
    // Rows in memory are named by their fingerprint once loaded (`memoryEntityUri`).
    entityUri = loaded.description.uri;
    const entityFingerprint = entityPath !== null && before?.isFile()
      ? entityFileFingerprint(entityPath, before, resolveQuality(project.config.quality, plan.service?.quality).provenance.full_hash_max_bytes)
      : Promise.resolve(null);
    entityFingerprint.catch(() => undefined); // awaited below; a build failing first must not leave it unhandled
    // The sources are first read here: a failure names the view and source (`sourceFailure`), not SQL. A key or
    // feature retyped upstream blocks the build below, as the guards block a materialization (`retyped-block.ts`).
    const retyped: RetypedColumn[] = [];
    try {
      await runSetup(conn, plan.views.flatMap((v) => v.relation.setup), retyped);
      listed(await readFilesOf(conn, project.root, plan.views.map((v) => v.source)));
    } catch (e) {
      throw (await sourceFailure(conn, plan, e, project.root)) ?? e;
    }
    if (retyped.length > 0) {
      progress('guards', 2, loaded.rowCount);
      const guard = (guarded = await recordRetypedBlock(project, run, plan, retyped));
      const types = (await conn.runAndReadAll(`DESCRIBE SELECT ${loaded.columns.map(ident).join(', ')} FROM ${ident(entTable)}`)).getRowObjectsJS().map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
      // Its sources cannot all be fingerprinted (a retyped key is not read): the lineage names them, as a failed build's.
      const named = sources.catch(() => plannedDatasetLineage({ project, set, plan, options }, null).inputs);
      const facts: BuildFacts = { project, set, plan, loaded, entityFile: await entityFingerprint, entTable, conn, sources: named, availability, options, splitAt: options.split_at, types, guard, status: 'blocked', run };
      let alerted = request.disableGuards === true;
      const alert = async () => {
        if (!alerted) (alerted = true), await alertFinishedRun(project, run.id, guard);
      };
      return { conn, facts, parts: [{ part: 'all', select: '', rows: 0, range: null }], selectAll: '', status: 'blocked', guard, run, cleanup, alert };
    }
    try {
      progress('join', 1, loaded.rowCount);
      const entityTimeRange = loaded.timeBounds ?? undefined;
      // Views whose rows are unique on (keys, event_ts) join on the plain event time, etc.; planned only
      // where reading a source again is cheap (Parquet files, DuckDB tables), not for CSV or SQL query sources.
      const views = await planViewJoins(conn, pitViews(plan, set), {
        availability, entityTimeRange, entityRows: loaded.rowCount, probe: (_, i) => cheapToRescan(plan.views[i].source),
      });
      const sql = pointInTimeJoinSql({ entitySql: `SELECT * FROM ${ident(entTable)}`, entityColumns: loaded.columns, views, availability, hiddenColumns: true, entityTimeRange });
      await conn.run(`CREATE TEMP TABLE ${ident(dsTable)} AS ${sql}`);
    } catch (e) {
      throw (await sourceFailure(conn, plan, e, project.root)) ?? e;
    }
    const visible = [...loaded.columns, ...plan.views.flatMap((v) => v.features.map((f) => f.column))];
    const select = (where = '') => `SELECT ${visible.map(ident).join(', ')} FROM ${ident(dsTable)}${where}`;

    let splitAt: string | null = options.split_at;
    if (request.testFraction !== undefined) {
      // The latest round(f·n) rows (at least one) go to test; rows tied with the boundary go with them.
      const k = Math.max(1, Math.round(request.testFraction * loaded.rowCount));
      const r = (await conn.runAndReadAll(
        `SELECT strftime(${ENTITY_TS}, '%Y-%m-%dT%H:%M:%S.%fZ') FROM ${ident(dsTable)} ORDER BY ${ENTITY_TS} LIMIT 1 OFFSET ${Math.max(0, loaded.rowCount - k)}`,
      )).getRowsJS();
      splitAt = r[0]?.[0] == null ? null : String(r[0][0]);
    }
    const splitLit = splitAt === null ? null : `CAST(CAST('${splitAt}' AS TIMESTAMPTZ) AS TIMESTAMP)`;
    const partDefs: { part: 'all' | 'train' | 'test'; where: string }[] = splitLit
      ? [{ part: 'train', where: ` WHERE ${ENTITY_TS} < ${splitLit}` }, { part: 'test', where: ` WHERE ${ENTITY_TS} >= ${splitLit}` }]
      : request.splitAt !== undefined || request.testFraction !== undefined
        ? [{ part: 'train', where: '' }, { part: 'test', where: ' WHERE false' }]
        : [{ part: 'all', where: '' }];
    const parts = [];
    for (const p of partDefs) {
      const r = (await conn.runAndReadAll(
        `SELECT count(*), strftime(min(${ENTITY_TS}), '%Y-%m-%dT%H:%M:%S.%fZ'), strftime(max(${ENTITY_TS}), '%Y-%m-%dT%H:%M:%S.%fZ') FROM ${ident(dsTable)}${p.where}`,
      )).getRowsJS()[0];
      parts.push({ part: p.part, select: select(p.where), rows: Number(r[0]), range: r[1] == null ? null : { min: String(r[1]), max: String(r[2]) } });
    }
    if (partDefs.length === 2) {
      await conn.run(`CREATE TEMP VIEW ${ident(`${dsTable}_train`)} AS SELECT * FROM ${ident(dsTable)}${partDefs[0].where}`);
      await conn.run(`CREATE TEMP VIEW ${ident(`${dsTable}_test`)} AS SELECT * FROM ${ident(dsTable)}${partDefs[1].where}`);
    }

    progress('guards', 2, loaded.rowCount);
    const dataset: DatasetGuardInfo = {
      entityTimestampColumn: ENTITY_TS,
      joinKeyColumns: plan.joinKeys.map((k) => k.name),
      labelColumn: plan.labelColumn,
      features: plan.views.filter((v) => !v.isLabel).flatMap((v) => v.features.map((f) => ({ column: f.column, view: v.view.name, feature: f.feature }))),
      viewTimestamps: plan.views.map((v, i) => {
        const h = hiddenTimestampColumns(i, v.view.name);
        return { view: v.view.name, eventTsColumn: h.event, createdTsColumn: v.source.created_timestamp_field ? h.created : null };
      }),
      availability,
      split: partDefs.length === 2 ? { trainTable: `${dsTable}_train`, testTable: `${dsTable}_test` } : undefined,
    };
    guarded = request.disableGuards
      ? PASS
      : await runGuardStage({ project, run, kind: 'dataset', service: plan.service, conn, table: dsTable, dataset, definitions: set, disabled: false, alerts: false });
    const guard = guarded;
    const status = guard.verdict === 'pass' ? 'success' : guard.verdict === 'warn' || request.allowFailedChecks ? 'warned' : 'blocked';
    const types = (await conn.runAndReadAll(`DESCRIBE ${select()}`)).getRowObjectsJS().map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
    const entityFile = await entityFingerprint;
    const facts: BuildFacts = { project, set, plan, loaded, entityFile, entTable, conn, sources, availability, options, splitAt, types, guard, status, run };
    let alerted = request.disableGuards === true;
    const alert = async () => {
      if (!alerted) (alerted = true), await alertFinishedRun(project, run.id, guard);
    };
    return { conn, facts, parts, selectAll: select(), status, guard, run, cleanup, alert };
  } catch (caught) {
    // An interrupted statement is the cancellation, whatever DuckDB called it.
    const e = request.signal?.aborted ? cancelled(outputKind) : caught;
    listed(new Map()); // a build that failed before listing them: the fingerprints (never used) must not wait
    await project.runs.updateWhenFree(run.id, {
      status: 'failed', finished_at: new Date().toISOString(), message: (e as Error).message.split('\n')[0], lineage: plannedDatasetLineage({ project, set, plan, options }, entityUri),
    });
    await cleanup();
    // The guards ran and something after them broke: their alerts go out with the failed run. A run that failed
    // before its guards judged it alerts too (an alert on `failed` runs), unless the guards are off or the
    // caller caused it (bad entity rows are a 400, not a broken pipeline).
    if (!request.disableGuards && (guarded || !isCallerError(e))) {
      const delivery = alertFinishedRun(project, run.id, guarded ?? NOT_JUDGED);
      await (deliverAlerts ? deliverAlerts(delivery) : delivery);
    }
    throw e;
  }
}

/** The join keys only the label view needs: entity rows that carry the label already need not have them. */
function labelOnlyKeys(plan: DatasetPlan, set: DefinitionSet): LoadEntityOptions['keysUnless'] {
  const label = plan.views.find((v) => v.isLabel);
  if (!label || !plan.labelColumn) return undefined;
  const needed = new Set(plan.views.filter((v) => !v.isLabel).flatMap((v) => viewJoinKeys(set, v.view).map((k) => k.name)));
  const keys = viewJoinKeys(set, label.view).map((k) => k.name).filter((k) => !needed.has(k));
  return keys.length === 0 ? undefined : { column: plan.labelColumn, keys };
}

/** A source that is read without parsing or computing much: a Parquet file (or glob) or a DuckDB table. */
function cheapToRescan(source: PlannedView['source']): boolean {
  if (source.path !== undefined) return sourceFormat(source) === 'parquet';
  return source.database !== undefined;
}

/**
 * After the join failed: read each planned view's source on its own (every
 * column, every row) to find the one that cannot be read, and say so in a
 * `FeatureguardError` (`sourceUnreadable`). `null` when every source reads (the
 * failure was something else).
 */
async function sourceFailure(conn: DuckDBConnection, plan: DatasetPlan, cause: unknown, root: string): Promise<FeatureguardError | null> {
  if (cause instanceof FeatureguardError) return null;
  const probed = new Set<string>();
  for (const v of plan.views) {
    if (probed.has(v.source.name)) continue;
    probed.add(v.source.name);
    try {
      await runSetup(conn, v.relation.setup);
      await conn.run(`SELECT count(COLUMNS(*)) FROM (${v.relation.select}) AS __fg_probe`);
    } catch (e) {
      return sourceUnreadable(v.view.name, v.source, e, root);
    }
  }
  // Read again with a fresh listing, every source reads: a file listed by the build vanished in between (merged by a
  // compaction, removed by a failed push's cleanup). Named by the glob source whose folder held it.
  const vanished = vanishedFile(cause);
  if (vanished !== undefined) {
    const holder = plan.views.find((v) => v.source.path !== undefined && isGlob(v.source.path) && vanished.startsWith(globBase(resolve(root, v.source.path))));
    if (holder) return sourceUnreadable(holder.view.name, holder.source, cause, root);
  }
  return null;
}

/** Record the finished run (status, rows, lineage) and return it. */
async function finishRun(p: Prepared, manifest: DatasetManifest, outputs: readonly ManifestOutput[], streamed = false): Promise<Run> {
  // A streamed dataset's run takes its status once its body was sent whole (`stream-delivery.ts`).
  const final = !streamed || p.status === 'blocked';
  const message = p.status === 'blocked' ? p.guard.blockedReason : p.status === 'warned' && p.guard.verdict === 'block' ? `${WRITTEN_DESPITE_BLOCK}: ${p.guard.blockedReason ?? ''}` : null;
  return p.facts.project.runs.updateWhenFree(p.run.id, {
    ...(final ? { status: p.status, finished_at: new Date().toISOString() } : {}),
    rows_in: manifest.entities.rows,
    rows_out: p.status === 'blocked' ? 0 : manifest.rows,
    counts: p.guard.counts,
    message,
    lineage: buildLineage(p.facts, manifest, outputs),
  });
}

/**
 * Build a point-in-time-correct dataset: in memory as an Arrow table, or
 * written to `out` (with a manifest beside each file). Resolves to the result
 * even when blocked (`status: 'blocked'`, nothing written); throws on bad input.
 */
export async function getHistoricalFeatures(project: Project, given: HistoricalFeaturesRequest): Promise<HistoricalFeaturesResult> {
  // One reading of "split or not" for the checks below and the build (`prepare` normalizes the same way).
  const request = withoutEmptySplit(given);
  const out = request.out === undefined ? undefined : resolve(request.baseDir ?? process.cwd(), request.out);
  if (out === undefined && request.format !== undefined) {
    // The format of the files `out` names: without it (an Arrow table) it would be ignored, a typo included.
    datasetFormat('', request.format); // an unknown one is `bad_format`, with or without `out`
    throw new InputError(
      `format '${request.format}' applies to the files written with out; without out the result is an Arrow table (give out, e.g. out: 'train.${request.format}')`,
      { format: request.format },
    );
  }
  const format = out === undefined ? undefined : datasetFormat(out, request.format);
  const compression = out === undefined || format === undefined ? null : datasetCompression(out, format);
  // The paths checked before any work: only these are ever written (a source, the state, the entity file are refused).
  let targets: readonly string[] = [];
  if (out !== undefined) {
    const splitting = request.splitAt !== undefined || request.testFraction !== undefined;
    const input = normalizeEntities(request.entities);
    const dir = request.baseDir ?? process.cwd();
    targets = splitting ? [splitOutputPath(out, 'train'), splitOutputPath(out, 'test')] : [out];
    await checkOutputTargets(project, targets, input.kind === 'file' ? { file: resolve(dir, input.path) } : input.kind === 'sql' ? { sql: input.sql, dir } : {});
  }
  const p = await prepare(project, request, format ?? 'memory');
  // Files are written beside their target and renamed into place once every part is written: an interrupted
  // or failed build leaves an earlier dataset at that path as it was, and removes only its own temp files.
  const written: string[] = [];
  const renames: [string, string][] = [];
  const tag = randomUUID().slice(0, 8);
  const removeTemps = (): undefined => {
    for (const f of written) {
      try {
        rmSync(f, { force: true });
      } catch {
        // the error that matters is the build's
      }
    }
  };
  const undone = onInterrupt(() => {
    // Stop DuckDB writing first, so no temp file is written again after it is removed.
    interruptQuietly(p.conn);
    removeTemps();
  });
  try {
    const outputs: ManifestOutput[] = [];
    let table: Table | null = null;
    let split: HistoricalFeaturesResult['split'] = null;
    if (p.status !== 'blocked') {
      request.onProgress?.({ phase: 'write', step: 3, steps: 4 });
      if (out !== undefined && format !== undefined) {
        const outputHashLimit = resolveQuality(project.config.quality, p.facts.plan.service?.quality).provenance.full_hash_max_bytes;
        for (const part of p.parts) {
          const path = part.part === 'all' ? out : splitOutputPath(out, part.part);
          if (!targets.includes(path)) throw new Error(`internal error: output ${path} was not checked before the build`);
          const temp = `${path}.featureguard-${tag}.tmp`;
          let bytes: number;
          try {
            mkdirSync(dirname(path), { recursive: true });
            written.push(temp);
            bytes = await writeDatasetFile(p.conn, part.select, temp, format, compression);
          } catch (e) {
            throw new FeatureguardError('output_write_failed', `could not write the dataset to ${path}: ${(e as Error).message.split('\n')[0]}`, { status: 500, exitCode: 3, details: { path } });
          }
          // Hashed as written, under the name it is renamed from (rename keeps the mtime a partial hash holds).
          const print = await fingerprintFile(temp, { partialThresholdBytes: outputHashLimit });
          outputs.push({ part: part.part, path, format, rows: part.rows, bytes, sha256: print.sha256, partial: print.partial, time_range: part.range });
          renames.push([temp, path]);
        }
      } else {
        table = await arrowTableFromResult(await p.conn.stream(p.selectAll));
        if (p.parts.length === 2) split = { train: await arrowTableFromResult(await p.conn.stream(p.parts[0].select)), test: await arrowTableFromResult(await p.conn.stream(p.parts[1].select)) };
        for (const part of p.parts) outputs.push({ part: part.part, path: null, format: 'memory', rows: part.rows, bytes: null, time_range: part.range });
      }
    }
    const manifest = await buildManifest(p.facts, outputs);
    const run = await finishRun(p, manifest, outputs);
    // Manifests too go to temp files; then every file is renamed into place, outputs and manifests together.
    for (const o of outputs) {
      if (!o.path) continue;
      const temp = `${manifestPath(o.path)}.featureguard-${tag}.tmp`;
      written.push(temp);
      writeManifest(temp, { ...manifest, run_id: run.id });
      renames.push([temp, manifestPath(o.path)]);
    }
    for (const [from, to] of renames) renameSync(from, to);
    written.length = 0;
    request.onProgress?.({ phase: 'done', step: 4, steps: 4, rows: manifest.rows });
    return { status: p.status, table, split, outputs, manifest, run, checks: p.guard };
  } catch (e) {
    const recorded = project.runs.get(p.run.id).lineage;
    await project.runs.updateWhenFree(p.run.id, {
      status: 'failed', finished_at: new Date().toISOString(), message: (e as Error).message.split('\n')[0],
      ...(recorded ? {} : { lineage: plannedDatasetLineage(p.facts, p.facts.loaded.description.uri) }),
    });
    removeTemps();
    throw e;
  } finally {
    undone();
    await p.cleanup();
    await p.alert();
  }
}

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
  const { splitAt, testFraction } = withoutEmptySplit(request);
  if (splitAt !== undefined || testFraction !== undefined) throw new InputError('a streamed dataset cannot be split; build train and test separately or use `dataset build --split-at`');
  const p = await prepare(project, { ...request, out: undefined }, `stream:${format}`, options.deliverAlerts, options.trigger);
  // The answer does not wait for webhook deliveries; a server tracks them (`serve` waits for them when it stops,
  // and past its limit of pending deliveries the answer waits for its own).
  const alertLater = async () => {
    const delivery = p.alert();
    if (options.deliverAlerts) await options.deliverAlerts(delivery);
  };
  const part = p.parts[0];
  const outputs: ManifestOutput[] = [{ part: 'all', path: null, format, rows: part.rows, bytes: null, time_range: part.range }];
  let manifest: DatasetManifest;
  let run: Run;
  try {
    manifest = await buildManifest(p.facts, outputs);
    run = await finishRun(p, manifest, outputs, true);
  } catch (e) {
    await project.runs.updateWhenFree(p.run.id, { status: 'failed', finished_at: new Date().toISOString(), message: (e as Error).message.split('\n')[0] });
    await p.cleanup();
    await alertLater();
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
    await project.runs.updateWhenFree(run.id, { status: 'failed', finished_at: new Date().toISOString(), message: e.message });
    await p.cleanup();
    await alertLater();
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
