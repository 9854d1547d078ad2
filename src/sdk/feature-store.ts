/**
 * `openFeatureStore(dir)`: the in-process SDK. A thin facade: each method calls
 * the same service function the CLI and the HTTP server call.
 *
 * @example
 * const store = await openFeatureStore('examples/flights');
 * const plan = await store.plan();
 * await store.apply();
 */
import { loadDefinitions, validateDefinitions } from '../definitions/loader.js';
import type { Definition } from '../definitions/types.js';
import { openProject, type Project } from '../project.js';
import { applyDefinitions, type ApplyDefinitionsResult } from '../registry/apply-definitions.js';
import type { Plan } from '../registry/types.js';
import type { RunStore } from '../runs/run-store.js';
import { pruneRuns, type PruneOptions, type PruneResult } from '../runs/prune.js';
import type { MaterializeOptions, MaterializeResult } from '../materialize/types.js';
import type { OnlineFeaturesRequest, OnlineFeaturesResponse, OnlineReadOptions } from '../serving/online-features.js';
import type { HistoricalFeaturesRequest, HistoricalFeaturesResult } from '../offline/historical.js';
import type { PushRequest, PushResult } from '../serving/push.js';
import { verifyDataset, type DatasetVerification } from '../offline/verify-dataset.js';

export interface FeatureStore {
  readonly project: Project;
  /** What `apply` would change; definitions default to the project's files. */
  plan(definitions?: readonly Definition[]): Promise<Plan>;
  /**
   * Apply definitions (default: the project's files) in one transaction, then drop the
   * online values of views removed or changed in a breaking way (`dropped`).
   */
  apply(definitions?: readonly Definition[], options?: { allowBreaking?: boolean }): Promise<ApplyDefinitionsResult>;
  /** The quality log. */
  readonly runs: RunStore;
  /** Remove runs that started before `before` from the quality log, keeping what the guards still read (README, "Retention"). */
  pruneRuns(options: PruneOptions): PruneResult;
  /** Materialize a window (or `incremental`) into the online store; one result per view (a blocked guard is a result). */
  materialize(options: MaterializeOptions): Promise<MaterializeResult[]>;
  /** Online features in Feast's get-online-features shape, read in-process (no server). */
  getOnlineFeatures(request: OnlineFeaturesRequest, options?: OnlineReadOptions): Promise<OnlineFeaturesResponse>;
  /** A point-in-time-correct training dataset (an Arrow table, or files with `out`); see the README, "Training datasets". */
  getHistoricalFeatures(request: HistoricalFeaturesRequest): Promise<HistoricalFeaturesResult>;
  /** Would building the dataset of this manifest again give the same rows? (definitions, sources, entity file, outputs) */
  verifyDataset(manifestPath: string): Promise<DatasetVerification>;
  /** Push rows into a view (online, offline or both) after the guards; a blocked push writes nothing. */
  push(request: PushRequest): Promise<PushResult>;
  close(): Promise<void>;
}

export async function openFeatureStore(dir?: string): Promise<FeatureStore> {
  const project = openProject(dir);
  // Definitions from code are validated exactly as files are (schemas, then cross-references).
  const defs = (given?: readonly Definition[]) => (given ? validateDefinitions(given, project.root) : loadDefinitions(project.root, project.config));
  return {
    project,
    runs: project.runs,
    verifyDataset(manifestPath) {
      return verifyDataset(project, manifestPath);
    },
    pruneRuns(options) {
      return pruneRuns(project.state, options);
    },
    async plan(definitions) {
      return project.registry.plan(defs(definitions));
    },
    async apply(definitions, options) {
      return applyDefinitions(project, defs(definitions), options);
    },
    async materialize(options) {
      return (await import('../materialize/materialize.js')).materialize(project, options);
    },
    async getOnlineFeatures(request, options) {
      return (await import('../serving/online-features.js')).getOnlineFeatures(project, request, options);
    },
    async getHistoricalFeatures(request) {
      return (await import('../offline/historical.js')).getHistoricalFeatures(project, request);
    },
    async push(request) {
      return (await import('../serving/push.js')).push(project, request);
    },
    close: () => project.close(),
  };
}
