/**
 * `openFeatureStore(dir)`: the in-process SDK. A thin facade: each method calls
 * the same service function the CLI and the HTTP server call.
 */
import { loadDefinitions } from '../definitions/loader.js';
import type { Definition } from '../definitions/types.js';
import { FeatureguardError, InputError } from '../errors.js';
import { openProject, type Project } from '../project.js';
import { applyDefinitions } from '../registry/apply-definitions.js';
import type { ApplyDefinitionsResult } from '../registry/apply-definitions-types.js';
import type { Plan } from '../registry/types.js';
import { objectVersion, type ObjectVersion, type VersionSelector } from '../registry/object-version.js';
import { failOrphanedRunsIfWritable, runCursor, takeProjectDueAlerts } from '../runs/run-store.js';
import type { CheckResult, Run, RunFilter, RunStatus } from '../runs/types.js';
import type { ColumnProfile } from '../guards/profile-types.js';
import { parseAgeOrInstant } from '../time/instant.js';
import { pastCutoff, pruneRuns } from '../runs/prune.js';
import type { PruneOptions, PruneResult } from '../runs/prune-types.js';
import { refuseUnknownRunTarget } from '../runs/run-targets.js';
import { resolveRunId } from '../runs/run-id.js';
import type { MaterializeResult } from '../materialize/types.js';
import type { MaterializeOptions } from './materialize-options.js';
import type { EntityColumns, OnlineFeaturesRequest, OnlineFeaturesResponse, OnlineReadOptions } from '../serving/online-features-types.js';
import type { HistoricalFeaturesRequest, HistoricalFeaturesResult } from '../offline/historical-types.js';
import type { PushRequest, PushResult } from '../serving/push-types.js';
import type { CompactOptions, CompactResult } from '../serving/push-compact-types.js';
import type { RedeliverResult } from '../alerts/redelivery-types.js';
import { verifyDataset } from '../offline/verify-dataset.js';
import type { DatasetVerification } from '../offline/verify-dataset-types.js';
import type { RebuildOptions, RebuildResult } from '../offline/rebuild-types.js';
import type { DropOnlineValuesResult } from '../online/drop-view-types.js';
import { desiredDefinitions, type ApplyOptions, type PlanOptions } from './desired-definitions.js';
import type { ProjectInfo } from './project-info.js';
import { withPushedDropNote } from '../registry/pushed-views.js';
import { kindOfAlias, unknownKind, type KindName } from './kind-aliases.js';
import { APPLY_BOOLEANS, APPLY_KEYS, checkBooleans, described, checkFeatureList, checkFunctions, checkManifestPath, checkMaxEntities, checkNow, checkOptions, checkSignal, HISTORICAL_BOOLEANS, HISTORICAL_FUNCTIONS, HISTORICAL_KEYS, MATERIALIZE_BOOLEANS, MATERIALIZE_FUNCTIONS, MATERIALIZE_KEYS, ONLINE_BOOLEANS, PLAN_BOOLEANS, PLAN_KEYS, ONLINE_KEYS, ONLINE_READ_BOOLEANS, ONLINE_READ_KEYS, PRUNE_BOOLEANS, PRUNE_KEYS, PUSH_BOOLEANS, PUSH_KEYS, REDELIVER_BOOLEANS, REDELIVER_KEYS, RUN_FILTER_KEYS } from './request-checks.js';

/** The keys of `compact`'s options, and its boolean ones (checked as the other calls' options are). */
const COMPACT_KEYS = ['views', 'olderThan', 'dryRun'] as const satisfies readonly (keyof CompactOptions)[];
const COMPACT_BOOLEANS = ['dryRun'] as const satisfies readonly (keyof CompactOptions)[];
/** The keys of `rebuildDataset`'s options, its boolean and its function ones. */
const REBUILD_KEYS = ['out', 'format', 'strict', 'baseDir', 'onProgress', 'signal'] as const satisfies readonly (keyof RebuildOptions)[];
const REBUILD_BOOLEANS = ['strict'] as const satisfies readonly (keyof RebuildOptions)[];
const REBUILD_FUNCTIONS = ['onProgress'] as const satisfies readonly (keyof RebuildOptions)[];

/** A filter of the quality log: `since`/`until` as a `Date`, an instant (`2026-12-01T09:00:00+02:00`) or an age (`7d`). */
export type QualityLogFilter = Omit<RunFilter, 'since' | 'until'> & { readonly since?: string | Date; readonly until?: string | Date };

/**
 * The quality log, read-only: runs are written by the runs themselves, of the kinds `RUN_KINDS` lists
 * (materialize, dataset builds, push, check, and compact for a compaction of pushed files).
 * A run id may be cut to its first 8 characters or more, as `runs list` prints it and `runs show` takes it; one that
 * names no run is a `NotFoundError` (`not_found`), an ambiguous prefix an `InputError` (`ambiguous_run_id`).
 */
export interface QualityLog {
  /** One run, by its id or its first 8 characters or more; one that names no run is `not_found`. */
  get(id: string): Run;
  /**
   * Runs newest first, `limit` (default 50) from `offset`; `total` counts every run of the filters. To page without
   * seeing a run twice while new ones are recorded, pass `next_cursor` as the next call's `cursor` (null on the last page).
   * `limit: 0` counts: no runs, `total` set, `next_cursor` null (not a last page: a paging loop should not use 0).
   */
  list(filter?: QualityLogFilter): { runs: Run[]; total: number; next_cursor: string | null };
  /** The last `n` runs of a view with one of the given statuses, newest first. */
  recent(view: string, statuses: readonly RunStatus[], n: number): Run[];
  /**
   * The check results a run recorded (one per check, and per slice or column where it has them), by its id or its
   * first 8 characters or more; an id that names no run is `not_found` (a run without checks answers `[]`).
   */
  results(runId: string): CheckResult[];
  /** The column profiles the guards recorded for a run (`slice` `column=value` for a slice's, else null). */
  profiles(runId: string): { column: string; slice: string | null; profile: ColumnProfile }[];
  /** One column's profile, or null. */
  profile(runId: string, column: string, slice?: string | null): ColumnProfile | null;
}

export interface FeatureStore {
  /**
   * The opened project: its folder (`root`), its state folder (`stateDir`) and its parsed `featureguard.yaml`
   * (`config`). Reading it after `close()` is `store_closed`.
   *
   * @example
   * const { root, config } = store.projectInfo;
   */
  readonly projectInfo: ProjectInfo;
  /**
   * The project the SDK, the CLI and the server share (registry, run store, state database, online and offline
   * stores). Reading it after `close()` is `store_closed`.
   * @internal Not in the published declarations: its types are internal and name DuckDB's and better-sqlite3's.
   */
  readonly project: Project;
  /**
   * The project's definition files, loaded and validated as `apply()` reads them (frozen objects): to apply them
   * with objects built in code as the complete registry, `apply([...await store.definitions(), extra], { replace: true })`.
   */
  definitions(): Promise<Definition[]>;
  /** What `apply` with the same arguments would change (nothing is written). */
  plan(definitions?: readonly Definition[], options?: PlanOptions): Promise<Plan>;
  /**
   * Apply definitions in one transaction, then drop the online values of views removed or changed in a breaking
   * way (`dropped`).
   *
   * - No list: the project's files are the complete desired registry, as `featureguard apply` applies them: an
   *   applied object no file defines is removed.
   * - A list (Feast's `apply(objects)`): those objects are added or updated; every other applied object stays.
   *   Remove objects by naming them, `{ remove: ['feature_view:old_view'] }` (or `{ kind, name }`); with
   *   `{ replace: true }` the list is the complete desired registry instead (objects not in it are removed).
   *
   * @example
   * await store.apply([defineEntity({ name: 'carrier', join_keys: [{ name: 'carrier_id', type: 'string' }] })]);
   * await store.apply([], { remove: ['entity:carrier'] });
   */
  apply(definitions?: readonly Definition[], options?: ApplyOptions): Promise<ApplyDefinitionsResult>;
  /**
   * One applied version of an object (`latest` by default: the current one, or a removed object's removal), with
   * every version of it and, for a removed object, the removal (`removedSince`): what `describe NAME@N` prints.
   * An object never applied is `not_found`; a version it does not have `unknown_version` (naming those it has). The
   * kind may be given as the CLI takes it: `view`, `service`, a plural, in any case, with `-` for `_`.
   *
   * @example
   * const { version } = store.objectVersion('feature_view', 'airport_hourly', 1);
   */
  objectVersion(kind: KindName, name: string, version?: VersionSelector): ObjectVersion;
  /** The quality log (read-only). */
  readonly runs: QualityLog;
  /**
   * Remove runs that started before `before` (a `Date`, an instant, or an age such as `90d`; not in the future) from
   * the quality log, keeping what the guards still read (README, "Retention").
   */
  pruneRuns(options: PruneOptions): PruneResult;
  /**
   * Materialize a window (or `incremental`) into the online store; one result per view. A blocked guard is a result
   * (`blocked`), and so is a view that failed (`failed`: its source could not be read, the store failed meanwhile):
   * check both, as `featureguard materialize` exits 1 and 3 on them. When the online store failed every view's run
   * (`store_unavailable`: nothing could be written) the call rejects with that `FeatureguardError` (the runs are
   * recorded failed, `details.results` holds them); an `onProgress` that throws stops it and rejects with that exception.
   *
   * @example
   * const results = await store.materialize({ incremental: true });
   * if (results.some((r) => r.status === 'blocked' || r.status === 'failed')) process.exitCode = 1;
   */
  materialize(options: MaterializeOptions): Promise<MaterializeResult[]>;
  /**
   * Drop one view's online values on the configured store (every Redis master), reset its Redis session keys and
   * forget its materialized windows: a view whose reads answer `online_store_inconsistent` (its `{meta}` keys lost)
   * serves again once materialized anew (`rebuild` says how). Reads answer NOT_FOUND from the call on. A
   * materialization holding the view's lease drops the values itself (`outcome: 'deferred'`). See the README,
   * "Online stores".
   *
   * @example
   * const { rebuild } = await store.dropOnlineValues('driver_stats'); // featureguard materialize --incremental --views driver_stats
   */
  dropOnlineValues(view: string): Promise<DropOnlineValuesResult>;
  /** Online features in Feast's get-online-features shape, read in-process (no server). */
  getOnlineFeatures<E extends EntityColumns<E> = Readonly<Record<string, readonly unknown[]>>>(request: OnlineFeaturesRequest<E>, options?: OnlineReadOptions): Promise<OnlineFeaturesResponse>;
  /** A point-in-time-correct training dataset (an Arrow table, or files with `out`); see the README, "Training datasets". */
  getHistoricalFeatures(request: HistoricalFeaturesRequest): Promise<HistoricalFeaturesResult>;
  /** Would building the dataset of this manifest again give the same rows? (definitions, sources, entity file, outputs) */
  verifyDataset(manifestPath: string): Promise<DatasetVerification>;
  /**
   * Build a manifest's dataset again: its entity input (refused when it changed), request and options, at the
   * definition versions it recorded (from the registry's history, not the applied ones). `out` writes files with a
   * manifest recording `rebuilt_from`; without it, an Arrow table. See the README, "Rebuilding a dataset".
   *
   * @example
   * const { warnings } = await store.rebuildDataset('train.parquet.manifest.json', { out: 'train.rebuilt.parquet' });
   */
  rebuildDataset(manifestPath: string, options?: RebuildOptions): Promise<RebuildResult>;
  /** Push rows into a view (online, offline or both) after the guards; a blocked push writes nothing. */
  push(request: PushRequest): Promise<PushResult>;
  /**
   * Merge the files offline pushes appended to their sources' folders (one per push) into one file per folder,
   * with the same rows and column types, holding the materialization lease of every view reading them; only the
   * files of finished, successful pushes (`olderThan` ago: `10m`; default every one). A materialization of such a
   * view running is a `ConflictError` (`materialization_running`) and nothing is merged. See the README, "Push".
   *
   * @example
   * const { groups } = await store.compact({ olderThan: '10m' });
   */
  compact(options?: CompactOptions): Promise<CompactResult>;
  /**
   * Send the alert deliveries that failed and are due again (`all`: every waiting one now); `serve` does this
   * every 15 s, a process without it calls this from time to time. Delivery problems are recorded, never thrown.
   * `runId` (one run's) takes a full id or its first 8 characters, as the CLI does; one that names no run is a
   * `not_found` error, an ambiguous prefix `ambiguous_run_id`.
   */
  redeliverAlerts(options?: { all?: boolean; runId?: string }): Promise<RedeliverResult>;
  /**
   * Close the store: waits for the calls still running (a materialization, the alerts sent at open), then closes
   * the state database and the online store. Calls after it (and `runs` kept from before) are a `FeatureguardError`
   * `store_closed`; calling it again returns the same promise. With a Redis online store the process does not exit
   * until this is awaited.
   */
  close(): Promise<void>;
}

/**
 * Open the feature store of a project: `dir` is the folder holding `featureguard.yaml` or a folder inside it;
 * without one, the nearest project upward from the current directory, as the CLI finds it. No project there is a
 * `FeatureguardError` `no_project`. Runs a killed process left `running` are failed now, and their alerts sent in
 * the background. Call `close()` when done (with a Redis online store the process does not exit before).
 *
 * @example
 * const store = await openFeatureStore('examples/flights');
 * const plan = await store.plan();
 * if (!plan.breaking) await store.apply();
 * await store.close();
 */
export async function openFeatureStore(dir?: string): Promise<FeatureStore> {
  const project = openProject(dir);
  // close() waits for the calls still running (a materialization holds a lease and a running run), and
  // calls after it are a clear error rather than a closed database's TypeError.
  const running = new Set<Promise<unknown>>();
  let closing: Promise<void> | undefined;
  const closedError = () => new FeatureguardError('store_closed', 'this feature store is closed; open another with openFeatureStore()', { status: 409, exitCode: 2 });
  const open = () => {
    if (closing) throw closedError();
  };
  const track = <T>(work: () => Promise<T>): Promise<T> => {
    if (closing) return Promise.reject(closedError());
    const p = work();
    running.add(p);
    const done = () => running.delete(p);
    p.then(done, done);
    return p;
  };
  // Runs a killed featureguard process left `running` are failed now; the alerts due (theirs, and those of runs a
  // signal interrupted) go out in the background (the store opens at once; `close()` waits for them).
  // A script that exits before they are stored leaves them due for the next process (`takeDueAlerts` holds them).
  failOrphanedRunsIfWritable(project.state);
  const due = takeProjectDueAlerts(project);
  if (due.length > 0) void track(async () => (await import('../alerts/dispatch.js')).alertOrphanedRuns(project, due));
  return {
    get project() {
      open();
      return project;
    },
    get projectInfo() {
      open();
      return Object.freeze({ root: project.root, config: project.config, stateDir: project.stateDir });
    },
    get runs() {
      open();
      return qualityLog(project, open);
    },
    verifyDataset(manifestPath) {
      return track(async () => {
        checkManifestPath(manifestPath);
        return verifyDataset(project, manifestPath);
      });
    },
    rebuildDataset(manifestPath, options = {}) {
      return track(async () => {
        if (typeof manifestPath !== 'string' || manifestPath === '') {
          throw new InputError(`rebuildDataset takes the path of a dataset's manifest (FILE.manifest.json, written beside the dataset), got ${described(manifestPath)}`, undefined, 'invalid_request');
        }
        checkOptions('rebuildDataset options', options, REBUILD_KEYS, "{ out?, format?, strict?, baseDir? }, e.g. { out: 'train.rebuilt.parquet' }");
        checkBooleans('rebuildDataset options', options, REBUILD_BOOLEANS);
        checkFunctions('rebuildDataset options', options, REBUILD_FUNCTIONS);
        checkSignal('rebuildDataset options', options);
        if (typeof options.out === 'string' && options.format === undefined) (await import('../offline/dataset-output.js')).datasetFormat(options.out, undefined, 'format');
        return (await import('../offline/rebuild.js')).rebuildDataset(project, manifestPath, options);
      });
    },
    pruneRuns(options) {
      open();
      checkOptions('pruneRuns options', options, PRUNE_KEYS, "{ before, keep?, dryRun? }, e.g. { before: '90d' }");
      checkBooleans('pruneRuns options', options, PRUNE_BOOLEANS);
      return pruneRuns(project.state, { ...options, before: pastCutoff(options.before) });
    },
    definitions() {
      return track(async () => loadDefinitions(project.root, project.config));
    },
    plan(definitions, options) {
      return track(async () => {
        checkOptions('plan options', options, PLAN_KEYS, '{ remove?, replace? }', true);
        checkBooleans('plan options', options, PLAN_BOOLEANS);
        return withPushedDropNote(project.state, project.registry.plan(desiredDefinitions(project, definitions, options).defs));
      });
    },
    apply(definitions, options) {
      return track(async () => {
        checkOptions('apply options', options, APPLY_KEYS, '{ allowBreaking?, remove?, replace?, expectedGeneration? }', true);
        checkBooleans('apply options', options, APPLY_BOOLEANS);
        const expectedGeneration = options?.expectedGeneration;
        if (expectedGeneration !== undefined && !(Number.isSafeInteger(expectedGeneration) && expectedGeneration >= 0)) {
          throw new InputError(`expectedGeneration must be a registry generation (an integer, 0 or more, as a plan's generation), not ${JSON.stringify(expectedGeneration) ?? String(expectedGeneration)}`, undefined, 'invalid_request');
        }
        // A merged list is checked again inside the registry's transaction (`check`): an apply by another process
        // since it read the registry makes it merge again, rather than revert that apply.
        for (let attempt = 1; ; attempt++) {
          const { defs, check } = desiredDefinitions(project, definitions, options);
          try {
            // Removals are meant here: the project's files or a `replace` list are the complete set, and a merged
            // list removes only what `remove` names (`check` refuses anything else).
            const result = await applyDefinitions(project, defs, { allowBreaking: options?.allowBreaking, allowRemovals: true, checkPlan: check, expectedGeneration });
            return { ...result, plan: withPushedDropNote(project.state, result.plan) };
          } catch (e) {
            // Merged again only when no generation was expected: with one, the registry moved past it for good.
            if (!(e instanceof FeatureguardError && e.code === 'registry_changed') || attempt === 3 || expectedGeneration !== undefined) throw e;
          }
        }
      });
    },
    objectVersion(kind, name, version) {
      open();
      // The kind as the CLI and `apply`'s `remove` take it (`view`, `services`, …); anything else is refused with
      // every name a kind goes by and the closest of them.
      const canonical = typeof kind === 'string' ? kindOfAlias(kind) : undefined;
      if (canonical === undefined) throw unknownKind(kind);
      return objectVersion(project.registry, canonical, name, version);
    },
    materialize(options) {
      return track(async () => {
        checkOptions('materialize options', options, MATERIALIZE_KEYS, '{ start, end?, views? } or { incremental: true }');
        checkBooleans('materialize options', options, MATERIALIZE_BOOLEANS);
        checkFunctions('materialize options', options, MATERIALIZE_FUNCTIONS);
        const { materialize, failureOf } = await import('../materialize/materialize.js');
        return nothingRanRefused(await materialize(project, options), failureOf);
      });
    },
    dropOnlineValues(view) {
      return track(async () => (await import('../online/drop-view.js')).dropOnlineValues(project, view));
    },
    getOnlineFeatures(request, options) {
      return track(async () => {
        checkOptions('the online features request', request, ONLINE_KEYS, '{ features or service, entities }');
        checkBooleans('the online features request', request, ONLINE_BOOLEANS);
        checkOptions('online read options', options, ONLINE_READ_KEYS, '{ maxEntities?, feastKeys?, now? }', true);
        checkBooleans('online read options', options, ONLINE_READ_BOOLEANS);
        checkMaxEntities(options);
        checkNow(options);
        // Said with the SDK's key (the serving layer names the HTTP body's, `feature_service`).
        (await import('../serving/online-plan.js')).checkFeaturesOrService(request, 'service');
        // Columns typed by an interface (no index signature) are the same plain object at run time.
        return (await import('../serving/online-features.js')).getOnlineFeatures(project, request as OnlineFeaturesRequest, options);
      });
    },
    getHistoricalFeatures(request) {
      return track(async () => {
        checkOptions('the historical features request', request, HISTORICAL_KEYS, '{ entities, features or service, … }');
        checkBooleans('the historical features request', request, HISTORICAL_BOOLEANS);
        checkFunctions('the historical features request', request, HISTORICAL_FUNCTIONS);
        checkSignal('the historical features request', request);
        checkFeatureList(request.features);
        // An `out` without a known extension is told to pass `format` (the CLI's message names `--format`).
        if (typeof request.out === 'string' && request.format === undefined) (await import('../offline/dataset-output.js')).datasetFormat(request.out, undefined, 'format');
        return (await import('../offline/historical.js')).getHistoricalFeatures(project, request);
      });
    },
    push(request) {
      return track(async () => {
        checkOptions('the push request', request, PUSH_KEYS, '{ view, rows, to? }');
        checkBooleans('the push request', request, PUSH_BOOLEANS);
        return (await import('../serving/push.js')).push(project, request);
      });
    },
    compact(options = {}) {
      return track(async () => {
        checkOptions('compact options', options, COMPACT_KEYS, "{ views?, olderThan?, dryRun? }, e.g. { olderThan: '10m' }");
        checkBooleans('compact options', options, COMPACT_BOOLEANS);
        if (options.views !== undefined && (!Array.isArray(options.views) || options.views.some((v) => typeof v !== 'string'))) {
          throw new InputError('compact options: views must be a list of feature view names', { views: options.views as unknown }, 'invalid_request');
        }
        return (await import('../serving/push-compact.js')).compactPushedFiles(project, options);
      });
    },
    redeliverAlerts(options = {}) {
      return track(async () => {
        checkOptions('redeliverAlerts options', options, REDELIVER_KEYS, '{ all?, runId? }');
        checkBooleans('redeliverAlerts options', options, REDELIVER_BOOLEANS);
        // The run named as the CLI takes it (a full id or its first 8 characters); an unknown one is `not_found`,
        // not "nothing was due".
        const runId = options.runId === undefined ? undefined : (await import('../runs/run-id.js')).resolveRunId(project, options.runId);
        return (await import('../alerts/redelivery.js')).sendDueRedeliveries(project, { all: options.all, runId });
      });
    },
    close() {
      closing ??= (async () => {
        await Promise.allSettled([...running]);
        await project.close();
      })();
      return closing;
    },
  };
}

/** The online store's own failures: with every run failed by one of them, nothing could be materialized. */
const STORE_FAILURES = new Set(['store_unavailable', 'bad_online_store', 'online_store_in_use', 'online_store_permission']);

/**
 * `results`, unless the online store failed every run (unreachable, misconfigured): then a rejection with its error
 * (`store_unavailable`, exit code 3), as `getOnlineFeatures` rejects, the results in `details.results`. A view that
 * failed on its own (an unreadable source) stays a `failed` result beside the others.
 */
function nothingRanRefused(results: MaterializeResult[], failureOf: (r: MaterializeResult) => unknown): MaterializeResult[] {
  const ran = results.filter((r) => r.status !== 'up_to_date');
  const causes = ran.map(failureOf);
  const store = (e: unknown): e is FeatureguardError => e instanceof FeatureguardError && STORE_FAILURES.has(e.code);
  if (ran.length === 0 || !causes.every(store)) return results;
  const cause = causes[0] as FeatureguardError;
  const runs = ran.map((r) => `view '${r.view}': run ${r.run?.id.slice(0, 8)} failed`).join('; ');
  throw new FeatureguardError(cause.code, `${cause.message}; nothing was materialized (${runs})`, {
    status: cause.status, exitCode: cause.exitCode, details: { ...(Array.isArray(cause.details) ? {} : cause.details), results }, cause,
  });
}

/**
 * The read-only face of the run store; `since`/`until` parsed as the CLI and the API parse them (bad ones throw),
 * and a view or service that matched nothing and is neither defined nor named by a run refused as they refuse it.
 * Each call checks `open` first: a log kept from before `close()` is a `store_closed` error, not a closed database's.
 */
function qualityLog(project: Pick<Project, 'registry' | 'runs' | 'state'>, open: () => void): QualityLog {
  const { runs } = project;
  // The run an id names (whole, or its first 8 characters or more), as the CLI resolves it: an unknown one is
  // `not_found`, not a run without check results or profiles.
  const run = (id: string) => (open(), resolveRunId(project, id));
  return {
    get: (id) => runs.get(run(id)),
    list: (filter = {}) => {
      open();
      checkOptions('the run filter', filter, RUN_FILTER_KEYS, '{ view?, service?, kind?, status?, since?, until?, limit?, offset? }');
      const { since, until, ...rest } = filter;
      const limit = rest.limit ?? 50;
      // One run more than the page, as GET /v1/runs asks: whether a next page exists, for `next_cursor` (a limit that
      // is no whole number from 1 goes to the store as given, which refuses it or answers no runs).
      const more = Number.isSafeInteger(limit) && limit >= 1;
      const list = runs.list({
        ...rest,
        ...(more ? { limit: limit + 1 } : {}),
        ...(since === undefined ? {} : { since: parseAgeOrInstant(since, 'since') }),
        ...(until === undefined ? {} : { until: parseAgeOrInstant(until, 'until') }),
      });
      if (list.total === 0) refuseUnknownRunTarget(project, rest);
      const page = more ? list.runs.slice(0, limit) : list.runs;
      return { runs: page, total: list.total, next_cursor: list.runs.length > page.length ? runCursor(page[page.length - 1]) : null };
    },
    recent: (view, statuses, n) => {
      open();
      const recent = runs.recent(view, statuses, n);
      if (recent.length === 0) refuseUnknownRunTarget(project, { view });
      return recent;
    },
    results: (runId) => runs.results(run(runId)),
    // The guard stage records `ColumnProfile`s (masked ones for PII columns), which the store keeps as JSON.
    profiles: (runId) => runs.profiles(run(runId)) as { column: string; slice: string | null; profile: ColumnProfile }[],
    profile: (runId, column, slice) => runs.profile(run(runId), column, slice) as ColumnProfile | null,
  };
}
