/**
 * The stage every dataset build shares (`getHistoricalFeatures`, `buildDatasetStream`): resolve the request
 * against the applied registry, load the entity rows, plan each view's join (`planViewJoins`), run one
 * point-in-time SQL statement into a temp table (with hidden per-view timestamp columns for the leakage check when
 * the guards run), cut it into parts (`datasetParts`) and run the guard stage on it. The result, a `PreparedDataset`, holds the
 * open connection and the run; its caller writes or streams the rows, records the run (`finishRun`), then
 * calls `cleanup` and `alert`. A build that fails here records its run failed and releases everything itself;
 * one refused for a caller's mistake before its run was created (bad entity rows) records none.
 *
 * @example
 * const p = await prepareDataset(project, request, 'parquet');
 * try { ... } finally { await p.cleanup(); await p.alert(); }
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { NOT_JUDGED, alertFinishedRun } from '../alerts/dispatch.js';
import { viewJoinKeys } from '../definitions/definition-set.js';
import { isGlob, sourceFormat } from '../definitions/source-location.js';
import { globBase } from '../definitions/own-files.js';
import type { DefinitionSet } from '../definitions/types.js';
import { FeatureguardError, InputError, isCallerError } from '../errors.js';
import { resolveQuality } from '../guards/config.js';
import { runGuardStage, type DatasetGuardInfo, type GuardStageResult } from '../guards/stage.js';
import { WRITTEN_DESPITE_BLOCK } from '../guards/reference.js';
import type { Project } from '../project.js';
import type { RunTrigger } from '../runs/trigger.js';
import type { Run } from '../runs/types.js';
import { datasetParts, type DatasetPart } from './dataset-parts.js';
import { pitViews, planDataset, reconcileWithEntities, type DatasetPlan, type PlannedView } from './dataset-plan.js';
import { cancelled, checkedBuildOptions, isSplit, normalizeEntities, requestDefinitions, runOptions, withoutEmptySplit } from './dataset-request.js';
import type { DatasetProgress, HistoricalFeaturesRequest } from './historical-types.js';
import { ident, interruptQuietly } from './engine.js';
import { entityInputUri, loadEntityInput, type LoadEntityOptions } from './entity-input.js';
import type { EntityInput } from './entity-input-types.js';
import { readFilesOf } from './fingerprint.js';
import { buildLineage, entityFileFingerprint, guardStageLineage, plannedDatasetLineage, startSourceFingerprints, type BuildFacts } from './manifest.js';
import type { DatasetManifest, ManifestOutput } from './manifest-types.js';
import { ENTITY_TS, hiddenTimestampColumns, planViewJoins, pointInTimeJoinSql } from './point-in-time.js';
import type { RetypedColumn } from './key-types.js';
import { recordRetypedBlock } from './retyped-block.js';
import { runSetup, sourceUnreadable, vanishedFile } from './source-sql.js';

/** A prepared build: the joined rows in a temp table, guards done. */
export interface PreparedDataset {
  readonly conn: DuckDBConnection;
  readonly facts: BuildFacts;
  readonly parts: readonly DatasetPart[];
  /** All rows (also when split). */
  readonly selectAll: string;
  readonly status: 'success' | 'warned' | 'blocked';
  readonly guard: GuardStageResult;
  readonly run: Run;
  cleanup(): Promise<void>;
  /** Fire the run's alerts once it has its final status (the first call only; nothing when guards were off). */
  alert(): Promise<void>;
}

/** How a build hands over its alert deliveries: a server tracks them instead of answering after them. */
export type DeliverAlerts = (delivery: Promise<void>) => unknown;

const PASS: GuardStageResult = { verdict: 'pass', results: [], blockedReason: null, counts: { pass: 0, warn: 0, fail: 0, error: 0, skipped: 0 } };

/**
 * Run a build up to its outputs (see the module comment). `outputKind` is what the run records as its output
 * (`parquet`, …, `memory`, `stream:<format>`); an `InputError` for a request that cannot be built.
 */
export async function prepareDataset(
  project: Project, given: HistoricalFeaturesRequest, outputKind: string, deliverAlerts?: DeliverAlerts, trigger?: RunTrigger,
): Promise<PreparedDataset> {
  const request = withoutEmptySplit(given);
  const set = requestDefinitions(project, request);
  if (set.views.size === 0) throw new InputError('no feature views are applied in this project; run `featureguard apply` first', undefined, 'nothing_applied');
  let plan = planDataset(project.sourceRoots, set, request);
  // Read before the connection opens: a split point that is no instant (or lies past 9999) leaves nothing open.
  const { availability, splitAtMicros } = checkedBuildOptions(request);
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
  const options = runOptions(request, outputKind, availability, splitAtMicros);
  // The run's records wait for another process's write lock on a timer (`createWhenFree`, `updateWhenFree`): a
  // server building a dataset goes on answering requests meanwhile. The run is created once the entity rows are
  // loaded and checked against the request: a caller's mistake found before (`refused`) records no run.
  const createRun = () => project.runs.createWhenFree({ kind: 'dataset', service: plan.service?.name ?? null, options, trigger });
  let created: Run | undefined;
  let guarded: GuardStageResult | null = null;
  // Alerts of the run with its final status, once: `alert` of the result.
  const alertOnce = (run: Run, guard: GuardStageResult) => {
    let alerted = request.disableGuards === true;
    return async () => {
      if (!alerted) (alerted = true), await alertFinishedRun(project, run.id, guard);
    };
  };
  const describe = async (select: string) => (await conn.runAndReadAll(`DESCRIBE ${select}`)).getRowObjectsJS().map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
  // The glob sources' files as the build lists them (below), for the manifest.
  let listed!: (files: ReadonlyMap<string, readonly string[]>) => void;
  const sources = startSourceFingerprints(engine, project.root, plan, project.config.quality, new Promise((r) => (listed = r)));
  // The entity rows' URI, for the lineage of a build that fails before it records its own.
  let entityUri: string | null = null;
  let input: EntityInput | undefined;
  try {
    input = normalizeEntities(request.entities);
    progress('entities', 0);
    // An entity file as the load begins: fingerprinted once its rows are loaded, while the join runs.
    const entityPath = input.kind === 'file' && !isGlob(input.path) ? resolve(request.baseDir ?? process.cwd(), input.path) : null;
    const before = entityPath === null ? undefined : statSync(entityPath, { throwIfNoEntry: false });
    const loaded = await loadEntityInput(conn, input, {
      timestampColumn: request.timestampColumn, joinKeys: plan.joinKeys, keysUnless: labelOnlyKeys(plan, set), table: entTable, baseDir: request.baseDir,
    });
    plan = reconcileWithEntities(plan, loaded.columns);
    const run = (created = await createRun());
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
      const types = await describe(`SELECT ${loaded.columns.map(ident).join(', ')} FROM ${ident(entTable)}`);
      // Its sources cannot all be fingerprinted (a retyped key is not read): the lineage names them, as a failed build's.
      const named = sources.catch(() => plannedDatasetLineage({ project, set, plan, options }, null).inputs);
      const facts: BuildFacts = { project, set, plan, loaded, entityFile: await entityFingerprint, entTable, conn, sources: named, availability, options, splitAt: options.split_at, types, guard, status: 'blocked', run };
      return { conn, facts, parts: [{ part: 'all', select: '', rows: 0, range: null }], selectAll: '', status: 'blocked', guard, run, cleanup, alert: alertOnce(run, guard) };
    }
    try {
      progress('join', 1, loaded.rowCount);
      const entityTimeRange = loaded.timeBounds ?? undefined;
      // Views whose rows are unique on (keys, event_ts) join on the plain event time, etc.; planned only
      // where reading a source again is cheap (Parquet files, DuckDB tables), not for CSV or SQL query sources.
      const views = await planViewJoins(conn, pitViews(plan, set), {
        availability, entityTimeRange, entityRows: loaded.rowCount, probe: (_, i) => cheapToRescan(plan.views[i].source),
      });
      // The hidden columns (the ordinal, the chosen rows' times) are read by the guards only: without them, the
      // join sorts and stores fewer columns (the output is the same).
      const sql = pointInTimeJoinSql({ entitySql: `SELECT * FROM ${ident(entTable)}`, entityColumns: loaded.columns, views, availability, hiddenColumns: !request.disableGuards, entityTimeRange });
      await conn.run(`CREATE TEMP TABLE ${ident(dsTable)} AS ${sql}`);
    } catch (e) {
      throw (await sourceFailure(conn, plan, e, project.root)) ?? e;
    }
    const visible = [...loaded.columns, ...plan.views.flatMap((v) => v.features.map((f) => f.column))];
    const select = (where = '') => `SELECT ${visible.map(ident).join(', ')} FROM ${ident(dsTable)}${where}`;
    const { splitAt, parts, split } = await datasetParts(
      conn, dsTable, select, { splitAt: options.split_at, testFraction: request.testFraction, splitting: isSplit(request) }, loaded.rowCount,
    );

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
      split,
    };
    // With its lineage: the provenance fingerprint lists the sources and entity rows read, with their fingerprints.
    guarded = request.disableGuards
      ? PASS
      : await runGuardStage({ project, run: { ...run, lineage: await guardStageLineage({ project, set, plan, options, loaded, sources }, entityFingerprint) }, kind: 'dataset', service: plan.service, conn, table: dsTable, dataset, definitions: set, disabled: false, alerts: false });
    const guard = guarded;
    const status = guard.verdict === 'pass' ? 'success' : guard.verdict === 'warn' || request.allowFailedChecks ? 'warned' : 'blocked';
    const types = await describe(select());
    const entityFile = await entityFingerprint;
    const facts: BuildFacts = { project, set, plan, loaded, entityFile, entTable, conn, sources, availability, options, splitAt, types, guard, status, run };
    return { conn, facts, parts, selectAll: select(), status, guard, run, cleanup, alert: alertOnce(run, guard) };
  } catch (caught) {
    // An interrupted statement is the cancellation, whatever DuckDB called it.
    const e = request.signal?.aborted ? cancelled(outputKind) : caught;
    listed(new Map()); // a build that failed before listing them: the fingerprints (never used) must not wait
    if (created === undefined && refused(e)) {
      // Refused before any work (bad entity rows, a name collision): no run, as for a request refused before
      // the build opened anything; exit 2 / a 400, which counts no dataset verdict either.
      await cleanup();
      throw e;
    }
    // A build that failed before its run was created (cancelled, or DuckDB failing while loading) records it failed.
    const run = created ?? (await createRun().catch(async (err: unknown) => {
      await cleanup(); // the run could not be created either: the connection is released all the same
      throw err;
    }));
    // Rows in memory that were not loaded are named by the run (`entityInputUri`).
    const uri = entityUri ?? (input === undefined ? null : entityInputUri(input, request.baseDir, run.id));
    await project.runs.updateWhenFree(run.id, {
      status: 'failed', finished_at: new Date().toISOString(), message: (e as Error).message.split('\n')[0], lineage: plannedDatasetLineage({ project, set, plan, options }, uri),
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

/** Record the finished run (status, rows, lineage) and return it. */
export async function finishRun(p: PreparedDataset, manifest: DatasetManifest, outputs: readonly ManifestOutput[], streamed = false): Promise<Run> {
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

/** A caller's mistake (a 4xx, exit 2), not a cancellation: refused before the build's run is created. */
function refused(e: unknown): boolean {
  return isCallerError(e) && (e as FeatureguardError).code !== 'cancelled';
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
