/**
 * `store.projectInfo`: where the opened project is and its configuration, the public part of the project the SDK,
 * the CLI and the server share (whose registry, run store and stores are internal: their declarations name DuckDB's
 * and better-sqlite3's, which a user's compiler should not have to read).
 *
 * @example
 * const store = await openFeatureStore('examples/flights');
 * console.log(store.projectInfo.root, store.projectInfo.config.online_store);
 */
import type { ProjectConfig } from '../definitions/types.js';

export interface ProjectInfo {
  /** Absolute path of the folder holding `featureguard.yaml`. */
  readonly root: string;
  /** `featureguard.yaml`, parsed and validated. */
  readonly config: ProjectConfig;
  /** Absolute path of the project's state folder (`.featureguard`: the state database, its locks). */
  readonly stateDir: string;
}
