/**
 * Materialization: copy the latest value per entity in a time window from a
 * view's offline source into the online store, after the guards pass.
 *
 * Per view: take the view's lease (one materialization per view at a time),
 * create a run, read the window with DuckDB into a table, run the guard stage on
 * all of the window's rows (while a second connection computes the latest row
 * per entity), then — unless blocked — stream the latest rows into one online
 * write session and commit it (readers see the whole window or none of it). A
 * blocked or failed run writes nothing visible; its alerts go out afterwards
 * with the final status.
 * Results are data: a blocked guard is a result with status `blocked`.
 *
 * @example
 * const [r] = await materialize(project, { start: '2001-01-01', end: '2001-01-08', views: ['airport_hourly'] });
 * console.log(r.status, r.rowsRead, r.entitiesWritten);
 */
import type { RunTrigger } from '../runs/trigger.js';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { DuckDBConnection } from '@duckdb/node-api';
import { NOT_JUDGED, alertFinishedRun, sendDueAlerts } from '../alerts/dispatch.js';
import { onlineDefinition, viewJoinKeys } from '../definitions/definition-set.js';
import type { DefinitionSet, FeatureViewDef } from '../definitions/types.js';
import { didYouMean } from '../definitions/suggest.js';
import { FeatureguardError, InputError, isCallerError } from '../errors.js';
import { checkEpochAtStart, epochAtStart, resolvedEpoch, type EpochAtStart } from './store-epoch.js';
import { castFeaturesSql, rawViewRelationSql } from '../guards/raw-relation.js';
import type { GuardStageResult } from '../guards/stage.js';
import { ident, interruptQuietly } from '../offline/engine.js';
import { sourceUnreadable } from '../offline/source-sql.js';
import type { Project } from '../project.js';
import { droppedSince, dropIfPending, dropPendingError, dropPendingView, isDropPending, requestDropsWhenFree, viewChangedError } from '../registry/online-drops.js';
import type { OnlineRow } from '../online/types.js';
import { onlineViewUri } from '../runs/dataset-names.js';
import { plannedViewLineage, viewLineage } from '../runs/lineage-record.js';
import type { Lineage, Run } from '../runs/types.js';
import { firstUncovered, lastMaterializedEnd, recordInterval } from './intervals.js';
import { storedFeatures } from './stored-features.js';
import { latestPerEntitySql, windowSql } from './latest-sql.js';
import { stateIdentity, writeWhenFree } from '../state/state-db.js';
import { floatFeatures } from '../online/record-codec.js';
import { acquireLeasesWhenFree, type Lease } from './lease.js';
import { chunkToOnlineRows } from './online-rows.js';
import type { MaterializationHandle, MaterializeOptions, MaterializeResult } from './types.js';
import { resolveWindow, type ResolvedWindow } from './window.js';

const NO_COUNTS = { pass: 0, warn: 0, fail: 0, error: 0, skipped: 0 };

/**
 * The caller's `onProgress` threw (its exception is `error`): the materialization stops at that view, whose run is
 * failed naming it, and `done` rejects with the caller's own exception rather than recording it as a result.
 */
class CallbackFailure extends Error {
  constructor(readonly error: unknown) {
    super(`the onProgress callback threw: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
}

/** Why each `failed` result failed (the SDK rejects when the online store failed every run: `store.materialize`). */
const failures = new WeakMap<MaterializeResult, unknown>();

/** The error a `failed` result of `materialize` failed with (undefined for other results). */
export const failureOf = (result: MaterializeResult): unknown => failures.get(result);

/** The views a request names, or every online feature view. */
export function materializableViews(set: DefinitionSet, names?: readonly string[]): FeatureViewDef[] {
  if (names !== undefined && (!Array.isArray(names) || names.some((n) => typeof n !== 'string'))) {
    throw new InputError('views must be a list of feature view names', undefined, 'invalid_request');
  }
  // An empty list is not "every view" (what an absent one is): a filter that came out empty would materialize all.
  if (names !== undefined && names.length === 0) {
    throw new InputError('views is empty: name the feature views to materialize, or leave views out for every online view', undefined, 'empty_views');
  }
  if (names) {
    // A view named twice is materialized once (it held its own lease: "already being materialized by" itself).
    return [...new Set(names)].map((name) => {
      const v = set.views.get(name);
      if (!v) throw new InputError(`unknown feature view '${name}'${didYouMean(name, set.views.keys())}`, { known: [...set.views.keys()] }, 'unknown_view');
      if (!v.online) throw new InputError(`feature view '${name}' is not online in its applied definition: set online: true in its definition and run \`featureguard apply\` to materialize it`, { view: name }, 'view_not_online');
      return v;
    });
  }
  const views = [...set.views.values()].filter((v) => v.online === true);
  if (views.length === 0) throw new InputError('no online feature views in the registry: apply definitions with online: true first', undefined, 'no_online_views');
  return views;
}

async function earliestEventTs(project: Project, view: FeatureViewDef): Promise<Date | null> {
  const conn = await (await project.engine()).connect();
  try {
    // The guards' uncast relation (it runs its setup): a source the window's run will block (a retyped join key, a
    // glob's file at fault) must not break the run before it starts.
    const rel = await rawViewRelationSql(project, view, conn);
    const r = await conn.runAndReadAll(`SELECT epoch_ms(min(event_timestamp)) FROM (${rel.select})`);
    const v = r.getRowsJS()[0]?.[0];
    return v === null || v === undefined ? null : new Date(Number(v));
  } finally {
    conn.closeSync();
  }
}

/** Drop a view's values for an apply that ran during its materialization (this run holds the lease), and say so. */
async function droppedDuringRun(project: Project, view: string, what: string): Promise<Error> {
  await dropPendingView(project, view);
  return viewChanged(view, what);
}

// Usually an apply; also a push of rows of the old definition that raced one (it asks for the drop too).
const viewChanged = (view: string, what: string) => viewChangedError(view, 'it was being materialized', what);

/**
 * Start materializing: checks the request, takes every view's lease (all or none:
 * `ConflictError` with code `materialization_running` when one is held, or
 * `online_drop_running` while an apply drops a view's values) and
 * creates the runs, then works in the background. `done` never rejects for a
 * view's failure: that is a result with status `failed` (an `onProgress` that
 * throws stops it, and `done` rejects with that exception).
 */
export async function startMaterialization(project: Project, options: MaterializeOptions = {}, trigger?: RunTrigger): Promise<MaterializationHandle> {
  // Bad input (unknown view, bad times) is a 400 even while a view is being materialized: checked before the leases.
  let set = project.registry.current();
  let views = materializableViews(set, options.views);
  const now = new Date();
  // The online store's epoch: windows written into a store that has lost them since (a Redis restarted without
  // persistence) do not count for incremental windows. A store unreachable now fails the runs below, recorded,
  // also when it answers again by then (`store-epoch.ts`).
  const atStart = await epochAtStart(project, options.incremental);
  const epoch = resolvedEpoch(atStart);
  const resolveAll = () =>
    Promise.all(
      views.map((view) =>
        resolveWindow({
          view,
          start: options.start,
          end: options.end,
          incremental: options.incremental,
          // Windows that stored every feature of the view as it is read now: after an apply that added one, or reads
          // one from another column, the ttl window is read again (`stored-features.ts`).
          lastEnd: options.incremental ? lastMaterializedEnd(project.state, view.name, epoch, storedFeatures(view, set.sources.get(view.source))) : null,
          firstUncovered: (from) => firstUncovered(project.state, view.name, from, epoch, storedFeatures(view, set.sources.get(view.source))),
          earliest: () => earliestEventTs(project, view),
          now,
        }),
      ),
    );
  let windows = await resolveAll();
  // Runs of a stopped process that held a lease are failed as the lease is taken; their alerts go out beside
  // this materialization, which waits for them before it resolves.
  let orphanAlerts: Promise<void> = Promise.resolve();
  // The state database's write lock is waited for on a timer here and below (`writeWhenFree`), never in SQLite's
  // synchronous busy wait: a server materializing goes on answering requests while another process writes.
  const leases = await acquireLeasesWhenFree(project.state, views.map((v) => v.name), `materialize-${process.pid}-${randomUUID().slice(0, 8)}`, {
    onFailedRuns: () => (orphanAlerts = sendDueAlerts(project, { signal: options.alertSignal })),
  });
  const planned: { view: FeatureViewDef; run: Run | null; window: ResolvedWindow; lease: Lease }[] = [];
  try {
    // Drops an earlier apply could not do (the store was down, or this view was being materialized): before
    // reading anything, and with the windows forgotten, so an incremental window starts afresh.
    let dropped = false;
    for (const view of views) {
      if (!isDropPending(project.state, view.name)) continue;
      await dropPendingView(project, view.name).catch((e: unknown) => {
        throw new FeatureguardError('online_drop_failed', `could not drop the online values of '${view.name}' that an apply removed or changed in a breaking way: ${(e as Error).message}`, {
          status: 503, exitCode: 3, cause: e, details: { view: view.name },
        });
      });
      // A push of the old definition is still writing: the drop stays pending (`online-writes.ts`), and values
      // written now would go with it.
      if (isDropPending(project.state, view.name)) {
        throw dropPendingError(view.name, 'and the drop is still pending (a push of the old definition may still be writing the view)', 'materialize');
      }
      dropped = true;
    }
    // Under the leases, the definitions this run goes by: an apply (and its drop) between the first read and
    // the leases is seen here, and the run writes by the new definitions, or refuses a view that is gone.
    const current = project.registry.current();
    if (current !== set || dropped) {
      set = current;
      views = views.map((v) => {
        const def = set.views.get(v.name);
        if (!def) throw new InputError(`feature view '${v.name}' was removed by an apply before its materialization started`, { view: v.name }, 'unknown_view');
        if (!def.online) throw new InputError(`feature view '${v.name}' is not online any more (changed by an apply before its materialization started)`, { view: v.name }, 'view_not_online');
        return def;
      });
      windows = await resolveAll();
    }
    // Every run now, so the job knows their ids; the views run one after another: the first is `running`, the
    // others `queued` until their work begins (then their `started_at` is set).
    let first = true;
    for (const [i, view] of views.entries()) {
      const window = windows[i];
      const empty = window.start.getTime() >= window.end.getTime();
      const run = empty
        ? null
        : await project.runs.createWhenFree({
            kind: 'materialize',
            view: view.name,
            window_start: window.start.toISOString(),
            window_end: window.end.toISOString(),
            options: { incremental: options.incremental === true, guards: options.guards !== false },
            status: first ? 'running' : 'queued',
            trigger,
          });
      if (run) first = false;
      planned.push({ view, run, window, lease: leases[i] });
    }
  } catch (e) {
    for (const l of leases) await l.release();
    // A drop this run could not finish (a push of the old definition was writing) or never reached: whoever
    // it was deferred to meanwhile found the lease held, so try once more now that it is free.
    for (const v of views) await dropIfPending(project, v.name);
    await orphanAlerts;
    throw e;
  }

  const done = (async () => {
    const results: MaterializeResult[] = [];
    let at = 0;
    try {
      for (; at < planned.length; at++) {
        const { view, run, window, lease } = planned[at];
        try {
          results.push(run === null ? upToDate(view, window) : await materializeView(project, set, view, run, window, options, lease, atStart));
        } finally {
          await lease.release();
          // An apply that found the lease held after this run's last check deferred its drop to us. If the store
          // fails, the drop stays pending for the next apply or materialization.
          await dropIfPending(project, view.name);
        }
      }
    } catch (e) {
      // A view that broke before its run could record it (the state database locked as it started, the engine
      // gone): its run and those queued behind it are failed and their leases released, not left `queued` or
      // `running` for as long as this process lives (its heartbeat keeps them from being taken as orphans).
      await failStranded(project, planned.slice(at), e);
      throw e instanceof CallbackFailure ? e.error : e;
    } finally {
      await orphanAlerts;
    }
    return results;
  })();
  return {
    runs: planned.map((p) => ({
      view: p.view.name,
      runId: p.run?.id ?? null,
      status: p.run === null ? 'up_to_date' : p.run.status === 'queued' ? 'queued' : 'running',
      window: { start: p.window.start.toISOString(), end: p.window.end.toISOString() },
    })),
    done,
  };
}

/**
 * After a materialization broke off at `stranded[0]`: that view's run, if still unfinished, failed with the error,
 * the runs queued behind it failed as not started, their leases released (the first's is, by its own `finally`).
 */
async function failStranded(project: Project, stranded: readonly { view: FeatureViewDef; run: Run | null; lease: Lease }[], e: unknown): Promise<void> {
  const reason = e instanceof Error ? e.message : String(e);
  for (const [i, { run, lease }] of stranded.entries()) {
    try {
      if (i > 0) await lease.release();
      if (run === null) continue;
      const status = project.runs.get(run.id).status;
      if (status !== 'queued' && status !== 'running') continue;
      const message = i === 0 ? `failed: ${reason}` : `not started: the materialization stopped at view '${stranded[0].view.name}' (${reason})`;
      await project.runs.updateWhenFree(run.id, { status: 'failed', finished_at: new Date().toISOString(), message });
    } catch {
      // The state database cannot be written now: the runs stay unfinished until this process ends, then are orphans.
    }
  }
}

/** Materialize and wait: one result per view, in view order. */
export async function materialize(project: Project, options: MaterializeOptions = {}): Promise<MaterializeResult[]> {
  return (await startMaterialization(project, options)).done;
}

function upToDate(view: FeatureViewDef, window: ResolvedWindow): MaterializeResult {
  return {
    view: view.name,
    run: null,
    status: 'up_to_date',
    window: { start: window.start.toISOString(), end: window.end.toISOString() },
    rowsRead: 0,
    entitiesWritten: 0,
    skipped: 0,
    checks: [],
    counts: { ...NO_COUNTS },
    message: `nothing to materialize: ${window.nothingToDo ?? 'the window is empty'}`,
    durationMs: 0,
  };
}

/** What a materialization of `view` is recorded as: its job and its output, the view in the online store (`onlineViewUri`, as pushes name it). */
const lineageTarget = (project: Project, view: FeatureViewDef) => ({
  job: `materialize:${view.name}`,
  output: { kind: 'online_store', uri: onlineViewUri(project.config.project, view.name) },
});

async function lineageOf(project: Project, set: DefinitionSet, view: FeatureViewDef, conn: DuckDBConnection, relationSql: string): Promise<Lineage> {
  // The source is hashed under the view's resolved `provenance.full_hash_max_bytes`.
  return viewLineage(project, set, view, conn, relationSql, lineageTarget(project, view));
}

async function materializeView(
  project: Project,
  set: DefinitionSet,
  view: FeatureViewDef,
  queued: Run,
  window: { start: Date; end: Date },
  options: MaterializeOptions,
  lease: Lease,
  atStart: EpochAtStart,
): Promise<MaterializeResult> {
  const t0 = performance.now();
  // Its work begins now: a run queued behind the job's earlier views starts (its time from here, not the job's).
  const run = queued.status === 'queued' ? await project.runs.updateWhenFree(queued.id, { status: 'running', started_at: new Date().toISOString() }) : queued;
  options.onRunStarted?.(view.name, run.id);
  const base = { view: view.name, window: { start: window.start.toISOString(), end: window.end.toISOString() } };
  const table = `fg_mat_${run.id.replaceAll('-', '')}`;
  const joinKeys = viewJoinKeys(set, view);
  const featureNames = view.features.map((f) => f.name);
  let rowsRead = 0;
  let guard: GuardStageResult = { verdict: 'pass', results: [], blockedReason: null, counts: { ...NO_COUNTS } };
  let lineage: Lineage | null = null;
  let guarded = false;
  let latestFailure: unknown = null;
  let failure: unknown = null;
  const windowTables: string[] = [];
  const conn = await (await project.engine()).connect();
  const progress = (p: { view: string; entitiesWritten: number; entitiesTotal: number }) => {
    try {
      options.onProgress?.(p);
    } catch (error) {
      throw new CallbackFailure(error);
    }
  };
  const finish = async (status: MaterializeResult['status'], message: string | null, written: number, skipped: number): Promise<MaterializeResult> => {
    const updated = await project.runs.updateWhenFree(run.id, {
      status: status === 'up_to_date' ? 'success' : status,
      finished_at: new Date().toISOString(),
      rows_in: rowsRead,
      rows_out: written,
      message,
      counts: guard.counts,
      lineage,
    });
    return { ...base, run: updated, status, rowsRead, entitiesWritten: written, skipped, checks: guard.results, counts: guard.counts, message, durationMs: performance.now() - t0 };
  };
  try {
    const store = await project.onlineStore();
    const storeEpoch = await store.epoch();
    checkEpochAtStart(atStart, storeEpoch);
    // The guards see the source's own column types (a column that changed type or vanished is a schema
    // failure that blocks, not a cast error); the online store gets the features cast to their declared types.
    const withGuards = options.guards !== false;
    // The source is read here: a failure names the view and source (`sourceUnreadable`), not SQL.
    const source = set.sources.get(view.source)!;
    const rel = await rawViewRelationSql(project, view, conn, set).catch((e: unknown) => {
      throw sourceUnreadable(view.name, source, e, project.root);
    });
    // With guards the window's rows are a (uniquely named) table of the in-memory catalog, not a TEMP table,
    // so that a second connection can compute the latest row per entity while the guards read the same rows.
    await conn.run(`CREATE ${withGuards ? '' : 'TEMP '}TABLE ${ident(table)} AS ${windowSql(rel.select, window.start, window.end)}`).catch((e: unknown) => {
      throw sourceUnreadable(view.name, source, e, project.root);
    });
    windowTables.push(table);
    rowsRead = Number((await conn.runAndReadAll(`SELECT count(*) FROM ${ident(table)}`)).getRowsJS()[0][0]);
    lineage = await lineageOf(project, set, view, conn, rel.select);
    let latest = latestPerEntitySql({ table: `(${castFeaturesSql(table, view.features)})`, joinKeys, features: view.features, orderByKeyText: store.type === 'sqlite' });
    if (withGuards) {
      // Loaded on use: the guard stage pulls in every check family. `guards: false` skips it entirely.
      const guardStage = options.guardStage ?? (await import('../guards/stage.js')).runGuardStage;
      // The latest rows are computed into a table meanwhile (nothing is written before the verdict): on two
      // cores this hides part of the guards' time. Its error, if any, counts only when the guards let the run on.
      const latestTable = `${table}_latest`;
      windowTables.push(latestTable);
      const side = await (await project.engine()).connect();
      const computed = side.run(`CREATE TABLE ${ident(latestTable)} AS ${latest}`).then(() => null, (e: unknown) => e).finally(() => side.closeSync());
      let verdict: GuardStageResult | undefined;
      try {
        // With its lineage: the provenance fingerprint lists the inputs it read, with their fingerprints.
        verdict = await guardStage({ project, run: { ...run, lineage }, kind: 'materialize', view, conn, table, window, definitions: set, disabled: false, alerts: false });
      } finally {
        // Blocked (or the stage broke): the latest rows are not needed, stop computing them. (If the side query
        // has not started yet, DuckDB clears the interrupt when it starts: then it runs to the end, costing time only.)
        if (!verdict || verdict.verdict === 'block') interruptQuietly(side);
        latestFailure = await computed;
      }
      guard = verdict;
      guarded = true;
      if (guard.verdict === 'block') return await finish('blocked', guard.blockedReason ?? 'a blocking check failed', 0, 0);
      if (latestFailure) throw latestFailure;
      // A table scan returns rows in insertion order, so the key order of the latest query is kept.
      latest = `SELECT * FROM ${ident(latestTable)}`;
    }

    const total = options.onProgress
      ? Number((await conn.runAndReadAll(`SELECT count(*) FROM (${latest})`)).getRowsJS()[0][0])
      : 0;
    const batchSize = options.batchSize ?? 2048;
    progress({ view: view.name, entitiesWritten: 0, entitiesTotal: total });
    // An apply that removed the view or changed it in a breaking way while this run read it: write nothing (and
    // do the drop deferred to this run). A lease lost to a pause longer than its ttl: write nothing either.
    if (isDropPending(project.state, view.name)) throw await droppedDuringRun(project, view.name, 'nothing was written');
    if (droppedSince(project, set, view.name)) throw viewChanged(view.name, 'nothing was written');
    if (!lease.held()) {
      throw new FeatureguardError('lease_lost', `the materialization lease of '${view.name}' expired and was taken over (was this process paused?); nothing was written`, { status: 409, exitCode: 3, details: { view: view.name } });
    }
    // Exclusive: this run holds the view's lease (an earlier session it left pending in Redis is dead).
    const writer = await store.beginWrite(view.name, featureNames, {
      exclusive: true, leaseDomain: await writeWhenFree(project.state, () => stateIdentity(project.state)), floats: floatFeatures(view.features), definition: onlineDefinition(set, view),
    });
    let totals = { written: 0, skipped: 0 };
    try {
      const result = await conn.stream(latest);
      let pending: OnlineRow[] = [];
      let sent = 0;
      const flush = async () => {
        await writer.write(pending);
        sent += pending.length;
        pending = [];
        progress({ view: view.name, entitiesWritten: sent, entitiesTotal: total });
      };
      for (;;) {
        const chunk = await result.fetchChunk();
        if (!chunk || chunk.rowCount === 0) break;
        for (const row of chunkToOnlineRows(chunk.getColumns(), joinKeys.length)) {
          pending.push(row);
          if (pending.length >= batchSize) await flush();
        }
      }
      if (pending.length > 0) await flush();
      totals = await writer.commit();
    } catch (e) {
      await writer.abort().catch(() => undefined);
      throw e;
    }
    // Such an apply during the write: the values just written are stale, drop them.
    if (isDropPending(project.state, view.name) || droppedSince(project, set, view.name)) {
      await requestDropsWhenFree(project.state, [view.name]);
      throw await droppedDuringRun(project, view.name, 'the values this run wrote were dropped');
    }
    await recordInterval(project.state, view.name, window.start, window.end, run.id, storeEpoch, storedFeatures(view, set.sources.get(view.source)));
    return await finish(guard.verdict === 'warn' ? 'warned' : 'success', null, totals.written, totals.skipped);
  } catch (e) {
    const message = e instanceof Error ? e.message.split('\n')[0] : String(e);
    failure = e;
    // Failed before the source was read: the datasets it would have read and written, named as a run that read them names them.
    lineage ??= plannedViewLineage(project, set, view, lineageTarget(project, view));
    const result = await finish('failed', message, 0, 0);
    if (e instanceof CallbackFailure) throw e;
    failures.set(result, e);
    return result;
  } finally {
    for (const t of windowTables) await conn.run(`DROP TABLE IF EXISTS ${ident(t)}`).catch(() => undefined);
    conn.closeSync();
    // Alerts go out with the run's final status: a write that failed after the guards passed says `failed`. A run
    // that failed before its guards judged it alerts too (an alert on `failed` runs pages someone), unless the
    // guards are off or the caller caused it.
    const alertOptions = { signal: options.alertSignal, deliverAlerts: options.deliverAlerts };
    if (guarded) await alertFinishedRun(project, run.id, guard, alertOptions);
    else if (options.guards !== false && !isCallerError(failure)) await alertFinishedRun(project, run.id, NOT_JUDGED, alertOptions);
  }
}
