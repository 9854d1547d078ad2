/**
 * Prometheus metrics of one server (`GET /metrics`): request latency per route
 * pattern, materialization and push counts, and run verdicts. Each app owns its
 * own prom-client registry, so several apps in one process (tests) don't clash.
 * The run counters have their series from the first scrape, at 0 (every kind ×
 * final status, and every online view × final status; the pushed rows every online view × destination):
 * `increase()` and `rate()` never count a series' first sample, so one born at 1 would hide the first run.
 */
import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { RUN_KINDS, type RunKind, type RunStatus } from '../runs/types.js';
import type { PushTarget } from '../serving/push-types.js';
import { pushesWaiting } from '../serving/push-queue.js';

/** The statuses a run ends with: each counter series of a run exists from the start with these. */
const FINAL_STATUSES: readonly RunStatus[] = ['success', 'warned', 'blocked', 'failed'];
/** Where a push writes: each online view's rows counter exists from the start for each. */
const PUSH_TARGETS = Object.keys({ online: true, offline: true, both: true } satisfies Record<PushTarget, true>) as readonly PushTarget[];

export interface ServerMetrics {
  readonly registry: Registry;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly materializeRuns: Counter<'view' | 'status'>;
  readonly pushRuns: Counter<'view' | 'status'>;
  readonly pushRows: Counter<'view' | 'to'>;
  readonly runVerdicts: Counter<'kind' | 'status'>;
  /** Count a finished run of any kind (also feeds the per-kind counters). */
  recordRun(kind: RunKind, view: string | null, status: RunStatus): void;
}

/**
 * @param views the names of the online views, asked at each scrape: their materialize and push counters get
 * their zero series (a view applied while serving included).
 */
export function createMetrics(views: () => readonly string[] = () => []): ServerMetrics {
  const registry = new Registry();
  /** Zero series of `views()` × final statuses (a no-op for those already there). */
  const zeroPerView = (counter: Counter<'view' | 'status'>) => {
    for (const view of views()) for (const status of FINAL_STATUSES) counter.inc({ view, status }, 0);
  };
  // Node's default metrics are named process_* and nodejs_* already: `featureguard_process_cpu_seconds_total`.
  collectDefaultMetrics({ register: registry, prefix: 'featureguard_' });
  const httpDuration = new Histogram({
    name: 'featureguard_http_request_duration_seconds',
    help: 'HTTP request latency by route pattern',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [registry],
  });
  const materializeRuns: Counter<'view' | 'status'> = new Counter({
    name: 'featureguard_materialize_runs_total',
    help: 'Materialization runs started by this server, by view and final status',
    labelNames: ['view', 'status'] as const,
    registers: [registry],
    collect: (): void => zeroPerView(materializeRuns),
  });
  const pushRuns: Counter<'view' | 'status'> = new Counter({
    name: 'featureguard_push_runs_total',
    help: 'Push runs by view and final status',
    labelNames: ['view', 'status'] as const,
    registers: [registry],
    collect: (): void => zeroPerView(pushRuns),
  });
  const pushRows: Counter<'view' | 'to'> = new Counter({
    name: 'featureguard_push_rows_total',
    help: 'Rows accepted by push, by view and destination',
    labelNames: ['view', 'to'] as const,
    registers: [registry],
    collect: (): void => {
      for (const view of views()) for (const to of PUSH_TARGETS) pushRows.inc({ view, to }, 0);
    },
  });
  const pushQueue: Gauge = new Gauge({
    name: 'featureguard_push_queue_depth',
    help: 'Pushes waiting for an earlier push of the same view to finish (pushes of one view run one after another)',
    registers: [registry],
    collect: (): void => pushQueue.set(pushesWaiting()),
  });
  const runVerdicts = new Counter({
    name: 'featureguard_run_verdicts_total',
    help: 'Runs finished in this server by kind and status (success, warned, blocked, failed)',
    labelNames: ['kind', 'status'] as const,
    registers: [registry],
  });
  for (const kind of RUN_KINDS) for (const status of FINAL_STATUSES) runVerdicts.inc({ kind, status }, 0);
  return {
    registry,
    httpDuration,
    materializeRuns,
    pushRuns,
    pushRows,
    runVerdicts,
    recordRun(kind, view, status) {
      runVerdicts.inc({ kind, status });
      if (kind === 'materialize') materializeRuns.inc({ view: view ?? '', status });
      if (kind === 'push') pushRuns.inc({ view: view ?? '', status });
    },
  };
}

/**
 * The `view` label of a run counted under a name the client sent that no recorded run vouches for (a push failing
 * before its run, when the name is none the registry has): a typo or a made-up name must not make a series of its own.
 */
export const UNKNOWN_VIEW_LABEL = '(unknown)';

/** Middleware timing every request under its route pattern (`/v1/runs/:id`, not the concrete path). */
export function metricsMiddleware(metrics: ServerMetrics): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const route = matchedRoutes(c).findLast((r) => r.method !== 'ALL')?.path ?? 'unmatched';
      metrics.httpDuration.observe(
        { method: c.req.method, route, status: String(c.res.status) },
        (performance.now() - started) / 1000,
      );
    }
  };
}
