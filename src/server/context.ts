/** What every route module gets: the project, auth, metrics, limits and the background pieces. */
import type { Project } from '../project.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import type { ServerAuth } from './auth.js';
import type { BackgroundWork } from './background.js';
import type { MaterializeJobs } from './materialize-jobs.js';
import type { ServerMetrics } from './metrics.js';

export interface ServerLimits {
  /** Largest request body in bytes (`server.body_limit`, default 1 MiB). */
  readonly bodyLimit: number;
  /** Most entity rows per online request (`server.max_entities`, default 1,000). */
  readonly maxEntities: number;
}

export interface ServerContext {
  readonly project: Project;
  readonly auth: ServerAuth;
  readonly metrics: ServerMetrics;
  readonly limits: ServerLimits;
  readonly jobs: MaterializeJobs;
  /** Work requests leave running (push alert deliveries); `serve` waits for it on shutdown. */
  readonly background: BackgroundWork;
  /** Present inside `featureguard serve` (absent in plain `createApp` use). */
  readonly scheduler?: Scheduler;
}

export const DEFAULT_BODY_LIMIT = 1024 * 1024;

/**
 * The most cells (rows × columns) one push or dataset request may describe: four per byte of the body limit
 * (4 Mi by default). A body without scalar columns or ragged rows holds at most one cell per two bytes.
 */
export function maxCells(limits: ServerLimits): number {
  return 4 * limits.bodyLimit;
}
export const DEFAULT_MAX_ENTITIES = 1000;
