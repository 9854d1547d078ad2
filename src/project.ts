/**
 * A project on disk and the resources a process opens for it: the state
 * database, the registry, the offline engine and the online store. Everything
 * the SDK, the CLI and the server do goes through one `Project`.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { InputError } from './errors.js';
import { configProblems } from './definitions/config-checks.js';
import { loadConfig } from './definitions/loader.js';
import { validateWithSchema } from './definitions/schema-validation.js';
import { sourceRootsOf, type SourceRoots } from './definitions/source-location.js';
import type { ProjectConfig } from './definitions/types.js';
import { openOfflineEngine, type OfflineEngine } from './offline/engine.js';
import { openOnlineStore } from './online/index.js';
import type { OnlineStore } from './online/types.js';
import { openSqliteRegistry } from './registry/sqlite-registry.js';
import type { Registry } from './registry/types.js';
import { openRunStore, type RunStore } from './runs/run-store.js';
import { openStateDb, type StateDb } from './state/state-db.js';

export const CONFIG_FILE = 'featureguard.yaml';
export const STATE_DIR = '.featureguard';

export interface Project {
  /** Absolute path of the folder holding `featureguard.yaml`. */
  readonly root: string;
  readonly config: ProjectConfig;
  /** Where sources may read from: the root and `data_roots` (absolute). */
  readonly sourceRoots: SourceRoots;
  readonly stateDir: string;
  readonly state: StateDb;
  readonly registry: Registry;
  readonly runs: RunStore;
  engine(): Promise<OfflineEngine>;
  onlineStore(): Promise<OnlineStore>;
  close(): Promise<void>;
}

/** The nearest folder at or above `start` holding `featureguard.yaml`. */
export function findProjectRoot(start: string = process.cwd()): string {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, CONFIG_FILE))) return dir;
    const up = dirname(dir);
    if (up === dir) {
      throw new InputError(`no ${CONFIG_FILE} found in ${resolve(start)} or any folder above it; run 'featureguard init' or pass --project DIR`, undefined, 'no_project');
    }
    dir = up;
  }
}

/**
 * Open a project: `dir` is the project root or any folder below it. A `dir` that does not exist is an error
 * (`no_project`): searching upward from it would open whatever project encloses a mistyped path.
 */
export function openProject(dir?: string): Project {
  if (dir !== undefined && !existsSync(resolve(dir))) {
    throw new InputError(`project folder '${dir}' does not exist (${resolve(dir)}); pass the folder holding ${CONFIG_FILE}, or a folder inside it`, { dir }, 'no_project');
  }
  const root = dir !== undefined && existsSync(join(resolve(dir), CONFIG_FILE)) ? resolve(dir) : findProjectRoot(dir);
  const config = loadConfig(root);
  const stateDir = join(root, STATE_DIR);
  const state = openStateDb(join(stateDir, 'state.db'));
  const registry = openSqliteRegistry(state);
  const runs = openRunStore(state);
  let engine: Promise<OfflineEngine> | undefined;
  let online: Promise<OnlineStore> | undefined;
  return {
    root,
    config,
    sourceRoots: sourceRootsOf(root, config),
    stateDir,
    state,
    registry,
    runs,
    engine: () => (engine ??= openOfflineEngine()),
    // A failed open (Redis down at start) is not cached: the next request tries again.
    onlineStore: () =>
      (online ??= openOnlineStore(config.online_store ?? { type: 'sqlite' }, root, config.project).catch((e: unknown) => {
        online = undefined;
        throw e;
      })),
    async close() {
      if (online) await (await online.catch(() => null))?.close();
      state.close();
    },
  };
}

/**
 * `project` with `server.public_url` set to `url` (`serve --public-url`, over featureguard.yaml's), checked as the
 * file's is: by the project schema (its pattern) and the config checks, whose words win, as `loadConfig` shows
 * them. A refusal is an `InputError` naming `flag`, never echoing the URL (it may hold a password).
 *
 * @example
 * const served = withPublicUrl(project, 'https://featureguard.example.com');
 */
export function withPublicUrl(project: Project, url: string, flag = '--public-url'): Project {
  const config = { ...project.config, server: { ...project.config.server, public_url: url } };
  const at = (p: { path: string }) => p.path === '/server/public_url';
  const problem = configProblems(config).find(at) ?? validateWithSchema('project', config).find(at);
  if (problem) throw new InputError(`${flag}: ${problem.message}`, { option: flag }, 'usage');
  return { ...project, config };
}
