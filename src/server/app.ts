/**
 * The HTTP API as a Hono app. `createApp(project)` wires the route modules, auth,
 * limits, metrics and the one error handler; `featureguard serve` runs it on
 * `@hono/node-server`, tests call `app.request()`.
 *
 * @example
 * const app = createApp(openProject('examples/flights'));
 * const res = await app.request('/v1/online-features', {
 *   method: 'POST',
 *   body: JSON.stringify({ features: ['origin_delays:dep_delay_mean'], entities: { origin: ['SEA'] } }),
 * });
 */
import { Hono, type MiddlewareHandler } from 'hono';
import type { Project } from '../project.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import type { KeyIdentity } from '../auth/keys.js';
import { createServerAuth, type ServerAuth } from './auth.js';
import { createBackgroundWork } from './background.js';
import { DEFAULT_BODY_LIMIT, DEFAULT_MAX_ENTITIES, type ServerContext } from './context.js';
import { notFoundOrWrongMethod, onError, type ErrorLogger } from './http-errors.js';
import { loggedPath } from './logged-path.js';
import { requestRuns } from './request-runs.js';
import { createMaterializeJobs, type MaterializeJobs } from './materialize-jobs.js';
import { createMetrics, metricsMiddleware, type ServerMetrics } from './metrics.js';
import { onlineViewNames, registerFreshnessGauges } from './freshness-metrics.js';
import { openApiDocument } from './openapi.js';
import { keylessBrowserGuard } from './browser-guard.js';
import { alertRoutes } from './routes/alerts.js';
import { datasetRoutes } from './routes/datasets.js';
import { healthRoutes } from './routes/health.js';
import { keyRoutes } from './routes/keys.js';
import { feastDocumentRoutes, feastMaterializeRoutes } from './routes/feast.js';
import { materializeRoutes, projectMaterializeFn } from './routes/materialize.js';
import { onlineRoutes } from './routes/online.js';
import { pushRoutes, writeToOnlineStoreRoutes } from './routes/push.js';
import { registryRoutes } from './routes/registry.js';
import { runsRoutes } from './routes/runs.js';
import { scheduleRoutes } from './routes/schedules.js';
import { uiRoutes } from './ui/index.js';

export interface AppOptions {
  /** Require API keys even when none exist (the server listens beyond loopback). */
  requireKeys?: boolean;
  /** Override `server.body_limit` (bytes). */
  bodyLimit?: number;
  /** Override `server.max_entities`. */
  maxEntities?: number;
  /** Share auth, metrics or jobs with the caller (serve, scheduler). */
  auth?: ServerAuth;
  metrics?: ServerMetrics;
  jobs?: MaterializeJobs;
  scheduler?: Scheduler;
  /** Per-request log line (serve passes pino). */
  requestLog?: (line: RequestLogLine) => void;
  /** Unexpected errors (500s). Default: `console.error`. */
  errorLog?: ErrorLogger;
  /** Mount the web pages under `/ui` (default true). */
  ui?: boolean;
}

/**
 * One request as logged: `client` is the peer's address, `key` the id of the API key it was let in by (when one was
 * checked); a key pasted into `path` is logged as its id (`fg_<id>_…`).
 */
export interface RequestLogLine {
  method: string;
  path: string;
  status: number;
  ms: number;
  client?: string;
  key?: string;
  /** The runs the request made (a push, a dataset build, a materialization started), and their views. */
  run_ids?: string[];
  views?: string[];
}

/** The running app plus the pieces `serve` needs to manage. */
export type FeatureguardApp = Hono & { readonly context: ServerContext };

/** Build the API for a project (see the module comment). */
export function createApp(project: Project, options: AppOptions = {}): FeatureguardApp {
  // Keys created or revoked over `/v1/keys` must take effect on the next request, not within a second.
  const auth = options.auth ?? createServerAuth(project.state, { alwaysRequire: options.requireKeys });
  const metrics = options.metrics ?? createMetrics(() => onlineViewNames(project));
  if (!options.metrics) registerFreshnessGauges(metrics.registry, project);
  const jobs = options.jobs ?? createMaterializeJobs(projectMaterializeFn(project));
  jobs.onViewFinished ??= (view, status) => {
    if (status !== 'up_to_date') metrics.recordRun('materialize', view, status);
  };
  const server = project.config.server ?? {};
  const ctx: ServerContext = {
    project,
    auth,
    metrics,
    jobs,
    background: createBackgroundWork(),
    scheduler: options.scheduler,
    limits: {
      bodyLimit: options.bodyLimit ?? server.body_limit ?? DEFAULT_BODY_LIMIT,
      maxEntities: options.maxEntities ?? server.max_entities ?? DEFAULT_MAX_ENTITIES,
    },
  };

  const app = new Hono();
  app.onError(onError(options.errorLog ?? ((err) => console.error(err))));
  app.use('*', metricsMiddleware(metrics));
  if (options.requestLog) app.use('*', requestLogger(options.requestLog, auth));
  // After the request log, so that refused requests are logged too; before every route and auth check.
  app.use('*', keylessBrowserGuard(auth));
  // The body limit (server.body_limit) is enforced where bodies are read (`jsonBody`):
  // hono's bodyLimit middleware turns every node request into a web stream, which
  // costs more than the whole online lookup.

  app.route('/', healthRoutes(ctx));
  app.get('/metrics', async (c) => c.text(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType }));
  let openapi: string | undefined;
  app.get('/openapi.json', (c) => c.body((openapi ??= JSON.stringify(openApiDocument())), 200, { 'content-type': 'application/json' }));

  app.route('/v1/online-features', onlineRoutes(ctx));
  app.route('/get-online-features', onlineRoutes(ctx, { feast: true }));
  const pushApp = pushRoutes(ctx);
  app.route('/v1/push', pushApp);
  app.route('/push', pushApp);
  app.route('/write-to-online-store', writeToOnlineStoreRoutes(ctx));
  app.route('/v1/materialize', materializeRoutes(ctx));
  app.route('/', feastMaterializeRoutes(ctx));
  app.route('/', feastDocumentRoutes());
  app.route('/v1/datasets', datasetRoutes(ctx));
  app.route('/v1/registry', registryRoutes(ctx));
  app.route('/v1/runs', runsRoutes(ctx));
  app.route('/v1/alerts', alertRoutes(ctx));
  app.route('/v1/schedules', scheduleRoutes(ctx));
  app.route('/v1/keys', keyRoutes(ctx, () => auth.keysChanged()));
  if (options.ui !== false) app.route('/ui', uiRoutes(project, auth));
  // Registered last: the handler needs the complete route list.
  app.notFound(notFoundOrWrongMethod(app.routes));

  return Object.assign(app, { context: ctx });
}

function requestLogger(log: NonNullable<AppOptions['requestLog']>, auth: ServerAuth): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const line: RequestLogLine = { method: c.req.method, path: loggedPath(c.req.path), status: c.res.status, ms: Math.round((performance.now() - started) * 100) / 100 };
    // Who asked: the peer (no proxy header is trusted) and the key it was let in by, for an audit of writes.
    const client = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress;
    if (client) line.client = client;
    // The API's routes verify through `auth`; the web pages keep the identity they verified (cookie) on the context.
    const key = auth.verifiedIdentity(c) ?? (c.get('identity' as never) as KeyIdentity | undefined);
    if (key) line.key = key.id;
    // Which runs it made: a caller that lost the answer (a Feast client retrying a 503) finds them in `runs list`.
    const runs = requestRuns(c);
    if (runs) Object.assign(line, runs);
    log(line);
  };
}
